"""Evaluate a burn-step predictor against the target network, with the paper's metrics and
baselines: ``python -m nnn.evaluate``.

    python -m nnn.evaluate --model PATH --network mesa_80 --out DIR [--sets paper,train-like,ood]
                           [--n-test 700]
    python -m nnn.evaluate --model persistence --network mesa_80 --out DIR   # baselines only

A *predictor* is any callable ``predict(logT (n,), logrho (n,), X0 (n, n_iso), dt) -> {"X":
(n, n_iso), "eps_nuc": (n,) erg/g over dt, "eps_nu": (n,) erg/g/s, optional "err": (n,)}``
with dt (s) a scalar or (n,): an emulator file (``nnn.emulate.model.load_model(path).predict``)
or :func:`persistence` (X = X0, eps = 0).

Test sets (one fixed seed, :data:`nnn.emulate.sampling.TEST_SEED`, which training-set
generation refuses), (log T, log rho) from a scrambled Sobol sequence over the training
domain (the defaults of :class:`nnn.emulate.dataset.DatasetSpec`):

``paper``
    as the paper's test (its section 3): silicon-burning compositions over the approx21
    isotopes that the target also has, Ye uniform in 0.45-0.5
    (:func:`~nnn.emulate.sampling.paper_test_compositions`).  The cases with
    0.45 <= Ye < 0.464 (which carry free neutrons: no heavy nucleus of approx21 within
    mesa_80 is that neutron-rich) are also reported on their own (subset ``ye<0.464``), and
    the rest as ``ye>=0.464``.
``train-like``
    drawn as the training set is (``random_compositions`` + ``sobol_thermo``).
``ood``
    equilibrated Fe-group ashes: neutron-rich Fe-group seed mixtures
    (:func:`~nnn.emulate.sampling.ood_seed_compositions`) burned by the engine at a hot
    point (log T 9.6-9.8, log rho 7.5-9, for 1, 10 or 100 s) and then put at a fresh
    (T, rho).  A QSE/NSE-like composition over every isotope, which the training sampler
    never draws, and what a stellar code hands the emulator after its first step.

Every set is burned once by the engine at the nine dt (1e-6 .. 100 s, one integration per
case) at rtol 1e-8 / atol 1e-12 (the *target*), again at the generation tolerance
rtol 1e-6 / atol 1e-10 (the *noise floor*: how far the training targets themselves are from
the target), and by the small net; all cached in an HDF5 file per set keyed by the
network hashes, the seed, the size and the settings (resumable, chunk by chunk).

Predictors scored on every set, on the same cases: the model (``nnn``), ``small_net``
(approx21_cr60_plus_co56: the test composition mapped onto its isotopes by name, mass in
isotopes it lacks dropped and the rest renormalised -- none is dropped on the ``paper``
set; a case with no mass left counts as a small-net failure; its result mapped back, see
:mod:`nnn.emulate.metrics`), ``persistence`` and
``noise_floor``.  Cases where the target burn failed cannot be scored: they are counted
and listed.  Cases where the small net failed are left out of the small net's scores only:
every other predictor still scores them, and their scores on exactly those cases are
reported in ``small_net_failed``.  Metrics: :mod:`nnn.emulate.metrics` (the paper's eqs 3-8
and nnn's additions).

Outputs in ``--out``: ``metrics.json``, ``table.md`` (every metric and predictor per dt),
``fig3_<set>_dt<dt>.png`` (paper Fig 3: dX_i on the N-Z plane) and ``fig4_<set>.png``
(paper Fig 4: errors against dt).  Timing is not done here (``benchmarks/``).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from nnn import _core
from nnn.cli import Parser
from nnn.emulate import metrics as mt
from nnn.emulate import sampling as sp
from nnn.emulate.burn import load_network
from nnn.emulate.dataset import DEFAULT_NETWORK, DEFAULT_TIMES, DatasetSpec

#: The comparison small net of the paper (MESA's approx21_cr60_plus_co56).
SMALL_NET = "approx21_cr60_plus_co56"
#: The target's tolerances: the engine's defaults (``nnn._core.DEFAULTS``, defined in
#: src/cpp/nnn/defaults.hpp).
TARGET_TOL = {"rtol": _core.DEFAULTS["rtol"], "atol": _core.DEFAULTS["atol"]}
#: The generation tolerances (the noise floor's): those training sets are made with.
GENERATION_TOL = {"rtol": DatasetSpec.rtol, "atol": DatasetSpec.atol}
#: The test domain: the training domain's defaults.
DOMAIN = {"logT": DatasetSpec.logT_range, "logrho": DatasetSpec.logrho_range,
          "Ye": DatasetSpec.ye_range}
#: Upper edge of the paper set's neutron-rich subset: Z/A of fe56, the most neutron-rich
#: heavy approx21 nucleus that mesa_80 also has.
PAPER_LOW_YE = 26.0 / 56.0
#: The ``ood`` seeds' equilibration: log T, log rho ranges and the times (s) to pick from.
OOD_PREBURN = {"logT": (9.6, 9.8), "logrho": (7.5, 9.0), "times": (1.0, 10.0, 100.0)}
OOD_YE = (0.46, 0.5)
DEFAULT_N_TEST = 700
#: Engine threads for the test-set burns (the CLI's --threads).
DEFAULT_THREADS = 2
#: The recipe version of each set's inputs (part of the cache key).
SET_VERSIONS = {"paper": 1, "train-like": 1, "ood": 2}
#: The small net's status for a case with no mass in its isotopes (not burned by it).
UNMAPPABLE = -100
CHUNK = 50
PREDICTORS = ("nnn", "small_net", "persistence", "noise_floor")
LABELS = {"nnn": "NNN", "small_net": "small net", "persistence": "persistence",
          "noise_floor": "noise floor"}


# ------------------------------------------------------------------------------ predictors

def persistence(logT, logrho, X0, dt) -> dict:
    """The do-nothing predictor: X(dt) = X0, eps_nuc = eps_nu = 0."""
    X0 = np.atleast_2d(np.asarray(X0, float))
    return {"X": X0.copy(), "eps_nuc": np.zeros(len(X0)), "eps_nu": np.zeros(len(X0))}


def make_predictor(model, network):
    """``model``: "persistence", a predictor callable, an object with ``predict``, or a path
    (file, or a folder with one ``*.pt``) / network name of an emulator model."""
    if model is None or (isinstance(model, str) and model == "persistence"):
        return None
    if callable(model) and not isinstance(model, (str, Path)):
        return model
    if hasattr(model, "predict"):
        return model.predict
    from nnn.emulate.model import load_model

    p = Path(model)
    if p.is_dir():
        files = sorted(p.glob("*.pt"))
        if len(files) != 1:
            raise FileNotFoundError(f"model folder {str(p)!r} holds {len(files)} *.pt files; "
                                    "give the model file")
        p = files[0]
    return load_model(p if p.exists() else str(model), network=network).predict


def _check_prediction(name, pred, n, n_iso, dt):
    for key, shape in (("X", (n, n_iso)), ("eps_nuc", (n,)), ("eps_nu", (n,))):
        if key not in pred:
            raise ValueError(f"predictor {name!r} returned no {key!r} at dt={dt!r}")
        v = np.asarray(pred[key], float)
        if v.shape != shape:
            raise ValueError(f"predictor {name!r}: {key} has shape {v.shape} at dt={dt!r}, "
                             f"expected {shape}")
        bad = np.flatnonzero(~np.isfinite(v.reshape(n, -1)).all(axis=1))
        if bad.size:
            raise ValueError(f"predictor {name!r} returned a non-finite {key} at dt={dt!r} "
                             f"for test case {int(bad[0])} ({bad.size} cases)")
    if "err" in pred and np.asarray(pred["err"]).shape != (n,):
        raise ValueError(f"predictor {name!r}: err has shape {np.shape(pred['err'])}, "
                         f"expected {(n,)}")


# ------------------------------------------------------------------------------- test sets

@dataclass
class EvalSet:
    """The inputs and the engine's burns of one test set (all arrays over the n cases)."""
    name: str
    logT: np.ndarray
    logrho: np.ndarray
    X0: np.ndarray                 # (n, n_iso) on the target's isotopes
    dts: tuple
    target: dict                   # X (n, n_dt, n_iso), eps_nuc, eps_nu (n, n_dt), status (n,)
    floor: dict
    small: dict | None             # X on the small net's isotopes, X0 (mapped), unmapped0
    info: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.logT)


