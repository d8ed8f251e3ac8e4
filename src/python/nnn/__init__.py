"""nnn: nuclear reaction networks and their neural-network emulators.

The compiled engine (``nnn._core``) is imported lazily so that pure-Python
parts (``nnn.classifier``, ``nnn.emulate.train``) work without it.
"""

__version__ = "0.1.0"

__all__ = ["Network", "BurnResult", "BatchResult", "BurnError", "Emulator", "NnnError",
           "__version__"]


def __getattr__(name):
    if name in ("Network", "BurnResult", "BatchResult", "BurnError", "NnnError"):
        from nnn import network

        return getattr(network, name)
    if name == "Emulator":
        from nnn.emulate.runtime import Emulator

        return Emulator
    raise AttributeError(f"module 'nnn' has no attribute {name!r}")
