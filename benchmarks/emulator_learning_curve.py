"""Learning curve and ablation of the NNN emulator (issue 12): error against training-set
size at a fixed model, against model size at fixed data, and with parts of the design
switched off -- every variant trained with the same time budget and scored on the same
paper test set with the paper's metrics.

    python benchmarks/emulator_learning_curve.py --data RUN.h5 --out runs/curve \\
        --sizes 2048,4096,16384 --archs tiny,small --minutes 6

``--data`` is a finished dataset or the parts of an unfinished run (``RUN.h5.parts``):
subsets are its first N samples (``nnn.emulate.dataset.finish_prefix``), i.e. exactly the
sets ``python -m nnn.generate --n N`` makes.  Variants (``--variants``):

* ``full``: the default model and training;
* ``paper-loss``: ``w_xlin = 0`` (the paper's L1-on-log X loss alone);
* ``no-energy-phase``: no separate energy training (phase 2 off);
* ``state``: the composition head predicts the state, not the change (the skip of ln X0 in
  the logits fixed at 0: ``composition_as_change=False``);
* ``no-ye-tilt``: no Ye head in the composition: the plain softmax, whose Ye is whatever it
  gives (``ye_tilt=False``; such a model runs in Python only);
* ``paper-output``: both, with the paper's loss: the paper's output layer (a softmax of the
  state) inside nnn's trainer.

Each run is trained for at most ``--minutes`` (or ``--epochs``), on one thread, with
``--w-ye`` and ``--burned-starts`` as given (the shipped recipe: 3 and 8), once per seed of
``--seeds`` (the seed-to-seed scatter is the yardstick of a difference), and scored on
``--sets``.

Prints one table per metric and set (paper eq 6 / Ye, |Ye - Ye_t|/Ye, eps_nuc and eps_nu
eq 7-8) at the nine dt, with persistence and the small net from the same evaluation; writes
``OUT/curve.json``.  Resumable: finished variants are not retrained.

Measured: docs/emulator_studies.md, "Learning curve and ablation" and "Output ablation".
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

VARIANTS = {"full": {}, "paper-loss": {"w_xlin": 0.0}, "no-energy-phase": {"energy_epochs": 0},
            "state": {"composition_as_change": False}, "no-ye-tilt": {"ye_tilt": False},
            "paper-output": {"composition_as_change": False, "ye_tilt": False, "w_xlin": 0.0}}
KEYS = ("eq6_rel", "ye_rel", "eps_nuc_rel", "eps_nu_rel")


def subset(data: Path, n: int, out: Path) -> Path:
    from nnn.emulate import dataset as ds

    dest = out / f"data_{n}.h5"
    if dest.exists():
        return dest
    if ds.parts_dir(data).exists() and not data.exists():
        return ds.finish_prefix(data, n, dest)
    meta = ds.read_meta(data)
    if meta["n_samples"] == n:
        return data
    raise ValueError(f"{str(data)!r} is finished with {meta['n_samples']} samples; give the "
                     f"run's parts (RUN.h5 without the file, RUN.h5.parts present) for N={n}")


def run_variant(data, out, arch, variant, minutes, n_test, sets=("paper",), seed=0,
                epochs=100, **train_kw):
    from nnn.emulate.evaluate import evaluate
    from nnn.emulate.train import train

    out.mkdir(parents=True, exist_ok=True)
    done = out / "scores.json"
    if done.exists():
        return json.loads(done.read_text())
    kw = dict({"energy_epochs": 15, "err_epochs": 5}, **train_kw, **VARIANTS[variant])
    s = train(data, out, arch=arch, epochs=epochs, patience=6, max_minutes=minutes,
              resume=True, seed=seed, n_threads=1, progress=False, **kw)
    doc = evaluate(model=s["model"], out=out / "eval", network=s["model"].split("/")[-1][:-3],
                   sets=list(sets), n_test=n_test, progress=False, figures=False)
    res = {"epochs": s["epochs"], "n_parameters": s["n_parameters"],
           "train_time_s": s["train_time_s"], "sets": {}}
    for name in sets:
        rows = doc["sets"][name]["subsets"]["all"]["results"]
        r = {"dts": [row["dt"] for row in rows]}
        for who in ("nnn", "persistence", "small_net"):
            r[who] = {k: [row["predictors"].get(who, {}).get(k) for row in rows] for k in KEYS}
        res["sets"][name] = r
    done.write_text(json.dumps(res, indent=1))
    return res


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, type=Path)
    p.add_argument("--out", required=True, type=Path)
    p.add_argument("--sizes", default="2048,4096,16384")
    p.add_argument("--archs", default="tiny,small")
    p.add_argument("--base-size", type=int, default=4096, help="data size of the arch curve")
    p.add_argument("--base-arch", default="tiny", help="model of the size curve and ablation")
    p.add_argument("--variants", default="full,paper-loss,no-energy-phase")
    p.add_argument("--minutes", type=float, default=6.0, help="training budget per variant")
    p.add_argument("--epochs", type=int, default=100, help="epochs per variant (at most)")
    p.add_argument("--seeds", default="0", help="training seeds, each variant once per seed")
    p.add_argument("--w-ye", type=float, default=1.0)
    p.add_argument("--burned-starts", type=int, default=0)
    p.add_argument("--sets", default="paper", help="test sets to score on")
    p.add_argument("--n-test", type=int, default=700)
    a = p.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    sets = a.sets.split(",")
    runs = [(n, a.base_arch, "full") for n in map(int, a.sizes.split(","))]
    runs += [(a.base_size, arch, "full") for arch in a.archs.split(",")]
    runs += [(a.base_size, a.base_arch, v) for v in a.variants.split(",")]
    seeds = [int(v) for v in a.seeds.split(",")]
    results = {}
    for n, arch, v in dict.fromkeys(runs):
        for seed in seeds:
            tag = f"n{n}_{arch}_{v}" + (f"_seed{seed}" if len(seeds) > 1 else "")
            results[tag] = run_variant(subset(a.data, n, a.out), a.out / tag, arch, v,
                                       a.minutes, a.n_test, sets=sets, seed=seed,
                                       epochs=a.epochs, w_ye=a.w_ye,
                                       burned_starts=a.burned_starts)
            print(f"{tag}: done ({results[tag]['epochs']} epochs)", flush=True)
    (a.out / "curve.json").write_text(json.dumps(results, indent=1))
    any_res = next(iter(results.values()))
    for name in sets:
        base = any_res["sets"][name]
        for k in KEYS:
            print(f"\n{k} on the {name} test set ({a.n_test} cases) at dt = "
                  + ", ".join(f"{d:.0e}" for d in base["dts"]))
            rows = [(tag, r["sets"][name]["nnn"][k]) for tag, r in results.items()]
            rows += [(who, base[who][k]) for who in ("persistence", "small_net")]
            for tag, vals in rows:
                print(f"  {tag:34s} " + " ".join(f"{v:9.3g}" if v is not None else "        -"
                                                 for v in vals))


if __name__ == "__main__":
    main()
