"""Cost of nnn's physics layer against pynucastro 3.1, in one run, and (with
--error-map) a map of nnn's EOS differences from pynucastro.

    python benchmarks/bench_eos.py [--repeat 3] [--error-map eos_errors.png]

Timing: us per call from Python of nnn._core.stellar_eos (dict return included,
~1-2 us of it) and pynucastro.eos.StellarEOS().pe_state over log T 7-10 x log rho
3-10 (Ye 0.5, abar 28), and of _core.thermal_neutrino_loss against
pynucastro.neutrino_cooling.sneut5; ratio = pynucastro / nnn (higher is better
for nnn). Also the cost of one Fermi-Dirac quadrature pass (all three orders with
first and second derivatives) and the mean Newton iterations for eta. The load
average is printed: timings taken with load >= 1.5 (on 2 cores) are not
meaningful.

--error-map: max relative difference of p, e and c_v from pynucastro on a
13 x 15 grid of log T, log rho (Ye 0.5), plotted with matplotlib (~1 min).
"""

import argparse
import os
import time
import types

import numpy as np

from nnn import _core

ABAR, YE = 28.0, 0.5


def grid(n_t, n_rho):
    return [(10**lt, 10**lr) for lt in np.linspace(7, 10, n_t) for lr in np.linspace(3, 10, n_rho)]


def per_call(f, points, repeat):
    """Best over `repeat` sweeps of the mean time per call (s)."""
    best = np.inf
    for _ in range(repeat):
        t = time.perf_counter()
        for p in points:
            f(*p)
        best = min(best, (time.perf_counter() - t) / len(points))
    return best


def composition():
    return types.SimpleNamespace(abar=ABAR, zbar=ABAR * YE, ye=YE, Ye=YE)


def timing(repeat):
    from pynucastro.eos import StellarEOS
    from pynucastro.neutrino_cooling import sneut5
    eos, comp = StellarEOS(), composition()
    pts = grid(7, 8)
    eos.pe_state(rho=1e7, T=1e9, comp=comp)  # numba compilation outside the timing
    t_nnn = per_call(lambda T, rho: _core.stellar_eos(T, rho, ABAR, YE), pts, repeat)
    t_pyna = per_call(lambda T, rho: eos.pe_state(rho=rho, T=T, comp=comp), pts, 1)
    its = np.mean([_core.stellar_eos(T, rho, ABAR, YE)["newton_iterations"] for T, rho in pts])
    t_fd = per_call(lambda eta, beta: _core.fermi_dirac_integrals(eta, beta),
                    [(eta, 0.1) for eta in (-5.0, 0.0, 5.0, 50.0, 500.0)], repeat)
    npts = grid(31, 29)
    t_nu = per_call(lambda T, rho: _core.thermal_neutrino_loss(T, rho, ABAR, ABAR * YE), npts, repeat)
    t_nu_pyna = per_call(lambda T, rho: sneut5(rho, T, abar=ABAR, zbar=ABAR * YE), npts, repeat)
    print(f"stellar_eos           nnn {t_nnn * 1e6:8.1f} us   pynucastro {t_pyna * 1e6:9.1f} us   "
          f"ratio {t_pyna / t_nnn:6.0f}x   ({len(pts)} points, mean {its:.1f} Newton iterations)")
    print(f"fermi_dirac_integrals nnn {t_fd * 1e6:8.1f} us   (one full quadrature pass, k = 1/2, 3/2, 5/2)")
    print(f"thermal_neutrino_loss nnn {t_nu * 1e6:8.2f} us   pynucastro {t_nu_pyna * 1e6:9.1f} us   "
          f"ratio {t_nu_pyna / t_nu:6.0f}x   ({len(npts)} points)")


def error_map(path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from pynucastro.eos import StellarEOS
    eos, comp = StellarEOS(), composition()
    lts, lrs = np.linspace(7, 10, 13), np.linspace(3, 10, 15)
    err = {k: np.zeros((len(lts), len(lrs))) for k in ("p", "e", "c_v")}
    for i, lt in enumerate(lts):
        for j, lr in enumerate(lrs):
            T, rho = 10**lt, 10**lr
            s = eos.pe_state(rho=rho, T=T, comp=comp)
            m = _core.stellar_eos(T, rho, ABAR, YE)
            for k, mk in (("p", "p"), ("e", "e"), ("c_v", "cv")):
                ref = getattr(s, k)
                err[k][i, j] = max(abs(m[mk] - ref) / abs(ref), 1e-17)
    fig, axes = plt.subplots(1, 3, figsize=(13, 4), sharey=True)
    for ax, (k, e) in zip(axes, err.items()):
        im = ax.imshow(np.log10(e), origin="lower", aspect="auto", vmin=-17, vmax=-6,
                       extent=(lrs[0], lrs[-1], lts[0], lts[-1]))
        ax.set_title(f"{k}: max {e.max():.1e}")
        ax.set_xlabel(r"log $\rho$ [g/cm$^3$]")
    axes[0].set_ylabel("log T [K]")
    fig.colorbar(im, ax=axes, label="log10 |nnn / pynucastro - 1|")
    fig.suptitle(f"nnn stellar_eos vs pynucastro StellarEOS (abar {ABAR:g}, Ye {YE:g})")
    fig.savefig(path, dpi=120)
    print(f"error map -> {path}: max rel. diff " + ", ".join(f"{k} {e.max():.2g}" for k, e in err.items()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--error-map", metavar="PNG")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    print(f"load average {load:.2f}" + ("  (busy machine: timings not meaningful)" if load >= 1.5 else ""))
    timing(args.repeat)
    if args.error_map:
        error_map(args.error_map)


if __name__ == "__main__":
    main()
