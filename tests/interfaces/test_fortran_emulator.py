"""The Fortran emulator path (module nnn_emulation, `emulator=` of nnn_burn /
nnn_burn_zones) against Python's nnn.Emulator, on small TorchScript models of
approx21_cr60_plus_co56 in the format nnn-emulator-2
(tests/emulator/emulator_models.py):

* zones the emulator does: Fortran gives Python's X, eps_nuc, eps_nu, Ye and
  err bit for bit (same libtorch, same model, same batch shape:
  nnn_burn_zones vs burn_batch, nnn_burn vs burn); the one-zone call (batch
  1) against Python's batch of 40 agrees to the float32 trunk's round-off;
* fallback: used_fallback is Python's `path` zone by zone for every path a
  caller sees with the default settings (domain, dt outside the model's
  range, sanity, energy consistency, |dYe| bound), and fallback zones carry
  exactly the integrator's result;
* a corrupt, old-format or mismatched model gives ierr = NNN_EMULATOR_FILE (4)
  and the message Python gives; loading by network name; an emulator of
  another network is refused per call; bad settings give ierr = 1;
* examples/fortran/03_mesa_like_column runs, with the domain fallbacks the
  history implies, the same results on 1 and 8 OpenMP threads, and sane
  differences; its Fortran-vs-C call overhead is printed.

Skipped only when libtorch is missing (torch not importable, or libnnn or
nnn.Emulator built without it); then test_available_matches_libnnn checks
that a load fails cleanly with ierr = 4. The CMake build and f90wrap wrapper are the
session fixtures of conftest.py (configured with Torch_DIR when torch is
importable).
"""

import ctypes
import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nnn
from interface_helpers import ROOT, fortran_zones, fstr, print_agreement, run
SMALL = "approx21_cr60_plus_co56"
RTOL_INTEGRATOR = 1e-12  # CMake-built libnnn vs the Python extension, integrator (as test_c_fortran)
RTOL_BATCH = 1e-5        # float32 trunk, batch 1 vs batch 40: eps, err relative to the batch's largest
ATOL_BATCH_X = 1e-6      # ... and X, absolute
EMULATOR, FALLBACK_DOMAIN, FALLBACK_DT, FALLBACK_SANITY = 0, 1, 2, 3
FALLBACK_YE_CHANGE = 8  # NNN_PATH_FALLBACK_YE_CHANGE (nnn_capi.f90, include/nnn_emulator.h)
NNN_PATH_NONE = -1
AGREEMENT: dict = {}


# --------------------------------------------------------------------------- helpers
def max_rel(a, b) -> float:
    a, b = np.asarray(a, float), np.asarray(b, float)
    assert a.shape == b.shape
    scale = np.maximum(np.abs(b), 1e-300)
    return float(np.max(np.abs(a - b) / scale, initial=0.0))


def x_rel(a, b, floor=1e-12) -> float:
    """Relative difference of mass fractions, ignoring X below floor."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return float(np.max(np.abs(a - b) / np.maximum(np.abs(b), floor), initial=0.0))


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def models_lib():
    """tests/emulator/emulator_models.py, or a skip if libtorch is missing."""
    pytest.importorskip("torch", reason="libtorch is missing (torch not importable)")
    from nnn.emulate import runtime as nnn_emulator
    if not nnn_emulator.has_libtorch():
        pytest.skip("nnn was built without libtorch: the emulator path is not available")
    d = str(ROOT / "tests" / "emulator")
    if d not in sys.path:
        sys.path.insert(0, d)
    import emulator_models
    return emulator_models


@pytest.fixture(scope="module")
def cmake_torch(cmake_build, models_lib):
    """The session's CMake build, if its libnnn has the emulator (libtorch)."""
    lib = ctypes.CDLL(str(cmake_build.libnnn))
    if not lib.nnn_emulator_has_libtorch():
        pytest.skip("the CMake-built libnnn has no libtorch (Torch_DIR not found by CMake)")
    return cmake_build


@pytest.fixture(scope="module")
def pynet(models_lib):
    return nnn.Network.load(SMALL)


@pytest.fixture(scope="module")
def tiny(models_lib, pynet, tmp_path_factory) -> Path:
    """A random-weight BurnStepNet of the small net (dt 1e-4 .. 1 s)."""
    return models_lib.tiny_model(pynet, tmp_path_factory.mktemp("fmodels") / f"{SMALL}.pt", seed=1)


