"""C ABI, Fortran module (compiled drivers and the f90wrap wrapper) and Python
binding give the same burns, and fail the same way on bad input.

Every interface runs the same C++ engine, so the results must agree to round-off
of the text round trip (drivers print 17-18 significant digits): 1e-12 relative.
The fixtures (conftest.py) build the CMake project and the f90wrap wrapper once
per session in temporary directories.
"""

from __future__ import annotations

import ctypes
import math
import os
import re
from pathlib import Path

import numpy as np
import pytest

import nnn
from interface_helpers import ROOT, fortran_zones, fstr, print_agreement, run

RTOL = 1e-12
DT = 1e-2  # s: long enough to burn, short enough for CI (parity, not physics, is tested here)
# (T [K], rho [g/cm^3], composition): silicon burning, NSE-ish, helium and carbon/oxygen burning
ZONES = [
    (2.5e9, 1e7, {"si28": 0.6, "s32": 0.4}),
    (3.5e9, 1e8, {"si28": 0.6, "s32": 0.4}),
    (5.0e9, 1e9, {"si28": 0.5, "s32": 0.3, "ni56": 0.2}),
    (3.0e9, 1e6, {"he4": 1.0}),
    (1.5e9, 3e7, {"c12": 0.5, "o16": 0.5}),
    (4.0e9, 5e8, {"he4": 0.1, "fe56": 0.3, "si28": 0.6}),
]
AGREEMENT: dict[str, float] = {}  # interface -> max relative difference from Python


# --------------------------------------------------------------------------- helpers
def composition(isotopes, comp) -> np.ndarray:
    x = np.zeros(len(isotopes))
    for k, v in comp.items():
        x[isotopes.index(k)] = v
    return x


def write_zone_file(path: Path, T, rho, X, dt=DT) -> Path:
    lines = [f"{len(T)} {X.shape[1]} {dt!r}"]
    lines += [" ".join(repr(float(v)) for v in (t, r, *x)) for t, r, x in zip(T, rho, X)]
    path.write_text("\n".join(lines) + "\n")
    return path


def parse_zones(text: str):
    """Rows 'zone K STATUS EPS_NUC EPS_NU YE N_STEPS X...' of the drivers' output."""
    species, rows = None, []
    for line in text.splitlines():
        f = line.split()
        if f and f[0] == "species":
            species = f[1:]
        elif f and f[0] == "zone":
            rows.append(dict(k=int(f[1]), status=int(f[2]), eps_nuc=float(f[3]), eps_nu=float(f[4]),
                             Ye=float(f[5]), n_steps=int(f[6]), X=np.array(f[7:], dtype=float)))
    assert species is not None and rows, f"no zones in output:\n{text[-2000:]}"
    assert [r["k"] for r in rows] == list(range(1, len(rows) + 1))
    return species, rows


def max_rel(a, b) -> float:
    a, b = np.atleast_1d(np.asarray(a, float)), np.atleast_1d(np.asarray(b, float))
    assert a.shape == b.shape
    scale = np.maximum(np.abs(a), np.abs(b))
    d = np.abs(a - b)
    return float(np.max(np.where(scale > 0, d / np.where(scale > 0, scale, 1.0), 0.0), initial=0.0))


def compare(name, got, ref):
    """got/ref: lists of (X, eps_nuc, eps_nu); records and checks the worst relative error."""
    err = 0.0
    for (x, en, ev), (xr, enr, evr) in zip(got, ref, strict=True):
        err = max(err, max_rel(x, xr), max_rel(en, enr), max_rel(ev, evr))
    AGREEMENT[name] = err
    assert err <= RTOL, (f"{name} differs from Python by {err:.3e} relative (if the C++ sources "
                         "changed, rebuild the Python module: pip install --no-build-isolation -e .)")


# --------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def pynet(small_net):
    return nnn.Network.load(str(small_net))


@pytest.fixture(scope="module")
def zones(pynet):
    T = np.array([z[0] for z in ZONES])
    rho = np.array([z[1] for z in ZONES])
    X = np.array([composition(pynet.isotopes, z[2]) for z in ZONES])
    return T, rho, X


