"""The emulator's C ABI (include/nnn_emulator.h in libnnn):

- a C driver (tests/emulator/c/emulator_zones.c) gives bit-for-bit Python's
  results on zones of every path (emulator, domain, sanity, energy, |dYe|):
  one nnn_emulator_burn_zones call = Emulator.burn_batch, and
  nnn_emulator_burn per zone in an OpenMP loop = Emulator.burn per zone, on 1
  and on 8 OpenMP threads sharing one handle (the MESA pattern); err included;
- loading by network name (emulators/<name>.pt in $NNN_NETWORK_DATA);
- corrupt / old / mismatched models give NNN_EMULATOR_FILE and nnn_last_error()
  names the file and the problem (ctypes); NULL and bad arguments give
  NNN_BAD_INPUT; a bad option or setting is refused before any zone runs;
  settings round-trip; the domain query includes the dt range.

libnnn is the one scikit-build built next to nnn._emulator (build/*/libnnn.so,
or $NNN_LIBNNN); failing that it is built here with CMake (slow: minutes).
"""

import ctypes
import os
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

import nnn

from nnn.emulate import model as mdl

from emulator_models import (CHECK_DT, DOMAIN, DT, NO_CHECKS, RAISE_BAND, SMALL, bad_models,
                             engine_truth, make_meta, mixed_case, table_model, zones)
from test_emulator_errors import CASES

ROOT = Path(__file__).resolve().parents[2]
c_int_p = ctypes.POINTER(ctypes.c_int)
c_double_p = ctypes.POINTER(ctypes.c_double)


class Options(ctypes.Structure):
    _fields_ = [("rtol", ctypes.c_double), ("atol", ctypes.c_double), ("max_steps", ctypes.c_long)]


class Config(ctypes.Structure):
    _fields_ = [("sum_tolerance", ctypes.c_double), ("negative_tolerance", ctypes.c_double),
                ("max_error", ctypes.c_double), ("max_dye", ctypes.c_double),
                ("energy_rtol", ctypes.c_double),
                ("energy_dx", ctypes.c_double), ("dye_safety", ctypes.c_double),
                ("dye_atol", ctypes.c_double), ("check_energy", ctypes.c_int),
                ("check_dye", ctypes.c_int), ("torch_threads", ctypes.c_int),
                ("batch_size", ctypes.c_int)]


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
    lib.nnn_emulator_set_config.argtypes = [ctypes.c_void_p, ctypes.POINTER(Config)]
    lib.nnn_emulator_get_config.argtypes = [ctypes.c_void_p, ctypes.POINTER(Config)]
    lib.nnn_emulator_default_config.argtypes = [ctypes.POINTER(Config)]
    lib.nnn_emulator_check_network.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.nnn_emulator_model.argtypes = [ctypes.c_void_p, c_double_p, c_double_p, c_double_p, c_double_p]
    lib.nnn_emulator_burn_zones.argtypes = [
        ctypes.c_void_p, ctypes.c_int, c_double_p, c_double_p, c_double_p, ctypes.c_double,
        ctypes.c_void_p, c_double_p, c_double_p, c_double_p, c_int_p, c_int_p, c_double_p, ctypes.c_int]
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


def write_zones(path: Path, T, rho, X, dt=DT) -> Path:
    lines = [f"{len(T)} {X.shape[1]} {dt!r}"]
    lines += [" ".join(repr(float(v)) for v in (t, r, *x)) for t, r, x in zip(T, rho, X)]
    path.write_text("\n".join(lines) + "\n")
    return path


def parse(out: str) -> np.ndarray:
    """Rows [status, path, eps_nuc, eps_nu, err, X...]."""
    rows = [line.split()[2:] for line in out.splitlines() if line.startswith("zone ")]
    assert rows, out[-2000:]
    return np.array(rows, dtype=float)


@pytest.fixture(scope="module")
def mixed(small_net, tmp_path_factory):
    return mixed_case(small_net, tmp_path_factory.mktemp("mixed"))


def os_threads(out: str) -> int:
    return int(next(line.split()[1] for line in out.splitlines() if line.startswith("os_threads ")))


