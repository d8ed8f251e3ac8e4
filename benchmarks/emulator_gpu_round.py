"""One lent-GPU round of emulator training, inside a fixed wall-clock budget.

    python benchmarks/emulator_gpu_round.py --out DIR --n 262144 --workers 16 \
        --budget-s 540 --device cuda

1. generates the mesa_80 training set (seed 1: the shipped model's 65,536 samples are its
   first 65,536, bit for bit) on ``--workers`` processes (``python -m nnn.generate``); if it
   is not done at ``--gen-deadline-s`` it is stopped and its finished prefix becomes the set
   (``dataset.finish_prefix``);
2. trains ``JOBS`` one after another on that set (one process on the GPU at a time), each
   with a phase-1 time limit that leaves ``--reserve-s`` for the energy and error heads and
   the export; ``--max-samples`` in a job's options gives the learning curve's smaller
   points from the same set.

Every job's ``python -m nnn.train`` command line is printed and written to ``DIR/jobs.json``;
the models are ``DIR/<job>/mesa_80.pt`` with their ``.json`` training summaries.  Scoring
them is ``python -m nnn.evaluate`` or ``nnn.emulate.pipeline.finalize`` (on any machine).

Measured on the lent H200 machine (16 cores), 2026-12-04: the generation ran at 1030
samples/s (262,144 samples, 29 failed, 254 s); two training processes sharing the GPU took
39 ms per batch-4096 step each, 8x the estimate from the ~500 kernel launches of a step, so
the jobs now run one at a time.  Time one job alone before planning a longer round.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from nnn.cli import Parser

#: (name, trainer options beyond COMMON, share of the training time) in the order they run.
#: The shipped recipe is small, --w-ye 3 --burned-starts 8, 30 epochs, batch 1024, lr 1e-3
#: on one CPU thread; on a GPU a step is bound by kernel launches (~500 a step), so batch
#: 4096 costs about what 1024 does, with lr 2e-3 (Adam, ~sqrt of the batch ratio).
JOBS = [
    ("small_full", ["--arch", "small", "--epochs", "20"], 1.0),
]
COMMON = ["--batch-size", "4096", "--lr", "2e-3", "--w-ye", "3", "--burned-starts", "8",
          "--energy-epochs", "20", "--threads", "1", "--no-progress"]


def log(t0, msg):
    print(f"[{time.perf_counter() - t0:6.1f} s] {msg}", flush=True)


def start_job(name, data, out, opts, device, max_minutes, jobs, t0):
    cmd = [sys.executable, "-m", "nnn.train", "--data", str(data), "--out", str(out / name),
           "--device", device, "--max-minutes", f"{max_minutes:.2f}", *COMMON, *opts]
    jobs[name] = {"cmd": cmd, "started_s": time.perf_counter() - t0}
    log(t0, f"start {name}: {' '.join(cmd[1:])}")
    (out / name).mkdir(parents=True, exist_ok=True)
    f = open(out / name / "train.log", "w")
    return subprocess.Popen(cmd, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)


def contiguous_chunks(run):
    from nnn.emulate import dataset as ds

    pdir = ds.parts_dir(run)
    done = {int(p.stem.split("_")[1]) for p in pdir.glob("chunk_*.h5")}
    n = 0
    while n in done:
        n += 1
    return n


def main(argv=None):
    p = Parser(prog="emulator_gpu_round.py", description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True)
    p.add_argument("--network", default="mesa_80")
    p.add_argument("--n", type=int, default=262144, help="samples to generate")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--workers", type=int, default=os.cpu_count())
    p.add_argument("--device", default="cuda")
    p.add_argument("--budget-s", type=float, default=540.0, help="whole run, wall clock")
    p.add_argument("--gen-deadline-s", type=float, default=270.0)
    p.add_argument("--reserve-s", type=float, default=150.0,
                   help="left after phase 1 for the heads, export and copying")
    a = p.parse_args(argv)
    from nnn.emulate import dataset as ds

    t0 = time.perf_counter()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    run = out / f"{a.network}_{a.n}.h5"
    gen_cmd = [sys.executable, "-m", "nnn.generate", "--network", a.network, "--n", str(a.n),
               "--seed", str(a.seed), "--workers", str(a.workers), "--out", str(run),
               "--no-progress"]
    log(t0, "generate: " + " ".join(gen_cmd[1:]))
    gen = subprocess.Popen(gen_cmd, start_new_session=True)
    try:
        gen.wait(timeout=max(1.0, a.gen_deadline_s))
        data = run
        log(t0, f"generation finished (exit {gen.returncode})")
    except subprocess.TimeoutExpired:
        os.killpg(gen.pid, signal.SIGKILL)
        gen.wait()
        # chunks finish out of order (a chunk waits for its slowest zone): the set is the
        # longest run of finished chunks from the first
        n_done = contiguous_chunks(run) * ds.DatasetSpec.chunk_size
        log(t0, f"generation stopped at its deadline: {n_done} contiguous samples")
        data = out / f"{a.network}_{n_done}.h5"
        ds.finish_prefix(run, n_done, data)
    meta = ds.read_meta(data)
    log(t0, f"set {data}: {meta['n_samples']} samples, {meta['n_failed']} failed")
    jobs, procs = {}, {}
    for k, (name, opts, share) in enumerate(JOBS):
        left = a.budget_s - (time.perf_counter() - t0) - a.reserve_s * (len(JOBS) - k)
        minutes = left * share / sum(sh for _, _, sh in JOBS[k:]) / 60
        pr = start_job(name, data, out, opts, a.device, max(minutes, 0.5), jobs, t0)
        procs[name] = pr
        try:
            pr.wait(timeout=max(1.0, a.budget_s - (time.perf_counter() - t0)))
        except subprocess.TimeoutExpired:
            os.killpg(pr.pid, signal.SIGKILL)
            pr.wait()
            log(t0, f"{name}: killed at the budget")
            break
        log(t0, f"{name}: exit {pr.returncode}")
    rep = {"data": str(data), "n_samples": int(meta["n_samples"]),
           "n_failed": int(meta["n_failed"]), "wall_s": time.perf_counter() - t0,
           "jobs": jobs, "exit": {k: pr.returncode for k, pr in procs.items()}}
    (out / "jobs.json").write_text(json.dumps(rep, indent=1))
    log(t0, f"done: {rep['exit']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
