"""Per-star verdicts, the two ML-overall rules, scoring, Monte Carlo, and no side effects on the models."""

import copy
import re

import numpy as np
import pandas as pd
import pytest
import torch

from nnn.classifier import StarTableError, classify_stars, default_entries, default_stars
from nnn.classifier.classify import BC_NAMES, OCC_NAMES, majority, one_entry_per_star
from nnn.classifier.report import agreement, agreement_summary, disagreement_table


def test_majority_rule():
    assert majority(["r", "r", "s", "none"]) == "mixed"  # 2 of 4 is not more than half
    assert majority(["r", "r", "r", "none"]) == "r"
    assert majority(["s"] * 5 + ["r"] * 3) == "s"
    assert majority(["none", "none", "none", "r"]) == "mixed"  # rejected by every bank
    assert majority(["r+s", "r+s", "r+s"]) == "mixed"
    assert majority([]) == ""


def test_one_entry_per_star_follows_jinabase_priority():
    entries = default_entries()
    stars = default_stars()
    assert len(entries) == 67 and entries["star"].nunique() == 52
    assert len(stars) == 52 and stars["star"].is_unique
    prio = pd.to_numeric(entries["priority"])
    for name, group in entries.groupby("star"):
        picked = stars.loc[stars["star"] == name].iloc[0]
        best = group.loc[prio[group.index] == prio[group.index].min()].iloc[0]
        assert picked["ref"] == best["ref"], name
    # A star measured twice with priorities 2 and 1 keeps the priority-1 entry whatever the order.
    two = pd.DataFrame({"star": ["A", "A", "B"], "ref": ["old", "new", "x"], "priority": ["2", "1", "2"]})
    assert one_entry_per_star(two)["ref"].tolist() == ["new", "x"]


def _votes(text):
    """'r:5 s:1 of 6' -> ({'r': 5, 's': 1}, 6)."""
    counts = dict((k, int(v)) for k, v in re.findall(r"(\w+):(\d+)", text))
    return counts, int(text.rsplit("of", 1)[1])


def test_vote_counts_match_the_model_columns(small_suite):
    """Both rules recomputed from the per-model columns (an independent count of the votes)."""
    res = classify_stars(models=small_suite, n_draws=0)
    for _, row in res.iterrows():
        paper, strict = {"r": 0, "s": 0}, {"r": 0, "s": 0}
        n_paper = n_strict = 0
        for base in ("Er", "Pb"):
            if row[f"BC-L_{base}"] == "":
                continue
            for name in BC_NAMES:
                paper[row[f"{name}_{base}"]] += 1
                paper[row[f"{name}-minsep_{base}"]] += 1
                strict[row[f"{name}_{base}"]] += 1
                n_paper += 2
                n_strict += 1
            for name in OCC_NAMES:
                verdict = row[f"{name}_{base}"]
                n_strict += 1
                if verdict in ("r", "s"):
                    paper[verdict] += 1
                    strict[verdict] += 1
                    n_paper += 1  # a one-class model accepting no single bank abstains in the paper rule
        assert _votes(row["ml_votes_paper"]) == (paper, n_paper)
        assert _votes(row["ml_votes_strict"]) == (strict, n_strict)
        for rule, (counts, n) in (("paper", (paper, n_paper)), ("strict", (strict, n_strict))):
            best = max(counts, key=counts.get)
            expected = best if 2 * counts[best] > n else "mixed"
            assert row[f"ml_overall_{rule}"] == expected
    assert (res["ml_overall"] == res["ml_overall_paper"]).all()  # the documented default


def test_i_verdict_counts_as_i():
    res = pd.DataFrame({"star": ["a", "b", "c", "d"], "ref": "", "jinabase_class": ["i", "i", "r-I", "s"],
                        "conventional_class": ["i", "i", "r-I", "s"], "ml_overall": ["i", "mixed", "r", "i"]})
    a = agreement(res, "jinabase_class", "ml_overall")
    assert (a["n"], a["agree"]) == (4, 3)
    assert a["disagreements"]["star"].tolist() == ["d"]
    assert agreement(res, "jinabase_class", "ml_overall", families=("i",))["agree"] == 2


def test_classify_stars_does_not_change_the_models(small_suite):
    before = {k: copy.deepcopy(m.__dict__) for k, m in small_suite.models.items()}
    for model in small_suite.models.values():
        if hasattr(model, "state"):
            model.set_params(state="max")
    classify_stars(default_stars().head(4), small_suite, n_draws=5)
    for key, model in small_suite.models.items():
        after = model.__dict__
        assert after.keys() == before[key].keys(), key
        for attr, value in before[key].items():
            other = after[attr]
            if isinstance(value, dict) and value and isinstance(next(iter(value.values())), dict):
                for s in value:
                    for p in value[s]:
                        assert torch.equal(value[s][p], other[s][p]), (key, attr, s, p)
            elif isinstance(value, np.ndarray):
                np.testing.assert_array_equal(value, other)
            elif not isinstance(value, dict):
                assert value == other, (key, attr)
        if hasattr(model, "state"):
            assert model.state == "max"


