"""The v2 model (nnn.emulate.model.BurnStepNet): constructions that hold by design, checked
on the scripted module as C++ sees it."""
import numpy as np
import pytest
import torch

from nnn.emulate.model import BurnStepNet, export, load_model, read_meta

A = np.array([1, 1, 4, 16, 28, 32, 56, 56])
Z = np.array([0, 1, 2, 8, 14, 16, 26, 28])
ZETA = Z / A
ISO = [f"i{k}" for k in range(len(A))]
DOMAIN = {"logT": [9.2, 9.8], "logrho": [7.0, 9.5], "Ye": [0.45, 0.5], "logdt": [-6.0, 2.0]}
SCALES = (1e-4, 1e17, 1e12)  # dYe/dt (1/s), eps_nuc/dt and eps_nu (erg/g/s)


def _model():
    torch.manual_seed(0)
    m = BurnStepNet(ISO, ZETA, DOMAIN, SCALES, first=16, width=16, depth=2, network="toy",
                    network_hash="a" * 64)
    with torch.no_grad():  # zero change: composition logits and dYe rate 0
        m.comp_out.weight.zero_()
        m.comp_out.bias.zero_()
    return m.eval()


def _toy_meta():
    """Metadata of a _model()-sized toy file, complete enough for model.rescript."""
    return {"network": "toy", "network_hash": "a" * 64, "isotopes": ISO, "domain": DOMAIN,
            "architecture": {"first": 16, "width": 16, "depth": 2},
            "training": {"config": {"x_floor": 1e-14}}}


def _inputs(n=5, seed=0, logdt=0.0):
    rng = np.random.default_rng(seed)
    X0 = rng.dirichlet(np.ones(len(A)), size=n)
    x = np.concatenate([rng.uniform(9.2, 9.8, (n, 1)), rng.uniform(7, 9.5, (n, 1)),
                        np.full((n, 1), logdt), X0], 1)
    return torch.tensor(x, dtype=torch.float32), X0


def test_identity_at_zero_change():
    """Residual logits and a zero dYe rate reproduce X0 (X(dt) = X0 as dt -> 0)."""
    x, X0 = _inputs()
    with torch.no_grad():
        y = _model()(x)
    assert y.shape == (5, len(A) + 3)
    np.testing.assert_allclose(y[:, : len(A)].numpy(), X0, rtol=2e-5, atol=1e-7)


@pytest.mark.parametrize("logdt", [-6.0, -1.0, 2.0])
def test_ye_head_sets_ye_exactly(logdt):
    """The composition is tilted so that Ye = Ye0 + sinh(r) * scale * dt, sum X = 1, X >= 0."""
    x, X0 = _inputs(logdt=logdt)
    m = _model()
    dt = 10.0 ** logdt
    r = np.arcsinh(-2e-3 / (SCALES[0] * dt))  # a Ye change of -2e-3 at every dt
    with torch.no_grad():
        m.comp_out.bias[len(A)] = r
        y = m(x)
    X = y[:, : len(A)].double().numpy()
    np.testing.assert_allclose(X.sum(1), 1.0, atol=1e-6)
    np.testing.assert_allclose(X @ ZETA, X0 @ ZETA - 2e-3, atol=2e-6)
    assert (X >= 0).all()


def test_energies_are_rates_times_dt():
    """eps_nuc (erg/g over dt) = rate * dt, eps_nu (erg/g/s) independent of dt: the same
    hidden state at two dt differs only through the dt input, so fix the energy head's
    output and vary dt."""
    m = _model()
    last = m.energy[-1]
    with torch.no_grad():
        for p in list(m.energy.parameters()):
            p.zero_()
        last.bias[:] = torch.tensor([1.0, -0.5])
    for logdt in (-5.0, 0.0, 1.5):
        x, _ = _inputs(logdt=logdt)
        with torch.no_grad():
            y = m(x).double().numpy()
        np.testing.assert_allclose(y[:, len(A)], np.sinh(1.0) * SCALES[1] * 10 ** logdt,
                                   rtol=1e-5)
        np.testing.assert_allclose(y[:, len(A) + 1], np.sinh(-0.5) * SCALES[2], rtol=1e-5)
        assert (y[:, len(A) + 2] > 0).all()  # the error estimate is a positive distance


