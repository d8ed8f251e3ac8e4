"""Per-star verdicts of every model and the "ML overall" verdict.

Columns per feature set ``F`` (Er, Pb), empty where the star lacks that set:

* ``BC-L_F``, ``BC-S_F``: binary classifiers at maximal separation (r or s);
  ``BC-L-minsep_F``, ``BC-S-minsep_F``: the same at minimal separation.
* ``OCC-L_<bank>_F``, ``OCC-S_<bank>_F``: ``in`` / ``out`` of each bank's
  one-class model; ``OCC-L_F``, ``OCC-S_F``: the bank that alone accepts the
  star, ``none`` if no bank does, or e.g. ``r+s`` if several do.

ML overall rule: the votes are BC-L, BC-S (maximal separation) and OCC-L,
OCC-S for each feature set the star has (4 or 8 votes); a ``none`` or
``r+s`` OCC verdict votes for no bank. A bank with more than half of the
votes is the verdict. Otherwise the verdict is ``mixed``: the models do not
agree on one bank or reject them all, which is what an r/s (i-process)
pattern should do while no i bank exists (a future i bank simply becomes
another bank that can win the vote). ``bc_overall`` is the same rule over
the BC votes only. Stars with no usable feature set get empty verdicts and
a ``note`` saying why.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from .criteria import conventional_labels
from .data import load_solar, load_stars, read_star_csv, validate_stars
from .features import FEATURE_SETS, star_features
from .suite import MODEL_SPECS, ModelSuite

MIXED = "mixed"
FEH_DEFAULT_MAX = -2.0
BC_NAMES = [n for n, s in MODEL_SPECS.items() if s["kind"] == "bc"]
OCC_NAMES = [n for n, s in MODEL_SPECS.items() if s["kind"] == "occ"]


def default_stars(data_dir=None) -> pd.DataFrame:
    """JINAbase 2018 entries with [Fe/H] <= -2 that have the Er feature set (see features)."""
    stars = load_stars(data_dir=data_dir)
    _, usable, _ = star_features(stars, "Er")
    keep = usable & (stars["feh"].to_numpy(dtype=float) <= FEH_DEFAULT_MAX)
    return stars[keep].reset_index(drop=True)


def majority(votes: list[str]) -> str:
    """The bank named by more than half of ``votes``, else ``mixed`` ('' for no votes)."""
    if not votes:
        return ""
    names, counts = np.unique(np.asarray(votes, dtype=object).astype(str), return_counts=True)
    best = int(np.argmax(counts))
    winner = str(names[best])
    is_bank = winner not in ("none", "") and "+" not in winner  # 'none' / 'r+s' name no single bank
    return winner if is_bank and counts[best] * 2 > len(votes) else MIXED


def _as_star_table(table) -> pd.DataFrame:
    if isinstance(table, (str, os.PathLike)):
        return read_star_csv(table)
    if isinstance(table, pd.DataFrame):
        return validate_stars(table.reset_index(drop=True), origin="stars DataFrame")
    raise TypeError("table must be a pandas DataFrame, a CSV path, or None")


def classify_stars(table=None, models: ModelSuite | str | os.PathLike | None = None, data_dir=None) -> pd.DataFrame:
    """Classify stars with every model; returns a pandas DataFrame, one row per input row.

    ``table``: a DataFrame or CSV path with the bundle's columns (``star``,
    ``logeps_Ba``, ``ul_Ba``, ...), or None for :func:`default_stars`.
    ``models``: a :class:`ModelSuite`, a directory written by ``train``, or
    None for the models shipped with the package.
    """
    stars = default_stars(data_dir) if table is None else _as_star_table(table)
    suite = models if isinstance(models, ModelSuite) else ModelSuite.load(models)
    out = pd.DataFrame(
        {
            "star": stars["star"].astype(str),
            "ref": stars["ref"].astype(str),
            "feh": stars["feh"].astype(float),
        }
    )
    out = pd.concat([out, conventional_labels(stars, load_solar(data_dir))], axis=1)
    votes: list[list[str]] = [[] for _ in range(len(stars))]
    bc_votes: list[list[str]] = [[] for _ in range(len(stars))]
    notes: list[list[str]] = [[] for _ in range(len(stars))]
    used: list[list[str]] = [[] for _ in range(len(stars))]
    for fset in FEATURE_SETS:
        X, usable, reasons = star_features(stars, fset)
        rows = np.nonzero(usable)[0]
        for i, reason in enumerate(reasons):
            if reason:
                notes[i].append(reason)
            else:
                used[i].append(fset)
        for name in BC_NAMES:
            model = suite.bc(name, fset)
            for state, column in (("max", f"{name}_{fset}"), ("min", f"{name}-minsep_{fset}")):
                col = np.full(len(stars), "", dtype=object)
                if len(rows):
                    model.set_params(state=state)
                    col[rows] = model.predict(X[rows])
                out[column] = col
            model.set_params(state="max")
            for i in rows:
                votes[i].append(out.at[i, f"{name}_{fset}"])
                bc_votes[i].append(out.at[i, f"{name}_{fset}"])
        for name in OCC_NAMES:
            accepted = [[] for _ in range(len(stars))]
            for proc in suite.processes:
                col = np.full(len(stars), "", dtype=object)
                if len(rows):
                    inside = suite.occ(name, proc, fset).predict(X[rows]) == 1
                    col[rows] = np.where(inside, "in", "out")
                    for i, ok in zip(rows, inside):
                        if ok:
                            accepted[i].append(proc)
                out[f"{name}_{proc}_{fset}"] = col
            verdict = np.full(len(stars), "", dtype=object)
            for i in rows:
                verdict[i] = "+".join(accepted[i]) if accepted[i] else "none"
                votes[i].append(verdict[i])
            out[f"{name}_{fset}"] = verdict
    out["ml_overall"] = [majority(v) for v in votes]
    out["bc_overall"] = [majority(v) for v in bc_votes]
    out["ml_votes"] = [" ".join(f"{k}:{v.count(k)}" for k in sorted(set(v))) for v in votes]
    out["feature_sets"] = ["+".join(u) for u in used]
    out["note"] = ["; ".join(n) for n in notes]
    out.loc[out["feature_sets"] == "", "note"] = "not classified: " + out.loc[out["feature_sets"] == "", "note"]
    return out


def model_columns(feature_set: str) -> list[str]:
    """The verdict columns of one feature set used in the Table-1-like summary."""
    return [f"{n}_{feature_set}" for n in (*BC_NAMES, *OCC_NAMES)]

