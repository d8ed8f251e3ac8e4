"""``python -m nnn.network build --isotopes FILE --name NAME [--out DIR]``

Builds a network with pynucastro and writes ``DIR/NAME.net`` (default DIR:
the project's ``network_data/``)."""

import sys
from pathlib import Path

from nnn.network.build import DEFAULT_TABULAR_ORDERING, build_network, read_isotope_list
from nnn.network.paths import default_data_dir
from nnn.cli import Parser, fail


def main(argv=None):
    parser = Parser(prog="python -m nnn.network")
    sub = parser.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build a network file from an isotope list")
    b.add_argument("--isotopes", required=True, help="file with one isotope a line")
    b.add_argument("--name", required=True, help="network name (file NAME.net)")
    b.add_argument("--out", default=None, help="output directory (default: network_data/)")
    b.add_argument("--recipe", default=None,
                   help="approximation recipe applied after linking (e.g. approx21)")
    b.add_argument("--tabular-ordering", default=",".join(DEFAULT_TABULAR_ORDERING),
                   help="weak-rate table sources in priority order")
    args = parser.parse_args(argv)

    try:
        isotopes = read_isotope_list(args.isotopes)
        out = Path(args.out) if args.out else default_data_dir()
        out.mkdir(parents=True, exist_ok=True)
        path = out / f"{args.name}.net"
        digest, net, missing = build_network(
            isotopes, path, name=args.name,
            tabular_ordering=args.tabular_ordering.split(","), approximate=args.recipe)
    except (ValueError, OSError, KeyError, TypeError) as e:
        return fail(e)
    print(f"wrote {path}: {len(net.unique_nuclei)} isotopes, {len(net.rates)} rates, "
          f"sha256 {digest[:16]}")
    if missing:
        print(f"warning: no rate links these isotopes, left out: {', '.join(missing)}",
              file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
