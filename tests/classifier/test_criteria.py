"""Conventional classes on hand-computed stars.

Asplund 2009: Fe 7.50, Sr 2.87, Ba 2.18, La 1.10, Eu 0.52, Hf 0.85, Ir 1.38, Pb 1.75.
"""

import math

import pandas as pd
import pytest

from nnn.classifier import conventional_label, conventional_labels, default_stars, load_solar
from nnn.classifier.criteria import Ratio, all_of, comparison_table, ratio

SOLAR = load_solar()


def star(feh, **values):
    """A star row from [Fe/H] and log eps values; ``X_ul=True`` marks an upper limit."""
    row = {"feh": feh}
    for key, val in values.items():
        if key.endswith("_ul"):
            row[f"ul_{key[:-3]}"] = int(val)
        else:
            row[f"logeps_{key}"] = val
    return pd.Series(row)


def test_solar_values_used_by_the_hand_computations():
    elements = ("Fe", "Sr", "Ba", "La", "Eu", "Hf", "Ir", "Pb")
    assert [SOLAR[e] for e in elements] == [7.50, 2.87, 2.18, 1.10, 0.52, 0.85, 1.38, 1.75]


def test_r_ii_star():
    # [Fe/H] = -3, [Eu/Fe] = +1.5 -> log eps Eu = 0.52 - 3 + 1.5 = -0.98;
    # [Ba/Eu] = -0.8 -> Ba = -0.98 + 1.66 - 0.8 = -0.12
    s = star(-3.0, Eu=-0.98, Ba=-0.12, La=-1.00)
    assert ratio(s, "Eu", "Fe", SOLAR).value == pytest.approx(1.5)
    assert ratio(s, "Ba", "Eu", SOLAR).value == pytest.approx(-0.8)
    assert conventional_label(s, SOLAR) == ("r-II", ["r-II"])


def test_r_i_boundaries_are_inclusive():
    # [Eu/Fe] exactly 0.3 and exactly 1.0 are r-I; [Ba/Eu] = -0.5.
    for eufe in (0.3, 1.0):
        eu = 0.52 - 2.5 + eufe
        s = star(-2.5, Eu=eu, Ba=eu + 1.66 - 0.5)
        assert conventional_label(s, SOLAR)[0] == "r-I"


def test_ba_eu_zero_is_not_r():
    eu = 0.52 - 2.5 + 0.5
    s = star(-2.5, Eu=eu, Ba=eu + 1.66 + 0.0)
    assert conventional_label(s, SOLAR)[0] == ""


def test_limited_r():
    # [Eu/Fe] = 0.0 -> Eu = -1.98 at [Fe/H] = -2.5; [Sr/Ba] = +0.8, [Sr/Eu] = +0.6
    eu = -1.98
    sr = eu + (2.87 - 0.52) + 0.6
    ba = sr - (2.87 - 2.18) - 0.8
    s = star(-2.5, Eu=eu, Sr=sr, Ba=ba)
    assert ratio(s, "Sr", "Ba", SOLAR).value == pytest.approx(0.8)
    assert conventional_label(s, SOLAR)[0] == "limited-r"


def test_s_star_and_the_pb_condition():
    # [Fe/H] = -2.5, [Ba/Fe] = +1.5 -> Ba = 1.18; [Ba/Eu] = +1.0 -> Eu = 1.18 - 1.66 - 1.0 = -1.48;
    # [La/Eu] = +0.9
    base = dict(Ba=1.18, Eu=-1.48, La=-1.48 + 0.58 + 0.9)
    assert conventional_label(star(-2.5, **base), SOLAR)[0] == "s"  # no Pb: Pb test skipped
    # [Ba/Pb] = -1.0 passes; [Ba/Pb] = -2.0 fails
    assert conventional_label(star(-2.5, Pb=1.18 + 1.0 - 0.43, **base), SOLAR)[0] == "s"
    assert conventional_label(star(-2.5, Pb=1.18 + 2.0 - 0.43, **base), SOLAR)[0] == ""