@pytest.fixture(scope="module")
def mixed(models_lib, pynet, tmp_path_factory):
    """Zones of paths 0, 1, 3, 4, 5 and their TableModel (emulator_models.mixed_case)."""
    return models_lib.mixed_case(pynet, tmp_path_factory.mktemp("fmixed"))


@pytest.fixture(scope="module")
def F(cmake_torch, fortran_py):
    return fortran_py


@pytest.fixture(scope="module")
def fnet(F, pynet):
    """The small net, loaded from the same file as Python's (error messages name the path)."""
    N = F.nnn_network
    net = N.nnn_network_t()
    assert N.nnn_load_network(net, str(pynet.path)) == 0, fstr(N.nnn_error_message())
    yield net
    N.nnn_free_network(net)


def load_fortran(F, fnet, path, **kw):
    E = F.nnn_emulation
    em = E.nnn_emulator_t()
    ierr = E.nnn_load_emulator(em, fnet, str(path), **kw)
    return em, ierr, fstr(F.nnn_network.nnn_error_message())


NO_CHECKS_F = {"check_energy": False, "check_dye": False}


@pytest.fixture(scope="module")
def fem(F, fnet, tiny):
    em, ierr, msg = load_fortran(F, fnet, tiny, **NO_CHECKS_F)
    assert ierr == 0, msg
    yield em
    F.nnn_emulation.nnn_free_emulator(em)


@pytest.fixture(scope="module")
def pyem(pynet, tiny, models_lib):
    return nnn.Emulator.load(tiny, network=pynet, **models_lib.NO_CHECKS)


def f_burn_one(F, fnet, fem, T, rho, X, dt):
    """nnn_burn(..., emulator=fem) zone by zone -> X, eps_nuc, eps_nu, Ye, path, err, ierr."""
    B = F.nnn_burning
    out = {k: [] for k in ("X", "eps_nuc", "eps_nu", "Ye", "path", "err", "ierr", "n_steps")}
    for t, r, x in zip(T, rho, X):
        xf = np.array(x, dtype=np.float64)
        ye, path, steps = np.zeros((), np.float64), np.full((), -9, np.int32), np.zeros((), np.int32)
        err = np.full((), -9.0)
        en, ev, ierr = B.nnn_burn(fnet, float(t), float(r), xf, dt, ye=ye, n_steps=steps,
                                  emulator=fem, used_fallback=path, err=err)
        for k, v in (("X", xf), ("eps_nuc", en), ("eps_nu", ev), ("Ye", float(ye)), ("path", int(path)),
                     ("err", float(err)), ("ierr", ierr), ("n_steps", int(steps))):
            out[k].append(v)
    return {k: np.array(v) for k, v in out.items()}


def f_burn_zones(F, fnet, fem, T, rho, X, dt, n_threads=2):
    B = F.nnn_burning
    nz = len(T)
    Xf = fortran_zones(X)
    en, ev, err = np.zeros(nz), np.zeros(nz), np.full(nz, -9.0)
    st, path = np.full(nz, -9, np.int32), np.full(nz, -9, np.int32)
    ierr = B.nnn_burn_zones(fnet, np.asarray(T, float), np.asarray(rho, float), Xf, dt, en, ev,
                            zone_status=st, n_threads=n_threads, emulator=fem, used_fallback=path, err=err)
    return dict(X=Xf.T.copy(), eps_nuc=en, eps_nu=ev, status=st, path=path, err=err, ierr=ierr)


# --------------------------------------------------------------------------- load, info
def test_available_matches_libnnn(cmake_build, fortran_py, tmp_path):
    """Runs with or without libtorch: nnn_emulator_available() is libnnn's
    nnn_emulator_has_libtorch(); without it a load fails with ierr = 4 and
    says so (the module is the same either way)."""
    N, E = fortran_py.nnn_network, fortran_py.nnn_emulation
    has = bool(ctypes.CDLL(str(cmake_build.libnnn)).nnn_emulator_has_libtorch())
    assert bool(E.nnn_emulator_available()) == has
    if has:
        return
    net = N.nnn_network_t()
    assert N.nnn_load_network(net, SMALL) == 0
    try:
        f = tmp_path / "model.pt"
        f.write_bytes(b"PK")
        em = E.nnn_emulator_t()
        assert E.nnn_load_emulator(em, net, str(f)) == 4
        assert "built without libtorch" in fstr(N.nnn_error_message())
        assert not E.nnn_emulator_loaded(em)
    finally:
        N.nnn_free_network(net)