def test_export_roundtrip_attributes_and_bad_files(tmp_path):
    x, _ = _inputs()
    m = _model()
    p = export(m, tmp_path / "toy.pt", _toy_meta())
    lm = load_model(p, network={"name": "toy", "file_hash": "a" * 64, "isotopes": ISO})
    with torch.inference_mode():
        assert torch.equal(lm.module(x), m(x))
    assert read_meta(p)[1]["format"] == "nnn-emulator-2"
    # the attributes libnnn reads instead of parsing JSON
    assert lm.module.nnn_format == "nnn-emulator-2" and lm.module.isotopes == ISO
    assert list(lm.module.domain) == [9.2, 9.8, 7.0, 9.5, 0.45, 0.5, -6.0, 2.0]
    assert lm.module.network_hash == "a" * 64
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"not a model")
    with pytest.raises(ValueError, match="not a TorchScript model file"):
        load_model(bad)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_model(tmp_path / "missing.pt")
    with pytest.raises(ValueError, match="lacks"):
        export(m, tmp_path / "x.pt", {"network": "toy"})
    with pytest.raises(ValueError, match="dt must be positive"):
        lm.predict(9.5, 8.0, np.full(len(A), 1 / len(A)), -1.0)


def test_v1_file_refused(tmp_path):
    """A model of the old one-model-per-dt format is refused with a message saying what to do."""
    import json
    import warnings

    m = torch.jit.script(torch.nn.Linear(2, 2))
    p = tmp_path / "old.pt"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(m, str(p), _extra_files={"nnn_meta.json": json.dumps(
            {"format": "nnn-emulator-1"})})
    with pytest.raises(ValueError, match="nnn-emulator-1.*retrain"):
        read_meta(p)


def test_float64_inputs_keep_ye_to_round_off():
    """At dt = 1e-6 s the true |dYe| is ~1e-9, below float32's resolution of Ye: with float64
    inputs (as libnnn and predict() pass them) the composition is assembled in float64 and
    its Ye is Ye0 + dYe to ~1e-15."""
    x, X0 = _inputs(logdt=-6.0)
    m = _model()
    r = np.arcsinh(-1e-9 / (SCALES[0] * 1e-6))
    with torch.no_grad():
        m.comp_out.bias[len(A)] = r
        y = m(torch.from_numpy(np.concatenate([x[:, :3].double().numpy(), X0], 1)))
    assert y.dtype == torch.float64
    X = y[:, : len(A)].numpy()
    np.testing.assert_allclose(X @ ZETA - X0 @ ZETA, -1e-9, rtol=1e-5, atol=1e-15)
    np.testing.assert_allclose(X.sum(1), 1.0, atol=1e-14)