def _shared(target, small):
    if small is None:
        return np.arange(len(target.isotopes))
    s = {mt.canonical(v) for v in small.isotopes}
    idx = np.array([i for i, v in enumerate(target.isotopes) if mt.canonical(v) in s])
    if idx.size == 0:
        raise ValueError(f"network {target.name!r} and small net {small.name!r} share no "
                         "isotope")
    return idx


def set_inputs(name, n, target, small=None) -> dict:
    """(log T, log rho, X0 [, ood seeds]) of test set ``name``; the ``ood`` compositions
    still need the engine's equilibration (:func:`load_test_set`).  Deterministic from
    ``TEST_SEED``, and the first k cases of a set of n are the set of k (a regression test
    can burn a few cases and compare them with the stored metrics of the full set)."""
    A = np.asarray(target.A, float)
    Z = np.asarray(target.Z, float)
    iso = [mt.canonical(s) for s in target.isotopes]
    thermo = sp.sobol_thermo(n, DOMAIN["logT"], DOMAIN["logrho"], seed=sp.eval_set_rng(name, 1))
    rng = sp.eval_set_rng(name, 0)
    out = {"logT": thermo[0], "logrho": thermo[1]}
    if name == "paper":
        idx = _shared(target, small)
        X = np.zeros((n, len(iso)))
        X[:, idx] = sp.paper_test_compositions(n, [iso[i] for i in idx], A[idx], Z[idx],
                                               ye_range=DOMAIN["Ye"], rng=rng)
        out["X0"] = X
    elif name == "train-like":
        out["X0"] = sp.random_compositions(n, iso, A, Z, ye_range=DOMAIN["Ye"],
                                           frac_broad=DatasetSpec.frac_broad, rng=rng)[0]
    elif name == "ood":
        out["seed_X"] = sp.ood_seed_compositions(n, iso, A, Z, ye_range=OOD_YE, rng=rng)
        # one row of three uniforms per case, so that the first k cases of a set of n are
        # the set of k (as for the Sobol points and the compositions)
        u = sp.eval_set_rng(name, 2).random((n, 3))
        lo, hi = np.array([OOD_PREBURN["logT"], OOD_PREBURN["logrho"]]).T
        out["pre_logT"] = lo[0] + (hi[0] - lo[0]) * u[:, 0]
        out["pre_logrho"] = lo[1] + (hi[1] - lo[1]) * u[:, 1]
        out["pre_time_index"] = np.minimum((u[:, 2] * len(OOD_PREBURN["times"])).astype(int),
                                           len(OOD_PREBURN["times"]) - 1)
    else:
        raise ValueError(f"test set must be one of {sp.TEST_SETS}, got {name!r}")
    return out


