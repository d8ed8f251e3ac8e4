"""ROC threshold rule and the overlap test."""

import numpy as np
import pytest

from nnn.classifier import roc_threshold
from nnn.classifier.threshold import histograms_overlap


def test_separable_scores_give_the_midpoint_of_the_gap():
    y = [0, 0, 0, 1, 1]
    s = [0.1, 0.2, 0.3, 0.7, 0.9]
    # Every threshold in (0.3, 0.7] gives (FPR, TPR) = (0, 1); the average of that range is 0.5.
    assert roc_threshold(y, s) == pytest.approx(0.5)


def test_hand_computed_overlapping_case():
    y = np.array([0, 0, 1, 0, 1, 1])
    s = np.array([0.1, 0.3, 0.4, 0.6, 0.8, 0.9])
    # Candidates t: 0.9 (fpr 0, tpr 1/3, d 0.667), 0.8 (0, 2/3, d 0.333), 0.6 (1/3, 2/3, d 0.471),
    # 0.4 (1/3, 1, d 0.333), 0.3 (2/3, 1), 0.1 (1, 1).
    # Equally optimal: t = 0.8 (range (0.6, 0.8]) and t = 0.4 (range (0.3, 0.4]) -> range 0.3 .. 0.8.
    assert roc_threshold(y, s) == pytest.approx(0.55)


def test_threshold_needs_both_classes():
    with pytest.raises(ValueError):
        roc_threshold([1, 1], [0.2, 0.3])


def test_histograms_overlap():
    assert histograms_overlap(np.array([0.6, 0.9]), np.array([0.1, 0.5])) is False
    assert histograms_overlap(np.array([0.4, 0.9]), np.array([0.1, 0.5])) is True
