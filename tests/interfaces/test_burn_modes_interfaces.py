"""The burn modes (docs/burn_modes.md) through the C ABI and the Fortran
module: the numbered examples run, and their numbers are the engine's
(Python) to the printed digits; bad input comes back as a status + message."""

import os

import numpy as np
import pytest

import nnn
from interface_helpers import ROOT, run

NET = "approx21_cr60_plus_co56"
HIST = ([0.0, 2e-5, 6e-5, 2e-4], [2.5e9, 3.5e9, 3.0e9, 2.8e9], [1e8, 2e8, 1.5e8, 1.2e8])


def env():
    return dict(os.environ, NNN_NETWORK_DATA=str(ROOT / "network_data"), OMP_NUM_THREADS="2")


def table_rows(text, ncols):
    """Rows of numbers (ncols floats) in an example's output."""
    rows = []
    for ln in text.splitlines():
        w = ln.split()
        try:
            if len(w) == ncols:
                rows.append([float(x) for x in w])
        except ValueError:
            pass
    return np.array(rows)


@pytest.mark.parametrize("exe", ["c/02_burn_history", "fortran/04_burn_history"])
def test_history_examples_match_python(cmake_build, exe):
    out = run([cmake_build.build / "examples" / exe, NET], env=env()).stdout
    rows = table_rows(out, 5)
    assert rows.shape == (3, 5), out
    net = nnn.Network.load(NET)
    for t, T, eps, xc, xo in rows:
        r = net.burn(X={"c12": 0.5, "o16": 0.5}, dt=t, history=HIST)
        assert T == pytest.approx(r.T, rel=1e-6)
        assert eps == pytest.approx(r.eps_nuc, rel=1e-6)
        assert xc == pytest.approx(r.X[net.isotopes.index("c12")], rel=1e-3)
    assert "history ends at t[3] = 2e-04 s" in out or "history T[2] = -1 K is invalid" in out, out


def test_self_heating_c_example_matches_python(cmake_build):
    out = run([cmake_build.build / "examples" / "c" / "03_burn_self_heating", NET], env=env()).stdout
    net = nnn.Network.load(NET)
    X = {"c12": 0.5, "o16": 0.5}
    for thermal, tag in [(False, "off"), (True, "on ")]:
        line = next(ln for ln in out.splitlines() if ln.startswith(f"thermal neutrinos {tag}"))
        T_end = float(line.split("T(1e-2 s) = ")[1].split()[0])
        r = net.burn(T=2e9, rho=1e7, X=X, dt=1e-2, self_heating=True, thermal_neutrinos=thermal)
        assert T_end == pytest.approx(r.T, rel=1e-6)
    zones = [ln for ln in out.splitlines() if ln.startswith("zone ")]
    assert len(zones) == 4
    r = net.burn(T=3e9, rho=1e8, X=X, dt=1e-3, self_heating=True)
    assert float(zones[3].split("-> ")[1].split()[0]) == pytest.approx(r.T, rel=1e-6)


def test_self_heating_fortran_example(cmake_build):
    """One-zone calls in an OpenMP loop (one shared net) and the zone call
    give the same temperatures: no shared state between threads."""
    out = run([cmake_build.build / "examples" / "fortran" / "05_self_heating", NET], env=env()).stdout
    assert "zone loop vs zone call: max |dT|/T =  0.000E+00" in out, out
    net = nnn.Network.load(NET)
    line = next(ln for ln in out.splitlines() if ln.startswith("thermal neutrinos F"))
    T_end = float(line.split("T(1e-2 s) =")[1].split()[0])
    r = net.burn(T=2e9, rho=1e7, X={"c12": 0.5, "o16": 0.5}, dt=1e-2, self_heating=True)
    assert T_end == pytest.approx(r.T, rel=1e-6)
