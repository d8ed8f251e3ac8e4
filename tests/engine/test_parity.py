"""The engine against independent references: pynucastro's RHS and
Jacobian, scipy's Radau on pynucastro's own Python network, pynucastro's NSE,
finite differences, and conservation laws."""

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nnn

HERE = Path(__file__).parent
FAST_NETS = ["approx21_cr60_plus_co56", "mesa_80"]
ALL_NETS = FAST_NETS + [pytest.param("mesa_151", marks=pytest.mark.slow)]


def random_states(net, n, seed):
    """States inside every weak-rate table: T 1e9..6e9 K, rho 1e6..1e9,
    compositions spread over all species (heavy tails, X summing to 1)."""
    rng = np.random.default_rng(seed)
    for _ in range(n):
        T = 10 ** rng.uniform(9.0, 9.78)
        rho = 10 ** rng.uniform(6.0, 9.0)
        X = rng.random(len(net.isotopes)) ** 6
        yield T, rho, X / X.sum()


def pynucastro_state(pnet, T, rho, X):
    import pynucastro as pyna
    comp = pyna.Composition(pnet.unique_nuclei)
    for nuc, x in zip(pnet.unique_nuclei, X):
        comp[nuc] = float(x)
    return pyna.rates.rate.ThermoState(rho=rho, T=T, comp=comp)


@pytest.mark.parametrize("name", ALL_NETS)
def test_rhs_and_jacobian_equal_pynucastro(name, pynucastro_net):
    from pynucastro.screening import chugunov_2007
    net = nnn.Network.load(name)
    pnet = pynucastro_net(name)
    assert [n.raw for n in pnet.unique_nuclei] == net.isotopes
    worst_rhs = worst_jac = 0.0
    for T, rho, X in random_states(net, 3, seed=len(name)):
        state = pynucastro_state(pnet, T, rho, X)
        ydots = pnet.evaluate_ydots(state, screen_func=chugunov_2007)
        ref = np.array([ydots[n] for n in pnet.unique_nuclei])
        mine = net.rhs(T, rho, X)
        worst_rhs = max(worst_rhs, np.max(np.abs(mine - ref) / np.maximum(np.abs(ref), 1e-300)))
        J_ref = pnet.evaluate_jacobian(state, screen_func=chugunov_2007)
        J = net.jacobian(T, rho, X)
        assert np.all((J == 0) == (J_ref == 0)), "sparsity differs from pynucastro's"
        nz = J_ref != 0
        worst_jac = max(worst_jac, np.max(np.abs(J[nz] - J_ref[nz]) / np.abs(J_ref[nz])))
    print(f"{name}: max relative difference RHS {worst_rhs:.2e}, Jacobian {worst_jac:.2e}")
    assert worst_rhs < 1e-10
    assert worst_jac < 1e-10


@pytest.mark.parametrize("name", FAST_NETS)
def test_rate_cache_equals_fresh_evaluation(name):
    """During a burn one Kinetics serves many RHS calls and interpolates the
    screening factors in n_e (and weak tables in rho*Ye) from cached data;
    a sequence of states must give what a fresh evaluation of each gives."""
    net = nnn.Network.load(name)
    n = len(net.isotopes)
    A = np.asarray(net.A, dtype=float)
    rng = np.random.default_rng(1)
    worst = 0.0
    for T, rho in [(1e9, 1e10), (3.5e9, 1e8), (6e9, 1e9), (2e9, 1e6), (9e9, 3e9)]:
        Xa, Xb = (rng.random((2, n)) ** 6)
        Xa, Xb = Xa / Xa.sum(), Xb / Xb.sum()
        # small Ye drifts (inside the interpolant) and jumps (re-centring)
        a = np.concatenate([[0, 0], rng.uniform(0, 0.02, 40), rng.uniform(0, 1, 8), [0.5, 0.5]])
        Ys = ((1 - a)[:, None] * Xa + a[:, None] * Xb) / A
        seq, enu_seq = net._core.rhs(T, rho, Ys)
        for k, Y in enumerate(Ys):
            ref, enu = net._core.rhs(T, rho, Y)
            worst = max(worst, np.max(np.abs(seq[k] - ref) / np.maximum(np.abs(ref), 1e-300)))
            assert enu_seq[k] == pytest.approx(enu, rel=1e-13)
    print(f"{name}: cached vs fresh RHS, max relative difference {worst:.1e}")
    assert worst < 1e-10


