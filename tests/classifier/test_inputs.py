"""Published abundance tables: [X/Fe] + [Fe/H], [X/H], log eps; errors, limits, missing values, forms."""

import io

import numpy as np
import pandas as pd
import pytest

from nnn.classifier import StarTableError, classify_stars, default_stars, load_solar
from nnn.classifier.__main__ import main
from nnn.classifier.inputs import read_abundance_table

ELEMENTS = ("Ba", "La", "Ce", "Pr", "Nd", "Sm", "Eu", "Dy", "Er", "Pb")


def paper_table(stars: pd.DataFrame, sigma: float = 0.12) -> str:
    """The stars as a paper prints them: [X/Fe] to 2 decimals, e_ columns, typographic minus,
    '...' for unmeasured, '<' for upper limits, spaces in the star names."""
    solar = load_solar()
    header = ["Star", "[Fe/H]"] + [c for e in ELEMENTS for c in (f"[{e}/Fe]", f"e_[{e}/Fe]")]
    lines = [",".join(header)]
    for _, r in stars.iterrows():
        cells = [r["star"].replace("CS", "CS ").replace("HE", "HE "), f"{r['feh']:.2f}".replace("-", "\u2212")]
        for e in ELEMENTS:
            v = r[f"logeps_{e}"]
            if not np.isfinite(v):
                cells += ["...", ""]
                continue
            x = f"{v - solar[e] - r['feh']:.2f}".replace("-", "\u2212")
            cells += [("<" if r[f"ul_{e}"] == 1 else "") + x, "" if r[f"ul_{e}"] == 1 else f"{sigma:.2f}"]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def test_xfe_table_round_trips_to_the_database_log_eps():
    stars = default_stars().head(8)
    table = read_abundance_table(io.StringIO(paper_table(stars)))
    assert (table["input_form"] == "xfe").all() and (table["solar_scale"] == "asplund09").all()
    for e in ELEMENTS:
        np.testing.assert_allclose(table[f"logeps_{e}"], stars[f"logeps_{e}"], atol=0.011, equal_nan=True)
        assert table[f"ul_{e}"].tolist() == stars[f"ul_{e}"].tolist()
    assert table["err_Eu"].tolist() == [0.12] * 8
    np.testing.assert_allclose(table["feh"], stars["feh"], atol=0.006)


def test_paper_table_classifies_like_the_log_eps_entries(small_suite, tmp_path):
    """One documented command classifies a paper-style [X/Fe] CSV; verdicts equal those of the database rows."""
    stars = default_stars().head(10)
    path = tmp_path / "my_stars.csv"
    path.write_text(paper_table(stars))
    models = tmp_path / "models"
    small_suite.save(models)
    out = tmp_path / "result.csv"
    assert main(["classify", "--stars", str(path), "--models", str(models), "--draws", "50", "--out", str(out)]) == 0
    mine = pd.read_csv(out, keep_default_na=False)
    ref = classify_stars(stars, small_suite, n_draws=0)
    assert len(mine) == 10
    assert mine["star"].tolist() == [s.replace("CS", "CS ").replace("HE", "HE ") for s in stars["star"]]
    # Rounding to 0.01 dex may move a star across a boundary; none of these ten is that close.
    assert mine["ml_overall"].tolist() == ref["ml_overall"].tolist()
    assert mine["feature_sets"].tolist() == ref["feature_sets"].tolist()
    assert set(mine["sigma_source"]) == {"table"}
    assert (mine["p_verdict"].astype(float) > 0).all()


def test_xfe_table_given_as_log_eps_is_an_error():
    text = paper_table(default_stars().head(2))
    with pytest.raises(StarTableError, match=r"form='logeps' was requested but column '\[Ba/Fe\]' is xfe"):
        read_abundance_table(io.StringIO(text), form="logeps")
    # Bare element names: the form must be given, and a log eps table must carry log eps(Fe).
    bare = "Star,[Fe/H],Ba,La,Ce,Nd,Sm,Eu,Er\nX,-2.5,0.5,0.4,0.3,0.6,0.7,0.9,0.8\n"
    with pytest.raises(StarTableError, match="do not say whether"):
        read_abundance_table(io.StringIO(bare))
    with pytest.raises(StarTableError, match="needs a 'Fe' column"):
        read_abundance_table(io.StringIO(bare), form="logeps")
    with_fe = "Star,Fe,Ba,La,Ce,Nd,Sm,Eu,Er\nX,-0.1,0.5,0.4,0.3,0.6,0.7,0.9,0.8\n"  # [X/Fe]-like Fe value
    with pytest.raises(StarTableError, match="-0.1 is not a log eps"):
        read_abundance_table(io.StringIO(with_fe), form="logeps")
    assert read_abundance_table(io.StringIO(bare), form="xfe")["input_form"].iloc[0] == "xfe"


