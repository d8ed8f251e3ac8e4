"""Thermal neutrino losses (src/cpp/nnn/thermal_neutrinos.cpp) against
pynucastro 3.1's neutrino_cooling.sneut5 (Itoh et al. 1996 fits).

Measured (docs/physics.md): every part agrees to <= 1.2e-13 relative over
log T 7-10.5, log rho 0-11 and six compositions; the total to 2e-15.
"""
import math
import re

import numpy as np
import pytest

from nnn import _core

sneut5_mod = pytest.importorskip("pynucastro.neutrino_cooling.sneut5_mod")

PARTS = (("pair", "spair"), ("photo", "sphot"), ("plasma", "splas"), ("brem", "sbrem"), ("recomb", "sreco"))
COMPOSITIONS = ((1.0, 1.0), (4.0, 2.0), (13.714285714285715, 6.857142857142858), (28.0, 14.0), (56.0, 26.0))


def reference(T, rho, abar, zbar):
    total, comps = sneut5_mod.sneut5(rho, T, abar=abar, zbar=zbar, full_output=True)
    return total, {k: getattr(comps, kk) for k, kk in PARTS}


def test_loss_and_parts_match_sneut5():
    worst = dict.fromkeys(["total"] + [k for k, _ in PARTS], 0.0)
    # steps that land on and between the fits' switches (T = 1e8, 1e9, 1e10 K)
    for lt in np.arange(7.0, 10.51, 0.1):
        for lr in np.arange(0.0, 11.01, 0.5):
            for abar, zbar in COMPOSITIONS:
                T, rho = 10**lt, 10**lr
                total, parts = reference(T, rho, abar, zbar)
                m = _core.thermal_neutrino_loss(T, rho, abar, zbar)
                for k, ref in [("total", total), *parts.items()]:
                    if ref == 0.0:
                        assert m[k] == 0.0, (k, T, rho, abar)
                        continue
                    err = abs(m[k] - ref) / abs(ref)
                    worst[k] = max(worst[k], err)
                    assert err < 1e-11, (k, T, rho, abar, m[k], ref)
    print("max rel. diff", {k: "%.2g" % v for k, v in worst.items()})


def test_total_is_the_sum_of_parts_and_zero_below_1e7():
    m = _core.thermal_neutrino_loss(3e9, 1e8, 28.0, 14.0)
    assert m["total"] == pytest.approx(sum(m[k] for k, _ in PARTS), rel=1e-15)
    assert m["pair"] > m["plasma"] > 0 and m["photo"] > 0 and m["brem"] > 0
    m = _core.thermal_neutrino_loss(9.99e6, 1e8, 28.0, 14.0)
    assert all(v == 0.0 for v in m.values())


def test_dtotal_dT_matches_differences_of_sneut5():
    """dtotal_dT (forward-mode, exact for the branch taken) against central
    differences of pynucastro's sneut5. Points where the left and right
    differences disagree straddle a switch between fit branches and are left out."""
    tested = skipped = 0
    for lt in np.arange(7.05, 10.5, 0.2):
        for lr in np.arange(0.3, 11.0, 0.7):
            for abar, zbar in COMPOSITIONS[1::2]:
                T, rho = 10**lt, 10**lr
                h = 1e-5 * T
                f0 = sneut5_mod.sneut5(rho, T, abar=abar, zbar=zbar)
                fp = sneut5_mod.sneut5(rho, T + h, abar=abar, zbar=zbar)
                fm = sneut5_mod.sneut5(rho, T - h, abar=abar, zbar=zbar)
                right, left = (fp - f0) / h, (f0 - fm) / h
                if abs(right - left) > 1e-3 * abs(right + left):
                    skipped += 1
                    continue
                tested += 1
                d = _core.thermal_neutrino_loss(T, rho, abar, zbar)["dtotal_dT"]
                assert d == pytest.approx((fp - fm) / (2 * h), rel=1e-6, abs=1e-12 * f0 / T), (T, rho, abar)
    assert tested > 0.95 * (tested + skipped), (tested, skipped)


@pytest.mark.parametrize("field", ["T", "rho", "abar", "zbar"])
@pytest.mark.parametrize("value", [math.nan, math.inf, 0.0, -1.0])
def test_bad_input_names_field_and_value(field, value):
    args = dict(T=3e9, rho=1e8, abar=28.0, zbar=14.0)
    args[field] = value
    with pytest.raises(ValueError, match=rf"thermal_neutrino_loss: {field} = ") as e:
        _core.thermal_neutrino_loss(**args)
    got = float(re.search(rf"{field} = (\S+)", str(e.value)).group(1))
    assert (math.isnan(got) and math.isnan(value)) or got == value


def test_zbar_above_abar_is_rejected():
    with pytest.raises(ValueError, match=r"zbar = 12.000000000000002 exceeds abar = 12"):
        _core.thermal_neutrino_loss(3e9, 1e8, 12.0, 12.000000000000002)