def test_available_and_domain(F, fem, models_lib):
    E = F.nnn_emulation
    assert E.nnn_emulator_available()
    assert E.nnn_emulator_loaded(fem)
    lt, lr, ye, ldt = np.zeros(2), np.zeros(2), np.zeros(2), np.zeros(2)
    assert E.nnn_emulator_domain(fem, logt=lt, logrho=lr, ye=ye, logdt=ldt) == 0
    dom = models_lib.DOMAIN
    assert (list(lt), list(lr), list(ye), list(ldt)) == (dom["logT"], dom["logrho"], dom["Ye"], dom["logdt"])
    assert E.nnn_emulator_domain(E.nnn_emulator_t()) == 1
    assert "emulator is not loaded" in fstr(F.nnn_network.nnn_error_message())


def test_load_by_network_name(F, fnet, tiny, tmp_path, monkeypatch, pynet, models_lib):
    (tmp_path / "emulators").mkdir()
    shutil.copy(tiny, tmp_path / "emulators" / f"{SMALL}.pt")
    monkeypatch.setenv("NNN_NETWORK_DATA", str(tmp_path))
    em, ierr, msg = load_fortran(F, fnet, SMALL, **NO_CHECKS_F)
    assert ierr == 0, msg
    try:
        T, rho, X = models_lib.zones(pynet, 3)
        a = f_burn_zones(F, fnet, em, T, rho, X, 1e-2)
        b = nnn.Emulator.load(tiny, network=pynet, **models_lib.NO_CHECKS).burn_batch(T, rho, X, 1e-2)
        np.testing.assert_array_equal(a["X"], b.X)
    finally:
        F.nnn_emulation.nnn_free_emulator(em)
    em, ierr, msg = load_fortran(F, fnet, "no_such_network")
    assert ierr == 4 and "emulators/no_such_network.pt" in msg


# --------------------------------------------------------------------------- parity with Python
@pytest.mark.parametrize("dt", [1e-2, 0.37])
def test_emulated_zones_match_python(F, fnet, fem, pyem, pynet, models_lib, dt):
    m = models_lib
    T, rho, X = m.zones(pynet, 40)
    b = pyem.burn_batch(T, rho, X, dt, n_threads=2)
    assert (b.path == EMULATOR).all()

    # nnn_burn_zones(emulator=): the same batch as Python -> bit-identical
    z = f_burn_zones(F, fnet, fem, T, rho, X, dt)
    assert z["ierr"] == 0 and (z["status"] == 0).all() and (z["path"] == EMULATOR).all()
    for k in ("X", "eps_nuc", "eps_nu", "err"):
        np.testing.assert_array_equal(z[k], getattr(b, k))
    assert (z["err"] > 0).all()

    # nnn_burn(emulator=) zone by zone (batch 1): bit-identical to Python's em.burn
    o = f_burn_one(F, fnet, fem, T, rho, X, dt)
    assert (o["ierr"] == 0).all() and (o["path"] == EMULATOR).all() and (o["n_steps"] == 0).all()
    for k in range(len(T)):
        r = pyem.burn(float(T[k]), float(rho[k]), X[k], dt)
        assert r.path == EMULATOR
        np.testing.assert_array_equal(o["X"][k], r.X)
        assert (o["eps_nuc"][k], o["eps_nu"][k], o["Ye"][k], o["err"][k]) == (r.eps_nuc, r.eps_nu, r.Ye, r.err)
    # ... and against the batch of 40: the float32 trunk's round-off in a different GEMM shape
    dx = float(np.max(np.abs(o["X"] - b.X)))
    de = max(float(np.max(np.abs(o[k] - getattr(b, k)))) / float(np.max(np.abs(getattr(b, k))))
             for k in ("eps_nuc", "eps_nu", "err"))
    AGREEMENT[f"nnn_burn(emulator) batch 1 vs Python batch 40, dt {dt}: X (abs)"] = dx
    AGREEMENT[f"nnn_burn(emulator) batch 1 vs Python batch 40, dt {dt}: eps, err (rel. to max)"] = de
    assert dx <= ATOL_BATCH_X and de <= RTOL_BATCH
    np.testing.assert_allclose(o["X"].sum(axis=1), 1, atol=1e-14)
    AGREEMENT["nnn_burn_zones(emulator) vs Python burn_batch (bit-identical)"] = 0.0
    AGREEMENT["nnn_burn(emulator) vs Python Emulator.burn (bit-identical)"] = 0.0


