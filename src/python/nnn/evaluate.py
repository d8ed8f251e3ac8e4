"""``python -m nnn.evaluate``: the command's name; the code is :mod:`nnn.emulate.evaluate`."""
import sys

from nnn.emulate.evaluate import evaluate, main  # noqa: F401

if __name__ == "__main__":
    sys.exit(main())
