"""The evaluation (nnn.emulate.evaluate) end to end on the small net approx21 (fast), the
test-seed refusal of training-set generation, and the test-set cache."""

import json
import subprocess
import sys

import h5py
import numpy as np
import pytest

from conftest import FAKE, SMALL, subprocess_env
from nnn.emulate import evaluate as ev
from nnn.emulate import plots
from nnn.emulate.sampling import TEST_SEED, electron_fraction

pytestmark = pytest.mark.skipif(FAKE, reason="needs the real engine")


class FailingNet:
    """The real small net, but its burns of the test cases in ``fail`` report failure."""

    def __init__(self, net, fail):
        self._net, self.fail = net, set(fail)
        self.name, self.file_hash = net.name + "_failing", net.file_hash + "-failing"
        self.isotopes, self.A, self.Z = net.isotopes, net.A, net.Z
        self.calls = 0

    def burn_batch(self, T, rho, X, **kw):
        b = self._net.burn_batch(T, rho, X, **kw)
        status = np.asarray(b.status).copy()
        for i in self.fail:
            if self.calls * ev.CHUNK <= i < self.calls * ev.CHUNK + len(T):
                status[i - self.calls * ev.CHUNK] = 3
        self.calls += 1

        class R:
            pass
        r = R()
        r.X, r.eps_nuc, r.eps_nu, r.status = b.X, b.eps_nuc, b.eps_nu, status
        return r


def test_generate_refuses_the_test_seed(small_net, tmp_path):
    from nnn.emulate.generate import generate

    with pytest.raises(ValueError, match=f"seed={TEST_SEED}.*TEST_SEED"):
        generate(tmp_path / "t.h5", network=small_net, n_samples=4, seed=TEST_SEED,
                 progress=False)
    assert not (tmp_path / "t.h5").exists()
    r = subprocess.run([sys.executable, "-m", "nnn.generate", "--out", str(tmp_path / "c.h5"),
                        "--network", SMALL, "--n", "4", "--seed", str(TEST_SEED)],
                       capture_output=True, text=True, env=subprocess_env())
    assert r.returncode == 2 and "TEST_SEED" in r.stderr


def test_persistence_end_to_end(tmp_path):
    """approx21 as target *and* small net: the small net's burns are the target's, so its
    errors are exactly 0; persistence scores exactly 1 on every change metric and on the
    energies; the noise floor is small and not 0."""
    doc = ev.evaluate(model="persistence", out=tmp_path / "ev", network=SMALL, small_net=SMALL,
                      sets=["paper", "ood"], n_test=6, cache_dir=tmp_path / "cache",
                      progress=False, figures=False)
    assert json.loads((tmp_path / "ev" / "metrics.json").read_text()) == doc
    assert doc["test_seed"] == TEST_SEED and len(doc["dts"]) == 9
    for name in ("paper", "ood"):
        s = doc["sets"][name]
        assert s["n_cases"] == 6 and s["n_target_failed"] == 0 and s["n_small_failed"] == 0
        res = s["subsets"]["all"]["results"]
        assert [r["dt"] for r in res] == pytest.approx(np.logspace(-6, 2, 9))
        for r in res:
            p = r["predictors"]
            assert set(p) == {"small_net", "persistence", "noise_floor"}
            # the same burns: identical
            assert p["small_net"]["eq6"] == 0.0 and p["small_net"]["eps_nuc_rel"] == 0.0
            assert p["small_net"]["ye_rel"] == 0.0 and p["small_net"]["eps_nu_rel_p95"] == 0.0
            for k in ("X_change_rel", "ye_change_rel", "abar_change_rel", "eps_nuc_rel",
                      "eps_nu_rel", "eps_nuc_rel_median", "eps_nu_rel_p95"):
                assert p["persistence"][k] == pytest.approx(1.0, abs=1e-12), (name, k)
            assert 0 < p["noise_floor"]["eq6_rel"] < 1e-3
            assert p["persistence"]["eq6_rel"] > p["noise_floor"]["eq6_rel"]
    # the paper set's Ye covers 0.45-0.5 (approx21's cr60 reaches it) and splits at 0.464
    subs = doc["sets"]["paper"]["subsets"]
    assert subs["ye<0.464"]["n"] + subs["ye>=0.464"]["n"] == 6
    table = (tmp_path / "ev" / "table.md").read_text()
    assert "paper eq 6" in table and "| 1e+02 |" in table and "noise floor" in table


def test_cache_resumes_and_is_deterministic(small_net, tmp_path):
    a = ev.load_test_set("train-like", 5, small_net, None, tmp_path, progress=False)
    path = ev.cache_path(tmp_path, "train-like", 5, small_net, None)
    assert path.is_file()
    X_first = a.target["X"].copy()
    np.testing.assert_allclose(a.X0.sum(axis=1), 1.0, atol=1e-12)
    with h5py.File(path, "a") as f:             # as if killed before the last target chunk
        f["done_target"][0] = False
        f["target"]["X"][...] = -1.0
    b = ev.load_test_set("train-like", 5, small_net, None, tmp_path, progress=False)
    np.testing.assert_array_equal(b.target["X"], X_first)
    np.testing.assert_array_equal(b.X0, a.X0)
    # another size is another key (never a stale file)
    assert ev.cache_path(tmp_path, "train-like", 6, small_net, None) != path


