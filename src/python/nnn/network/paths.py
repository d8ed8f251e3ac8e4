"""Where network files live."""

import os
from pathlib import Path


def data_dirs() -> list[Path]:
    """Directories searched for ``NAME.net``, in order: ``$NNN_NETWORK_DATA``,
    the installed package's ``network_data/``, the source tree's ``network_data/``."""
    dirs = []
    if os.environ.get("NNN_NETWORK_DATA"):
        dirs.append(Path(os.environ["NNN_NETWORK_DATA"]))
    pkg = Path(__file__).resolve().parent.parent
    dirs.append(pkg / "network_data")
    dirs.append(pkg.parent.parent.parent / "network_data")  # src/python/nnn -> repo root
    return dirs


def default_data_dir() -> Path:
    """The first existing data directory (where ``build`` writes by default)."""
    for d in data_dirs():
        if d.is_dir():
            return d
    return data_dirs()[-1]


def find_network(name_or_path) -> Path:
    """Resolve a network name (``mesa_80``) or a path to an existing file."""
    p = Path(name_or_path)
    if p.suffix == ".net" or os.sep in str(name_or_path):
        if p.is_file():
            return p
        raise FileNotFoundError(f"network file {str(p)!r} does not exist")
    for d in data_dirs():
        if (d / f"{name_or_path}.net").is_file():
            return d / f"{name_or_path}.net"
    searched = ", ".join(str(d) for d in data_dirs())
    raise FileNotFoundError(f"network {name_or_path!r} not found (searched {searched}; "
                            "set NNN_NETWORK_DATA or pass a path)")
