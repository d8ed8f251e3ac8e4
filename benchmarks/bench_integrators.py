"""Stiff integrators of the nnn engine: BDF (NDF, the default) vs RODAS4.

For each network (approx21_cr60_plus_co56, mesa_80, mesa_151), dt in
1e-6, 1e-3, 1, 100 s and rtol in 1e-8 (atol 1e-12) and 1e-10 (atol 1e-14) it
burns the issue's benchmark state (T = 3.5e9 K, rho = 1e8 g/cm3, si28 0.6 +
s32 0.4; ``--state`` changes it) with both integrators and prints steps,
rejected steps, RHS calls, Jacobians/LU factorisations, the best of
``--repeat`` wall times (ms per burn), and how far the two integrators agree
(max |dX| over species and relative eps_nuc difference).

``--peer`` also times pynucastro's own generated Python network, numba-jitted
(compile excluded: one warm-up call), integrated with scipy's BDF and the
network's analytic Jacobian at the same tolerances, on mesa_80 and the small
net, and prints nnn's speed-up. The numba compile of mesa_80 takes minutes.

Not a test; run by hand (the machine is shared: timings are minima over
repeats, counts are exact)::

    python benchmarks/bench_integrators.py [--nets mesa_80] [--repeat 5] [--peer]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

NETS = ["approx21_cr60_plus_co56", "mesa_80", "mesa_151"]
DTS = [1e-6, 1e-3, 1.0, 100.0]
TOLS = [(1e-8, 1e-12), (1e-10, 1e-14)]


def parse_state(s):
    T, rho, comp = s.split(":")
    X = {k: float(v) for k, v in (kv.split("=") for kv in comp.split(","))}
    return float(T), float(rho), X


def nnn_burn(net, T, rho, X, dt, rtol, atol, integrator, repeat):
    x0 = net.composition(X)
    best = np.inf
    d = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        d = net._core.burn(T, rho, x0, [dt], rtol, atol, 500000, integrator)
        best = min(best, time.perf_counter() - t0)
    return d, best * 1e3


def bench_nnn(nets, T, rho, X, repeat):
    import nnn
    print(f"nnn integrators at T = {T:.3g} K, rho = {rho:.3g} g/cm3, X0 = {X}")
    hdr = (f"{'network':24s} {'dt':>7s} {'rtol':>6s} | {'bdf steps':>9s} {'rej':>5s} {'rhs':>6s} "
           f"{'lu':>5s} {'ms':>8s} | {'rodas4 steps':>12s} {'rej':>5s} {'rhs':>6s} {'lu':>5s} "
           f"{'ms':>8s} | {'max|dX|':>8s} {'d eps/eps':>9s}")
    print(hdr)
    print("-" * len(hdr))
    rows = []
    for name in nets:
        net = nnn.Network.load(name)
        for rtol, atol in TOLS:
            for dt in DTS:
                res = {}
                for integ in ("bdf", "rodas4"):
                    d, ms = nnn_burn(net, T, rho, X, dt, rtol, atol, integ, repeat)
                    res[integ] = (d, ms)
                cols = []
                for integ in ("bdf", "rodas4"):
                    d, ms = res[integ]
                    if d["status"] != 0:
                        cols.append(f"{'FAILED':>9s} {'':5s} {'':6s} {'':5s} {ms:8.2f}")
                    else:
                        w = 9 if integ == "bdf" else 12
                        cols.append(f"{d['n_steps']:{w}d} {d['n_rejected']:5d} {d['n_rhs']:6d} "
                                    f"{d['n_jac']:5d} {ms:8.2f}")
                b, r = res["bdf"][0], res["rodas4"][0]
                if b["status"] == 0 and r["status"] == 0:
                    dX = float(np.max(np.abs(b["X"][0] - r["X"][0])))
                    de = abs(b["eps_nuc"][0] - r["eps_nuc"][0]) / max(abs(r["eps_nuc"][0]), 1e-300)
                    agree = f"{dX:8.1e} {de:9.1e}"
                else:
                    agree = f"{'-':>8s} {'-':>9s}"
                print(f"{name:24s} {dt:7.0e} {rtol:6.0e} | {cols[0]} | {cols[1]} | {agree}",
                      flush=True)
                rows.append((name, dt, rtol, res))
    return rows


# --- peer: pynucastro's Python network (numba) + scipy BDF --------------------------

def pynucastro_module(name, workdir):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "engine"))
    from reference import pynucastro_network  # the network nnn's file was built from
    pnet = pynucastro_network(name)
    path = Path(workdir) / f"peer_{name}.py"
    pnet.write_network(str(path))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return pnet, mod


def bench_peer(name, T, rho, X, dts, rtol, atol, repeat, nnn_net):
    from pynucastro.screening import chugunov_2007
    from scipy.integrate import solve_ivp
    with tempfile.TemporaryDirectory() as d:
        pnet, mod = pynucastro_module(name, d)
        nuclei = [n.raw for n in pnet.unique_nuclei]
        A = np.array([n.A for n in pnet.unique_nuclei], dtype=float)
        X0 = np.array([X.get(n, 0.0) for n in nuclei])
        y0 = X0 / A

        def f(t, y):
            return mod.rhs(t, y, rho, T, screen_func=chugunov_2007)

        def jac(t, y):
            return mod.jacobian(t, y, rho, T, screen_func=chugunov_2007)

        t0 = time.perf_counter()
        f(0.0, y0), jac(0.0, y0)  # numba compile, excluded
        print(f"  [{name}: numba compile {time.perf_counter() - t0:.0f} s, excluded]", flush=True)
        for dt in dts:
            best, sol = np.inf, None
            for _ in range(repeat):
                t0 = time.perf_counter()
                sol = solve_ivp(f, (0, dt), y0, method="BDF", jac=jac, rtol=rtol,
                                atol=atol / A)
                best = min(best, time.perf_counter() - t0)
            d, ms = nnn_burn(nnn_net(name), T, rho, X, dt, rtol, atol, "bdf", repeat)
            ok = sol.success and d["status"] == 0
            dX = float(np.max(np.abs(sol.y[:, -1] * A - d["X"][0]))) if ok else np.nan
            nnn_txt = (f"nnn bdf {ms:7.2f} ms ({d['n_steps']} steps)" if d["status"] == 0
                       else f"nnn bdf FAILED ({d['message']})")
            print(f"  {name:24s} dt {dt:7.0e}: scipy BDF {best * 1e3:9.1f} ms "
                  f"({sol.t.size - 1} steps, {sol.nfev} rhs) | {nnn_txt} | "
                  f"speed-up {best * 1e3 / ms:6.1f}x | max|dX| {dX:.1e}", flush=True)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nets", default=",".join(NETS))
    ap.add_argument("--state", default="3.5e9:1e8:si28=0.6,s32=0.4",
                    help="T:rho:iso=X,... (default: the issue's benchmark state)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--peer", action="store_true",
                    help="also time pynucastro (numba) + scipy BDF (slow to compile)")
    ap.add_argument("--peer-nets", default="approx21_cr60_plus_co56,mesa_80")
    ap.add_argument("--peer-repeat", type=int, default=3)
    a = ap.parse_args(argv)
    T, rho, X = parse_state(a.state)
    bench_nnn(a.nets.split(","), T, rho, X, a.repeat)
    if a.peer:
        import nnn
        cache = {}

        def nnn_net(name):
            return cache.setdefault(name, nnn.Network.load(name))
        print("\npeer: pynucastro Python network (numba) + scipy BDF with its analytic Jacobian, "
              "rtol 1e-8, atol 1e-12 (on X)")
        for name in a.peer_nets.split(","):
            bench_peer(name, T, rho, X, DTS, 1e-8, 1e-12, a.peer_repeat, nnn_net)


if __name__ == "__main__":
    main()