def test_small_net_failures_are_reported_not_dropped(small_net, tmp_path):
    failing = FailingNet(small_net, fail=[1, 4])
    doc = ev.evaluate(model="persistence", out=tmp_path / "ev", network=small_net,
                      small_net=failing, sets=["paper"], n_test=6, cache_dir=tmp_path,
                      progress=False, figures=False)
    s = doc["sets"]["paper"]
    assert s["n_small_failed"] == 2 and s["small_failed_cases"] == [1, 4]
    r = s["subsets"]["all"]["results"][3]
    assert r["predictors"]["persistence"]["n"] == 6        # still scored on every case
    assert r["predictors"]["small_net"]["n"] == 4
    f = s["small_net_failed"][3]
    assert f["n"] == 2 and f["predictors"]["persistence"]["n"] == 2
    assert "small_net" not in f["predictors"]
    assert "small net failed" in (tmp_path / "ev" / "table.md").read_text()


class RenamedNet:
    """The real small net with every isotope but ``keep`` renamed: only ``keep`` maps."""

    def __init__(self, net, keep="si28"):
        self._net = net
        self.name, self.file_hash = net.name + "_renamed", net.file_hash + "-renamed"
        self.isotopes = [s if s == keep else "x" + s for s in net.isotopes]
        self.A, self.Z = net.A, net.Z

    def burn_batch(self, *a, **kw):
        return self._net.burn_batch(*a, **kw)


def test_unmappable_cases_count_as_small_net_failures(small_net, tmp_path):
    ren = RenamedNet(small_net)
    ts = ev.load_test_set("train-like", 12, small_net, ren, tmp_path, progress=False)
    no_si = ts.X0[:, list(small_net.isotopes).index("si28")] < 1e-10
    assert 0 < no_si.sum() < 12
    np.testing.assert_array_equal(ts.small["status"] == ev.UNMAPPABLE, no_si)
    doc = ev.score_set(ts, None, small_net, ren)
    assert doc["n_small_failed"] == no_si.sum()
    assert doc["small_failed_cases"].tolist() == np.flatnonzero(no_si).tolist()


def test_a_model_predictor_and_figures(small_net, tmp_path):
    """A predictor that burns with the engine at the generation tolerance scores exactly
    as the noise floor; its error estimate is ranked; the figures are written."""
    burns = {}

    def engine_predictor(logT, logrho, X0, dt):
        # one integration with the nine outputs, as the noise floor's (same steps)
        if "b" not in burns:
            burns["b"] = small_net.burn_batch(10.0 ** logT, 10.0 ** logrho, X0,
                                              times=list(ev.DEFAULT_TIMES), n_threads=2,
                                              **ev.GENERATION_TOL)
        b = burns["b"]
        j = int(np.argmin(np.abs(np.log(np.asarray(ev.DEFAULT_TIMES) / dt))))
        X = np.asarray(b.X)[:, j]
        return {"X": X, "eps_nuc": np.asarray(b.eps_nuc)[:, j],
                "eps_nu": np.asarray(b.eps_nu)[:, j],
                "err": np.abs(electron_fraction(X - X0, small_net.A, small_net.Z))}

    doc = ev.evaluate(model=engine_predictor, out=tmp_path / "ev", network=small_net,
                      small_net=None, sets=["train-like"], n_test=6, cache_dir=tmp_path,
                      progress=False, figures=False)
    res = doc["sets"]["train-like"]["subsets"]["all"]["results"]
    for r in res:
        p = r["predictors"]
        for k in ("eq6", "ye_rel", "eps_nuc_rel", "eps_nu_rel_p95"):
            assert p["nnn"][k] == pytest.approx(p["noise_floor"][k], rel=1e-12, abs=1e-300)
        assert 0.0 <= p["nnn"]["err_catch"] <= 1.0
    # the figures of one dt (each figure takes seconds)
    del res[1:]
    paths = plots.evaluation_figures(tmp_path, doc)
    assert sorted(p.name for p in paths) == ["fig3_train-like_dt1e-06.png",
                                             "fig4_train-like.png"]
    assert all(p.stat().st_size > 10000 for p in paths)


def test_bad_predictions_and_inputs(small_net, tmp_path):
    def nan_predictor(logT, logrho, X0, dt):
        p = ev.persistence(logT, logrho, X0, dt)
        p["eps_nuc"][2] = np.nan
        return p

    with pytest.raises(ValueError, match="non-finite eps_nuc at dt=1e-06 for test case 2"):
        ev.evaluate(model=nan_predictor, out=tmp_path / "ev", network=small_net, small_net=None,
                    sets=["paper"], n_test=4, cache_dir=tmp_path, progress=False,
                    figures=False)
    with pytest.raises(ValueError, match="test set must be one of"):
        ev.evaluate(out=tmp_path / "ev", network=small_net, sets=["bogus"], n_test=4)
    with pytest.raises(ValueError, match="n_test must be >= 2, got 1"):
        ev.evaluate(out=tmp_path / "ev", network=small_net, n_test=1)


