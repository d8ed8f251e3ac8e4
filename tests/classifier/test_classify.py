"""Per-star verdicts and the ML-overall rule."""

import pytest

from nnn.classifier import StarTableError, classify_stars, default_stars
from nnn.classifier.classify import majority
from nnn.classifier.report import agreement, agreement_summary


def test_majority_rule():
    assert majority(["r", "r", "s", "none"]) == "mixed"  # 2 of 4 is not more than half
    assert majority(["r", "r", "r", "none"]) == "r"
    assert majority(["s"] * 5 + ["r"] * 3) == "s"
    assert majority(["none", "none", "none", "r"]) == "mixed"  # rejected by every bank
    assert majority(["r+s", "r+s", "r+s"]) == "mixed"
    assert majority([]) == ""


def test_columns_and_missing_feature_sets(small_suite):
    stars = default_stars().head(6)
    res = classify_stars(stars, small_suite)
    for col in ("star", "ref", "feh", "jinabase_class", "conventional_class", "ml_overall", "bc_overall",
                "BC-L_Er", "BC-S_Er", "OCC-L_Er", "OCC-S_Er", "BC-L_Pb", "BC-S_Pb", "OCC-L_Pb", "OCC-S_Pb",
                "BC-L-minsep_Er", "OCC-L_r_Er", "OCC-L_s_Er"):
        assert col in res.columns
    assert len(res) == 6
    no_pb = res["BC-L_Pb"] == ""
    assert (res.loc[no_pb, "note"].str.contains("Pb:")).all()
    assert set(res["ml_overall"]) <= {"r", "s", "mixed"}
    assert set(res["OCC-L_r_Er"]) <= {"in", "out"}


def test_star_without_any_feature_set_is_reported(small_suite):
    star = default_stars().head(1).copy()
    star["ul_Er"] = 1
    star["logeps_Pb"] = float("nan")
    res = classify_stars(star, small_suite)
    assert res.loc[0, "ml_overall"] == ""
    assert res.loc[0, "note"] == "not classified: Er: Er upper limit; Pb: missing Pb"


def test_dataframe_with_bad_cell_is_rejected(small_suite):
    stars = default_stars().head(3).astype(object)
    stars.loc[2, "logeps_La"] = "1.2.3"
    with pytest.raises(StarTableError, match="row 3 .*column 'logeps_La'"):
        classify_stars(stars, small_suite)


def test_agreement_with_small_models(small_suite):
    """Measured with the reduced-epoch suite on the 67 default entries."""
    res = classify_stars(models=small_suite)
    assert res["ml_overall"].value_counts().to_dict() == {"r": 46, "s": 13, "mixed": 8}
    summary = agreement_summary(res).set_index(["star set", "verdict"])
    assert tuple(summary.loc[("both (vs JINAbase)", "ml_overall"), ["n", "agree"]]) == (47, 41)
    assert tuple(summary.loc[("conventional class", "ml_overall"), ["n", "agree"]]) == (54, 48)
    assert tuple(summary.loc[("conventional class", "bc_overall"), ["n", "agree"]]) == (54, 49)
    a = agreement(res, "jinabase_class")
    assert a["n"] == 48 and len(a["disagreements"]) == 48 - a["agree"]
