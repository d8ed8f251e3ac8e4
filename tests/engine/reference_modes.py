"""Independent references for the history and self-heating burns.

scipy's Radau (rtol 1e-10) on pynucastro's generated Python network (as
reference.py, but with pynucastro's spline partition functions, see
_SplinePartitionFunctions), with

- ``history``: T(t), rho(t) interpolated linearly in log T and log rho
  between samples (numpy, written independently of the engine), integrated
  piecewise between the samples and output times;
- ``self_heating``: rho fixed and dT/dt = (eps_nuc - eps_nu - de_comp/dt) / c_v,
  with pynucastro.eos's EOS: ions (3/2 k T sum Y / m_u, IdealGasEOS), radiation (a T^4 / rho)
  and electrons+positrons from ``ElectronEOS``. The electron part costs ~0.3 s
  per call in pynucastro, so it is sampled on 24 Chebyshev nodes in ln T over
  the burn's T range at the initial Ye and interpolated (its error, printed,
  is < 1e-10); de/dYe is left out (Ye moves < 1e-7 in these burns; the term
  is 1e-8 of the energy). de_comp/dt is the ion term 3/2 k T d(sum Y)/dt / m_u.

Run as ``python reference_modes.py MODE JSON`` in a subprocess with
NUMBA_DISABLE_JIT=1 (see reference.py); prints JSON.
"""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


class _SplinePartitionFunctions:
    """numpy for the generated module, except that np.interp (which the
    generated code uses only for log partition functions, linear in T9)
    becomes the cubic spline of pynucastro's PartitionFunction class (k = 3,
    constant beyond the ends), which pynucastro's own rates and nnn use.
    Between the tabulated T9 the two differ by up to 2e-3 in approx21's
    dY/dt (2.55e9..2.9e9 K); at the tabulated T9 they agree."""

    def __init__(self):
        import numpy
        self._np = numpy
        self._splines = {}

    def __getattr__(self, name):
        return getattr(self._np, name)

    def interp(self, x, xp, fp):
        from scipy.interpolate import InterpolatedUnivariateSpline
        key = id(fp)
        if key not in self._splines:
            self._splines[key] = (fp, InterpolatedUnivariateSpline(xp, fp, k=3))
        return float(self._splines[key][1](x, ext="const"))


def network_module(name):
    """(pynucastro network, its generated Python module, A, mass (MeV), weak-rate list)."""
    import importlib.util
    import tempfile

    import numpy as np
    from pynucastro.rates import TabularWeakRate

    import reference
    pnet = reference.pynucastro_network(name)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"ref_modes_{name}.py"
        pnet.write_network(str(path))
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    mod.np = _SplinePartitionFunctions()
    nuclei = pnet.unique_nuclei
    A = np.array([n.A for n in nuclei], dtype=float)
    Z = np.array([n.Z for n in nuclei], dtype=float)
    mass = np.array([n.mass for n in nuclei])
    tab = [(nuclei.index(r.reactants[0]), r) for r in pnet.rates if isinstance(r, TabularWeakRate)]
    return pnet, mod, A, Z, mass, tab


def log_interp(t, ts, Ts, rhos):
    """T, rho at t: linear in log between samples."""
    import numpy as np
    return (float(np.exp(np.interp(t, ts, np.log(Ts)))), float(np.exp(np.interp(t, ts, np.log(rhos)))))


def kinetics(name):
    """f(t, Y, T, rho) -> (dY/dt, eps_nu) and J(Y, T, rho), pynucastro's."""
    import numpy as np
    import pynucastro as pyna
    from pynucastro.screening import chugunov_2007

    import reference
    pnet, mod, A, Z, mass, tab = network_module(name)
    c = pyna.constants.constants

    def eps_nu(Y, T, rho):
        if not tab:
            return 0.0
        state = pyna.rates.rate.ThermoState(rho=rho, T=T, comp=reference.composition(pnet, Y * A))
        return sum(c.N_A * Y[i] * r.get_nu_loss(state) for i, r in tab)

    def ydot(Y, T, rho):
        return mod.rhs(0.0, Y, rho, T, screen_func=chugunov_2007), eps_nu(Y, T, rho)

    def jac(Y, T, rho):
        return mod.jacobian(0.0, Y, rho, T, screen_func=chugunov_2007)

    return ydot, jac, A, Z, mass, c


def history_burn(name, X0, times, hist, rtol=1e-10, atol=1e-14):
    import numpy as np
    from scipy.integrate import solve_ivp

    ydot, jac, A, Z, mass, c = kinetics(name)
    ts, Ts, rhos = (np.asarray(h, dtype=float) for h in hist)
    n = len(A)

    def f(t, y):
        T, rho = log_interp(t, ts, Ts, rhos)
        dY, enu = ydot(y[:n], T, rho)
        return np.append(dY, enu)

    def J(t, y):
        T, rho = log_interp(t, ts, Ts, rhos)
        out = np.zeros((n + 1, n + 1))
        out[:n, :n] = jac(y[:n], T, rho)
        return out

    y = np.append(np.asarray(X0) / A, 0.0)
    y0 = y.copy()
    stops = sorted(set([t for t in ts if 0 < t < times[-1]] + list(times)))
    out, t0, nfev = [], 0.0, 0
    for t1 in stops:
        sol = solve_ivp(f, (t0, t1), y, method="Radau", jac=J, rtol=rtol,
                        atol=np.append(np.full(n, atol) / A, 1e-2))
        if not sol.success:
            raise RuntimeError(sol.message)
        nfev += sol.nfev
        y, t0 = sol.y[:, -1], t1
        if t1 in times:
            e_mass = -c.N_A * c.MeV2erg * np.sum((y[:n] - y0[:n]) * mass)
            out.append({"t": t1, "X": (y[:n] * A).tolist(), "eps_nuc": e_mass - y[n],
                        "eps_nu": y[n] / t1, "T": log_interp(t1, ts, Ts, rhos)[0]})
    return {"out": out, "nfev": nfev}