def test_forms_agree_and_solar_scale_is_used(tmp_path):
    solar = load_solar()
    feh = -2.5
    xfe = {"Ba": 0.3, "La": 0.5, "Ce": 0.4, "Nd": 0.6, "Sm": 0.7, "Eu": 1.1, "Er": 0.9}
    t_xfe = "star,[Fe/H]," + ",".join(f"[{e}/Fe]" for e in xfe) + f"\nS,{feh}," + ",".join(map(str, xfe.values()))
    t_xh = "star," + ",".join(f"[{e}/H]" for e in xfe) + "\nS," + ",".join(str(v + feh) for v in xfe.values())
    t_le = "star,logeps_Fe," + ",".join(f"log eps({e})" for e in xfe) + f"\nS,{solar['Fe'] + feh}," + ",".join(
        str(v + feh + solar[e]) for e, v in xfe.items())
    a, b, c = (read_abundance_table(io.StringIO(t)) for t in (t_xfe, t_xh, t_le))
    assert (a["input_form"].iloc[0], b["input_form"].iloc[0], c["input_form"].iloc[0]) == ("xfe", "xh", "logeps")
    for e in xfe:
        expected = xfe[e] + feh + solar[e]
        for t in (a, b, c):
            assert t[f"logeps_{e}"].iloc[0] == pytest.approx(expected, abs=1e-12)
    assert np.isnan(a["logeps_Pr"].iloc[0])  # not in the table: not measured
    # Another solar scale shifts every element by its own solar difference.
    other = load_solar().copy()
    other["Eu"] += 0.1
    other.to_frame("log_eps").rename_axis("element").to_csv(tmp_path / "sun.csv")
    d = read_abundance_table(io.StringIO(t_xfe), solar=str(tmp_path / "sun.csv"))
    assert d["logeps_Eu"].iloc[0] == pytest.approx(a["logeps_Eu"].iloc[0] + 0.1)
    assert d["logeps_Ba"].iloc[0] == pytest.approx(a["logeps_Ba"].iloc[0])
    with pytest.raises(ValueError, match="neither one of"):
        read_abundance_table(io.StringIO(t_xfe), solar="grevesse98")


REST = ",[La/Fe],[Ce/Fe],[Nd/Fe],[Sm/Fe],[Er/Fe]"
VALS = ",0.4,0.3,0.5,0.6,0.7"


@pytest.mark.parametrize("text, message", [
    ("Star,[Fe/H],[Ba/Fe],[Eu/Fe]" + REST + "\nA,-2.5,abc,0.3" + VALS, "row 1 (file line 2), column '[Ba/Fe]': 'abc' is not a number"),
    ("Star,[Fe/H],[Ba/Fe],[Eu/Fe]" + REST + "\nA,-2.5,>0.5,0.3" + VALS, "lower limit"),
    ("Star,[Fe/H],[Ba/Fe],[Eu/H]" + REST + "\nA,-2.5,0.5,0.3" + VALS, "columns of several forms"),
    ("Star,[Fe/H],[Ba/Fe],[Eu/Fe]" + REST + "\nA,,0.5,0.3" + VALS, "'[Fe/H]' is empty"),
    ("Star,[Ba/Fe],[Eu/Fe]" + REST + "\nA,0.5,0.3" + VALS, "needs a '[Fe/H]' column"),
    ("Star,[Fe/H],[Ba/Fe],e_[Ba/Fe],[Eu/Fe]" + REST + "\nA,-2.5,0.5,-0.1,0.3" + VALS, "error -0.1 must be > 0"),
    ("Name,[Fe/H],[Ba/Fe],l_[Ba/Fe],[Eu/Fe]" + REST + "\nA,-2.5,0.5,x,0.3" + VALS, "flag 'x'"),
    ("Star,[Fe/H],[Ba/Fe],[Eu/Fe]" + REST + "\nA,-2.5,nan,0.3" + VALS, "'nan' is not a finite number"),
    ("Foo,[Fe/H],[Ba/Fe]\nA,-2.5,0.5\n", "no star-name column"),
    ("Star,[Fe/H],[Ba/Fe],[Eu/Fe]\nA,-2.5,0.5,0.3\n", "missing column(s) for La, Ce, Nd, Sm, Er or Pb"),
])
def test_bad_tables(text, message):
    with pytest.raises(StarTableError) as err:
        read_abundance_table(io.StringIO(text))
    assert message in str(err.value)


def test_limit_flag_column_and_missing_pr_dy(small_suite):
    """CDS-style l_ flags; a star without Pr and Dy is classified by the subset models (shipped suite)."""
    from nnn.classifier import ModelSuite

    stars = default_stars().head(2)
    text = paper_table(stars).replace("[Pb/Fe],", "l_[Pb/Fe],[Pb/Fe],", 1)
    lines = text.splitlines()
    header = lines[0].split(",")
    rows = []
    for line in lines[1:]:
        cells = line.split(",")
        k = header.index("[Pb/Fe]") - 1  # the inserted flag column shifts the header by one
        pb = cells[k]
        cells[k:k + 1] = ["<", pb.lstrip("<")] if pb.startswith("<") else ["", pb]
        rows.append(",".join(cells))
    table = read_abundance_table(io.StringIO("\n".join([lines[0], *rows]) + "\n"))
    assert table["ul_Pb"].tolist() == stars["ul_Pb"].tolist()
    no_pr_dy = table.copy()
    no_pr_dy[["logeps_Pr", "logeps_Dy"]] = np.nan
    res = classify_stars(no_pr_dy, ModelSuite.load(), n_draws=0)
    assert res["feature_sets"].str.startswith("Er-noPrDy").all()
    assert res["note"].str.contains("Er: missing Pr, missing Dy -> Er-noPrDy models").all()
    assert (res["ml_overall"] != "").all()
    res_small = classify_stars(no_pr_dy, small_suite, n_draws=0)  # no subset models in this suite
    assert (res_small["ml_overall"] == "").all()
