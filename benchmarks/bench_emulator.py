"""Per-zone cost of the emulator path (nnn-emulator-2) vs the integrator, in one run.

    python benchmarks/bench_emulator.py                          # untrained "small"-size mesa_80 model
    python benchmarks/bench_emulator.py --model mesa_80          # the shipped model of a network
    python benchmarks/bench_emulator.py --model runs/m80/mesa_80.pt --busy
    python benchmarks/bench_emulator.py --arch 1024,2048,12 --json out.json

Measures, per zone (microseconds), on the same silicon-burning zones inside
the model's domain, at one dt (default 1e-3 s):

- inference through libnnn (``nnn.Emulator.burn_batch``) at batch 1, 64 and 1000
  with every check on (the defaults), and the cost of each check: without the
  |dYe| bound, without the energy check, without both; the bare forward of the
  same module in Python torch for reference;
- the engine (BDF) on the model's network and on the small network
  (approx21_cr60_plus_co56) over the same dt, and the ratios engine / emulator
  (issue 12 goal: >= 100x cheaper than the small net at batch 1000, one core);
- ``--busy`` (issue 12 section 5): batch-1000 inference with every core kept
  busy by other processes (one spinning process per core), against the same
  inference on the quiet machine measured just before, for libnnn's default
  (1 libtorch thread per call) and for libtorch's own default (all cores).
  Goal: busy / quiet <= 2 with the default. Run it on an otherwise idle
  machine: "quiet" must be quiet;
- several caller threads each burning one zone per call with 1 libtorch
  thread (a stellar code's OpenMP loop over zones), and the fallback path
  (a dt outside the model's range: every zone to the integrator) against
  Network.burn_batch directly.

Inference cost depends on the architecture, not on training, so without
``--model`` an untrained BurnStepNet of ``--arch`` (default the trainer's
"small": 384, 384 x 3) is exported to a temporary directory. Single-threaded
timings use the calling thread's CPU time by default (``--clock wall`` to
change); multi-threaded and busy-machine ones are wall clock.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import statistics
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path

import numpy as np
import torch

import nnn
from nnn.emulate.evaluate import SMALL_NET as SMALL  # the paper's comparison small net
from nnn.emulate.runtime import has_libtorch

CLOCK = time.perf_counter


def timeit(fn, min_time=0.5, min_reps=3, max_reps=10000, clock=None):
    """Median time of fn() over repetitions lasting about min_time s."""
    clock = clock or CLOCK
    fn()  # warm-up (TorchScript profiling runs, page faults)
    times = []
    t_start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - t_start < min_time and len(times) < max_reps):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return statistics.median(times)


def make_model(net, arch, out: Path) -> Path:
    """An untrained BurnStepNet of net (inference cost does not depend on training)."""
    from nnn.emulate import model as mdl
    from nnn.emulate.sampling import LOGRHO_RANGE, LOGT_RANGE, YE_RANGE

    first, width, depth = arch
    zeta = np.asarray(net.Z, float) / np.asarray(net.A, float)
    domain = {"logT": list(LOGT_RANGE), "logrho": list(LOGRHO_RANGE), "Ye": list(YE_RANGE),
              "logdt": [-6.0, 2.0]}
    m = mdl.BurnStepNet(list(net.isotopes), zeta, domain, (1e-9, 1e14, 1e8), first=first,
                        width=width, depth=depth, network=net.name, network_hash=net.file_hash)
    meta = {"network": net.name, "network_hash": net.file_hash, "isotopes": list(net.isotopes),
            "domain": domain, "architecture": {"first": first, "width": width, "depth": depth},
            "training": {"note": "untrained: benchmark of inference cost"}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return mdl.export(m, out / mdl.model_filename(net.name), meta)


def sample_zones(net, n, domain, seed=0):
    rng = np.random.default_rng(seed)
    lt, lr = domain["logT"], domain["logrho"]
    T = 10 ** rng.uniform(lt[0] + 0.05 * (lt[1] - lt[0]), lt[1] - 0.05 * (lt[1] - lt[0]), n)
    rho = 10 ** rng.uniform(lr[0] + 0.05 * (lr[1] - lr[0]), lr[1] - 0.05 * (lr[1] - lr[0]), n)
    X = np.zeros((n, net.n_species))
    names = [s for s in ("si28", "s32", "ar36", "ca40") if s in net.isotopes]
    for k in range(n):
        for s, v in zip(names, rng.dirichlet(np.ones(len(names)))):
            X[k, net.isotopes.index(s)] = v
    return T, rho, X


def _spin(stop):
    while not stop.is_set():
        pass


def busy_machine(n):
    """n processes spinning on the CPU until the returned stop() is called."""
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    procs = [ctx.Process(target=_spin, args=(stop,), daemon=True) for _ in range(n)]
    for p in procs:
        p.start()
    time.sleep(0.5)

    def done():
        stop.set()
        for p in procs:
            p.join(5)
    return done


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", help="model file or network name (default: untrained --arch model)")
    p.add_argument("--network", default="mesa_80", help="network of the generated model")
    p.add_argument("--arch", default="384,384,4", help="first,width,depth of the generated model")
    p.add_argument("--dt", type=float, default=1e-3, help="dt (s), inside the model's range")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--engine-zones", type=int, default=16, help="zones burned per engine timing")
    p.add_argument("--min-time", type=float, default=0.5, help="seconds per timing")
    p.add_argument("--busy", action="store_true", help="also time inference on a busy machine")
    p.add_argument("--clock", choices=["thread", "wall"], default="thread",
                   help="single-threaded timings: CPU time of the calling thread (default) or wall")
    p.add_argument("--json", help="write the results here")
    a = p.parse_args(argv)
    global CLOCK
    if a.device != "cpu":
        a.clock = "wall"  # GPU work is not CPU time of this thread
    CLOCK = time.thread_time if a.clock == "thread" else time.perf_counter
    if not has_libtorch():
        sys.exit("nnn was built without libtorch: no emulator path to benchmark")

    tmp = tempfile.TemporaryDirectory()
    if a.model:
        em = nnn.Emulator.load(a.model, device=a.device)
        desc = f"model {em.info['path']}"
    else:
        net = nnn.Network.load(a.network)
        arch = tuple(int(v) for v in a.arch.split(","))
        em = nnn.Emulator.load(make_model(net, arch, Path(tmp.name)), network=net, device=a.device)
        desc = f"untrained {net.name} BurnStepNet first={arch[0]} width={arch[1]} depth={arch[2]}"
    net, dt, n_cores = em.network, a.dt, os.cpu_count() or 1
    lo, hi = em.dt_range
    if not lo <= dt <= hi:
        sys.exit(f"--dt {dt!r} is outside the model's dt range [{lo:g}, {hi:g}] s")
    small = nnn.Network.load(SMALL)
    res = {"model": desc, "network": net.name, "dt": dt, "device": a.device, "clock": a.clock,
           "cores": n_cores, "torch": torch.__version__, "load_average": os.getloadavg(),
           "us_per_zone": {}, "ratios": {}}
    us = res["us_per_zone"]
    print(f"# {desc}; dt = {dt:g} s; {n_cores} cores; torch {torch.__version__}; load average "
          f"{os.getloadavg()[0]:.2f}; 1-thread timings: {a.clock} clock")
    T, rho, X = sample_zones(net, 1000, em.domain)

    # --- libnnn, 1 libtorch thread (the default), with and without the checks
    variants = {"all checks": {}, "no |dYe| check": {"check_dye": False},
                "no energy check": {"check_energy": False},
                "no energy, no |dYe|": {"check_energy": False, "check_dye": False}}
    for name, cfg in variants.items():
        em.set_config(**dict({"check_energy": True, "check_dye": True}, **cfg))
        for b in (1, 64, 1000):
            def f():
                r = em.burn_batch(T[:b], rho[:b], X[:b], dt, n_threads=1)
                return r
            t = timeit(f, a.min_time) / b * 1e6
            us[f"libnnn batch {b}, {name}"] = t
            print(f"emulator (libnnn) batch {b:5d}, {name:>20s}: {t:10.2f} us/zone")
    em.set_config(check_energy=True, check_dye=True)
    fb = em.burn_batch(T, rho, X, dt, n_threads=1)
    res["fallback_fraction_all_checks"] = float(fb.used_fallback.mean())
    print(f"  (zones the checks sent to the integrator: {100 * fb.used_fallback.mean():.1f} %; "
          "an untrained model's energies fail the energy check: timings above include only the "
          "emulator's work when it is 0)")
    for b in (64, 1000):
        e_all, e_none = us[f"libnnn batch {b}, all checks"], us[f"libnnn batch {b}, no energy, no |dYe|"]
        e_dye = us[f"libnnn batch {b}, all checks"] - us[f"libnnn batch {b}, no |dYe| check"]
        print(f"  batch {b}: checks cost {e_all - e_none:.2f} us/zone ({e_all / e_none:.2f}x inference "
              f"alone), of which the |dYe| bound {e_dye:.2f} us/zone")

    # --- the same module in Python torch (bare forward)
    module = torch.jit.load(em.info["path"], map_location=a.device)
    x = np.column_stack([np.log10(T), np.log10(rho), np.full(len(T), np.log10(dt)), X]).astype(np.float32)
    n0 = torch.get_num_threads()
    torch.set_num_threads(1)
    for b in (1, 64, 1000):
        xt = torch.from_numpy(x[:b]).to(a.device)

        def g():
            with torch.inference_mode():
                module(xt).cpu()
        t = timeit(g, a.min_time) / b * 1e6
        us[f"torch forward batch {b}"] = t
        print(f"torch forward (py) batch {b:5d}: {t:10.2f} us/zone")
    torch.set_num_threads(n0)

    # --- the engine, 1 thread
    ne = a.engine_zones
    t_net = timeit(lambda: net.burn_batch(T[:ne], rho[:ne], X[:ne], dt, n_threads=1), a.min_time,
                   min_reps=2) / ne * 1e6
    Ts, rs, Xs = sample_zones(small, ne, em.domain)
    t_small = timeit(lambda: small.burn_batch(Ts, rs, Xs, dt, n_threads=1), a.min_time,
                     min_reps=2) / ne * 1e6
    us[f"engine {net.name}"] = t_net
    us[f"engine {SMALL}"] = t_small
    print(f"engine {net.name}: {t_net:10.2f} us/zone;  engine {SMALL}: {t_small:10.2f} us/zone")
    for b in (1, 64, 1000):
        e = us[f"libnnn batch {b}, all checks"]
        res["ratios"][f"batch {b}"] = {f"{net.name} / emulator": t_net / e, "small net / emulator": t_small / e}
        print(f"  batch {b:5d}: {net.name} engine / emulator = {t_net / e:8.1f}x, "
              f"small net / emulator = {t_small / e:8.1f}x")
    print("  goal (issue 12): >= 100x vs the small net at batch 1000 on one core")

    if a.device == "cpu":
        # --- busy machine: quiet, then every core spinning in another process
        if a.busy:
            busy = res["busy_machine"] = {}
            print(f"\nbusy machine: batch 1000, wall clock; {n_cores} spinning processes")
            for threads in (1, 0):
                em.set_threads(threads)
                label = "libnnn default (1 libtorch thread)" if threads == 1 else \
                    "libtorch's own default (all cores)"
                quiet = timeit(lambda: em.burn_batch(T, rho, X, dt, n_threads=1), a.min_time,
                               clock=time.perf_counter) / 1000 * 1e6
                stop = busy_machine(n_cores)
                try:
                    loaded = timeit(lambda: em.burn_batch(T, rho, X, dt, n_threads=1), 2 * a.min_time,
                                    clock=time.perf_counter) / 1000 * 1e6
                finally:
                    stop()
                busy[label] = {"quiet_us": quiet, "busy_us": loaded, "ratio": loaded / quiet}
                print(f"  {label:>36s}: quiet {quiet:8.2f}, busy {loaded:8.2f} us/zone, "
                      f"busy / quiet = {loaded / quiet:5.2f} (goal <= 2 for the default)")
            em.set_threads(1)
        # --- caller threads, one zone per call (an OpenMP loop over zones)
        scal = res["caller_threads"] = {}
        print("\ncaller threads, one zone per call, 1 libtorch thread each (wall clock):")
        for nthr in sorted({1, n_cores}):
            def calls():
                def work(k):
                    for s in range(k, 256, nthr):
                        em.burn_batch(T[s:s + 1], rho[s:s + 1], X[s:s + 1], dt, n_threads=1)
                ths = [threading.Thread(target=work, args=(k,)) for k in range(nthr)]
                for th in ths:
                    th.start()
                for th in ths:
                    th.join()
            t = timeit(calls, a.min_time, clock=time.perf_counter) / 256 * 1e6
            scal[f"{nthr} threads"] = t
            print(f"  {nthr:3d} caller threads: {t:10.2f} us/zone")

    # --- the fallback path: a dt outside the range sends every zone to the integrator
    dt_out = hi * 10
    t_direct = timeit(lambda: net.burn_batch(T[:ne], rho[:ne], X[:ne], dt_out, n_threads=1),
                      a.min_time, min_reps=2) / ne * 1e6
    t_fb = timeit(lambda: em.burn_batch(T[:ne], rho[:ne], X[:ne], dt_out, n_threads=1),
                  a.min_time, min_reps=2) / ne * 1e6
    res["fallback"] = {"Network.burn_batch us/zone": t_direct, "Emulator fallback us/zone": t_fb,
                       "overhead": t_fb / t_direct - 1}
    print(f"\nfallback path (dt {dt_out:g} s outside the range): engine {t_direct:.1f} us/zone, "
          f"via the emulator {t_fb:.1f} us/zone ({100 * (t_fb / t_direct - 1):+.1f} %)")
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))
    tmp.cleanup()
    return res


if __name__ == "__main__":
    main()
