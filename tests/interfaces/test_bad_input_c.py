"""Issue 14 through the C ABI and Fortran: options checked before any thread
starts, isotope queries and empty zone calls with one consistent rule, exact
numbers in messages, and table_clamped / mass_drift returned to C and Fortran
callers (they were only in C++ and Python)."""

from __future__ import annotations

import ctypes
import os
import re

import numpy as np
import pytest

import nnn
from interface_helpers import run

DT = 1e-3
BAD_INPUT = 1
OUT_OF_DOMAIN = 6


class Options(ctypes.Structure):
    _fields_ = [("rtol", ctypes.c_double), ("atol", ctypes.c_double), ("max_steps", ctypes.c_long)]


class ZoneInfo(ctypes.Structure):
    _fields_ = [("n_steps", ctypes.c_long), ("table_clamped", ctypes.c_int),
                ("mass_drift", ctypes.c_double)]


@pytest.fixture(scope="module")
def clib(cmake_build):
    lib = ctypes.CDLL(str(cmake_build.libnnn))
    dptr = np.ctypeslib.ndpointer(np.float64, flags="C_CONTIGUOUS")
    c_d, c_p, c_i = ctypes.c_double, ctypes.c_void_p, ctypes.c_int
    lib.nnn_last_error.restype = ctypes.c_char_p
    lib.nnn_network_load.argtypes = [ctypes.c_char_p, ctypes.POINTER(c_p)]
    lib.nnn_network_free.argtypes = [c_p]
    lib.nnn_default_options.argtypes = [ctypes.POINTER(Options)]
    lib.nnn_network_isotope.argtypes = [c_p, c_i, ctypes.c_char_p, c_i, c_p, c_p]
    lib.nnn_burn.argtypes = [c_p, c_d, c_d, dptr, c_d, c_p, dptr, ctypes.POINTER(c_d),
                             ctypes.POINTER(c_d), c_p, c_p]
    lib.nnn_burn_with_info.argtypes = [c_p, c_d, c_d, dptr, c_d, c_p, dptr, ctypes.POINTER(c_d),
                                       ctypes.POINTER(c_d), c_p, ctypes.POINTER(ZoneInfo)]
    zones = [c_p, c_i, c_p, c_p, c_p, c_d, c_p, c_p, c_p, c_p, c_p, c_i]
    lib.nnn_burn_zones.argtypes = zones
    lib.nnn_burn_zones_with_info.argtypes = zones + [c_p]
    lib.nnn_burn_history_with_info.argtypes = [c_p, c_i, dptr, dptr, dptr, dptr, c_d, c_p, dptr,
                                               ctypes.POINTER(c_d), ctypes.POINTER(c_d),
                                               ctypes.POINTER(c_d), c_p, ctypes.POINTER(ZoneInfo)]
    lib.nnn_burn_self_heating_with_info.argtypes = [c_p, c_d, c_d, dptr, c_d, c_p, c_i, dptr,
                                                    ctypes.POINTER(c_d), ctypes.POINTER(c_d),
                                                    ctypes.POINTER(c_d), c_p, ctypes.POINTER(ZoneInfo)]
    lib.nnn_burn_zones_self_heating_with_info.argtypes = [c_p, c_i, dptr, dptr, dptr, c_d, c_p, c_i,
                                                          dptr, dptr, dptr, dptr, c_p, c_i, c_p]
    return lib


@pytest.fixture(scope="module")
def cnet(clib, small_net):
    h = ctypes.c_void_p()
    assert clib.nnn_network_load(str(small_net).encode(), ctypes.byref(h)) == 0
    yield h
    clib.nnn_network_free(h)


@pytest.fixture(scope="module")
def pynet(small_net):
    return nnn.Network.load(str(small_net))


def ptr(a):
    return a.ctypes.data_as(ctypes.c_void_p) if a is not None else None


