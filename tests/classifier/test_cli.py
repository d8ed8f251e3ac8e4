"""Command line: classify, report, train, and error exits."""

import pandas as pd

from nnn.classifier.__main__ import main


def test_classify_cli(small_suite_dir, tmp_path, capsys):
    out = tmp_path / "result.csv"
    assert main(["classify", "--models", str(small_suite_dir), "--draws", "10", "--out", str(out)]) == 0
    res = pd.read_csv(out, keep_default_na=False)
    assert len(res) == 52  # one entry per star
    for col in ("star", "ref", "feh", "jinabase_class", "ml_overall", "ml_overall_strict", "BC-L_Er", "OCC-S_Pb",
                "p_verdict", "nearest_r"):
        assert col in res.columns
    assert (res["ml_rule"] == "paper").all()
    assert main(["classify", "--models", str(small_suite_dir), "--draws", "0", "--rule", "strict",
                 "--out", str(out)]) == 0
    res = pd.read_csv(out, keep_default_na=False)
    assert (res["ml_overall"] == res["ml_overall_strict"]).all()


def test_classify_cli_bad_input(small_suite_dir, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("star,logeps_Ba\nA,1.0\n")
    args = ["classify", "--stars", str(bad), "--models", str(small_suite_dir), "--out", str(tmp_path / "o.csv")]
    assert main(args) == 2
    assert "missing column(s) for La, Ce, Nd, Sm, Eu, Er or Pb" in capsys.readouterr().err
    assert main(["classify", "--models", str(tmp_path / "empty"), "--out", str(tmp_path / "o.csv")]) == 2
    assert "no trained models" in capsys.readouterr().err
    assert main(["train", "--data", str(tmp_path / "nodata"), "--out", str(tmp_path / "m")]) == 2
    assert "does not exist" in capsys.readouterr().err
    bare = tmp_path / "bare.csv"
    bare.write_text("Star,Ba,La,Ce,Nd,Sm,Eu,Er\nA,0.5,0.4,0.3,0.6,0.7,0.9,0.8\n")
    args = ["classify", "--stars", str(bare), "--models", str(small_suite_dir), "--out", str(tmp_path / "o.csv")]
    assert main(args) == 2
    assert "pass form=" in capsys.readouterr().err


def test_report_cli(small_suite_dir, tmp_path):
    stars = tmp_path / "two.csv"
    from nnn.classifier import default_stars

    default_stars().iloc[[0, 4]].to_csv(stars, index=False)
    out = tmp_path / "report"
    assert main(["report", "--stars", str(stars), "--models", str(small_suite_dir), "--draws", "10",
                 "--out", str(out)]) == 0
    for name in ("report.md", "table1.csv", "agreement.csv", "heldout.csv", "disagreements.csv", "roc.png",
                 "training.png", "patterns.png", "latent_Er.png", "latent_Pb.png", "stars.md"):
        assert (out / name).stat().st_size > 0
    assert len(list((out / "figures").glob("*.png"))) == 2
    t1 = pd.read_csv(out / "table1.csv", keep_default_na=False)
    assert list(t1.columns[:3]) == ["star", "ref", "feature_sets"] and "ml_overall_paper" in t1.columns
    assert "Agreement with JINAbase" in (out / "report.md").read_text()


def test_train_cli_tiny(tmp_path):
    out = tmp_path / "m"
    assert main(["train", "--out", str(out), "--bc-epochs", "20", "--occ-epochs", "20", "--jobs", "1",
                 "--feature-sets", "Er,Pb-noPr"]) == 0
    assert (out / "manifest.json").is_file() and (out / "BC-L_Er.torch").is_file()
    assert (out / "OCC-S_s_Pb-noPr.torch").is_file() and not (out / "BC-L_Pb.torch").exists()