def test_c_driver_equals_python(driver, mixed, small_net, tmp_path):
    T, rho, X, dt, model, paths = mixed
    zf = write_zones(tmp_path / "zones.txt", T, rho, X, dt)
    em = nnn.Emulator.load(model, network=small_net)
    b = em.burn_batch(T, rho, X, dt)
    np.testing.assert_array_equal(b.path, paths)
    assert set(paths.tolist()) == {0, 1, 3, 4, 5}
    py_batch = np.column_stack([b.status, b.path, b.eps_nuc, b.eps_nu, b.err, b.X])
    singles = [em.burn(t, r, x, dt) for t, r, x in zip(T, rho, X)]
    py_single = np.array([np.r_[0, s.path, s.eps_nuc, s.eps_nu, s.err, s.X] for s in singles])

    out = {(mode, n): run([driver, SMALL, model, zf, mode, n]) for mode in ("zones", "omp") for n in (1, 8)}
    c_zones1, c_zones8 = parse(out["zones", 1]), parse(out["zones", 8])
    np.testing.assert_array_equal(c_zones1, py_batch)
    np.testing.assert_array_equal(c_zones8, py_batch)
    c_omp1, c_omp8 = parse(out["omp", 1]), parse(out["omp", 8])
    np.testing.assert_array_equal(c_omp1, py_single)
    np.testing.assert_array_equal(c_omp8, c_omp1)
    assert np.isfinite(c_omp8).all() and np.isfinite(c_zones8).all()
    assert (c_zones1[paths == 0, 4] > 0).all() and (c_zones1[paths != 0, 4] == 0).all()
    # no oversubscription: inference (1 libtorch thread per call by default)
    # starts no thread pool of its own, in one batched call or inside an
    # 8-thread OpenMP loop over zones (the integrator's threads have ended)
    counts = {k: os_threads(v) for k, v in out.items()}
    assert counts["zones", 1] == 1 and counts["zones", 8] == 1, counts
    assert counts["omp", 1] == 1 and counts["omp", 8] <= 8, counts


def test_c_driver_load_by_name_and_errors(driver, small_net, tiny_path, bad, tmp_path):
    zf = write_zones(tmp_path / "z.txt", *[a[:2] for a in zones(small_net, 2)])
    # by network name: emulators/<name>.pt in $NNN_NETWORK_DATA
    (tmp_path / "data" / "emulators").mkdir(parents=True)
    shutil.copy(tiny_path, tmp_path / "data" / "emulators" / f"{SMALL}.pt")
    env = dict(os.environ, NNN_NETWORK_DATA=str(tmp_path / "data"))
    by_name = parse(run([driver, SMALL, SMALL, zf, "zones", 1], env=env))
    by_path = parse(run([driver, SMALL, tiny_path, zf, "zones", 1]))
    np.testing.assert_array_equal(by_name, by_path)
    p = subprocess.run([str(driver), SMALL, "no_such_network", str(zf), "zones", "1"], capture_output=True,
                       text=True, timeout=120, env=env)
    assert p.returncode == 2 and p.stdout.startswith("error 4 ") and "emulators/no_such_network.pt" in p.stdout
    p = subprocess.run([str(driver), SMALL, str(bad["hash"][0]), str(zf), "zones", "1"], capture_output=True,
                       text=True, timeout=120)
    assert p.returncode == 2 and p.stdout.startswith("error 4 ") and "changed since training" in p.stdout


def test_c_driver_loads_the_shipped_bf16_copy_by_name(driver, tmp_path):
    """The shipped bfloat16 copy loads by its name in C as in Python (nnn_emulator_load(net,
    "mesa_80_bf16", ...) with the mesa_80 network) and gives Python's results bit for bit."""
    em = nnn.Emulator.load("mesa_80_bf16")
    iso = list(em.isotopes)
    X = np.zeros((4, len(iso)))
    X[:, iso.index("si28")], X[:, iso.index("s32")] = 0.6, 0.4
    T, rho = np.linspace(2.8e9, 4.0e9, 4), np.full(4, 1e8)
    b = em.burn_batch(T, rho, X, 1e-2)
    assert (b.path == 0).all()
    zf = write_zones(tmp_path / "zones.txt", T, rho, X, 1e-2)
    c = parse(run([driver, "mesa_80", "mesa_80_bf16", zf, "zones", 1]))
    np.testing.assert_array_equal(c, np.column_stack([b.status, b.path, b.eps_nuc, b.eps_nu,
                                                      b.err, b.X]))


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