def test_ye_tilt_converges_for_peaked_compositions():
    """Compositions sitting on one or two nuclei (where unguarded Newton overshot and
    returned pure neutrons) still get exactly the requested Ye from the tilt."""
    rng = np.random.default_rng(5)
    n = 400
    m = _model()
    logits = 10.0 * rng.standard_normal((n, len(A)))
    X0 = np.exp(logits - logits.max(1, keepdims=True))
    X0 /= X0.sum(1, keepdims=True)
    ye0 = X0 @ ZETA
    target = ye0 + rng.uniform(-0.01, 0.01, n)
    x = np.concatenate([np.full((n, 1), 9.5), np.full((n, 1), 8.0), np.zeros((n, 1)), X0], 1)
    # comp_out is zero except that the dYe rate (output n) is read from hidden unit 0:
    # the logits are then ln max(X0, 1e-14) and each zone gets its own Ye target
    h = torch.zeros(n, 16)
    h[:, 0] = torch.from_numpy(np.arcsinh((target - ye0) / SCALES[0]))  # dt = 1 s
    with torch.no_grad():
        m.comp_out.weight[len(A), 0] = 1.0
        logx, _ = m.composition(torch.from_numpy(x), m.comp_out(h), m.n_tilt, m.lam_max)
    ye = torch.exp(logx).numpy() @ ZETA
    # the target as the model sees it: the dYe rate passes through float32 (round-off 1e-7)
    seen = ye0 + np.sinh(h[:, 0].double().numpy()) * float(m.scales[0])
    np.testing.assert_allclose(seen, target, rtol=0, atol=1e-7)
    reachable = (seen > 1e-3) & (seen < 1 - 1e-3)  # Z/A of the toy nuclei spans 0 .. 1
    assert reachable.mean() > 0.9
    np.testing.assert_allclose(ye[reachable], seen[reachable], rtol=0, atol=1e-12)


def test_ye_tilt_reaches_targets_far_outside_the_untilted_support():
    """A prediction that leaves ~e^-300 on every nucleus but one (as a briefly trained model
    did on 1 of 700 train-like zones) still gets the requested Ye: the tilt's multiplier
    then needs |lam| ~ 700 (a bracket of 200 left such a zone 2e-2 off here)."""
    n = 3
    m = _model()
    X0 = np.zeros((n, len(A)))
    X0[:, 7] = 1.0                                     # Z/A = 0.5
    target = np.array([0.48, 0.49, 0.499])
    x = np.concatenate([np.full((n, 1), 9.5), np.full((n, 1), 8.0), np.zeros((n, 1)), X0], 1)
    h = torch.zeros(n, 16)
    h[:, 0] = torch.from_numpy(np.arcsinh((target - 0.5) / SCALES[0]))  # dt = 1 s
    with torch.no_grad():
        m.comp_out.weight[len(A), 0] = 1.0
        m.comp_out.bias[:7] = -270.0                   # + ln(1e-14) = -302 below nucleus 7
        logx, _ = m.composition(torch.from_numpy(x), m.comp_out(h), m.n_tilt, m.lam_max)
    ye = torch.exp(logx).numpy() @ ZETA
    seen = 0.5 + np.sinh(h[:, 0].double().numpy()) * float(m.scales[0])
    np.testing.assert_allclose(ye, seen, rtol=0, atol=1e-12)


def test_ye_tilt_converges_where_ye_of_lam_is_a_step():
    """tests/emulate/data/tilt_step_case.npz: the untilted log-probabilities (mesa_80's 80
    nuclei) and target Ye of an ood test zone of a trained model, where the protons sit
    e^-100 below the rest so that Ye(lam) has a step near lam = 196 just past the root
    (lam = 164.7).  Bracketed Newton bounced between the bracket's ends for all 80
    iterations and returned Ye 0.97 for a target of 0.487."""
    from pathlib import Path

    import nnn

    case = np.load(Path(__file__).parent / "data" / "tilt_step_case.npz")
    net = nnn.Network.load("mesa_80")
    zeta = np.asarray(net.Z, float) / np.asarray(net.A, float)
    m = BurnStepNet(list(net.isotopes), zeta, DOMAIN, SCALES, first=16, width=16, depth=2).eval()
    n = len(zeta)
    X0 = np.full((1, n), 1.0 / n)
    x = np.concatenate([[[9.5, 8.0, 0.0]], X0], 1)               # dt = 1 s
    h = torch.zeros(1, 16)
    h[0, 0] = float(np.arcsinh((float(case["ye_target"]) - X0[0] @ zeta) / SCALES[0]))
    with torch.no_grad():
        m.comp_out.weight.zero_()
        m.comp_out.weight[n, 0] = 1.0
        m.skip.zero_()                                            # logits = the stored ones
        m.comp_out.bias[:n] = torch.from_numpy(case["logp"]).float()
        m.comp_out.bias[n] = 0.0
        logx, _ = m.composition(torch.from_numpy(x), m.comp_out(h), m.n_tilt, m.lam_max)
    seen = X0[0] @ zeta + np.sinh(float(h[0, 0])) * float(m.scales[0])
    assert abs(seen - 0.4869) < 1e-3
    np.testing.assert_allclose(torch.exp(logx).numpy() @ zeta, seen, rtol=0, atol=1e-12)


