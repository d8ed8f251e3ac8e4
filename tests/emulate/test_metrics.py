import numpy as np
import pytest

from nnn.emulate.metrics import canonical, map_isotopes, relative_mae, summary


def test_relative_mae_hand_computed():
    # mean |err| = (1 + 3) / 2 = 2; mean |target| = (10 + 30) / 2 = 20 -> 0.1
    assert relative_mae([11, 27], [10, 30]) == pytest.approx(0.1)
    # sign of the target does not cancel
    assert relative_mae([-9, 1], [-10, 2]) == pytest.approx(1.0 / 6.0)


def test_summary_numbers():
    A = np.array([4, 28, 56])
    Z = np.array([2, 14, 26])
    Xt = np.array([[0.1, 0.9, 0.0], [0.0, 0.5, 0.5]])
    Xp = np.array([[0.1, 0.8, 0.1], [0.0, 0.5, 0.5]])
    s = summary(Xp, Xt, [1.0, 3.0], [2.0, 2.0], [5.0, 5.0], [5.0, 5.0], A, Z)
    np.testing.assert_allclose(s["dX"], [0.0, 0.05, 0.05])
    assert s["dX_max"] == pytest.approx(0.05)
    ye_t = np.array([0.5, 0.5 * 0.5 + 0.5 * 26 / 56])
    ye_p = np.array([0.1 * 0.5 + 0.8 * 0.5 + 0.1 * 26 / 56, ye_t[1]])
    assert s["dYe_rel"] == pytest.approx(np.abs(ye_p - ye_t).mean() / ye_t.mean())
    assert s["deps_nuc_rel"] == pytest.approx(0.5)
    assert s["deps_nu_rel"] == 0.0


def test_map_isotopes_by_name():
    X, unm = map_isotopes([[0.2, 0.3, 0.5]], ["neut", "si28", "cr60"], ["n", "p", "si28"])
    np.testing.assert_allclose(X, [[0.2, 0.0, 0.3]])
    np.testing.assert_allclose(unm, [0.5])
    assert canonical("PROT") == "p"
