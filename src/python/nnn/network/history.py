"""Thermodynamic histories T(t), rho(t) for ``Network.burn(history=...)``.

A history is a set of samples (t_k in s, T_k in K, rho_k in g/cm^3). The
engine interpolates T and rho linearly in log T and log rho between samples
and stops at every sample inside the burn (docs/burn_modes.md). It must cover
[0, dt]: t_0 <= 0 and t_last >= the last output time.

The file form is the common tracer-particle format: whitespace-separated
columns t T rho (further columns ignored), lines starting with '#' ignored.
"""

from __future__ import annotations

import os

import numpy as np


def read_history(history) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(t, T, rho) as float arrays from a tuple/list of three arrays or a
    tracer file path. Shapes are checked here; values (monotonic t, finite,
    positive, covering the burn) by the engine, whose ValueError names the
    sample."""
    if isinstance(history, (str, os.PathLike)):
        return _read_file(history)
    try:
        t, T, rho = history
    except (TypeError, ValueError):
        raise ValueError("history must be (t, T, rho) arrays or a file path, got "
                         f"{type(history).__name__}") from None
    cols = [np.asarray(c, dtype=float) for c in (t, T, rho)]
    for name, c in zip(("t", "T", "rho"), cols):
        if c.ndim not in (1, 2):
            raise ValueError(f"history {name} has shape {c.shape}: expected (n_samples,) "
                             "or, for burn_batch, (n_zones, n_samples)")
    if not (cols[0].shape == cols[1].shape == cols[2].shape):
        raise ValueError(f"history t, T, rho differ in shape: {cols[0].shape}, "
                         f"{cols[1].shape}, {cols[2].shape}")
    return cols[0], cols[1], cols[2]


def _read_file(path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    try:
        data = np.loadtxt(path, comments="#", ndmin=2)
    except OSError as e:
        raise FileNotFoundError(f"history file {os.fspath(path)!r}: {e.strerror or e}") from None
    except ValueError as e:
        raise ValueError(f"history file {os.fspath(path)!r} is not whitespace-separated "
                         f"columns t T rho: {e}") from None
    if data.shape[0] == 0 or data.shape[1] < 3:
        raise ValueError(f"history file {os.fspath(path)!r} has {data.shape[1] if data.size else 0} "
                         "columns: expected at least 3 (t in s, T in K, rho in g/cm^3)")
    return data[:, 0].copy(), data[:, 1].copy(), data[:, 2].copy()
