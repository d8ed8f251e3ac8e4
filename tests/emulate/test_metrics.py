"""The evaluation metrics against cases worked by hand (paper eqs 3-8 and nnn's additions)."""

import numpy as np
import pytest

from nnn.emulate.metrics import (canonical, eq5_per_test, fallback_catch, map_isotopes,
                                 per_test_relative, relative_mae, score, unmapped_mask)

# three isotopes: he4, si28, fe56
A = np.array([4.0, 28.0, 56.0])
Z = np.array([2.0, 14.0, 26.0])
X0 = np.array([[0.0, 1.0, 0.0], [0.0, 0.5, 0.5]])
XT = np.array([[0.1, 0.8, 0.1], [0.0, 0.4, 0.6]])
XP = np.array([[0.05, 0.85, 0.1], [0.0, 0.5, 0.5]])
EN_T, EN_P = np.array([2.0, 4.0]), np.array([1.0, 4.0])      # eps_nuc, erg/g
NU_T, NU_P = np.array([1.0, 10.0]), np.array([2.0, 10.0])    # eps_nu, erg/g/s


def abar(x):
    return 1.0 / (x[0] / 4 + x[1] / 28 + x[2] / 56)


def test_relative_mae_hand_computed():
    # mean |err| = (1 + 3) / 2 = 2; mean |target| = (10 + 30) / 2 = 20 -> 0.1
    assert relative_mae([11, 27], [10, 30]) == pytest.approx(0.1)
    # sign of the target does not cancel
    assert relative_mae([-9, 1], [-10, 2]) == pytest.approx(1.0 / 6.0)


def test_three_isotope_case_by_hand():
    s = score(XP, XT, X0, EN_P, EN_T, NU_P, NU_T, A, Z)
    assert s["n"] == 2
    # eqs 3-4: |XP - XT| = [.05, .05, 0] and [0, .1, .1]
    np.testing.assert_allclose(s["dX"], [0.025, 0.075, 0.05])
    assert s["dX_max"] == pytest.approx(0.075)
    # eq 5 per test: 0.5*0.05 + 0.5*0.05 = 0.05 and 0.5*0.1 + (26/56)*0.1
    d5 = np.array([0.05, 0.05 + 0.1 * 26 / 56])
    np.testing.assert_allclose(eq5_per_test(XP, XT, Z, A), d5)
    ye_t = np.array([0.5 * 0.9 + 0.1 * 26 / 56, 0.5 * 0.4 + 0.6 * 26 / 56])
    assert s["eq6"] == pytest.approx(d5.mean())
    assert s["eq6_rel"] == pytest.approx(d5.mean() / ye_t.mean())      # = 0.150183
    assert s["eq6_rel"] == pytest.approx(0.1501831, rel=1e-6)
    np.testing.assert_allclose([s["eq5_rel_median"]], [np.median(d5 / ye_t)])
    # |Ye_p - Ye_t|: case 1 moves mass between two Z/A = 1/2 nuclei, so its Ye is exact
    # although eq 5 is not 0 -- the two metrics differ
    ye_p = np.array([ye_t[0], 0.5 * 0.5 + 0.5 * 26 / 56])
    assert s["ye_rel"] == pytest.approx(np.abs(ye_p - ye_t).mean() / ye_t.mean())
    assert s["ye_rel"] == pytest.approx(0.5 * (0.1 * (0.5 - 26 / 56)) / 0.4875)
    # changes: Ye0 = [0.5, 0.25 + 0.5*26/56]: dYe_t = -(0.5 - 26/56)/10 in both cases
    assert s["ye_change_rel"] == pytest.approx(0.5)
    # composition change: error sums 0.1, 0.2; true change sums 0.4, 0.2 -> 0.15 / 0.3
    assert s["X_change_rel"] == pytest.approx(0.5)
    ab_t = np.array([abar(x) for x in XT])
    ab_p = np.array([abar(x) for x in XP])
    ab_0 = np.array([abar(x) for x in X0])
    assert s["abar_rel"] == pytest.approx(np.abs(ab_p - ab_t).mean() / ab_t.mean())
    assert s["abar_change_rel"] == pytest.approx(np.abs(ab_p - ab_t).mean()
                                                 / np.abs(ab_t - ab_0).mean())
    # eqs 7-8: mean |err| / mean |target|; per test |err|/|target| = [.5, 0] and [1, 0]
    assert s["eps_nuc_rel"] == pytest.approx(0.5 / 3.0)
    assert s["eps_nuc_rel_median"] == pytest.approx(0.25)
    assert s["eps_nuc_rel_p95"] == pytest.approx(0.475)   # linear between 0 and 0.5
    assert s["eps_nu_rel"] == pytest.approx(0.5 / 5.5)
    assert s["eps_nu_rel_median"] == pytest.approx(0.5)
    assert s["eps_nu_rel_p95"] == pytest.approx(0.95)
    assert "err_catch" not in s


