"""Where an emulated zone's time goes: the cost split of ``nnn.Emulator.burn_batch``.

    python benchmarks/profile_emulator.py                      # shipped mesa_80 model, batch 1000
    python benchmarks/profile_emulator.py --model mesa_80_bf16 # its bfloat16 copy
    python benchmarks/profile_emulator.py --model runs/m80/mesa_80.pt --batch 64 --seconds 10

On one thread (1 libtorch thread), at one dt (default 1e-3 s), on the
silicon-burning zones of benchmarks/bench_emulator.py:

- timings per zone (calling thread's CPU time, median; printed only when the
  load average is below 1.5, else "not timed (machine busy)"):
    * ``nnn.Emulator.burn_batch`` with every check (the user's call);
    * the C++ call alone (``_core.burn``): the difference is the Python wrapper;
    * the C++ call without the energy and |dYe| checks: the difference is the checks;
    * the network part libnnn runs in TorchScript (``forward_parts``) and its trunk
      alone (``hidden``): the rest of the C++ call is libnnn's assembly (Ye tilt,
      softmax, energies: src/cpp/emulator/assembly.cpp) and its per-zone work;
    * for reference, the model's whole ``forward`` in Python torch (the definition,
      with the Ye tilt in TorchScript);
  and the Ye tilt's iterations at this batch in that forward (it runs until every zone
  has converged);
- with Linux ``perf`` (``--seconds`` > 0): time shares of a steady loop of
  ``burn_batch`` calls (perf attaches after the warm-up, so imports and
  TorchScript's first runs are not counted), grouped into float32 matmul (MKL
  sgemm), oneDNN's JIT kernels (the bf16 matmuls), float64 BLAS, torch's
  transcendental kernels, other libtorch work (elementwise kernels, dispatch, the
  interpreter), libnnn's vector exp/log (libmvec: the assembly and the |dYe| bound),
  kernel (page faults of freshly allocated tensors), the C++ runtime (libnnn's
  assembly and checks: weak-rate tables, Kinetics, input checks), libc (malloc,
  memcpy) and Python. Shares are valid on a busy machine; timings are not.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_emulator import sample_zones, timeit  # noqa: E402

import nnn  # noqa: E402
from nnn.emulate.runtime import DEFAULT_INTEGRATOR  # noqa: E402
from nnn.network.core import DEFAULT_ATOL, DEFAULT_MAX_STEPS, DEFAULT_RTOL  # noqa: E402

QUIET_LOAD = 1.5  # load average above which timings are not reported

# perf symbol/DSO patterns -> group (first match wins)
GROUPS = [
    ("matmul float32 (trunk, heads: MKL sgemm)", lambda dso, sym: "sgemm" in sym),
    ("oneDNN JIT kernels (bf16 matmuls)", lambda dso, sym: dso.startswith("[JIT]")),
    ("libnnn vector exp/log (libmvec)", lambda dso, sym: dso.startswith("libmvec")),
    ("float64 BLAS (MKL)", lambda dso, sym: "mkl_blas" in sym or "gemv" in sym or "gemm" in sym),
    ("softmax/exp/log", lambda dso, sym: re.search(r"softmax|Sleef_exp|Sleef_log|vml_kernel_[sd](Exp|Ln)|"
                                                   r"exp_kernel|log_kernel", sym) is not None),
    ("other libtorch (elementwise, dispatch, interpreter)", lambda dso, sym: dso.startswith(("libtorch", "libc10"))),
    ("kernel (page faults, scheduling)", lambda dso, sym: "kernel" in dso),
    ("C++ runtime (libnnn assembly, checks)", lambda dso, sym: dso.startswith(("_emulator", "_core", "libnnn",
                                                                                "libm.", "libstdc++"))),
    ("libc (malloc, memcpy)", lambda dso, sym: dso.startswith("libc.")),
    ("Python", lambda dso, sym: dso.startswith(("libpython", "python", "_multiarray"))),
]

LOOP = """
import sys
sys.path.insert(0, {bench!r})
import nnn
from bench_emulator import sample_zones
em = nnn.Emulator.load({model!r}, network={network!r})
T, rho, X = sample_zones(em.network, {batch}, em.domain)
for _ in range(3):
    em.burn_batch(T, rho, X, {dt!r}, n_threads=1)
