"""nnn.Emulator through Python: libnnn's inference equals the model run by
torch, the per-zone domain check and sanity check send exactly the right
zones to the integrator (and those get exactly Network.burn's answer),
untrained dt and chained dt, no NaN ever leaves, and threads change nothing."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import nnn
from nnn.emulator import (EMULATOR, FALLBACK_DOMAIN, FALLBACK_DT, FALLBACK_SANITY,
                          EmulatorBatchResult, EmulatorBurnResult)

from emulator_models import BADSUM_BAND, DOMAIN, DT, NAN_BAND, SMALL, reference_forward, zones


@pytest.fixture(scope="module")
def em(model_dir, small_net):
    return nnn.Emulator.load(model_dir, network=small_net)


def test_load_directory_file_and_list(em, model_dir, small_net):
    assert em.dts == [1e-3, 1e-2]  # sorted; the .json summary next to them is ignored
    assert em.models[1]["domain"] == {k: tuple(v) for k, v in DOMAIN.items()}
    assert em.models[1]["network_hash"] == small_net.file_hash
    one = nnn.Emulator.load(model_dir / f"{SMALL}_dt1e-02.pt", network=small_net)
    assert one.dts == [1e-2]
    both = nnn.Emulator.load(sorted(model_dir.glob("*.pt")), network=SMALL)  # network by name
    assert both.dts == em.dts
    by_meta = nnn.Emulator.load(model_dir)  # network named in the metadata
    assert by_meta.network.file_hash == small_net.file_hash
    assert "libtorch" in repr(em)


def test_inference_equals_torch(em, model_dir, small_net):
    """In-domain zones: libnnn's answer is the model file's answer (float32),
    renormalised, with Ye from the result."""
    T, rho, X = zones(small_net, 40)
    b = em.burn_batch(T, rho, X, DT)
    assert isinstance(b, EmulatorBatchResult)
    assert not b.used_fallback.any() and (b.path == EMULATOR).all()
    assert (b.n_steps == 0).all() and (b.n_emulator_steps == 1).all() and (b.status == 0).all()
    ref = reference_forward(model_dir / f"{SMALL}_dt1e-02.pt", np.log10(T), np.log10(rho), X)
    n = small_net.n_species
    Xr = ref[:, :n] / ref[:, :n].sum(axis=1, keepdims=True)
    np.testing.assert_allclose(b.X, Xr, rtol=1e-5, atol=1e-12)
    np.testing.assert_allclose(b.eps_nuc, ref[:, n], rtol=1e-5)
    np.testing.assert_allclose(b.eps_nu, ref[:, n + 1], rtol=1e-5)
    np.testing.assert_allclose(b.X.sum(axis=1), 1, atol=1e-14)
    np.testing.assert_allclose(b.Ye, [small_net.Ye(x) for x in b.X], rtol=1e-14)


def test_single_zone_result(em, small_net):
    r = em.burn(3e9, 1e8, {"si28": 0.6, "s32": 0.4}, DT)
    assert isinstance(r, EmulatorBurnResult) and isinstance(r, nnn.BurnResult)
    assert r.used_fallback is False and r.path == EMULATOR and r.n_steps == 0
    assert r.X.shape == (small_net.n_species,) and abs(r.X.sum() - 1) < 1e-14
    b = em.burn_batch([3e9], [1e8], small_net.composition({"si28": 0.6, "s32": 0.4}), DT)
    np.testing.assert_allclose(r.X, b.X[0], rtol=1e-5, atol=1e-12)


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
    assert (b.n_steps[out] > 0).all() and (b.n_emulator_steps[out] == 0).all()


def test_sanity_fallback_for_marked_zones(marked_model, small_net):
    em = nnn.Emulator.load(marked_model, network=small_net)
    T, rho, X = zones(small_net, 10, seed=5)
    T[2] = 10 ** np.mean(NAN_BAND)       # model returns NaN there
    T[7] = 10 ** np.mean(BADSUM_BAND)    # model returns sum X = 1.01 there
    b = em.burn_batch(T, rho, X, DT)
    expect = np.full(len(T), EMULATOR)
    expect[[2, 7]] = FALLBACK_SANITY
    np.testing.assert_array_equal(b.path, expect)
    ref = small_net.burn_batch(T[[2, 7]], rho[[2, 7]], X[[2, 7]], DT)
    np.testing.assert_array_equal(b.X[[2, 7]], ref.X)
    assert np.isfinite(b.X).all() and np.isfinite(b.eps_nuc).all() and np.isfinite(b.eps_nu).all()
    # a looser sum tolerance accepts the 1 % error (then renormalises); NaN is never accepted
    loose = nnn.Emulator.load(marked_model, network=small_net, sum_tolerance=0.02)
    bl = loose.burn_batch(T, rho, X, DT)
    assert bl.path[7] == EMULATOR and bl.path[2] == FALLBACK_SANITY
    assert abs(bl.X[7].sum() - 1) < 1e-14


def test_untrained_dt_falls_back_and_chain(em, small_net):
    T, rho, X = zones(small_net, 6, seed=7)
    b = em.burn_batch(T, rho, X, 5e-3)                    # not trained: integrator everywhere
    assert (b.path == FALLBACK_DT).all()
    ref = small_net.burn_batch(T, rho, X, 5e-3)
    np.testing.assert_array_equal(b.X, ref.X)
    # dt within 1e-9 relative of a trained dt is that dt; farther is not
    assert (em.burn_batch(T, rho, X, DT * (1 + 5e-10)).path == EMULATOR).all()
    assert (em.burn_batch(T, rho, X, DT * (1 + 1e-7)).path == FALLBACK_DT).all()
    # chaining: 5e-3 = 5 x 1e-3 (1e-2 does not divide it); 3e-2 = 3 x 1e-2 (the largest)
    assert em.plan(5e-3) == (-1, 0)
    em.chain_dt = True
    try:
        assert em.plan(5e-3) == (0, 5) and em.plan(3e-2) == (1, 3) and em.plan(2.5e-3) == (-1, 0)
        c = em.burn_batch(T, rho, X, 3e-2)
    finally:
        em.chain_dt = False
    assert (c.path == EMULATOR).all() and (c.n_emulator_steps == 3).all()
    # the chain is the emulator applied 3 times (energies add up, eps_nu averages)
    x, en, enu = X.copy(), 0.0, 0.0
    for _ in range(3):
        s = em.burn_batch(T, rho, x, DT)
        x, en, enu = s.X, en + s.eps_nuc, enu + s.eps_nu / 3
    np.testing.assert_allclose(c.X, x, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(c.eps_nuc, en, rtol=1e-12)
    np.testing.assert_allclose(c.eps_nu, enu, rtol=1e-12)
    # per call override
    assert (em.burn_batch(T, rho, X, 3e-2, chain_dt=True).path == EMULATOR).all()


def test_no_nan_ever_leaves(marked_model, small_net):
    """Random zones, NaN-emitting model, integrator failures: every output finite."""
    em = nnn.Emulator.load(marked_model, network=small_net)
    rng = np.random.default_rng(11)
    n = 60
    T = 10 ** rng.uniform(9.0, 10.0, n)
    T[::7] = 10 ** np.mean(NAN_BAND)
    rho = 10 ** rng.uniform(6.5, 10.0, n)
    X = rng.dirichlet(np.ones(small_net.n_species) * 0.3, n)
    b = em.burn_batch(T, rho, X, DT, max_steps=20)  # some fallbacks fail: status != 0
    for a in (b.X, b.eps_nuc, b.eps_nu, b.Ye):
        assert np.isfinite(a).all()
    failed = b.status != 0
    assert failed.any() and (b.path[failed] != EMULATOR).all()
    np.testing.assert_array_equal(b.X[failed], X[failed])   # failure: X0, no energy
    assert (b.eps_nuc[failed] == 0).all()
    assert all(m for m in np.asarray(b.message, dtype=object)[failed])
    with pytest.raises(nnn.BurnError):                        # single zone: raises like Network.burn
        em.burn(10 ** np.mean(NAN_BAND), 1e8, X[0], DT, max_steps=2)


def test_bad_input_raises_value_error(em, small_net):
    x = small_net.composition({"si28": 1.0})
    with pytest.raises(ValueError, match="T = -1"):
        em.burn(-1.0, 1e8, x, DT)
    with pytest.raises(ValueError, match="sum of X"):
        em.burn(3e9, 1e8, x * 0.5, DT)
    with pytest.raises(ValueError, match="times"):
        em.burn(3e9, 1e8, x, -1.0)
    with pytest.raises(ValueError, match="shape"):
        em.burn_batch([3e9, 3e9], [1e8], np.tile(x, (2, 1)), DT)


def test_threads_give_identical_results(em, small_net):
    """8 Python threads burning on one emulator at once = one thread alone;
    n_threads and libtorch threads do not change the answer."""
    T, rho, X = zones(small_net, 48, seed=13)
    T[5] = 1e9  # one fallback zone per call
    ref = em.burn_batch(T, rho, X, DT, n_threads=1)
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
    b8 = em.burn_batch(T, rho, X, DT, n_threads=8)
    np.testing.assert_array_equal(b8.X, ref.X)
    em.set_threads(1)
    try:
        b1 = em.burn_batch(T, rho, X, DT)
    finally:
        em.set_threads(0)
    np.testing.assert_allclose(b1.X, ref.X, rtol=1e-6, atol=1e-14)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # torch.jit.script in export
def test_emulate_export_is_loadable(small_net, tmp_path):
    """A model written by nnn.emulate.model.export (what python -m nnn.train
    writes) loads and runs in libnnn."""
    mdl = pytest.importorskip("nnn.emulate.model")
    model = mdl.Emulator(small_net.n_species, first=8, width=8, depth=2)
    meta = {"network": small_net.name, "network_hash": small_net.file_hash,
            "isotopes": list(small_net.isotopes), "dt": DT, "domain": DOMAIN,
            "architecture": {"first": 8, "width": 8, "depth": 2}, "normalisation": {},
            "training": {}}
    path = mdl.export(model, tmp_path / mdl.model_filename(small_net.name, DT), meta)
    em = nnn.Emulator.load(path, network=small_net)
    T, rho, X = zones(small_net, 5)
    b = em.burn_batch(T, rho, X, DT)
    assert (b.path == EMULATOR).all()
    ref = mdl.load_model(path, network=small_net).predict(np.log10(T), np.log10(rho), X)
    np.testing.assert_allclose(b.X, ref["X"] / ref["X"].sum(axis=1, keepdims=True), rtol=1e-5,
                               atol=1e-12)
    np.testing.assert_allclose(b.eps_nuc, ref["eps_nuc"], rtol=1e-5, atol=1e-30)
