"""Independent references for the engine tests, built from pynucastro.

Run as a script (``python reference.py burn NET T RHO XJSON DT``) it
integrates pynucastro's own generated Python network with scipy's Radau at
rtol 1e-10 and prints JSON. It runs in a subprocess because
``NUMBA_DISABLE_JIT=1`` (pynucastro's generated network compiles with numba
for minutes otherwise) must be set before numba is imported, and must not
slow down the rest of the test session.
"""

import functools
import importlib.util
import json
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ISOTOPE_LISTS = {
    "approx21_cr60_plus_co56": ROOT.parent / "shared" / "networks" / "approx21_cr60_plus_co56.txt",
    "mesa_80": ROOT.parent / "shared" / "networks" / "mesa_80.txt",
    "mesa_151": ROOT.parent / "shared" / "networks" / "mesa_151.txt",
}


def isotopes_of(name):
    """The isotope list recorded in the network file's header."""
    from nnn.network.paths import find_network
    for line in find_network(name).read_text().splitlines():
        if line.startswith("meta isotopes "):
            return line.split(" ", 2)[2].split(",")
    raise ValueError(f"{name}: no isotope list in the header")


@functools.lru_cache(maxsize=None)
def pynucastro_network(name):
    """The pynucastro network that nnn's file `name` was built from."""
    from nnn.network.build import helper_network
    from nnn.network.paths import find_network
    recipe = None
    for line in find_network(name).read_text().splitlines():
        if line.startswith("meta recipe "):
            recipe = line.split(" ", 2)[2].strip()
    iso = isotopes_of(name)
    if recipe and recipe != "none":
        from nnn.network.recipes import RECIPES
        return RECIPES[recipe](iso)
    return helper_network(iso)


def composition(pnet, X):
    import pynucastro as pyna
    comp = pyna.Composition(pnet.unique_nuclei)
    for n, x in zip(pnet.unique_nuclei, X):
        comp[n] = float(x)
    return comp


def scipy_burn(name, T, rho, X0, dt, rtol=1e-10, atol=1e-14):
    """Burn with scipy Radau on pynucastro's generated Python network."""
    import numpy as np
    import pynucastro as pyna
    from pynucastro.rates import TabularWeakRate
    from pynucastro.screening import chugunov_2007
    from scipy.integrate import solve_ivp

    pnet = pynucastro_network(name)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"ref_{name}.py"
        pnet.write_network(str(path))
        spec = importlib.util.spec_from_file_location(path.stem, path)
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
    nuclei = pnet.unique_nuclei
    A = np.array([n.A for n in nuclei], dtype=float)
    n = len(nuclei)
    tab = [(nuclei.index(r.reactants[0]), r) for r in pnet.rates if isinstance(r, TabularWeakRate)]
    c = pyna.constants.constants

    def eps_nu(Y):  # erg/g/s, as RateCollection.evaluate_energy_generation
        if not tab:
            return 0.0
        state = pyna.rates.rate.ThermoState(rho=rho, T=T, comp=composition(pnet, Y * A))
        return sum(c.N_A * Y[i] * r.get_nu_loss(state) for i, r in tab)

    def f(t, y):
        out = np.empty(n + 1)
        out[:n] = mod.rhs(t, y[:n], rho, T, screen_func=chugunov_2007)
        out[n] = eps_nu(y[:n])
        return out

    def jac(t, y):
        J = np.zeros((n + 1, n + 1))
        J[:n, :n] = mod.jacobian(t, y[:n], rho, T, screen_func=chugunov_2007)
        return J

    y0 = np.append(np.asarray(X0) / A, 0.0)
    sol = solve_ivp(f, (0, dt), y0, method="Radau", jac=jac, rtol=rtol,
                    atol=np.append(np.full(n, atol) / A, 1e-2))
    if not sol.success:
        raise RuntimeError(sol.message)
    Y = sol.y[:n, -1]
    mass = np.array([nu.mass for nu in nuclei])
    e_mass = -c.N_A * c.MeV2erg * np.sum((Y - y0[:n]) * mass)
    e_nu = sol.y[n, -1]
    return {"X": (Y * A).tolist(), "eps_nuc": e_mass - e_nu, "eps_nu": e_nu / dt,
            "nfev": int(sol.nfev)}


if __name__ == "__main__":
    cmd, name, T, rho, X, dt = sys.argv[1:7]
    os.environ.setdefault("NUMBA_DISABLE_JIT", "1")
    print(json.dumps(scipy_burn(name, float(T), float(rho), json.loads(X), float(dt))))
