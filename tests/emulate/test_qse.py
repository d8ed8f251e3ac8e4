"""nnn.emulate.qse against pynucastro's NSE solver (NSENetwork.get_comp_nse, 3.1.0) on the
mesa_80 nuclei: the NSE solve, the QSE cluster rebuild from the NSE solution's own free
nucleons and reference abundances, and the mass-constrained rebuild must all return
pynucastro's NSE composition."""

import numpy as np
import pytest

pyna = pytest.importorskip("pynucastro")

from nnn.emulate import qse  # noqa: E402


def _mesa80_names():
    from nnn.network.paths import find_network

    for line in find_network("mesa_80").read_text().splitlines():
        if line.startswith("meta isotopes "):
            return line.split(" ", 2)[2].strip().split(",")
    raise AssertionError("mesa_80 has no isotope list")


@pytest.fixture(scope="module")
def names():
    return _mesa80_names()


@pytest.fixture(scope="module")
def saha(names):
    return qse.SahaNuclei.from_names(names)


@pytest.fixture(scope="module")
def pyna_nse(names):
    """pynucastro's NSENetwork on the mesa_80 nuclei.  get_comp_nse reads only
    ``unique_nuclei`` and ``use_unreliable_spins``; building it from ReacLib rates (40 s)
    would only fill those two, so they are set directly."""
    net = object.__new__(pyna.NSENetwork)
    net.unique_nuclei = [pyna.Nucleus(s) for s in names]
    net.use_unreliable_spins = True

    def solve(rho, T, ye, coulomb):
        comp, u = net.get_comp_nse(rho, T, ye, use_coulomb_corr=coulomb, return_sol=True)
        return np.array([comp.X[pyna.Nucleus(s)] for s in names]), u
    return solve


POINTS = [(6e9, 1e8, 0.5, False), (3e9, 1e8, 0.47, True), (5e9, 1e9, 0.46, False)]


def _rel(a, b, floor=1e-200):
    m = b > floor
    return np.max(np.abs(a[m] - b[m]) / b[m])


@pytest.mark.parametrize("T,rho,ye,coulomb", POINTS)
def test_nse_matches_pynucastro(saha, pyna_nse, T, rho, ye, coulomb):
    X_ref, u = pyna_nse(rho, T, ye, coulomb)
    X, eta_p, eta_n = qse.nse(saha, [T], [rho], [ye], coulomb=coulomb)
    kT = pyna.constants.constants.k_MeV * T
    assert eta_p[0] * kT == pytest.approx(u[0], rel=1e-9)
    assert eta_n[0] * kT == pytest.approx(u[1], rel=1e-9)
    assert _rel(X[0], X_ref) < 1e-9
    assert X[0].sum() == pytest.approx(1.0, abs=1e-12)
    assert X[0] @ (saha.Z / saha.A) == pytest.approx(ye, rel=1e-12)


def _clusters(saha, X_ref):
    """Free group (n, p, d, he3, he4: NSE with n, p), light cluster (A 5-23, reference o16),
    Si cluster (A 24-45, reference si28), Fe cluster (A >= 46, by its mass)."""
    A = saha.A
    light = (A >= 5) & (A < 24)
    si = (A >= 24) & (A < 46)
    fe = A >= 46
    free = A <= 4
    i_o, i_si = saha.index("o16"), saha.index("si28")
    return [(free, "nse", None), (light, "ref", (i_o, X_ref[:, i_o])),
            (si, "ref", (i_si, X_ref[:, i_si])), (fe, "mass", X_ref[:, fe].sum(axis=1))]


@pytest.mark.parametrize("T,rho,ye,coulomb", POINTS)
def test_qse_rebuild_returns_nse(saha, pyna_nse, T, rho, ye, coulomb):
    X_ref, _ = pyna_nse(rho, T, ye, coulomb)
    X_ref = X_ref[None, :]
    L = saha.log_x_base([T], [rho])
    muc = saha.coulomb_potentials([T], [rho], [ye]) if coulomb else None
    i_n, i_p = saha.index("n"), saha.index("p")
    eta_p, eta_n = qse.free_nucleon_potentials(saha, L, X_ref[:, i_n], X_ref[:, i_p], muc)
    X = qse.qse_rebuild(saha, L, eta_p, eta_n, _clusters(saha, X_ref), muc)
    assert _rel(X[0], X_ref[0]) < 1e-10


def test_qse_rebuild_off_nse_keeps_cluster_masses(saha):
    """Away from NSE: a cluster rebuilt 'by mass' holds exactly that mass, one rebuilt 'by
    reference' holds the reference abundance, and within each cluster the Saha ratios hold."""
    T, rho = np.array([3e9, 4e9]), np.array([1e8, 3e8])
    L = saha.log_x_base(T, rho)
    _, eta_p, eta_n = qse.nse(saha, T, rho, [0.49, 0.47])   # some physical potentials
    A = saha.A
    si, fe = (A >= 24) & (A < 46), A >= 46
    i_si = saha.index("si28")
    X = qse.qse_rebuild(saha, L, eta_p, eta_n,
                        [(si, "ref", (i_si, np.array([1e-3, 2e-3]))),
                         (fe, "mass", np.array([0.5, 0.7]))])
    assert X[:, fe].sum(axis=1) == pytest.approx([0.5, 0.7], rel=1e-12)
    assert X[:, i_si] == pytest.approx([1e-3, 2e-3], rel=1e-12)
    # Saha ratio of s32 to si28 (alpha = 2n + 2p): X_s32/X_si28 = exp(L_s32 - L_si28
    # + 2 eta_p + 2 eta_n)
    i_s = saha.index("s32")
    want = np.exp(L[:, i_s] - L[:, i_si] + 2 * eta_p + 2 * eta_n)
    assert X[:, i_s] / X[:, i_si] == pytest.approx(want, rel=1e-12)