def test_cli_shim(tmp_path):
    """``python -m nnn.evaluate`` still runs (the shim) and reports bad options."""
    r = subprocess.run([sys.executable, "-m", "nnn.evaluate", "--out", str(tmp_path / "o"),
                        "--network", SMALL, "--sets", "nope"],
                       capture_output=True, text=True, env=subprocess_env())
    assert r.returncode == 2 and "test set must be one of" in r.stderr


def test_multistep_benchmark_runtime_chain_follows_the_engine_when_every_zone_falls_back(
        small_net, trained):
    """--runtime: the fallback chain runs through nnn.Emulator with its settings; with a
    max_dye below any step's Ye change every zone-step goes to libnnn's integrator, and the
    chain is the engine's to its tolerance."""
    from pathlib import Path

    import nnn
    from nnn.emulate import runtime as rt

    if not rt.has_libtorch():
        pytest.skip("libnnn built without libtorch")
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import emulator_multistep as ms

    s, _ = trained
    em = nnn.Emulator.load(s["model"], network=small_net, max_dye=1e-12)
    res = ms.run(ev.make_predictor(s["model"], small_net), small_net, n_steps=3, n_zones=3,
                 progress=False, runtime=em)
    for r in res["rows"]:
        assert r["fallback_fraction"] == 1.0
        assert r["fallback"]["ye_max"] < 1e-9 and r["fallback"]["eq5_max"] < 1e-7


def test_multistep_benchmark_identities(small_net):
    """benchmarks/emulator_multistep.py on approx21, 4 steps: persistence's cumulative
    eps_nuc error is exactly 1 and its Ye drift is the engine's own Ye change; a predictor
    whose err always exceeds the threshold falls back everywhere and follows the engine."""
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import emulator_multistep as ms

    res = ms.run(None, small_net, n_steps=4, n_zones=3, progress=False)
    assert len(res["rows"]) == 4 and res["alive"].all() and not res["has_err"]
    T, rho, dt = res["T"], res["rho"], res["dt"]
    assert T[0, 1] == pytest.approx(2.8e9) and T[-1, 1] == pytest.approx(4e9)
    assert rho[0, 0] == pytest.approx(1e8) and rho[-1, 0] == pytest.approx(1e9)
    base = 10.0 * (0.01 / 10.0) ** np.linspace(0, 1, 4)     # 10 s -> 0.01 s, +-0.3 dex
    assert np.all(np.abs(np.log10(dt / base)) <= 0.3) and np.ptp(np.log10(dt / base)) > 0
    for r in res["rows"]:
        assert r["predictor"]["eps_cum_median"] == 1.0
        # the same |Ye_engine - Ye0|, over Ye_engine and over Ye0 respectively
        assert r["predictor"]["ye_median"] == pytest.approx(r["engine_ye_change_median"],
                                                            rel=1e-3)
        assert "fallback" not in r

    def always_unsure(logT, logrho, X0, dt):
        return {**ev.persistence(logT, logrho, X0, dt), "err": np.ones(len(logT))}

    res = ms.run(always_unsure, small_net, n_steps=4, n_zones=3, threshold=0.5, progress=False)
    for r in res["rows"]:
        assert r["fallback_fraction"] == 1.0
        assert r["fallback"]["eq5_max"] < 1e-9 and r["fallback"]["eps_cum_max"] < 1e-9
        assert r["predictor"]["eps_cum_median"] == 1.0

    # the engine as the predictor: its chain is the engine's, its local reference its own
    # step (from the input renormalised: round-off), so the drift and the dYe head's share
    # of it are round-off
    def engine(logT, logrho, X0, dt):
        X, eps, ok = ms.engine_step(small_net, 10.0 ** logT, 10.0 ** logrho, X0, dt, 1)
        assert ok.all()
        return {"X": X, "eps_nuc": eps}

    res = ms.run(engine, small_net, n_steps=4, n_zones=3, progress=False)
    for r in res["rows"]:
        assert r["ye_head_max"] < 1e-14 and r["predictor"]["ye_max"] < 1e-14
        assert r["predictor"]["eq5_max"] < 1e-12
    # persistence changes nothing, so its dYe head misses the whole local Ye change
    res = ms.run(None, small_net, n_steps=4, n_zones=3, progress=False)
    assert res["rows"][0]["ye_head_median"] == pytest.approx(
        res["rows"][0]["engine_ye_change_median"], rel=1e-3)


@pytest.mark.parametrize("name", ["paper", "train-like", "ood"])
def test_a_small_set_is_the_start_of_a_large_one(small_net, name):
    big = ev.set_inputs(name, 40, small_net, small_net)
    small = ev.set_inputs(name, 7, small_net, small_net)
    assert set(big) == set(small)
    for k in small:
        np.testing.assert_array_equal(small[k], big[k][:7], err_msg=k)