def test_fallback_exactly_as_python(F, fnet, fem, pyem, pynet, models_lib):
    """Zones outside the domain (and only those) go to the integrator, in
    Fortran as in Python, and carry the integrator's own result."""
    m = models_lib
    dom = m.DOMAIN
    T, rho, X = m.zones(pynet, 12, seed=3)
    T[1] = 10 ** (dom["logT"][0] - 0.05)     # too cold
    T[4] = 10 ** (dom["logT"][1] + 0.05)     # too hot
    rho[6] = 10 ** (dom["logrho"][1] + 0.1)  # too dense
    rho[7] = 10 ** (dom["logrho"][0] - 0.1)  # too thin
    X[9] = pynet.composition({"fe56": 1.0})  # Ye = 0.464 < 0.47
    T[10] = 10 ** dom["logT"][1]             # on the edge: inside (closed)
    out = [1, 4, 6, 7, 9]
    expect = np.full(len(T), EMULATOR)
    expect[out] = FALLBACK_DOMAIN

    b = pyem.burn_batch(T, rho, X, m.DT, n_threads=2)
    np.testing.assert_array_equal(b.path, expect)
    z = f_burn_zones(F, fnet, fem, T, rho, X, m.DT)
    o = f_burn_one(F, fnet, fem, T, rho, X, m.DT)
    assert z["ierr"] == 0 and (o["ierr"] == 0).all()
    np.testing.assert_array_equal(z["path"], b.path)
    np.testing.assert_array_equal(o["path"], b.path)
    np.testing.assert_array_equal(z["X"], b.X)  # emulator zones bit-identical, fallback within RTOL below
    assert (z["err"][out] == 0).all() and (o["err"][out] == 0).all()
    z8 = f_burn_zones(F, fnet, fem, T, rho, X, m.DT, n_threads=8)  # threads change nothing
    for k in ("X", "eps_nuc", "eps_nu", "path", "status", "err"):
        np.testing.assert_array_equal(z8[k], z[k])

    # fallback zones: exactly the Fortran integrator's result (same library), and Python's
    B = F.nnn_burning
    worst = 0.0
    for k in out:
        xf = np.array(X[k], dtype=np.float64)
        ye, steps = np.zeros(()), np.zeros((), np.int32)
        en, ev, ierr = B.nnn_burn(fnet, float(T[k]), float(rho[k]), xf, m.DT, ye=ye, n_steps=steps)
        assert ierr == 0
        np.testing.assert_array_equal(o["X"][k], xf)
        np.testing.assert_array_equal(z["X"][k], xf)
        assert (o["eps_nuc"][k], o["eps_nu"][k], o["Ye"][k], o["n_steps"][k]) == (en, ev, float(ye), int(steps))
        assert (z["eps_nuc"][k], z["eps_nu"][k]) == (en, ev)
        r = pynet.burn(T=float(T[k]), rho=float(rho[k]), X=X[k], dt=m.DT)
        worst = max(worst, x_rel(xf, r.X), max_rel(en, r.eps_nuc), max_rel(ev, r.eps_nu))
    AGREEMENT["fallback zones, Fortran vs Python"] = worst
    assert worst <= RTOL_INTEGRATOR
    assert o["n_steps"][out].min() > 0 and (o["n_steps"][expect == EMULATOR] == 0).all()


def test_dt_outside_range(F, fnet, fem, pyem, pynet, models_lib):
    T, rho, X = models_lib.zones(pynet, 4, seed=5)
    for dt in (5e-5, 3.0):
        o = f_burn_one(F, fnet, fem, T, rho, X, dt)
        z = f_burn_zones(F, fnet, fem, T, rho, X, dt)
        b = pyem.burn_batch(T, rho, X, dt)
        assert (o["path"] == FALLBACK_DT).all() and (z["path"] == FALLBACK_DT).all()
        assert (b.path == FALLBACK_DT).all()
        np.testing.assert_array_equal(z["X"], b.X)


