"""Cost of the burn modes (docs/burn_modes.md) against the constant-(T, rho)
burn on the same cases, measured in one run (ratios), the bytes of state a
caller keeps per zone, and thread scaling of burn_batch.

    python benchmarks/bench_burn_modes.py [--nets approx21_cr60_plus_co56 mesa_80] [--reps 5]

Per case (network, composition, T0, rho0, dt):
  constant      net.burn(T0, rho0)
  history       T, rho ramp linearly in log from (T0, rho0) to (1.2 T0, 1.5 rho0)
                over dt, sampled at 5 points (the burn stops at each): the rates
                move on every RHS call
  self-heating  net.burn(T0, rho0, self_heating=True) (T from the EOS)
Time per burn is the median of --reps runs on one thread. Timings are only
meaningful on a quiet machine: the load average is printed first.
"""

from __future__ import annotations

import argparse
import os
import time

import numpy as np

import nnn

CASES = [
    ("Si burning", {"si28": 0.6, "s32": 0.4}, 3.5e9, 1e8, 1e-3),
    ("C/O runaway", {"c12": 0.5, "o16": 0.5}, 2e9, 1e7, 1e-3),
]


def median_time(fn, reps):
    ts = []
    for _ in range(reps):
        t0 = time.perf_counter()
        r = fn()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts)), r


def history_of(T0, rho0, dt, n=5):
    t = np.linspace(0.0, dt, n)
    w = t / dt
    return t, T0 * 1.2**w, rho0 * 1.5**w


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--nets", nargs="+", default=["approx21_cr60_plus_co56", "mesa_80"])
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--zones", type=int, default=16, help="zones of the thread-scaling batch")
    args = p.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} (timings are meaningful below ~1.5)")
    for name in args.nets:
        net = nnn.Network.load(name)
        n = net.n_species
        print(f"\n{name} ({n} species, LU nonzeros {net._core.lu_nonzeros})")
        print(f"{'case':<13} {'mode':<13} {'ms/burn':>9} {'x const':>8} {'steps':>7} {'T(dt) K':>12}")
        for label, X, T0, rho0, dt in CASES:
            runs = {
                "constant": lambda: net.burn(T=T0, rho=rho0, X=X, dt=dt),
                "history": lambda: net.burn(X=X, dt=dt, history=history_of(T0, rho0, dt)),
                "self-heating": lambda: net.burn(T=T0, rho=rho0, X=X, dt=dt, self_heating=True),
            }
            base = None
            for mode, fn in runs.items():
                t, r = median_time(fn, args.reps)
                base = base or t
                print(f"{label:<13} {mode:<13} {1e3 * t:9.2f} {t / base:8.2f} {r.n_steps:7d} {r.T:12.5e}")
        # what a caller keeps per zone between steps (doubles): X, plus T for
        # self-heating, plus the samples of its history
        print(f"state per zone: constant {8 * n} B (X), self-heating {8 * (n + 1)} B (X, T), "
              f"history {8 * n} B + 24 B per sample (t, T, rho); engine working set per burn "
              f"~{8 * (2 * n * n + 12 * n) / 1024:.0f} KiB (dense J and iteration matrix, "
              f"BDF history), freed after the burn")
        # thread scaling of burn_batch, each mode
        nz = args.zones
        X0 = np.tile(net.composition({"c12": 0.5, "o16": 0.5}), (nz, 1))
        T = np.full(nz, 2e9)
        rho = np.geomspace(1e7, 3e7, nz)
        dt = 1e-3
        for mode, kw in [("constant", dict(T=T, rho=rho)), ("self-heating", dict(T=T, rho=rho, self_heating=True)),
                         ("history", dict(history=history_of(2e9, 1e7, dt)))]:
            t1, _ = median_time(lambda: net.burn_batch(X=X0, dt=dt, n_threads=1, **kw), max(1, args.reps // 2))
            t2, _ = median_time(lambda: net.burn_batch(X=X0, dt=dt, n_threads=2, **kw), max(1, args.reps // 2))
            print(f"burn_batch {nz} zones, {mode:<12}: 1 thread {1e3 * t1:8.1f} ms, 2 threads "
                  f"{1e3 * t2:8.1f} ms, speed-up {t1 / t2:.2f}")


if __name__ == "__main__":
    main()