print("ready", flush=True)
while True:
    em.burn_batch(T, rho, X, {dt!r}, n_threads=1)
"""


def perf_shares(model, network, batch, dt, seconds):
    """{group: percent} of a steady burn_batch loop, or None without perf."""
    if shutil.which("perf") is None:
        return None
    with tempfile.TemporaryDirectory() as d:
        script, data = os.path.join(d, "loop.py"), os.path.join(d, "perf.data")
        Path(script).write_text(LOOP.format(bench=str(Path(__file__).resolve().parent), model=model,
                                            network=network, batch=batch, dt=dt))
        loop = subprocess.Popen([sys.executable, script], stdout=subprocess.PIPE, text=True)
        try:
            if loop.stdout.readline().strip() != "ready":
                return None
            subprocess.run(["perf", "record", "-q", "-F", "999", "-p", str(loop.pid), "-o", data,
                            "--", "sleep", str(seconds)], capture_output=True, check=False)
        finally:
            loop.kill()
            loop.wait()
        rep = subprocess.run(["perf", "report", "-i", data, "--no-children", "--stdio",
                              "--sort", "dso,sym", "-g", "none"], capture_output=True, text=True)
    shares = {g: 0.0 for g, _ in GROUPS}
    shares["rest"] = 0.0
    top = []
    for line in rep.stdout.splitlines():
        # the dso is one word, or "[JIT] tid N" (oneDNN's generated kernels)
        m = re.match(r"\s*([\d.]+)%\s+(\[JIT\] tid \d+|\S+)\s+\[.\]\s+(.*)", line)
        if not m:
            continue
        pct, dso, sym = float(m.group(1)), m.group(2), m.group(3).strip()
        top.append((pct, dso, sym))
        for g, match in GROUPS:
            if match(dso, sym):
                shares[g] += pct
                break
        else:
            shares["rest"] += pct
    return shares, top


def tilt_iterations(module, x):
    """Iterations of the Ye tilt in the module's forward on this batch: the fewest whose result
    equals the full one (the loop stops once every zone has converged)."""
    n = int(module.n_iso)
    with torch.inference_mode():
        out = module.forward_parts(x)[:, :n + 1]
        full, _ = module.composition(x, out, int(module.n_tilt), float(module.lam_max))
        for k in range(int(module.n_tilt) + 1):
            if torch.equal(module.composition(x, out, k, float(module.lam_max))[0], full):
                return k
    return int(module.n_tilt)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="mesa_80", help="model file or network name (its shipped model)")
    p.add_argument("--network", help="network name or file (default: the one named in the model)")
    p.add_argument("--batch", type=int, default=1000, help="zones per call")
    p.add_argument("--dt", type=float, default=1e-3, help="dt (s), inside the model's range")
    p.add_argument("--min-time", type=float, default=1.0, help="seconds per timing")
    p.add_argument("--seconds", type=float, default=15.0, help="perf sampling time (0: no perf)")
    p.add_argument("--top", type=int, default=15, help="hottest symbols to list")
    p.add_argument("--show-busy", action="store_true",
                   help="print timings on a busy machine too (marked; diagnostics only)")
    a = p.parse_args(argv)
    torch.set_num_threads(1)
    em = nnn.Emulator.load(a.model, network=a.network)
    T, rho, X = sample_zones(em.network, a.batch, em.domain)
    n = a.batch
    load = os.getloadavg()[0]
    quiet = load < QUIET_LOAD
    print(f"# {em.info['path']}; batch {n}; dt = {a.dt:g} s; 1 thread; load average {load:.2f}")
    r = em.burn_batch(T, rho, X, a.dt, n_threads=1)
    print(f"zones on the emulator path: {100 * (1 - r.used_fallback.mean()):.1f} %")

    clock = time.thread_time
    cfg = em.config
    core = em._core
    args = (T, rho, X, a.dt, DEFAULT_RTOL, DEFAULT_ATOL, DEFAULT_MAX_STEPS, DEFAULT_INTEGRATOR, 1)
    nocheck = dict(cfg, check_energy=False, check_dye=False)
    module = torch.jit.load(em.info["path"])
    x = torch.from_numpy(np.column_stack([np.log10(T), np.log10(rho), np.full(n, np.log10(a.dt)), X]))

    def fwd():
        with torch.inference_mode():
            module(x)

    # the TorchScript part as libnnn runs it: from the trunk input libnnn builds in C++
    # (files with parts_of_trunk_input), else from the raw inputs
    from_z = module._c._has_method("parts_of_trunk_input")
    with torch.inference_mode():
        z = module.trunk_input(x) if from_z else None

    def parts():
        with torch.inference_mode():
            module.parts_of_trunk_input(z) if from_z else module.forward_parts(x)

    def trunk():
        with torch.inference_mode():
            module.hidden_of(z) if from_z else module.hidden(x.float())

    us = {}
    us["burn_batch, every check"] = timeit(lambda: em.burn_batch(T, rho, X, a.dt, n_threads=1), a.min_time,
                                           clock=clock)
    us["C++ call, every check"] = timeit(lambda: core.burn(*args, cfg), a.min_time, clock=clock)
    us["C++ call, no energy/|dYe| check"] = timeit(lambda: core.burn(*args, nocheck), a.min_time, clock=clock)
    us["network part (forward_parts)"] = timeit(parts, a.min_time, clock=clock)
    us["trunk (hidden) alone"] = timeit(trunk, a.min_time, clock=clock)
    us["torch forward (Python, reference)"] = timeit(fwd, a.min_time, clock=clock)
    us = {k: v / n * 1e6 for k, v in us.items()}
    print(f"Ye tilt iterations at this batch: {tilt_iterations(module, x)} (at most {int(module.n_tilt)})")
    if quiet or a.show_busy:
        if not quiet:
            print(f"BUSY MACHINE (load average {load:.2f}): timings below are not valid measurements")
        for k, v in us.items():
            print(f"  {k:>36s}: {v:8.2f} us/zone")
        print("split (us/zone):")
        split = {
            "Python wrapper": us["burn_batch, every check"] - us["C++ call, every check"],
            "energy + |dYe| checks": us["C++ call, every check"] - us["C++ call, no energy/|dYe| check"],
            "C++: trunk input, assembly, per zone": us["C++ call, no energy/|dYe| check"]
            - us["network part (forward_parts)"],
            "trunk (hidden)": us["trunk (hidden) alone"],
            "heads": us["network part (forward_parts)"] - us["trunk (hidden) alone"],
        }
        for k, v in split.items():
            print(f"  {k:>36s}: {v:8.2f}")
    else:
        print(f"timings: not timed (machine busy, load average {load:.2f} >= {QUIET_LOAD})")

    if a.seconds > 0:
        res = perf_shares(a.model, a.network, n, a.dt, a.seconds)
        if res is None:
            print("perf not available: no time shares")
            return
        shares, top = res
        print(f"time shares (perf, steady burn_batch loop, {a.seconds:g} s):")
        for g, v in shares.items():
            print(f"  {g:>52s}: {v:5.1f} %")
        print("hottest symbols:")
        for pct, dso, sym in top[:a.top]:
            print(f"  {pct:5.2f} %  {dso:<28.28s} {sym[:90]}")


if __name__ == "__main__":
    main()
