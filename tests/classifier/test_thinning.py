"""STUMPY nearest-neighbour thinning."""

import numpy as np

from nnn.classifier.thinning import nearest_neighbours, thin_patterns


def test_nearest_neighbours_match_brute_force():
    X = np.random.default_rng(1).normal(size=(40, 9))
    idx, dist = nearest_neighbours(X)
    full = np.linalg.norm(X[:, None] - X[None], axis=2)
    np.fill_diagonal(full, np.inf)
    np.testing.assert_array_equal(idx, full.argmin(axis=1))
    np.testing.assert_allclose(dist, full.min(axis=1), rtol=1e-6, atol=1e-6)


def test_duplicates_are_removed_and_distinct_patterns_kept():
    base = np.eye(4) * 3.0  # four patterns 4.2 dex apart
    X = np.vstack([base, base[:2] + 0.01])  # near-copies of the first two
    keep, counts = thin_patterns(X, tol=0.15)
    assert keep.tolist() == [0, 1, 2, 3]
    assert counts == [6, 4, 4]


def test_chain_needs_several_iterations():
    # Gaps 0.10, 0.12, 0.14 on a line. Iteration 1: only (0, 1) are mutual nearest neighbours -> drop 1.
    # Iteration 2: (2, 3) are now mutual at 0.14 -> drop 3. Then 0 and 2 are 0.22 apart: stop.
    X = np.zeros((4, 3))
    X[:, 0] = [0.0, 0.10, 0.22, 0.36]
    keep, counts = thin_patterns(X, tol=0.15)
    assert counts == [4, 3, 2, 2]
    assert keep.tolist() == [0, 2]
    _, dist = nearest_neighbours(X[keep])
    assert (dist >= 0.15).all()


def test_r_bank_thinning_counts(small_suite):
    """Measured: 27 main r rows + 300 mixtures thinned at 0.15 dex, count per iteration."""
    log = small_suite.banks.log["r"]
    assert log["selected"] == 27 and log["mixtures"] == 300
    assert log["thinning_counts"] == [327, 240, 198, 175, 159, 151, 147, 144, 141, 139, 139]
    assert "thinning_counts" not in small_suite.banks.log["s"]
