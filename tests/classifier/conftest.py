"""Shared fixtures: one small model suite (reduced epochs, base feature sets) trained once per session."""

import time

import pytest
import torch

from nnn.classifier import BankConfig, TrainSettings, train_suite

# Tiny networks: more torch threads only add synchronisation, and on a shared 2-core machine
# they fight the other processes. One thread for the whole classifier test session.
torch.set_num_threads(1)

# Reduced epochs and only the two base feature sets (Er, Pb) keep the whole classifier test run
# well under two minutes (about 25 CPU-seconds for this suite); the numbers asserted in
# test_models.py and test_classify.py were measured with exactly these settings.
SMALL_SETTINGS = TrainSettings(bc_epochs=1000, occ_epochs=1500, seed=0, feature_sets=("Er", "Pb"))


@pytest.fixture(scope="session")
def small_settings():
    return SMALL_SETTINGS


@pytest.fixture(scope="session")
def small_suite():
    start = time.perf_counter()
    threads = torch.get_num_threads()
    try:
        suite = train_suite(bank_config=BankConfig(), settings=SMALL_SETTINGS, n_jobs=1, progress=False)
    finally:
        torch.set_num_threads(threads)
    suite.info["fixture_seconds"] = time.perf_counter() - start
    return suite


@pytest.fixture(scope="session")
def small_suite_dir(small_suite, tmp_path_factory):
    return small_suite.save(tmp_path_factory.mktemp("models"))
