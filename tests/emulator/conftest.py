"""Fixtures of the emulator-path tests (helpers: emulator_models.py). Every
test here is skipped, with the reason, if nnn was built without libtorch."""

from __future__ import annotations

from pathlib import Path

import pytest

import nnn
from nnn import emulator as nnn_emulator

from emulator_models import (BADSUM_BAND, DT, NAN_BAND, SMALL, TinyEmulator, make_meta,
                             save_model)


@pytest.fixture(scope="session", autouse=True)
def _need_libtorch():
    if not nnn_emulator.has_libtorch():
        pytest.skip("nnn was built without libtorch: the emulator path is not available")


@pytest.fixture(scope="session")
def small_net():
    return nnn.Network.load(SMALL)


@pytest.fixture(scope="session")
def model_dir(small_net, tmp_path_factory) -> Path:
    """Two models of the small net: dt = 1e-3 and 1e-2 s."""
    d = tmp_path_factory.mktemp("models")
    n = small_net.n_species
    save_model(TinyEmulator(n, seed=1), d / f"{SMALL}_dt1e-02.pt", make_meta(small_net, DT))
    save_model(TinyEmulator(n, seed=2), d / f"{SMALL}_dt1e-03.pt", make_meta(small_net, 1e-3))
    # a training summary next to the models (as nnn.train writes): must be ignored
    (d / f"{SMALL}_dt1e-02.json").write_text("{}")
    return d


@pytest.fixture(scope="session")
def marked_model(small_net, tmp_path_factory) -> Path:
    """dt = 1e-2 model that returns NaN in NAN_BAND and sum X = 1.01 in BADSUM_BAND."""
    d = tmp_path_factory.mktemp("marked")
    return save_model(TinyEmulator(small_net.n_species, seed=1, nan_band=NAN_BAND,
                                   badsum_band=BADSUM_BAND),
                      d / "marked.pt", make_meta(small_net, DT))