def test_dye_is_capped_at_the_trained_maximum():
    """A dYe head far off its data (rate x dt of 0.4 here) moves Ye by at most ``dye_max``
    (the trainer sets 1.5x the largest |dYe| of its pairs); inside the cap it is untouched."""
    x, X0 = _inputs(n=4, logdt=0.0)
    m = _model()
    with torch.no_grad():
        m.dye_max.fill_(0.03)
        for rate, want in ((-0.4, -0.03), (0.4, 0.03), (-0.01, -0.01)):
            m.comp_out.bias[len(A)] = float(np.arcsinh(rate / SCALES[0]))
            X = m(torch.from_numpy(np.concatenate([x[:, :3].double().numpy(), X0], 1)))
            dye = X[:, : len(A)].numpy() @ ZETA - X0 @ ZETA
            np.testing.assert_allclose(dye, want, rtol=1e-5)


def test_eps_nuc_from_composition_conserves_energy():
    """With q (erg/g per unit X) the model's eps_nuc is the engine's definition,
    sum_i q_i (X0_i - X_i) - eps_nu dt, for its own composition, at every dt."""
    q = np.linspace(-3e18, 5e18, len(A))
    torch.manual_seed(1)
    m = BurnStepNet(ISO, ZETA, DOMAIN, SCALES, first=16, width=16, depth=2, q=q).eval()
    for logdt in (-6.0, 0.0, 2.0):
        x, X0 = _inputs(logdt=logdt)
        with torch.no_grad():
            y = m(torch.from_numpy(np.concatenate([x[:, :3].double().numpy(), X0], 1))).numpy()
        X, eps_nuc, eps_nu = y[:, : len(A)], y[:, len(A)], y[:, len(A) + 1]
        np.testing.assert_allclose(eps_nuc, (X0 - X) @ q - eps_nu * 10 ** logdt, rtol=1e-12,
                                   atol=1e-12 * np.abs(q).max())


def test_ye_tilt_converges_in_the_trainers_eight_iterations():
    """The trainer runs the tilt for 8 iterations.  Where the untilted mass sits on Z/A = 0.5
    with a trace just below it and the protons e^-60 down (a Si-burning zone asked for a Ye a
    little below 0.5), Ye(lam) approaches the target like e^(-lam dz): Newton on Ye(lam)
    advanced lam by ~1/dz per step: after 8 iterations these four zones were 9e-11, 0.5,
    2.5e-11 and 0.48 off (the step case, tests/emulate/data/tilt_step_case.npz, needed
    ~20).  Newton on phi = ln S+ - ln S- (BurnStepNet.tilt) lands within round-off."""
    from pathlib import Path

    import nnn

    net = nnn.Network.load("mesa_80")
    iso = list(net.isotopes)
    zeta = np.asarray(net.Z, float) / np.asarray(net.A, float)
    m = BurnStepNet(iso, zeta, DOMAIN, SCALES, first=16, width=16, depth=2).eval()
    X = np.full(len(iso), 1e-30)
    X[iso.index("si28")], X[iso.index("s32")], X[iso.index("fe54")] = 0.9, 0.0999, 1e-4
    X[iso.index("p")] = np.exp(-60.0)
    logp = np.log(X / X.sum())
    case = np.load(Path(__file__).parent / "data" / "tilt_step_case.npz")
    lp = torch.from_numpy(np.stack([logp, logp, logp, case["logp"] - np.log(np.exp(case["logp"]).sum())]))
    target = torch.tensor([0.49999, 0.499999, 0.4999999, float(case["ye_target"])], dtype=torch.float64)
    with torch.no_grad():
        lam = m.tilt(lp, target, 8, m.lam_max)
    ye = torch.softmax(lp + lam[:, None] * torch.from_numpy(zeta), dim=1).numpy() @ zeta
    np.testing.assert_allclose(ye, target.numpy(), rtol=0, atol=1e-14)


