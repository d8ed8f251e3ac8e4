"""Evaluate NNN emulators against the target network and the small net:
``python -m nnn.evaluate``.

The paper's test (Grichener et al. 2025): ``n_test`` (default 700) cases with (log T, log rho)
from a Sobol sequence inside the models' training domain and silicon-burning compositions
over the approx21 isotopes that both the small net and the target network carry
(:func:`nnn.emulate.sampling.si_burning_compositions`; seed independent of the training set).
For every dt: the NNN prediction and the small net's burn are compared with the target
network's burn (nnn's engine) with the metrics of :mod:`nnn.emulate.metrics` (eqs 3-8).

Isotope mapping: the small net's result is mapped onto the target's isotopes by name
(``neut``/``prot`` = ``n``/``p``).  A target isotope the small net lacks counts as X = 0
for the small net (so its whole abundance is error in Delta X_i); mass the small net keeps in
an isotope the target lacks (e.g. cr60 when absent from the target) is left out of
Delta X_i and reported as ``unmapped_mass``.  Ye, Abar, Zbar and the energies of the small
net come from its own burn (its own isotopes), so they are not affected by the mapping.

Timings are per zone on ONE core (torch.set_num_threads(1), engine n_threads=1):
NNN at batch 1 and 1000, the target engine and the small net (``burn_batch`` at one dt).

Outputs in ``--out``: ``metrics.json`` (the schema of issue 5), ``metrics_full.json``
(plus per-isotope Delta X_i, Abar/Zbar errors, counts), ``table.md``, ``fig3_nz_dt*.png``,
``fig4_errors_vs_dt.png``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from nnn.emulate import metrics as mt
from nnn.emulate import plots
from nnn.emulate.burn import load_network
from nnn.emulate.model import find_models, load_model
from nnn.emulate.sampling import range_arg, si_burning_compositions, sobol_thermo

KEYS = ("dYe_rel", "deps_nuc_rel", "deps_nu_rel", "dX_max")


def _burn(net, T, rho, X, dts, rtol, atol, n_threads):
    b = net.burn_batch(T, rho, X, times=[float(t) for t in dts], rtol=rtol, atol=atol,
                       n_threads=n_threads)
    n, nd = len(T), len(dts)
    return {"X": np.asarray(b.X, float).reshape(n, nd, -1),
            "eps_nuc": np.asarray(b.eps_nuc, float).reshape(n, nd),
            "eps_nu": np.asarray(b.eps_nu, float).reshape(n, nd),
            "status": np.asarray(b.status).reshape(n)}


def _time_engine(net, T, rho, X, dt, rtol, atol):
    t0 = time.perf_counter()
    net.burn_batch(T, rho, X, dt=float(dt), rtol=rtol, atol=atol, n_threads=1)
    return 1e6 * (time.perf_counter() - t0) / len(T)


def _time_nnn(model, x, repeat_b1=200):
    import torch

    xt = torch.from_numpy(np.ascontiguousarray(x, np.float32))
    with torch.inference_mode():
        for _ in range(5):
            model.module(xt[:1])
        ts = []
        for k in range(repeat_b1):
            t0 = time.perf_counter()
            model.module(xt[k % len(xt): k % len(xt) + 1])
            ts.append(time.perf_counter() - t0)
        b1 = 1e6 * float(np.median(ts))
        big = xt[np.arange(1000) % len(xt)]
        model.module(big)
        ts = []
        for _ in range(5):
            t0 = time.perf_counter()
            model.module(big)
            ts.append(time.perf_counter() - t0)
        b1000 = 1e6 * float(np.median(ts)) / 1000
    return b1, b1000


def evaluate(models=None, out="eval", network="mesa_80", small_net="approx21_cr60_plus_co56",
             dts=None, n_test=700, seed=777, logT_range=None, logrho_range=None,
             ye_range=(0.45, 0.5), rtol=1e-6, atol=1e-10, n_timing=64, n_threads=0,
             timing=True, progress=True, small_timing_batch=1000):
    """Run the evaluation; returns the metrics.json dict (written to ``out``)."""
    import torch
    from tqdm.auto import tqdm

    if int(n_test) < 2:
        raise ValueError(f"n_test must be >= 2, got {n_test}")
    from nnn.emulate.model import set_threads

    set_threads(None)
    target = load_network(network)
    loaded = []
    if models is not None:
        files = models if isinstance(models, (list, tuple)) else find_models(models)
        loaded = [load_model(f, network=target) for f in files]
    if loaded:
        mdts = [m.dt for m in loaded]
        if dts is not None:
            missing = [d for d in dts if not any(abs(d - m) <= 1e-6 * d for m in mdts)]
            if missing:
                raise ValueError(f"no model for dt={missing[0]!r}; models have dt "
                                 + ", ".join(f"{d:g}" for d in mdts))
            loaded = [m for m in loaded if any(abs(d - m.dt) <= 1e-6 * d for d in dts)]
        dts = [m.dt for m in loaded]
        dom = [m.meta["domain"] for m in loaded]
        logT_range = logT_range or (max(d["logT"][0] for d in dom), min(d["logT"][1] for d in dom))
        logrho_range = logrho_range or (max(d["logrho"][0] for d in dom),
                                        min(d["logrho"][1] for d in dom))
        ye_range = (max(ye_range[0], max(d["Ye"][0] for d in dom)),
                    min(ye_range[1], min(d["Ye"][1] for d in dom)))
    elif dts is None:
        raise ValueError("give --models (a folder of exported models) or --dt")
    dts = [float(d) for d in dts]
    if any(not (d > 0) for d in dts):
        raise ValueError(f"dt must be > 0, got {dts}")
    logT_range = logT_range or (9.2, 9.8)
    logrho_range = logrho_range or (7.0, 9.5)
    small = load_network(small_net) if small_net else None

    t_iso = list(target.isotopes)
    A_t, Z_t = np.asarray(target.A, float), np.asarray(target.Z, float)
    t_can = [mt.canonical(s) for s in t_iso]
    if small is not None:
        s_can = {mt.canonical(s) for s in small.isotopes}
        common = [i for i, s in enumerate(t_can) if s in s_can]
    else:
        s_can = set()
        common = list(range(len(t_iso)))
    if not common:
        raise ValueError(f"network {target.name!r} and small net {small.name!r} share no "
                         "isotope")
    rng = np.random.default_rng([seed, 7])
    Xc = si_burning_compositions(n_test, [t_can[i] for i in common], A_t[common], Z_t[common],
                                 ye_range=ye_range, rng=rng)
    X0 = np.zeros((n_test, len(t_iso)))
    X0[:, common] = Xc
    logT, logrho = sobol_thermo(n_test, logT_range, logrho_range, seed=seed)
    T, rho = 10.0 ** logT, 10.0 ** logrho

    steps = 2 + (small is not None) + len(loaded)
    bar = tqdm(total=steps, desc="evaluate", disable=not progress)
    bar.set_postfix_str(f"target {target.name}")
    tgt = _burn(target, T, rho, X0, dts, rtol, atol, n_threads)
    bar.update(1)
    sm = None
    if small is not None:
        bar.set_postfix_str(f"small net {small.name}")
        X0s, _ = mt.map_isotopes(X0, t_iso, list(small.isotopes))
        sm = _burn(small, T, rho, X0s, dts, rtol, atol, n_threads)
        bar.update(1)
    ok = tgt["status"] == 0
    if sm is not None:
        ok &= sm["status"] == 0
    if ok.sum() < 2:
        raise RuntimeError(f"only {int(ok.sum())} of {n_test} test burns succeeded")

    results, full = [], []
    nnn_pred = {}
    xin = np.concatenate([logT[:, None], logrho[:, None], X0], axis=1)
    for m in loaded:
        bar.set_postfix_str(f"NNN dt={m.dt:g}")
        nnn_pred[m.dt] = m.predict(logT, logrho, X0)
        bar.update(1)
    for j, dt in enumerate(dts):
        Xt = tgt["X"][ok, j]
        row, frow = {"dt": dt}, {"dt": dt}
        if dt in nnn_pred:
            p = nnn_pred[dt]
            s = mt.summary(p["X"][ok], Xt, p["eps_nuc"][ok], tgt["eps_nuc"][ok, j],
                           p["eps_nu"][ok], tgt["eps_nu"][ok, j], A_t, Z_t)
            row["nnn"] = {k: s[k] for k in KEYS}
            frow["nnn"] = {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                           for k, v in s.items()}
        if sm is not None:
            Xs_own = sm["X"][ok, j]
            Xs_t, unm = mt.map_isotopes(Xs_own, list(small.isotopes), t_iso)
            s = mt.summary(Xs_t, Xt, sm["eps_nuc"][ok, j], tgt["eps_nuc"][ok, j],
                           sm["eps_nu"][ok, j], tgt["eps_nu"][ok, j], A_t, Z_t,
                           A_p=np.asarray(small.A, float), Z_p=np.asarray(small.Z, float),
                           Xown_p=Xs_own)
            row["small_net"] = {k: s[k] for k in KEYS}
            frow["small_net"] = {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                                 for k, v in s.items()}
            frow["small_net"]["unmapped_mass_mean"] = float(unm.mean())
        results.append(row)
        full.append(frow)
    bar.close()

    if timing:
        nt = int(min(n_timing, ok.sum()))
        idx = np.flatnonzero(ok)[:nt]
        old = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            for row, frow in zip(tqdm(results, desc="timing", disable=not progress), full):
                dt = row["dt"]
                us = _time_engine(target, T[idx], rho[idx], X0[idx], dt, rtol, atol)
                row["engine"] = {"us_per_zone": us}
                frow["engine"] = {"us_per_zone": us, "n_zones": nt}
                if sm is not None:
                    big = np.arange(int(small_timing_batch)) % len(idx)
                    X0s, _ = mt.map_isotopes(X0[idx][big], t_iso, list(small.isotopes))
                    us_s = _time_engine(small, T[idx][big], rho[idx][big], X0s, dt, rtol, atol)
                    row["small_net"]["us_per_zone_batch1000"] = us_s
                    frow["small_net"]["us_per_zone_batch1000"] = us_s
                m = next((m for m in loaded if m.dt == dt), None)
                if m is not None:
                    b1, b1000 = _time_nnn(m, xin[ok])
                    row["nnn"]["us_per_zone_batch1000"] = b1000
                    frow["nnn"]["us_per_zone_batch1000"] = b1000
                    frow["nnn"]["us_per_zone_batch1"] = b1
        finally:
            torch.set_num_threads(old)

    doc = {"network": str(target.name), "n_test": int(ok.sum()), "results": results}
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "metrics.json").write_text(json.dumps(doc, indent=1))
    fdoc = {"network": str(target.name), "network_hash": str(target.file_hash),
            "small_net": str(small.name) if small is not None else None,
            "n_cases": int(n_test), "n_test": int(ok.sum()),
            "n_target_failed": int((tgt["status"] != 0).sum()),
            "n_small_failed": int((sm["status"] != 0).sum()) if sm is not None else 0,
            "isotopes": t_iso, "A": A_t.astype(int).tolist(), "Z": Z_t.astype(int).tolist(),
            "test_isotopes": [t_iso[i] for i in common],
            "domain": {"logT": list(logT_range), "logrho": list(logrho_range),
                       "Ye": list(ye_range)},
            "seed": seed, "rtol": rtol, "atol": atol,
            "models": [m.path for m in loaded], "timing_threads": 1, "results": full}
    (out / "metrics_full.json").write_text(json.dumps(fdoc, indent=1))
    (out / "table.md").write_text(table(fdoc))
    _figures(out, fdoc, A_t, Z_t)
    return doc


def _pct(v):
    return "-" if v is None else f"{100 * v:.3g} %"


def table(fdoc) -> str:
    """Markdown table per dt (relative errors in %, dX_max absolute, timings in us/zone)."""
    head = ("| dt [s] | dYe NNN | dYe small | deps_nuc NNN | deps_nuc small | deps_nu NNN | "
            "deps_nu small | dAbar NNN | dAbar small | dX_max NNN | dX_max small | "
            "NNN b1 | NNN b1000 | engine | small net |\n")
    head += "|" + "---|" * 15 + "\n"
    rows = []
    for r in fdoc["results"]:
        n, s = r.get("nnn", {}), r.get("small_net", {})

        def g(d, k, f=_pct):
            return f(d[k]) if k in d else "-"

        us = lambda v: f"{v:.3g}"  # noqa: E731
        rows.append(
            f"| {r['dt']:.0e} | {g(n, 'dYe_rel')} | {g(s, 'dYe_rel')} | {g(n, 'deps_nuc_rel')} | "
            f"{g(s, 'deps_nuc_rel')} | {g(n, 'deps_nu_rel')} | {g(s, 'deps_nu_rel')} | "
            f"{g(n, 'dAbar_rel')} | {g(s, 'dAbar_rel')} | {g(n, 'dX_max', lambda v: f'{v:.2e}')} | "
            f"{g(s, 'dX_max', lambda v: f'{v:.2e}')} | {g(n, 'us_per_zone_batch1', us)} | "
            f"{g(n, 'us_per_zone_batch1000', us)} | {g(r.get('engine', {}), 'us_per_zone', us)} | "
            f"{g(s, 'us_per_zone_batch1000', us)} |")
    note = (f"\n{fdoc['n_test']} test cases on {fdoc['network']} (target) vs NNN and "
            f"{fdoc['small_net']}; relative errors are mean |error| / mean |target| "
            "(eqs 4-8), dX_max = max_i mean |Delta X_i| (eq 3); timings in microseconds per "
            "zone on one core.\n")
    return head + "\n".join(rows) + "\n" + note


def _figures(out, fdoc, A, Z):
    res = fdoc["results"]
    dts = [r["dt"] for r in res]
    for r in res:
        panels = {}
        if "nnn" in r:
            panels["NNN"] = r["nnn"]["dX"]
        if "small_net" in r:
            panels["small net"] = r["small_net"]["dX"]
        if panels:
            plots.fig_nz(out / f"fig3_nz_dt{r['dt']:.0e}.png", A, Z, panels,
                         title=f"{fdoc['network']}, dt = {r['dt']:g} s")
    series = {}
    for key, name in (("dYe_rel", "Ye"), ("dAbar_rel", "Abar"), ("deps_nuc_rel", "eps_nuc"),
                      ("deps_nu_rel", "eps_nu")):
        s = {}
        for who, label in (("nnn", "NNN"), ("small_net", "small net")):
            if all(who in r for r in res):
                s[label] = [r[who][key] for r in res]
        series[name] = s
    plots.fig_vs_dt(out / "fig4_errors_vs_dt.png", dts, series,
                    title=f"errors vs target {fdoc['network']}")


def build_parser():
    p = argparse.ArgumentParser(prog="python -m nnn.evaluate",
                                description=__doc__.split("\n")[0])
    p.add_argument("--models", default=None, help="folder of exported models, or one file")
    p.add_argument("--out", required=True)
    p.add_argument("--network", default="mesa_80", help="target network")
    p.add_argument("--small-net", default="approx21_cr60_plus_co56",
                   help="small net to compare with ('none' to skip)")
    p.add_argument("--dt", default=None, help="comma list of dt (default: every model's dt)")
    p.add_argument("--n-test", type=int, default=700)
    p.add_argument("--seed", type=int, default=777)
    p.add_argument("--logT", type=range_arg, default=None, help="default: the models' domain")
    p.add_argument("--logrho", type=range_arg, default=None)
    p.add_argument("--rtol", type=float, default=1e-6)
    p.add_argument("--atol", type=float, default=1e-10)
    p.add_argument("--n-timing", type=int, default=64, help="zones timed with the engine")
    p.add_argument("--threads", type=int, default=0, help="engine threads for the test burns")
    p.add_argument("--small-timing-batch", type=int, default=1000,
                   help="zones in the small net's timed batch")
    p.add_argument("--no-timing", action="store_true")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv=None):
    a = build_parser().parse_args(argv)
    try:
        dts = [float(v) for v in a.dt.split(",")] if a.dt else None
        doc = evaluate(models=a.models, out=a.out, network=a.network,
                       small_net=None if a.small_net.lower() == "none" else a.small_net,
                       dts=dts, n_test=a.n_test, seed=a.seed, logT_range=a.logT,
                       logrho_range=a.logrho, rtol=a.rtol, atol=a.atol, n_timing=a.n_timing,
                       n_threads=a.threads, timing=not a.no_timing, progress=not a.no_progress,
                       small_timing_batch=a.small_timing_batch)
    except (ValueError, FileNotFoundError) as e:
        print(f"nnn.evaluate: error: {e}", file=sys.stderr)
        return 2
    print((Path(a.out) / "table.md").read_text())
    print(f"wrote {Path(a.out) / 'metrics.json'} ({doc['n_test']} test cases)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