def test_c_api(lib, c_net, tiny_path, small_net):
    assert lib.nnn_emulator_has_libtorch() == 1
    em = ctypes.c_void_p()
    assert lib.nnn_emulator_load(None, str(tiny_path).encode(), ctypes.byref(em)) == 1
    assert "net is NULL" in lib.nnn_last_error().decode()
    assert lib.nnn_emulator_load(c_net, b"", ctypes.byref(em)) == 1
    assert "model = '' is empty" in lib.nnn_last_error().decode()
    assert lib.nnn_emulator_load(c_net, str(tiny_path).encode(), ctypes.byref(em)) == 0
    try:
        lt, lr, ye, ldt = [(ctypes.c_double * 2)() for _ in range(4)]
        assert lib.nnn_emulator_model(em, lt, lr, ye, ldt) == 0
        assert list(lt) == [9.2, 9.8] and list(ye) == [0.47, 0.505] and list(ldt) == [-4.0, 0.0]
        assert lib.nnn_emulator_model(em, None, None, None, None) == 0
        assert lib.nnn_emulator_check_network(em, c_net) == 0
        other = ctypes.c_void_p()
        assert lib.nnn_network_load(b"mesa_80", ctypes.byref(other)) == 0
        assert lib.nnn_emulator_check_network(em, other) == 4
        assert "'mesa_80'" in lib.nnn_last_error().decode()
        lib.nnn_network_free(other)

        cfg = Config()
        lib.nnn_emulator_default_config(ctypes.byref(cfg))
        d = nnn.emulate.runtime.default_config()  # one definition, read by Python and C alike
        assert (cfg.sum_tolerance, cfg.max_error, cfg.max_dye, cfg.energy_rtol, cfg.dye_safety,
                cfg.torch_threads, cfg.batch_size) == (
            d["sum_tolerance"], d["max_error"], d["max_dye"], d["energy_rtol"], d["dye_safety"],
            d["threads"], d["batch_size"])
        assert cfg.check_energy == 1 and cfg.check_dye == 1
        cfg.check_energy, cfg.check_dye, cfg.batch_size, cfg.max_dye = 0, 0, 7, 3e-5
        assert lib.nnn_emulator_set_config(em, ctypes.byref(cfg)) == 0
        got = Config()
        assert lib.nnn_emulator_get_config(em, ctypes.byref(got)) == 0
        assert (got.check_energy, got.batch_size, got.max_dye) == (0, 7, 3e-5)
        for field, value, text in (("sum_tolerance", 0.0, "sum_tolerance = 0"),
                                   ("max_error", -1.0, "max_error = -1"),
                                   ("max_dye", 1.5, "max_dye = 1.5"),
                                   ("dye_atol", float("inf"), "dye_atol = inf"),
                                   ("batch_size", 0, "batch_size = 0")):
            bad_cfg = Config.from_buffer_copy(got)
            setattr(bad_cfg, field, value)
            assert lib.nnn_emulator_set_config(em, ctypes.byref(bad_cfg)) == 1
            assert text in lib.nnn_last_error().decode()
        assert lib.nnn_emulator_get_config(em, ctypes.byref(got)) == 0 and got.batch_size == 7  # unchanged
        assert lib.nnn_emulator_set_threads(em, -1) == 1
        assert "torch_threads = -1" in lib.nnn_last_error().decode()
        assert lib.nnn_emulator_set_threads(em, 2) == 0

        # batches of 7, err out, through C = through Python
        T, rho, X = zones(small_net, 20, seed=4)
        nz, ns = len(T), small_net.n_species
        Xo, en, enu, err = np.zeros((nz, ns)), np.zeros(nz), np.zeros(nz), np.zeros(nz)
        path, zst = np.zeros(nz, np.int32), np.zeros(nz, np.int32)
        st = lib.nnn_emulator_burn_zones(em, nz, ptr(T), ptr(rho), ptr(X), 3e-2, None, ptr(Xo),
                                         ptr(en), ptr(enu), ptr(path, ctypes.c_int),
                                         ptr(zst, ctypes.c_int), ptr(err), 1)
        assert st == 0, lib.nnn_last_error()
        b = nnn.Emulator.load(tiny_path, network=small_net, batch_size=7, threads=2,
                              **NO_CHECKS).burn_batch(T, rho, X, 3e-2)
        assert (path == 0).all() and (b.path == 0).all()
        np.testing.assert_array_equal(Xo, b.X)
        np.testing.assert_array_equal(en, b.eps_nuc)
        np.testing.assert_array_equal(err, b.err)
        # a bad option: refused before any zone runs, every zone_status says so, outputs unwritten
        opt = Options(0.0, 1e-12, 1000)
        Xo[:] = -7.0
        zst[:] = -9
        st = lib.nnn_emulator_burn_zones(em, nz, ptr(T), ptr(rho), ptr(X), DT, ctypes.byref(opt), ptr(Xo),
                                         ptr(en), ptr(enu), None, ptr(zst, ctypes.c_int), None, 1)
        assert st == 1 and "rtol" in lib.nnn_last_error().decode()
        assert (zst == 1).all() and (Xo == -7.0).all()
        # bad input: nothing done, message names the field
        T[2] = -5.0
        st = lib.nnn_emulator_burn_zones(em, nz, ptr(T), ptr(rho), ptr(X), DT, None, ptr(Xo),
                                         ptr(en), ptr(enu), None, None, None, 1)
        assert st == 1 and "T = -5" in lib.nnn_last_error().decode()
        T[2] = 3e9
        for dt, text in ((0.0, "dt = 0 s"), (float("nan"), "dt = nan s"), (-1e-300, "dt = -1e-300 s")):
            st = lib.nnn_emulator_burn_zones(em, nz, ptr(T), ptr(rho), ptr(X), dt, None, ptr(Xo),
                                             ptr(en), ptr(enu), None, None, None, 1)
            assert st == 1 and lib.nnn_last_error().decode().startswith(text)  # not times[0]
        assert lib.nnn_emulator_burn_zones(em, 1, None, ptr(rho), ptr(X), DT, None, ptr(Xo),
                                           ptr(en), ptr(enu), None, None, None, 1) == 1
        assert lib.nnn_emulator_burn_zones(em, 0, None, None, None, DT, None, None, None, None, None,
                                           None, None, 1) == 0
    finally:
        lib.nnn_emulator_free(em)


