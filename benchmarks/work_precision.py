"""Accuracy and cost of engine builds at several tolerances: does a change that makes burns
faster keep them as accurate, also in the worst zone?

    # keep a build, change the code, rebuild, then (as for ab_engine_builds.py)
    mkdir -p /tmp/ab/old && cp $(python -c "import nnn._core as c; print(c.__file__)") /tmp/ab/old/
    python benchmarks/work_precision.py /tmp/ab/old /tmp/ab/new [--net approx21_cr60_plus_co56]
                                        [--rtols 1e-6,1e-7,1e-8,1e-9] [--zones 48]
                                        [--reference-build /tmp/ab/old]

Each argument is a folder holding one built ``_core*.so``. The zones are drawn as the
training sets are (``nnn.emulate.sampling``: ``sobol_thermo`` and ``random_compositions``,
seed 7), with outputs at 1e-4, 1e-2 and 1 s. The reference is the installed build (or
``--reference-build``) at rtol 1e-11, atol 1e-15, cached in ``--cache``. For each build and
rtol (atol = rtol x 1e-4) it prints the total thread-CPU time (best of two burns per zone),
the median, 90th percentile and maximum over zones of max |X - X_ref|, and the same for the
relative eps_nuc error (floored at 1e9 erg/g). Each build runs in its own subprocess.

Why the worst zone: on 2026-12-04 a looser Newton test in bdf was 1.1-1.4x faster with the
medians unchanged, and the domain sweep and tail benchmark did not notice. The worst approx21
zone went from 2.3e-6 to 1.2e-3 at rtol 1e-6, because a transient at 1e-4 s was stepped over
(docs/performance.md).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

TIMES = (1e-4, 1e-2, 1.0)

CHILD = r'''
import glob, importlib.machinery, importlib.util, sys, time
import numpy as np
import nnn

build, net_name, rtols, cache = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
z = np.load(cache)  # the zones, their output times and the reference (reference() below)
times = [float(t) for t in z["times"]]
# The build is loaded before anything loads the installed nnn._core: the two share their C++
# symbols, and the one loaded first serves both (measured: loaded second, a build ran the
# installed engine's code).
so = glob.glob(build + "/_core*.so")[0]
loader = importlib.machinery.ExtensionFileLoader("nnn._core", so)
mod = importlib.util.module_from_spec(importlib.util.spec_from_loader("nnn._core", loader))
loader.exec_module(mod)
net = mod.Network.load(str(nnn.Network.load(net_name).path))
for rtol in map(float, rtols.split(",")):
    ex, ee, total = [], [], 0.0
    for T, rho, X, RX, RE in zip(z["T"], z["rho"], z["X0"], z["X"], z["E"]):
        best = float("inf")
        for _ in range(2):
            t = time.thread_time()
            r = net.burn(T, rho, X, times, rtol, rtol * 1e-4, 500000, "auto")
            best = min(best, time.thread_time() - t)
        total += best
        Xe = np.asarray(r["X"]).reshape(len(times), -1)
        E = np.asarray(r["eps_nuc"])
        ex.append(np.abs(Xe - RX).max())
        ee.append((np.abs(E - RE) / np.maximum(np.abs(RE), 1e9)).max())
    ex, ee = np.array(ex), np.array(ee)
    print(f"{build:<32} rtol {rtol:7.0e} {1e3 * total:9.1f} ms   max|dX| {np.median(ex):.1e} / "
          f"{np.quantile(ex, 0.9):.1e} / {ex.max():.1e}   eps_nuc {np.median(ee):.1e} / "
          f"{np.quantile(ee, 0.9):.1e} / {ee.max():.1e}", flush=True)
'''


def load_build(build: str) -> None:
    """Make the build's ``_core*.so`` the ``nnn._core`` of this process (before anything
    imports the installed one: the two share their C++ symbols, the first loaded serves both)."""
    import glob
    import importlib.machinery
    import importlib.util
    so = glob.glob(build + "/_core*.so")[0]
    loader = importlib.machinery.ExtensionFileLoader("nnn._core", so)
    mod = importlib.util.module_from_spec(importlib.util.spec_from_loader("nnn._core", loader))
    loader.exec_module(mod)
    sys.modules["nnn._core"] = mod


def reference(net_name: str, n: int, cache: Path) -> None:
    """Draw the n zones, burn them at rtol 1e-11 with this process's build (the installed
    one, or --reference-build's) and write zones, output times and results to cache (read
    by every build's CHILD)."""
    import numpy as np

    import nnn
    from nnn.emulate.sampling import random_compositions, sobol_thermo
    from tqdm import tqdm

    net = nnn.Network.load(net_name)
    logT, logrho = sobol_thermo(n, seed=7)
    X0, _ = random_compositions(n, net.isotopes, net.A, net.Z, seed=7)
    T, rho = 10.0 ** logT, 10.0 ** logrho
    RX = np.zeros((n, len(TIMES), net.n_species))
    RE = np.zeros((n, len(TIMES)))
    for i in tqdm(range(n), desc="reference (rtol 1e-11)", unit="zone"):
        try:
            r = net.burn(T[i], rho[i], X0[i], times=list(TIMES), rtol=1e-11, atol=1e-15,
                         max_steps=2_000_000)
        except nnn.BurnError:
            # bdf grinds at rtol 1e-11 in a few hot zones (approx21 zone 20, log T 9.71,
            # log rho 8.67: > 2e6 steps by 0.1 s), and `auto` does not retry a burn that
            # used up max_steps; rodas4 burns it (337,136 steps, 3 s)
            r = net.burn(T[i], rho[i], X0[i], times=list(TIMES), rtol=1e-11, atol=1e-15,
                         max_steps=2_000_000, integrator="rodas4")
        RX[i], RE[i] = r.X, r.eps_nuc
    cache.parent.mkdir(parents=True, exist_ok=True)
    np.savez(cache, times=np.array(TIMES), T=T, rho=rho, X0=X0, X=RX, E=RE)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("builds", nargs="+", help="folders each holding one built _core*.so")
    ap.add_argument("--net", default="approx21_cr60_plus_co56")
    ap.add_argument("--rtols", default="1e-6,1e-7,1e-8,1e-9")
    ap.add_argument("--zones", type=int, default=48)
    ap.add_argument("--reference-build", default=None,
                    help="folder of the build that burns the reference (default: the installed "
                         "one). In NSE zones at rtol <= 1e-9 every build's error is round-off "
                         "scatter of ~1e-8-1e-7 and a build looks best against its own "
                         "reference: compare two builds against each one's reference")
    ap.add_argument("--cache", type=Path, default=None,
                    help="zones and reference (default out/work_precision_NET_ZONES[_BUILD].npz; "
                         "reused)")
    ap.add_argument("--write-reference", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    suffix = f"_{Path(args.reference_build).name}" if args.reference_build else ""
    cache = args.cache or Path("out") / f"work_precision_{args.net}_{args.zones}{suffix}.npz"
    if args.write_reference:  # the subprocess below
        if args.reference_build:
            load_build(args.reference_build)
        reference(args.net, args.zones, cache)
        return
    if not cache.exists():
        subprocess.run([sys.executable, __file__, *args.builds, "--net", args.net, "--zones",
                        str(args.zones), "--cache", str(cache), "--write-reference",
                        *(["--reference-build", args.reference_build] if args.reference_build
                          else [])], check=True)
    ref = args.reference_build or "the installed build"
    print(f"{args.net}, {args.zones} zones to {', '.join(f'{t:g}' for t in TIMES)} s against "
          f"{ref} at rtol 1e-11; columns: median / p90 / max over zones")
    for build in args.builds:
        subprocess.run([sys.executable, "-c", CHILD, build, args.net, args.rtols, str(cache)],
                       check=True)


if __name__ == "__main__":
    main()