def test_every_check_as_python(F, fnet, pynet, mixed):
    """Zones of every path with the default settings (emulator, domain, sanity,
    energy, |dYe|): Fortran's used_fallback, X, eps and err are Python's."""
    T, rho, X, dt, model, paths = mixed
    em, ierr, msg = load_fortran(F, fnet, model)
    assert ierr == 0, msg
    try:
        b = nnn.Emulator.load(model, network=pynet).burn_batch(T, rho, X, dt)
        np.testing.assert_array_equal(b.path, paths)
        for r in (f_burn_zones(F, fnet, em, T, rho, X, dt), f_burn_one(F, fnet, em, T, rho, X, dt)):
            np.testing.assert_array_equal(r["path"], paths)
            for k in ("X", "eps_nuc", "eps_nu", "err"):
                np.testing.assert_array_equal(r[k], getattr(b, k))
            assert np.isfinite(r["X"]).all() and np.isfinite(r["eps_nuc"]).all()
    finally:
        F.nnn_emulation.nnn_free_emulator(em)


def test_without_emulator_used_fallback_is_none(F, fnet, pynet, models_lib):
    """The same calls without emulator= are the integrator's; used_fallback = -1, err = 0."""
    m = models_lib
    T, rho, X = m.zones(pynet, 3, seed=9)
    B = F.nnn_burning
    xf = np.array(X[0])
    path = np.full((), 7, np.int32)
    err = np.full((), 7.0)
    en, ev, ierr = B.nnn_burn(fnet, float(T[0]), float(rho[0]), xf, m.DT, used_fallback=path, err=err)
    assert ierr == 0 and int(path) == NNN_PATH_NONE and float(err) == 0
    r = pynet.burn(T=float(T[0]), rho=float(rho[0]), X=X[0], dt=m.DT)
    assert max_rel(en, r.eps_nuc) <= RTOL_INTEGRATOR
    Xf = fortran_zones(X)
    paths = np.full(3, 7, np.int32)
    assert B.nnn_burn_zones(fnet, T, rho, Xf, m.DT, np.zeros(3), np.zeros(3), used_fallback=paths) == 0
    assert (paths == NNN_PATH_NONE).all()


# --------------------------------------------------------------------------- errors
def test_bad_models_give_ierr_4(F, fnet, pynet, models_lib, tmp_path):
    """Every corrupt, old-format or mismatched model of tests/emulator: ierr =
    NNN_EMULATOR_FILE with the words Python's EmulatorFileError has; the
    handle stays unloaded."""
    E = F.nnn_emulation
    cases = models_lib.bad_models(pynet, tmp_path / "bad")
    assert len(cases) >= 10
    for name, (path, words) in cases.items():
        em, ierr, msg = load_fortran(F, fnet, path)
        assert ierr == 4, (name, ierr, msg)
        assert not E.nnn_emulator_loaded(em), name
        for w in words:
            assert w in msg, (name, w, msg)
        with pytest.raises(nnn.emulate.runtime.EmulatorFileError) as e:
            nnn.Emulator.load(path, network=pynet)
        assert str(e.value.args[0]).strip() == msg, name  # the same message, word for word