@pytest.fixture(scope="module")
def python_ref(pynet, zones):
    T, rho, X = zones
    out = []
    for t, r, x in zip(T, rho, X):
        b = pynet.burn(T=float(t), rho=float(r), X=x, dt=DT)
        out.append((np.asarray(b.X), b.eps_nuc, b.eps_nu))
    return out


@pytest.fixture(scope="module")
def zone_file(tmp_path_factory, zones):
    return write_zone_file(tmp_path_factory.mktemp("zones") / "zones.txt", *zones)


@pytest.fixture(scope="module")
def clib(cmake_build):
    """libnnn of the CMake build through ctypes: the C ABI itself."""
    lib = ctypes.CDLL(str(cmake_build.libnnn))
    dptr = np.ctypeslib.ndpointer(np.float64, flags="C_CONTIGUOUS")
    iptr = np.ctypeslib.ndpointer(np.int32, flags="C_CONTIGUOUS")
    c_d, c_p = ctypes.c_double, ctypes.c_void_p
    lib.nnn_last_error.restype = ctypes.c_char_p
    lib.nnn_network_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(c_p)]
    lib.nnn_network_free.argtypes = [c_p]
    lib.nnn_network_n_species.argtypes = [c_p, ctypes.POINTER(ctypes.c_int)]
    lib.nnn_burn.argtypes = [c_p, c_d, c_d, dptr, c_d, c_p, dptr, ctypes.POINTER(c_d),
                             ctypes.POINTER(c_d), c_p, c_p]
    lib.nnn_burn_zones.argtypes = [c_p, ctypes.c_int, dptr, dptr, dptr, c_d, c_p, dptr, dptr, dptr,
                                   iptr, ctypes.c_int]
    return lib


@pytest.fixture(scope="module")
def cnet(clib, small_net):
    h = ctypes.c_void_p()
    assert clib.nnn_network_load(str(small_net).encode(), ctypes.byref(h)) == 0
    yield h
    clib.nnn_network_free(h)


@pytest.fixture(scope="module")
def fnet(fortran_py, small_net):
    N = fortran_py.nnn_network
    net = N.nnn_network_t()
    assert N.nnn_load_network(net, str(small_net)) == 0, fstr(N.nnn_error_message())
    yield net
    N.nnn_free_network(net)


# --------------------------------------------------------------------------- parity
def test_isotopes_agree(fortran_py, fnet, pynet):
    N = fortran_py.nnn_network
    n = N.nnn_n_species(fnet)
    assert n == len(pynet.isotopes)
    names = []
    for i in range(1, n + 1):
        name, ierr = N.nnn_isotope_name(fnet, i)
        assert ierr == 0
        names.append(fstr(name))
        idx, ierr = N.nnn_isotope_index(fnet, names[-1])
        assert (idx, ierr) == (i, 0)
    assert names == list(pynet.isotopes)


def test_c_driver_matches_python(cmake_build, small_net, zone_file, python_ref):
    for mode in ("loop", "zones"):
        out = run([cmake_build.c_01, small_net, zone_file, mode]).stdout
        _, rows = parse_zones(out)
        assert all(r["status"] == 0 for r in rows)
        compare(f"C 01_burn ({mode})", [(r["X"], r["eps_nuc"], r["eps_nu"]) for r in rows], python_ref)


def test_fortran_driver_matches_python(cmake_build, small_net, zone_file, python_ref, pynet):
    env = dict(os.environ, OMP_NUM_THREADS="2")
    for mode in ("loop", "zones"):
        out = run([cmake_build.f_02, small_net, zone_file, mode], env=env).stdout
        species, rows = parse_zones(out)
        assert species == list(pynet.isotopes)
        assert all(r["status"] == 0 for r in rows)
        compare(f"Fortran 02_burn_zones_openmp ({mode})",
                [(r["X"], r["eps_nuc"], r["eps_nu"]) for r in rows], python_ref)


def test_c_abi_matches_python(clib, cnet, zones, python_ref):
    T, rho, X = zones
    n = X.shape[1]
    got = []
    for t, r, x in zip(T, rho, X):
        xo, en, ev = np.zeros(n), ctypes.c_double(), ctypes.c_double()
        assert clib.nnn_burn(cnet, t, r, np.ascontiguousarray(x), DT, None, xo, ctypes.byref(en),
                             ctypes.byref(ev), None, None) == 0
        got.append((xo, en.value, ev.value))
    compare("C ABI nnn_burn (ctypes)", got, python_ref)