def _engine(net, logT, logrho, X, times, tol, n_threads):
    b = net.burn_batch(10.0 ** np.asarray(logT, float), 10.0 ** np.asarray(logrho, float),
                       np.ascontiguousarray(X, float), times=[float(t) for t in times],
                       n_threads=n_threads, **tol)
    c, nt = len(logT), len(times)
    return {"X": np.asarray(b.X, float).reshape(c, nt, -1),
            "eps_nuc": np.asarray(b.eps_nuc, float).reshape(c, nt),
            "eps_nu": np.asarray(b.eps_nu, float).reshape(c, nt),
            "status": np.asarray(b.status).astype(np.int32).reshape(c)}


def _normalise(X):
    X = np.clip(np.asarray(X, float), 0.0, None)
    return X / X.sum(axis=1, keepdims=True)


def cache_path(cache_dir, name, n, target, small) -> Path:
    """The HDF5 cache of test set ``name``: keyed by the network hashes, seed, size, the dt
    and the tolerances (a new key never reuses a stale file)."""
    key = json.dumps({"set": name, "n": int(n), "seed": sp.TEST_SEED,
                      "target": target.file_hash, "small": small.file_hash if small else None,
                      "dts": list(DEFAULT_TIMES), "target_tol": TARGET_TOL,
                      "floor_tol": GENERATION_TOL, "domain": DOMAIN, "ood": OOD_PREBURN,
                      "ood_ye": OOD_YE, "version": SET_VERSIONS[name]}, sort_keys=True)
    h = hashlib.sha256(key.encode()).hexdigest()[:12]
    return Path(cache_dir) / f"{name}_{target.name}_n{n}_seed{sp.TEST_SEED}_{h}.h5"


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "nnn" / "testsets"


