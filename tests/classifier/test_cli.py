"""Command line: classify, report, train, and error exits."""

import pandas as pd

from nnn.classifier.__main__ import main


def test_classify_cli(small_suite_dir, tmp_path, capsys):
    out = tmp_path / "result.csv"
    assert main(["classify", "--models", str(small_suite_dir), "--out", str(out)]) == 0
    res = pd.read_csv(out, keep_default_na=False)
    assert len(res) == 67
    for col in ("star", "ref", "feh", "jinabase_class", "ml_overall", "BC-L_Er", "OCC-S_Pb"):
        assert col in res.columns


def test_classify_cli_bad_input(small_suite_dir, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("star,logeps_Ba\nA,1.0\n")
    args = ["classify", "--stars", str(bad), "--models", str(small_suite_dir), "--out", str(tmp_path / "o.csv")]
    assert main(args) == 2
    assert "missing column(s) logeps_La" in capsys.readouterr().err
    assert main(["classify", "--models", str(tmp_path / "empty"), "--out", str(tmp_path / "o.csv")]) == 2
    assert "no trained models" in capsys.readouterr().err
    assert main(["train", "--data", str(tmp_path / "nodata"), "--out", str(tmp_path / "m")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_report_cli(small_suite_dir, tmp_path):
    out = tmp_path / "report"
    assert main(["report", "--models", str(small_suite_dir), "--out", str(out)]) == 0
    for name in ("report.md", "table1.csv", "agreement.csv", "heldout.csv", "roc.png", "training.png",
                 "patterns.png", "latent_Er.png", "latent_Pb.png"):
        assert (out / name).stat().st_size > 0
    t1 = pd.read_csv(out / "table1.csv", keep_default_na=False)
    assert list(t1.columns[:3]) == ["star", "ref", "BC-L_Er"] and "ml_overall" in t1.columns
    assert "ML overall vs JINAbase class" in (out / "report.md").read_text()


def test_train_cli_tiny(tmp_path):
    out = tmp_path / "m"
    assert main(["train", "--out", str(out), "--bc-epochs", "20", "--occ-epochs", "20", "--jobs", "1"]) == 0
    assert (out / "manifest.json").is_file() and (out / "BC-L_Er.torch").is_file()
    assert (out / "OCC-S_s_Pb.torch").is_file()
