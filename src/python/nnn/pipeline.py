"""The whole emulator chain in one command: ``python -m nnn.pipeline --preset small --out DIR``.

generate a training set -> train one model per dt -> export TorchScript to ``DIR/models/``
-> evaluate against the target engine and the small net -> ``DIR/metrics.json``,
``DIR/table.md``, figures.  Re-running the same command reuses a finished dataset, resumes
an interrupted generation and continues training from the last checkpoints.

Presets:

* ``small`` -- a few minutes on a 2-core machine: a small mesa_80 set, a small model for
  one dt, evaluation on fewer test cases;
* ``paper`` -- the paper-scale run: 1,048,576 samples, the paper's architecture for all
  9 dt, 700 test cases (hours of generation on a cluster or many cores, training on a GPU).

Any preset value can be overridden on the command line (``--n-samples``, ``--dt``, ...).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

PRESETS = {
    "small": {"network": "mesa_80", "n_samples": 2048, "chunk_size": 256, "dt": [1e-3],
              "arch": "small", "epochs": 2000, "patience": 40, "batch_size": 256, "lr": 1e-3,
              "max_minutes": 2.0, "n_test": 300, "n_timing": 16, "seed": 0,
              "truncate_times": True},
    "paper": {"network": "mesa_80", "n_samples": 1_048_576, "chunk_size": 4096, "dt": "all",
              "arch": "paper", "epochs": 200, "patience": 10, "batch_size": 512, "lr": 1e-4,
              "max_minutes": None, "n_test": 700, "n_timing": 64, "seed": 0,
              "truncate_times": False},
}


def run(preset="small", out="nnn_run", progress=True, **over):
    from nnn.emulate import dataset as ds
    from nnn.emulate import plots
    from nnn.emulate.evaluate import evaluate
    from nnn.generate import generate
    from nnn.train import train

    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    cfg = dict(PRESETS[preset])
    cfg.update({k: v for k, v in over.items() if v is not None})
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    data = out / f"{cfg['network']}_train.h5"
    timings = {}

    t0 = time.perf_counter()
    if data.exists():
        meta = ds.read_meta(data)
        if meta["n_samples"] != cfg["n_samples"] or meta["network"] != cfg["network"]:
            raise ValueError(f"{str(data)!r} holds {meta['n_samples']} samples of "
                             f"{meta['network']!r}, the run asks for {cfg['n_samples']} of "
                             f"{cfg['network']!r}: remove it or use another --out")
    else:
        times = None
        if cfg["truncate_times"] and cfg["dt"] != "all":
            # integrate only as far as the longest trained dt (much cheaper for short dt)
            times = [t for t in ds.DEFAULT_TIMES if t <= max(cfg["dt"]) * (1 + 1e-9)]
        generate(data, network=cfg["network"], n_samples=cfg["n_samples"], seed=cfg["seed"],
                 chunk_size=cfg["chunk_size"], scheduler=cfg.get("scheduler"), times=times,
                 progress=progress)
    timings["generate_s"] = time.perf_counter() - t0
    meta = ds.read_meta(data)
    dts = [float(t) for t in meta["times"]] if cfg["dt"] == "all" else \
        [float(t) for t in cfg["dt"]]
    for dt in dts:
        ds.dt_index(meta, dt)

    summaries = []
    t0 = time.perf_counter()
    for dt in dts:
        s = train(data, dt, out, arch=cfg["arch"], epochs=cfg["epochs"],
                  patience=cfg["patience"], lr=cfg["lr"], batch_size=cfg["batch_size"],
                  seed=cfg["seed"], device=cfg.get("device", "auto"), resume=True,
                  n_threads=cfg.get("threads"), max_minutes=cfg["max_minutes"],
                  progress=progress)
        plots.fig_training(out / f"training_dt{dt:.0e}.png", s["history"],
                           title=f"{cfg['network']} dt={dt:g} s ({cfg['arch']})")
        summaries.append({k: s[k] for k in ("model", "n_train", "epochs", "best_epoch",
                                             "final_losses", "train_time_s", "n_parameters",
                                             "stop_reason")})
    timings["train_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    # the three test sets with every baseline; timings live in benchmarks/bench_emulator.py
    doc = evaluate(model=out / "models", out=out, network=cfg["network"],
                   n_test=cfg["n_test"], progress=progress)
    timings["evaluate_s"] = time.perf_counter() - t0
    rep = {"preset": preset, "config": cfg, "dataset": str(data),
           "dataset_samples_per_s": meta.get("samples_per_s"), "n_failed": meta["n_failed"],
           "training": summaries, "timings": timings, "metrics": doc}
    (out / "pipeline.json").write_text(json.dumps(rep, indent=1, default=str))
    return rep


def build_parser():
    p = argparse.ArgumentParser(prog="python -m nnn.pipeline", description=__doc__.split("\n")[0])
    p.add_argument("--preset", default="small", choices=sorted(PRESETS))
    p.add_argument("--out", required=True)
    p.add_argument("--network", default=None)
    p.add_argument("--n-samples", type=int, default=None)
    p.add_argument("--dt", default=None, help="comma list or 'all'")
    p.add_argument("--arch", default=None)
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--max-minutes", type=float, default=None, help="training time per dt")
    p.add_argument("--n-test", type=int, default=None)
    p.add_argument("--device", default=None)
    p.add_argument("--threads", type=int, default=None, help="torch threads for training")
    p.add_argument("--scheduler", default=None, help="dask scheduler for the generation")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv=None):
    a = build_parser().parse_args(argv)
    dt = None
    if a.dt:
        dt = "all" if a.dt == "all" else [float(v) for v in a.dt.split(",")]
    try:
        rep = run(a.preset, a.out, progress=not a.no_progress, network=a.network,
                  n_samples=a.n_samples, dt=dt, arch=a.arch, epochs=a.epochs,
                  max_minutes=a.max_minutes, n_test=a.n_test, device=a.device,
                  threads=a.threads, scheduler=a.scheduler, seed=a.seed)
    except (ValueError, FileNotFoundError) as e:
        print(f"nnn.pipeline: error: {e}", file=sys.stderr)
        return 2
    print((Path(a.out) / "table.md").read_text())
    t = rep["timings"]
    print(f"generate {t['generate_s']:.0f} s, train {t['train_s']:.0f} s, evaluate "
          f"{t['evaluate_s']:.0f} s; results in {a.out}/ (metrics.json, table.md, *.png, "
          "models/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
