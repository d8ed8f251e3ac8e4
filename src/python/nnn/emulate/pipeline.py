"""The whole emulator chain in one command: ``python -m nnn.pipeline --preset small --out DIR``.

generate a training set -> train one model for every dt (TorchScript ``DIR/<network>.pt``)
-> evaluate it against the target engine with the paper's metrics and the baselines (small
net, persistence, noise floor) -> ``DIR/<network>_eval/metrics.json``, ``table.md``, figures;
the metrics at the nine dt are written into the model's metadata.  Re-running the same
command reuses a finished dataset, resumes an interrupted generation and continues training
from the last checkpoint.

Presets:

* ``small`` -- a few minutes on a 2-core machine: a small mesa_80 set, a small model,
  evaluation on 100 cases per test set;
* ``default`` -- the models shipped in ``network_data/emulators/`` (mesa_80 and mesa_151),
  retrained from scratch: the same seeds, sizes, architecture and time budget (hours on
  2 cores; see docs/emulators.md), and their bfloat16 copies (``mesa_80_bf16``: the same
  weights in bf16, for CPUs with bf16 units).  ``--install`` copies the results there.

Any preset value can be overridden on the command line (``--n-samples``, ``--arch``, ...).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

from nnn.cli import Parser

#: Per-network settings; ``networks`` lists what a preset builds.
PRESETS = {
    "small": {"networks": ["mesa_80"], "n_samples": {"mesa_80": 2048},
              "seed": {"mesa_80": 0}, "arch": "small", "epochs": 200, "patience": 8,
              "max_minutes": 2.0, "energy_epochs": 10, "err_epochs": 10, "n_test": 100,
              "sets": ["paper"]},
    # mesa_80: 262,144 samples, 20 epochs on 2 threads (72 min); mesa_151: 131,072, 14 on 2
    # threads (32 min)
    "default": {"networks": ["mesa_80", "mesa_151"],
                "n_samples": {"mesa_80": 262144, "mesa_151": 131072},
                "seed": {"mesa_80": 1, "mesa_151": 2}, "arch": "small",
                "epochs": {"mesa_80": 20, "mesa_151": 14},
                "patience": 8, "max_minutes": None, "energy_epochs": 40, "err_epochs": 60,
                "w_ye": 3.0, "burned_starts": 8, "threads": {"mesa_80": 2, "mesa_151": 2},
                "n_test": 700, "sets": ["paper", "train-like", "ood"], "bf16_copy": True,
                # mesa_80's copy keeps its composition head in float32: in bf16 it drifted
                # 1.15e-3 in Ye over 120 chained steps, 9.9e-4 so (docs/emulator_studies.md, "Cost")
                "bf16_composition": {"mesa_80": False, "mesa_151": True}},
}


def _per_network(cfg, key, network):
    """A preset setting that is either one value or {network: value} (the trainer's default
    for a network the dict lacks; None, the trainer's own choice, for a setting without one,
    such as threads)."""
    from nnn.emulate.train import DEFAULTS

    v = cfg.get(key, DEFAULTS.get(key))
    return v.get(network, DEFAULTS.get(key)) if isinstance(v, dict) else v


def run_network(network, cfg, out: Path, progress=True) -> dict:
    """Generate, train and evaluate the emulator of one network."""
    from nnn.emulate import dataset as ds
    from nnn.emulate.generate import generate
    from nnn.emulate.train import train

    data = out / f"{network}_train.h5"
    timings = {}
    n, seed = cfg["n_samples"][network], cfg["seed"][network]
    t0 = time.perf_counter()
    if data.exists():
        meta = ds.read_meta(data)
        if meta["n_samples"] != n or meta["seed"] != seed or meta["network"] != network:
            raise ValueError(f"{str(data)!r} holds {meta['n_samples']} samples of "
                             f"{meta['network']!r} (seed {meta['seed']}), the run asks for "
                             f"{n} (seed {seed}): remove it or use another --out")
    else:
        generate(data, network=network, n_samples=n, seed=seed, progress=progress)
    timings["generate_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    s = train(data, out, arch=cfg["arch"], epochs=_per_network(cfg, "epochs", network),
              patience=cfg["patience"], max_minutes=cfg["max_minutes"],
              energy_epochs=cfg["energy_epochs"], err_epochs=cfg["err_epochs"], resume=True,
              n_threads=_per_network(cfg, "threads", network),
              w_ye=_per_network(cfg, "w_ye", network),
              burned_starts=_per_network(cfg, "burned_starts", network),
              device=cfg.get("device") or "cpu", progress=progress)
    timings["train_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    finalize(s["model"], network, out / f"{network}_eval", cfg["sets"], cfg["n_test"],
             progress)
    timings["evaluate_s"] = time.perf_counter() - t0
    bf16 = None
    if cfg.get("bf16_copy"):
        t0 = time.perf_counter()
        bf16 = write_bf16_copy(s["model"], network, out, cfg["sets"], cfg["n_test"], progress,
                               bf16_composition=_per_network(cfg, "bf16_composition", network)
                               is not False)  # unset: bf16, as the copy's other heads
        timings["bf16_copy_s"] = time.perf_counter() - t0
    return {"model": s["model"], "bf16_model": bf16, "dataset": str(data), "timings": timings,
            "training": {k: s[k] for k in ("epochs", "best_epoch", "stop_reason",
                                            "train_time_s", "n_parameters", "best_val",
                                            "error_estimate")},
            "table": str(out / f"{network}_eval" / "table.md")}


def finalize(model_path, network, eval_dir, sets, n_test, progress=True) -> dict:
    """Evaluate a trained model (paper metrics and baselines on the test sets) and write the
    results and its regression record (:mod:`nnn.emulate.regression`) into its metadata."""
    from nnn.emulate import regression
    from nnn.emulate.evaluate import evaluate
    from nnn.emulate.model import load_model, update_metadata

    doc = evaluate(model=str(model_path), out=eval_dir, network=network, sets=sets,
                   n_test=n_test, progress=progress)
    reg = regression.record(load_model(model_path, network=network), network)
    return update_metadata(model_path, metrics=metrics_summary(doc), regression=reg)


def write_bf16_copy(model_path, network, out: Path, sets, n_test, progress=True,
                    bf16_composition=True) -> str:
    """The bfloat16 copy of a trained model (trunk and heads in bf16, :func:`model.rescript`;
    the composition head too unless ``bf16_composition`` is False), evaluated like the
    model itself (its own metrics and regression record in its metadata):
    ``out/<network>_bf16.pt``."""
    from nnn.emulate.model import rescript
    from nnn.emulate.model_file import bf16_name, model_filename

    dst = out / model_filename(bf16_name(network))
    heads = "heads" if bf16_composition else "energy and error heads; composition head float32"
    rescript(model_path, dst, note=f"bfloat16 copy of the trained model (trunk and {heads})",
             bf16_trunk=True, bf16_heads=True, bf16_composition=bf16_composition)
    finalize(dst, network, out / f"{bf16_name(network)}_eval", sets, n_test, progress)
    return str(dst)


def metrics_summary(doc: dict) -> dict:
    """The evaluation's headline numbers for the model's metadata: per test set and subset,
    per predictor (the model and the baselines), each table metric at the nine dt."""
    from nnn.emulate.evaluate import TABLE_METRICS

    keys = [k for k, _, _ in TABLE_METRICS]
    out = {"test_seed": doc["test_seed"], "n_test": doc["n_test"], "dts": doc["dts"],
           "sets": {}}
    for name, s in doc["sets"].items():
        for sub, block in s["subsets"].items():
            rows = block["results"]
            who = sorted({w for r in rows for w in r["predictors"]})
            out["sets"][f"{name}/{sub}"] = {
                w: {k: [r["predictors"].get(w, {}).get(k) for r in rows] for k in keys
                    if any(k in r["predictors"].get(w, {}) for r in rows)} for w in who}
    return out


def run(preset="small", out="nnn_run", progress=True, install=False, **over):
    if preset not in PRESETS:
        raise ValueError(f"preset must be one of {sorted(PRESETS)}, got {preset!r}")
    cfg = json.loads(json.dumps(PRESETS[preset]))
    for k, v in over.items():
        if v is None:
            continue
        if k in ("n_samples", "seed"):  # one value for every network
            cfg[k] = {net: int(v) for net in cfg["networks"]}
        else:
            cfg[k] = v
    for net in cfg["networks"]:
        cfg["n_samples"].setdefault(net, max(cfg["n_samples"].values()))
        cfg["seed"].setdefault(net, 0)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    rep = {"preset": preset, "config": cfg, "networks": {}}
    for net in cfg["networks"]:
        rep["networks"][net] = run_network(net, cfg, out, progress)
        if install:
            from nnn.emulate.model_file import bf16_name, model_filename
            from nnn.network.paths import data_dirs

            dest = next(d for d in data_dirs() if d.is_dir()) / "emulators"
            dest.mkdir(exist_ok=True)
            shutil.copy2(rep["networks"][net]["model"], dest / model_filename(net))
            if rep["networks"][net]["bf16_model"]:
                shutil.copy2(rep["networks"][net]["bf16_model"],
                             dest / model_filename(bf16_name(net)))
    (out / "pipeline.json").write_text(json.dumps(rep, indent=1, default=str))
    return rep


def build_parser():
    p = Parser(prog="python -m nnn.pipeline", description=__doc__.split("\n")[0])
    p.add_argument("--preset", default="small", choices=sorted(PRESETS))
    p.add_argument("--out", required=True)
    p.add_argument("--networks", type=lambda s: s.split(","), default=None,
                   help="comma list (default: the preset's)")
    p.add_argument("--n-samples", type=int, default=None, help="samples per network")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--arch", default=None)
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--max-minutes", type=float, default=None, help="training time per network")
    p.add_argument("--n-test", type=int, default=None)
    p.add_argument("--device", default=None)
    p.add_argument("--threads", type=int, default=None, help="torch threads for training")
    p.add_argument("--install", action="store_true",
                   help="copy the models into network_data/emulators/ (the shipped models)")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv=None):
    a = build_parser().parse_args(argv)
    try:
        rep = run(a.preset, a.out, progress=not a.no_progress, install=a.install,
                  networks=a.networks, n_samples=a.n_samples, seed=a.seed, arch=a.arch,
                  epochs=a.epochs, max_minutes=a.max_minutes, n_test=a.n_test,
                  device=a.device, threads=a.threads)
    except (ValueError, FileNotFoundError) as e:
        print(f"nnn.pipeline: error: {e}", file=sys.stderr)
        return 2
    for net, r in rep["networks"].items():
        print(Path(r["table"]).read_text())
        t = r["timings"]
        print(f"{net}: generate {t['generate_s']:.0f} s, train {t['train_s']:.0f} s, evaluate "
              f"{t['evaluate_s']:.0f} s; model {r['model']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
