"""``python -m nnn.train``: the command's name; the code is :mod:`nnn.emulate.train`."""
import sys

from nnn.emulate.train import main, train  # noqa: F401

if __name__ == "__main__":
    sys.exit(main())
