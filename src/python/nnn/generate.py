"""``python -m nnn.generate``: the command's name; the code is :mod:`nnn.emulate.generate`."""
import sys

from nnn.emulate.generate import generate, main  # noqa: F401

if __name__ == "__main__":
    sys.exit(main())
