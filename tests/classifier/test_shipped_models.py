"""The trained models shipped with the package (full epochs): the documented results."""

import numpy as np

from nnn.classifier import FEATURE_SETS, ModelSuite, classify_stars
from nnn.classifier.report import agreement, agreement_summary, disagreement_table, heldout_metrics


def test_shipped_suite_settings():
    suite = ModelSuite.load()
    assert (suite.settings.bc_epochs, suite.settings.occ_epochs) == (10000, 4000)
    assert suite.banks.config.r_selection == "main"
    assert len(suite.models) == 48 and suite.feature_sets == list(FEATURE_SETS)
    for key, model in suite.models.items():
        if key.startswith("OCC"):
            # The kept epoch is the validation minimum, well inside the 4,000 trained epochs.
            assert 0 < model.best_epoch_ < 4000, key
            assert float(np.nanmin(model.val_loss_)) < float(model.val_loss_[-1]), key


def test_shipped_models_agreement():
    res = classify_stars(n_draws=0)  # 52 default stars (one entry each), shipped models
    summary = agreement_summary(res).set_index(["star set", "stars", "verdict"])
    got = {k: tuple(summary.loc[("all labelled", *k), ["n", "agree"]]) for k in SHIPPED_EXPECTED}
    assert got == SHIPPED_EXPECTED
    missed = agreement(res, "jinabase_class", "ml_overall_paper", families=("r", "s"))["disagreements"]
    assert missed["star"].tolist() == ["SDSSJ103649.93+121219.8"]  # r-II star called s (Er set only)
    table = disagreement_table(res)
    assert sorted(table["star"]) == sorted([
        "CS31062-050", "HE0243-3044", "HE0338-3945", "HE1405-0822", "CS22881-036", "HE2258-6358",
        "SDSSJ091243.72+021623.7", "SDSSJ103649.93+121219.8", "SDSSJ134913.54-022942.8", "HE0448-4806"])


SHIPPED_EXPECTED = {
    ("r", "ml_overall_paper"): (19, 18), ("r", "ml_overall_strict"): (19, 17), ("r", "bc_overall"): (19, 17),
    ("s", "ml_overall_paper"): (12, 12), ("s", "ml_overall_strict"): (12, 8), ("s", "bc_overall"): (12, 10),
    ("r+s", "ml_overall_paper"): (31, 30), ("r+s", "ml_overall_strict"): (31, 25), ("r+s", "bc_overall"): (31, 27),
    ("i (RS)", "ml_overall_paper"): (4, 0), ("i (RS)", "ml_overall_strict"): (4, 1), ("i (RS)", "bc_overall"): (4, 2),
}


def test_shipped_models_held_out_scores():
    held = heldout_metrics(ModelSuite.load(), ["Er", "Pb"]).set_index(["model", "feature set", "metric"])["value"]
    assert held[("BC-L (max sep.)", "Er", "test accuracy")] == 1.0
    assert held[("BC-S (min sep.)", "Er", "test accuracy")] == 1.0
    assert held[("OCC-L trained on r", "Er", "accepts r test")] == 0.8571
    assert held[("OCC-L trained on r", "Er", "accepts s test")] == 0.0426
    assert held[("OCC-S trained on r", "Er", "accepts r test")] == 0.8929
    assert held[("OCC-S trained on r", "Er", "accepts s test")] == 0.0
    assert held[("OCC-L trained on s", "Er", "accepts s test")] == 0.8936
    assert held[("OCC-L trained on r", "Pb", "accepts s test")] == 0.0426
