"""Conventional abundance-ratio classes of metal-poor stars (Asplund 2009 solar scale).

[X/Y] = (log eps X - log eps Y) - (log eps X - log eps Y)_sun and
[X/Fe] = log eps X - log eps X_sun - [Fe/H] (dex). Classes, applied only to
stars with [Fe/H] <= -2:

* r-II: [Eu/Fe] > 1 and [Ba/Eu] < 0
* r-I: 0.3 <= [Eu/Fe] <= 1 and [Ba/Eu] < 0
* limited-r: [Eu/Fe] < 0.3, [Sr/Ba] > 0.5 and [Sr/Eu] > 0
* s: [Ba/Fe] > 1, [Ba/Eu] > 0.5 and [Ba/Pb] > -1.5 (the Pb test only where Pb is known)
* i (r/s): 0 < [La/Eu] < 0.6 and [Hf/Ir] ~ 1, taken as 0.5 <= [Hf/Ir] <= 1.5
  (a +-0.5 dex window: two elements each uncertain by ~0.2-0.3 dex); the
  first test alone where Hf or Ir is missing.

Upper limits are bounds, not values: each ratio is an interval and each
test is True, False or undetermined (None). A class needs every test True
(an optional test - Pb for s, Hf/Ir for i - is skipped when undetermined).
When several classes pass, the first in ``PRIORITY`` wins. The s and i
tests overlap ([Ba/Eu] > 0.5 with [La/Eu] < 0.6); s goes first because its
test is the stronger one (three conditions, including [Ba/Fe] > 1) while
the i test is a single ratio wherever Hf or Ir is missing. All passing
classes are reported in ``criteria_matched``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

FEH_MAX = -2.0
PRIORITY = ("r-II", "r-I", "s", "i", "limited-r")
HFIR_WINDOW = (0.5, 1.5)

# JINAbase 'sci_key' values and the conventional class they stand for.
JINABASE_KEYS = {"R1": "r-I", "R2": "r-II", "RS": "i", "I": "i", "S": "s"}
# Process family of a class, for comparing with the binary / one-class models.
PROCESS_OF = {"r-I": "r", "r-II": "r", "limited-r": "limited-r", "s": "s", "i": "i"}


@dataclass(frozen=True)
class Ratio:
    """An abundance ratio in dex: ``kind`` is 'value', 'upper' (true <= value), 'lower' or 'none'."""

    value: float
    kind: str

    def gt(self, t: float) -> bool | None:
        """Is the true ratio > t? None when a bound cannot decide."""
        if self.kind == "value":
            return bool(self.value > t)
        if self.kind == "lower":
            return True if self.value > t else None
        if self.kind == "upper":
            return False if self.value <= t else None
        return None

    def lt(self, t: float) -> bool | None:
        """Is the true ratio < t? None when a bound cannot decide."""
        if self.kind == "value":
            return bool(self.value < t)
        if self.kind == "upper":
            return True if self.value < t else None
        if self.kind == "lower":
            return False if self.value >= t else None
        return None

    def ge(self, t: float) -> bool | None:
        result = self.lt(t)
        return None if result is None else not result

    def le(self, t: float) -> bool | None:
        result = self.gt(t)
        return None if result is None else not result


def all_of(*tests: bool | None) -> bool | None:
    """Kleene AND: False if any test is False, None if any is undetermined, else True."""
    if any(t is False for t in tests):
        return False
    if any(t is None for t in tests):
        return None
    return True


def _abundance(star: pd.Series, elem: str) -> tuple[float, bool]:
    value = star.get(f"logeps_{elem}", math.nan)
    # Plain floats: numpy scalars would make the comparisons return numpy bools, not True/False.
    value = math.nan if value is None else float(value)
    return value, bool(star.get(f"ul_{elem}", 0) == 1)


def _clean(value: float) -> float:
    # Abundances carry 2 decimals; rounding to 1e-6 dex removes float noise such as
    # 0.52 - 2.5 + 0.3 -> 0.29999999999999982, so a published 0.30 meets a ">= 0.3" test.
    return round(float(value), 6)


def ratio(star: pd.Series, num: str, den: str, solar: pd.Series) -> Ratio:
    """[num/den] of one star (``den`` may be 'Fe', taken from the star's [Fe/H])."""
    a, a_ul = _abundance(star, num)
    if not math.isfinite(a):
        return Ratio(math.nan, "none")
    if den == "Fe":
        feh = float(star.get("feh", math.nan))
        if not math.isfinite(feh):
            return Ratio(math.nan, "none")
        return Ratio(_clean(a - solar[num] - feh), "upper" if a_ul else "value")
    b, b_ul = _abundance(star, den)
    if not math.isfinite(b) or (a_ul and b_ul):
        return Ratio(math.nan, "none")
    value = _clean((a - b) - (solar[num] - solar[den]))
    # An upper limit on the numerator bounds the ratio from above, on the denominator from below.
    kind = "upper" if a_ul else ("lower" if b_ul else "value")
    return Ratio(value, kind)


def class_tests(star: pd.Series, solar: pd.Series) -> dict[str, bool | None]:
    """Outcome of each class's criteria for one star (True / False / None = undetermined)."""
    eu_fe = ratio(star, "Eu", "Fe", solar)
    ba_eu = ratio(star, "Ba", "Eu", solar)
    ba_fe = ratio(star, "Ba", "Fe", solar)
    sr_ba = ratio(star, "Sr", "Ba", solar)
    sr_eu = ratio(star, "Sr", "Eu", solar)
    ba_pb = ratio(star, "Ba", "Pb", solar)
    la_eu = ratio(star, "La", "Eu", solar)
    hf_ir = ratio(star, "Hf", "Ir", solar)

    pb_test = ba_pb.gt(-1.5)
    hfir_test = all_of(hf_ir.ge(HFIR_WINDOW[0]), hf_ir.le(HFIR_WINDOW[1]))
    return {
        "r-II": all_of(eu_fe.gt(1.0), ba_eu.lt(0.0)),
        "r-I": all_of(eu_fe.ge(0.3), eu_fe.le(1.0), ba_eu.lt(0.0)),
        "limited-r": all_of(eu_fe.lt(0.3), sr_ba.gt(0.5), sr_eu.gt(0.0)),
        "s": all_of(ba_fe.gt(1.0), ba_eu.gt(0.5), True if pb_test is None else pb_test),
        "i": all_of(la_eu.gt(0.0), la_eu.lt(0.6), True if hfir_test is None else hfir_test),
    }


def conventional_label(star: pd.Series, solar: pd.Series) -> tuple[str, list[str]]:
    """(class, all passing classes) for one star; class '' if none passes or [Fe/H] > -2."""
    feh = float(star.get("feh", math.nan))
    if not (math.isfinite(feh) and feh <= FEH_MAX):
        return "", []
    tests = class_tests(star, solar)
    matched = [c for c in PRIORITY if tests[c] is True]
    return (matched[0] if matched else ""), matched


def conventional_labels(stars: pd.DataFrame, solar: pd.Series) -> pd.DataFrame:
    """Columns ``conventional_class``, ``criteria_matched`` and ``jinabase_class`` for a star table."""
    labels, matched = [], []
    for _, star in stars.iterrows():
        label, all_matched = conventional_label(star, solar)
        labels.append(label)
        matched.append(";".join(all_matched))
    if "jinabase_sci_key" in stars:
        keys = stars["jinabase_sci_key"].astype(str).str.strip()
    else:
        keys = pd.Series("*", index=stars.index)
    return pd.DataFrame(
        {
            "conventional_class": labels,
            "criteria_matched": matched,
            "jinabase_class": [JINABASE_KEYS.get(k, "") for k in keys],
        },
        index=stars.index,
    )


def comparison_table(conventional: pd.Series, jinabase: pd.Series) -> pd.DataFrame:
    """Cross-tabulation of recomputed classes (rows) against JINAbase classes (columns)."""
    conv = conventional.replace("", "none")
    jina = jinabase.replace("", "none (*)")
    return pd.crosstab(conv, jina, rownames=["recomputed"], colnames=["JINAbase"])


def process_family(labels: pd.Series | np.ndarray) -> np.ndarray:
    """Map class names (r-I, r-II, s, i, limited-r) to the process they stand for."""
    return np.array([PROCESS_OF.get(str(x), "") for x in labels], dtype=object)
