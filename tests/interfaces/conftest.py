"""Session fixtures of the cross-language tests: one CMake build of libnnn, the
Fortran module and the examples; one f90wrap wrapper of the Fortran module; one
small network file."""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path
from types import SimpleNamespace

import pytest

from interface_helpers import ROOT, run

SMALL_NET = "approx21_cr60_plus_co56"
# ../shared/networks/approx21_cr60_plus_co56.txt, for a checkout without the committed net
SMALL_NET_ISOTOPES = ("h1 he3 he4 c12 n14 o16 ne20 mg24 si28 s32 ar36 ca40 ti44 cr48 cr60 fe52 fe54 "
                      "fe56 ni56 neut prot co56").split()


def need(*tools):
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} on PATH")


@pytest.fixture(scope="session")
def small_net(tmp_path_factory) -> Path:
    """Path of the small network: network_data/approx21_cr60_plus_co56.net, or
    the same isotope list built here (about 20 s, needs pynucastro)."""
    committed = ROOT / "network_data" / f"{SMALL_NET}.net"
    if committed.exists():
        return committed
    pytest.importorskip("pynucastro")
    out = tmp_path_factory.mktemp("network")
    iso = out / "isotopes.txt"
    iso.write_text("\n".join(SMALL_NET_ISOTOPES) + "\n")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src" / "python") + os.pathsep
               + os.environ.get("PYTHONPATH", ""))
    run([sys.executable, "-m", "nnn.network", "build", "--isotopes", iso, "--name", "t21",
         "--out", out], env=env, timeout=600)
    return out / "t21.net"


def torch_cmake_dir() -> str | None:
    """libtorch's CMake package of the installed torch (for -DTorch_DIR), or None."""
    try:
        import torch
    except ImportError:
        return None
    d = Path(torch.utils.cmake_prefix_path) / "Torch"
    return str(d) if (d / "TorchConfig.cmake").exists() else None


@pytest.fixture(scope="session")
def cmake_build(tmp_path_factory) -> SimpleNamespace:
    """The top-level CMake project (libnnn, libnnn_fortran, examples) built once
    in a temporary directory, Release, 2 jobs; with the emulator's libtorch
    (the installed torch package's) when torch is importable, so the Fortran
    emulator path can be tested (test_fortran_emulator.py)."""
    need("cmake", "gfortran")
    # NNN_TEST_CMAKE_DIR=/some/dir reuses (and incrementally rebuilds) a build
    # there across sessions, for quick iterations; default: a fresh temp dir.
    reuse = os.environ.get("NNN_TEST_CMAKE_DIR")
    top = Path(reuse) if reuse else tmp_path_factory.mktemp("cmake")
    build, prefix = top / "build", top / "prefix"
    torch_dir = torch_cmake_dir()
    run(["cmake", "-S", ROOT, "-B", build, "-DCMAKE_BUILD_TYPE=Release",
         f"-DCMAKE_INSTALL_PREFIX={prefix}", "-DNNN_BUILD_FORTRAN=ON", "-DNNN_BUILD_EXAMPLES=ON",
         *([f"-DTorch_DIR={torch_dir}"] if torch_dir else [])])
    run(["cmake", "--build", build, "-j2"], timeout=900)
    ns = SimpleNamespace(
        build=build, prefix=prefix,
        libnnn=build / "libnnn.so",
        libdir_fortran=build / "src" / "fortran",
        moddir=build / "src" / "fortran" / "modules",
        c_01=build / "examples" / "c" / "01_burn",
        f_01=build / "examples" / "fortran" / "01_burn_one_zone",
        f_02=build / "examples" / "fortran" / "02_burn_zones_openmp",
        f_03=build / "examples" / "fortran" / "03_mesa_like_column",
    )
    for p in (ns.libnnn, ns.moddir / "nnn.mod", ns.c_01, ns.f_01, ns.f_02, ns.f_03):
        assert p.exists(), f"the CMake build did not produce {p}"
    return ns


@pytest.fixture(scope="session")
def fortran_py(cmake_build, tmp_path_factory):
    """The Fortran modules nnn_network, nnn_emulation, nnn_burning, importable from Python
    through an f90wrap wrapper (f90wrap + f2py-f90wrap generate the sources;
    they are compiled here with gcc/gfortran and linked against the CMake-built
    libnnn_fortran and libnnn). numpy >= 2 f2py would compile through meson,
    and its distutils backend no longer works with current setuptools, so the
    few compile lines are spelled out instead."""
    need("f90wrap", "f2py-f90wrap", "gfortran")
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("needs a C compiler")
    import numpy
    import numpy.f2py

    d = tmp_path_factory.mktemp("f90wrap")
    sources = ["nnn_network.f90", "nnn_emulation.f90", "nnn_burn.f90"]
    for s in sources:
        shutil.copy(ROOT / "src" / "fortran" / s, d / s)
    (d / "kind_map").write_text(
        "{'real': {'dp': 'double', 'c_double': 'double'}, 'integer': {'c_int': 'int'}}\n")
    run(["f90wrap", "-m", "nnn_f90", "-k", "kind_map", *sources], cwd=d)
    wrappers = [f"f90wrap_{Path(s).stem}.f90" for s in sources]
    run(["f2py-f90wrap", "-m", "_nnn_f90", *wrappers], cwd=d)

    f2py_src = numpy.f2py.get_include()
    incs = [f"-I{f2py_src}", f"-I{numpy.get_include()}", f"-I{sysconfig.get_paths()['include']}"]
    objs = []
    for c in ["_nnn_f90module.c", Path(f2py_src) / "fortranobject.c"]:
        o = d / (Path(c).stem + ".o")
        run([cc, "-O2", "-fPIC", *incs, "-c", c, "-o", o], cwd=d)
        objs.append(o)
    extra = [f for f in ("_nnn_f90-f2pywrappers.f", "_nnn_f90-f2pywrappers2.f90") if (d / f).exists()]
    for f in wrappers + extra:
        o = d / (Path(f).stem + ".o")
        run(["gfortran", "-O2", "-fPIC", f"-I{cmake_build.moddir}", "-c", f, "-o", o], cwd=d)
        objs.append(o)
    ext = sysconfig.get_config_var("EXT_SUFFIX")
    libdirs = [cmake_build.libdir_fortran, cmake_build.build]
    run(["gfortran", "-shared", "-o", f"_nnn_f90{ext}", *objs,
         *[f"-L{p}" for p in libdirs], "-lnnn_fortran", "-lnnn",
         *[f"-Wl,-rpath,{p}" for p in libdirs]], cwd=d)

    sys.path.insert(0, str(d))
    try:
        import nnn_f90
    finally:
        sys.path.remove(str(d))
    return nnn_f90