def load_test_set(name, n=DEFAULT_N_TEST, network=DEFAULT_NETWORK, small_net=SMALL_NET,
                  cache_dir=None, n_threads=DEFAULT_THREADS, progress=True) -> EvalSet:
    """Build (or resume, or read) test set ``name``: its inputs and every engine burn."""
    import h5py
    from tqdm.auto import tqdm

    if int(n) < 2:
        raise ValueError(f"n_test must be >= 2, got {n!r}")
    n = int(n)
    target = load_network(network)
    small = load_network(small_net) if small_net else None
    path = cache_path(cache_dir or default_cache_dir(), name, n, target, small)
    path.parent.mkdir(parents=True, exist_ok=True)
    dts = tuple(DEFAULT_TIMES)
    n_chunks = math.ceil(n / CHUNK)
    chunks = [slice(i * CHUNK, min(n, (i + 1) * CHUNK)) for i in range(n_chunks)]
    stages = (["equilibrate"] if name == "ood" else []) + ["target", "floor"] + \
        (["small"] if small is not None else [])
    with h5py.File(path, "a") as f:
        if "inputs" not in f:
            g = f.create_group("inputs")
            for k, v in set_inputs(name, n, target, small).items():
                g[k] = v
            f.attrs.update({"set": name, "n": n, "seed": sp.TEST_SEED,
                            "network": str(target.name), "network_hash": target.file_hash,
                            "small_net": str(small.name) if small else "",
                            "small_net_hash": small.file_hash if small else ""})
        todo = [(s, i) for s in stages for i in range(n_chunks)
                if not (f"done_{s}" in f and f[f"done_{s}"][i])]
        bar = tqdm(total=len(todo), desc=f"test set {name}", disable=not progress)
        for stage, i in todo:
            bar.set_postfix_str(stage)
            _burn_stage(f, stage, chunks[i], n, target, small, dts, n_threads)
            if f"done_{stage}" not in f:
                f[f"done_{stage}"] = np.zeros(n_chunks, bool)
            f[f"done_{stage}"][i] = True
            f.flush()
            bar.update(1)
        bar.close()
        inp = {k: f["inputs"][k][()] for k in f["inputs"]}
        X0 = f["X0"][()] if "X0" in f else inp["X0"]
        read = lambda g: {k: f[g][k][()] for k in f[g]}  # noqa: E731
        info = {"cache": str(path)}
        if name == "ood":
            info["equilibration_failed"] = np.flatnonzero(f["equilibrate_status"][()] != 0)
        return EvalSet(name, inp["logT"], inp["logrho"], X0, dts, read("target"),
                       read("floor"), read("small") if small is not None else None, info)


def _put(f, group, key, sl, value, n):
    g = f.require_group(group)
    if key not in g:
        g.create_dataset(key, shape=(n,) + value.shape[1:], dtype=value.dtype)
    g[key][sl] = value


