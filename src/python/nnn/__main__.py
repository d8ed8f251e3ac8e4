"""``python -m nnn burn --network mesa_80 --T 3.5e9 --rho 1e8 --X si28=0.6,s32=0.4 --dt 1``

Burns one zone and prints the result."""

import sys

import numpy as np

from nnn.cli import Parser, fail, positive_int


def parse_composition(text: str) -> dict:
    """'si28=0.6,s32=0.4' -> {'si28': 0.6, 's32': 0.4}"""
    out = {}
    for item in text.split(","):
        name, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--X: {item!r} is not isotope=mass_fraction")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise ValueError(f"--X: mass fraction of {name.strip()!r} is {value!r}, not a number") from None
    return out


def cmd_burn(args) -> int:
    from nnn.network import Network
    net = Network.load(args.network)
    X0 = parse_composition(args.X)
    r = net.burn(T=args.T, rho=args.rho, X=X0, dt=args.dt, rtol=args.rtol, atol=args.atol,
                 integrator=args.integrator)
    print(f"network   {net.name} ({net.n_species} isotopes, sha256 {net.file_hash[:12]})")
    print(f"T = {args.T:.4e} K   rho = {args.rho:.4e} g/cm^3   dt = {args.dt:.4e} s")
    print(f"eps_nuc   {r.eps_nuc: .6e} erg/g released over dt (neutrino losses subtracted)")
    print(f"eps_nu    {r.eps_nu: .6e} erg/g/s weak-rate neutrino loss, averaged over dt")
    print(f"Ye        {net.Ye(X0 if isinstance(X0, dict) else X0):.8f} -> {r.Ye:.8f}")
    print(f"steps     {r.n_steps} ({r.n_rejected} rejected)" +
          ("   [a weak-rate table was clamped at its grid edge]" if r.table_clamped else ""))
    x0 = net.composition(X0)
    order = np.argsort(-np.maximum(r.X, x0))
    print(f"{'isotope':>8} {'X(0)':>12} {'X(dt)':>12}")
    for i in order[: args.top]:
        print(f"{net.isotopes[i]:>8} {x0[i]:12.5e} {r.X[i]:12.5e}")
    return 0


def main(argv=None) -> int:
    from nnn import _core
    defaults = _core.DEFAULTS
    p = Parser(prog="python -m nnn", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("burn", help="burn one zone at constant T and rho")
    b.add_argument("--network", default="mesa_80", help="network name or .net path")
    b.add_argument("--T", type=float, required=True, help="temperature (K)")
    b.add_argument("--rho", type=float, required=True, help="density (g/cm^3)")
    b.add_argument("--X", required=True, help="composition, e.g. si28=0.6,s32=0.4")
    b.add_argument("--dt", type=float, required=True, help="time step (s)")
    b.add_argument("--rtol", type=float, default=defaults["rtol"], help="relative tolerance (default %(default)s)")
    b.add_argument("--atol", type=float, default=defaults["atol"], help="absolute tolerance (default %(default)s)")
    b.add_argument("--integrator", default=defaults["integrator"], choices=["auto", "bdf", "rodas4"])
    b.add_argument("--top", type=positive_int, default=12, help="isotopes to print")
    args = p.parse_args(argv)
    try:
        return cmd_burn(args)
    except (ValueError, OSError, RuntimeError) as e:   # NnnError is a RuntimeError
        return fail(e)


if __name__ == "__main__":
    sys.exit(main())
