"""Every star of the default set that has a verdict has its figure and its Monte Carlo probability (shipped models)."""

import numpy as np
import pytest

from nnn.classifier import ModelSuite, classify_stars, default_stars
from nnn.classifier.star_report import write_star_report

pytestmark = pytest.mark.slow  # 52 figures: about a minute of CPU


def test_every_classified_default_star_has_figure_and_probability(tmp_path):
    stars = default_stars()
    suite = ModelSuite.load()
    res = classify_stars(stars, suite)
    classified = res["ml_overall"] != ""
    assert int(classified.sum()) == 52
    assert np.isfinite(res.loc[classified, "p_verdict"]).all()
    assert ((res.loc[classified, "p_verdict"] > 0) & (res.loc[classified, "p_verdict"] <= 1)).all()
    write_star_report(tmp_path, suite, stars, res)
    figures = list((tmp_path / "figures").glob("*.png"))
    assert len(figures) == int(classified.sum())
    text = (tmp_path / "stars.md").read_text()
    for name in res.loc[classified, "star"]:
        assert f"![{name}](figures/" in text
