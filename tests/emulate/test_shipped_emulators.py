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


def test_default_preset_recreates_the_shipped_models(shipped):
    """``python -m nnn.pipeline --preset default`` is documented to retrain the shipped
    models: its data set, architecture and trainer settings are the ones each file records."""
    from nnn.emulate.pipeline import PRESETS, _per_network

    net, m = shipped
    cfg = PRESETS["default"]
    tr = m.meta["training"]
    assert net in cfg["networks"]
    assert tr["dataset"]["n_samples"] == cfg["n_samples"][net]
    assert tr["dataset"]["seed"] == cfg["seed"][net]
    assert tr["config"]["arch"]["name"] == cfg["arch"]
    assert tr["config"]["epochs"] == _per_network(cfg, "epochs", net)
    assert tr["config"]["w_ye"] == _per_network(cfg, "w_ye", net)
    assert tr["config"]["burned_starts"] == _per_network(cfg, "burned_starts", net)
    assert cfg["bf16_copy"]  # and it writes the bf16 copies (nnn.emulate.pipeline.write_bf16_copy)


def test_shipped_model_meets_its_regression_record(shipped):
    net, m = shipped
    stored = m.meta["regression"]
    now = regression.record(m, net, n_cases=stored["n_cases"], dts=stored["dts"])
    for k in regression.KEYS:
        np.testing.assert_allclose(now[k], stored[k], rtol=RTOL, atol=1e-7, err_msg=k)
    # and the model beats doing nothing on the paper's composition metric at every dt
    assert all(a < b for a, b in zip(now["eq6_rel"], now["persistence"]["eq6_rel"]))


@pytest.mark.parametrize("net", NETWORKS)
def test_shipped_bf16_copy_keeps_the_shipped_accuracy(net):
    """The shipped bfloat16 copy ``<network>_bf16`` (the same weights with trunk and heads in
    bf16, model.rescript; mesa_80's with its composition head in float32; 2-2.8x cheaper
    than float32 at batch 1000 on a CPU with bf16 units, docs/emulators.md "Cost") loads by
    name, meets its own regression record, and on the
    regression cases is no worse than the float32 model's stored record by more than 2 % on
    eq 6 (measured <= 1 %) and 30 % on the others (measured 17 %; on the 700-case test sets
    eq 6 agrees to 1 %, Ye to 15 %, eps_nuc to 2 %, eps_nu to 21 %); through libnnn no zone falls back and the
    compositions differ from the float32 model's by an eq-5 distance below 0.02."""
    import nnn
    from nnn.emulate import runtime
    from nnn.emulate.model_file import bf16_name

    path = shipped_model_path(bf16_name(net))
    assert path.stat().st_size <= 20 * 2**20
    m = load_model(bf16_name(net), network=net)
    assert m.meta["trunk_dtype"] == m.meta["heads_dtype"] == "bfloat16"
    mine = m.meta["regression"]
    now = regression.record(m, net, n_cases=mine["n_cases"], dts=mine["dts"])
    f32 = load_model(net, network=net).meta["regression"]
    for k in regression.KEYS:
        np.testing.assert_allclose(now[k], mine[k], rtol=RTOL, atol=1e-7, err_msg=k)
        worse = np.asarray(now[k]) / np.asarray(f32[k]) - 1  # < 0: better than float32
        assert worse.max() <= (0.02 if k == "eq6_rel" else 0.3), (k, now[k], f32[k])
    assert all(a < b for a, b in zip(now["ye_rel"], now["persistence"]["ye_rel"]))
    if not runtime.has_libtorch():
        pytest.skip("libnnn built without libtorch: the C++ path is not available")
    em32, em16 = nnn.Emulator.load(net), nnn.Emulator.load(bf16_name(net))
    assert em16.network.file_hash == em32.network.file_hash
    iso = list(em32.isotopes)
    X = np.zeros((8, len(iso)))
    X[:, iso.index("si28")], X[:, iso.index("s32")] = 0.6, 0.4
    T, rho = np.linspace(2.5e9, 4.5e9, 8), np.full(8, 1e8)
    a, b = em32.burn_batch(T, rho, X, 1.0), em16.burn_batch(T, rho, X, 1.0)
    assert not b.used_fallback.any()
    zeta = np.asarray(em32.network.Z, float) / np.asarray(em32.network.A, float)
    assert (np.abs(a.X - b.X) @ zeta).max() < 0.02


