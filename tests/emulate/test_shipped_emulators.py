"""The trained models shipped in network_data/emulators/: they load by name, carry the
metadata a user needs, and still meet their stored regression metrics when the engine reburns
the fixed regression subset (nnn.emulate.regression) today."""
import numpy as np
import pytest

from nnn.emulate import regression
from nnn.emulate.model import load_model
from nnn.emulate.model_file import shipped_model_path

NETWORKS = ("mesa_80", "mesa_151")
#: Allowed drift of a regression metric against its stored value: float32 inference and
#: engine round-off move them by < 1e-4 relative; anything above 2 % is a real change.
RTOL = 0.02


@pytest.fixture(scope="module", params=NETWORKS)
def shipped(request):
    net = request.param
    return net, load_model(net, network=net)


def test_shipped_model_loads_by_name_with_metadata(shipped):
    net, m = shipped
    assert m.path == str(shipped_model_path(net))
    assert shipped_model_path(net).stat().st_size <= 20 * 2**20  # the project's 20 MB cap
    meta = m.meta
    assert meta["format"] == "nnn-emulator-2" and meta["network"] == net
    d = meta["domain"]
    assert d["logdt"] == pytest.approx([-6.0, 2.0]) and d["Ye"] == pytest.approx([0.45, 0.5])
    tr = meta["training"]
    assert tr["dataset"]["n_samples"] > 0 and "seed" in tr["dataset"]
    assert len(tr["nnn_commit"]) >= 7
    # the section-1 metrics at the nine dt, for the model and the baselines
    paper = meta["metrics"]["sets"]["paper/all"]
    assert len(meta["metrics"]["dts"]) == 9
    for who in ("nnn", "small_net", "persistence", "noise_floor"):
        assert len(paper[who]["eq6_rel"]) == 9


def test_shipped_model_meets_its_regression_record(shipped):
    net, m = shipped
    stored = m.meta["regression"]
    now = regression.record(m, net, n_cases=stored["n_cases"], dts=stored["dts"])
    for k in regression.KEYS:
        np.testing.assert_allclose(now[k], stored[k], rtol=RTOL, atol=1e-7, err_msg=k)
    # and the model beats doing nothing on the paper's composition metric at every dt
    assert all(a < b for a, b in zip(now["eq6_rel"], now["persistence"]["eq6_rel"]))
