"""nnn.Emulator (format nnn-emulator-2) through Python: libnnn's inference
equals the model run by torch at any dt in the model's range; loading by
network name; every fallback path fires on exactly the zones it should, and
those zones get exactly the integrator's answer; a perfect model (the
engine's own burns) passes every check; no NaN ever leaves; threads."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
import torch

import nnn
from nnn.emulate.runtime import (EMULATOR, FALLBACK_DOMAIN, FALLBACK_DT, FALLBACK_DYE,
                          FALLBACK_ENERGY, FALLBACK_ERROR, FALLBACK_MODEL, FALLBACK_SANITY,
                          FALLBACK_YE_CHANGE, PATHS, EmulatorBatchResult, EmulatorBurnResult)

from emulator_models import (DOMAIN, DT, NO_CHECKS, RAISE_BAND, SMALL, BeforeTrunkInput,
                             engine_truth, q_erg_per_g, reference_forward, table_model, tiny_model,
                             zones)


@pytest.fixture(scope="module")
def em(tiny_path, small_net):
    return nnn.Emulator.load(tiny_path, network=small_net, **NO_CHECKS)


def test_load_file_name_and_metadata(em, tiny_path, small_net, tmp_path, monkeypatch):
    assert em.domain == {k: tuple(v) for k, v in DOMAIN.items()}
    assert em.dt_range == (1e-4, 1.0)
    assert em.info["network_hash"] == small_net.file_hash and em.info["format"] == "nnn-emulator-2"
    assert em.meta["network"] == SMALL and em.meta["format"] == "nnn-emulator-2"
    by_meta = nnn.Emulator.load(tiny_path)  # network named in the model
    assert by_meta.network.file_hash == small_net.file_hash
    assert "libtorch" in repr(em) and "0.0001..1 s" in repr(em)
    # by network name: emulators/<name>.pt in the network data directories
    (tmp_path / "emulators").mkdir()
    (tmp_path / "emulators" / f"{SMALL}.pt").write_bytes(tiny_path.read_bytes())
    monkeypatch.setenv("NNN_NETWORK_DATA", str(tmp_path))
    named = nnn.Emulator.load(SMALL, **NO_CHECKS)
    assert named.info["path"] == str(tmp_path / "emulators" / f"{SMALL}.pt")
    T, rho, X = zones(small_net, 5)
    np.testing.assert_array_equal(named.burn_batch(T, rho, X, DT).X, em.burn_batch(T, rho, X, DT).X)
    with pytest.raises(nnn.emulate.runtime.EmulatorFileError, match="no shipped emulator for network .no_such_network."):
        nnn.Emulator.load("no_such_network")


def test_defaults_come_from_libnnn(em):
    d = nnn.emulate.runtime.default_config()
    assert d["max_error"] == d["max_dye"] == 0 and d["threads"] == 1 and d["check_energy"] and d["check_dye"]
    # the Python names of the path codes are libnnn's codes, and the numpy types a caller
    # passes are accepted as the settings they stand for
    assert sorted(PATHS) == sorted(nnn._emulator.PATH_CODES.values())
    em2 = nnn.Emulator.load(em.info["path"], network=em.network, threads=np.int64(2),
                            max_error=np.float32(0.5), check_dye=np.bool_(False))
    assert em2.config == dict(d, threads=2, max_error=0.5, check_dye=False)
    assert type(em2.config["threads"]) is int and type(em2.config["check_dye"]) is bool


@pytest.mark.parametrize("dt", [1e-4, 3.7e-3, DT, 0.55, 1.0])
def test_inference_equals_torch_at_any_dt(em, tiny_path, small_net, dt):
    """Any dt in the range is emulated: libnnn's answer is the model file's
    (run on float64 inputs), renormalised, with Ye from the result and the model's err."""
    T, rho, X = zones(small_net, 40)
    b = em.burn_batch(T, rho, X, dt)
    assert isinstance(b, EmulatorBatchResult)
    assert not b.used_fallback.any() and (b.path == EMULATOR).all()
    assert (b.n_steps == 0).all() and (b.status == 0).all()
    ref = reference_forward(tiny_path, T, rho, X, dt)
    n = small_net.n_species
    Xr = ref[:, :n] / ref[:, :n].sum(axis=1, keepdims=True)
    np.testing.assert_allclose(b.X, Xr, rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(b.eps_nuc, ref[:, n], rtol=1e-5)
    np.testing.assert_allclose(b.eps_nu, ref[:, n + 1], rtol=1e-5)
    np.testing.assert_allclose(b.err, ref[:, n + 2], rtol=1e-5)
    assert (b.err > 0).all()
    np.testing.assert_allclose(b.X.sum(axis=1), 1, atol=1e-14)
    np.testing.assert_allclose(b.Ye, [small_net.Ye(x) for x in b.X], rtol=1e-14)


def test_dt_outside_range_falls_back(em, small_net):
    T, rho, X = zones(small_net, 4, seed=7)
    for dt in (5e-5, 2.0):
        b = em.burn_batch(T, rho, X, dt)
        assert (b.path == FALLBACK_DT).all() and (b.err == 0).all()
        ref = small_net.burn_batch(T, rho, X, dt)
        np.testing.assert_array_equal(b.X, ref.X)
        np.testing.assert_array_equal(b.eps_nuc, ref.eps_nuc)


def test_single_zone_result(em, small_net):
    r = em.burn(3e9, 1e8, {"si28": 0.6, "s32": 0.4}, DT)
    assert isinstance(r, EmulatorBurnResult) and isinstance(r, nnn.BurnResult)
    assert r.used_fallback is False and r.path == EMULATOR and r.n_steps == 0 and r.err > 0
    b = em.burn_batch([3e9], [1e8], small_net.composition({"si28": 0.6, "s32": 0.4}), DT)
    np.testing.assert_allclose(r.X, b.X[0], rtol=1e-5, atol=1e-12)
    assert r.err == pytest.approx(b.err[0], rel=1e-5)


def test_fallback_exactly_out_of_domain(em, small_net):
    """Zones outside logT, logrho or Ye go to the integrator, the others don't;
    fallback zones carry exactly the integrator's result."""
    T, rho, X = zones(small_net, 12, seed=3)
    fe56 = small_net.composition({"fe56": 1.0})        # Ye = 0.464 < 0.47
    T[1] = 10 ** (DOMAIN["logT"][0] - 0.05)             # too cold
    T[4] = 10 ** (DOMAIN["logT"][1] + 0.05)             # too hot
    rho[6] = 10 ** (DOMAIN["logrho"][1] + 0.1)          # too dense
    rho[7] = 10 ** (DOMAIN["logrho"][0] - 0.1)          # too thin
    X[9] = fe56
    T[10] = 10 ** DOMAIN["logT"][1]                     # on the edge: inside (closed)
    out = [1, 4, 6, 7, 9]
    b = em.burn_batch(T, rho, X, DT, n_threads=2)
    expect = np.full(len(T), EMULATOR)
    expect[out] = FALLBACK_DOMAIN
    np.testing.assert_array_equal(b.path, expect)
    np.testing.assert_array_equal(b.used_fallback, expect != EMULATOR)
    ref = small_net.burn_batch(T[out], rho[out], X[out], DT, n_threads=1)
    np.testing.assert_array_equal(b.X[out], ref.X)
    np.testing.assert_array_equal(b.eps_nuc[out], ref.eps_nuc)
    np.testing.assert_array_equal(b.eps_nu[out], ref.eps_nu)
    np.testing.assert_array_equal(b.n_steps[out], ref.n_steps)
    assert (b.n_steps[out] > 0).all() and (b.err[out] == 0).all()


# --------------------------------------------------------------------------- the checks
CHECK_DT = 1e-3


@pytest.fixture(scope="module")
def oracle(small_net, tmp_path_factory):
    """Zones, the engine's burns of them, and a TableModel answering them exactly."""
    T, rho, X = zones(small_net, 16, seed=17)
    vals, truth = engine_truth(small_net, T, rho, X, CHECK_DT)
    path = table_model(small_net, tmp_path_factory.mktemp("oracle") / "oracle.pt", T, rho, X,
                       CHECK_DT, vals)
    return T, rho, X, vals, truth, path


def test_perfect_model_passes_every_check(oracle, small_net):
    """The engine's own answers pass the energy and |dYe| checks, at the
    defaults and with the energy tolerance 1e5 times tighter: the check's
    energy is the engine's eps_nuc definition."""
    T, rho, X, vals, truth, path = oracle
    for cfg in ({}, {"energy_rtol": 1e-5, "energy_dx": 1e-8}):
        em = nnn.Emulator.load(path, network=small_net, **cfg)
        b = em.burn_batch(T, rho, X, CHECK_DT)
        assert (b.path == EMULATOR).all(), b.path
    np.testing.assert_allclose(b.X, truth.X, rtol=1e-12, atol=1e-15)  # float64 through: renormalised only
    np.testing.assert_array_equal(b.eps_nuc, truth.eps_nuc)
    np.testing.assert_array_equal(b.err, 1e-4)
    # the independent energy of the composition change (CODATA constants): = eps_nuc
    q = q_erg_per_g(small_net)
    e = (X - truth.X) @ q - truth.eps_nu * CHECK_DT
    np.testing.assert_allclose(e, truth.eps_nuc, rtol=1e-6, atol=1e-9 * np.abs(truth.eps_nuc).max())


def test_dye_bound_holds_for_the_engine(small_net, tiny_path):
    """The weak-rate bound is >= the engine's |dYe/dt| = |sum_i Z_i dY_i/dt|
    at every composition tried (free protons and neutrons included, where
    one weak rate dominates), and within 10x of it for pure protons."""
    em = nnn.Emulator.load(tiny_path, network=small_net)
    Z = np.asarray(small_net.Z, float)
    for T, rho in ((3e9, 1e8), (5e9, 1e9), (2e9, 1e7)):
        for comp in ({"p": 1.0}, {"n": 0.5, "si28": 0.5}, {"si28": 0.6, "s32": 0.4}, {"fe56": 0.5, "p": 0.5},
                     {"ni56": 1.0}, {"co56": 1.0}):
            x = small_net.composition(comp)
            rate = abs(float(Z @ small_net.rhs(T, rho, x)))
            bound = em.dye_rate_bound(T, rho, x)
            assert rate <= bound * (1 + 1e-12), (T, rho, comp, rate, bound)
            if comp == {"p": 1.0}:
                assert rate > 0.1 * bound, (T, rho, rate, bound)


@pytest.mark.parametrize("network", ["mesa_80", "mesa_151"])
def test_dye_bound_holds_for_every_network(network, tmp_path):
    """The large networks' weak rates (tables and ReacLib decays) load into the
    bound, and it bounds the engine's |dYe/dt| there too."""
    net = nnn.Network.load(network)
    em = nnn.Emulator.load(tiny_model(net, tmp_path / "m.pt"))
    Z = np.asarray(net.Z, float)
    for comp in ({"p": 1.0}, {"si28": 0.6, "s32": 0.4}, {"fe54": 0.5, "ni56": 0.3, "p": 0.2}):
        x = net.composition(comp)
        for T, rho in ((3e9, 1e8), (5e9, 1e9)):
            rate = abs(float(Z @ net.rhs(T, rho, x)))
            assert rate <= em.dye_rate_bound(T, rho, x) * (1 + 1e-12), (network, comp, T, rho)


def predicted_paths(em, small_net, T, rho, X, dt, vals, cfg) -> np.ndarray:
    """The path of each zone from the checks' formulas, in numpy (independent of libnnn's)."""
    n = small_net.n_species
    q = q_erg_per_g(small_net)
    zeta = np.asarray(small_net.Z, float) / np.asarray(small_net.A, float)
    out = np.full(len(T), EMULATOR)
    for k in range(len(T)):
        y = vals[k]
        x, en, enu, err = y[:n], y[n], y[n + 1], y[n + 2]
        if not np.isfinite(y).all() or abs(x.sum() - 1) > cfg["sum_tolerance"] or err < 0:
            out[k] = FALLBACK_SANITY
            continue
        if cfg["max_error"] > 0 and err > cfg["max_error"]:
            out[k] = FALLBACK_ERROR
            continue
        x = np.clip(x, 0, None) / np.clip(x, 0, None).sum()
        e = (X[k] - x) @ q - enu * dt
        span = q.max() - q.min()
        if abs(en - e) > cfg["energy_rtol"] * max(abs(en), abs(e)) + span * (cfg["energy_dx"] + err):
            out[k] = FALLBACK_ENERGY
            continue
        bound = cfg["dye_safety"] * dt * em.dye_rate_bound(T[k], rho[k], X[k]) + cfg["dye_atol"]
        if abs(x @ zeta - X[k] @ zeta) > bound:
            out[k] = FALLBACK_DYE
    return out


def test_each_check_fires_on_its_zones(oracle, small_net, tmp_path):
    """One altered zone per check (and the model raising on one batch): each
    goes to the integrator with its own path code, as the checks' formulas
    computed here independently predict; every other zone stays emulated."""
    T, rho, X, vals, truth, _ = oracle
    T, rho, X, vals = T.copy(), rho.copy(), X.copy(), vals.copy()
    n = small_net.n_species
    iso = small_net.isotopes
    q = q_erg_per_g(small_net)
    em0 = nnn.Emulator.load(oracle[5], network=small_net)
    # 1: eps_nuc of the opposite sign and 30x too large -> energy
    vals[1, n] = -30 * vals[1, n] - 1e18
    # 2: Ye shifted by 20x its bound, energy kept consistent -> dye
    bound = 10 * CHECK_DT * em0.dye_rate_bound(T[2], rho[2], X[2]) + 1e-6
    zeta = np.asarray(small_net.Z, float) / np.asarray(small_net.A, float)
    dz = zeta[iso.index("fe54")] - zeta[iso.index("si28")]
    d = min(20 * bound / abs(dz), 0.9 * vals[2, iso.index("si28")])
    assert abs(d * dz) > 5 * bound
    vals[2, iso.index("si28")] -= d
    vals[2, iso.index("fe54")] += d
    vals[2, n] = (X[2] - vals[2, :n]) @ q - vals[2, n + 1] * CHECK_DT
    # 3: error estimate 0.5 -> error (with max_error = 0.1)
    vals[3, n + 2] = 0.5
    # 4: NaN, 5: sum X = 1.01, 6: negative err -> sanity
    vals[4, n] = np.nan
    vals[5, :n] *= 1.01
    vals[6, n + 2] = -1.0
    path = table_model(small_net, tmp_path / "altered.pt", T, rho, X, CHECK_DT, vals)
    em = nnn.Emulator.load(path, network=small_net, max_error=0.1)
    b = em.burn_batch(T, rho, X, CHECK_DT)
    expect = np.full(len(T), EMULATOR)
    expect[[1, 2, 3, 4, 5, 6]] = [FALLBACK_ENERGY, FALLBACK_DYE, FALLBACK_ERROR, FALLBACK_SANITY,
                                  FALLBACK_SANITY, FALLBACK_SANITY]
    np.testing.assert_array_equal(b.path, expect)
    np.testing.assert_array_equal(predicted_paths(em, small_net, T, rho, X, CHECK_DT, vals, em.config),
                                  expect)
    fb = expect != EMULATOR
    ref = small_net.burn_batch(T[fb], rho[fb], X[fb], CHECK_DT)
    np.testing.assert_array_equal(b.X[fb], ref.X)
    np.testing.assert_array_equal(b.eps_nuc[fb], ref.eps_nuc)
    assert (b.err[fb] == 0).all() and (b.n_steps[fb] > 0).all()
    # each check can be switched off (or, for max_error, is off by default)
    off = {FALLBACK_ENERGY: {"check_energy": False}, FALLBACK_DYE: {"check_dye": False},
           FALLBACK_ERROR: {"max_error": 0.0}}
    for code, cfg in off.items():
        em.set_config(**dict({"max_error": 0.1, "check_energy": True, "check_dye": True}, **cfg))
        p = em.burn_batch(T, rho, X, CHECK_DT).path
        assert p[list(expect).index(code)] == EMULATOR, (code, p)
    # max_error above the zone's err: emulated
    em.set_config(max_error=0.6, check_energy=True, check_dye=True)
    assert em.burn_batch(T, rho, X, CHECK_DT).path[3] == EMULATOR


def test_max_dye_sends_the_fastest_ye_changes_to_the_integrator(oracle, small_net):
    """max_dye: a zone whose emulated step changes Ye by more than max_dye Ye0 (relative)
    is burned by the integrator with its own path code; the zones above the threshold are
    exactly those the numpy Ye of the model's outputs says; 0 switches it off; a threshold
    outside [0, 1) is refused naming it."""
    T, rho, X, vals, truth, path = oracle
    n = small_net.n_species
    zeta = np.asarray(small_net.Z, float) / np.asarray(small_net.A, float)
    ye0 = X @ zeta / X.sum(1)
    x = np.clip(vals[:, :n], 0, None)
    rel = np.abs(x @ zeta / x.sum(1) - ye0) / ye0
    em = nnn.Emulator.load(path, network=small_net)
    assert em.config["max_dye"] == 0
    assert (em.burn_batch(T, rho, X, CHECK_DT).path == EMULATOR).all()
    thr = float(np.median(rel))
    em.set_config(max_dye=thr)
    b = em.burn_batch(T, rho, X, CHECK_DT)
    expect = np.where(rel > thr, FALLBACK_YE_CHANGE, EMULATOR)
    assert 0 < (expect == FALLBACK_YE_CHANGE).sum() < len(T)
    np.testing.assert_array_equal(b.path, expect)
    fb = expect != EMULATOR
    ref = small_net.burn_batch(T[fb], rho[fb], X[fb], CHECK_DT)
    np.testing.assert_array_equal(b.X[fb], ref.X)
    for bad, shown in ((-0.1, "-0.1"), (1.0, "1 "), (float("nan"), "nan")):
        with pytest.raises(ValueError, match=f"max_dye = {shown}"):
            em.set_config(max_dye=bad)


def test_model_raising_falls_back_per_batch(oracle, small_net, tmp_path):
    """A model that raises in forward sends that batch's zones to the
    integrator (outputs written, status 0, model_error says why); the call
    never fails and other batches stay emulated."""
    T, rho, X, vals, truth, _ = oracle
    T = T.copy()
    T[5] = 10 ** np.mean(RAISE_BAND)
    vals = vals.copy()
    vals[5, :] = engine_truth(small_net, T[5:6], rho[5:6], X[5:6], CHECK_DT)[0][0]
    path = table_model(small_net, tmp_path / "raising.pt", T, rho, X, CHECK_DT, vals,
                       raise_band=RAISE_BAND)
    em = nnn.Emulator.load(path, network=small_net, batch_size=4)
    b = em.burn_batch(T, rho, X, CHECK_DT)
    expect = np.full(len(T), EMULATOR)
    expect[4:8] = FALLBACK_MODEL            # the batch of 4 holding zone 5
    np.testing.assert_array_equal(b.path, expect)
    assert (b.status == 0).all() and "raise band" in b.model_error and "raising.pt" in b.model_error
    ref = small_net.burn_batch(T[4:8], rho[4:8], X[4:8], CHECK_DT)
    np.testing.assert_array_equal(b.X[4:8], ref.X)
    np.testing.assert_array_equal(b.eps_nuc[4:8], ref.eps_nuc)
    r = em.burn(T[5], rho[5], X[5], CHECK_DT)     # one zone: the integrator's answer, no error
    assert r.path == FALLBACK_MODEL and np.array_equal(r.X, ref.X[1])


def test_no_nan_ever_leaves(oracle, small_net, tmp_path):
    """NaN-emitting rows, random zones outside the domain, integrator failures:
    every output finite."""
    T0, rho0, X0, vals, truth, _ = oracle
    vals = vals.copy()
    vals[::3, :] = np.nan
    path = table_model(small_net, tmp_path / "nan.pt", T0, rho0, X0, CHECK_DT, vals)
    em = nnn.Emulator.load(path, network=small_net)
    rng = np.random.default_rng(11)
    n = 40
    T = np.r_[T0, 10 ** rng.uniform(9.0, 10.0, n)]
    rho = np.r_[rho0, 10 ** rng.uniform(6.5, 10.0, n)]
    X = np.r_[X0, rng.dirichlet(np.ones(small_net.n_species) * 0.3, n)]
    b = em.burn_batch(T, rho, X, CHECK_DT, max_steps=20)  # some fallbacks fail: status != 0
    for a in (b.X, b.eps_nuc, b.eps_nu, b.Ye, b.err):
        assert np.isfinite(a).all()
    assert (b.path[:16:3] == FALLBACK_SANITY).all()
    failed = b.status != 0
    assert failed.any() and (b.path[failed] != EMULATOR).all()
    np.testing.assert_array_equal(b.X[failed], X[failed])   # failure: X0, no energy
    assert (b.eps_nuc[failed] == 0).all()
    assert all(m for m in np.asarray(b.message, dtype=object)[failed])
    with pytest.raises(nnn.BurnError):                        # single zone: raises like Network.burn
        em.burn(T0[0], rho0[0], X0[0], CHECK_DT, max_steps=2)


def test_bad_input_and_settings_raise(em, small_net):
    x = small_net.composition({"si28": 1.0})
    with pytest.raises(ValueError, match="T = -1"):
        em.burn(-1.0, 1e8, x, DT)
    with pytest.raises(ValueError, match="sum of X"):
        em.burn(3e9, 1e8, x * 0.5, DT)
    for dt, text in ((-1.0, "-1"), (0.0, "0"), (float("nan"), "nan"), (float("inf"), "inf")):
        with pytest.raises(ValueError, match=f"^dt = {text} s is invalid"):  # not times[0]
            em.burn(3e9, 1e8, x, dt)
    with pytest.raises(ValueError, match="shape"):
        em.burn_batch([3e9, 3e9], [1e8], np.tile(x, (2, 1)), DT)
    # a bad integrator option is refused before any zone runs (even all-emulator calls)
    T, rho, X = zones(small_net, 3)
    for kw, word in (({"rtol": 0.0}, "rtol"), ({"atol": -1.0}, "atol"), ({"max_steps": 0}, "max_steps"),
                     ({"integrator": "euler"}, "integrator")):
        with pytest.raises(ValueError, match=word):
            em.burn_batch(T, rho, X, DT, **kw)
    with pytest.raises(ValueError, match="n_threads = -1"):
        em.burn_batch(T, rho, X, DT, n_threads=-1)
    for kw, text in (({"max_steps": 3.9}, "max_steps = 3.9 must be an integer"),
                     ({"n_threads": 0.9}, "n_threads = 0.9 must be an integer"),
                     ({"max_steps": float("nan")}, "max_steps = nan must be an integer")):
        with pytest.raises(ValueError, match=text):
            em.burn_batch(T, rho, X, DT, **kw)
    with pytest.raises(ValueError, match="threads = 2.9 is invalid"):
        em.set_threads(2.9)
    with pytest.raises(ValueError, match="model = '' is empty"):
        nnn.Emulator.load("")
    # settings: named, with the value, and nothing changes
    before = em.config
    for kw, word in (({"max_error": -0.1}, "max_error = -0.1"), ({"energy_rtol": float("nan")}, "energy_rtol = nan"),
                     ({"dye_safety": 0.0}, "dye_safety = 0"), ({"threads": -2}, "^emulator setting threads = -2"),
                     ({"batch_size": 0}, "batch_size = 0"), ({"sum_tolerance": 5.0}, "sum_tolerance = 5"),
                     ({"dt_rtol": 1e-9}, "unknown emulator setting 'dt_rtol'"),
                     # of the wrong type: named with the value as given, never truncated or cast
                     ({"threads": 1.5}, r"threads = 1.5 is invalid: expected an integer"),
                     ({"batch_size": 1e3}, r"batch_size = 1000.0 is invalid: expected an integer"),
                     ({"sum_tolerance": None}, r"sum_tolerance = None is invalid: expected a number"),
                     ({"max_error": True}, r"max_error = True is invalid: expected a number"),
                     ({"check_energy": 2}, r"check_energy = 2 is invalid: expected True or False"),
                     ({"check_dye": 0.0}, r"check_dye = 0.0 is invalid: expected True or False")):
        with pytest.raises(ValueError, match=word):
            em.set_config(**kw)
        with pytest.raises(ValueError, match=word.split(" =")[0]):
            nnn.Emulator.load(em.info["path"], network=small_net, **kw)
    assert em.config == before


def test_threads_respected_and_results_identical(em, small_net):
    """libtorch runs the inference on `threads` intra-op threads (default 1) and
    gives the caller's torch its own setting back; 8 Python threads burning
    on one emulator at once = one thread alone; n_threads changes nothing."""
    T, rho, X = zones(small_net, 48, seed=13)
    T[5] = 1e9  # one fallback zone per call
    before = torch.get_num_threads()
    ref = em.burn_batch(T, rho, X, DT, n_threads=1)
    assert ref.inference_threads == 1 and torch.get_num_threads() == before
    em.set_threads(2)
    try:
        assert em.burn_batch(T, rho, X, DT).inference_threads == 2
        assert torch.get_num_threads() == before
    finally:
        em.set_threads(1)
    results = [None] * 8
    errors = []

    def work(k):
        try:
            results[k] = [em.burn_batch(T, rho, X, DT, n_threads=1) for _ in range(3)]
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    for rs in results:
        for r in rs:
            np.testing.assert_array_equal(r.X, ref.X)
            np.testing.assert_array_equal(r.eps_nuc, ref.eps_nuc)
            np.testing.assert_array_equal(r.path, ref.path)
            assert r.inference_threads == 1
    b8 = em.burn_batch(T, rho, X, DT, n_threads=8)
    np.testing.assert_array_equal(b8.X, ref.X)


def test_other_models_of_the_network(small_net, tmp_path):
    """Two random models: different answers (the file is what is run)."""
    a = nnn.Emulator.load(tiny_model(small_net, tmp_path / "a.pt", seed=3), **NO_CHECKS)
    b = nnn.Emulator.load(tiny_model(small_net, tmp_path / "b.pt", seed=4), **NO_CHECKS)
    T, rho, X = zones(small_net, 4)
    assert not np.allclose(a.burn_batch(T, rho, X, DT).X, b.burn_batch(T, rho, X, DT).X)


def test_trunk_input_built_in_cpp_and_files_scripted_before_it(small_net, tmp_path):
    """libnnn builds a BurnStepNet's trunk input itself (Assembly::trunk_input) and runs
    parts_of_trunk_input; a file scripted before that method existed runs its forward_parts.
    Both give the model's Python answer, on zones with X = 0 and X below the trunk's 1e-37
    clamp and its log floor (the float32 logs of libnnn and torch may differ in the last bit)."""
    new = tiny_model(small_net, tmp_path / "new.pt", seed=5)
    old = tiny_model(small_net, tmp_path / "old.pt", seed=5, cls=BeforeTrunkInput)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert torch.jit.load(str(new))._c._has_method("parts_of_trunk_input")
        assert not torch.jit.load(str(old))._c._has_method("parts_of_trunk_input")
    T, rho, X = zones(small_net, 30, seed=11)
    X[:10, :3] = 0.0
    X[10:20, 1:4] = 1e-40   # below the clamp
    X[20:, 2:4] = 1e-20     # above the clamp, below exp(log_floor) for the default x_floor
    X /= X.sum(axis=1, keepdims=True)
    n = small_net.n_species
    for path in (new, old):
        b = nnn.Emulator.load(path, network=small_net, **NO_CHECKS).burn_batch(T, rho, X, DT)
        assert (b.path == EMULATOR).all()
        ref = reference_forward(path, T, rho, X, DT)
        np.testing.assert_allclose(b.X, ref[:, :n] / ref[:, :n].sum(axis=1, keepdims=True),
                                   rtol=1e-5, atol=1e-12)
        np.testing.assert_allclose(b.err, ref[:, n + 2], rtol=1e-5)
        np.testing.assert_allclose(b.eps_nu, ref[:, n + 1], rtol=1e-5)
