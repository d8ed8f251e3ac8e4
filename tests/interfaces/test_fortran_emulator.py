"""The Fortran emulator path (module nnn_emulation, `emulator=` of nnn_burn /
nnn_burn_zones) against Python's nnn.Emulator, on small untrained TorchScript
models of approx21_cr60_plus_co56 (tests/emulator/emulator_models.py):

* in-domain zones: Fortran gives Python's X, eps_nuc, eps_nu, Ye bit for bit
  (same libtorch, same model, same batch shape: nnn_burn_zones vs
  burn_batch, nnn_burn vs burn); the one-zone call (batch 1) against
  Python's batch of 40 agrees to float32 round-off (X 1e-6 relative, eps
  1e-6 of the batch's largest |eps|);
* fallback: used_fallback is Python's `path` zone by zone (domain, untrained
  dt, sanity), and fallback zones carry exactly the integrator's result;
* a corrupt or mismatched model gives ierr = NNN_EMULATOR_FILE (4) and the
  message Python gives; an emulator of another network is refused per call;
* examples/fortran/03_mesa_like_column runs, with the fallback counts the
  history implies, the same results on 1 and 8 OpenMP threads, and sane
  differences; its Fortran-vs-C call overhead is printed.

Skipped only when libtorch is missing (torch not importable, or libnnn or
nnn.Emulator built without it); then test_available_matches_libnnn checks
that a load fails cleanly with ierr = 4. The CMake build and f90wrap wrapper are the
session fixtures of conftest.py (configured with Torch_DIR when torch is
importable).
"""

from __future__ import annotations

import ctypes
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nnn
from interface_helpers import ROOT, fortran_zones, fstr, print_agreement, run
SMALL = "approx21_cr60_plus_co56"
RTOL_INTEGRATOR = 1e-12  # CMake-built libnnn vs the Python extension, integrator (as test_c_fortran)
RTOL_BATCH = 1e-6        # float32 inference, batch 1 vs batch 40
EMULATOR, FALLBACK_DOMAIN, FALLBACK_DT, FALLBACK_SANITY = 0, 1, 2, 3
NNN_PATH_NONE = -1
AGREEMENT: dict[str, float] = {}


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
    from nnn import emulator as nnn_emulator
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
def model_dir(models_lib, pynet, tmp_path_factory) -> Path:
    """Two models of the small net, dt = 1e-3 and 1e-2 s (as tests/emulator)."""
    m = models_lib
    d = tmp_path_factory.mktemp("fmodels")
    n = pynet.n_species
    m.save_model(m.TinyEmulator(n, seed=1), d / f"{SMALL}_dt1e-02.pt", m.make_meta(pynet, m.DT))
    m.save_model(m.TinyEmulator(n, seed=2), d / f"{SMALL}_dt1e-03.pt", m.make_meta(pynet, 1e-3))
    return d


@pytest.fixture(scope="module")
def marked_model(models_lib, pynet, tmp_path_factory) -> Path:
    """dt = 1e-2 model: NaN in NAN_BAND, sum X = 1.01 in BADSUM_BAND of log10 T."""
    m = models_lib
    return m.save_model(m.TinyEmulator(pynet.n_species, seed=1, nan_band=m.NAN_BAND,
                                       badsum_band=m.BADSUM_BAND),
                        tmp_path_factory.mktemp("fmarked") / "marked.pt", m.make_meta(pynet, m.DT))


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


@pytest.fixture(scope="module")
def fem(F, fnet, model_dir):
    em, ierr, msg = load_fortran(F, fnet, model_dir)
    assert ierr == 0, msg
    yield em
    F.nnn_emulation.nnn_free_emulator(em)


@pytest.fixture(scope="module")
def pyem(pynet, model_dir):
    return nnn.Emulator.load(model_dir, network=pynet)


def f_burn_one(F, fnet, fem, T, rho, X, dt):
    """nnn_burn(..., emulator=fem) zone by zone -> X, eps_nuc, eps_nu, Ye, path, ierr."""
    B = F.nnn_burning
    out = {k: [] for k in ("X", "eps_nuc", "eps_nu", "Ye", "path", "ierr", "n_steps")}
    for t, r, x in zip(T, rho, X):
        xf = np.array(x, dtype=np.float64)
        ye, path, steps = np.zeros((), np.float64), np.full((), -9, np.int32), np.zeros((), np.int32)
        en, ev, ierr = B.nnn_burn(fnet, float(t), float(r), xf, dt, ye=ye, n_steps=steps,
                                  emulator=fem, used_fallback=path)
        for k, v in (("X", xf), ("eps_nuc", en), ("eps_nu", ev), ("Ye", float(ye)), ("path", int(path)),
                     ("ierr", ierr), ("n_steps", int(steps))):
            out[k].append(v)
    return {k: np.array(v) for k, v in out.items()}