class ZoneInfo(ctypes.Structure):
    _fields_ = [("n_steps", ctypes.c_long), ("table_clamped", ctypes.c_int),
                ("mass_drift", ctypes.c_double)]


def test_c_zone_info_of_fallback_zones(lib, c_net, tiny_path, small_net):
    """nnn_emulator_burn(_zones)_with_info: a zone the integrator burned carries its
    n_steps, table_clamped and mass_drift, as the engine's own burn of that zone has
    them; a zone the emulator did carries zeros. Before, the emulator's C calls had no
    table_clamped, and Fortran reported .false. for a fallback zone read past a table."""
    lib.nnn_emulator_burn_zones_with_info.argtypes = [
        ctypes.c_void_p, ctypes.c_int, c_double_p, c_double_p, c_double_p, ctypes.c_double,
        ctypes.c_void_p, c_double_p, c_double_p, c_double_p, c_int_p, c_int_p, c_double_p,
        ctypes.c_int, ctypes.c_void_p]
    lib.nnn_emulator_burn_with_info.argtypes = [
        ctypes.c_void_p, ctypes.c_double, ctypes.c_double, c_double_p, ctypes.c_double,
        ctypes.c_void_p, c_double_p, c_double_p, c_double_p, c_double_p, c_int_p, c_double_p,
        ctypes.c_void_p]
    em = ctypes.c_void_p()
    assert lib.nnn_emulator_load(c_net, str(tiny_path).encode(), ctypes.byref(em)) == 0
    try:
        T, rho, X = zones(small_net, 3, seed=5)
        rho[1] = 1e-2  # outside the model's domain, and rho*Ye below the weak tables' grid
        rho[2] = 1e3   # outside the domain, inside the tables
        X = np.ascontiguousarray(X)
        Xo, en, enu, err = np.zeros_like(X), np.zeros(3), np.zeros(3), np.zeros(3)
        path, zst, infos = np.zeros(3, np.int32), np.zeros(3, np.int32), (ZoneInfo * 3)()
        assert lib.nnn_emulator_burn_zones_with_info(
            em, 3, ptr(T), ptr(rho), ptr(X), DT, None, ptr(Xo), ptr(en), ptr(enu),
            ptr(path, ctypes.c_int), ptr(zst, ctypes.c_int), ptr(err), 1,
            ctypes.cast(infos, ctypes.c_void_p)) == 0, lib.nnn_last_error()
        assert path[0] == 0 and path[1] != 0 and path[2] != 0
        assert (infos[0].n_steps, infos[0].table_clamped, infos[0].mass_drift) == (0, 0, 0.0)
        for z in (1, 2):
            ref = small_net.burn(T[z], rho[z], X[z], dt=DT)
            assert (bool(infos[z].table_clamped), infos[z].n_steps, infos[z].mass_drift) == \
                (ref.table_clamped, ref.n_steps, ref.mass_drift)
            np.testing.assert_array_equal(Xo[z], ref.X)
        assert [bool(i.table_clamped) for i in infos] == [False, True, False]

        one, e1, e2, ye, p1, er1, info = (np.zeros(X.shape[1]), ctypes.c_double(), ctypes.c_double(),
                                          ctypes.c_double(), ctypes.c_int(), ctypes.c_double(),
                                          ZoneInfo())
        assert lib.nnn_emulator_burn_with_info(em, T[1], rho[1], ptr(X[1]), DT, None, ptr(one),
                                               ctypes.byref(e1), ctypes.byref(e2), ctypes.byref(ye),
                                               ctypes.byref(p1), ctypes.byref(er1),
                                               ctypes.byref(info)) == 0, lib.nnn_last_error()
        assert (p1.value, info.n_steps, info.table_clamped) == (path[1], infos[1].n_steps, 1)
    finally:
        lib.nnn_emulator_free(em)