def test_columns_and_missing_feature_sets(small_suite):
    stars = default_stars().head(6)
    res = classify_stars(stars, small_suite, n_draws=20)
    for col in ("star", "ref", "feh", "jinabase_class", "conventional_class", "ml_overall", "ml_overall_paper",
                "ml_overall_strict", "bc_overall", "BC-L_Er", "BC-S_Er", "OCC-L_Er", "OCC-S_Er", "BC-L_Pb",
                "BC-L-minsep_Er", "OCC-L_r_Er", "OCC-L_s_Er", "OCC-L_r_Er_distance", "OCC-L_r_Er_decision",
                "p_verdict", "p_verdict_err", "flips_within_errors", "nearest_r", "nearest_s", "feature_sets"):
        assert col in res.columns
    assert len(res) == 6
    no_pb = res["BC-L_Pb"] == ""
    assert (res.loc[no_pb, "note"].str.contains("Pb:")).all()
    assert set(res["ml_overall"]) <= {"r", "s", "mixed"}
    assert set(res["OCC-L_r_Er"]) <= {"in", "out"}
    # The in/out verdict is the sign of the SVM score and of the boundary distance.
    inside = res["OCC-L_r_Er"] == "in"
    assert (res.loc[inside, "OCC-L_r_Er_decision"] >= 0).all() and (res.loc[~inside, "OCC-L_r_Er_decision"] < 0).all()
    assert (np.sign(res["OCC-L_r_Er_distance"]) == np.where(inside, 1, -1)).all()
    # Probabilities: fractions of 20 draws, and p_verdict is the fraction of the nominal verdict.
    total = res[["p_r", "p_s", "p_mixed"]].sum(axis=1)
    np.testing.assert_allclose(total, 1.0)
    for _, row in res.iterrows():
        assert row["p_verdict"] == row[f"p_{row['ml_overall']}"]
        assert row["flips_within_errors"] == (row["p_verdict"] < 0.68)
        assert row["p_verdict_err"] == pytest.approx(np.sqrt(row["p_verdict"] * (1 - row["p_verdict"]) / 20))


def test_nearest_pattern_is_the_closest_bank_row(small_suite):
    from nnn.classifier import pattern_features, star_features

    stars = default_stars().head(3)
    res = classify_stars(stars, small_suite, n_draws=0)
    X, ok, _ = star_features(stars, "Er")
    P, usable = pattern_features(small_suite.banks.patterns, "Er")
    ids = small_suite.banks.patterns["pattern_id"].to_numpy()
    proc = small_suite.banks.patterns["process"].to_numpy()
    for i in range(3):
        for p in ("r", "s"):
            sel = usable & (proc == p)
            d = np.sqrt(((P[sel] - X[i]) ** 2).sum(axis=1) / 8)
            assert res.loc[i, f"nearest_{p}"] == ids[sel][np.argmin(d)]
            assert res.loc[i, f"nearest_{p}_rms_dex"] == pytest.approx(d.min())


def test_upper_limit_is_censored_not_dropped(small_suite):
    star = default_stars().head(1).copy()
    star["ul_Er"] = 1
    star["logeps_Pb"] = float("nan")
    res = classify_stars(star, small_suite, n_draws=10)
    assert res.loc[0, "feature_sets"] == "Er" and res.loc[0, "ml_overall"] != ""
    assert res.loc[0, "censored"].startswith("Er<=")
    star["ul_Eu"] = 1  # the normaliser must be measured
    res = classify_stars(star, small_suite, n_draws=0)
    assert res.loc[0, "ml_overall"] == ""
    assert res.loc[0, "note"].startswith("not classified: Er: Eu upper limit")


def test_dataframe_with_bad_cell_is_rejected(small_suite):
    stars = default_stars().head(3).astype(object)
    stars.loc[2, "logeps_La"] = "1.2.3"
    with pytest.raises(StarTableError, match="row 3 .*column 'logeps_La'"):
        classify_stars(stars, small_suite)
    with pytest.raises(ValueError, match="rule must be one of"):
        classify_stars(default_stars().head(1), small_suite, rule="vote")
    with pytest.raises(ValueError, match="n_draws"):
        classify_stars(default_stars().head(1), small_suite, n_draws=-1)


def test_agreement_with_small_models(small_suite):
    """Measured with the reduced-epoch suite on the 52 default stars (one entry per star)."""
    res = classify_stars(models=small_suite, n_draws=0)
    summary = agreement_summary(res).set_index(["star set", "stars", "verdict"])
    got = {k: tuple(summary.loc[("all labelled", k[0], k[1]), ["n", "agree"]]) for k in SMALL_EXPECTED}
    assert got == SMALL_EXPECTED
    table = disagreement_table(res)
    assert set(table.columns) >= {"star", "ml_overall_paper", "ml_overall_strict", "jinabase_class"}


# (JINAbase group, verdict) -> (n, agree), measured with conftest.SMALL_SETTINGS.
SMALL_EXPECTED = {
    ("r", "ml_overall_paper"): (19, 18), ("r", "ml_overall_strict"): (19, 17), ("r", "bc_overall"): (19, 17),
    ("s", "ml_overall_paper"): (12, 12), ("s", "ml_overall_strict"): (12, 8), ("s", "bc_overall"): (12, 10),
    ("r+s", "ml_overall_paper"): (31, 30), ("r+s", "ml_overall_strict"): (31, 25),
    ("i (RS)", "ml_overall_paper"): (4, 0), ("i (RS)", "ml_overall_strict"): (4, 1),
}
