"""Decision threshold from a ROC curve and the class-overlap test used for early states."""

from __future__ import annotations

import numpy as np


def roc_threshold(y_true: np.ndarray, scores: np.ndarray, atol: float = 1e-12) -> float:
    """Score threshold closest to the ROC corner (FPR, TPR) = (0, 1).

    A star is called positive when ``score >= threshold``. Each distinct
    score ``t`` is a candidate; every threshold in (next lower score, t]
    gives the same ROC point. Among the candidates at the minimal distance
    to (0, 1) (within ``atol``), the range of equally optimal thresholds runs
    from the lowest lower end to the highest ``t``; its midpoint is returned.
    For separable classes this is halfway between the highest negative and
    the lowest positive score.
    """
    y = np.asarray(y_true, dtype=bool)
    s = np.asarray(scores, dtype=float)
    if y.all() or not y.any():
        raise ValueError("roc_threshold needs both positive and negative examples")
    cand = np.unique(s)[::-1]  # descending
    pos, neg = np.sort(s[y]), np.sort(s[~y])
    # Counts of scores >= t via binary search: O(n log n) for all candidates.
    tpr = (len(pos) - np.searchsorted(pos, cand, side="left")) / len(pos)
    fpr = (len(neg) - np.searchsorted(neg, cand, side="left")) / len(neg)
    dist = np.hypot(fpr, 1.0 - tpr)
    optimal = np.nonzero(dist <= dist.min() + atol)[0]
    hi = cand[optimal].max()
    k_low = optimal.max()
    lo = cand[k_low + 1] if k_low + 1 < len(cand) else cand[k_low]
    return float(0.5 * (lo + hi))


def histograms_overlap(pos_scores: np.ndarray, neg_scores: np.ndarray) -> bool:
    """True when the score ranges of the two classes overlap (any histogram binning would then overlap)."""
    return bool(np.min(pos_scores) <= np.max(neg_scores))