def test_f90wrap_matches_python(fortran_py, fnet, zones, python_ref, pynet):
    B = fortran_py.nnn_burning
    T, rho, X = zones
    got = []
    for t, r, x in zip(T, rho, X):
        xf = np.array(x, dtype=np.float64)
        ye, steps = np.zeros((), np.float64), np.zeros((), np.int32)
        en, ev, ierr = B.nnn_burn(fnet, float(t), float(r), xf, DT, ye=ye, n_steps=steps)
        assert ierr == 0
        b = pynet.burn(T=float(t), rho=float(r), X=x, dt=DT)
        assert max_rel(ye, b.Ye) <= RTOL and int(steps) == b.n_steps
        got.append((xf, en, ev))
    compare("Fortran nnn_burn (f90wrap)", got, python_ref)

    # zones call: X(n_species, n_zones) column-major = X.T in Fortran order
    Xf = fortran_zones(X)
    en, ev, st = np.zeros(len(T)), np.zeros(len(T)), np.full(len(T), -7, np.int32)
    assert B.nnn_burn_zones(fnet, T, rho, Xf, DT, en, ev, zone_status=st, n_threads=2) == 0
    assert (st == 0).all()
    compare("Fortran nnn_burn_zones (f90wrap)", [(Xf[:, k], en[k], ev[k]) for k in range(len(T))],
            python_ref)


def test_python_batch_matches_python(pynet, zones, python_ref):
    T, rho, X = zones
    b = pynet.burn_batch(T, rho, X, dt=DT)
    compare("Python burn_batch", [(np.asarray(b.X)[k], b.eps_nuc[k], b.eps_nu[k]) for k in range(len(T))],
            python_ref)


# --------------------------------------------------------------------------- threads
def test_openmp_threads_give_identical_results(cmake_build, small_net):
    outs = {}
    for threads, mode in ((1, "loop"), (8, "loop"), (8, "zones")):
        env = dict(os.environ, OMP_NUM_THREADS=str(threads))
        text = run([cmake_build.f_02, small_net, "gen:24", mode, DT], env=env).stdout
        assert f"threads={threads}" in text.splitlines()[0]
        outs[(threads, mode)] = parse_zones(text)[1]
    ref = outs[(1, "loop")]
    # statuses are compared too: a zone the integrator fails must fail on any thread count
    assert sum(r["status"] == 0 for r in ref) >= len(ref) // 2
    for key, rows in outs.items():
        for a, b in zip(rows, ref, strict=True):
            assert np.array_equal(a["X"], b["X"]), key
            assert (a["eps_nuc"], a["eps_nu"], a["status"]) == (b["eps_nuc"], b["eps_nu"], b["status"]), key
            if key[1] == "loop":
                assert (a["Ye"], a["n_steps"]) == (b["Ye"], b["n_steps"]), key


def test_f90wrap_zones_threads_identical(fortran_py, fnet, pynet):
    B = fortran_py.nnn_burning
    nz = 16
    T = np.linspace(2.5e9, 5e9, nz)
    rho = np.geomspace(1e6, 1e9, nz)
    X = np.array([composition(pynet.isotopes, {"si28": 0.5 + 0.02 * k, "s32": 0.5 - 0.02 * k})
                  for k in range(nz)])
    res = []
    for threads in (1, 8):
        Xf = fortran_zones(X)
        en, ev, st = np.zeros(nz), np.zeros(nz), np.zeros(nz, np.int32)
        assert B.nnn_burn_zones(fnet, T, rho, Xf, DT, en, ev, zone_status=st, n_threads=threads) == 0
        res.append((Xf, en, ev))
    for a, b in zip(res[0], res[1]):
        assert np.array_equal(a, b)