def test_upper_limits_are_bounds():
    base = dict(Ba=1.18, Eu=-1.48, La=-1.48 + 0.58 + 0.9)
    # Pb < x gives [Ba/Pb] > value: a bound of -2.0 cannot decide "> -1.5", so the optional Pb test is skipped.
    assert conventional_label(star(-2.5, Pb=1.18 + 2.0 - 0.43, Pb_ul=True, **base), SOLAR)[0] == "s"
    # An Eu upper limit makes [Ba/Eu] a lower bound: bound +1.0 > 0.5 decides the s test ...
    assert conventional_label(star(-2.5, Eu_ul=True, **base), SOLAR)[0] == "s"
    # ... but an Eu upper limit cannot establish [Eu/Fe] >= 0.3, so the star is not r-I.
    eu = 0.52 - 2.5 + 0.6
    assert conventional_label(star(-2.5, Eu=eu, Eu_ul=True, Ba=eu + 1.66 - 0.5), SOLAR)[0] == ""
    assert Ratio(1.0, "upper").gt(0.5) is None and Ratio(0.2, "upper").gt(0.5) is False
    assert Ratio(1.0, "lower").gt(0.5) is True and Ratio(0.2, "lower").gt(0.5) is None


def test_i_star_with_and_without_hf_ir():
    # [La/Eu] = +0.3, [Ba/Eu] = +0.3 (not s: [Ba/Eu] < 0.5), [Eu/Fe] = +1.2
    eu = 0.52 - 2.5 + 1.2
    base = dict(Eu=eu, La=eu + 0.58 + 0.3, Ba=eu + 1.66 + 0.3)
    assert conventional_label(star(-2.5, **base), SOLAR)[0] == "i"
    # [Hf/Ir] = +1.0 keeps i; [Hf/Ir] = -0.3 rejects it
    assert conventional_label(star(-2.5, Hf=0.0, Ir=0.0 - (0.85 - 1.38) - 1.0, **base), SOLAR)[0] == "i"
    assert conventional_label(star(-2.5, Hf=0.0, Ir=0.0 - (0.85 - 1.38) + 0.3, **base), SOLAR)[0] == ""


def test_s_wins_over_i_and_both_are_reported():
    # [Ba/Fe] = 1.5, [Ba/Eu] = 0.7, [La/Eu] = 0.4: passes s and i
    ba = 2.18 - 2.5 + 1.5
    eu = ba - 1.66 - 0.7
    s = star(-2.5, Ba=ba, Eu=eu, La=eu + 0.58 + 0.4)
    assert conventional_label(s, SOLAR) == ("s", ["s", "i"])


def test_metal_rich_star_gets_no_class():
    eu = 0.52 - 1.5 + 1.5
    assert conventional_label(star(-1.5, Eu=eu, Ba=eu + 1.66 - 0.8), SOLAR) == ("", [])
    assert conventional_label(star(math.nan, Eu=eu, Ba=eu + 1.66 - 0.8), SOLAR) == ("", [])


def test_kleene_and():
    assert all_of(True, True) is True
    assert all_of(True, None) is None
    assert all_of(None, False) is False


def test_recomputed_classes_against_jinabase_on_bundled_stars():
    """Measured on the 67 default entries (all entries of the 52 stars): every R2 is r-II, every R1 is r-I."""
    stars = default_stars(one_per_star=False)
    labels = conventional_labels(stars, SOLAR)
    table = comparison_table(labels["conventional_class"], labels["jinabase_class"])
    assert len(stars) == 67
    assert table.loc["r-II", "r-II"] == 14
    assert table.loc["r-I", "r-I"] == 16
    assert table.loc["r-I", "none (*)"] == 7
    assert table.loc["s", "s"] == 14
    assert table.loc["i", "i"] == 3
    assert table.loc["limited-r", "none (*)"] == 4
    assert int(table.to_numpy().sum()) == 67
