"""Multi-step accuracy of the emulator: chain N steps of the same dt and compare
with the integrator, reporting how Delta Ye and Delta X grow with the number of
steps (named as open work by the paper).

    python benchmarks/emulator_multistep.py run/models                 # network from the metadata
    python benchmarks/emulator_multistep.py run/models --dt 1e-3 --steps 100 --zones 32 --json ms.json

For n zones sampled inside the model's training domain (T, rho constant, as in
an operator-split burn step; silicon-burning compositions), the emulator path
(``nnn.Emulator.burn_batch``, as a stellar code calls it: per-zone domain
check and fallback included) is applied ``--steps`` times, each step starting
from the previous step's output. The reference is one integration per zone
with outputs at dt, 2 dt, ..., N dt (the integrator's own chained answer, to
its tolerance). Per step k the script prints, over the zones, the median and
max of

- |Delta Ye| = |Ye_emulator - Ye_integrator|,
- max_i |Delta X_i| (absolute),
- |Delta log10 X| averaged over isotopes with X_ref > 1e-6 (the paper's metric),
- the relative error of the energy released so far (sum of eps_nuc dt-steps),
- the fraction of zones whose step k was done by the integrator (fallback),

and fits the growth exponent p of median |Delta Ye| ~ k^p (p ~ 1: systematic
drift adds up; p ~ 0.5: random-walk; p ~ 0: errors do not accumulate).
Any model directory works: the numbers describe the model given.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

import nnn
from nnn.emulator import has_libtorch

REPORT_STEPS = (1, 2, 3, 5, 10, 20, 30, 50, 70, 100, 200, 500, 1000)


def sample_zones(net, n, domain, seed=0):
    """n zones inside the domain: T, rho uniform in log (5 % margin), X a
    Dirichlet mixture of silicon-burning species, Ye inside the domain."""
    rng = np.random.default_rng(seed)
    lt, lr, ye = domain["logT"], domain["logrho"], domain["Ye"]
    names = [s for s in ("si28", "s32", "ar36", "ca40", "ni56", "fe54", "fe56") if s in net.isotopes]
    idx = [net.isotopes.index(s) for s in names]
    T, rho, X = [], [], []
    tries = 0
    while len(T) < n:
        tries += 1
        if tries > 1000 * n:
            sys.exit(f"could not sample compositions with Ye in {ye} from {names}")
        x = np.zeros(net.n_species)
        x[idx] = rng.dirichlet(np.ones(len(idx)) * 0.7)
        y = net.Ye(x)
        if not (ye[0] <= y <= ye[1]):
            continue
        m = 0.05
        T.append(10 ** rng.uniform(lt[0] + m * (lt[1] - lt[0]), lt[1] - m * (lt[1] - lt[0])))
        rho.append(10 ** rng.uniform(lr[0] + m * (lr[1] - lr[0]), lr[1] - m * (lr[1] - lr[0])))
        X.append(x)
    return np.array(T), np.array(rho), np.array(X)


def growth_exponent(k, v):
    ok = (v > 0) & np.isfinite(v)
    if ok.sum() < 3:
        return float("nan")
    return float(np.polyfit(np.log(k[ok]), np.log(v[ok]), 1)[0])


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("models", help="model file or directory (python -m nnn.train output)")
    p.add_argument("--network", help="network name or path (default: from the model metadata)")
    p.add_argument("--dt", type=float, help="dt (s); default: the first model's dt")
    p.add_argument("--steps", type=int, default=100)
    p.add_argument("--zones", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--rtol", type=float, default=1e-8, help="integrator rtol (reference and fallback)")
    p.add_argument("--threads", type=int, default=0, help="threads of the reference integrator")
    p.add_argument("--json", help="write per-step statistics here")
    a = p.parse_args(argv)
    if not has_libtorch():
        sys.exit("nnn was built without libtorch: no emulator path")

    em = nnn.Emulator.load(a.models, network=a.network)
    net = em.network
    dt = a.dt or em.dts[0]
    if em.plan(dt)[0] < 0:
        sys.exit(f"dt = {dt:g} s is not a trained dt (trained: {em.dts})")
    domain = em.domain(dt)
    T, rho, X0 = sample_zones(net, a.zones, domain, a.seed)
    n, N = len(T), a.steps
    print(f"# {net.name}, models {a.models}, dt = {dt:g} s, {N} steps, {n} zones, domain {domain}")

    # reference: one integration per zone with outputs at k dt
    times = [dt * k for k in range(1, N + 1)]
    ref = net.burn_batch(T, rho, X0, times=times, rtol=a.rtol, n_threads=a.threads)
    good = ref.status == 0
    if not good.all():
        print(f"# {int((~good).sum())} zones dropped: the reference integration failed")

    # the emulator path, chained
    x = X0.copy()
    e_cum = np.zeros(n)
    rows = []
    fallback_frac = np.zeros(N)
    iso_ok = None
    for k in range(1, N + 1):
        r = em.burn_batch(T, rho, x, dt, rtol=a.rtol, n_threads=a.threads)
        good &= r.status == 0
        x = r.X
        e_cum = e_cum + r.eps_nuc
        fallback_frac[k - 1] = r.used_fallback[good].mean() if good.any() else np.nan
        Xr = ref.X[:, k - 1, :]
        dye = np.abs(np.array([net.Ye(xi) for xi in x]) - ref.Ye[:, k - 1])
        dx = np.abs(x - Xr).max(axis=1)
        iso_ok = Xr > 1e-6
        dlog = np.array([np.mean(np.abs(np.log10(np.maximum(x[z, m], 1e-30)) - np.log10(Xr[z, m])))
                         for z, m in enumerate(iso_ok)])
        de = np.abs(e_cum - ref.eps_nuc[:, k - 1]) / np.maximum(np.abs(ref.eps_nuc[:, k - 1]), 1e-300)
        g = good
        rows.append({"step": k, "t": k * dt,
                     "dYe_median": float(np.median(dye[g])), "dYe_max": float(dye[g].max()),
                     "dX_median": float(np.median(dx[g])), "dX_max": float(dx[g].max()),
                     "dlogX_median": float(np.median(dlog[g])), "dlogX_max": float(dlog[g].max()),
                     "dE_rel_median": float(np.median(de[g])), "dE_rel_max": float(de[g].max()),
                     "fallback_fraction": float(fallback_frac[k - 1])})

    hdr = (f"{'step':>5s} {'|dYe| med':>10s} {'|dYe| max':>10s} {'max|dX| med':>12s} {'max|dX| max':>12s} "
           f"{'dlogX med':>10s} {'dE/E med':>10s} {'fallback':>9s}")
    print(hdr)
    for row in rows:
        if row["step"] in REPORT_STEPS or row["step"] == N:
            print(f"{row['step']:5d} {row['dYe_median']:10.3e} {row['dYe_max']:10.3e} "
                  f"{row['dX_median']:12.3e} {row['dX_max']:12.3e} {row['dlogX_median']:10.3e} "
                  f"{row['dE_rel_median']:10.3e} {row['fallback_fraction']:9.2%}")
    k = np.array([r["step"] for r in rows], dtype=float)
    fits = {name: growth_exponent(k, np.array([r[name] for r in rows]))
            for name in ("dYe_median", "dX_median", "dlogX_median")}
    print("growth exponents p (median ~ k^p): " + ", ".join(f"{n_}: {v:.2f}" for n_, v in fits.items()))
    out = {"network": net.name, "models": str(a.models), "dt": dt, "steps": N, "zones": n,
           "zones_used": int(good.sum()), "domain": domain, "growth_exponents": fits, "per_step": rows}
    if a.json:
        Path(a.json).write_text(json.dumps(out, indent=1))
    return out


if __name__ == "__main__":
    main()
