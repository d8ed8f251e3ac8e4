import numpy as np
import pytest
import torch

from nnn.emulate.model import Emulator, export, load_model, read_meta

A = np.array([1, 1, 4, 16, 28, 32, 56, 56])
Z = np.array([0, 1, 2, 8, 14, 16, 26, 28])
ZETA = Z / A


def _model(**kw):
    torch.manual_seed(0)
    m = Emulator(len(A), first=16, width=16, depth=2, zeta=ZETA, ye_scale=1e-3, **kw)
    last = m.mlp[-1]
    with torch.no_grad():
        last.weight.zero_()
        last.bias.zero_()
    return m.eval()


def _inputs(n=5, seed=0):
    rng = np.random.default_rng(seed)
    X0 = rng.dirichlet(np.ones(len(A)), size=n)
    x = np.concatenate([rng.uniform(9.2, 9.8, (n, 1)), rng.uniform(7, 9.5, (n, 1)), X0], 1)
    return torch.tensor(x, dtype=torch.float32), X0


def test_identity_at_zero_output():
    """Residual logits + a zero last layer reproduce X0 exactly (X(dt) = X0 at dt -> 0)."""
    x, X0 = _inputs()
    with torch.no_grad():
        y = _model()(x)
    np.testing.assert_allclose(y[:, : len(A)].numpy(), X0, rtol=2e-5, atol=1e-7)


def test_ye_projection_hits_requested_ye():
    x, X0 = _inputs()
    m = _model()
    with torch.no_grad():
        m.mlp[-1].bias[len(A) + 2] = -5.0  # Delta Ye = -5 * ye_scale = -5e-3
        y = m(x)
    X = y[:, : len(A)].double().numpy()
    np.testing.assert_allclose(X.sum(1), 1.0, atol=1e-6)
    np.testing.assert_allclose(X @ ZETA, X0 @ ZETA - 5e-3, atol=2e-6)
    assert (X >= 0).all()


def test_export_roundtrip_and_bad_files(tmp_path):
    x, _ = _inputs()
    m = _model()
    meta = {"network": "toy", "network_hash": "a" * 64, "isotopes": [f"i{k}" for k in
                                                                     range(len(A))],
            "dt": 1.0, "domain": {"logT": [9.2, 9.8], "logrho": [7, 9.5], "Ye": [0.45, 0.5]},
            "architecture": {}, "normalisation": {}, "training": {}}
    p = export(m, tmp_path / "toy_dt1e+00.pt", meta)
    lm = load_model(p, network={"name": "toy", "file_hash": "a" * 64,
                                "isotopes": meta["isotopes"]})
    with torch.inference_mode():
        assert torch.equal(lm.module(x), m(x))
    assert read_meta(p)[1]["format"] == "nnn-emulator-1"
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a TorchScript model file"):
        load_model(bad)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_model(tmp_path / "missing.pt")
    with pytest.raises(ValueError, match="lacks"):
        export(m, tmp_path / "x.pt", {"network": "toy"})
