"""The emulator's C ABI (include/nnn_emulator.h in libnnn):

- a C driver (tests/emulator/c/emulator_zones.c) gives bit-for-bit Python's
  results: one nnn_emulator_burn_zones call = Emulator.burn_batch, and
  nnn_emulator_burn per zone in an OpenMP loop = Emulator.burn per zone, on 1
  and on 8 OpenMP threads sharing one handle (the MESA pattern);
- corrupt / mismatched models give NNN_EMULATOR_FILE and nnn_last_error()
  names the file and the mismatch (ctypes); NULL and bad arguments give
  NNN_BAD_INPUT; settings round-trip.

libnnn is the one scikit-build built next to nnn._emulator (build/*/libnnn.so,
or $NNN_LIBNNN); failing that it is built here with CMake (slow: minutes).
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

import nnn

from emulator_models import BADSUM_BAND, DT, NAN_BAND, SMALL, bad_models, zones  # noqa: F401
from test_emulator_errors import CASES

ROOT = Path(__file__).resolve().parents[2]
c_int_p = ctypes.POINTER(ctypes.c_int)
c_double_p = ctypes.POINTER(ctypes.c_double)


def run(cmd, timeout=900, **kw):
    p = subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout, **kw)
    if p.returncode != 0:
        pytest.fail(f"exit {p.returncode}: {' '.join(map(str, cmd))}\n{p.stdout[-4000:]}",
                    pytrace=False)
    return p.stdout


def _has_emulator(path: Path) -> bool:
    try:
        lib = ctypes.CDLL(str(path))
        return bool(lib.nnn_emulator_has_libtorch())
    except (OSError, AttributeError):
        return False


@pytest.fixture(scope="session")
def libnnn_path(tmp_path_factory) -> Path:
    cands = [Path(os.environ["NNN_LIBNNN"])] if os.environ.get("NNN_LIBNNN") else []
    cands += sorted(ROOT.glob("build/*/libnnn.so"), key=lambda p: -p.stat().st_mtime)
    for c in cands:
        if c.exists() and _has_emulator(c):
            return c
    if shutil.which("cmake") is None:
        pytest.skip("no libnnn with the emulator found and no cmake to build one")
    build = tmp_path_factory.mktemp("cmake")
    run(["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release", "-DNNN_BUILD_FORTRAN=OFF",
         "-DNNN_BUILD_EXAMPLES=OFF", f"-DTorch_DIR={torch.utils.cmake_prefix_path}/Torch"])
    run(["cmake", "--build", build, "-j2", "--target", "nnn"])
    return build / "libnnn.so"


@pytest.fixture(scope="session")
def lib(libnnn_path):
    lib = ctypes.CDLL(str(libnnn_path))
    lib.nnn_last_error.restype = ctypes.c_char_p
    lib.nnn_network_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
    lib.nnn_network_free.argtypes = [ctypes.c_void_p]
    lib.nnn_emulator_load.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                      ctypes.POINTER(ctypes.c_void_p)]
    lib.nnn_emulator_free.argtypes = [ctypes.c_void_p]
    lib.nnn_emulator_set_threads.argtypes = [ctypes.c_void_p, ctypes.c_int]
    lib.nnn_emulator_check_network.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.nnn_emulator_n_models.argtypes = [ctypes.c_void_p, c_int_p]
    lib.nnn_emulator_model.argtypes = [ctypes.c_void_p, ctypes.c_int, c_double_p, c_double_p,
                                       c_double_p, c_double_p]
    lib.nnn_emulator_burn_zones.argtypes = [
        ctypes.c_void_p, ctypes.c_int, c_double_p, c_double_p, c_double_p, ctypes.c_double,
        ctypes.c_void_p, c_double_p, c_double_p, c_double_p, c_int_p, c_int_p, ctypes.c_int]
    return lib


@pytest.fixture(scope="session")
def c_net(lib):
    h = ctypes.c_void_p()
    assert lib.nnn_network_load(SMALL.encode(), ctypes.byref(h)) == 0, lib.nnn_last_error()
    yield h
    lib.nnn_network_free(h)


@pytest.fixture(scope="session")
def driver(libnnn_path, tmp_path_factory) -> Path:
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("needs a C compiler for the C driver")
    exe = tmp_path_factory.mktemp("driver") / "emulator_zones"
    run([cc, "-O2", "-fopenmp", f"-I{ROOT / 'include'}", ROOT / "tests/emulator/c/emulator_zones.c",
         "-o", exe, f"-L{libnnn_path.parent}", "-lnnn", f"-Wl,-rpath,{libnnn_path.parent}"],
        timeout=120)
    return exe


def ptr(a, t=ctypes.c_double):
    return a.ctypes.data_as(ctypes.POINTER(t))


def mixed_zones(small_net):
    """Zones covering every path: emulator, domain, sanity (NaN, bad sum)."""
    T, rho, X = zones(small_net, 40, seed=21)
    T[3] = 10 ** np.mean(NAN_BAND)
    T[4] = 10 ** np.mean(BADSUM_BAND)
    T[5] = 1e9
    rho[6] = 1e10
    return T, rho, X


def write_zones(path: Path, T, rho, X, dt=DT) -> Path:
    lines = [f"{len(T)} {X.shape[1]} {dt!r}"]
    lines += [" ".join(repr(float(v)) for v in (t, r, *x)) for t, r, x in zip(T, rho, X)]
    path.write_text("\n".join(lines) + "\n")
    return path


def parse(out: str) -> np.ndarray:
    """Rows [status, path, eps_nuc, eps_nu, X...]."""
    rows = [line.split()[2:] for line in out.splitlines() if line.startswith("zone ")]
    assert rows, out[-2000:]
    return np.array(rows, dtype=float)


def test_c_driver_equals_python(driver, marked_model, small_net, tmp_path):
    T, rho, X = mixed_zones(small_net)
    zf = write_zones(tmp_path / "zones.txt", T, rho, X)
    em = nnn.Emulator.load(marked_model, network=small_net)
    b = em.burn_batch(T, rho, X, DT)
    py_batch = np.column_stack([b.status, b.path, b.eps_nuc, b.eps_nu, b.X])
    assert set(b.path.tolist()) == {0, 1, 3}
    singles = [em.burn(t, r, x, DT) for t, r, x in zip(T, rho, X)]
    py_single = np.array([np.r_[0, s.path, s.eps_nuc, s.eps_nu, s.X] for s in singles])

    c_zones1 = parse(run([driver, SMALL, marked_model, zf, "zones", 1]))
    c_zones8 = parse(run([driver, SMALL, marked_model, zf, "zones", 8]))
    np.testing.assert_array_equal(c_zones1, py_batch)
    np.testing.assert_array_equal(c_zones8, py_batch)
    c_omp1 = parse(run([driver, SMALL, marked_model, zf, "omp", 1]))
    c_omp8 = parse(run([driver, SMALL, marked_model, zf, "omp", 8]))
    np.testing.assert_array_equal(c_omp1, py_single)
    np.testing.assert_array_equal(c_omp8, c_omp1)
    assert np.isfinite(c_omp8).all() and np.isfinite(c_zones8).all()
    # batch of 40 vs batch of 1: the same model up to float32 GEMM rounding
    np.testing.assert_allclose(c_omp1[:, 4:], c_zones1[:, 4:], rtol=1e-5, atol=1e-12)


def test_c_driver_load_error(driver, small_net, bad, tmp_path):
    zf = write_zones(tmp_path / "z.txt", *[a[:1] for a in zones(small_net, 1)])
    p = subprocess.run([str(driver), SMALL, str(bad["hash"][0]), str(zf), "zones", "1"], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 2 and p.stdout.startswith("error 4 ") and "changed since training" in p.stdout


@pytest.fixture(scope="module")
def bad(small_net, tmp_path_factory):
    return bad_models(small_net, tmp_path_factory.mktemp("bad_c"))


@pytest.mark.parametrize("case", CASES)
def test_c_error(lib, c_net, bad, case):
    path, words = bad[case]
    em = ctypes.c_void_p(1)
    st = lib.nnn_emulator_load(c_net, str(path).encode(), ctypes.byref(em))
    msg = lib.nnn_last_error().decode()
    assert st == 4 and not em.value
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"


def test_c_api(lib, c_net, model_dir, small_net):
    assert lib.nnn_emulator_has_libtorch() == 1
    em = ctypes.c_void_p()
    assert lib.nnn_emulator_load(None, str(model_dir).encode(), ctypes.byref(em)) == 1
    assert "net is NULL" in lib.nnn_last_error().decode()
    # ':'-separated list of a file and a directory is fine too
    paths = f"{model_dir / (SMALL + '_dt1e-02.pt')}:{model_dir / 'nothing-here.pt'}"
    assert lib.nnn_emulator_load(c_net, paths.encode(), ctypes.byref(em)) == 4
    assert lib.nnn_emulator_load(c_net, str(model_dir).encode(), ctypes.byref(em)) == 0
    try:
        n = ctypes.c_int()
        assert lib.nnn_emulator_n_models(em, ctypes.byref(n)) == 0 and n.value == 2
        dt = ctypes.c_double()
        lt, lr, ye = (ctypes.c_double * 2)(), (ctypes.c_double * 2)(), (ctypes.c_double * 2)()
        assert lib.nnn_emulator_model(em, 1, ctypes.byref(dt), lt, lr, ye) == 0
        assert dt.value == DT and list(lt) == [9.2, 9.8] and list(ye) == [0.47, 0.505]
        assert lib.nnn_emulator_model(em, 2, None, None, None, None) == 1
        assert lib.nnn_emulator_check_network(em, c_net) == 0
        other = ctypes.c_void_p()
        assert lib.nnn_network_load(b"mesa_80", ctypes.byref(other)) == 0
        assert lib.nnn_emulator_check_network(em, other) == 4
        assert "'mesa_80'" in lib.nnn_last_error().decode()
        lib.nnn_network_free(other)
        assert lib.nnn_emulator_set_threads(em, -1) == 1
        assert lib.nnn_emulator_set_threads(em, 2) == 0

        class Cfg(ctypes.Structure):
            _fields_ = [("sum_tolerance", ctypes.c_double), ("negative_tolerance", ctypes.c_double),
                        ("dt_rtol", ctypes.c_double), ("chain_dt", ctypes.c_int),
                        ("max_chain_steps", ctypes.c_int), ("batch_size", ctypes.c_int)]

        cfg = Cfg()
        lib.nnn_emulator_default_config(ctypes.byref(cfg))
        assert (cfg.sum_tolerance, cfg.chain_dt, cfg.max_chain_steps) == (1e-4, 0, 1000)
        cfg.chain_dt, cfg.batch_size = 1, 7
        assert lib.nnn_emulator_set_config(em, ctypes.byref(cfg)) == 0
        got = Cfg()
        assert lib.nnn_emulator_get_config(em, ctypes.byref(got)) == 0
        assert (got.chain_dt, got.batch_size) == (1, 7)
        cfg.sum_tolerance = 0
        assert lib.nnn_emulator_set_config(em, ctypes.byref(cfg)) == 1
        assert "sum_tolerance" in lib.nnn_last_error().decode()

        # chained 3 x 1e-2 in batches of 7, through C = through Python
        T, rho, X = zones(small_net, 20, seed=4)
        nz, ns = len(T), small_net.n_species
        Xo, en, enu = np.zeros((nz, ns)), np.zeros(nz), np.zeros(nz)
        path, zst = np.zeros(nz, np.int32), np.zeros(nz, np.int32)
        st = lib.nnn_emulator_burn_zones(em, nz, ptr(T), ptr(rho), ptr(X), 3e-2, None, ptr(Xo),
                                         ptr(en), ptr(enu), ptr(path, ctypes.c_int),
                                         ptr(zst, ctypes.c_int), 1)
        assert st == 0, lib.nnn_last_error()
        b = nnn.Emulator.load(model_dir, network=small_net, chain_dt=True, batch_size=7,
                              threads=2).burn_batch(T, rho, X, 3e-2)
        assert (path == 0).all() and (b.path == 0).all()
        np.testing.assert_array_equal(Xo, b.X)
        np.testing.assert_array_equal(en, b.eps_nuc)
        # bad input: nothing done, message names the field
        T[2] = -5.0
        st = lib.nnn_emulator_burn_zones(em, nz, ptr(T), ptr(rho), ptr(X), DT, None, ptr(Xo),
                                         ptr(en), ptr(enu), None, None, 1)
        assert st == 1 and "T = -5" in lib.nnn_last_error().decode()
        assert lib.nnn_emulator_burn_zones(em, 1, None, ptr(rho), ptr(X), DT, None, ptr(Xo),
                                           ptr(en), ptr(enu), None, None, 1) == 1
    finally:
        lib.nnn_emulator_free(em)
