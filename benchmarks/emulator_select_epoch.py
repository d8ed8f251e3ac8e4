"""Score a training run's epoch snapshots on chained steps, to choose the epoch to ship.

    python -m nnn.train --data D.h5 --out RUN --snapshots ...      # keeps every epoch
    python benchmarks/emulator_select_epoch.py RUN --network mesa_151 --epochs 10-14
    python -m nnn.train --data D.h5 --out RUN --snapshots --resume --keep-epoch N ...

One-step validation losses do not predict how a model behaves when its outputs are fed back
as inputs: on mesa_151 an 18-epoch model, better in one step than the shipped 14-epoch one,
drifted 8x further in Ye along the chain (docs/emulator_studies.md).  This script chains each
snapshot along :mod:`emulator_multistep`'s Si-burning contraction on a *selection* track
(``--seed``, default 1: other zones, compositions and dt jitter than the seed-0 track the
docs report), and prints, per epoch, the validation losses and the chained Ye drift (median
and max over zones) after 50 and after all steps.  Choose on the selection track, then
report the chosen model on seed 0.

A snapshot holds every weight and buffer of the model after that epoch of phase 1 (energy
and error heads as phase 1 left them), loaded into the run's exported file; the Ye drift
does not depend on the energy or error heads.  Results are appended to ``--out``
(JSON lines); epochs already there are skipped (resumable).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def parse_epochs(spec: str) -> list[int]:
    """'10-14' or '3,5,9' -> list of epochs."""
    out = []
    for part in spec.split(","):
        a, _, b = part.partition("-")
        out += list(range(int(a), int(b or a) + 1))
    return out


def score(run: Path, epoch: int, network: str, n_zones: int, seed: int, n_threads: int):
    import torch

    import emulator_multistep as ms
    from nnn.emulate.burn import load_network
    from nnn.emulate.model import LoadedModel, read_meta
    from nnn.emulate.train import snapshot_path

    model_file = run / f"{network}.pt"
    snap = snapshot_path(run, network, epoch)
    if not model_file.exists() or not snap.exists():
        raise FileNotFoundError(f"need {str(model_file)!r} and {str(snap)!r} (train with "
                                "--snapshots)")
    module, meta = read_meta(model_file)
    sd = torch.load(snap, map_location="cpu", weights_only=False)
    module.load_state_dict(sd["model"])
    module.eval()
    model = LoadedModel(module, meta, str(snap))
    res = ms.run(model.predict, load_network(network), n_zones=n_zones, seed=seed,
                 n_threads=n_threads, progress=False)
    rows = res["rows"]
    mid, last = rows[min(49, len(rows) - 1)], rows[-1]
    return {"epoch": epoch, "seed": seed, "zones": n_zones, "val": sd["val"][:4],
            "ye_drift_50": [mid["predictor"]["ye_median"], mid["predictor"]["ye_max"]],
            "ye_drift_end": [last["predictor"]["ye_median"], last["predictor"]["ye_max"]],
            "eq5_to_engine_end": last["predictor"]["eq5_median"],
            "ye_head_end": last["ye_head_median"]}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run", help="training output folder (with checkpoints/ from --snapshots)")
    p.add_argument("--network", required=True)
    p.add_argument("--epochs", required=True, help="e.g. 10-14 or 8,12,14")
    p.add_argument("--zones", type=int, default=64)
    p.add_argument("--seed", type=int, default=1, help="selection track (the docs report 0)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--out", default=None, help="JSON lines (default RUN/select_seed<S>.jsonl)")
    a = p.parse_args(argv)
    from tqdm.auto import tqdm

    run = Path(a.run)
    out = Path(a.out) if a.out else run / f"select_seed{a.seed}.jsonl"
    done = {}
    if out.exists():
        for line in out.read_text().splitlines():
            r = json.loads(line)
            if r["seed"] == a.seed and r["zones"] == a.zones:
                done[r["epoch"]] = r
    for ep in tqdm(parse_epochs(a.epochs), desc="epochs", unit="epoch"):
        if ep in done:
            continue
        r = score(run, ep, a.network, a.zones, a.seed, a.threads)
        with out.open("a") as f:
            f.write(json.dumps(r) + "\n")
        done[ep] = r
    print(f"# {a.network}, {run}: chained Ye drift on the selection track (seed {a.seed}, "
          f"{a.zones} zones), median / max over zones")
    print(f"{'epoch':>5s} {'val L1 log X':>12s} {'val sum|dX|':>11s} {'val dYe':>8s} "
          f"{'Ye drift @50':>19s} {'Ye drift @end':>19s} {'eq5 @end':>9s}")
    for ep in sorted(done):
        r = done[ep]
        v, m, e = r["val"], r["ye_drift_50"], r["ye_drift_end"]
        print(f"{ep:5d} {v[0]:12.4f} {v[1]:11.4f} {v[2]:8.4f} {m[0]:9.2e} / {m[1]:7.1e} "
              f"{e[0]:9.2e} / {e[1]:7.1e} {r['eq5_to_engine_end']:9.3f}")


if __name__ == "__main__":
    main()
