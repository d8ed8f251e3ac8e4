"""Per-zone cost of the emulator path vs the integrator, in one run.

    python benchmarks/bench_emulator.py                        # untrained paper-size mesa_80 model
    python benchmarks/bench_emulator.py --models run/models    # a trained model directory / file
    python benchmarks/bench_emulator.py --arch 256,256,4 --device cuda --json out.json

Measures, per zone (microseconds), on the same silicon-burning zones inside
the model's training domain:

- emulator inference through libnnn (``nnn.Emulator.burn_batch``: domain
  check + batched TorchScript forward + sanity check) at batch 1, 64, 1000;
  also the bare forward of the same module in Python torch, for reference;
- the engine (BDF integrator) on the model's network (mesa_80) and on the
  small network (approx21_cr60_plus_co56) over the same dt;
- ratios engine / emulator (goal of issue 6 on CPU: >= 100x vs mesa_80 and
  >= 5x vs the small net at batch 1000);
- thread scaling of inference (libtorch intra-op threads; and several caller
  threads sharing one emulator, the OpenMP pattern), and the overhead of the
  fallback path (all zones to the integrator through the emulator vs
  Network.burn_batch directly).

Inference cost depends on the architecture, not on training, so without
``--models`` an untrained model of the paper's size (1024, 2048 x 11, 12
layers; ``--arch`` to change) is exported to a temporary directory. Every
engine and inference figure is single-threaded unless stated.
"""

from __future__ import annotations

import argparse
import json
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
from nnn.emulator import has_libtorch

SMALL = "approx21_cr60_plus_co56"


CLOCK = time.perf_counter


def timeit(fn, min_time=0.5, min_reps=3, max_reps=10000, clock=None):
    """Median time of fn() over repetitions lasting about min_time s. clock:
    CLOCK (--clock: the calling thread's CPU time, robust on a shared machine,
    for work done in this thread; or wall time), or time.perf_counter."""
    clock = clock or CLOCK
    fn()  # warm-up (TorchScript profiling runs, page faults)
    times = []
    t_start = time.perf_counter()
    while len(times) < min_reps or (time.perf_counter() - t_start < min_time and len(times) < max_reps):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return statistics.median(times)


