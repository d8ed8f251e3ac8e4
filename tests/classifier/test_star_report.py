"""Per-star figure and Markdown report."""

import numpy as np

from nnn.classifier import classify_stars, default_stars
from nnn.classifier.star_report import write_star_report


def test_star_report_has_figure_numbers_and_ids(small_suite, tmp_path):
    stars = default_stars().iloc[[0, 2]].reset_index(drop=True)
    stars.loc[1, "logeps_Eu"] = np.nan  # not classifiable: no Eu
    res = classify_stars(stars, small_suite, n_draws=20)
    path = write_star_report(tmp_path, small_suite, stars, res)
    text = path.read_text()
    figures = sorted((tmp_path / "figures").glob("*.png"))
    assert len(figures) == 1 and figures[0].stat().st_size > 20000
    assert f"![{stars.loc[0, 'star']}](figures/{figures[0].name})" in text
    row = res.iloc[0]
    assert f"r `{row['nearest_r']}`" in text and f"s `{row['nearest_s']}`" in text
    assert f"OCC-L r {row['OCC-L_r_Er_distance']:+.2f}" in text
    assert f"P = {row['p_verdict']:.2f}" in text
    assert "Not classified: Er: missing Eu;" in text