def test_rescript_keeps_weights_metadata_and_outputs(tmp_path):
    """model.rescript scripts a trained file again with today's code: the same outputs (the
    toy model's tilt is exact either way), the same metadata plus the note, and the weights
    and buffers (dye_max, q) carried over rather than reinitialised."""
    from nnn.emulate.model import rescript

    x, _ = _inputs(n=6, logdt=-1.0)
    m = _model()
    with torch.no_grad():
        m.dye_max.fill_(0.02)
        m.comp_out.bias[len(A)] = 0.3          # a non-zero dYe rate, so the tilt works
    src = export(m, tmp_path / "src.pt", dict(_toy_meta(), metrics={"k": 1}))
    dst = rescript(src, tmp_path / "dst.pt", note="test")
    a, meta_a = read_meta(src)
    b, meta_b = read_meta(dst)
    with torch.inference_mode():
        np.testing.assert_allclose(b(x).numpy(), a(x).numpy(), rtol=1e-12, atol=1e-15)
    assert meta_b["rescripted"] == "test" and meta_b["trunk_dtype"] == meta_b["heads_dtype"] == "float32"
    assert {k: v for k, v in meta_b.items() if k not in ("rescripted", "trunk_dtype", "heads_dtype",
                                                      "composition_head_dtype", "fused_linear")} == meta_a
    assert float(b.dye_max) == 0.02
    for k, v in a.state_dict().items():
        assert torch.equal(b.state_dict()[k], v), k


def test_rescript_bf16_heads_with_a_float32_composition_head(tmp_path):
    """rescript(..., bf16_heads=True, bf16_composition=False): the energy and error heads run
    in bf16, the composition head in float32 on the bf16 trunk's output, so the composition
    (and Ye) is the bf16-trunk copy's bit for bit and the energy outputs the full bf16
    copy's."""
    from nnn.emulate.model import rescript

    x, X0 = _inputs(n=64, logdt=-1.0)
    torch.manual_seed(3)
    m = BurnStepNet(ISO, ZETA, DOMAIN, SCALES, first=16, width=16, depth=2, network="toy",
                    network_hash="a" * 64).eval()
    src = export(m, tmp_path / "src.pt", _toy_meta())
    mixed, meta = read_meta(rescript(src, tmp_path / "mixed.pt", bf16_trunk=True,
                                     bf16_heads=True, bf16_composition=False))
    trunk, _ = read_meta(rescript(src, tmp_path / "trunk.pt", bf16_trunk=True))
    full, _ = read_meta(rescript(src, tmp_path / "full.pt", bf16_trunk=True, bf16_heads=True))
    assert meta["heads_dtype"] == "bfloat16" and meta["composition_head_dtype"] == "float32"
    sd = mixed.state_dict()
    assert sd["comp_out.weight"].dtype == torch.float32
    assert sd["energy.0.weight"].dtype == sd["err_head.0.weight"].dtype == torch.bfloat16
    x64 = torch.from_numpy(np.concatenate([x[:, :3].double().numpy(), X0], 1))
    n = len(A)
    with torch.inference_mode():
        pm, pt, pf = (mod.forward_parts(x64).numpy() for mod in (mixed, trunk, full))
    np.testing.assert_array_equal(pm[:, :n + 1], pt[:, :n + 1])   # logits and dYe rate
    np.testing.assert_array_equal(pm[:, n + 1:], pf[:, n + 1:])   # energies and err
    assert not np.array_equal(pm[:, :n + 1], pf[:, :n + 1])


