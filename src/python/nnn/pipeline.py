"""``python -m nnn.pipeline``: the command's name; the code is :mod:`nnn.emulate.pipeline`."""
import sys

from nnn.emulate.pipeline import main, run  # noqa: F401

if __name__ == "__main__":
    sys.exit(main())
