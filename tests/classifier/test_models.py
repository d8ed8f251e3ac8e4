"""Estimators: held-out scores (measured with conftest.SMALL_SETTINGS), conventions, save/load."""

import numpy as np
import pytest
from sklearn.base import clone

from nnn.classifier import OneClassProcessModel, ProcessClassifier, pattern_features
from nnn.classifier.report import heldout_metrics
from nnn.classifier.suite import ModelSuite, training_jobs


def split_arrays(suite, fset):
    patterns = suite.banks.patterns
    X, ok = pattern_features(patterns, fset)
    return X, ok, patterns["split"].to_numpy(), patterns["process"].to_numpy().astype(str)


def metric(held, model, fset, name):
    row = held[(held["model"] == model) & (held["feature set"] == fset) & (held["metric"] == name)]
    assert len(row) == 1
    return float(row["value"].iloc[0]), int(row["n"].iloc[0])


def test_split_sizes(small_suite):
    sizes = small_suite.banks.patterns.groupby(["process", "split"]).size().to_dict()
    assert sizes == {("r", "test"): 28, ("r", "train"): 83, ("r", "val"): 28,
                     ("s", "test"): 47, ("s", "train"): 141, ("s", "val"): 47}


def test_bc_held_out_accuracy(small_suite):
    held = heldout_metrics(small_suite)
    # Measured: 75 Er / 73 Pb test patterns (28 or 26 r + 47 s).
    assert metric(held, "BC-L (max sep.)", "Er", "test accuracy") == (1.0, 75)
    assert metric(held, "BC-S (max sep.)", "Er", "test accuracy") == (1.0, 75)
    assert metric(held, "BC-S (min sep.)", "Er", "test accuracy") == (1.0, 75)
    assert metric(held, "BC-L (max sep.)", "Pb", "test accuracy") == (1.0, 73)


def test_bc_states_and_thresholds(small_suite):
    m = small_suite.bc("BC-L", "Er")
    assert m.separated_ is True
    assert m.state_epochs_ == {"min": 196, "max": 1000}
    assert m.thresholds_["min"] == pytest.approx(0.54749, abs=1e-4)
    assert m.thresholds_["max"] == pytest.approx(0.50890, abs=1e-4)
    assert small_suite.bc("BC-S", "Er").state_epochs_ == {"min": 369, "max": 1000}
    # The max state is the minimum of the recorded validation loss (recorded every 10 epochs).
    assert m.val_loss_[m.loss_epochs_ == m.state_epochs_["max"]][0] == pytest.approx(m.val_loss_.min())


def test_occ_keeps_the_best_validation_state(small_suite):
    """The kept autoencoder reproduces the lowest validation MSE of training, not the last epoch's."""
    # (every OCC of the suite; the kept epochs themselves differ between CPUs,
    # 915 / 1227 / ... on one and 915 / 1498 / ... on another: float32 Adam
    # over 1500 epochs, so they are not pinned)
    for subset in ("Er", "Pb"):
        X, ok, split, process = split_arrays(small_suite, subset)
        for size in ("OCC-L", "OCC-S"):
            for proc in ("r", "s"):
                m = small_suite.occ(size, proc, subset)
                val = ok & (split == "val") & (process == proc)
                mse = float(m.reconstruction_error(X[val]).mean())
                assert mse <= float(np.nanmin(m.val_loss_)) * (1 + 1e-5)
                assert mse < float(m.val_loss_[-1])  # the last epoch is worse
                assert 0 < m.best_epoch_ < m.epochs


def test_occ_trained_on_r_accepts_r_and_rejects_s(small_suite):
    held = heldout_metrics(small_suite)
    assert metric(held, "OCC-L trained on r", "Er", "accepts r test") == (pytest.approx(24 / 28, abs=1e-4), 28)
    assert metric(held, "OCC-L trained on r", "Er", "accepts s test") == (pytest.approx(2 / 47, abs=1e-4), 47)
    assert metric(held, "OCC-S trained on r", "Er", "accepts r test") == (pytest.approx(25 / 28, abs=1e-4), 28)
    assert metric(held, "OCC-S trained on r", "Er", "accepts s test") == (0.0, 47)
    assert metric(held, "OCC-L trained on s", "Er", "accepts s test") == (pytest.approx(43 / 47, abs=1e-4), 47)
    assert metric(held, "OCC-L trained on s", "Er", "accepts r test") == (0.0, 28)
    assert metric(held, "OCC-S trained on r", "Pb", "accepts s test") == (0.0, 47)


