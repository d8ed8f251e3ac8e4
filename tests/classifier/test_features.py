"""Eu normalisation, the feature subsets, and the missing-data / upper-limit rule."""

import numpy as np
import pandas as pd
import pytest

from nnn.classifier import FEATURE_SETS, default_stars, eu_normalise, load_patterns, pattern_features, star_features
from nnn.classifier.features import choose_feature_set, star_limits


def test_eu_normalise_sets_eu_to_zero_and_keeps_differences():
    elements = FEATURE_SETS["Er"]
    logeps = np.array([[1.0, 0.5, 0.7, -0.2, 0.4, 0.1, -0.5, 0.2, 0.0],
                       [3.0, 2.5, 2.7, 1.8, 2.4, 2.1, 1.5, 2.2, 2.0]])
    X = eu_normalise(logeps, elements)
    assert X[:, elements.index("Eu")].tolist() == [0.0, 0.0]
    assert X[0, 0] == pytest.approx(1.5)  # Ba - Eu
    # A constant shift of a whole row (dilution, H normalisation) does not change the features.
    np.testing.assert_allclose(X[0], X[1])


def test_feature_sets():
    assert FEATURE_SETS["Er"] == ("Ba", "La", "Ce", "Pr", "Nd", "Sm", "Eu", "Dy", "Er")
    assert FEATURE_SETS["Pb"] == ("Ba", "La", "Ce", "Pr", "Nd", "Sm", "Eu", "Dy", "Pb")
    assert FEATURE_SETS["Er-noPr"] == ("Ba", "La", "Ce", "Nd", "Sm", "Eu", "Dy", "Er")
    assert FEATURE_SETS["Pb-noPrDy"] == ("Ba", "La", "Ce", "Nd", "Sm", "Eu", "Pb")
    assert len(FEATURE_SETS) == 8


def test_patterns_without_pb_are_not_usable_for_the_pb_set():
    r = load_patterns("r")
    _, ok_er = pattern_features(r, "Er")
    _, ok_pb = pattern_features(r, "Pb")
    assert ok_er.all()
    assert sorted(r.loc[~ok_pb, "model"]) == ["Nr1", "Nr2"]  # the Arlandini residuals give no Pb


def test_star_rule_missing_and_upper_limits():
    row = {f"logeps_{e}": 0.1 * i for i, e in enumerate(FEATURE_SETS["Er"])}
    row.update({f"ul_{e}": 0 for e in FEATURE_SETS["Er"]})
    stars = pd.DataFrame([row, {**row, "ul_Er": 1}, {**row, "logeps_Dy": np.nan}, {**row, "ul_Eu": 1},
                          {**row, "logeps_Pr": np.nan, "logeps_Dy": np.nan}])
    X, ok, reasons = star_features(stars, "Er")
    # An upper limit is a censored bound (usable); only the normaliser Eu must be measured.
    assert ok.tolist() == [True, True, False, False, False]
    assert reasons[2] == "Er: missing Dy"
    assert reasons[3] == "Er: Eu upper limit (the normaliser must be measured)"
    assert star_limits(stars, "Er")[1].tolist() == [False] * 8 + [True]
    assert X[0, FEATURE_SETS["Er"].index("Ba")] == pytest.approx(-0.6)
    np.testing.assert_allclose(X[1], X[0])  # the bound itself is returned
    chosen, _ = choose_feature_set(stars, "Er")
    assert chosen.tolist() == ["Er", "Er", "Er-noDy", "", "Er-noPrDy"]
    chosen, _ = choose_feature_set(stars, "Er", available=["Er", "Pb"])
    assert chosen.tolist() == ["Er", "Er", "", "", ""]
    _, ok_pb, reasons_pb = star_features(stars, "Pb")
    assert not ok_pb.any() and reasons_pb[0] == "Pb: missing Pb"


def test_default_star_set_counts():
    """JINAbase 2018, [Fe/H] <= -2, all nine Er-set elements measured: 52 stars, one entry each."""
    stars = default_stars()
    assert len(stars) == 52 and stars["star"].is_unique
    assert (stars["feh"] <= -2).all()
    _, ok_pb, _ = star_features(stars, "Pb")
    assert int(ok_pb.sum()) == int(np.isfinite(stars["logeps_Pb"]).sum())
    assert int((stars["ul_Pb"] == 1).sum()) == int((star_limits(stars, "Pb")[:, -1]).sum())