@pytest.mark.parametrize("name", FAST_NETS)
def test_jacobian_matches_finite_differences(name):
    """Central differences of nnn's own RHS against the integrators'
    Jacobian (exact=True: with the Y_n dependence of the nn_g rates). Like
    pynucastro's, it holds screening and the weak tables fixed in Ye. At
    rho = 1e-2 screening vanishes and rho*Ye lies below every table (clamped),
    so J must match the differences closely; at rho = 1e6 the neglected Ye
    terms are bounded at 1 % of a row."""
    net = nnn.Network.load(name)
    Y = np.full(len(net.isotopes), 1.0 / len(net.isotopes)) / net.A

    def fd_error(T, rho):
        J = net.jacobian(T, rho, Y=Y, exact=True)
        J_fd = np.empty_like(J)
        for j in range(len(Y)):
            h = 1e-7 * Y[j]
            Yp, Ym = Y.copy(), Y.copy()
            Yp[j] += h
            Ym[j] -= h
            J_fd[:, j] = (net.rhs(T, rho, Y=Yp) - net.rhs(T, rho, Y=Ym)) / (2 * h)
        return np.max(np.abs(J_fd - J) / np.abs(J).max(axis=1, keepdims=True))

    clean, screened = fd_error(3e9, 1e-2), fd_error(3e9, 1e6)
    print(f"{name}: max row-scaled |J_fd - J| {clean:.2e} (rho 1e-2), {screened:.2e} (rho 1e6)")
    assert clean < 1e-6
    assert screened < 1e-2


