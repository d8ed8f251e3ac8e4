"""Fixtures of the emulator-path tests (helpers: emulator_models.py). Every
test here is skipped, with the reason, if nnn was built without libtorch."""

from __future__ import annotations

from pathlib import Path

import pytest

import nnn
from nnn.emulate import runtime as nnn_emulator

from emulator_models import SMALL, tiny_model


@pytest.fixture(scope="session", autouse=True)
def _need_libtorch():
    if not nnn_emulator.has_libtorch():
        pytest.skip("nnn was built without libtorch: the emulator path is not available")


@pytest.fixture(scope="session")
def small_net():
    return nnn.Network.load(SMALL)


@pytest.fixture(scope="session")
def tiny_path(small_net, tmp_path_factory) -> Path:
    """A random-weight BurnStepNet of the small net (nnn.emulate.model.export)."""
    return tiny_model(small_net, tmp_path_factory.mktemp("models") / f"{SMALL}.pt", seed=1)
