"""Shared fixtures: one small model suite (reduced epochs) trained once per test session."""

import time

import pytest

from nnn.classifier import BankConfig, TrainSettings, train_suite

# Reduced epochs keep the whole classifier test run well under two minutes on 2 cores;
# the numbers asserted in test_models.py were measured with exactly these settings.
SMALL_SETTINGS = TrainSettings(bc_epochs=1000, occ_epochs=3000, seed=0)


@pytest.fixture(scope="session")
def small_settings():
    return SMALL_SETTINGS


@pytest.fixture(scope="session")
def small_suite():
    start = time.perf_counter()
    suite = train_suite(bank_config=BankConfig(), settings=SMALL_SETTINGS, n_jobs=2, progress=False)
    suite.info["fixture_seconds"] = time.perf_counter() - start
    return suite


@pytest.fixture(scope="session")
def small_suite_dir(small_suite, tmp_path_factory):
    return small_suite.save(tmp_path_factory.mktemp("models"))