def zones_call(clib, cnet, pynet, n, opt=None, n_threads=2, info=None, T=3.5e9, rho=1e8):
    X = np.ascontiguousarray(np.tile(pynet.composition({"si28": 0.6, "s32": 0.4}), (n, 1)))
    Tz, rz = np.full(n, T), np.full(n, rho)
    Xo, e1, e2 = np.full_like(X, -5.0), np.full(n, -5.0), np.full(n, -5.0)
    zs = np.full(n, -7, np.int32)
    args = [cnet, n, ptr(Tz), ptr(rz), ptr(X), DT, ctypes.byref(opt) if opt else None,
            ptr(Xo), ptr(e1), ptr(e2), ptr(zs), n_threads]
    if info is None:
        st = clib.nnn_burn_zones(*args)
    else:
        st = clib.nnn_burn_zones_with_info(*args, ctypes.cast(info, ctypes.c_void_p))
    return st, clib.nnn_last_error().decode(), zs, Xo, X


@pytest.mark.parametrize("field,value,message", [
    ("rtol", 0.0, "rtol = 0 must be in (0, 1)"),
    ("rtol", float("nan"), "rtol = nan must be in (0, 1)"),
    ("rtol", -1e-300, "rtol = -1e-300 must be in (0, 1)"),
    ("atol", 0.0, "atol = 0 must be in (0, 1)"),
    ("atol", -1.0, "atol = -1 must be in (0, 1)"),
    ("max_steps", 0, "max_steps = 0 must be > 0"),
    ("max_steps", -3, "max_steps = -3 must be > 0"),
])
def test_zones_reject_bad_options_before_work(clib, cnet, pynet, field, value, message):
    """Was: accepted, then every zone failed one by one."""
    opt = Options()
    clib.nnn_default_options(ctypes.byref(opt))
    setattr(opt, field, value)
    st, msg, zs, Xo, X = zones_call(clib, cnet, pynet, 4, opt)
    assert (st, msg) == (BAD_INPUT, message)
    assert (zs == BAD_INPUT).all()                         # every zone: rejected, not failed
    # the one-zone call says the same
    x, xo, en, ev = X[0].copy(), np.zeros(X.shape[1]), ctypes.c_double(), ctypes.c_double()
    assert clib.nnn_burn(cnet, 3.5e9, 1e8, x, DT, ctypes.byref(opt), xo, ctypes.byref(en),
                         ctypes.byref(ev), None, None) == BAD_INPUT
    assert clib.nnn_last_error().decode() == message


def test_negative_n_threads_is_rejected(clib, cnet, pynet):
    """Was accepted by C (Fortran rejected it)."""
    st, msg, zs, _, _ = zones_call(clib, cnet, pynet, 3, n_threads=-1)
    assert (st, msg) == (BAD_INPUT, "n_threads = -1 must be >= 0 (0: all cores)")
    assert (zs == BAD_INPUT).all()


def test_isotope_query_rejects_negative_len(clib, cnet):
    """nnn_network_isotope(len = -5) returned NNN_OK."""
    buf = ctypes.create_string_buffer(8)
    assert clib.nnn_network_isotope(cnet, 0, buf, -5, None, None) == BAD_INPUT
    assert clib.nnn_last_error().decode() == "len = -5 must be >= 0 (the size of name)"
    assert clib.nnn_network_isotope(cnet, 0, buf, 8, None, None) == 0 and buf.value == b"n"
    assert clib.nnn_network_isotope(cnet, 0, buf, 0, None, None) == 0   # len 0: nothing written


def test_zero_zones_is_a_valid_call_like_the_emulators(clib, cnet):
    """nnn_burn_zones(n_zones = 0, NULL arrays) was refused while
    nnn_emulator_burn_zones accepts it: both now do nothing and return OK
    (options are still checked); a negative count is bad input."""
    null = [None] * 3
    assert clib.nnn_burn_zones(cnet, 0, *null, DT, None, *null, None, 0) == 0
    assert clib.nnn_last_error().decode() == ""
    assert clib.nnn_burn_zones(cnet, -1, *null, DT, None, *null, None, 0) == BAD_INPUT
    assert clib.nnn_last_error().decode() == "n_zones = -1 must be >= 0"
    opt = Options(0.0, 1e-12, 10)
    assert clib.nnn_burn_zones(cnet, 0, *null, DT, ctypes.byref(opt), *null, None, 0) == BAD_INPUT