def f_burn_zones(F, fnet, fem, T, rho, X, dt, n_threads=2):
    B = F.nnn_burning
    nz = len(T)
    Xf = fortran_zones(X)
    en, ev = np.zeros(nz), np.zeros(nz)
    st, path = np.full(nz, -9, np.int32), np.full(nz, -9, np.int32)
    ierr = B.nnn_burn_zones(fnet, np.asarray(T, float), np.asarray(rho, float), Xf, dt, en, ev,
                            zone_status=st, n_threads=n_threads, emulator=fem, used_fallback=path)
    return dict(X=Xf.T.copy(), eps_nuc=en, eps_nu=ev, status=st, path=path, ierr=ierr)


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


def test_available_and_model_info(F, fem, models_lib):
    E = F.nnn_emulation
    assert E.nnn_emulator_available()
    assert E.nnn_emulator_loaded(fem)
    assert E.nnn_emulator_n_models(fem) == 2
    lt, lr, ye = np.zeros(2), np.zeros(2), np.zeros(2)
    dts = []
    for i in (1, 2):
        dt, ierr = E.nnn_emulator_model_info(fem, i, logt=lt, logrho=lr, ye=ye)
        assert ierr == 0
        dts.append(dt)
    assert dts == [1e-3, 1e-2]  # sorted by dt
    dom = models_lib.DOMAIN
    assert list(lt) == dom["logT"] and list(lr) == dom["logrho"] and list(ye) == dom["Ye"]
    _, ierr = E.nnn_emulator_model_info(fem, 3)
    assert ierr == 1 and "model index i = 3 is out of range [1, 2]" in fstr(F.nnn_network.nnn_error_message())


# --------------------------------------------------------------------------- parity with Python
def test_in_domain_zones_match_python(F, fnet, fem, pyem, pynet, models_lib):
    m = models_lib
    T, rho, X = m.zones(pynet, 40)
    b = pyem.burn_batch(T, rho, X, m.DT, n_threads=2)
    assert (b.path == EMULATOR).all()

    # nnn_burn_zones(emulator=): the same batch as Python -> bit-identical
    z = f_burn_zones(F, fnet, fem, T, rho, X, m.DT)
    assert z["ierr"] == 0 and (z["status"] == 0).all() and (z["path"] == EMULATOR).all()
    np.testing.assert_array_equal(z["X"], b.X)
    np.testing.assert_array_equal(z["eps_nuc"], b.eps_nuc)
    np.testing.assert_array_equal(z["eps_nu"], b.eps_nu)

    # nnn_burn(emulator=) zone by zone (batch 1): bit-identical to Python's em.burn
    o = f_burn_one(F, fnet, fem, T, rho, X, m.DT)
    assert (o["ierr"] == 0).all() and (o["path"] == EMULATOR).all() and (o["n_steps"] == 0).all()
    for k in range(len(T)):
        r = pyem.burn(float(T[k]), float(rho[k]), X[k], m.DT)
        assert r.path == EMULATOR
        np.testing.assert_array_equal(o["X"][k], r.X)
        assert (o["eps_nuc"][k], o["eps_nu"][k], o["Ye"][k]) == (r.eps_nuc, r.eps_nu, r.Ye)
    # ... and against the batch of 40: float32 round-off of a different GEMM
    # shape. eps is compared relative to the largest |eps| of the batch (the
    # linear head's output cancels to near 0 in some zones, where a zone's
    # own relative difference is meaningless at float32).
    dx = x_rel(o["X"], b.X)
    de = max(float(np.max(np.abs(o[k] - getattr(b, k)))) / float(np.max(np.abs(getattr(b, k))))
             for k in ("eps_nuc", "eps_nu"))
    AGREEMENT["nnn_burn(emulator) batch 1 vs Python batch 40: X (rel)"] = dx
    AGREEMENT["nnn_burn(emulator) batch 1 vs Python batch 40: eps (rel. to max|eps|)"] = de
    assert dx <= RTOL_BATCH and de <= RTOL_BATCH
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
    z8 = f_burn_zones(F, fnet, fem, T, rho, X, m.DT, n_threads=8)  # threads change nothing
    for k in ("X", "eps_nuc", "eps_nu", "path", "status"):
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


