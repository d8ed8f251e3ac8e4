"""The trained models shipped with the package (full epochs): the documented results."""

from nnn.classifier import ModelSuite, classify_stars
from nnn.classifier.report import agreement, agreement_summary, heldout_metrics


def test_shipped_suite_settings():
    suite = ModelSuite.load()
    assert (suite.settings.bc_epochs, suite.settings.occ_epochs) == (10000, 30000)
    assert suite.banks.config.r_selection == "main"
    assert len(suite.models) == 12


def test_shipped_models_agreement():
    res = classify_stars()  # default stars, shipped models
    summary = agreement_summary(res).set_index(["star set", "verdict"])
    assert tuple(summary.loc[("both (vs JINAbase)", "ml_overall"), ["n", "agree"]]) == (47, 40)
    assert tuple(summary.loc[("both (vs JINAbase)", "bc_overall"), ["n", "agree"]]) == (47, 43)
    assert tuple(summary.loc[("conventional class", "ml_overall"), ["n", "agree"]]) == (54, 47)
    assert tuple(summary.loc[("JINAbase class", "ml_overall"), ["n", "agree"]]) == (48, 41)
    missed = agreement(res, "jinabase_class", require="conventional_class")["disagreements"]
    assert sorted(missed["star"]) == sorted([
        "HE0338-3945", "CS29495-042", "CS22881-036", "CS22947-187", "HE2258-6358",
        "SDSSJ103649.93+121219.8", "HE0448-4806",
    ])


def test_shipped_models_held_out_scores():
    held = heldout_metrics(ModelSuite.load()).set_index(["model", "feature set", "metric"])["value"]
    assert held[("BC-L (max sep.)", "Er", "test accuracy")] == 1.0
    assert held[("BC-S (min sep.)", "Er", "test accuracy")] == 0.987
    assert held[("OCC-L trained on r", "Er", "accepts r test")] == 0.7667
    assert held[("OCC-L trained on r", "Er", "accepts s test")] == 0.1489
    assert held[("OCC-S trained on r", "Er", "accepts r test")] == 0.8
    assert held[("OCC-S trained on r", "Er", "accepts s test")] == 0.0851
    assert held[("OCC-L trained on r", "Pb", "accepts s test")] == 0.0