def _burn_stage(f, stage, sl, n, target, small, dts, n_threads):
    inp = f["inputs"]
    logT, logrho = inp["logT"][sl], inp["logrho"][sl]
    if stage == "equilibrate":
        times = OOD_PREBURN["times"]
        r = _engine(target, inp["pre_logT"][sl], inp["pre_logrho"][sl], inp["seed_X"][sl],
                    times, GENERATION_TOL, n_threads)
        pick = inp["pre_time_index"][sl]
        X = r["X"][np.arange(len(pick)), pick]
        ok = (r["status"] == 0) & np.isfinite(X).all(axis=1)
        # a failed equilibration keeps its seed mixture (listed in info)
        X = np.where(ok[:, None], X, inp["seed_X"][sl])
        if "X0" not in f:
            f.create_dataset("X0", shape=(n, X.shape[1]), dtype=float)
            f.create_dataset("equilibrate_status", shape=(n,), dtype=np.int32)
        f["X0"][sl] = _normalise(X)
        f["equilibrate_status"][sl] = r["status"]
        return
    X0 = f["X0"][sl] if "X0" in f else inp["X0"][sl]
    if stage in ("target", "floor"):
        r = _engine(target, logT, logrho, X0, dts, TARGET_TOL if stage == "target" else
                    GENERATION_TOL, n_threads)
        for k, v in r.items():
            _put(f, stage, k, sl, v, n)
    else:
        Xs, unm = mt.map_isotopes(X0, target.isotopes, small.isotopes)
        # a case with no mass in the small net's isotopes cannot be given to it: it counts
        # as a small-net failure (status UNMAPPABLE) and burns a placeholder
        empty = Xs.sum(axis=1) < 1e-10
        Xs[empty] = 1.0
        cut = unm > 0        # only compositions that lost mass are renormalised
        Xs[cut] /= Xs[cut].sum(axis=1, keepdims=True)
        r = _engine(small, logT, logrho, Xs, dts, TARGET_TOL, n_threads)
        r["status"][empty] = UNMAPPABLE
        r["X0"] = Xs
        r["unmapped0"] = unm
        for k, v in r.items():
            _put(f, "small", k, sl, v, n)


# --------------------------------------------------------------------------------- scoring