# --------------------------------------------------------------------------- examples, install
def test_example_01_fortran_and_c(cmake_build, small_net, pynet):
    x = composition(pynet.isotopes, {"si28": 0.6, "s32": 0.4})
    ref = pynet.burn(T=3.5e9, rho=1e8, X=x, dt=1.0)
    f = run([cmake_build.f_01, small_net]).stdout
    c = run([cmake_build.c_01, small_net]).stdout
    for text in (f, c):
        en = float(re.search(r"eps_nuc \(erg/g\)\s*=\s*(\S+)", text).group(1))
        ev = float(re.search(r"eps_nu \(erg/g/s\)\s*=\s*(\S+)", text).group(1))
        assert max_rel(en, ref.eps_nuc) <= 1e-15 and max_rel(ev, ref.eps_nu) <= 1e-15
        assert re.search(r"bad input: (ierr|status) = 1, message: T = -1 K is invalid", text)
    m = re.search(r"timing: n = (\d+), fortran_us = \s*(\S+), c_us = \s*(\S+), overhead_us = \s*(\S+)", f)
    assert m, f
    print(f"\nFortran nnn_burn vs C nnn_burn, dt = 1e-12 s: {m.group(2)} us vs {m.group(3)} us "
          f"(median of {m.group(1)})")


def test_install_and_find_package_consumer(cmake_build, small_net, pynet, tmp_path):
    prefix = cmake_build.prefix
    run(["cmake", "--install", cmake_build.build, "--prefix", prefix])
    libdir = next(p.parent for p in prefix.rglob("nnnConfig.cmake")).parent.parent
    for rel in ("include/nnn.h", "include/nnn/fortran/nnn.mod", "include/nnn/fortran/nnn_burning.mod",
                "include/nnn/fortran/nnn_network.mod"):
        assert (prefix / rel).exists(), rel
    assert list(libdir.glob("libnnn.so*")) and list(libdir.glob("libnnn_fortran.so*"))
    assert "nnn::nnn_fortran" in (libdir / "cmake" / "nnn" / "nnnTargets.cmake").read_text()

    b = tmp_path / "consumer"
    run(["cmake", "-S", ROOT / "examples" / "cmake_consumer", "-B", b, "-DCMAKE_BUILD_TYPE=Release",
         f"-DCMAKE_PREFIX_PATH={prefix}"])
    run(["cmake", "--build", b, "-j2"])
    ref = pynet.burn(T=3e9, rho=1e7, X=composition(pynet.isotopes, {"he4": 1.0}), dt=1e-3)
    ihe = list(pynet.isotopes).index("he4")
    for exe in ("consumer_f", "consumer_c"):
        out = run([b / exe, small_net]).stdout
        vals = dict(re.findall(r"(\w+)=\s*(\S+)", out))
        assert int(vals.get("ierr", vals.get("status"))) == 0, out
        assert max_rel(float(vals["eps_nuc"]), ref.eps_nuc) <= RTOL, out
        assert max_rel(float(vals["eps_nu"]), ref.eps_nu) <= RTOL, out
        assert max_rel(float(vals["X_he4"]), ref.X[ihe]) <= RTOL, out


# --------------------------------------------------------------------------- bad input
BAD_ZONES = [  # (label, T, rho, X transform, status, words the message must contain)
    ("T = 0", 0.0, 1e8, None, 1, ["T = 0"]),
    ("T < 0", -3e9, 1e8, None, 1, ["T = -3"]),
    ("T NaN", math.nan, 1e8, None, 1, ["T = nan"]),
    ("rho NaN", 3e9, math.nan, None, 1, ["rho = nan"]),
    ("rho <= 0", 3e9, -1.0, None, 1, ["rho = -1"]),
    ("sum X != 1", 3e9, 1e8, lambda x: 0.9 * x, 1, ["sum of X", "0.9"]),
    ("X NaN", 3e9, 1e8, lambda x: np.where(x > 0.5, math.nan, x), 1, ["X[si28] = nan"]),
    ("X < 0", 3e9, 1e8, lambda x: x + np.where(x == 0.6, -0.725, np.where(x == 0.4, 0.725, 0.0)), 1,
     ["X[si28] = -0.125"]),
]


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, small_net):
    d = tmp_path_factory.mktemp("bad")
    garbage = d / "garbage.net"
    garbage.write_text("this is not a network file\n")
    truncated = d / "truncated.net"
    truncated.write_text(small_net.read_text()[:4000])
    return {"garbage": garbage, "truncated": truncated}


def base_x(pynet):
    return composition(pynet.isotopes, {"si28": 0.6, "s32": 0.4})