def test_c_model_raising_falls_back(lib, c_net, small_net, tmp_path):
    """A model that raises in forward: through C the call succeeds, those zones
    carry the integrator's result with path 7 (issue 14: it used to fail the
    whole call with status 4 and leave the outputs unwritten)."""
    T, rho, X = zones(small_net, 6, seed=8)
    vals, truth = engine_truth(small_net, T, rho, X, CHECK_DT)
    T[2] = 10 ** np.mean(RAISE_BAND)
    model = table_model(small_net, tmp_path / "raising.pt", T, rho, X, CHECK_DT, vals, raise_band=RAISE_BAND)
    em = ctypes.c_void_p()
    assert lib.nnn_emulator_load(c_net, str(model).encode(), ctypes.byref(em)) == 0, lib.nnn_last_error()
    try:
        nz, ns = len(T), small_net.n_species
        Xo, en, enu, err = np.full((nz, ns), -7.0), np.zeros(nz), np.zeros(nz), np.full(nz, -7.0)
        path, zst = np.full(nz, -9, np.int32), np.full(nz, -9, np.int32)
        st = lib.nnn_emulator_burn_zones(em, nz, ptr(T), ptr(rho), ptr(X), CHECK_DT, None, ptr(Xo), ptr(en),
                                         ptr(enu), ptr(path, ctypes.c_int), ptr(zst, ctypes.c_int), ptr(err), 1)
        assert st == 0, lib.nnn_last_error()
        assert (path == 7).all() and (zst == 0).all() and (err == 0).all()  # one batch: every zone
        ref = small_net.burn_batch(T, rho, X, CHECK_DT)
        np.testing.assert_array_equal(Xo, ref.X)
        np.testing.assert_array_equal(en, ref.eps_nuc)
    finally:
        lib.nnn_emulator_free(em)


def test_default_threads_start_no_pool(driver, small_net, tmp_path):
    """A batch big enough for libtorch to go parallel: with libnnn's default (1
    libtorch thread per call) the process stays at 1 OS thread; with
    libtorch's own setting (torch_threads 0) it starts its OpenMP team, one
    thread per core -- the threads that wait for cores on a busy machine."""
    torch.manual_seed(0)
    m = mdl.BurnStepNet(list(small_net.isotopes), np.asarray(small_net.Z) / np.asarray(small_net.A),
                        DOMAIN, scales=(1e-9, 1e14, 1e8), first=256, width=256, depth=2,
                        network=small_net.name, network_hash=small_net.file_hash)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        model = mdl.export(m, tmp_path / "wide.pt", make_meta(small_net))
    T, rho, X = zones(small_net, 2000, seed=3)
    zf = write_zones(tmp_path / "zones.txt", T, rho, X)
    n = os_threads(run([driver, SMALL, model, zf, "zones", 1]))
    assert n == 1, n
    cores = os.cpu_count() or 1
    if cores > 1:
        n = os_threads(run([driver, SMALL, model, zf, "zones", 1, 0]))
        assert n == cores, (n, cores)
