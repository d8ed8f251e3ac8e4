import subprocess
import sys

import h5py
import numpy as np
import pytest

from conftest import FAKE, GEN, SMALL, TIMES, TOL, subprocess_env
from nnn.emulate import dataset as ds
from nnn.emulate.generate import generate

needs_engine = pytest.mark.skipif(FAKE, reason="needs the compiled engine")


def _read(path):
    with h5py.File(path, "r") as f:
        return {k: f[k][...] for k in ("inputs/logT", "inputs/logrho", "inputs/X0",
                                       "outputs/X", "outputs/eps_nuc", "outputs/eps_nu",
                                       "outputs/Ye", "outputs/status", "outputs/t",
                                       "times")}


@needs_engine
def test_kill_and_resume_64(tmp_path):
    """A run SIGKILLed after 2 of 4 chunks restarts, keeps the 2 finished chunks and gives
    exactly the same file as an uninterrupted run."""
    out = tmp_path / "d.h5"
    cmd = [sys.executable, "-m", "nnn.generate", "--network", SMALL, "--n", "64", "--seed",
           "11", "--chunk-size", "16", "--out", str(out), "--no-progress",
           "--times", ",".join(map(str, TIMES)), "--rtol", str(TOL["rtol"]),
           "--atol", str(TOL["atol"])]
    env = subprocess_env()
    p = subprocess.run(cmd + ["--kill-after-chunks", "2"], env=env, capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == -9, p.stderr  # really killed
    assert not out.exists()
    parts = sorted(ds.parts_dir(out).glob("chunk_*.h5"))
    assert len(parts) == 2
    # a half-written chunk from the killed run must be ignored
    (ds.parts_dir(out) / "chunk_000003.h5.tmp").write_bytes(b"garbage")
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert out.exists() and not ds.parts_dir(out).exists()
    meta = ds.read_meta(out)
    assert meta["last_run_samples"] == 32  # only the two missing chunks were burned
    assert meta["n_samples"] == 64 and meta["network"] == SMALL and meta["seed"] == 11
    assert len(meta["network_hash"]) == 64 and meta["nnn_version"]
    assert meta["times"] == pytest.approx(list(TIMES))
    ref = generate(tmp_path / "ref.h5", network=SMALL, n_samples=64, seed=11, chunk_size=16,
                   progress=False, **GEN)
    a, b = _read(out), _read(ref)
    for k in a:
        assert np.array_equal(a[k], b[k]), k
    n_t = len(TIMES) + meta["n_random_times"]
    assert a["outputs/X"].shape == (64, n_t, len(meta["isotopes"]))
    # every sample's times: the fixed ones plus random ones inside [first, last fixed time],
    # shared by blocks of TIME_BLOCK samples and different between blocks
    t = a["outputs/t"]
    assert all(np.isin(np.asarray(TIMES), row).all() for row in t)
    assert t.min() >= TIMES[0] and t.max() <= TIMES[-1] and (np.diff(t, axis=1) > 0).all()
    assert ds.TIME_BLOCK == 64 and (t == t[0]).all()
    assert (a["outputs/status"] == 0).mean() > 0.75
    ok = a["outputs/status"] == 0
    np.testing.assert_allclose(a["outputs/X"][ok].sum(-1), 1.0, atol=1e-6)
    # composition changes with time: at the last time it differs from X0
    assert np.abs(a["outputs/X"][ok, -1] - a["inputs/X0"][ok]).max() > 1e-3


def test_determinism_and_seed(small_net, tmp_path):
    a = generate(tmp_path / "a.h5", network=small_net, n_samples=32, seed=5, chunk_size=32,
                 progress=False, **GEN)
    b = generate(tmp_path / "b.h5", network=small_net, n_samples=32, seed=5, chunk_size=8,
                 progress=False, **GEN)
    c = generate(tmp_path / "c.h5", network=small_net, n_samples=32, seed=6, chunk_size=32,
                 progress=False, **GEN)
    ra, rb, rc = _read(a), _read(b), _read(c)
    for k in ra:
        assert np.array_equal(ra[k], rb[k]), k
    assert not np.allclose(ra["inputs/X0"], rc["inputs/X0"])
    assert not np.allclose(ra["outputs/t"], rc["outputs/t"])
    ye0 = ra["inputs/X0"] @ (np.asarray(small_net.Z) / np.asarray(small_net.A))
    assert ye0.min() >= 0.45 - 1e-9 and ye0.max() <= 0.5 + 1e-9
    assert ra["inputs/logT"].min() >= 9.2 and ra["inputs/logT"].max() <= 9.8


def test_resume_with_other_settings_refused(small_net, tmp_path):
    out = tmp_path / "d.h5"
    kw = dict(network=small_net, n_samples=16, chunk_size=8, progress=False, **GEN)
    # an interrupted run started with seed 1: its parts (inputs + spec) exist, no chunk yet
    from nnn.emulate.generate import make_inputs

    s = ds.DatasetSpec(network=small_net.name, network_hash=small_net.file_hash,
                       isotopes=list(small_net.isotopes), A=[int(a) for a in small_net.A],
                       Z=[int(z) for z in small_net.Z], n_samples=16, seed=1, chunk_size=8,
                       times=TIMES, **TOL)
    assert ds.start_or_resume(out, s, lambda: make_inputs(s)) == []
    with pytest.raises(ValueError, match="setting 'seed' was 1 when the run started and is 2"):
        generate(out, seed=2, **kw)
    # the same settings resume and finish it
    generate(out, seed=1, **kw)
    assert ds.read_meta(out)["last_run_samples"] == 16
    # an existing finished set is not overwritten silently
    with pytest.raises(FileExistsError, match="already exists"):
        generate(out, seed=1, **kw)
    generate(out, seed=1, overwrite=True, **kw)


def test_bad_generate_input(small_net, tmp_path):
    with pytest.raises(ValueError, match="n_samples"):
        generate(tmp_path / "x.h5", network=small_net, n_samples=0)
    with pytest.raises(ValueError, match="times"):
        generate(tmp_path / "x.h5", network=small_net, n_samples=4, times=[1.0, 0.1])
    with pytest.raises(ValueError, match="ye_range"):
        generate(tmp_path / "x.h5", network=small_net, n_samples=4, ye_range=(0.5, 0.4))


@needs_engine
def test_unknown_network_cli(tmp_path):
    p = subprocess.run([sys.executable, "-m", "nnn.generate", "--network", "no_such_net",
                        "--n", "4", "--out", str(tmp_path / "x.h5")], env=subprocess_env(),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode != 0
    assert "no_such_net" in p.stderr


@needs_engine
def test_dask_local_cluster_matches_local(tmp_path):
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, processes=False,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        a = generate(tmp_path / "dask.h5", network=SMALL, n_samples=48, seed=2, chunk_size=16,
                     scheduler=cluster.scheduler_address, progress=False, **GEN)
        assert client.scheduler_info()["workers"]
    b = generate(tmp_path / "local.h5", network=SMALL, n_samples=48, seed=2, chunk_size=16,
                 progress=False, **GEN)
    ra, rb = _read(a), _read(b)
    for k in ra:
        assert np.array_equal(ra[k], rb[k]), k
    assert ds.read_meta(a)["scheduler"].startswith(("tcp://", "inproc://"))


@needs_engine
def test_worker_processes_match_local(tmp_path):
    """Chunks burned by two worker processes (one engine thread each, finished out of order)
    give the same file as one process; a bad worker count is refused before any burn."""
    a = generate(tmp_path / "workers.h5", network=SMALL, n_samples=48, seed=2, chunk_size=8,
                 n_workers=2, progress=False, **GEN)
    b = generate(tmp_path / "local.h5", network=SMALL, n_samples=48, seed=2, chunk_size=8,
                 progress=False, **GEN)
    ra, rb = _read(a), _read(b)
    for k in ra:
        assert np.array_equal(ra[k], rb[k]), k
    assert ds.read_meta(a)["n_workers"] == 2
    with pytest.raises(ValueError, match="n_workers = 0 must be >= 1"):
        generate(tmp_path / "bad.h5", network=SMALL, n_samples=8, n_workers=0,
                 progress=False, **GEN)
    assert not ds.parts_dir(tmp_path / "bad.h5").exists()


def test_time_blocks_independent_of_chunking():
    """Random output times depend on the seed and the sample's block only."""
    spec = ds.DatasetSpec(network="x", network_hash="0", isotopes=["a"], A=[1], Z=[1],
                          n_samples=300, seed=9, times=(1e-6, 1.0, 100.0))
    whole = spec.sample_times(slice(0, 300))
    parts = np.concatenate([spec.sample_times(slice(a, min(a + 37, 300)))
                            for a in range(0, 300, 37)])
    assert np.array_equal(whole, parts)
    assert whole.shape == (300, 3 + 8)
    blocks = [whole[b * ds.TIME_BLOCK] for b in range(5)]
    assert len({tuple(r) for r in blocks}) == 5
    extra = np.log10(np.concatenate([np.setdiff1d(r, spec.times) for r in whole[::64]]))
    assert extra.min() >= -6 and extra.max() <= 2


@needs_engine
def test_finish_prefix_equals_smaller_run(small_net, tmp_path):
    """The first N samples of an unfinished larger run are the set `--n N` makes."""
    from nnn.emulate.burn import burn_chunk
    from nnn.emulate.generate import make_inputs

    run = tmp_path / "big.h5"
    spec = ds.DatasetSpec(network=small_net.name, network_hash=small_net.file_hash,
                          isotopes=list(small_net.isotopes), A=[int(a) for a in small_net.A],
                          Z=[int(z) for z in small_net.Z], n_samples=128, seed=8,
                          chunk_size=16, times=TIMES, **TOL)
    ds.start_or_resume(run, spec, lambda: make_inputs(spec))
    inp = ds.read_inputs(run)
    for i in range(2):  # the run stopped after 2 of its 8 chunks
        sl = spec.chunk_slice(i)
        ds.write_chunk(run, i, burn_chunk(small_net, inp["logT"][sl], inp["logrho"][sl],
                                          inp["X0"][sl], spec.sample_times(sl), TOL["rtol"],
                                          TOL["atol"]))
    with pytest.raises(ValueError, match="not finished chunk 2"):
        ds.finish_prefix(run, 48, tmp_path / "p48.h5")
    part = ds.finish_prefix(run, 32, tmp_path / "p32.h5")
    assert ds.parts_dir(run).exists()  # the run can still be resumed
    ref = generate(tmp_path / "ref.h5", network=small_net, n_samples=32, seed=8, chunk_size=16,
                   progress=False, **GEN)
    a, b = _read(part), _read(ref)
    for k in a:
        assert np.array_equal(a[k], b[k]), k


def test_burned_start_pairs_are_burns_of_the_burned_composition(dataset, small_net):
    """Every pair (X(t_i) -> X(t_j)) cut from one integration equals the engine's burn of
    X(t_i) over t_j - t_i at tight tolerance; its energies (differences of the stored
    integrals) agree, or are NaN where the integrals cannot resolve them -- never wrong."""
    d = ds.load_pairs(dataset, burned_starts=3, seed=5)
    b = np.flatnonzero(d["burned"])
    n_fresh = int((~d["burned"]).sum())
    assert 0.9 * 3 * 256 < len(b) <= 3 * 256
    assert n_fresh == 256 * (len(TIMES) + 8)
    assert (d["dt"][b] >= TIMES[0]).all()
    np.testing.assert_allclose(d["X0"][b].sum(1), 1.0, rtol=1e-12)
    # same draw for the same seed, another for another seed
    again = ds.load_pairs(dataset, burned_starts=3, seed=5)
    other = ds.load_pairs(dataset, burned_starts=3, seed=6)
    np.testing.assert_array_equal(again["dt"][b], d["dt"][b])
    assert not np.array_equal(other["dt"][other["burned"]], d["dt"][b])
    ref = {"X": [], "eps_nuc": [], "eps_nu": []}
    for k in b:
        r = small_net.burn_batch([10.0 ** d["logT"][k]], [10.0 ** d["logrho"][k]],
                                 d["X0"][k][None, :], times=[float(d["dt"][k])], rtol=1e-10,
                                 atol=1e-14)
        assert int(np.asarray(r.status).ravel()[0]) == 0
        for key in ref:
            ref[key].append(np.asarray(getattr(r, key), float).reshape(-1))
    ref = {key: np.array(v).squeeze() for key, v in ref.items()}
    assert np.abs(d["X"][b] - ref["X"]).max() < 2e-5
    # the generation's atol (1e-10 in X) times ~8 MeV/nucleon is ~1e9 erg/g of energy noise:
    # relative agreement is asked above that
    for key, floor in (("eps_nuc", 1e9), ("eps_nu", 1e9 / d["dt"][b])):
        known = np.isfinite(d[key][b])
        assert known.mean() > 0.5, key
        err = np.abs(d[key][b] - ref[key])[known]
        assert (err <= 1e-3 * np.abs(ref[key][known]) + np.broadcast_to(floor, known.shape)[
            known]).all(), key


def test_burned_starts_bad_input(dataset):
    with pytest.raises(ValueError, match="burned_starts must be an integer >= 0, got -1"):
        ds.load_pairs(dataset, burned_starts=-1)
    for bad in (1.5, float("nan"), True):
        with pytest.raises(ValueError, match="burned_starts must be an integer >= 0, got "
                                             + repr(bad)):
            ds.load_pairs(dataset, burned_starts=bad)
    with pytest.raises(ValueError, match="needs all output times"):
        ds.load_pairs(dataset, dt=1e-4, burned_starts=2)


def test_burned_start_energy_not_resolved_is_nan():
    """Energy released in the first microseconds and none after: the later steps' energy,
    a difference of two nearly equal integrals, would be the generation's noise; it must be
    unknown (NaN), while a resolved one is the exact difference."""
    t = np.array([[1e-6, 1e-3, 1.0, 100.0]])
    X = np.tile(np.array([0.5, 0.5]), (1, 4, 1))
    eps_nuc = np.array([[1e17, 1e17 + 1e9, 1e17 + 2e9, 3e17]])     # erg/g released by t
    eps_nu = np.array([[1e20, 1e17, 1e14 + 3.0, 1e12 + 5.0]])      # mean erg/g/s over [0, t]
    row, i, j, dt, X0, Xj, e_nuc, e_nu = ds.burned_start_pairs(t, X, eps_nuc, eps_nu, 6, 0,
                                                               1e-6)
    assert len(row) == 6
    for a, b, en, nu in zip(i, j, e_nuc, e_nu):
        if b == 3:   # 2e17 erg/g released in the last interval: resolved
            assert en == pytest.approx(eps_nuc[0, 3] - eps_nuc[0, a], rel=1e-12)
        else:
            assert np.isnan(en)
        assert np.isnan(nu)  # the loss integral stays 1e14 erg/g after the first microsecond


def test_generate_burns_the_given_starts(small_net, tmp_path):
    """``starts``: the set burns the compositions the given function returns (here the
    sampler's, rolled by one isotope), records its description, and its pairs are the
    engine's burns of them."""
    from nnn.emulate.generate import make_inputs

    def make(spec):
        d = make_inputs(spec)
        d["X0"] = np.roll(d["X0"], 1, axis=1)
        return d

    path = generate(tmp_path / "own.h5", network=small_net, n_samples=64, seed=3,
                    progress=False, starts=("rolled by one isotope", make), **GEN)
    assert ds.read_meta(path)["starts"] == "rolled by one isotope"
    d = ds.load_pairs(path)
    spec_X0 = np.roll(ds.load_pairs(generate(tmp_path / "plain.h5", network=small_net,
                                             n_samples=64, seed=3, progress=False, **GEN)
                                    )["X0"], 1, axis=1)
    np.testing.assert_array_equal(d["X0"], spec_X0)
    k = 5
    r = small_net.burn_batch([10.0 ** d["logT"][k]], [10.0 ** d["logrho"][k]], d["X0"][k][None, :],
                             times=[float(d["dt"][k])], rtol=1e-10, atol=1e-14)
    assert np.abs(d["X"][k] - np.asarray(r.X, float).reshape(-1)).max() < 2e-5


@needs_engine
def test_ash_starts_are_near_equilibrium(small_net, tmp_path):
    """benchmarks/emulator_ash_starts.py: each start is the sampler's composition burned by
    the engine near its own (T, rho), so in the set's first microsecond it changes far less
    than the sampler's fresh mixture of the same seed does (whose trace nuclei equilibrate
    then), and the set records where its starts come from."""
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    import emulator_ash_starts as ash

    kw = dict(network=small_net, n_samples=32, seed=3, progress=False, **GEN)
    a = generate(tmp_path / "ash.h5", starts=ash.ash_starts(threads=1), **kw)
    p = generate(tmp_path / "plain.h5", **kw)
    assert ds.read_meta(a)["starts"].startswith("the sampler's, pre-burned by the engine")
    da, dp = _read(a), _read(p)
    np.testing.assert_array_equal(da["inputs/logT"], dp["inputs/logT"])
    assert not np.allclose(da["inputs/X0"], dp["inputs/X0"])
    change = {k: np.abs(d["outputs/X"][:, 0] - d["inputs/X0"]).sum(axis=1)   # sum |dX| in 1e-6 s
              for k, d in (("ash", da), ("plain", dp))}
    assert np.median(change["ash"]) < 0.1 * np.median(change["plain"])