def test_messages_print_numbers_exactly(clib, cnet, pynet):
    """std::to_string printed -1e-300 as -0.000000."""
    x = pynet.composition({"si28": 1.0})
    xo, en, ev = np.zeros_like(x), ctypes.c_double(), ctypes.c_double()
    for dt, text in [(-1e-300, "dt = -1e-300 s is invalid"), (1e300 * -1, "dt = -1e+300 s is invalid")]:
        assert clib.nnn_burn(cnet, 3e9, 1e8, x, dt, None, xo, ctypes.byref(en), ctypes.byref(ev),
                             None, None) == BAD_INPUT
        assert clib.nnn_last_error().decode().startswith(text)


@pytest.mark.parametrize("rho", [1e-2, 1e8])
def test_table_clamped_and_mass_drift_reach_c(clib, cnet, pynet, rho):
    """At rho = 1e-2 g/cm^3, rho*Ye lies below every weak-rate table (clamped);
    at 1e8 inside. C reports what Python reports, zone by zone."""
    x = pynet.composition({"si28": 0.6, "s32": 0.4})
    ref = pynet.burn(3.5e9, rho, x, dt=DT)
    assert ref.table_clamped == (rho < 1)
    xo, en, ev, info = np.zeros_like(x), ctypes.c_double(), ctypes.c_double(), ZoneInfo()
    assert clib.nnn_burn_with_info(cnet, 3.5e9, rho, x, DT, None, xo, ctypes.byref(en),
                                   ctypes.byref(ev), None, ctypes.byref(info)) == 0
    assert bool(info.table_clamped) == ref.table_clamped
    assert info.n_steps == ref.n_steps and info.mass_drift == ref.mass_drift
    np.testing.assert_array_equal(xo, ref.X)
    infos = (ZoneInfo * 3)()
    st, msg, zs, Xo, _ = zones_call(clib, cnet, pynet, 3, info=infos, rho=rho)
    assert st == 0, msg
    assert [bool(i.table_clamped) for i in infos] == [ref.table_clamped] * 3
    assert [i.n_steps for i in infos] == [ref.n_steps] * 3


@pytest.mark.parametrize("rho", [1e-2, 1e8])
def test_table_clamped_reaches_c_in_every_burn_mode(clib, cnet, pynet, rho):
    """The history and self-heating burns report table_clamped, n_steps and
    mass_drift through C as Python has them (they were only in the constant
    burns' C calls)."""
    x = pynet.composition({"si28": 0.6, "s32": 0.4})
    t, T, r = np.array([0.0, DT]), np.array([3.5e9, 3.6e9]), np.array([rho, rho])
    ref = pynet.burn(X=x, dt=DT, history=(t, T, r))
    assert ref.table_clamped == (rho < 1)
    xo, en, ev, Tend, info = np.zeros_like(x), ctypes.c_double(), ctypes.c_double(), ctypes.c_double(), ZoneInfo()
    assert clib.nnn_burn_history_with_info(cnet, 2, t, T, r, x, DT, None, xo, ctypes.byref(en),
                                           ctypes.byref(ev), ctypes.byref(Tend), None,
                                           ctypes.byref(info)) == 0, clib.nnn_last_error()
    assert (bool(info.table_clamped), info.n_steps, info.mass_drift) == \
        (ref.table_clamped, ref.n_steps, ref.mass_drift)
    np.testing.assert_array_equal(xo, ref.X)

    ref = pynet.burn(3.5e9, rho, x, dt=DT, self_heating=True)
    assert ref.table_clamped == (rho < 1)
    info = ZoneInfo()
    assert clib.nnn_burn_self_heating_with_info(cnet, 3.5e9, rho, x, DT, None, 0, xo,
                                                ctypes.byref(Tend), ctypes.byref(en), ctypes.byref(ev),
                                                None, ctypes.byref(info)) == 0, clib.nnn_last_error()
    assert (bool(info.table_clamped), info.n_steps, info.mass_drift) == \
        (ref.table_clamped, ref.n_steps, ref.mass_drift)
    assert Tend.value == ref.T

    X = np.ascontiguousarray(np.tile(x, (2, 1)))
    Xo, T_end, e1, e2 = np.zeros_like(X), np.zeros(2), np.zeros(2), np.zeros(2)
    zs, infos = np.full(2, -7, np.int32), (ZoneInfo * 2)()
    assert clib.nnn_burn_zones_self_heating_with_info(
        cnet, 2, np.full(2, 3.5e9), np.full(2, rho), X, DT, None, 0, Xo, T_end, e1, e2,
        ptr(zs), 2, ctypes.cast(infos, ctypes.c_void_p)) == 0, clib.nnn_last_error()
    assert [bool(i.table_clamped) for i in infos] == [ref.table_clamped] * 2
    assert [i.n_steps for i in infos] == [ref.n_steps] * 2


