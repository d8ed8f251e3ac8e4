"""Burning chunks of samples with the engine, in this process or on dask workers."""

from __future__ import annotations

import functools
import time

import numpy as np


def load_network(network):
    """``network`` may be a loaded ``nnn.Network`` (returned as is), a name or a path."""
    if hasattr(network, "burn_batch") and hasattr(network, "isotopes"):
        return network
    return _cached_network(str(network))


@functools.lru_cache(maxsize=8)
def _cached_network(name_or_path: str):
    import nnn

    return nnn.Network.load(name_or_path)


def network_spec(net) -> str:
    """What a dask worker needs to load the same network: its file path when known."""
    for attr in ("path", "file", "filename"):
        p = getattr(net, attr, None)
        if p:
            return str(p)
    return str(net.name)


def burn_chunk(network, logT, logrho, X0, times, rtol, atol, n_threads=0):
    """Burn one chunk: one integration per sample with outputs at ``times``.

    Returns a dict of numpy arrays: X (c, n_times, n_iso), eps_nuc, eps_nu, Ye (c, n_times),
    n_steps, status (c,), and the wall time in seconds.  Zones whose integration fails keep
    whatever the engine returned (NaN where it gave nothing) and their nonzero status."""
    net = load_network(network)
    T = 10.0 ** np.asarray(logT, dtype=float)
    rho = 10.0 ** np.asarray(logrho, dtype=float)
    X0 = np.ascontiguousarray(X0, dtype=float)
    t0 = time.perf_counter()
    b = net.burn_batch(T, rho, X0, times=list(map(float, times)), rtol=rtol, atol=atol,
                       n_threads=n_threads)
    wall = time.perf_counter() - t0
    c, nt, ni = len(T), len(times), X0.shape[1]
    out = {
        "X": np.asarray(b.X, dtype=float).reshape(c, nt, ni),
        "eps_nuc": np.asarray(b.eps_nuc, dtype=float).reshape(c, nt),
        "eps_nu": np.asarray(b.eps_nu, dtype=float).reshape(c, nt),
        "Ye": np.asarray(b.Ye, dtype=float).reshape(c, nt),
        "n_steps": np.asarray(b.n_steps).astype(np.int64).reshape(c),
        "status": np.asarray(b.status).astype(np.int32).reshape(c),
        "wall": wall,
    }
    return out