@pytest.mark.parametrize("heads", [False, True])
def test_rescript_bf16_runs_the_network_in_bfloat16(tmp_path, heads):
    """rescript(..., bf16_trunk=True[, bf16_heads=True]) stores the trunk (and the heads) in
    bfloat16 and runs them there: the composition still sums to 1 and carries exactly the Ye
    of the dYe head (the tilt stays float64), the error estimate keeps its centre, and it
    differs from the float32 model by bf16 round-off (~1e-2 in the logits), not more."""
    from nnn.emulate.model import fused_linear_available, rescript

    x, X0 = _inputs(n=64, logdt=-1.0)
    torch.manual_seed(1)
    m = BurnStepNet(ISO, ZETA, DOMAIN, SCALES, first=16, width=16, depth=2, network="toy",
                    network_hash="a" * 64).eval()
    with torch.no_grad():
        m.err_log_center.fill_(-2.5)
    src = export(m, tmp_path / "src.pt", _toy_meta())
    dst = rescript(src, tmp_path / "bf16.pt", bf16_trunk=True, bf16_heads=heads)
    a, _ = read_meta(src)
    b, meta_b = read_meta(dst)
    assert meta_b["trunk_dtype"] == "bfloat16"
    assert meta_b["heads_dtype"] == ("bfloat16" if heads else "float32")
    assert all(v.dtype == torch.bfloat16 for k, v in b.state_dict().items() if k.startswith("trunk."))
    want = torch.bfloat16 if heads else torch.float32
    sd = b.state_dict()
    assert all(sd[k].dtype == want for k in ("comp_out.weight", "energy.0.weight", "err_head.0.weight"))
    x64 = torch.from_numpy(np.concatenate([x[:, :3].double().numpy(), X0], 1))
    with torch.inference_mode():
        ya, yb = a(x64).numpy(), b(x64).numpy()
        parts_a, parts_b = a.forward_parts(x64), b.forward_parts(x64)
        r = parts_b[:, len(A)].double()
    assert parts_b.dtype == torch.float32
    np.testing.assert_allclose(parts_b[:, -1].numpy(), parts_a[:, -1].numpy(), atol=0.05)
    # the fused Linear + ReLU layers (oneDNN), packed or not, give the plain layers' results bit
    # for bit, and so does their own fallback branch (taken where oneDNN's bf16 matmul cannot run)
    assert meta_b["fused_linear"] == fused_linear_available()
    plain, _ = read_meta(rescript(src, tmp_path / "plain.pt", bf16_trunk=True, bf16_heads=heads,
                                  fuse_linear=False))
    fused_layers = [m for _, m in b.named_modules() if hasattr(m, "fused")]
    assert len(fused_layers) == (8 if heads else 2) * meta_b["fused_linear"]  # 2 trunk, 1 + 3 + 2 heads
    with torch.inference_mode():
        np.testing.assert_array_equal(plain.forward_parts(x64).numpy(), parts_b.numpy())
        for layer in fused_layers:  # weights in oneDNN's layout, as libnnn packs them at load
            layer.pack()
        assert all((layer.packed is not None) == torch.ops.mkldnn._is_mkldnn_bf16_supported()
                   for layer in fused_layers)
        np.testing.assert_array_equal(b.forward_parts(x64).numpy(), parts_b.numpy())
        for layer in fused_layers:
            layer.fused = False
        np.testing.assert_array_equal(b.forward_parts(x64).numpy(), parts_b.numpy())
    n = len(A)
    np.testing.assert_allclose(yb[:, :n].sum(1), 1.0, atol=1e-14)
    seen = X0 @ ZETA + np.sinh(r.numpy()) * SCALES[0] * 0.1           # dt = 0.1 s
    np.testing.assert_allclose(yb[:, :n] @ ZETA, seen, rtol=0, atol=1e-12)
    eq5 = np.abs(yb[:, :n] - ya[:, :n]) @ ZETA
    assert 0 < eq5.max() < 0.05


