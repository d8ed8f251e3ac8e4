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
    """Burn one chunk: one integration per sample with outputs at its ``times`` (c, n_times),
    one ``burn_batch`` call per distinct row of times.

    Returns a dict of numpy arrays: t (c, n_times) the output times, X (c, n_times, n_iso),
    eps_nuc, eps_nu, Ye (c, n_times), n_steps, status (c,), and the wall time in seconds.
    Zones whose integration fails keep whatever the engine returned (NaN where it gave
    nothing) and their nonzero status."""
    net = load_network(network)
    T = 10.0 ** np.asarray(logT, dtype=float)
    rho = 10.0 ** np.asarray(logrho, dtype=float)
    X0 = np.ascontiguousarray(X0, dtype=float)
    times = np.atleast_2d(np.asarray(times, dtype=float))
    c, ni = len(T), X0.shape[1]
    times = np.broadcast_to(times, (c, times.shape[1]))
    nt = times.shape[1]
    out = {"t": times.copy(), "X": np.empty((c, nt, ni)), "eps_nuc": np.empty((c, nt)),
           "eps_nu": np.empty((c, nt)), "Ye": np.empty((c, nt)),
           "n_steps": np.empty(c, np.int64), "status": np.empty(c, np.int32)}
    t0 = time.perf_counter()
    rows, group = np.unique(times, axis=0, return_inverse=True)
    for g, row in enumerate(rows):
        z = np.flatnonzero(group.ravel() == g)
        b = net.burn_batch(T[z], rho[z], X0[z], times=[float(v) for v in row], rtol=rtol,
                           atol=atol, n_threads=n_threads)
        out["X"][z] = np.asarray(b.X, dtype=float).reshape(len(z), nt, ni)
        for k in ("eps_nuc", "eps_nu", "Ye"):
            out[k][z] = np.asarray(getattr(b, k), dtype=float).reshape(len(z), nt)
        out["n_steps"][z] = np.asarray(b.n_steps).reshape(len(z))
        out["status"][z] = np.asarray(b.status).reshape(len(z))
    out["wall"] = time.perf_counter() - t0
    return out
