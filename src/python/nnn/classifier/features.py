"""Feature vectors: log eps of nine heavy elements relative to Eu.

Two feature sets (after Vassh et al.): ``"Er"`` = Ba, La, Ce, Pr, Nd, Sm, Eu,
Dy, Er and ``"Pb"`` = the same with Pb in place of Er. Each vector is
log eps(X) - log eps(Eu) in dex, so Eu is 0 by construction; this removes
the unknown dilution / normalisation constant of every pattern and star.

Missing-data rule for stars: a star is classified with a feature set only if
every element of the set is measured and none is an upper limit (a limit
does not fix the pattern's shape). Otherwise that set is skipped for the
star and the reason is reported (e.g. ``"Pb: missing Pb"``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FEATURE_SETS: dict[str, tuple[str, ...]] = {
    "Er": ("Ba", "La", "Ce", "Pr", "Nd", "Sm", "Eu", "Dy", "Er"),
    "Pb": ("Ba", "La", "Ce", "Pr", "Nd", "Sm", "Eu", "Dy", "Pb"),
}
NORMALISER = "Eu"


def eu_normalise(logeps: np.ndarray, elements: tuple[str, ...] | list[str]) -> np.ndarray:
    """Shift each row of log eps values (columns ordered as ``elements``) so Eu = 0."""
    logeps = np.asarray(logeps, dtype=float)
    j = list(elements).index(NORMALISER)
    return logeps - logeps[:, j : j + 1]


def _elements(feature_set: str) -> tuple[str, ...]:
    try:
        return FEATURE_SETS[feature_set]
    except KeyError:
        raise ValueError(f"unknown feature set {feature_set!r}; choose one of {sorted(FEATURE_SETS)}") from None


def pattern_features(patterns: pd.DataFrame, feature_set: str) -> tuple[np.ndarray, np.ndarray]:
    """Eu-normalised features of model patterns.

    Returns ``(X, usable)``: ``X`` has one row per pattern (NaN rows where an
    element is absent, e.g. Pb in the Arlandini residuals) and ``usable`` is
    the boolean mask of complete rows.
    """
    elements = _elements(feature_set)
    values = patterns[[f"logeps_{e}" for e in elements]].to_numpy(dtype=float)
    usable = np.isfinite(values).all(axis=1)
    return eu_normalise(values, elements), usable


def star_features(stars: pd.DataFrame, feature_set: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Eu-normalised features of observed stars with the missing-data rule.

    Returns ``(X, usable, reasons)``: ``reasons[i]`` is ``""`` for a usable
    star and otherwise says which elements are missing or upper limits.
    """
    elements = _elements(feature_set)
    n = len(stars)
    values = np.full((n, len(elements)), np.nan)
    problems: list[list[str]] = [[] for _ in range(n)]
    for j, elem in enumerate(elements):
        col = f"logeps_{elem}"
        if col not in stars.columns:
            for p in problems:
                p.append(f"missing {elem}")
            continue
        v = stars[col].to_numpy(dtype=float)
        limit = stars.get(f"ul_{elem}", pd.Series(0, index=stars.index)).to_numpy() == 1
        values[:, j] = v
        for i in np.nonzero(~np.isfinite(v))[0]:
            problems[i].append(f"missing {elem}")
        for i in np.nonzero(limit & np.isfinite(v))[0]:
            problems[i].append(f"{elem} upper limit")
    usable = np.array([not p for p in problems], dtype=bool)
    reasons = ["" if not p else f"{feature_set}: " + ", ".join(p) for p in problems]
    X = eu_normalise(values, elements)
    X[~usable] = np.nan
    return X, usable, reasons
