"""Feature vectors: log eps of heavy elements relative to Eu, and their subsets.

Two base feature sets (after Vassh et al.): ``"Er"`` = Ba, La, Ce, Pr, Nd,
Sm, Eu, Dy, Er and ``"Pb"`` = the same with Pb in place of Er. Each vector
is log eps(X) - log eps(Eu) in dex, so Eu is 0 by construction; this
removes the unknown dilution / normalisation constant of every pattern and
star.

Pr and Dy are often not measured. Every base set therefore has subsets
without them (``"Er-noPr"``, ``"Er-noDy"``, ``"Er-noPrDy"``, same for Pb),
and the suite trains its own models on each subset. A star uses, for each
base, the largest variant whose elements it has (``choose_feature_set``).

Missing-data rule for stars (for one variant): every element of the
variant must have a value; Eu (the normaliser) must be a measurement, the
others may be upper limits. An upper limit is a censored bound, not a
value: ``star_features`` returns the bound and a mask of limits, and the
classifier samples values below it (``classify``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

BASE_SETS: dict[str, tuple[str, ...]] = {
    "Er": ("Ba", "La", "Ce", "Pr", "Nd", "Sm", "Eu", "Dy", "Er"),
    "Pb": ("Ba", "La", "Ce", "Pr", "Nd", "Sm", "Eu", "Dy", "Pb"),
}
NORMALISER = "Eu"
# Elements often missing in published tables; each has model subsets trained without it.
OPTIONAL_ELEMENTS = ("Pr", "Dy")
# Suffixes of the variants, largest first (the order in which a star's set is chosen).
VARIANT_DROPS: dict[str, tuple[str, ...]] = {"": (), "-noPr": ("Pr",), "-noDy": ("Dy",), "-noPrDy": ("Pr", "Dy")}


def _variants() -> dict[str, tuple[str, ...]]:
    sets = {}
    for base, elements in BASE_SETS.items():
        for suffix, drops in VARIANT_DROPS.items():
            sets[base + suffix] = tuple(e for e in elements if e not in drops)
    return sets


# Every feature set with a trained model, keyed by name; "Er" and "Pb" are the paper's sets.
FEATURE_SETS: dict[str, tuple[str, ...]] = _variants()


def base_of(feature_set: str) -> str:
    """'Er' for 'Er-noPr', etc."""
    return feature_set.split("-")[0]


def variants_of(base: str) -> list[str]:
    """Feature-set names of one base set, largest first."""
    return [base + suffix for suffix in VARIANT_DROPS]


def eu_normalise(logeps: np.ndarray, elements: tuple[str, ...] | list[str]) -> np.ndarray:
    """Shift each row of log eps values (columns ordered as ``elements``) so Eu = 0."""
    logeps = np.asarray(logeps, dtype=float)
    j = list(elements).index(NORMALISER)
    return logeps - logeps[:, j : j + 1]


def elements_of(feature_set: str) -> tuple[str, ...]:
    try:
        return FEATURE_SETS[feature_set]
    except KeyError:
        raise ValueError(f"unknown feature set {feature_set!r}; choose one of {sorted(FEATURE_SETS)}") from None


_elements = elements_of


def pattern_features(patterns: pd.DataFrame, feature_set: str) -> tuple[np.ndarray, np.ndarray]:
    """Eu-normalised features of model patterns.

    Returns ``(X, usable)``: ``X`` has one row per pattern (NaN rows where an
    element is absent, e.g. Pb in the Arlandini residuals) and ``usable`` is
    the boolean mask of complete rows.
    """
    elements = elements_of(feature_set)
    values = patterns[[f"logeps_{e}" for e in elements]].to_numpy(dtype=float)
    usable = np.isfinite(values).all(axis=1)
    return eu_normalise(values, elements), usable


def star_values(stars: pd.DataFrame, elements) -> tuple[np.ndarray, np.ndarray]:
    """log eps values (n, k) (NaN = not measured) and the upper-limit mask of ``elements``."""
    n = len(stars)
    values = np.full((n, len(elements)), np.nan)
    limits = np.zeros((n, len(elements)), dtype=bool)
    for j, elem in enumerate(elements):
        if f"logeps_{elem}" in stars.columns:
            values[:, j] = stars[f"logeps_{elem}"].to_numpy(dtype=float)
        if f"ul_{elem}" in stars.columns:
            limits[:, j] = stars[f"ul_{elem}"].to_numpy() == 1
    limits &= np.isfinite(values)
    return values, limits


def star_features(stars: pd.DataFrame, feature_set: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Eu-normalised features of observed stars with the missing-data rule.

    Returns ``(X, usable, reasons)``: ``reasons[i]`` is ``""`` for a usable
    star and otherwise says which elements are missing (or that Eu is only
    an upper limit). Upper limits of other elements are usable: ``X`` holds
    the bound there (see :func:`star_limits`).
    """
    elements = elements_of(feature_set)
    values, limits = star_values(stars, elements)
    problems: list[list[str]] = [[] for _ in range(len(stars))]
    for j, elem in enumerate(elements):
        for i in np.nonzero(~np.isfinite(values[:, j]))[0]:
            problems[i].append(f"missing {elem}")
        if elem == NORMALISER:
            for i in np.nonzero(limits[:, j])[0]:
                problems[i].append("Eu upper limit (the normaliser must be measured)")
    usable = np.array([not p for p in problems], dtype=bool)
    reasons = ["" if not p else f"{feature_set}: " + ", ".join(p) for p in problems]
    X = eu_normalise(values, elements)
    X[~usable] = np.nan
    return X, usable, reasons


def star_limits(stars: pd.DataFrame, feature_set: str) -> np.ndarray:
    """Boolean (n, k) mask: which features of ``feature_set`` are upper limits."""
    return star_values(stars, elements_of(feature_set))[1]


def choose_feature_set(stars: pd.DataFrame, base: str, available=None) -> tuple[np.ndarray, list[str]]:
    """Per star, the largest variant of ``base`` it can use ('' if none) and why the full set was not used.

    ``available``: feature sets that have models (default: all).
    """
    chosen = np.full(len(stars), "", dtype=object)
    full_reasons = star_features(stars, base)[2]
    for name in variants_of(base):
        if available is not None and name not in available:
            continue
        _, usable, _ = star_features(stars, name)
        take = usable & (chosen == "")
        chosen[take] = name
    return chosen, full_reasons
