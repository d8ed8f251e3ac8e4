"""Helpers of the cross-language tests, shared by conftest.py and the test modules
(a module of its own: `from conftest import` is ambiguous when pytest is given
several test folders, each with its conftest)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(cmd, *, cwd=None, env=None, timeout=300, check=True) -> subprocess.CompletedProcess:
    """Runs cmd; on failure shows the tail of its output in the test failure."""
    p = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, timeout=timeout,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check and p.returncode != 0:
        pytest.fail(f"command failed (exit {p.returncode}): {' '.join(map(str, cmd))}\n"
                    f"{p.stdout[-6000:]}", pytrace=False)
    return p


def fstr(b) -> str:
    """A Fortran character result (bytes, blank-padded) as a str."""
    return (b.decode() if isinstance(b, bytes) else str(b)).strip()


def fortran_zones(X) -> np.ndarray:
    """(n_zones, n_species) rows -> a fresh Fortran-ordered X(n_species, n_zones)."""
    return np.array(np.asarray(X).T, dtype=np.float64, order="F", copy=True)


def print_agreement(title: str, agreement: dict[str, float], width: int) -> None:
    """Prints a test module's measured agreement, one 'name value' line each (pytest -s)."""
    if agreement:
        print("\n" + title)
        for k, v in agreement.items():
            print(f"  {k:{width}s} {v:.3e}")