def test_untrained_dt_and_chain(F, fnet, fem, pyem, pynet, models_lib, model_dir):
    m = models_lib
    T, rho, X = m.zones(pynet, 4, seed=5)
    o = f_burn_one(F, fnet, fem, T, rho, X, 5e-3)  # not a trained dt
    z = f_burn_zones(F, fnet, fem, T, rho, X, 5e-3)
    b = pyem.burn_batch(T, rho, X, 5e-3)
    assert (o["path"] == FALLBACK_DT).all() and (z["path"] == FALLBACK_DT).all()
    assert (b.path == FALLBACK_DT).all()
    # chain_dt: 2e-2 = 2 x 1e-2 through the emulator, as Python's chain_dt=True
    ch, ierr, msg = load_fortran(F, fnet, model_dir, chain_dt=True)
    assert ierr == 0, msg
    try:
        zc = f_burn_zones(F, fnet, ch, T, rho, X, 2e-2)
        bc = nnn.Emulator.load(model_dir, network=pynet, chain_dt=True).burn_batch(T, rho, X, 2e-2)
        assert (zc["path"] == EMULATOR).all() and (bc.path == EMULATOR).all()
        np.testing.assert_array_equal(zc["X"], bc.X)
        np.testing.assert_array_equal(zc["eps_nuc"], bc.eps_nuc)
    finally:
        F.nnn_emulation.nnn_free_emulator(ch)


def test_sanity_fallback_and_no_nan(F, fnet, pynet, models_lib, marked_model):
    m = models_lib
    T, rho, X = m.zones(pynet, 6, seed=7)
    T[1] = 10 ** np.mean(m.NAN_BAND)      # the model returns NaN
    T[3] = 10 ** np.mean(m.BADSUM_BAND)   # the model returns sum X = 1.01
    em, ierr, msg = load_fortran(F, fnet, marked_model)
    assert ierr == 0, msg
    try:
        b = nnn.Emulator.load(marked_model, network=pynet).burn_batch(T, rho, X, m.DT)
        for r in (f_burn_zones(F, fnet, em, T, rho, X, m.DT), f_burn_one(F, fnet, em, T, rho, X, m.DT)):
            assert list(r["path"]) == [0, FALLBACK_SANITY, 0, FALLBACK_SANITY, 0, 0]
            np.testing.assert_array_equal(r["path"], b.path)
            assert np.isfinite(r["X"]).all() and np.isfinite(r["eps_nuc"]).all()
            assert np.isfinite(r["eps_nu"]).all()
            np.testing.assert_allclose(r["X"].sum(axis=1), 1, atol=1e-12)
    finally:
        F.nnn_emulation.nnn_free_emulator(em)


def test_without_emulator_used_fallback_is_none(F, fnet, pynet, models_lib):
    """The same calls without emulator= are the integrator's; used_fallback = -1."""
    m = models_lib
    T, rho, X = m.zones(pynet, 3, seed=9)
    B = F.nnn_burning
    xf = np.array(X[0])
    path = np.full((), 7, np.int32)
    en, ev, ierr = B.nnn_burn(fnet, float(T[0]), float(rho[0]), xf, m.DT, used_fallback=path)
    assert ierr == 0 and int(path) == NNN_PATH_NONE
    r = pynet.burn(T=float(T[0]), rho=float(rho[0]), X=X[0], dt=m.DT)
    assert max_rel(en, r.eps_nuc) <= RTOL_INTEGRATOR
    Xf = fortran_zones(X)
    paths = np.full(3, 7, np.int32)
    assert B.nnn_burn_zones(fnet, T, rho, Xf, m.DT, np.zeros(3), np.zeros(3), used_fallback=paths) == 0
    assert (paths == NNN_PATH_NONE).all()