@pytest.mark.parametrize("case", BAD_ZONES, ids=[c[0] for c in BAD_ZONES])
def test_bad_input_c(clib, cnet, pynet, case):
    _, T, rho, fx, status, words = case
    x0 = base_x(pynet)
    x = np.ascontiguousarray(fx(x0) if fx else x0)
    xo, en, ev = np.full(len(x), -5.0), ctypes.c_double(-5), ctypes.c_double(-5)
    st = clib.nnn_burn(cnet, T, rho, x, DT, None, xo, ctypes.byref(en), ctypes.byref(ev), None, None)
    msg = clib.nnn_last_error().decode()
    assert st == status, msg
    for w in words:
        assert w in msg, msg
    # zones: the bad zone (index 1) is named and nothing is burned
    X = np.ascontiguousarray(np.array([x0, x, x0]))
    Tz, rz = np.array([3e9, T, 3e9]), np.array([1e8, rho, 1e8])
    Xo, e1, e2, zs = np.zeros_like(X), np.zeros(3), np.zeros(3), np.zeros(3, np.int32)
    st = clib.nnn_burn_zones(cnet, 3, Tz, rz, X, DT, None, Xo, e1, e2, zs, 2)
    msg = clib.nnn_last_error().decode()
    assert st == status and "zone 1" in msg and words[0] in msg, msg


@pytest.mark.parametrize("case", BAD_ZONES, ids=[c[0] for c in BAD_ZONES])
def test_bad_input_fortran(fortran_py, fnet, pynet, case):
    N, B = fortran_py.nnn_network, fortran_py.nnn_burning
    _, T, rho, fx, status, words = case
    x0 = base_x(pynet)
    x = np.array(fx(x0) if fx else x0)
    xin = x.copy()
    en, ev, ierr = B.nnn_burn(fnet, T, rho, x, DT)
    msg = fstr(N.nnn_error_message())
    assert ierr == status, msg
    for w in words:
        assert w in msg, msg
    assert (en, ev) == (0.0, 0.0)
    np.testing.assert_array_equal(x, xin)  # X unchanged on failure (NaN == NaN here)
    # zones: fails before any work, every zone_status is the status, X unchanged
    Xf = fortran_zones([x0, xin, x0])
    X_before = Xf.copy()
    e1, e2, zs = np.full(3, 9.0), np.full(3, 9.0), np.zeros(3, np.int32)
    ierr = B.nnn_burn_zones(fnet, np.array([3e9, T, 3e9]), np.array([1e8, rho, 1e8]), Xf, DT, e1, e2,
                            zone_status=zs)
    msg = fstr(N.nnn_error_message())
    assert ierr == status and "zone 1" in msg and words[0] in msg, msg
    assert (zs == status).all() and (e1 == 0).all() and (e2 == 0).all()
    np.testing.assert_array_equal(Xf, X_before)


