"""Data loading: locations, missing tables, bank discovery, bad star tables."""

import io
import shutil

import numpy as np
import pytest

from nnn.classifier import DataTableError, StarTableError, build_banks, load_patterns, load_solar, load_stars
from nnn.classifier.banks import BankConfig
from nnn.classifier.data import PACKAGE_DATA, bank_names, read_star_csv

GOOD = (
    "star,ref,feh,logeps_Ba,ul_Ba,logeps_La,ul_La,logeps_Ce,ul_Ce,logeps_Pr,ul_Pr,logeps_Nd,ul_Nd,"
    "logeps_Sm,ul_Sm,logeps_Eu,ul_Eu,logeps_Dy,ul_Dy,logeps_Er,ul_Er\n"
    "A,X01,-2.9,-0.5,0,-1.2,0,-1.0,0,-1.6,0,-0.9,0,-1.2,0,-1.5,0,-1.0,0,-1.2,0\n"
    "B,X02,-2.5,0.8,0,-0.2,0,0.3,0,-0.9,0,0.2,0,-0.4,0,-1.1,0,-0.6,0,,0\n"
)


def csv(text):
    return io.StringIO(text)


def test_package_data_is_found_and_has_its_readme():
    assert (PACKAGE_DATA / "README.md").is_file()
    assert load_solar()["Eu"] == 0.52
    assert bank_names() == ["r", "s"]
    assert len(load_patterns("r")) == 55 and len(load_patterns("s")) == 297
    assert len(load_stars()) == 2735


def test_env_var_and_argument(tmp_path, monkeypatch):
    shutil.copy(PACKAGE_DATA / "solar_asplund09.csv", tmp_path)
    monkeypatch.setenv("NNN_DATA_DIR", str(tmp_path))
    assert load_solar()["Fe"] == 7.50
    with pytest.raises(DataTableError, match="patterns_r.csv"):
        load_patterns("r")
    with pytest.raises(DataTableError, match="stars_jinabase.csv"):
        load_stars()
    monkeypatch.delenv("NNN_DATA_DIR")
    with pytest.raises(DataTableError, match="does not exist"):
        load_solar(tmp_path / "nowhere")


def test_a_third_bank_is_picked_up(tmp_path):
    for name in ("solar_asplund09.csv", "patterns_r.csv", "patterns_s.csv"):
        shutil.copy(PACKAGE_DATA / name, tmp_path)
    # A stand-in i bank: a few s rows with Eu raised by 0.8 dex (pattern between r and s).
    s = load_patterns("s", tmp_path).drop(columns=["process", "pattern_id"]).head(12)
    s["logeps_Eu"] += 0.8
    s["source"] = "test_i"
    s.to_csv(tmp_path / "patterns_i.csv", index=False)
    assert bank_names(tmp_path) == ["i", "r", "s"]
    banks = build_banks(tmp_path, BankConfig(n_mixtures=20))
    assert banks.processes == ["i", "r", "s"]
    assert banks.log["i"]["final"] == 12
    assert set(banks.patterns.loc[banks.patterns["process"] == "i", "split"]) == {"train", "val", "test"}


def test_good_star_csv():
    stars = read_star_csv(csv(GOOD))
    assert stars["logeps_Ba"].tolist() == [-0.5, 0.8]
    assert np.isnan(stars.loc[1, "logeps_Er"])
    assert stars["ul_Pb"].tolist() == [0, 0]  # absent flags default to 0


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda t: t.replace("logeps_Sm,", "logeps_Xx,", 1), "missing column(s) logeps_Sm"),
        (lambda t: t.replace(",-1.5,0,", ",abc,0,", 1),
         "row 1 (file line 2), column 'logeps_Eu': 'abc' is not a number"),
        (lambda t: t.replace(",-0.9,0,-1.2,0,-1.5", ",nan,0,-1.2,0,-1.5", 1),
         "row 1 (file line 2), column 'logeps_Nd': 'nan'"),
        (lambda t: t.replace(",-1.1,0,", ",inf,0,", 1), "row 2 (file line 3), column 'logeps_Eu'"),
        (lambda t: t.replace("-1.2,0\nB", "-1.2,2\nB", 1), "row 1 (file line 2), column 'ul_Er': flag must be 0 or 1"),
        (lambda t: t.replace("\nB,", "\n,", 1), "row 2 (file line 3), column 'star': empty star name"),
        (lambda t: t.replace(",,0\n", ",,1\n", 1),
         "row 2 (file line 3), column 'logeps_Er': upper-limit flag set but no value"),
        (lambda t: t.replace("-2.5,", "x,", 1), "row 2 (file line 3), column 'feh'"),
    ],
)
def test_bad_star_csv(edit, message):
    with pytest.raises(StarTableError) as err:
        read_star_csv(csv(edit(GOOD)))
    assert message in str(err.value)


def test_missing_star_file(tmp_path):
    with pytest.raises(DataTableError, match="not found"):
        load_stars(tmp_path / "none.csv")