@pytest.mark.parametrize("T,rho,ye,coulomb", POINTS)
def test_qse_from_masses_returns_nse(saha, T, rho, ye, coulomb):
    """Slow variables Ye, the Si- and Fe-cluster masses and the light nuclei' abundances
    (A 5-23, fixed): solving for the free nucleons returns the NSE composition (nnn's, held
    to pynucastro's at 1e-9 by test_nse_matches_pynucastro).

    This inverse problem is ill-conditioned where the clusters hold nearly all the mass
    (free group 5e-8 of it at 3e9 K; the clusters' Ye barely moves with eta): the reference's
    own round-off in sum X and Ye (1e-14) moves the free nucleons by up to ~1e-7, so the
    check is at 1e-6 in eta and 1e-5 in X (Z eta_p + N eta_n multiplies the error by up to
    ~30; eq 6 needs 1e-3).  Against pynucastro's composition, whose fsolve
    holds sum X = 1 only to 1e-11, the same amplification gives up to 4e-4."""
    X_ref, ep, en = qse.nse(saha, [T], [rho], [ye], coulomb=coulomb)
    X_ref = X_ref[0]
    kT = pyna.constants.constants.k_MeV * T
    u = (ep[0] * kT, en[0] * kT)
    tol = 1e-6
    X_ref = X_ref[None, :]
    A = saha.A
    free, si, fe = A <= 4, (A >= 24) & (A < 46), A >= 46
    fixed = np.where((A >= 5) & (A < 24), X_ref, 0.0)
    L = saha.log_x_base([T], [rho])
    muc = saha.coulomb_potentials([T], [rho], [ye]) if coulomb else None
    X, eta_p, eta_n, ok = qse.qse_from_masses(
        saha, L, [ye], free, [si, fe], [X_ref[:, si].sum(axis=1), X_ref[:, fe].sum(axis=1)],
        fixed_X=fixed, muc=muc)
    assert ok.all()
    kT = pyna.constants.constants.k_MeV * T
    assert eta_n[0] * kT == pytest.approx(u[1], rel=tol)
    assert eta_p[0] * kT == pytest.approx(u[0], rel=tol)
    assert _rel(X[0], X_ref[0]) < 10 * tol


def test_qse_from_masses_flags_impossible_slow_variables(saha):
    """Cluster masses summing above 1 leave no free mass: flagged, NaN, no exception."""
    A = saha.A
    L = saha.log_x_base([4e9, 4e9], [1e8, 1e8])
    X, _, _, ok = qse.qse_from_masses(saha, L, [0.48, 0.48], A <= 4, [A >= 24],
                                      [np.array([0.9, 1.1])])
    assert ok.tolist() == [True, False]
    assert np.isnan(X[1]).all() and np.isfinite(X[0]).all()
    assert X[0].sum() == pytest.approx(1.0, abs=1e-12)


def test_nse_rejects_ye_out_of_range(saha):
    with pytest.raises(ValueError, match=r"Ye = 1\.2 \(case 0\)"):
        qse.nse(saha, [5e9], [1e8], [1.2])


def test_unknown_nucleus_is_named(saha):
    with pytest.raises(ValueError, match="'xx99'"):
        saha.index("xx99")


def test_cluster_moment_fit_recovers_a_saha_cluster(saha):
    """A cluster that is exactly Saha-shaped with its own potentials (QSE with shifted n, p)
    is returned exactly from its mass, mean Z and mean N; a non-Saha one keeps its mass,
    mean Z and mean N."""
    T, rho = np.array([3.5e9, 5e9]), np.array([1e8, 1e9])
    L = saha.log_x_base(T, rho)
    A = saha.A
    si = (A >= 24) & (A < 46)
    _, eta_p, eta_n = qse.nse(saha, T, rho, [0.49, 0.47])
    want = qse.qse_rebuild(saha, L, eta_p + 0.7, eta_n - 0.4, [(si, "mass", np.array([0.3, 0.6]))])
    got = qse.cluster_moment_fit(saha, L, want, si)
    assert _rel(got[0], want[0]) < 1e-8 and _rel(got[1], want[1]) < 1e-8
    rng = np.random.default_rng(1)
    odd = np.where(si, rng.random((2, len(saha))), 0.0)
    got = qse.cluster_moment_fit(saha, L, odd, si)
    assert got.sum(axis=1) == pytest.approx(odd.sum(axis=1), rel=1e-12)
    for v in (saha.Z, saha.N):
        assert got @ v == pytest.approx(odd @ v, rel=1e-9)
