"""The engine over its whole documented domain (issue 14, section 1).

- approx21's nn_g approximations at low T, where X(g,n)A underflows: the RHS
  is finite at Y_n = 0 (pynucastro divides by zero there) and equals
  pynucastro's at Y_n > 0; a burn agrees with scipy Radau on pynucastro's
  network.
- Above 1e10 K the ReacLib fits diverge (pynucastro's p30(p,g)s31 is inf at
  1.5e10 K): burn and rhs refuse with the limit and the reason.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nnn

HERE = Path(__file__).parent
APPROX21 = "approx21_cr60_plus_co56"


def pynucastro_ydot(pnet, T, rho, X):
    import pynucastro as pyna
    from pynucastro.screening import chugunov_2007
    comp = pyna.Composition(pnet.unique_nuclei)
    for nuc, x in zip(pnet.unique_nuclei, X):
        comp[nuc] = float(x)
    state = pyna.rates.rate.ThermoState(rho=rho, T=T, comp=comp)
    with np.errstate(all="ignore"):
        ydots = pnet.evaluate_ydots(state, screen_func=chugunov_2007)
    return np.array([ydots[n] for n in pnet.unique_nuclei])


def composition(net, X):
    x = np.zeros(len(net.isotopes))
    for k, v in X.items():
        x[net.isotopes.index(k)] = v
    return x / x.sum()


@pytest.mark.parametrize("T", [1e7, 1e8, 1.5e8, 2e8])
def test_approx21_rhs_at_low_T_is_finite_and_pynucastros(T, pynucastro_net):
    """Below ~2e8 K X(g,n)A underflows to 0 (1e8 K) or 7e-298 (1.5e8 K),
    so at Y_n = 0 the nn_g forward rate was x/0 and the reverse 0/0: the RHS
    was NaN in n, fe52, fe54, fe56 for every composition. With Y_n > 0 it must
    be pynucastro's; at Y_n = 0 the limit Y_n -> 0+ (pynucastro at Y_n tiny)."""
    net = nnn.Network.load(APPROX21)
    pnet = pynucastro_net(APPROX21)
    base = {"he4": 0.3, "c12": 0.2, "o16": 0.2, "fe52": 0.1, "fe54": 0.1, "fe56": 0.1}
    rho = 1e6
    # Y_n = 0: finite, and equal to pynucastro's at X_n = 1e-60 (whose
    # nn_g fluxes ~ rho Y_n A(n,g)X Y_A ~ 1e-48 /s are far below round-off
    # of the other terms)
    X0 = composition(net, base)
    mine = net.rhs(T, rho, X0)
    assert np.all(np.isfinite(mine))
    J = net.jacobian(T, rho, X0, exact=True)
    assert np.all(np.isfinite(J))
    X_tiny = composition(net, {**base, "n": 1e-60})
    ref = pynucastro_ydot(pnet, T, rho, X_tiny)
    scale = np.maximum(np.abs(ref), 1e-30)
    assert np.max(np.abs(mine - ref) / scale) < 1e-12
    # Y_n > 0: pynucastro's to round-off
    Xn = composition(net, {**base, "n": 1e-12})
    ref = pynucastro_ydot(pnet, T, rho, Xn)
    mine = net.rhs(T, rho, Xn)
    rel = np.max(np.abs(mine - ref) / np.maximum(np.abs(ref), 1e-300))
    print(f"T = {T:.1e} K: max relative difference from pynucastro at X_n = 1e-12: {rel:.1e}")
    assert rel < 1e-12


