"""``python -m nnn.evaluate``: the evaluation CLI, kept here for the command's name."""
import sys

from nnn.emulate.evaluate import main  # noqa: F401  (the implementation lives there)

if __name__ == "__main__":
    sys.exit(main())