# --------------------------------------------------------------------------- errors
def test_bad_models_give_ierr_4(F, fnet, pynet, models_lib, tmp_path):
    """Every corrupt or mismatched model of tests/emulator: ierr = NNN_EMULATOR_FILE
    with the words Python's EmulatorFileError has; the handle stays unloaded."""
    E = F.nnn_emulation
    cases = models_lib.bad_models(pynet, tmp_path / "bad")
    assert len(cases) >= 10
    for name, (path, words) in cases.items():
        em, ierr, msg = load_fortran(F, fnet, path)
        assert ierr == 4, (name, ierr, msg)
        assert not E.nnn_emulator_loaded(em), name
        for w in words:
            assert w in msg, (name, w, msg)
        with pytest.raises(nnn.emulator.EmulatorFileError) as e:
            nnn.Emulator.load(path, network=pynet)
        assert str(e.value.args[0]).strip() == msg, name  # the same message, word for word


def test_mismatched_network_and_bad_arguments(F, fnet, fem, pynet, models_lib, model_dir):
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
        # loading the small net's models for mesa_80: the isotope lists differ
        em, ierr, msg = load_fortran(F, other, model_dir)
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
    # bad load arguments; the handle stays unloaded
    for kw, text in (({"torch_threads": -1}, "torch_threads = -1"), ({"sum_tolerance": -1.0}, "sum_tolerance"),
                     ({"max_chain_steps": 0}, "max_chain_steps")):
        em, ierr, msg = load_fortran(F, fnet, model_dir, **kw)
        assert ierr == 1 and text in msg and not E.nnn_emulator_loaded(em), (kw, msg)
    em, ierr, msg = load_fortran(F, fnet, "")
    assert ierr == 1 and "path = '' is empty" in msg
    em, ierr, msg = load_fortran(F, N.nnn_network_t(), model_dir)
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
    ierr = B.nnn_burn_zones(fnet, np.array([3e9]), np.array([1e8]), fortran_zones([x]), m.DT, np.zeros(1),
                            np.zeros(1), emulator=fem, used_fallback=np.zeros(2, np.int32))
    assert ierr == 1 and "size(used_fallback) = 2 differs from size(T) = 1" in fstr(N.nnn_error_message())
    # the emulator still works after all this
    en, ev, ierr = B.nnn_burn(fnet, 3e9, 1e8, x.copy(), m.DT, emulator=fem, used_fallback=path)
    assert ierr == 0 and int(path) == EMULATOR


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


def test_example_03_column(cmake_torch, model_dir, models_lib):
    n_steps, nz = 8, 32
    texts = {}
    for threads in (1, 8):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        texts[threads] = run([cmake_torch.f_03, SMALL, model_dir, n_steps, "1e-2", nz], env=env).stdout
    r = parse_03(texts[8])
    assert "threads=8" in texts[8].splitlines()[0]
    # same results on 1 and 8 threads: every step / final / fallback line
    keep = lambda t: [ln for ln in t.splitlines() if ln.split()[:1] in (["step"], ["final"], ["fallback"])]  # noqa: E731
    assert keep(texts[1]) == keep(texts[8])

    fb = r["fallback"]
    assert len(r["steps"]) == n_steps
    assert fb["zone_steps"] == n_steps * nz and fb["failed_integrator"] == 0 and fb["failed_emulator"] == 0
    assert fb["total"] + fb["emulator"] == fb["zone_steps"] and fb["dt"] == 0 and fb["sanity"] == 0
    want = expected_fallbacks(n_steps, nz, models_lib.DOMAIN)
    assert [int(s["fallback"]) for s in r["steps"]] == want and fb["domain"] == sum(want)
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

    # an untrained dt: every zone to the integrator, and the results are the integrator's (dX = 0)
    r2 = parse_03(run([cmake_torch.f_03, SMALL, model_dir, 2, "5e-3", 8]).stdout)
    assert r2["fallback"]["dt"] == 16 and r2["fallback"]["emulator"] == 0
    assert r2["final"]["dX_max"] == 0 and r2["final"]["dE_max"] == 0
    # bad model path: exit 1 with the message
    p = subprocess.run([str(cmake_torch.f_03), SMALL, str(model_dir / "nope.pt")], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=120)
    assert p.returncode == 1 and "nnn_load_emulator failed: ierr = 4" in p.stdout and "nope.pt" in p.stdout


def test_zz_report_agreement():
    print_agreement("Fortran emulator path vs Python nnn.Emulator, max relative difference:", AGREEMENT, 55)
