"""Command line: ``python -m nnn.classifier {train,classify,report} ...``.

    train    [--data DIR] --out MODELS [--r-bank main] [--bc-epochs N] [--occ-epochs N] [--jobs 1]
    classify [--stars FILE.csv [--form auto|xfe|xh|logeps] [--solar asplund09|FILE]]
             [--models MODELS] [--rule paper|strict] [--draws N] [--report DIR] --out RESULT.csv
    report   [--stars FILE.csv ...] [--models MODELS] [--data DIR] --out DIR

``--stars`` is a published abundance table ([X/Fe] + [Fe/H], [X/H] or log
eps; see ``nnn.classifier.inputs``); its form is read from the column
names (``--form`` must be given for bare element names and must agree with
named columns). Without ``--models`` the models shipped with the package are
used; without ``--stars`` the JINAbase stars with [Fe/H] <= -2 and the Er
features, one entry per star. ``classify --report DIR`` also writes the
per-star Markdown report and figures. Data and input errors exit with
status 2 and a one-line message.
"""

from __future__ import annotations

import argparse
import sys
import time

from nnn.cli import Parser

from .banks import R_SELECTIONS, BankConfig
from .classify import DEFAULT_RULE, N_DRAWS, RULES, classify_stars, default_stars
from .data import DataTableError, StarTableError
from .inputs import DEFAULT_SOLAR, FORMS, read_abundance_table
from .suite import ModelSuite, TrainSettings, train_suite


def _parser() -> argparse.ArgumentParser:
    p = Parser(prog="python -m nnn.classifier", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="build the pattern banks and train every model")
    t.add_argument("--data", help="directory with the CSV tables (default: $NNN_DATA_DIR or the package copy)")
    t.add_argument("--out", required=True, help="directory to write the models to")
    t.add_argument("--r-bank", default="main", choices=R_SELECTIONS, help="which r rows form the r class")
    t.add_argument("--bc-epochs", type=int, default=TrainSettings.bc_epochs)
    t.add_argument("--occ-epochs", type=int, default=TrainSettings.occ_epochs)
    t.add_argument("--seed", type=int, default=TrainSettings.seed)
    t.add_argument("--feature-sets", default=",".join(TrainSettings.feature_sets),
                   help="comma-separated feature sets to train (default: all)")
    t.add_argument("--jobs", type=int, default=1, help="worker processes (1 shows per-epoch progress)")

    for name, helptext in (("classify", "classify stars, write one CSV row per star"),
                           ("report", "write the Markdown/CSV report and figures")):
        c = sub.add_parser(name, help=helptext)
        c.add_argument("--stars", help="abundance CSV: [X/Fe] + [Fe/H], [X/H] or log eps "
                                       "(default: JINAbase, [Fe/H] <= -2, one entry per star)")
        c.add_argument("--form", default="auto", choices=("auto", *FORMS),
                       help="form of --stars (auto: from the column names)")
        c.add_argument("--solar", default=DEFAULT_SOLAR, help="solar scale: asplund09 or a CSV (element,log_eps)")
        c.add_argument("--models", help="directory written by `train` (default: the shipped models)")
        c.add_argument("--data", help="directory with the CSV tables")
        c.add_argument("--rule", default=DEFAULT_RULE, choices=RULES, help="ML-overall rule for ml_overall")
        c.add_argument("--draws", type=int, default=N_DRAWS, help="Monte Carlo draws (0: none)")
        c.add_argument("--out", required=True, help="output CSV (classify) or directory (report)")
        if name == "classify":
            c.add_argument("--report", help="also write the per-star Markdown report and figures to this directory")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "train":
            start = time.perf_counter()
            suite = train_suite(
                data_dir=args.data,
                bank_config=BankConfig(r_selection=args.r_bank, seed=args.seed),
                settings=TrainSettings(bc_epochs=args.bc_epochs, occ_epochs=args.occ_epochs, seed=args.seed,
                                       feature_sets=tuple(f.strip() for f in args.feature_sets.split(","))),
                n_jobs=args.jobs,
                progress=True,
            )
            suite.save(args.out)
            print(f"trained {len(suite.models)} models in {time.perf_counter() - start:.1f} s -> {args.out}")
            return 0
        if args.stars:
            stars = read_abundance_table(args.stars, form=args.form, solar=args.solar, data_dir=args.data)
        else:
            stars = default_stars(args.data)
        suite = ModelSuite.load(args.models)
        results = classify_stars(stars, suite, data_dir=args.data, rule=args.rule, n_draws=args.draws)
        if args.command == "classify":
            results.to_csv(args.out, index=False)
            print(f"classified {int((results['feature_sets'] != '').sum())} of {len(results)} stars -> {args.out}")
            if args.report:
                from .star_report import write_star_report  # matplotlib is only needed here

                print(f"per-star report -> {write_star_report(args.report, suite, stars, results)}")
            return 0
        from .report import write_report
        from .star_report import write_star_report

        path = write_report(args.out, suite, stars, results)
        write_star_report(args.out, suite, stars, results)
        print(f"report -> {path} and {args.out}/stars.md")
        return 0
    except (DataTableError, StarTableError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
