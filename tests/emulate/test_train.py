import subprocess
from pathlib import Path
import sys

import numpy as np
import pytest
import torch

from conftest import subprocess_env
from nnn.emulate import dataset as ds
from nnn.emulate.model import ModelMismatchError, check_network, load_model, read_meta
from nnn.emulate.train import snapshot_path, train


def test_two_epochs_loss_falls(trained):
    s, _ = trained
    h = s["history"]
    assert len(h) == 2 and s["epochs"] == 2
    # training loss of epoch 2 below epoch 1, and the validation composition loss falls
    assert sum(h[1]["train"]) < sum(h[0]["train"])
    assert h[1]["val"][0] < h[0]["val"][0]
    assert all(np.isfinite(v) for v in h[1]["train"] + h[1]["val"])


def test_export_load_identical(trained, dataset, small_net):
    """The exported file holds one model for every dt of the set, with the metadata a user
    needs; the scripted module gives the numbers of predict() at any dt."""
    s, out = trained
    path = s["model"]
    assert path.endswith(f"{small_net.name}.pt")
    m = load_model(path, network=small_net)
    meta = m.meta
    assert meta["format"] == "nnn-emulator-2"
    assert meta["network"] == small_net.name and meta["network_hash"] == small_net.file_hash
    assert meta["isotopes"] == list(small_net.isotopes)
    dmeta = ds.read_meta(dataset)
    assert meta["domain"]["logT"] == [9.2, 9.8] and meta["domain"]["Ye"] == [0.45, 0.5]
    assert meta["domain"]["logdt"] == pytest.approx(np.log10(dmeta["dt_range"]))
    tr = meta["training"]
    assert tr["dataset"]["seed"] == 3 and tr["dataset"]["n_samples"] == 256
    assert tr["epochs"] == 2 and tr["n_parameters"] > 0 and len(tr["nnn_commit"]) >= 7
    d = ds.load_pairs(dataset)
    n = 50
    p = m.predict(d["logT"][:n], d["logrho"][:n], d["X0"][:n], d["dt"][:n])
    np.testing.assert_allclose(p["X"].sum(1), 1.0, atol=1e-5)
    assert (p["X"] >= 0).all() and (p["err"] > 0).all()
    # one call with mixed dt equals one call per dt
    for k in range(0, n, 17):
        q = m.predict(d["logT"][k], d["logrho"][k], d["X0"][k], d["dt"][k])
        np.testing.assert_allclose(q["X"][0], p["X"][k], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(q["eps_nuc"][0], p["eps_nuc"][k], rtol=1e-5)


def test_wrong_network_refused(trained, other_net):
    s, _ = trained
    with pytest.raises(ModelMismatchError, match="trained on network"):
        load_model(s["model"], network=other_net)
    _, meta = read_meta(s["model"])  # same isotopes but another file hash
    fake = {"name": meta["network"], "file_hash": "0" * 64, "isotopes": meta["isotopes"]}
    with pytest.raises(ModelMismatchError, match="hash"):
        check_network(meta, fake)


def test_resume_matches_straight_run(dataset, tmp_path):
    """A run stopped after one epoch and resumed gives the same history as a straight run."""
    kw = dict(arch="tiny", epochs=3, patience=5, batch_size=64, lr=1e-3, seed=4,
              energy_epochs=1, err_epochs=1, device="cpu", progress=False, n_threads=1)
    a = train(dataset, tmp_path / "a", **kw)
    train(dataset, tmp_path / "b", max_minutes=1e-9, **kw)  # stops after the first epoch
    b = train(dataset, tmp_path / "b", resume=True, **kw)
    assert [h["train"] for h in a["history"]] == [h["train"] for h in b["history"]]
    with pytest.raises(ValueError, match="setting 'lr' differs"):
        train(dataset, tmp_path / "b", resume=True, **dict(kw, lr=2e-3))


def test_bad_settings(dataset, tmp_path):
    with pytest.raises(ValueError, match="arch must be one of"):
        train(dataset, tmp_path, arch="huge", progress=False)
    with pytest.raises(ValueError, match="val_frac"):
        train(dataset, tmp_path, val_frac=0.7, progress=False)
    with pytest.raises(ValueError, match="lr must be > 0"):
        train(dataset, tmp_path, lr=0.0, progress=False)
    with pytest.raises(ValueError, match="burned_starts must be an integer >= 0, got -1"):
        train(dataset, tmp_path, burned_starts=-1, progress=False)


def test_cli_errors(dataset, tmp_path):
    env = subprocess_env()
    p = subprocess.run([sys.executable, "-m", "nnn.train", "--data", str(tmp_path / "nope.h5"),
                        "--out", str(tmp_path / "o")], env=env, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 2 and "nope.h5" in p.stderr and "does not exist" in p.stderr


def test_masked_l1_leaves_unknown_targets_out():
    from nnn.emulate.train import masked_l1

    pred = torch.tensor([[1.0, 2.0], [3.0, 5.0]])
    y = torch.tensor([[2.0, float("nan")], [3.0, 1.0]])
    assert float(masked_l1(pred, y)) == pytest.approx((1.0 + 0.0 + 4.0) / 3)
    pred.requires_grad_(True)
    masked_l1(pred, y).backward()
    assert torch.isfinite(pred.grad).all() and float(pred.grad[0, 1]) == 0.0


def test_burned_start_pairs_train(dataset, tmp_path):
    """Training with burned-start pairs: they join the training set (counted in the
    metadata), NaN energies of unresolved ones do not reach the losses."""
    s = train(dataset, tmp_path, arch="tiny", epochs=1, patience=5, batch_size=64,
              energy_epochs=1, err_epochs=1, seed=2, burned_starts=2, progress=False,
              n_threads=1)
    n = s["dataset"]["n_burned_start_pairs"]
    d = ds.load_pairs(dataset, burned_starts=2, seed=2)
    assert n == int(d["burned"].sum()) > 0
    assert s["dataset"]["n_pairs_train"] + s["dataset"]["n_pairs_val"] == len(d["dt"])
    assert s["config"]["burned_starts"] == 2
    assert all(np.isfinite(v) for v in s["history"][0]["train"] + s["history"][0]["val"])
    assert np.isfinite(s["energy_head_val_l1"])


def test_energy_head_on_a_subset_of_a_large_set(dataset, tmp_path, monkeypatch):
    """Beyond ENERGY_HEAD_MAX_PAIRS training pairs the energy head fits on a seeded subset
    (its features for every pair of a 262,144-sample set would not fit in memory): phase 1 is
    unchanged, the head's fit differs and stays finite, and the same seed repeats it."""
    from nnn.emulate import train as tr

    kw = dict(arch="tiny", epochs=1, patience=5, batch_size=64, energy_epochs=2,
              err_epochs=1, seed=2, progress=False, n_threads=1)
    whole = train(dataset, tmp_path / "whole", **kw)
    monkeypatch.setattr(tr, "ENERGY_HEAD_MAX_PAIRS", 300)
    assert whole["dataset"]["n_pairs_train"] > 300
    part = train(dataset, tmp_path / "part", **kw)
    again = train(dataset, tmp_path / "again", **kw)
    def losses(s):
        return [(h["train"], h["val"]) for h in s["history"]]

    assert losses(part) == losses(whole)
    assert np.isfinite(part["energy_head_val_l1"])
    assert part["energy_head_val_l1"] != whole["energy_head_val_l1"]
    assert again["energy_head_val_l1"] == part["energy_head_val_l1"]


def _trunk(model_path):
    """The trunk's weights of an exported model file."""
    module, _ = read_meta(model_path)
    return {k: v for k, v in module.state_dict().items() if k.startswith("trunk.")}


def test_snapshots_keep_every_epoch_and_the_exported_one(dataset, tmp_path):
    """--snapshots keeps each epoch's weights and validation losses; the exported model's
    trunk is the best epoch's snapshot."""
    s = train(dataset, tmp_path, arch="tiny", epochs=2, patience=5, batch_size=64,
              energy_epochs=1, err_epochs=1, seed=2, progress=False, n_threads=1,
              snapshots=True)
    snaps = sorted((tmp_path / "checkpoints").glob("*_epoch*.pt"))
    assert [p.name.split("_")[-1] for p in snaps] == ["epoch001.pt", "epoch002.pt"]
    kept = [torch.load(p, weights_only=False) for p in snaps]
    assert [k["val"] for k in kept] == [h["val"] for h in s["history"]]
    trunk = _trunk(s["model"])
    best = kept[s["best_epoch"] - 1]["model"]
    assert trunk and all(torch.equal(v, best[k]) for k, v in trunk.items())


def test_keep_epoch_exports_that_epochs_weights(dataset, tmp_path):
    """--keep-epoch N exports epoch N's weights (phases 2-3 on them), also when a finished
    phase 1 is resumed and N's weights come from its snapshot."""
    kw = dict(arch="tiny", epochs=2, patience=5, batch_size=64, energy_epochs=1,
              err_epochs=1, seed=2, progress=False, n_threads=1, snapshots=True)

    def snapshot(epoch):
        p = snapshot_path(tmp_path, "approx21_cr60_plus_co56", epoch)
        return torch.load(p, weights_only=False)["model"]

    s = train(dataset, tmp_path, keep_epoch=1, **kw)
    assert s["kept_epoch"] == 1 and s["kept_by"] == "keep_epoch"
    assert s["kept_val"] == s["history"][0]["val"]
    t1, e1, e2 = _trunk(s["model"]), snapshot(1), snapshot(2)
    assert all(torch.equal(v, e1[k]) for k, v in t1.items())
    assert not all(torch.equal(v, e2[k]) for k, v in t1.items())
    again = train(dataset, tmp_path, keep_epoch=2, resume=True, **kw)
    assert again["kept_epoch"] == 2 and again["history"] == s["history"]
    assert all(torch.equal(v, e2[k]) for k, v in _trunk(again["model"]).items())
    with pytest.raises(ValueError, match=r"keep_epoch must be in \[1, epochs = 2\], got 3"):
        train(dataset, tmp_path / "bad", keep_epoch=3, **kw)


def test_init_starts_from_the_given_model(trained, dataset, tmp_path):
    """``init``: the run starts from that model's weights and rate scales (its first
    validation loss is the trained model's, below a fresh start's); a model of another
    architecture is refused by name."""
    s, _ = trained
    kw = dict(arch="tiny", epochs=1, patience=5, batch_size=64, lr=1e-12, energy_epochs=1,
              err_epochs=1, seed=1, progress=False, n_threads=1)
    fresh = train(dataset, tmp_path / "fresh", **kw)
    tuned = train(dataset, tmp_path / "tuned", init=s["model"], **kw)
    assert tuned["config"]["init"] == str(Path(s["model"]).resolve())
    # lr 1e-12: the weights stay the init's, so its validation is that of the trained
    # model's last epoch (same data, split and seed)
    np.testing.assert_allclose(tuned["history"][0]["val"][:3], s["history"][-1]["val"][:3],
                               rtol=1e-5)
    assert tuned["history"][0]["val"][0] < fresh["history"][0]["val"][0]
    a = torch.jit.load(s["model"])
    b = torch.jit.load(tuned["model"])
    np.testing.assert_array_equal(a.scales.numpy(), b.scales.numpy())
    with pytest.raises(ValueError, match="architecture"):
        train(dataset, tmp_path / "bad", init=s["model"], **dict(kw, arch="small"))


def test_load_sets_joins_sets_of_one_network(dataset, tmp_path):
    """Several sets train as one: their pairs follow each other, sample indices run on (the
    train/validation split stays by sample), sizes add up; a set of another domain is
    refused, naming the setting."""
    import json
    import shutil

    import h5py

    one = ds.load_pairs(dataset, burned_starts=2, seed=1)
    both = ds.load_sets([dataset, dataset], burned_starts=2, seed=1)
    n, n_samples = len(one["dt"]), int(one["meta"]["n_samples"])
    assert len(both["dt"]) == 2 * n
    np.testing.assert_array_equal(both["X"][n:], one["X"])
    np.testing.assert_array_equal(both["sample"][n:], one["sample"] + n_samples)
    assert both["meta"]["n_samples"] == 2 * n_samples
    assert [s["n_samples"] for s in both["meta"]["sets"]] == [n_samples, n_samples]
    other = tmp_path / "other.h5"
    shutil.copy(dataset, other)
    with h5py.File(other, "r+") as f:
        f.attrs["logT_range"] = json.dumps([9.0, 9.9])  # as the generator writes it
    with pytest.raises(ValueError, match="logT_range"):
        ds.load_sets([dataset, other])


def test_output_ablation_switches(trained, dataset, small_net, tmp_path):
    """The ablation switches of issue 12's section 3: ``composition_as_change=False`` keeps
    the skip of ln X0 at 0 through training, so the composition is the softmax of the
    head's logits alone; ``ye_tilt=False`` leaves that softmax untilted, so its Ye is not the
    head's Ye0 + dYe, as the default model's is; libnnn refuses such a file by name."""
    import nnn
    from nnn.emulate.runtime import EmulatorFileError

    s = train(dataset, tmp_path / "abl", arch="tiny", epochs=1, patience=5, batch_size=64,
              lr=1e-3, energy_epochs=1, err_epochs=1, seed=1, progress=False, n_threads=1,
              composition_as_change=False, ye_tilt=False)
    assert s["config"]["composition_as_change"] is False and s["config"]["ye_tilt"] is False
    d = ds.load_pairs(dataset)
    k = slice(0, 40)
    zeta = np.asarray(small_net.Z, float) / np.asarray(small_net.A, float)
    n = len(small_net.isotopes)
    for path, tilted in ((s["model"], False), (trained[0]["model"], True)):
        m = load_model(path, network=small_net)
        x = torch.from_numpy(m.inputs(d["logT"][k], d["logrho"][k], d["X0"][k], d["dt"][k]))
        with torch.no_grad():
            parts = m.module.forward_parts(x).double()
        ye0 = d["X0"][k] @ zeta / d["X0"][k].sum(1)
        ye_head = ye0 + np.clip(np.sinh(parts[:, n].numpy()) * float(m.module.scales[0])
                                * d["dt"][k], -float(m.module.dye_max), float(m.module.dye_max))
        X = m.predict(d["logT"][k], d["logrho"][k], d["X0"][k], d["dt"][k])["X"]
        if tilted:
            np.testing.assert_allclose(X @ zeta, ye_head, rtol=0, atol=1e-12)
            continue
        np.testing.assert_array_equal(m.module.skip.detach().numpy(), 0.0)
        np.testing.assert_allclose(X, torch.softmax(parts[:, :n], dim=1).numpy(), rtol=1e-12,
                                   atol=1e-15)
        assert np.abs(X @ zeta - ye_head).max() > 1e-6
        with pytest.raises(EmulatorFileError, match="'ye_tilt' is False"):
            nnn.Emulator.load(path, network=small_net)
