import json

import numpy as np
import pytest

from conftest import TOL
from nnn.emulate.model import ModelMismatchError
from nnn.evaluate import evaluate


def test_tiny_evaluation(trained, small_net, tmp_path):
    """The small net as target *and* as small net: its errors must be exactly zero; the
    2-epoch NNN's errors are finite and positive; metrics.json has the issue's schema."""
    s, run = trained
    out = tmp_path / "ev"
    doc = evaluate(models=run / "models", out=out, network=small_net, small_net=small_net,
                   n_test=40, n_timing=8, progress=False, small_timing_batch=16, **TOL)
    on_disk = json.loads((out / "metrics.json").read_text())
    assert on_disk == json.loads(json.dumps(doc))
    assert set(doc) == {"network", "n_test", "results"}
    # cases where the target or the small net failed are excluded (engine failures, see docs)
    assert doc["network"] == small_net.name and 20 <= doc["n_test"] <= 40
    (r,) = doc["results"]
    assert r["dt"] == pytest.approx(1e-2)
    keys = {"dYe_rel", "deps_nuc_rel", "deps_nu_rel", "dX_max", "us_per_zone_batch1000"}
    assert set(r["nnn"]) == keys and set(r["small_net"]) == keys
    assert set(r["engine"]) == {"us_per_zone"}
    for k in ("dYe_rel", "deps_nuc_rel", "deps_nu_rel", "dX_max"):
        assert r["small_net"][k] == 0.0
        assert np.isfinite(r["nnn"][k]) and r["nnn"][k] > 0
    assert r["nnn"]["dYe_rel"] < 0.2  # Ye of a normalised composition cannot be far off
    assert r["nnn"]["us_per_zone_batch1000"] > 0 and r["engine"]["us_per_zone"] > 0
    for f in ("table.md", "metrics_full.json", "fig3_nz_dt1e-02.png", "fig4_errors_vs_dt.png"):
        assert (out / f).stat().st_size > 0
    assert "1e-02" in (out / "table.md").read_text()


def test_evaluation_wrong_network(trained, other_net, tmp_path):
    _, run = trained
    with pytest.raises(ModelMismatchError, match="trained on network"):
        evaluate(models=run / "models", out=tmp_path / "ev", network=other_net,
                 small_net=None, n_test=8, progress=False, **TOL)


def test_evaluation_bad_inputs(trained, small_net, tmp_path):
    _, run = trained
    with pytest.raises(FileNotFoundError, match="no model file or directory"):
        evaluate(models=tmp_path / "nothing", out=tmp_path / "ev", network=small_net)
    with pytest.raises(ValueError, match="no model for dt=1.0"):
        evaluate(models=run / "models", out=tmp_path / "ev", network=small_net,
                 small_net=None, dts=[1.0], n_test=8, progress=False, **TOL)
    with pytest.raises(ValueError, match="n_test"):
        evaluate(models=run / "models", out=tmp_path / "ev", network=small_net, n_test=1)
