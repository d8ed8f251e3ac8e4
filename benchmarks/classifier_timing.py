"""Train the classifier suite, time it, and score it (also used for the r-bank study).

    PYTHONPATH=src/python python benchmarks/classifier_timing.py --r-bank main --out /tmp/bench_main
    PYTHONPATH=src/python python benchmarks/classifier_timing.py --r-bank all --feature-sets Er,Pb --out /tmp/bench_all

Writes ``summary.json`` (wall and CPU seconds, bank sizes, thinning counts,
held-out scores, agreement rates) and the trained models under ``--out``.
CPU seconds are reported next to wall-clock seconds because the wall time
on a shared machine depends on whatever else is running.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from nnn.classifier import BankConfig, TrainSettings, classify_stars, train_suite
from nnn.classifier.banks import R_SELECTIONS
from nnn.classifier.report import agreement, agreement_summary, heldout_metrics


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--r-bank", default="main", choices=R_SELECTIONS)
    p.add_argument("--bc-epochs", type=int, default=10000)
    p.add_argument("--occ-epochs", type=int, default=4000)
    p.add_argument("--feature-sets", default="Er,Pb", help="comma-separated feature sets to train")
    p.add_argument("--jobs", type=int, default=1)
    p.add_argument("--out", required=True)
    args = p.parse_args()

    out = Path(args.out)
    wall, cpu = time.perf_counter(), time.process_time()
    suite = train_suite(bank_config=BankConfig(r_selection=args.r_bank),
                        settings=TrainSettings(bc_epochs=args.bc_epochs, occ_epochs=args.occ_epochs,
                                               feature_sets=tuple(args.feature_sets.split(","))),
                        n_jobs=args.jobs, progress=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    suite.save(out / "models")
    results = classify_stars(models=suite, n_draws=0)
    results.to_csv(out / "results.csv", index=False)
    paper = agreement(results, "jinabase_class", "ml_overall_paper", families=("r", "s"))
    summary = {
        "r_bank": args.r_bank,
        "bc_epochs": args.bc_epochs,
        "occ_epochs": args.occ_epochs,
        "jobs": args.jobs,
        "wall_seconds": round(wall, 1),
        # Main-process CPU plus the workers' CPU for the models (with --jobs 1 the models run
        # in the main process and are already in its CPU time).
        "cpu_seconds": round(cpu + (suite.info["cpu_seconds_models"] if args.jobs > 1 else 0.0), 1),
        "bank_log": suite.banks.log,
        "heldout": heldout_metrics(suite).to_dict(orient="records"),
        "agreement": agreement_summary(results).to_dict(orient="records"),
        "disagreements_rs_paper_rule": paper["disagreements"].to_dict(orient="records"),
        "ml_overall_counts": {r: results[f"ml_overall_{r}"].value_counts().to_dict() for r in ("paper", "strict")},
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1, default=str) + "\n")
    print(json.dumps({k: summary[k] for k in ("r_bank", "wall_seconds", "cpu_seconds", "agreement")}, indent=1))


if __name__ == "__main__":
    main()