def _tilt_cases():
    """(zeta, logp (rows, n), Ye targets, iterations): the hard cases of the tests above."""
    from pathlib import Path

    import nnn

    rng = np.random.default_rng(5)
    logits = 10.0 * rng.standard_normal((400, len(A)))          # peaked compositions
    peaked = logits - np.log(np.exp(logits).sum(1, keepdims=True))
    ye0 = np.exp(peaked) @ ZETA
    target = ye0 + rng.uniform(-0.01, 0.01, 400)
    keep = (target > 1e-3) & (target < 1 - 1e-3)
    far = np.full((3, len(A)), -302.0)                            # e^-302 off one nucleus
    far[:, 7] = 0.0
    far -= np.log(np.exp(far).sum(1, keepdims=True))
    net = nnn.Network.load("mesa_80")
    iso = list(net.isotopes)
    zeta80 = np.asarray(net.Z, float) / np.asarray(net.A, float)
    X = np.full(len(iso), 1e-30)                                  # Si burning, protons e^-60
    X[iso.index("si28")], X[iso.index("s32")], X[iso.index("fe54")] = 0.9, 0.0999, 1e-4
    X[iso.index("p")] = np.exp(-60.0)
    si = np.log(X / X.sum())
    case = np.load(Path(__file__).parent / "data" / "tilt_step_case.npz")
    step = case["logp"] - np.log(np.exp(case["logp"]).sum())
    return [(ZETA, peaked[keep], target[keep], 80),
            (ZETA, far, np.array([0.48, 0.49, 0.499]), 80),
            (zeta80, np.stack([si, si, si, step]),
             np.array([0.49999, 0.499999, 0.4999999, float(case["ye_target"])]), 8)]


@pytest.mark.parametrize("grouped", [True, False])
def test_libnnn_ye_tilt_passes_the_same_hard_cases(grouped):
    """libnnn assembles the composition in C++ (src/cpp/emulator/assembly.cpp) with its own
    copy of the tilt: on every hard case above it reaches the target Ye to round-off, within
    the same iterations, and its multiplier is the torch tilt's, whether it sums over the
    isotopes or over the groups of isotopes with one Z/A (mesa_80's zeta has 50 values)."""
    from nnn import _emulator

    for zeta, logp, target, n_iter in _tilt_cases():
        m = BurnStepNet([f"i{k}" for k in range(len(zeta))], zeta, DOMAIN, SCALES, first=16,
                        width=16, depth=2).eval()
        lam = _emulator.ye_tilt(zeta, logp, target, m.lam_max, n_iter, grouped=grouped)
        ye = torch.softmax(torch.from_numpy(logp + lam[:, None] * zeta), dim=1).numpy() @ zeta
        np.testing.assert_allclose(ye, target, rtol=0, atol=1e-13)
        with torch.no_grad():
            lam_torch = m.tilt(torch.from_numpy(logp), torch.from_numpy(target), n_iter,
                               m.lam_max).numpy()
        np.testing.assert_allclose(lam, lam_torch, rtol=1e-9, atol=1e-9)


def test_libnnn_grouped_tilt_falls_back_where_groups_would_underflow():
    """The grouped sums hold p_i / p_max, exact down to 1e-290: a zone with an isotope further
    below (here e^-800, at the Z/A the target needs) is tilted over the isotopes instead, and
    still reaches its Ye (a group sum would have lost that isotope)."""
    from nnn import _emulator

    zeta = np.array([0.5, 0.5, 0.4, 0.5])
    logp = np.array([[0.0, -1.0, -800.0, -2.0]])
    target = np.array([0.49])
    lam = _emulator.ye_tilt(zeta, logp, target, 1e4, 80, grouped=True)
    assert -1e4 < lam[0] < -7e3  # the isotope at Z/A 0.4 carries a tenth of the mass
    ye = torch.softmax(torch.from_numpy(logp + lam[:, None] * zeta), dim=1).numpy() @ zeta
    np.testing.assert_allclose(ye, target, rtol=0, atol=1e-13)
