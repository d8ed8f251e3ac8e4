"""A shipped model's regression record: its metrics on a small fixed subset of the paper test
set, stored in the model's metadata when it is made and re-measured by the test suite
(tests/emulate/test_shipped_emulators.py) against fresh engine burns.

The subset is the first ``N_CASES`` cases of the ``paper`` test set (fixed by
:data:`nnn.emulate.sampling.TEST_SEED`) at the dt of ``DTS``; the target is the engine at the
evaluation's tolerance.  A change of the engine, the network file or the model file shows up
as a change of these numbers."""

from __future__ import annotations

import numpy as np

from nnn.emulate import metrics as mt

N_CASES = 16
DTS = (1e-6, 1e-3, 1.0, 100.0)
KEYS = ("eq6_rel", "ye_rel", "eps_nuc_rel", "eps_nu_rel")


def record(model, network, small_net=None, n_cases=N_CASES, dts=DTS, n_threads=None) -> dict:
    """Metrics of ``model`` (a loaded model with ``predict``) on the regression subset:
    {"n_cases", "dts", key: [value per dt], "persistence": {key: [...]}}.  ``small_net``
    (whose shared isotopes the paper set is drawn on) and ``n_threads`` default to the
    evaluation's (:data:`nnn.emulate.evaluate.SMALL_NET`, ``DEFAULT_THREADS``)."""
    from nnn.emulate.burn import load_network
    from nnn.emulate.evaluate import DEFAULT_THREADS, SMALL_NET, TARGET_TOL, _engine, set_inputs

    small_net = SMALL_NET if small_net is None else small_net
    n_threads = DEFAULT_THREADS if n_threads is None else n_threads

    target = load_network(network)
    small = load_network(small_net) if small_net else None
    inp = set_inputs("paper", int(n_cases), target, small)
    ref = _engine(target, inp["logT"], inp["logrho"], inp["X0"], dts, TARGET_TOL, n_threads)
    if np.any(ref["status"] != 0):
        raise RuntimeError(f"the engine failed on regression case(s) "
                           f"{np.flatnonzero(ref['status'] != 0).tolist()}")
    A, Z = np.asarray(target.A, float), np.asarray(target.Z, float)
    out = {"n_cases": int(n_cases), "dts": [float(t) for t in dts]}
    zero = np.zeros(int(n_cases))
    per = {"model": {k: [] for k in KEYS}, "persistence": {k: [] for k in KEYS}}
    for j, dt in enumerate(dts):
        p = model.predict(inp["logT"], inp["logrho"], inp["X0"], dt)
        for who, (X, en, ev) in (("model", (p["X"], p["eps_nuc"], p["eps_nu"])),
                                 ("persistence", (inp["X0"], zero, zero))):
            s = mt.score(X, ref["X"][:, j], inp["X0"], en, ref["eps_nuc"][:, j], ev,
                         ref["eps_nu"][:, j], A, Z)
            for k in KEYS:
                per[who][k].append(float(s[k]))
    out.update(per["model"])
    out["persistence"] = per["persistence"]
    return out