def scipy_reference(name, T, rho, X, dt):
    """scipy Radau (rtol 1e-10) on pynucastro's generated network, in a
    subprocess with numba's JIT disabled (see reference.py)."""
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONWARNINGS="ignore")
    out = subprocess.run([sys.executable, str(HERE / "reference.py"), "burn", name, str(T),
                          str(rho), json.dumps(list(map(float, X))), str(dt)],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


BURN_CASES = [
    ("approx21_cr60_plus_co56", 3.5e9, 1e8, {"si28": 0.6, "s32": 0.4}, 1e-3),
    ("mesa_80", 3.5e9, 1e8, {"si28": 0.6, "s32": 0.4}, 1e-6),
    pytest.param("mesa_80", 5e9, 1e9, {"si28": 0.5, "ni56": 0.3, "fe54": 0.2}, 1e-3,
                 marks=pytest.mark.slow),
    pytest.param("mesa_151", 3.5e9, 1e8, {"si28": 0.6, "s32": 0.4}, 1e-6,
                 marks=pytest.mark.slow),
]


@pytest.mark.parametrize("name,T,rho,X,dt", BURN_CASES)
def test_burn_agrees_with_scipy_radau(name, T, rho, X, dt):
    net = nnn.Network.load(name)
    x0 = net.composition(X)
    ref = scipy_reference(name, T, rho, x0, dt)
    r = net.burn(T, rho, x0, dt=dt, rtol=1e-10, atol=1e-14)
    X_ref = np.array(ref["X"])
    big = X_ref > 1e-8
    dX = np.max(np.abs(r.X[big] - X_ref[big]) / X_ref[big])
    de = abs(r.eps_nuc - ref["eps_nuc"]) / abs(ref["eps_nuc"])
    print(f"{name} dt={dt}: max rel dX (X>1e-8) {dX:.2e}, eps_nuc {de:.2e}, "
          f"eps_nu {r.eps_nu:.6e} vs {ref['eps_nu']:.6e}; steps {r.n_steps} vs scipy nfev {ref['nfev']}")
    assert dX < 1e-6
    assert de < 1e-6
    assert abs(r.mass_drift) < 1e-13       # before renormalisation (see test_conservation_and_ye)
    assert abs(r.eps_nu - ref["eps_nu"]) <= 1e-6 * abs(ref["eps_nu"]) + 1e-6


def test_mass_drift_is_reported_per_zone():
    """burn_batch reports each zone's mass_drift, the same as burn's, over
    three regimes (Si burning, NSE, C/O), all within round-off."""
    net = nnn.Network.load("approx21_cr60_plus_co56")
    cases = [(3.5e9, 1e8, {"si28": 0.6, "s32": 0.4}), (5e9, 1e9, {"si28": 0.5, "ni56": 0.5}),
             (2e9, 1e7, {"c12": 0.5, "o16": 0.5})]
    single = [net.burn(T, rho, X, dt=1.0).mass_drift for T, rho, X in cases]
    b = net.burn_batch([c[0] for c in cases], [c[1] for c in cases],
                       [net.composition(c[2]) for c in cases], dt=1.0, n_threads=1)
    print(f"mass drift per zone: {single}")
    assert list(b.mass_drift) == single
    assert max(map(abs, single)) < 1e-13


@pytest.mark.parametrize("name", FAST_NETS)
def test_conservation_and_ye(name):
    net = nnn.Network.load(name)
    r = net.burn(4e9, 3e8, {"si28": 0.5, "s32": 0.3, "ni56": 0.2},
                 times=np.logspace(-6, 2, 9))
    # burn() clips round-off negatives and renormalises X, so sum X = 1 and
    # X >= 0 of the result cannot fail; mass_drift is sum X - 1 *before* that:
    # the integrator's own mass error over 100 s of Si burning (measured:
    # 2.2e-16, one ulp; the integrators project onto sum A Y = 1 every step)
    print(f"{name}: mass drift before renormalisation {r.mass_drift:.1e}")
    assert abs(r.mass_drift) < 1e-13
    assert np.all(np.abs(r.X.sum(axis=1) - 1) < 1e-14)
    assert np.all(r.X >= 0)
    ye = (r.X * net.Z / net.A).sum(axis=1)
    np.testing.assert_allclose(r.Ye, ye, rtol=1e-14)
    # electron captures only lower Ye from 0.5
    assert np.all(np.diff(r.Ye) <= 1e-15) and r.Ye[-1] < 0.5
    # one integration through 9 output times equals 9 separate burns
    for k in (0, 4, 8):
        single = net.burn(4e9, 3e8, {"si28": 0.5, "s32": 0.3, "ni56": 0.2},
                          dt=float(np.logspace(-6, 2, 9)[k]))
        np.testing.assert_allclose(single.X[single.X > 1e-8], r.X[k][single.X > 1e-8], rtol=1e-5)


def test_approaches_nse(pynucastro_net):
    """At T = 6e9 K the burn relaxes to NSE within 1 s: compare with
    pynucastro's NSE solver for the same nuclei at the burn's final Ye. NSE
    uses its own Coulomb correction (not chugunov_2007 screening), so only
    the dominant species are compared, to 10 %."""
    import pynucastro as pyna
    net = nnn.Network.load("mesa_80")
    T, rho = 6e9, 1e8
    r = net.burn(T, rho, {"si28": 0.5, "ni56": 0.5}, dt=1.0)
    nse = pyna.NSENetwork(rates=pynucastro_net("mesa_80").get_rates())
    comp = nse.get_comp_nse(rho, T, r.Ye, use_coulomb_corr=True)
    X_nse = np.array([comp[n] for n in nse.unique_nuclei])
    X = np.array([r.X[net.isotopes.index(n.raw)] for n in nse.unique_nuclei])
    big = X_nse > 1e-2
    rel = np.abs(X[big] - X_nse[big]) / X_nse[big]
    print("NSE dominant species:", {n.raw: (round(x, 4), round(xn, 4)) for n, x, xn in
                                    zip(np.array(nse.unique_nuclei)[big], X[big], X_nse[big])})
    assert big.sum() >= 4
    assert rel.max() < 0.10
