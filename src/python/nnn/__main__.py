"""``python -m nnn burn --network mesa_80 --T 3.5e9 --rho 1e8 --X si28=0.6,s32=0.4 --dt 1``

Burns one zone and prints the result: at constant T and rho, along a
history (``--history FILE``: columns t T rho, '#' comments), or self-heating
at constant rho (``--self-heating``). ``--out FILE.csv|.h5`` writes X(t),
the energies and T(t) at log-spaced output times and a plot FILE.png."""

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
    from nnn import burn_output
    from nnn.network.history import read_history
    net = Network.load(args.network)
    X0 = parse_composition(args.X)
    kw = {}
    hist_t = None
    if args.history:
        if args.T is not None or args.rho is not None:
            raise ValueError("--history gives T(t) and rho(t): do not pass --T or --rho")
        hist = read_history(args.history)
        hist_t = hist[0]
        kw["history"] = hist
        mode = f"history {args.history}"
    else:
        if args.T is None or args.rho is None:
            raise ValueError("--T and --rho are required (or --history FILE)")
        kw.update(T=args.T, rho=args.rho, self_heating=args.self_heating,
                  thermal_neutrinos=args.thermal_neutrinos)
        mode = "self-heating" if args.self_heating else "constant"
    times = burn_output.output_times(args.dt, args.n_out, hist_t) if args.out else None
    rt = net.burn(X=X0, times=times if times is not None else [args.dt], rtol=args.rtol,
                  atol=args.atol, integrator=args.integrator, **kw)
    last = lambda a: np.asarray(a)[-1]  # noqa: E731
    r = type(rt)(X=rt.X[-1], eps_nuc=float(last(rt.eps_nuc)), eps_nu=float(last(rt.eps_nu)),
                 Ye=float(last(rt.Ye)), n_steps=rt.n_steps, n_rejected=rt.n_rejected,
                 table_clamped=rt.table_clamped, T=float(last(rt.T)),
                 eps_nu_thermal=float(last(rt.eps_nu_thermal)))
    print(f"network   {net.name} ({net.n_species} isotopes, sha256 {net.file_hash[:12]})")
    if args.history:
        print(f"history   {args.history}: T {hist[1][0]:.4e} K, rho {hist[2][0]:.4e} g/cm^3 at t = 0; "
              f"dt = {args.dt:.4e} s")
    else:
        print(f"T = {args.T:.4e} K   rho = {args.rho:.4e} g/cm^3   dt = {args.dt:.4e} s   ({mode})")
    print(f"T(dt)     {r.T:.6e} K")
    if args.thermal_neutrinos:
        print(f"eps_nu_th {r.eps_nu_thermal: .6e} erg/g/s thermal neutrino loss, averaged over dt")
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
    if args.out:
        meta = {"network": net.name, "mode": mode, "dt_s": args.dt, "rtol": args.rtol, "atol": args.atol}
        for f in burn_output.write(args.out, net, times, rt, meta):
            print(f"wrote     {f}")
    return 0


def main(argv=None) -> int:
    from nnn import _core
    defaults = _core.DEFAULTS
    p = Parser(prog="python -m nnn", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("burn", help="burn one zone at constant T and rho")
    b.add_argument("--network", default="mesa_80", help="network name or .net path")
    b.add_argument("--T", type=float, help="temperature (K); initial T with --self-heating")
    b.add_argument("--rho", type=float, help="density (g/cm^3)")
    b.add_argument("--history", metavar="FILE",
                   help="burn along T(t), rho(t) from FILE (columns t T rho, '#' comments; "
                        "linear in log between samples; must cover [0, dt])")
    b.add_argument("--self-heating", action="store_true",
                   help="constant rho, T follows the energy released (EOS)")
    b.add_argument("--thermal-neutrinos", action="store_true",
                   help="with --self-heating: thermal neutrino losses cool the zone")
    b.add_argument("--out", metavar="FILE", help="write X(t), energies, T(t) to FILE.csv or FILE.h5, "
                                                 "and a plot FILE.png")
    b.add_argument("--n-out", type=positive_int, default=40,
                   help="output times for --out, log-spaced up to dt (default %(default)s)")
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