DT_GRID = np.logspace(-6, 2, 9)  # the paper's nine dt


@pytest.mark.parametrize("bf16", [False, True], ids=["float32", "bf16-copy"])
def test_libnnn_assembly_equals_the_model_forward(shipped, bf16):
    """libnnn runs a BurnStepNet's network part (forward_parts) in TorchScript and assembles
    X, eps_nuc, eps_nu and err in C++ (src/cpp/emulator/assembly.cpp, 3-4x cheaper than the
    module's own forward, docs/emulators.md "Cost"); the module's forward, run by Python
    torch on the same batch, is the definition.  On 64 paper-set zones at the nine dt they
    agree to round-off: X to 1e-13 (the tilt's root moves with Ye0's summation order), Ye to
    2e-15, eps_nuc to 1e-13 of the network's q spread, eps_nu and err to 1e-13; for the
    shipped models and their bf16 copies."""
    import torch

    import nnn
    from nnn.emulate import runtime
    from nnn.emulate.burn import load_network
    from nnn.emulate.evaluate import SMALL_NET, set_inputs

    if not runtime.has_libtorch():
        pytest.skip("libnnn built without libtorch: the C++ path is not available")
    from nnn.emulate.model_file import bf16_name

    net, m = shipped
    if bf16:
        m = load_model(bf16_name(net), network=net)
    em = nnn.Emulator.load(m.path, network=net, check_energy=False, check_dye=False)
    inp = set_inputs("paper", 64, load_network(net), load_network(SMALL_NET))
    T, rho, X0 = 10.0 ** inp["logT"], 10.0 ** inp["logrho"], inp["X0"]
    zeta = np.asarray(em.network.Z, float) / np.asarray(em.network.A, float)
    q = np.asarray(m.module.q.double().numpy())
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as libnnn runs it: the same float32 kernels, bit for bit
    try:
        _compare_at_every_dt(em, m, inp, T, rho, X0, zeta, q)
    finally:
        torch.set_num_threads(threads)


def _compare_at_every_dt(em, m, inp, T, rho, X0, zeta, q):
    import torch

    n = len(zeta)
    for dt in DT_GRID:
        b = em.burn_batch(T, rho, X0, dt, n_threads=1)
        assert (b.path == 0).all()
        x = np.concatenate([inp["logT"][:, None], inp["logrho"][:, None],
                            np.full((len(T), 1), np.log10(dt)), X0 / X0.sum(1, keepdims=True)], 1)
        with torch.inference_mode():
            ref = m.module(torch.from_numpy(x)).numpy()
        np.testing.assert_allclose(b.X, ref[:, :n] / ref[:, :n].sum(1, keepdims=True), rtol=0,
                                   atol=1e-13, err_msg=f"dt = {dt}")
        np.testing.assert_allclose(b.Ye, ref[:, :n] @ zeta, rtol=0, atol=2e-15)
        np.testing.assert_allclose(b.eps_nuc, ref[:, n], rtol=1e-13, atol=1e-13 * np.ptp(q))
        np.testing.assert_allclose(b.eps_nu, ref[:, n + 1], rtol=1e-13)
        np.testing.assert_allclose(b.err, ref[:, n + 2], rtol=1e-13)


def test_bf16_copy_warns_on_a_cpu_without_bf16_units(monkeypatch):
    """On a CPU without bf16 units libtorch emulates the bf16 copy's matmuls (slower than the
    float32 model): nnn.Emulator.load says so; the float32 model loads silently."""
    import warnings

    import nnn
    from nnn.emulate import runtime

    if not runtime.has_libtorch():
        pytest.skip("libnnn built without libtorch: the C++ path is not available")
    monkeypatch.setattr(runtime, "cpu_has_bf16", lambda: False)
    with pytest.warns(RuntimeWarning, match="bfloat16, which this CPU has no units for"):
        nnn.Emulator.load("mesa_80_bf16")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nnn.Emulator.load("mesa_80")