def electron_table(rho, ye, T_lo, T_hi, n_nodes=24):
    """e (erg/g) and c_v of pynucastro's electrons+positrons at (rho, ye) as
    Chebyshev series in ln T on [T_lo, T_hi], and their largest relative
    error at the midpoints between nodes (a check of the interpolation)."""
    import numpy as np
    import pynucastro as pyna
    from numpy.polynomial import chebyshev as C
    from pynucastro.eos import ElectronEOS

    # a two-nucleus composition with this Ye (the electron EOS sees only Ye)
    comp = pyna.Composition([pyna.Nucleus("c12"), pyna.Nucleus("ne21")])
    # ye(c12) = 1/2, ye(ne21) = 10/21: X_ne21 from ye
    x21 = (0.5 - ye) / (0.5 - 10 / 21)
    comp.X[pyna.Nucleus("c12")] = 1 - x21
    comp.X[pyna.Nucleus("ne21")] = x21
    ele = ElectronEOS(include_positrons=True)
    a, b = np.log(T_lo), np.log(T_hi)

    def sample(lnT):
        e, p = ele.pe_state(rho=rho, T=float(np.exp(lnT)), comp=comp)
        return e.e + p.e, e.de_dT + p.de_dT

    k = np.arange(n_nodes)
    x = np.cos(np.pi * (k + 0.5) / n_nodes)
    vals = np.array([sample(a + (xi + 1) * (b - a) / 2) for xi in x])
    ce = C.chebfit(x, vals[:, 0], n_nodes - 1)
    ccv = C.chebfit(x, vals[:, 1], n_nodes - 1)
    # check between nodes
    xm = np.cos(np.pi * (np.array([3, 11, 19]) + 1.0) / n_nodes)
    chk = np.array([sample(a + (xi + 1) * (b - a) / 2) for xi in xm])
    err = max(np.max(np.abs(C.chebval(xm, ce) / chk[:, 0] - 1)),
              np.max(np.abs(C.chebval(xm, ccv) / chk[:, 1] - 1)))

    def eval_(T):
        xi = 2 * (np.log(T) - a) / (b - a) - 1
        if abs(xi) > 1 + 1e-12:
            raise RuntimeError(f"T = {T} outside the electron table [{T_lo}, {T_hi}]")
        return float(C.chebval(xi, ce)), float(C.chebval(xi, ccv))

    return eval_, float(err)


def self_heating_burn(name, T0, rho, X0, times, T_hi, rtol=1e-10, atol=1e-14):
    import numpy as np
    import pynucastro as pyna
    from scipy.integrate import solve_ivp

    ydot, jac, A, Z, mass, c = kinetics(name)
    n = len(A)
    X0 = np.asarray(X0, dtype=float)
    ye0 = float(np.sum(Z * X0 / A))
    ele, table_err = electron_table(rho, ye0, 0.98 * T0, T_hi)
    k_B, m_u, a_rad = c.k, c.m_u, c.a  # pynucastro's IdealGasEOS: n = rho / (abar m_u)
    w = -c.N_A * c.MeV2erg * mass  # erg per mol of each species (rest mass)

    def energy(T, Y):
        e_ele, _ = ele(T)
        return 1.5 * k_B * T * np.sum(Y) / m_u + a_rad * T**4 / rho + e_ele

    def f(t, y):
        Y, T = y[:n], y[n + 1]
        dY, enu = ydot(Y, T, rho)
        e_ele, cv_ele = ele(T)
        cv = 1.5 * k_B * np.sum(Y) / m_u + 4 * a_rad * T**3 / rho + cv_ele
        de_comp = 1.5 * k_B * T * np.sum(dY) / m_u
        eps = np.sum(w * dY)
        return np.concatenate([dY, [enu, (eps - enu - de_comp) / cv]])

    def J(t, y):
        out = np.zeros((n + 2, n + 2))
        out[:n, :n] = jac(y[:n], y[n + 1], rho)
        T = y[n + 1]
        dT = 1e-7 * T
        yp, ym = y.copy(), y.copy()
        yp[n + 1] += dT
        ym[n + 1] -= dT
        out[:, n + 1] = (f(t, yp) - f(t, ym)) / (2 * dT)
        return out

    y = np.concatenate([X0 / A, [0.0, T0]])
    y0 = y.copy()
    sol = solve_ivp(f, (0, times[-1]), y, method="Radau", jac=J, rtol=rtol, t_eval=times,
                    atol=np.concatenate([np.full(n, atol) / A, [1e-2, 1e-6]]))
    if not sol.success:
        raise RuntimeError(sol.message)
    out = []
    for k, t in enumerate(sol.t):
        y = sol.y[:, k]
        e_mass = -c.N_A * c.MeV2erg * np.sum((y[:n] - y0[:n]) * mass)
        out.append({"t": float(t), "X": (y[:n] * A).tolist(), "eps_nuc": e_mass - y[n],
                    "eps_nu": y[n] / t, "T": float(y[n + 1]),
                    "e_int": energy(y[n + 1], y[:n]) - energy(T0, y0[:n])})
    return {"out": out, "nfev": int(sol.nfev), "electron_table_error": table_err}


if __name__ == "__main__":
    os.environ.setdefault("NUMBA_DISABLE_JIT", "1")
    mode, args = sys.argv[1], json.loads(sys.argv[2])
    fn = {"history": history_burn, "self_heating": self_heating_burn}[mode]
    print(json.dumps(fn(**args)))
