import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import subprocess_env
from nnn.emulate import dataset as ds
from nnn.emulate.model import ModelMismatchError, load_model, read_meta
from nnn.train import train


def test_two_epochs_loss_falls(trained):
    s, _ = trained
    h = s["history"]
    assert len(h) == 2 and s["epochs"] == 2
    # total training loss of epoch 2 below epoch 1, and validation composition loss falls
    assert sum(h[1]["train"]) < sum(h[0]["train"])
    assert h[1]["val"][0] < h[0]["val"][0]
    assert all(np.isfinite(v) for v in h[1]["train"] + h[1]["val"])


def test_export_load_identical(trained, dataset, small_net):
    s, out = trained
    path = s["model"]
    assert path.endswith(f"{small_net.name}_dt1e-02.pt")
    m = load_model(path, network=small_net)
    meta = m.meta
    assert meta["format"] == "nnn-emulator-1"
    assert meta["network"] == small_net.name and meta["network_hash"] == small_net.file_hash
    assert meta["isotopes"] == list(small_net.isotopes)
    assert meta["dt"] == pytest.approx(1e-2)
    assert meta["domain"]["logT"] == [9.2, 9.8] and meta["domain"]["Ye"] == [0.45, 0.5]
    for k in ("architecture", "normalisation", "training"):
        assert meta[k]
    assert meta["training"]["n_train"] > 0 and meta["training"]["epochs"] == 2
    d = ds.load_dt(dataset, 1e-2)
    x = np.concatenate([d["logT"][:, None], d["logrho"][:, None], d["X0"]], 1)
    xt = torch.from_numpy(x.astype(np.float32))
    with torch.inference_mode():
        y1 = m.module(xt)
        y2 = load_model(path).module(xt)
    assert y1.dtype == torch.float32 and y1.shape == (len(x), len(small_net.isotopes) + 2)
    assert torch.equal(y1, y2)
    # same numbers as the checkpointed (un-scripted) best weights
    ck = torch.load(out / "checkpoints" / "approx21_cr60_plus_co56_dt1e-02_last.pt"
                    if small_net.name == "approx21_cr60_plus_co56" else
                    next((out / "checkpoints").glob("*_last.pt")), weights_only=False)
    from nnn.emulate.model import build

    eager = build(len(meta["isotopes"]), meta["architecture"], meta["normalisation"])
    eager.load_state_dict(ck["best_state"])
    with torch.inference_mode():
        y3 = eager.eval()(xt)
    torch.testing.assert_close(y1, y3, rtol=1e-6, atol=1e-6 * float(y3.abs().max()))
    comp = y1[:, : len(small_net.isotopes)]
    torch.testing.assert_close(comp.sum(1), torch.ones(len(x)), rtol=0, atol=1e-5)
    assert (comp >= 0).all()


def test_wrong_network_refused(trained, other_net):
    s, _ = trained
    with pytest.raises(ModelMismatchError, match="trained on network"):
        load_model(s["model"], network=other_net)
    # same isotopes but another file hash
    _, meta = read_meta(s["model"])
    fake = {"name": meta["network"], "file_hash": "0" * 64, "isotopes": meta["isotopes"]}
    with pytest.raises(ModelMismatchError, match="hash"):
        from nnn.emulate.model import check_network

        check_network(meta, fake)


def test_resume_matches_straight_run(dataset, tmp_path):
    kw = dict(arch="tiny", patience=5, batch_size=32, lr=1e-3, seed=4, device="cpu",
              progress=False, n_threads=1)
    a = train(dataset, 1e-4, tmp_path / "a", epochs=3, **kw)
    train(dataset, 1e-4, tmp_path / "b", epochs=2, **kw)
    b = train(dataset, 1e-4, tmp_path / "b", epochs=3, resume=True, **kw)
    assert [h["train"] for h in a["history"]] == [h["train"] for h in b["history"]]
    assert a["final_losses"] == b["final_losses"]


def test_bad_training_input(dataset, tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        train(tmp_path / "missing.h5", 1e-2, tmp_path / "o")
    with pytest.raises(ValueError, match=r"dt=0\.5 is not in the dataset"):
        train(dataset, 0.5, tmp_path / "o")
    with pytest.raises(ValueError, match="arch"):
        train(dataset, 1e-2, tmp_path / "o", arch="huge")


def test_cli_errors(dataset, tmp_path):
    env = subprocess_env()
    p = subprocess.run([sys.executable, "-m", "nnn.train", "--data", str(tmp_path / "nope.h5"),
                        "--dt", "1e-3", "--out", str(tmp_path / "o")], env=env,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and "nope.h5" in p.stderr and "does not exist" in p.stderr
    p = subprocess.run([sys.executable, "-m", "nnn.train", "--data", str(dataset), "--dt",
                        "3e-3", "--out", str(tmp_path / "o")], env=env, capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 2 and "dt=0.003 is not in the dataset" in p.stderr
