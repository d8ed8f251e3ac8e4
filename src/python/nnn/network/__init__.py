"""Reaction networks: files built by pynucastro, burned by the C++ engine."""

from nnn.network.core import BatchResult, BurnError, BurnResult, Network, NnnError

__all__ = ["Network", "BurnResult", "BatchResult", "BurnError", "NnnError"]