def test_training_is_reproducible_in_process(small_suite, small_settings):
    """A model refitted here (main process, 1 thread) equals the one from the worker pool."""
    job = [j for j in training_jobs(small_suite.banks, small_settings) if j[0] == "BC-S_Pb"][0]
    key, est, X, y, ev = job
    est.fit(X, y, eval_set=ev)
    X_all, ok, _, _ = split_arrays(small_suite, "Pb")
    ref = small_suite.bc("BC-S", "Pb")
    np.testing.assert_array_equal(est.predict_proba(X_all[ok]), ref.predict_proba(X_all[ok]))


def test_estimator_conventions():
    rng = np.random.default_rng(0)
    X = np.vstack([rng.normal(0, 0.3, (30, 4)), rng.normal(2, 0.3, (30, 4))])
    y = np.array(["r"] * 30 + ["s"] * 30)
    clf = ProcessClassifier(hidden=5, epochs=200, positive="r", random_state=3)
    assert clf.fit(X, y) is clf
    assert clf.get_params()["hidden"] == 5 and clf.get_params()["epochs"] == 200
    assert list(clf.classes_) == ["r", "s"]
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert clf.score(X, y) == 1.0
    fresh = clone(clf)
    assert not hasattr(fresh, "states_") and fresh.get_params() == clf.get_params()
    occ = OneClassProcessModel(hidden=(8, 4), epochs=200, random_state=0)
    assert occ.fit(X[:30]) is occ
    assert occ.transform(X).shape == (60, 2)
    assert set(np.unique(occ.predict(X))) <= {-1, 1}
    assert 0.0 <= occ.score(X[:30]) <= 1.0


def test_bad_training_input():
    X = np.zeros((6, 3))
    with pytest.raises(ValueError, match="two classes"):
        ProcessClassifier(epochs=5).fit(X, ["r", "s", "i", "r", "s", "i"])
    with pytest.raises(ValueError, match="positive class 'r' is not among"):
        ProcessClassifier(epochs=5, positive="r").fit(X, ["a", "b"] * 3)
    with pytest.raises(ValueError, match="NaN"):
        ProcessClassifier(epochs=5).fit(np.full((4, 3), np.nan), ["r", "s", "r", "s"])
    clf = ProcessClassifier(hidden=3, epochs=5).fit(np.arange(24.0).reshape(8, 3), ["r", "s"] * 4)
    with pytest.raises(ValueError, match="X has 4 features, but ProcessClassifier is expecting 3"):
        clf.predict(np.zeros((2, 4)))


def test_save_load_round_trip(small_suite, tmp_path):
    X, ok, _, _ = split_arrays(small_suite, "Er")
    bc = small_suite.bc("BC-L", "Er")
    bc.save(tmp_path / "bc.pt")
    bc2 = ProcessClassifier.load(tmp_path / "bc.pt")
    assert bc2.get_params() == bc.get_params()
    np.testing.assert_array_equal(bc2.predict_proba(X[ok]), bc.predict_proba(X[ok]))
    np.testing.assert_array_equal(bc2.predict(X[ok]), bc.predict(X[ok]))
    np.testing.assert_array_equal(bc2.predict_state(X[ok], "min"), bc.predict_state(X[ok], "min"))
    occ = small_suite.occ("OCC-S", "r", "Er")
    occ.save(tmp_path / "occ.pt")
    occ2 = OneClassProcessModel.load(tmp_path / "occ.pt")
    np.testing.assert_array_equal(occ2.decision_function(X[ok]), occ.decision_function(X[ok]))
    np.testing.assert_array_equal(occ2.predict(X[ok]), occ.predict(X[ok]))
    with pytest.raises(ValueError, match="not a saved OneClassProcessModel"):
        OneClassProcessModel.load(tmp_path / "bc.pt")


def test_suite_directory_round_trip(small_suite, small_suite_dir):
    loaded = ModelSuite.load(small_suite_dir)
    assert sorted(loaded.models) == sorted(small_suite.models)
    X, ok, _, _ = split_arrays(small_suite, "Pb")
    for key, model in small_suite.models.items():
        out = model.predict(X[ok])
        np.testing.assert_array_equal(loaded.models[key].predict(X[ok]), out)
    assert loaded.banks.log["r"]["thinning_counts"] == small_suite.banks.log["r"]["thinning_counts"]
