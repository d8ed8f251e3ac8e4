"""Where a burn's time goes: work counters per case and, where Linux `perf`
is installed, the share of each part of the engine.

    python benchmarks/profile_engine.py [--net mesa_80] [--dts 1e-3,1,100]
                                        [--rtols 1e-8,1e-10] [--seconds 4]

Case (as bench_engine.py and the issue's VODE comparison): si28 0.6 + s32 0.4
at T = 3.5e9 K, rho = 1e8 g/cm^3, atol = rtol x 1e-4, the default integrator.
Per case: ms per burn (best of 5; say what else ran), accepted and rejected
steps, right-hand sides (n_rhs, including those inside Jacobians), Jacobian
evaluations, LU factorisations, RHS per step and us per step. With perf, one
case is sampled for --seconds and the samples are grouped into

    rhs        Kinetics::update (screening, weak tables, rates) and ydot (fluxes, sums)
    jacobian   Kinetics::add_jacobian, BurnSystem::jacobian
    lu factor  SparseLU::factor, BurnSystem::factor
    lu solve   SparseLU::solve, BurnSystem::solve
    other      the integrator's own vector work, Python, the rest
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

T, RHO = 3.5e9, 1e8
X0 = {"si28": 0.6, "s32": 0.4}

GROUPS = {
    "rhs": ("Kinetics::update", "Kinetics::ydot", "WeakTable::", "exp", "screening"),
    "jacobian": ("add_jacobian", "BurnSystem::jacobian"),
    "lu factor": ("SparseLU::factor", "BurnSystem::factor"),
    "lu solve": ("SparseLU::solve", "BurnSystem::solve"),
}


def counters(net, dt, rtol, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        r = net.burn(T, RHO, X0, dt, rtol=rtol, atol=rtol * 1e-4)
        best = min(best, time.perf_counter() - t)
    return best, r


def perf_shares(net_name, dt, rtol, seconds):
    """Sample a loop of burns with perf; returns {group: percent} or None."""
    if shutil.which("perf") is None:
        return None
    loop = (f"import time, nnn\nnet = nnn.Network.load({net_name!r})\n"
            f"t = time.time()\nwhile time.time() - t < {seconds}:\n"
            f"    net.burn({T}, {RHO}, {X0!r}, {dt}, rtol={rtol}, atol={rtol * 1e-4})\n")
    with tempfile.TemporaryDirectory() as d:
        script, data = os.path.join(d, "loop.py"), os.path.join(d, "perf.data")
        open(script, "w").write(loop)
        rec = subprocess.run(["perf", "record", "-q", "-o", data, sys.executable, script],
                             capture_output=True, text=True)
        if rec.returncode != 0:
            return None
        rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--stdio",
                              "--sort", "symbol"], capture_output=True, text=True)
    shares = {g: 0.0 for g in list(GROUPS) + ["other"]}
    for line in rep.stdout.splitlines():
        parts = line.split()
        if not parts or not parts[0].endswith("%") or line.lstrip().startswith("#"):
            continue
        pct = float(parts[0].rstrip("%"))
        sym = " ".join(parts[1:])
        group = next((g for g, keys in GROUPS.items() if any(k in sym for k in keys)), "other")
        shares[group] += pct
    return shares


def main(argv=None):
    import nnn
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--net", default="mesa_80")
    ap.add_argument("--dts", default="1e-3,1,100")
    ap.add_argument("--rtols", default="1e-8,1e-10")
    ap.add_argument("--seconds", type=float, default=4.0, help="perf sampling time")
    args = ap.parse_args(argv)
    net = nnn.Network.load(args.net)
    dts = [float(x) for x in args.dts.split(",")]
    rtols = [float(x) for x in args.rtols.split(",")]
    print(f"{args.net}: si28 0.6 + s32 0.4, T = {T:g} K, rho = {RHO:g} g/cm3; "
          f"load average {os.getloadavg()[0]:.2f}")
    print(f"{'dt (s)':>7} {'rtol':>6} {'ms':>7} {'steps':>6} {'rej':>4} {'rhs':>6} {'jac':>4} "
          f"{'lu':>4} {'rhs/step':>8} {'us/step':>8}")
    for dt in dts:
        for rtol in rtols:
            sec, r = counters(net, dt, rtol)
            attempts = r.n_steps + r.n_rejected
            print(f"{dt:7g} {rtol:6.0e} {sec * 1e3:7.2f} {r.n_steps:6d} {r.n_rejected:4d} "
                  f"{r.n_rhs:6d} {r.n_jac:4d} {r.n_lu:4d} {r.n_rhs / attempts:8.2f} "
                  f"{sec * 1e6 / attempts:8.1f}")
    shares = perf_shares(args.net, 1.0, rtols[0], args.seconds)
    if shares is None:
        print("perf not available: no time shares")
        return 0
    print(f"time shares (perf, dt = 1 s, rtol {rtols[0]:g}):")
    for g, pct in shares.items():
        print(f"  {g:10s} {pct:5.1f} %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