def make_model(net, dt, arch, domain, out: Path) -> Path:
    from nnn.emulate import model as mdl

    first, width, depth = arch
    m = mdl.Emulator(net.n_species, first=first, width=width, depth=depth)
    meta = {"network": net.name, "network_hash": net.file_hash, "isotopes": list(net.isotopes),
            "dt": dt, "domain": domain,
            "architecture": {"first": first, "width": width, "depth": depth},
            "normalisation": {}, "training": {"note": "untrained: benchmark of inference cost"}}
    return mdl.export(m, out / mdl.model_filename(net.name, dt), meta)


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


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--models", help="model file or directory (default: untrained --arch model)")
    p.add_argument("--network", default="mesa_80", help="network of the generated model")
    p.add_argument("--arch", default="1024,2048,12", help="first,width,depth of the generated model")
    p.add_argument("--dt", type=float, default=None, help="dt (s); default: the model's first dt")
    p.add_argument("--device", default="cpu", help="cpu or cuda")
    p.add_argument("--engine-zones", type=int, default=16, help="zones burned per engine timing")
    p.add_argument("--min-time", type=float, default=0.5, help="seconds per timing")
    p.add_argument("--clock", choices=["thread", "wall"], default="thread",
                   help="single-threaded timings: CPU time of the calling thread (default; "
                        "robust on a loaded machine) or wall time. Multi-threaded ones are wall.")
    p.add_argument("--json", help="write the results here")
    a = p.parse_args(argv)
    global CLOCK
    if a.device != "cpu":
        a.clock = "wall"  # GPU work is not CPU time of this thread
    CLOCK = time.thread_time if a.clock == "thread" else time.perf_counter
    if not has_libtorch():
        sys.exit("nnn was built without libtorch: no emulator path to benchmark")
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        sys.exit("--device cuda: torch sees no CUDA device")

    tmp = tempfile.TemporaryDirectory()
    if a.models:
        em = nnn.Emulator.load(a.models, device=a.device)
        net = em.network
        model_desc = a.models
    else:
        net = nnn.Network.load(a.network)
        arch = tuple(int(v) for v in a.arch.split(","))
        domain = {"logT": [9.2, 9.8], "logrho": [7.0, 9.5], "Ye": [0.45, 0.5]}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            make_model(net, a.dt or 1e-3, arch, domain, Path(tmp.name))
        em = nnn.Emulator.load(tmp.name, network=net, device=a.device)
        model_desc = f"untrained {net.name} model, arch first={arch[0]} width={arch[1]} depth={arch[2]}"
    dt = a.dt or em.dts[0]
    domain = em.domain(dt)
    small = nnn.Network.load(SMALL)
    n_cores = os.cpu_count() or 1
    res = {"model": model_desc, "network": net.name, "dt": dt, "device": a.device, "clock": a.clock,
           "cores": n_cores, "torch": torch.__version__, "us_per_zone": {}, "ratios": {}}
    us = res["us_per_zone"]
    print(f"# {model_desc}; dt = {dt:g} s; device {a.device}; {n_cores} cores; torch {torch.__version__}; "
          f"1-thread timings: {a.clock} clock, multi-threaded: wall")

    T, rho, X = sample_zones(net, 1000, domain)
    # --- emulator through libnnn, 1 libtorch thread, then all cores
    for threads in ([1, 0] if a.device == "cpu" else [0]):
        em.set_threads(threads)
        label = "1 thread" if threads == 1 else f"{n_cores} threads" if a.device == "cpu" else a.device
        for b in (1, 64, 1000):
            def f():
                r = em.burn_batch(T[:b], rho[:b], X[:b], dt, n_threads=1)
                assert not r.used_fallback.any(), "zones left the domain: pick --dt / other zones"
            t = timeit(f, a.min_time, clock=None if threads == 1 else time.perf_counter) / b * 1e6
            us[f"emulator libnnn batch {b} ({label})"] = t
            print(f"emulator (libnnn)   batch {b:5d}  {label:>10s}: {t:12.2f} us/zone")
    em.set_threads(1)
    # --- the same module in Python torch (bare forward, no checks)
    module = torch.jit.load(em.models[0]["path"], map_location=a.device)
    x = np.concatenate([np.log10(T)[:, None], np.log10(rho)[:, None], X], axis=1).astype(np.float32)
    torch.set_num_threads(1)
    for b in (1, 64, 1000):
        xt = torch.from_numpy(x[:b]).to(a.device)

        def g():
            with torch.inference_mode():
                module(xt).cpu()
        t = timeit(g, a.min_time) / b * 1e6
        us[f"torch forward batch {b} (1 thread)"] = t
        print(f"torch forward (py)  batch {b:5d}    1 thread: {t:12.2f} us/zone")
    torch.set_num_threads(n_cores)

    # --- the engine: mesa_80 (the model's net) and the small net, 1 thread
    ne = a.engine_zones
    t_net = timeit(lambda: net.burn_batch(T[:ne], rho[:ne], X[:ne], dt, n_threads=1), a.min_time,
                   min_reps=2) / ne * 1e6
    us[f"engine {net.name} (1 thread)"] = t_net
    print(f"engine {net.name:>24s}       1 thread: {t_net:12.2f} us/zone")
    Ts, rs, Xs = sample_zones(small, ne, domain)
    t_small = timeit(lambda: small.burn_batch(Ts, rs, Xs, dt, n_threads=1), a.min_time,
                     min_reps=2) / ne * 1e6
    us[f"engine {SMALL} (1 thread)"] = t_small
    print(f"engine {SMALL:>24s}       1 thread: {t_small:12.2f} us/zone")

    print("\nratios (engine / emulator, per zone, 1 thread each):")
    for b in (1, 64, 1000):
        key = f"emulator libnnn batch {b} (1 thread)" if a.device == "cpu" else \
            f"emulator libnnn batch {b} ({a.device})"
        e = us[key]
        r1, r2 = t_net / e, t_small / e
        res["ratios"][f"batch {b}"] = {f"{net.name} engine / emulator": r1,
                                       f"{SMALL} engine / emulator": r2}
        print(f"  batch {b:5d}: {net.name} engine / emulator = {r1:8.1f}x   "
              f"small net / emulator = {r2:8.2f}x")
    if a.device == "cpu":
        print(f"  goal at batch 1000: >= 100x vs {net.name}, >= 5x vs the small net")

    # --- thread scaling
    if a.device == "cpu":
        print("\nthread scaling, batch 1000 (wall clock):")
        scal = res["thread_scaling"] = {}
        for th in sorted({1, 2, 4, n_cores}):
            if th > n_cores:
                continue
            em.set_threads(th)
            t = timeit(lambda: em.burn_batch(T, rho, X, dt, n_threads=1), a.min_time,
                       clock=time.perf_counter) / 1000 * 1e6
            scal[f"libtorch threads {th}"] = t
            print(f"  libtorch intra-op threads {th:3d}: {t:10.2f} us/zone")
        em.set_threads(1)
        for nthr in sorted({1, 2, n_cores}):
            # nthr caller threads, each burning its own 64-zone slices (the OpenMP pattern)
            def calls():
                def work(k):
                    for s in range(k * 64, 1000 - 63, 64 * nthr):
                        em.burn_batch(T[s:s + 64], rho[s:s + 64], X[s:s + 64], dt, n_threads=1)
                ths = [threading.Thread(target=work, args=(k,)) for k in range(nthr)]
                for th_ in ths:
                    th_.start()
                for th_ in ths:
                    th_.join()
            n_done = len(range(0, 1000 - 63, 64))
            t = timeit(calls, a.min_time, clock=time.perf_counter) / (n_done * 64) * 1e6
            scal[f"caller threads {nthr} (batch 64, 1 libtorch thread each)"] = t
            print(f"  {nthr:3d} caller threads x batch 64   : {t:10.2f} us/zone")

    # --- overhead of the fallback path: every zone to the integrator via the emulator
    dt_untrained = dt * 1.5
    t_direct = timeit(lambda: net.burn_batch(T[:ne], rho[:ne], X[:ne], dt_untrained, n_threads=1),
                      a.min_time, min_reps=2) / ne * 1e6
    t_fb = timeit(lambda: em.burn_batch(T[:ne], rho[:ne], X[:ne], dt_untrained, n_threads=1),
                  a.min_time, min_reps=2) / ne * 1e6
    res["fallback"] = {"Network.burn_batch us/zone": t_direct, "Emulator fallback us/zone": t_fb,
                       "overhead": t_fb / t_direct - 1}
    print(f"\nfallback path ({net.name}, dt {dt_untrained:g} s untrained, {ne} zones): "
          f"engine {t_direct:.1f} us/zone, via emulator {t_fb:.1f} us/zone "
          f"({100 * (t_fb / t_direct - 1):+.1f} %)")
    if a.json:
        Path(a.json).write_text(json.dumps(res, indent=1))
    tmp.cleanup()
    return res


if __name__ == "__main__":
    main()
