"""Command line: ``python -m nnn.classifier {train,classify,report} ...``.

    train    [--data DIR] --out MODELS [--r-bank main] [--bc-epochs N] [--occ-epochs N] [--jobs 2]
    classify [--stars FILE.csv] [--models MODELS] [--data DIR] --out RESULT.csv
    report   [--stars FILE.csv] [--models MODELS] [--data DIR] --out DIR

Without ``--models`` the models shipped with the package are used; without
``--stars`` the JINAbase stars with [Fe/H] <= -2 that have the Er features.
Data and input errors exit with status 2 and a one-line message.
"""

from __future__ import annotations

import argparse
import sys
import time

from .banks import R_SELECTIONS, BankConfig
from .classify import classify_stars, default_stars
from .data import DataTableError, StarTableError, read_star_csv
from .suite import ModelSuite, TrainSettings, train_suite


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m nnn.classifier", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="build the pattern banks and train every model")
    t.add_argument("--data", help="directory with the CSV tables (default: $NNN_DATA_DIR or the package copy)")
    t.add_argument("--out", required=True, help="directory to write the models to")
    t.add_argument("--r-bank", default="main", choices=R_SELECTIONS, help="which r rows form the r class")
    t.add_argument("--bc-epochs", type=int, default=TrainSettings.bc_epochs)
    t.add_argument("--occ-epochs", type=int, default=TrainSettings.occ_epochs)
    t.add_argument("--seed", type=int, default=TrainSettings.seed)
    t.add_argument("--jobs", type=int, default=2, help="worker processes (1 shows per-epoch progress)")

    for name, helptext in (("classify", "classify stars, write one CSV row per star"),
                           ("report", "write the Markdown/CSV report and figures")):
        c = sub.add_parser(name, help=helptext)
        c.add_argument("--stars", help="star CSV with the bundle's columns (default: JINAbase, [Fe/H] <= -2)")
        c.add_argument("--models", help="directory written by `train` (default: the shipped models)")
        c.add_argument("--data", help="directory with the CSV tables")
        c.add_argument("--out", required=True, help="output CSV (classify) or directory (report)")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "train":
            start = time.perf_counter()
            suite = train_suite(
                data_dir=args.data,
                bank_config=BankConfig(r_selection=args.r_bank, seed=args.seed),
                settings=TrainSettings(bc_epochs=args.bc_epochs, occ_epochs=args.occ_epochs, seed=args.seed),
                n_jobs=args.jobs,
                progress=True,
            )
            suite.save(args.out)
            print(f"trained {len(suite.models)} models in {time.perf_counter() - start:.1f} s -> {args.out}")
            return 0
        stars = read_star_csv(args.stars) if args.stars else default_stars(args.data)
        suite = ModelSuite.load(args.models)
        results = classify_stars(stars, suite, data_dir=args.data)
        if args.command == "classify":
            results.to_csv(args.out, index=False)
            print(f"classified {int((results['feature_sets'] != '').sum())} of {len(results)} stars -> {args.out}")
            return 0
        from .report import write_report  # matplotlib is only needed here

        path = write_report(args.out, suite, stars, results)
        print(f"report -> {path}")
        return 0
    except (DataTableError, StarTableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