def test_mismatched_network_and_bad_arguments(F, fnet, fem, pynet, models_lib, tiny):
    N, E, B = F.nnn_network, F.nnn_emulation, F.nnn_burning
    m = models_lib
    x = pynet.composition({"si28": 0.6, "s32": 0.4})
    # an emulator of the small net used with mesa_80: refused on every call
    other = N.nnn_network_t()
    assert N.nnn_load_network(other, "mesa_80") == 0
    try:
        xo = np.zeros(N.nnn_n_species(other))
        i_si, _ = N.nnn_isotope_index(other, "si28")
        xo[i_si - 1] = 1.0
        x_before = xo.copy()
        en, ev, ierr = B.nnn_burn(other, 3e9, 1e8, xo, m.DT, emulator=fem)
        msg = fstr(N.nnn_error_message())
        assert ierr == 4 and "approx21_cr60_plus_co56" in msg and "mesa_80" in msg, msg
        assert (xo == x_before).all() and en == 0
        ierr = B.nnn_burn_zones(other, np.array([3e9]), np.array([1e8]), fortran_zones([xo]), m.DT,
                                np.zeros(1), np.zeros(1), emulator=fem)
        assert ierr == 4
        # loading the small net's model for mesa_80: the isotope lists differ
        em, ierr, msg = load_fortran(F, other, tiny)
        assert ierr == 4 and "mesa_80" in msg and SMALL in msg, msg
    finally:
        N.nnn_free_network(other)
    # an emulator that was never loaded
    empty = E.nnn_emulator_t()
    path = np.full((), 7, np.int32)
    en, ev, ierr = B.nnn_burn(fnet, 3e9, 1e8, x.copy(), m.DT, emulator=empty, used_fallback=path)
    assert ierr == 1 and "emulator is not loaded" in fstr(N.nnn_error_message())
    assert int(path) == NNN_PATH_NONE
    E.nnn_free_emulator(empty)  # no-op
    # bad load settings: named with their value; the handle stays unloaded
    for kw, text in (({"torch_threads": -1}, "torch_threads = -1"),
                     ({"sum_tolerance": -1.0}, "sum_tolerance = -1"),
                     ({"max_error": -0.5}, "max_error = -0.5"),
                     ({"max_dye": 1.5}, "max_dye = 1.5"),
                     ({"dye_safety": 0.0}, "dye_safety = 0")):
        em, ierr, msg = load_fortran(F, fnet, tiny, **kw)
        assert ierr == 1 and text in msg and not E.nnn_emulator_loaded(em), (kw, msg)
    em, ierr, msg = load_fortran(F, fnet, "")
    assert ierr == 1 and "model = '' is empty" in msg
    em, ierr, msg = load_fortran(F, N.nnn_network_t(), tiny)
    assert ierr == 1 and "net is not loaded" in msg
    # invalid input with the emulator: rejected before any work, path = -1
    xb = x.copy()
    xb[0] = -0.5
    en, ev, ierr = B.nnn_burn(fnet, 3e9, 1e8, xb, m.DT, emulator=fem, used_fallback=path)
    assert ierr == 1 and int(path) == NNN_PATH_NONE
    paths = np.full(2, 7, np.int32)
    Xf = fortran_zones([x, xb])
    X_before = Xf.copy()
    st = np.zeros(2, np.int32)
    ierr = B.nnn_burn_zones(fnet, np.array([3e9, 3e9]), np.array([1e8, 1e8]), Xf, m.DT, np.zeros(2), np.zeros(2),
                            zone_status=st, emulator=fem, used_fallback=paths)
    assert ierr == 1 and (st == 1).all() and (paths == NNN_PATH_NONE).all() and (Xf == X_before).all()
    # a bad integrator option: refused before any zone runs, even if every zone is emulated
    Xf = fortran_zones([x, x])
    X_before = Xf.copy()
    ierr = B.nnn_burn_zones(fnet, np.array([3e9, 3e9]), np.array([1e8, 1e8]), Xf, m.DT, np.zeros(2), np.zeros(2),
                            zone_status=st, emulator=fem, used_fallback=paths, rtol=0.0)
    assert ierr == 1 and (st == 1).all() and (paths == NNN_PATH_NONE).all() and (Xf == X_before).all()
    assert "rtol" in fstr(N.nnn_error_message())
    ierr = B.nnn_burn_zones(fnet, np.array([3e9]), np.array([1e8]), fortran_zones([x]), m.DT, np.zeros(1),
                            np.zeros(1), emulator=fem, used_fallback=np.zeros(2, np.int32))
    assert ierr == 1 and "size(used_fallback) = 2 differs from size(T) = 1" in fstr(N.nnn_error_message())
    ierr = B.nnn_burn_zones(fnet, np.array([3e9]), np.array([1e8]), fortran_zones([x]), m.DT, np.zeros(1),
                            np.zeros(1), emulator=fem, err=np.zeros(3))
    assert ierr == 1 and "size(err) = 3 differs from size(T) = 1" in fstr(N.nnn_error_message())
    # the emulator still works after all this
    en, ev, ierr = B.nnn_burn(fnet, 3e9, 1e8, x.copy(), m.DT, emulator=fem, used_fallback=path)
    assert ierr == 0 and int(path) == EMULATOR
    # max_dye: a step that changes Ye by more than max_dye Ye0 goes to the integrator (path 8)
    ye_em, ierr, msg = load_fortran(F, fnet, tiny, max_dye=1e-15, **NO_CHECKS_F)
    assert ierr == 0, msg
    en, ev, ierr = B.nnn_burn(fnet, 3e9, 1e8, x.copy(), m.DT, emulator=ye_em, used_fallback=path)
    assert ierr == 0 and int(path) == FALLBACK_YE_CHANGE
    E.nnn_free_emulator(ye_em)


