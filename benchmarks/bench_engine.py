"""nnn's engine against pynucastro's numba network + scipy BDF, in one run.

    python benchmarks/bench_engine.py [--nets mesa_80,approx21_cr60_plus_co56]
                                      [--dts 1e-6,1e-3,1,100] [--repeat 3]

Case: a silicon-burning mix (si28 0.6, s32 0.4) at T = 3.5e9 K, rho = 1e8 g/cm^3,
rtol 1e-8, atol 1e-12 for both codes. The peer is pynucastro's generated Python
network, jitted by numba (compilation excluded: one warm-up call), integrated by
scipy's BDF with its analytic Jacobian; the two alternate, round by round (a round: three nnn
burns in a row, one of the peer). Prints ms per burn (best of --repeat rounds) and the ratio peer / nnn (higher is better for nnn), the steps of
each, and how far apart the two results are. Also: burn_batch zones per second on all cores vs one.
"""

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

import nnn

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests" / "engine"))

T, RHO = 3.5e9, 1e8
X0 = {"si28": 0.6, "s32": 0.4}
RTOL, ATOL = 1e-8, 1e-12
NNN_PER_ROUND = 3


def best_of(f, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        out = f()
        times.append(time.perf_counter() - t)
    return min(times), out


def peer(name):
    """pynucastro's generated network for nnn's file `name`, numba-jitted."""
    import reference  # tests/engine/reference.py: the same pynucastro network
    from pynucastro.screening import chugunov_2007
    pnet = reference.pynucastro_network(name)
    d = tempfile.mkdtemp()
    path = Path(d) / f"peer_{name}.py"
    pnet.write_network(str(path))
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    A = np.array([n.A for n in pnet.unique_nuclei], dtype=float)

    def rhs(t, y):
        return mod.rhs(t, y, RHO, T, screen_func=chugunov_2007)

    def jac(t, y):
        return mod.jacobian(t, y, RHO, T, screen_func=chugunov_2007)

    return rhs, jac, A


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nets", default="mesa_80,approx21_cr60_plus_co56")
    ap.add_argument("--dts", default="1e-6,1e-3,1,100")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-peer", action="store_true", help="skip pynucastro + scipy")
    args = ap.parse_args()
    from scipy.integrate import solve_ivp

    print(f"T = {T:g} K, rho = {RHO:g} g/cm^3, X0 = {X0}, rtol {RTOL}, atol {ATOL}")
    print(f"{'net':<26}{'dt [s]':>8}{'nnn ms':>10}{'steps':>7}{'peer ms':>10}{'steps':>7}"
          f"{'peer/nnn':>10}{'max rel dX':>12}{'after peer':>11}{'ratio':>7}")
    for name in args.nets.split(","):
        net = nnn.Network.load(name)
        x0 = net.composition(X0)
        if not args.no_peer:
            t0 = time.perf_counter()
            rhs, jac, A = peer(name)
            y0 = x0 / A
            rhs(0.0, y0), jac(0.0, y0)  # numba compiles here
            print(f"  ({name}: pynucastro network built and jitted in {time.perf_counter() - t0:.0f} s)")
        for dt in map(float, args.dts.split(",")):
            # nnn and the peer alternate, so that a change of the machine's speed during the
            # run falls on both; best of --repeat rounds each. In a round nnn burns
            # NNN_PER_ROUND times in a row, as a stellar code burns zone after zone with
            # the network's data in cache; the first burn of a round, right after the
            # peer's, is also reported ("after peer"): it pays for the peer's evictions
            t_nnn = t_cold = t_peer = float("inf")
            for _ in range(args.repeat):
                for k in range(NNN_PER_ROUND):
                    t, r = best_of(lambda: net.burn(T, RHO, x0, dt=dt, rtol=RTOL, atol=ATOL), 1)
                    t_nnn = min(t_nnn, t)
                    if k == 0:
                        t_cold = min(t_cold, t)
                if not args.no_peer:
                    atol = np.full(len(A), ATOL) / A
                    t, sol = best_of(lambda: solve_ivp(rhs, (0, dt), y0, method="BDF", jac=jac,
                                                       rtol=RTOL, atol=atol), 1)
                    t_peer = min(t_peer, t)
            line = f"{name:<26}{dt:>8.0e}{1e3 * t_nnn:>10.2f}{r.n_steps:>7}"
            if not args.no_peer:
                Xp = sol.y[:, -1] * A
                big = Xp > 1e-8
                dX = np.max(np.abs(r.X[big] - Xp[big]) / Xp[big])
                line += (f"{1e3 * t_peer:>10.1f}{sol.t.size - 1:>7}{t_peer / t_nnn:>10.1f}{dX:>12.1e}"
                         f"{1e3 * t_cold:>11.2f}{t_peer / t_cold:>7.1f}")
            print(line)

    # zones per second of burn_batch, all cores vs one
    import os
    net = nnn.Network.load(args.nets.split(",")[0])
    n = 64
    rng = np.random.default_rng(1)
    Tz = 10 ** rng.uniform(9.4, 9.6, n)
    rz = 10 ** rng.uniform(7.5, 8.5, n)
    X = np.tile(net.composition(X0), (n, 1))
    t1, _ = best_of(lambda: net.burn_batch(Tz, rz, X, dt=1e-3, n_threads=1), 1)
    tn, _ = best_of(lambda: net.burn_batch(Tz, rz, X, dt=1e-3, n_threads=0), 1)
    print(f"burn_batch {net.name}, {n} zones, dt 1e-3: {n / t1:.0f} zones/s on 1 thread, "
          f"{n / tn:.0f} zones/s on {os.cpu_count()} cores (x{t1 / tn:.2f})")


if __name__ == "__main__":
    main()
