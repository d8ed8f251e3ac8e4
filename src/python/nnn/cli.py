"""What every ``python -m nnn...`` command shares: errors as one line on stderr.

- :class:`Parser`: an ``argparse.ArgumentParser`` whose usage errors are one line
  (``prog: error: MESSAGE (see prog --help)``) instead of the usage block plus the
  message, exit status 2 as argparse's.
- :func:`error_line`: an exception as one clean line; ``nnn.NnnError`` prints its
  message, not its ``(message, status)`` args tuple.
- :func:`positive_int`, :func:`nonnegative_int`: argparse types that reject what a
  plain ``int`` would silently accept (``--top -3`` printed all but 3 isotopes).
"""

from __future__ import annotations

import argparse
import sys


class Parser(argparse.ArgumentParser):
    """ArgumentParser with one-line errors; sub-parsers inherit the class."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def error_line(exc: BaseException) -> str:
    """``exc`` as one line: the message (first line of it), no tuple, no traceback."""
    text = str(exc).strip()
    if isinstance(exc, KeyError) and exc.args:       # KeyError's str() is its repr
        text = str(exc.args[0])
    text = " ".join(text.split("\n")[0].split()) if text else type(exc).__name__
    return f"error: {text}"


def fail(exc: BaseException, code: int = 2) -> int:
    """Prints ``exc`` as one line on stderr and returns the exit status."""
    print(error_line(exc), file=sys.stderr)
    return code


def positive_int(text: str) -> int:
    v = _int(text)
    if v <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive integer")
    return v


def nonnegative_int(text: str) -> int:
    v = _int(text)
    if v < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be an integer >= 0")
    return v


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None


__all__ = ["Parser", "error_line", "fail", "positive_int", "nonnegative_int"]
