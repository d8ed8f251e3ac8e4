import numpy as np
import pytest

from nnn.emulate.sampling import (abar_zbar, electron_fraction, random_compositions,
                                  si_burning_compositions, sobol_thermo)

ISO = ["n", "p", "he4", "c12", "o16", "si28", "s32", "ca40", "fe54", "fe56", "ni56", "cr56",
       "fe58", "ni58"]
A = np.array([1, 1, 4, 12, 16, 28, 32, 40, 54, 56, 56, 56, 58, 58])
Z = np.array([0, 1, 2, 6, 8, 14, 16, 20, 26, 26, 28, 24, 26, 28])


def test_compositions_valid_and_ye_in_range():
    X, fam = random_compositions(2000, ISO, A, Z, ye_range=(0.45, 0.5), seed=1)
    assert X.shape == (2000, len(ISO))
    assert (X >= 0).all()
    np.testing.assert_allclose(X.sum(1), 1.0, rtol=0, atol=1e-12)
    ye = electron_fraction(X, A, Z)
    assert ye.min() >= 0.45 - 1e-12 and ye.max() <= 0.5 + 1e-12
    # Ye is uniform by construction: both halves of the range are populated
    assert 0.4 < np.mean(ye < 0.475) < 0.6
    # both families, about half each
    assert 0.45 < fam.mean() < 0.55
    # Si-burning family: dominated by at most 4 Si-burning nuclei + partner (>= 0.5 of mass
    # in its top 4 isotopes), broad family spreads over many isotopes
    top4 = np.sort(X, axis=1)[:, -4:].sum(1)
    assert np.median(top4[fam == 1]) > 0.95
    assert np.median((X[fam == 0] > 1e-6).sum(1)) > 4


def test_compositions_deterministic():
    a, _ = random_compositions(50, ISO, A, Z, seed=5)
    b, _ = random_compositions(50, ISO, A, Z, seed=5)
    c, _ = random_compositions(50, ISO, A, Z, seed=6)
    assert np.array_equal(a, b)
    assert not np.allclose(a, c)


def test_sobol_box_and_seed():
    t, r = sobol_thermo(256, (9.2, 9.8), (7.0, 9.5), seed=0)
    assert t.min() >= 9.2 and t.max() <= 9.8 and r.min() >= 7.0 and r.max() <= 9.5
    # space-filling: every tenth of the box in log T is hit
    assert len(np.unique(np.floor((t - 9.2) / 0.06))) == 10
    t2, _ = sobol_thermo(256, seed=0)
    assert np.array_equal(t, t2)


def test_si_burning_test_set():
    X = si_burning_compositions(300, ISO, A, Z, seed=2)
    ye = electron_fraction(X, A, Z)
    assert ye.min() >= 0.45 - 1e-12 and ye.max() <= 0.5 + 1e-12
    np.testing.assert_allclose(X.sum(1), 1.0, atol=1e-12)
    major = [ISO.index(s) for s in ("o16", "si28", "s32", "ca40")]
    assert np.median(X[:, major].sum(1)) > 0.3  # the rest: Fe-group partners setting Ye


def test_abar_zbar():
    X = np.zeros((1, len(ISO)))
    X[0, ISO.index("si28")] = 1.0
    ab, zb = abar_zbar(X, A, Z)
    assert ab[0] == pytest.approx(28.0) and zb[0] == pytest.approx(14.0)


@pytest.mark.parametrize("kw, field", [({"ye_range": (0.5, 0.45)}, "ye_range"),
                                       ({"frac_broad": 1.5}, "frac_broad")])
def test_bad_composition_input(kw, field):
    with pytest.raises(ValueError, match=field):
        random_compositions(3, ISO, A, Z, **kw)


def test_bad_sobol_range():
    with pytest.raises(ValueError, match="logT_range"):
        sobol_thermo(4, (9.8, 9.2))