def _json(v):
    if isinstance(v, dict):
        return {k: _json(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        return [_json(x) for x in np.asarray(v).tolist()] if isinstance(v, np.ndarray) \
            else [_json(x) for x in v]
    if isinstance(v, (float, np.floating)):
        return float(v) if np.isfinite(v) else None
    if isinstance(v, np.integer):
        return int(v)
    return v


def predictions(ts: EvalSet, predictor, target, small, j) -> dict:
    """Every predictor's result at dt index ``j``, on the target's isotopes, with what
    :func:`nnn.emulate.metrics.score` needs beside X and the energies."""
    n_iso = ts.X0.shape[1]
    dt = ts.dts[j]
    out = {}
    if predictor is not None:
        p = predictor(ts.logT, ts.logrho, ts.X0, dt)
        _check_prediction("nnn", p, ts.n, n_iso, dt)
        out["nnn"] = {"X": np.asarray(p["X"], float), "eps_nuc": np.asarray(p["eps_nuc"]),
                      "eps_nu": np.asarray(p["eps_nu"]), "extra": {}}
        if "err" in p:
            out["nnn"]["extra"]["err_p"] = np.asarray(p["err"], float)
    if small is not None:
        Xown = ts.small["X"][:, j]
        Xm, unm = mt.map_isotopes(Xown, small.isotopes, target.isotopes)
        A_s, Z_s = np.asarray(small.A, float), np.asarray(small.Z, float)
        only = mt.unmapped_mask(small.isotopes, target.isotopes)
        # failed small-net burns (no composition) give inf/NaN here; they are masked out
        with np.errstate(divide="ignore", invalid="ignore"):
            abar_own = sp.abar_zbar(Xown, A_s, Z_s)[0]
        out["small_net"] = {
            "X": Xm, "eps_nuc": ts.small["eps_nuc"][:, j], "eps_nu": ts.small["eps_nu"][:, j],
            "extra": {"Ye_p": sp.electron_fraction(Xown, A_s, Z_s),
                      "Abar_p": abar_own, "unmapped_p": unm,
                      "unmapped_zeta_p": Xown[:, only] @ (Z_s[only] / A_s[only])}}
    per = persistence(ts.logT, ts.logrho, ts.X0, dt)
    out["persistence"] = {**per, "extra": {}}
    out["noise_floor"] = {"X": ts.floor["X"][:, j], "eps_nuc": ts.floor["eps_nuc"][:, j],
                          "eps_nu": ts.floor["eps_nu"][:, j], "extra": {}}
    return out


def _score(p, ts, j, mask, A, Z):
    return mt.score(p["X"][mask], ts.target["X"][mask, j], ts.X0[mask], p["eps_nuc"][mask],
                    ts.target["eps_nuc"][mask, j], p["eps_nu"][mask],
                    ts.target["eps_nu"][mask, j], A, Z,
                    **{k: v[mask] for k, v in p["extra"].items()})


def subsets(ts: EvalSet, A, Z) -> dict:
    """Named case masks of a set (target burn succeeded)."""
    ok = ts.target["status"] == 0
    out = {"all": ok}
    if ts.name == "paper":
        low = sp.electron_fraction(ts.X0, A, Z) < PAPER_LOW_YE
        out["ye<0.464"] = ok & low
        out["ye>=0.464"] = ok & ~low
    return out


def score_set(ts: EvalSet, predictor, target, small) -> dict:
    """All metrics of every predictor on test set ``ts`` at its nine dt."""
    A, Z = np.asarray(target.A, float), np.asarray(target.Z, float)
    subs = subsets(ts, A, Z)
    ok_t = subs["all"]
    ok_s = ok_t & (ts.small["status"] == 0) if small is not None else ok_t
    ok_f = ts.floor["status"] == 0
    failed_s = ok_t & ~ok_s
    doc = {"n_cases": ts.n, "n_target_failed": int((~ok_t).sum()),
           "target_failed_cases": np.flatnonzero(~ok_t),
           "n_small_failed": int(failed_s.sum()) if small is not None else None,
           "small_failed_cases": np.flatnonzero(failed_s),
           "n_floor_failed": int((ok_t & ~ok_f).sum()),
           "ye0_range": [float(v) for v in (lambda y: (y.min(), y.max()))(
               sp.electron_fraction(ts.X0, A, Z))],
           "subsets": {k: {"n": int(m.sum()), "results": []} for k, m in subs.items()},
           "small_net_failed": []}
    if small is not None:
        doc["small_net_unmapped_initial_mass"] = {"mean": float(ts.small["unmapped0"].mean()),
                                                  "max": float(ts.small["unmapped0"].max())}
    if "equilibration_failed" in ts.info:
        doc["ood_equilibration_failed_cases"] = ts.info["equilibration_failed"]
    own_ok = {"small_net": ok_s, "noise_floor": ok_f}    # a predictor's own failures
    for j, dt in enumerate(ts.dts):
        preds = predictions(ts, predictor, target, small, j)
        for sname, mask in subs.items():
            row = {"dt": dt, "predictors": {}}
            for who, p in preds.items():
                m = mask & own_ok.get(who, True)
                if m.any():
                    row["predictors"][who] = _score(p, ts, j, m, A, Z)
            doc["subsets"][sname]["results"].append(row)
        if failed_s.any():
            row = {"dt": dt, "n": int(failed_s.sum()), "predictors": {}}
            for who, p in preds.items():
                m = failed_s & own_ok.get(who, True)
                if who != "small_net" and m.any():
                    row["predictors"][who] = _score(p, ts, j, m, A, Z)
            doc["small_net_failed"].append(row)
    return doc


# ----------------------------------------------------------------------------- the command

def evaluate(model="persistence", out="eval", network=DEFAULT_NETWORK, sets=sp.TEST_SETS,
             n_test=DEFAULT_N_TEST, small_net=SMALL_NET, cache_dir=None,
             n_threads=DEFAULT_THREADS,
             progress=True, figures=True) -> dict:
    """Run the evaluation; returns the metrics.json dict (also written to ``out``)."""
    target = load_network(network)
    small = load_network(small_net) if small_net else None
    sets = [sets] if isinstance(sets, str) else list(sets)
    for s in sets:
        if s not in sp.TEST_SETS:
            raise ValueError(f"test set must be one of {sp.TEST_SETS}, got {s!r}")
    if int(n_test) < 2:
        raise ValueError(f"n_test must be >= 2, got {n_test!r}")
    predictor = make_predictor(model, target)
    doc = {"network": str(target.name), "network_hash": target.file_hash,
           "small_net": str(small.name) if small else None,
           "small_net_hash": small.file_hash if small else None,
           "model": model if isinstance(model, str) else str(getattr(model, "path", model)),
           "test_seed": sp.TEST_SEED, "n_test": int(n_test), "dts": list(DEFAULT_TIMES),
           "target_tol": TARGET_TOL, "noise_floor_tol": GENERATION_TOL, "domain": DOMAIN,
           "isotopes": list(target.isotopes), "A": [int(a) for a in target.A],
           "Z": [int(z) for z in target.Z], "sets": {}}
    for name in sets:
        ts = load_test_set(name, n_test, target, small, cache_dir, n_threads, progress)
        doc["sets"][name] = score_set(ts, predictor, target, small)
        doc["sets"][name]["cache"] = ts.info["cache"]
    doc = _json(doc)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(doc, indent=1))
    (out / "table.md").write_text(table(doc))
    if figures:
        from nnn.emulate import plots

        plots.evaluation_figures(out, doc)
    return doc


#: Table rows: (key, heading, paper's definition?)
TABLE_METRICS = (
    ("eq6_rel", "paper eq 6 / mean Ye (sum_i Z_i/A_i |dX_i|)", True),
    ("ye_rel", "|Ye - Ye_t| / mean Ye", False),
    ("eps_nuc_rel", "eps_nuc: paper eq 7, mean |err| / mean |target|", True),
    ("eps_nuc_rel_median", "eps_nuc: median per-test |err|/|target|", False),
    ("eps_nuc_rel_p95", "eps_nuc: 95th percentile per-test |err|/|target|", False),
    ("eps_nu_rel", "eps_nu: paper eq 8, mean |err| / mean |target|", True),
    ("eps_nu_rel_median", "eps_nu: median per-test |err|/|target|", False),
    ("eps_nu_rel_p95", "eps_nu: 95th percentile per-test |err|/|target|", False),
    ("ye_change_rel", "change in Ye: mean |dYe_p - dYe_t| / mean |dYe_t|", False),
    ("X_change_rel", "change in X: mean sum_i |dX_p - dX_t| / mean sum_i |dX_t|", False),
    ("abar_change_rel", "change in Abar: mean |dAbar_p - dAbar_t| / mean |dAbar_t|", False),
    ("abar_rel", "Abar: mean |Abar - Abar_t| / mean Abar_t", False),
    ("dX_max", "max_i dX_i (paper eqs 3-4)", True),
    ("eq5_rel_p95", "95th percentile per-test eq 5 / Ye_t", False),
    ("err_catch", "error estimate: worst 5 % caught at 10 % fallback", False),
)


def _fmt(v):
    return "-" if v is None else f"{v:.3g}"


def table(doc) -> str:
    """Markdown: per test set and subset, one table per metric (rows dt, columns
    predictors)."""
    lines = [f"# Evaluation on {doc['network']} (model: {doc['model']})", "",
             f"Test seed {doc['test_seed']}, {doc['n_test']} cases per set; target: the engine "
             f"at rtol {doc['target_tol']['rtol']:g} / atol {doc['target_tol']['atol']:g}; "
             f"noise floor: the engine at rtol {doc['noise_floor_tol']['rtol']:g} / atol "
             f"{doc['noise_floor_tol']['atol']:g}; small net: {doc['small_net']}.  Relative "
             "errors as fractions (0.01 = 1 %).  Definitions: docs/emulators.md, \"Metrics\" "
             "(paper: eqs 3-8 of Grichener et al. 2025; the others are nnn's).", ""]
    for name, s in doc["sets"].items():
        lines += [f"## Test set `{name}`", "",
                  f"{s['n_cases']} cases, initial Ye {s['ye0_range'][0]:.4f}-"
                  f"{s['ye0_range'][1]:.4f}; target failed on {s['n_target_failed']} "
                  f"(not scored: {s['target_failed_cases']}); small net failed on "
                  f"{s['n_small_failed']} (scored for the other predictors, below); noise-floor "
                  f"burn failed on {s['n_floor_failed']}."]
        if "small_net_unmapped_initial_mass" in s:
            u = s["small_net_unmapped_initial_mass"]
            lines.append(f"Initial mass in isotopes the small net lacks (dropped, rest "
                         f"renormalised): mean {u['mean']:.3g}, max {u['max']:.3g}.")
        if s.get("ood_equilibration_failed_cases"):
            lines.append(f"Equilibration failed (seed mixture kept): "
                         f"{s['ood_equilibration_failed_cases']}.")
        lines.append("")
        for sub, block in s["subsets"].items():
            res = block["results"]
            who = [w for w in PREDICTORS if any(w in r["predictors"] for r in res)]
            lines += [f"### `{name}`, cases: {sub} ({block['n']})", ""]
            for key, head, paper in TABLE_METRICS:
                if not any(key in r["predictors"].get(w, {}) for r in res for w in who):
                    continue
                lines += [f"**{head}**{' (paper)' if paper else ''}", "",
                          "| dt [s] | " + " | ".join(LABELS[w] for w in who) + " |",
                          "|---" * (len(who) + 1) + "|"]
                for r in res:
                    lines.append(f"| {r['dt']:.0e} | " + " | ".join(
                        _fmt(r["predictors"].get(w, {}).get(key)) for w in who) + " |")
                lines.append("")
        if s["small_net_failed"]:
            lines += [f"### `{name}`: the {s['n_small_failed']} cases where the small net "
                      "failed", "", "| dt [s] | predictor | eq6_rel | ye_rel | eps_nuc_rel | "
                      "eps_nu_rel |", "|---|---|---|---|---|---|"]
            for r in s["small_net_failed"]:
                for w, m in r["predictors"].items():
                    lines.append(f"| {r['dt']:.0e} | {LABELS[w]} | {_fmt(m['eq6_rel'])} | "
                                 f"{_fmt(m['ye_rel'])} | {_fmt(m['eps_nuc_rel'])} | "
                                 f"{_fmt(m['eps_nu_rel'])} |")
            lines.append("")
    return "\n".join(lines) + "\n"


def build_parser():
    p = Parser(prog="python -m nnn.evaluate",
                                description=__doc__.split("\n")[0])
    p.add_argument("--model", "--models", dest="model", default="persistence",
                   help="emulator model file (or folder with one *.pt, or a network name for "
                        "the shipped model); 'persistence' scores only the baselines")
    p.add_argument("--out", required=True)
    p.add_argument("--network", default=DEFAULT_NETWORK, help="target network")
    p.add_argument("--small-net", default=SMALL_NET, help="small net ('none' to skip)")
    p.add_argument("--sets", default=",".join(sp.TEST_SETS),
                   help=f"comma list of test sets ({', '.join(sp.TEST_SETS)})")
    p.add_argument("--n-test", type=int, default=DEFAULT_N_TEST, help="cases per test set")
    p.add_argument("--cache", default=None,
                   help=f"test-set cache folder (default {default_cache_dir()})")
    p.add_argument("--threads", type=int, default=DEFAULT_THREADS,
                   help="engine threads for the test burns")
    p.add_argument("--no-figures", action="store_true")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv=None):
    a = build_parser().parse_args(argv)
    try:
        evaluate(model=a.model, out=a.out, network=a.network,
                 sets=[s.strip() for s in a.sets.split(",") if s.strip()], n_test=a.n_test,
                 small_net=None if a.small_net.lower() == "none" else a.small_net,
                 cache_dir=a.cache, n_threads=a.threads, progress=not a.no_progress,
                 figures=not a.no_figures)
    except (ValueError, FileNotFoundError) as e:
        print(f"nnn.evaluate: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {Path(a.out) / 'metrics.json'} and {Path(a.out) / 'table.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
