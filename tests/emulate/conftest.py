"""Fixtures for the emulator tests.

Tests that need the engine burn the small net ``approx21_cr60_plus_co56`` (fast).
``NNN_TEST_FAKE_ENGINE=1`` swaps in a toy network with the same API (plumbing checks only,
for when the compiled engine is not built); the default runs the real engine."""

import os
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

SMALL = "approx21_cr60_plus_co56"
FAKE = os.environ.get("NNN_TEST_FAKE_ENGINE") == "1"
#: CI-sized settings: three output times up to 1e-2 s and loose tolerances keep every
#: generation in the tests to a few seconds (the defaults are 9 times to 100 s, 1e-8/1e-12).
TIMES = (1e-6, 1e-4, 1e-2)
TOL = {"rtol": 1e-6, "atol": 1e-10}
GEN = dict(times=TIMES, **TOL)


@pytest.fixture(scope="session")
def small_net():
    if FAKE:
        from fake_network import FakeNetwork

        return FakeNetwork()
    import nnn

    return nnn.Network.load(SMALL)


@pytest.fixture(scope="session")
def other_net():
    """A second, different network (for mismatch checks)."""
    if FAKE:
        from fake_network import FakeSmall

        return FakeSmall()
    import nnn

    return nnn.Network.load("mesa_80")


@pytest.fixture(scope="session")
def dataset(small_net, tmp_path_factory):
    """A 256-sample training set of the small net (shared by the training tests)."""
    from nnn.emulate.generate import generate

    out = tmp_path_factory.mktemp("data") / "small.h5"
    return generate(out, network=small_net, n_samples=256, seed=3, chunk_size=64,
                    progress=False, **GEN)


@pytest.fixture(scope="session")
def trained(dataset, tmp_path_factory):
    """A tiny model (every dt) trained for 2 epochs."""
    from nnn.emulate.train import train

    out = tmp_path_factory.mktemp("run")
    s = train(dataset, out, arch="tiny", epochs=2, patience=5, batch_size=64, lr=1e-3,
              energy_epochs=2, err_epochs=2, seed=1, device="cpu", progress=False,
              n_threads=1)
    return s, out


def subprocess_env():
    """Environment for `python -m nnn.*` subprocesses that finds this checkout's nnn."""
    import nnn

    env = dict(os.environ)
    pkg_root = str(Path(nnn.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([pkg_root, env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env
