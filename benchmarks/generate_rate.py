"""Training-set generation rate: samples per second of ``python -m nnn.generate``.

Generates ``--n`` samples (9 output times 1e-6 .. 100 s, the default settings) for each
network on ``--threads`` engine threads and projects the time for the paper's 1,048,576
samples.  Not a test; run by hand::

    python benchmarks/generate_rate.py --networks mesa_80,mesa_151 --n 256 --threads 2

Prints one line per network and writes ``--json`` if given.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

PAPER_SAMPLES = 1_048_576


def bench(network, n, threads, seed=0, chunk_size=64, tmax=None):
    from nnn.emulate import dataset as ds
    from nnn.emulate.burn import load_network
    from nnn.emulate.generate import generate

    net = load_network(network)
    times = None
    if tmax is not None:
        times = [t for t in ds.DEFAULT_TIMES if t <= tmax * (1 + 1e-9)]
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "bench.h5"
        t0 = time.perf_counter()
        generate(out, network=net, n_samples=n, seed=seed, chunk_size=chunk_size,
                 n_threads=threads, times=times, progress=False)
        wall = time.perf_counter() - t0
        meta = ds.read_meta(out)
    rate = n / wall
    return {"network": network, "n": n, "threads": threads, "wall_s": wall,
            "samples_per_s": rate, "n_failed": meta["n_failed"],
            "mean_steps": meta["n_steps_total"] / n,
            "times": list(meta["times"]),
            "projected_paper_h": PAPER_SAMPLES / rate / 3600.0}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--networks", default="mesa_80,mesa_151")
    p.add_argument("--n", type=int, default=256)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--tmax", type=float, default=None,
                   help="integrate only to this time (default: all 9 times to 100 s)")
    p.add_argument("--json", default=None)
    a = p.parse_args(argv)
    rows = []
    for net in a.networks.split(","):
        r = bench(net, a.n, a.threads, tmax=a.tmax)
        rows.append(r)
        print(f"{net}: {r['samples_per_s']:.2f} samples/s on {a.threads} threads "
              f"({r['n']} samples in {r['wall_s']:.1f} s, {r['mean_steps']:.0f} steps/sample, "
              f"{r['n_failed']} failed); {PAPER_SAMPLES} samples -> "
              f"{r['projected_paper_h']:.1f} h", flush=True)
    if a.json:
        Path(a.json).write_text(json.dumps({"cpu_count": os.cpu_count(), "rows": rows},
                                           indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