# --------------------------------------------------------------------------- example 03
def parse_03(text: str) -> dict:
    kv = lambda line: {k: float(v) for k, v in re.findall(r"(\w+)=\s*(\S+)", line)}  # noqa: E731
    out = {"steps": [], "final": None, "fallback": None, "time": None, "timing": None}
    for line in text.splitlines():
        w = line.split()
        if not w:
            continue
        if w[0] == "step":
            out["steps"].append(dict(kv(line), s=int(w[1])))
        elif w[0] in ("final", "fallback", "time"):
            out[w[0]] = kv(line)
        elif w[0] == "timing:":
            out["timing"] = {k: float(v) for k, v in re.findall(r"(\w+) = \s*([-+.\w]+)", line)}
    assert out["steps"] and out["final"] and out["fallback"] and out["timing"], text[-3000:]
    return out


def expected_fallbacks(n_steps: int, nz: int, domain: dict) -> list[int]:
    """Zones outside the model's logT / logrho domain per step, from the history
    documented in 03_mesa_like_column.f90 (Ye stays 0.5, inside)."""
    out = []
    q = np.arange(nz) / max(nz - 1, 1)
    for s in range(1, n_steps + 1):
        f = (s - 0.5) / n_steps
        lt = np.log10((3.0e9 + 1.5e9 * f) * (1 - 0.5 * q))
        lr = np.log10(1e8 * 5.0 ** f * 10.0 ** (-0.9 * q))
        for v, (lo, hi) in ((lt, domain["logT"]), (lr, domain["logrho"])):
            assert np.abs(v - lo).min() > 1e-6 and np.abs(v - hi).min() > 1e-6  # no zone on an edge
        out.append(int(((lt < domain["logT"][0]) | (lt > domain["logT"][1])
                        | (lr < domain["logrho"][0]) | (lr > domain["logrho"][1])).sum()))
    return out


EMULATOR_CLAMP_PROBE = """
program probe
  use nnn
  implicit none
  type(nnn_network_t) :: net
  type(nnn_emulator_t) :: em
  real(dp), allocatable :: X0(:, :), X(:, :), x1(:)
  real(dp) :: T(3), rho(3), e1(3), e2(3), en, ev
  integer :: ierr, n, k, path(3), p1
  logical :: clamped(3), c1
  character(len=512) :: net_path, model
  call get_command_argument(1, net_path)
  call get_command_argument(2, model)
  call nnn_load_network(net, trim(net_path), ierr)
  if (ierr /= NNN_OK) stop 2
  call nnn_load_emulator(em, net, trim(model), ierr, check_energy=.false., check_dye=.false.)
  if (ierr /= NNN_OK) stop 3
  n = nnn_n_species(net)
  allocate (X0(n, 3), X(n, 3), x1(n))
  read (*, *) T, rho
  do k = 1, 3
    read (*, *) X0(:, k)
  end do
  X = X0
  call nnn_burn_zones(net, T, rho, X, 1d-2, e1, e2, ierr, emulator=em, used_fallback=path, &
      table_clamped=clamped)
  write (*, '(a, i0, 3(1x, i0), 3(1x, l1))') 'zones ', ierr, path, clamped
  do k = 1, 3
    x1 = X0(:, k)
    call nnn_burn(net, T(k), rho(k), x1, 1d-2, en, ev, ierr, emulator=em, used_fallback=p1, &
        table_clamped=c1)
    write (*, '(a, i0, 1x, i0, 1x, i0, 1x, l1)') 'one ', k, ierr, p1, c1
  end do
end program probe
"""