FORTRAN_PROBE = """
program probe
  use nnn
  implicit none
  type(nnn_network_t) :: net
  real(dp), allocatable :: X(:), XZ(:, :)
  real(dp) :: eps_nuc, eps_nu, e1(2), e2(2), T, TZ(2)
  logical :: clamped, zc(2)
  integer :: ierr, n, i
  character(len=512) :: path
  call get_command_argument(1, path)
  call nnn_load_network(net, trim(path), ierr)
  if (ierr /= NNN_OK) stop 2
  n = nnn_n_species(net)
  allocate (X(n), XZ(n, 2))
  do i = 1, 2
    X = 0
    X(nnn_isotope_index_or_die(net, 'si28')) = 1
    call nnn_burn(net, 3.5d9, merge(1d-2, 1d8, i == 1), X, 1d-3, eps_nuc, eps_nu, ierr, &
        table_clamped=clamped)
    write (*, '(a, i0, 1x, i0, 1x, l1)') 'one ', i, ierr, clamped
  end do
  XZ = 0
  XZ(nnn_isotope_index_or_die(net, 'si28'), :) = 1
  call nnn_burn_zones(net, [3.5d9, 3.5d9], [1d-2, 1d8], XZ, 1d-3, e1, e2, ierr, table_clamped=zc)
  write (*, '(a, i0, 2(1x, l1))') 'zones ', ierr, zc
  do i = 1, 2
    X = 0
    X(nnn_isotope_index_or_die(net, 'si28')) = 1
    call nnn_burn_history(net, [0d0, 1d-3], [3.5d9, 3.6d9], merge([1d-2, 1d-2], [1d8, 1d8], i == 1), X, &
        1d-3, eps_nuc, eps_nu, ierr, table_clamped=clamped)
    write (*, '(a, i0, 1x, i0, 1x, l1)') 'history ', i, ierr, clamped
    X = 0
    X(nnn_isotope_index_or_die(net, 'si28')) = 1
    T = 3.5d9
    call nnn_burn_self_heating(net, T, merge(1d-2, 1d8, i == 1), X, 1d-3, eps_nuc, eps_nu, ierr, &
        table_clamped=clamped)
    write (*, '(a, i0, 1x, i0, 1x, l1)') 'heating ', i, ierr, clamped
  end do
  XZ = 0
  XZ(nnn_isotope_index_or_die(net, 'si28'), :) = 1
  TZ = 3.5d9
  call nnn_burn_zones_self_heating(net, TZ, [1d-2, 1d8], XZ, 1d-3, e1, e2, ierr, table_clamped=zc)
  write (*, '(a, i0, 2(1x, l1))') 'heating_zones ', ierr, zc
contains
  integer function nnn_isotope_index_or_die(net, name) result(k)
    type(nnn_network_t), intent(in) :: net
    character(len=*), intent(in) :: name
    integer :: err
    call nnn_isotope_index(net, name, k, err)
    if (err /= NNN_OK) stop 3
  end function
end program probe
"""