def test_bad_input_fortran_module_checks(fortran_py, fnet, pynet):
    N, B = fortran_py.nnn_network, fortran_py.nnn_burning
    x = base_x(pynet)
    n = len(x)
    # wrong length of X
    en, ev, ierr = B.nnn_burn(fnet, 3e9, 1e8, np.append(x, 0.0), DT)
    assert ierr == 1 and fstr(N.nnn_error_message()) == f"size(X) = {n + 1} differs from n_species = {n}"
    # zones: inconsistent sizes
    Xf = fortran_zones([x, x])
    ierr = B.nnn_burn_zones(fnet, np.array([3e9, 3e9]), np.array([1e8]), Xf, DT, np.zeros(2), np.zeros(2))
    assert ierr == 1 and "size(rho) = 1" in fstr(N.nnn_error_message())
    ierr = B.nnn_burn_zones(fnet, np.array([3e9, 3e9]), np.array([1e8, 1e8]), np.array(Xf[:-1], order="F"), DT,
                            np.zeros(2), np.zeros(2))
    assert ierr == 1 and f"size(X, 1) = {n - 1} differs from n_species = {n}" in fstr(N.nnn_error_message())
    # bad dt (named dt, not the engine's times[0])
    for dt, text in ((0.0, "dt = 0 s"), (-1.0, "dt = -1 s"), (math.nan, "dt = nan s"), (math.inf, "dt = inf s")):
        en, ev, ierr = B.nnn_burn(fnet, 3e9, 1e8, x.copy(), dt)
        assert ierr == 1 and text in fstr(N.nnn_error_message()), fstr(N.nnn_error_message())
        ierr = B.nnn_burn_zones(fnet, np.array([3e9]), np.array([1e8]), fortran_zones([x]), dt, np.zeros(1),
                                np.zeros(1))
        assert ierr == 1 and text in fstr(N.nnn_error_message())
    # bad tolerances and isotope queries
    en, ev, ierr = B.nnn_burn(fnet, 3e9, 1e8, x.copy(), DT, rtol=-1.0)
    assert ierr == 1 and "rtol = -1" in fstr(N.nnn_error_message())
    _, ierr = N.nnn_isotope_name(fnet, n + 1)
    assert ierr == 1 and f"i = {n + 1}" in fstr(N.nnn_error_message())
    _, ierr = N.nnn_isotope_index(fnet, "unobtainium")
    assert ierr == 1 and "unobtainium" in fstr(N.nnn_error_message())
    # a network that was never loaded, and one that was freed
    empty = N.nnn_network_t()
    en, ev, ierr = B.nnn_burn(empty, 3e9, 1e8, x.copy(), DT)
    assert ierr == 1 and "net is not loaded" in fstr(N.nnn_error_message())
    assert N.nnn_n_species(empty) == 0
    N.nnn_free_network(empty)  # freeing an unloaded network is a no-op
    # and the network still burns after all these failures
    en, ev, ierr = B.nnn_burn(fnet, 3e9, 1e8, x.copy(), 1e-6)
    assert ierr == 0 and en != 0


@pytest.mark.parametrize("which", ["missing name", "missing path", "garbage", "truncated"])
def test_bad_network_c_and_fortran(clib, fortran_py, bad_files, tmp_path, which):
    N = fortran_py.nnn_network
    name = {"missing name": "no_such_network_xyz", "missing path": str(tmp_path / "nope.net")}.get(which)
    if name is None:
        name = str(bad_files[which])
    h = ctypes.c_void_p(1)
    st = clib.nnn_network_load(name.encode(), ctypes.byref(h))
    cmsg = clib.nnn_last_error().decode()
    assert st == 2 and not h.value and Path(name).name in cmsg, cmsg
    net = N.nnn_network_t()
    ierr = N.nnn_load_network(net, name)
    fmsg = fstr(N.nnn_error_message())
    assert ierr == 2 and fmsg == cmsg
    assert not N.nnn_network_loaded(net)
    if which in ("garbage", "truncated"):
        assert "corrupt" in cmsg
    ierr = N.nnn_load_network(net, "  ")
    assert ierr == 1 and "name" in fstr(N.nnn_error_message())


def test_bad_input_through_drivers(cmake_build, small_net, pynet, tmp_path):
    """The compiled drivers report failing zones and carry on; no crash."""
    x = base_x(pynet)
    T = np.array([3e9, -1.0, math.nan, 3e9])
    rho = np.array([1e8, 1e8, 1e8, 1e8])
    X = np.array([x, x, x, 0.5 * x])
    zf = write_zone_file(tmp_path / "bad_zones.txt", T, rho, X, dt=1e-3)
    env = dict(os.environ, OMP_NUM_THREADS="2")
    for exe in (cmake_build.f_02, cmake_build.c_01):
        _, rows = parse_zones(run([exe, small_net, zf, "loop"], env=env).stdout)
        assert [r["status"] for r in rows] == [0, 1, 1, 1]
        np.testing.assert_array_equal(rows[1]["X"], x)  # failed zones keep X(0)
        assert rows[1]["eps_nuc"] == 0 and rows[1]["eps_nu"] == 0
        _, rows = parse_zones(run([exe, small_net, zf, "zones"], env=env).stdout)
        assert [r["status"] for r in rows] == [1] * 4  # rejected before any work
    p = run([cmake_build.f_02, "no_such_network_xyz"], check=False)
    assert p.returncode == 1 and "no_such_network_xyz" in p.stdout and "ierr = 2" in p.stdout


def test_zz_report_agreement():
    """Prints the measured agreement (pytest -s)."""
    print_agreement("max relative difference from Python net.burn (X, eps_nuc, eps_nu):", AGREEMENT, 45)