def test_persistence_scores_exactly_one_on_changes():
    zero = np.zeros(2)
    s = score(X0, XT, X0, zero, EN_T, zero, NU_T, A, Z)
    for k in ("ye_change_rel", "X_change_rel", "abar_change_rel", "eps_nuc_rel",
              "eps_nu_rel", "eps_nuc_rel_median", "eps_nu_rel_p95"):
        assert s[k] == pytest.approx(1.0, abs=1e-15), k
    # eq 5 of persistence is the Z/A-weighted size of the true change
    np.testing.assert_allclose(s["eq6"], np.mean(np.abs(XT - X0) @ (Z / A)))


def test_unmapped_mass_counts_in_full():
    # a predictor that puts 0.1 of case 1's mass in an isotope the target lacks (cr60,
    # Z/A = 0.4) instead of fe56: it is missing from fe56 and present where the target has 0
    Xp = XT.copy()
    Xp[0, 2] -= 0.1
    s = score(Xp, XT, X0, EN_T, EN_T, NU_T, NU_T, A, Z, unmapped_p=np.array([0.1, 0.0]),
              unmapped_zeta_p=np.array([0.1 * 24 / 60, 0.0]))
    assert s["eq6"] == pytest.approx((0.1 * 26 / 56 + 0.1 * 0.4) / 2)
    # composition change error: 0.2 in case 1 (0.1 missing + 0.1 elsewhere)
    assert s["X_change_rel"] == pytest.approx((0.2 / 2) / 0.3)


def test_per_test_relative_zero_target():
    r = per_test_relative([0.0, 1.0, 3.0], [0.0, 0.0, 2.0])
    assert r[0] == 0.0 and np.isinf(r[1]) and r[2] == pytest.approx(0.5)


def test_fallback_catch():
    real = np.arange(40.0)          # worst 5 % = the 2 largest (38, 39)
    assert fallback_catch(real, real) == 1.0
    assert fallback_catch(-real, real) == 0.0
    err = np.zeros(40)
    err[39] = 1.0                   # catches 39; the other 3 fallbacks are ties at 0
    err[0] = 0.5
    assert fallback_catch(err, real) == 0.5
    s = score(XP, XT, X0, EN_P, EN_T, NU_P, NU_T, A, Z, err_p=np.array([0.0, 1.0]))
    assert s["err_catch"] == 1.0    # case 2 has the larger eq-5 error
    assert s["err_spearman"] == pytest.approx(1.0)


def test_score_rejects_bad_shapes():
    with pytest.raises(ValueError, match="one shape"):
        score(XP[:, :2], XT, X0, EN_P, EN_T, NU_P, NU_T, A, Z)


def test_map_isotopes_by_name():
    X, unm = map_isotopes([[0.2, 0.3, 0.5]], ["neut", "si28", "cr60"], ["n", "p", "si28"])
    np.testing.assert_allclose(X, [[0.2, 0.0, 0.3]])
    np.testing.assert_allclose(unm, [0.5])
    assert canonical("PROT") == "p"
    np.testing.assert_array_equal(unmapped_mask(["neut", "si28", "cr60"], ["n", "si28"]),
                                  [False, False, True])