def test_table_clamped_of_fallback_zones(cmake_torch, pynet, tiny, models_lib, tmp_path):
    """table_clamped with emulator=: a zone the integrator burned past a weak-rate
    table's grid says .true., as the engine's own burn of it does; zones the
    emulator did say .false. Before, every zone said .false. with emulator= (the
    emulator's C calls had no table_clamped), and nnn_burn did too."""
    if shutil.which("gfortran") is None:
        pytest.skip("needs gfortran")
    m = models_lib
    T, rho, X = m.zones(pynet, 3, seed=5)
    rho[1] = 1e-2  # outside the model's domain, and rho*Ye below the weak tables' grid
    rho[2] = 1e3   # outside the domain, inside the tables
    refs = [pynet.burn(float(T[k]), float(rho[k]), X[k], dt=m.DT).table_clamped for k in (1, 2)]
    assert refs == [True, False]
    src, exe = tmp_path / "probe.f90", tmp_path / "probe"
    src.write_text(EMULATOR_CLAMP_PROBE)
    libs = [cmake_torch.libdir_fortran, cmake_torch.build]
    run(["gfortran", "-O1", f"-I{cmake_torch.moddir}", src, "-o", exe,
         *[f"-L{p}" for p in libs], "-lnnn_fortran", "-lnnn", *[f"-Wl,-rpath,{p}" for p in libs]])
    stdin = " ".join(repr(float(v)) for v in (*T, *rho)) + "\n"
    stdin += "".join(" ".join(repr(float(v)) for v in x) + "\n" for x in X)
    p = subprocess.run([str(exe), str(pynet.path), str(tiny)], input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300)
    assert p.returncode == 0, p.stdout
    lines = [ln.split() for ln in p.stdout.splitlines()]
    paths = [str(EMULATOR), str(FALLBACK_DOMAIN), str(FALLBACK_DOMAIN)]
    assert lines[0] == ["zones", "0", *paths, "F", "T", "F"], p.stdout
    assert lines[1:] == [["one", str(k + 1), "0", paths[k], "FTF"[k]] for k in range(3)], p.stdout


def test_example_03_column(cmake_torch, tiny, models_lib):
    n_steps, nz = 8, 32
    texts = {}
    for threads in (1, 8):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        texts[threads] = run([cmake_torch.f_03, SMALL, tiny, n_steps, "1e-2", nz], env=env).stdout
    r = parse_03(texts[8])
    assert "threads=8" in texts[8].splitlines()[0]
    # same results on 1 and 8 threads: every step / final / fallback line
    keep = lambda t: [ln for ln in t.splitlines() if ln.split()[:1] in (["step"], ["final"], ["fallback"])]  # noqa: E731
    assert keep(texts[1]) == keep(texts[8])

    fb = r["fallback"]
    assert len(r["steps"]) == n_steps
    assert fb["zone_steps"] == n_steps * nz and fb["failed_integrator"] == 0 and fb["failed_emulator"] == 0
    assert fb["total"] + fb["emulator"] == fb["zone_steps"] and fb["dt"] == 0 and fb["model"] == 0
    assert fb["total"] == sum(fb[k] for k in ("domain", "dt", "sanity", "energy", "dye", "error", "model"))
    assert fb["emulator"] > 0
    # domain fallbacks exactly as the history implies; the random-weight
    # model's energies fail the energy check in some other zones
    want = expected_fallbacks(n_steps, nz, models_lib.DOMAIN)
    assert fb["domain"] == sum(want)
    assert all(int(s["fallback"]) >= w for s, w in zip(r["steps"], want))
    assert fb["total"] == sum(int(s["fallback"]) for s in r["steps"])
    assert sum(want) > 0  # the outer zones start below the model's logT domain
    # sane differences: finite, X differences within [0, 1], Ye nearly conserved
    # by both paths (the untrained model is not accurate, but normalised)
    for row in r["steps"] + [r["final"]]:
        assert all(math.isfinite(v) for v in row.values()), row
    for s in r["steps"]:
        assert 0 < s["dX_max"] <= 1 and s["dX_mean"] <= s["dX_max"]
        assert s["dYe_max"] < 0.02 and s["dYe_mean"] <= s["dYe_max"]
        assert s["deps_max"] > 0 and s["deps_mean"] <= s["deps_max"]
    print("\n03_mesa_like_column, " + SMALL + f", {nz} zones, {n_steps} steps of 1e-2 s (untrained model):")
    for ln in keep(texts[8])[-3:] + [ln for ln in texts[1].splitlines() if ln.startswith(("time", "timing"))]:
        print("  " + ln)

    # a dt outside the model's range: every zone to the integrator, and the results are the integrator's
    r2 = parse_03(run([cmake_torch.f_03, SMALL, tiny, 2, "5.0", 8]).stdout)
    assert r2["fallback"]["dt"] == 16 and r2["fallback"]["emulator"] == 0
    assert r2["final"]["dX_max"] == 0 and r2["final"]["dE_max"] == 0
    # bad model path: exit 1 with the message
    p = subprocess.run([str(cmake_torch.f_03), SMALL, str(tiny.parent / "nope.pt")], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=120)
    assert p.returncode == 1 and "nnn_load_emulator failed: ierr = 4" in p.stdout and "nope.pt" in p.stdout


def test_zz_report_agreement():
    print_agreement("Fortran emulator path vs Python nnn.Emulator, max relative difference:", AGREEMENT, 55)