def scipy_reference(name, T, rho, X, dt):
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONWARNINGS="ignore")
    out = subprocess.run([sys.executable, str(HERE / "reference.py"), "burn", name, str(T),
                          str(rho), json.dumps(list(map(float, X))), str(dt)],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow  # scipy Radau on pynucastro's Python network: ~2 min on a busy machine
# (a second case, 1.5e8 K, 1e4 g/cm3, He/C/fe54, dt 1e6 s, did not finish in 15 min there)
@pytest.mark.parametrize("T,rho,X,dt", [
    (1e8, 1e6, {"he4": 0.98, "fe56": 0.02, "n": 1e-20}, 1e6),   # He burning, X(g,n)A = 0
])
def test_approx21_low_T_burn_agrees_with_scipy_radau(T, rho, X, dt):
    """A burn at low T (which failed at t = 0 with step size underflow)
    against scipy Radau (rtol 1e-10) on pynucastro's generated network. The
    reference needs Y_n > 0 (pynucastro divides by zero at Y_n = 0 here), so
    both start from X_n = 1e-20."""
    net = nnn.Network.load(APPROX21)
    x0 = composition(net, X)
    ref = scipy_reference(APPROX21, T, rho, x0, dt)
    r = net.burn(T, rho, x0, dt=dt, rtol=1e-10, atol=1e-14)
    X_ref = np.array(ref["X"])
    big = X_ref > 1e-8
    dX = np.max(np.abs(r.X[big] - X_ref[big]) / X_ref[big])
    de = abs(r.eps_nuc - ref["eps_nuc"]) / max(abs(ref["eps_nuc"]), 1e-300)
    print(f"T = {T:.1e}, rho = {rho:.0e}, dt = {dt:g}: max rel dX {dX:.1e}, eps_nuc {de:.1e} "
          f"({r.eps_nuc:.6e} vs {ref['eps_nuc']:.6e}), {r.n_steps} steps")
    assert dX < 1e-6
    # eps_nuc comes from the change of X, which is small here (He burning at
    # 1e8 K burns ~3e-7 of the mass in 1e6 s): an error of rtol x X ~ 1e-10
    # in X allows ~3e-4 in eps_nuc; measured 1.3e-6 at 1e8 K
    assert de < 1e-5


@pytest.mark.parametrize("T", [1e7, 1e8])
def test_approx21_low_T_burns_from_zero_neutrons(T):
    """The regime compositions of the domain sweep, with no free neutrons,
    burn at every dt (each failed at t = 0 before)."""
    net = nnn.Network.load(APPROX21)
    for X in ({"p": 0.7, "he4": 0.28, "c12": 0.003, "n14": 0.011, "o16": 0.006},
              {"ni56": 0.6, "fe54": 0.2, "fe56": 0.2}):
        for dt in (1e-12, 1.0, 1e6):
            r = net.burn(T, 1e6, X, dt=dt)
            assert np.all(np.isfinite(r.X)) and np.isfinite(r.eps_nuc)
            assert abs(r.X.sum() - 1) < 1e-12


@pytest.mark.parametrize("name", [APPROX21, "mesa_80"])
@pytest.mark.parametrize("T", [1.5e10, 3e10, 1e11])
def test_above_reaclib_range_is_refused_with_the_limit(name, T, pynucastro_net):
    """pynucastro's own rates are non-finite above the ReacLib range (the
    reason for refusing, checked here so the test fails if that changes);
    burn and rhs refuse, naming T, the limit 1e10 K and why."""
    net = nnn.Network.load(name)
    if name == "mesa_80" and T < 1e11:
        pnet = pynucastro_net(name)
        rate = next(r for r in pnet.get_rates() if str(r).startswith("P30 + p"))
        with np.errstate(all="ignore"):
            assert not np.isfinite(rate.eval(T))
    X = {"si28": 0.6, "s32": 0.4}
    for call in (lambda: net.burn(T, 1e8, X, dt=1.0), lambda: net.rhs(T, 1e8, X)):
        with pytest.raises(ValueError) as e:
            call()
        msg = str(e.value)
        assert f"T = {T:g} K" in msg      # the engine prints the shortest round-trip form
        assert "1e+10" in msg and "ReacLib" in msg and "NSE" in msg


def test_upper_limit_itself_burns():
    """T = 1e10 K, the top of the range, burns (mesa_80, Si, rho 1e6)."""
    net = nnn.Network.load("mesa_80")
    r = net.burn(1e10, 1e6, {"si28": 0.6, "s32": 0.4}, dt=1e-3)
    assert np.all(np.isfinite(r.X))


def test_failure_at_the_networks_ye_floor_names_it():
    """The one failure of 2048 mesa_80 training-domain zones (tail-latency
    set, seed 99, zone 1334: logT 9.797, logrho 8.692, dt 100 s): bdf stalls
    at t = 62.6 s as electron captures bring Ye down to 0.4645, next to
    Z/A = 0.4643 of fe56, the most neutron-rich nucleus of mesa_80 with
    A >= 40. The message must say so, with both numbers."""
    import re
    from nnn.emulate.sampling import random_compositions, sobol_thermo
    net = nnn.Network.load("mesa_80")
    logT, logrho = sobol_thermo(2048, seed=99)
    X, _ = random_compositions(2048, net.isotopes, net.A, net.Z, seed=99)
    z = 1334
    with pytest.raises(nnn.BurnError) as e:
        net.burn(10 ** logT[z], 10 ** logrho[z], X[z], dt=100.0, integrator="bdf")
    msg = str(e.value)
    print(msg)
    m = re.search(r"Ye = (\S+) has reached (\S+) \(fe56\)", msg)
    assert m, msg
    assert float(m.group(2)) == 26 / 56
    assert 26 / 56 <= float(m.group(1)) < 26 / 56 + 1e-3