def test_table_clamped_reaches_fortran(cmake_build, small_net, pynet, tmp_path):
    import shutil
    if shutil.which("gfortran") is None:
        pytest.skip("needs gfortran")
    src = tmp_path / "probe.f90"
    src.write_text(FORTRAN_PROBE)
    exe = tmp_path / "probe"
    libs = [cmake_build.libdir_fortran, cmake_build.build]
    run(["gfortran", "-O1", f"-I{cmake_build.moddir}", src, "-o", exe,
         *[f"-L{p}" for p in libs], "-lnnn_fortran", "-lnnn", *[f"-Wl,-rpath,{p}" for p in libs]])
    out = run([exe, small_net], env=dict(os.environ)).stdout.split("\n")
    refs = [pynet.burn(3.5e9, rho, {"si28": 1.0}, dt=DT).table_clamped for rho in (1e-2, 1e8)]
    assert refs == [True, False]
    assert out[0].split() == ["one", "1", "0", "T"] and out[1].split() == ["one", "2", "0", "F"], out
    assert out[2].split() == ["zones", "0", "T", "F"], out
    # the burn modes (history, self-heating, self-heating zones) report it too
    hist = [pynet.burn(X={"si28": 1.0}, dt=DT, history=([0, DT], [3.5e9, 3.6e9], [rho, rho])).table_clamped
            for rho in (1e-2, 1e8)]
    heat = [pynet.burn(3.5e9, rho, {"si28": 1.0}, dt=DT, self_heating=True).table_clamped
            for rho in (1e-2, 1e8)]
    assert hist == heat == [True, False]
    assert [ln.split() for ln in out[3:7]] == [["history", "1", "0", "T"], ["heating", "1", "0", "T"],
                                               ["history", "2", "0", "F"], ["heating", "2", "0", "F"]], out
    assert out[7].split() == ["heating_zones", "0", "T", "F"], out


def test_a_zone_past_the_networks_physics_is_out_of_domain_in_c(clib, cnet, pynet):
    """A zone whose electron captures carry it past the network's physics (approx21,
    Si at 1e10 K, 1e10 g/cm3, dt 1e6 s: Ye below cr60's 0.4) and is stopped there comes
    back to C as NNN_OUT_OF_DOMAIN with the limit named, next to a zone that burns. (It
    ground on and was stopped after 20,000 steps; since dY/dt sums net reaction fluxes it
    burns in ~3000, so max_steps = 2000 stops it here, at t ~ 1e5 s.)"""
    n = 2
    X = np.ascontiguousarray(np.tile(pynet.composition({"si28": 0.6, "s32": 0.4}), (n, 1)))
    Tz, rz = np.array([3e9, 1e10]), np.array([1e6, 1e10])
    Xo, e1, e2 = np.zeros_like(X), np.zeros(n), np.zeros(n)
    zs = np.full(n, -7, np.int32)
    opt = Options()
    clib.nnn_default_options(ctypes.byref(opt))
    opt.max_steps = 2000
    st = clib.nnn_burn_zones(cnet, n, ptr(Tz), ptr(rz), ptr(X), 1e6, ctypes.byref(opt), ptr(Xo),
                             ptr(e1), ptr(e2), ptr(zs), 1)
    msg = clib.nnn_last_error().decode()
    assert st == OUT_OF_DOMAIN and list(zs) == [0, OUT_OF_DOMAIN], (st, list(zs), msg)
    assert re.match(r"zone 1: bdf: more than 2000 steps, past the network's physics \(reached t = ",
                    msg), msg
    assert "(cr60), the lowest Z/A of the network's nuclei with A >= 40" in msg
    assert np.all(np.isfinite(Xo[0])) and abs(Xo[0].sum() - 1) < 1e-12
