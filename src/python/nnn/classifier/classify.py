"""Per-star verdicts of every model, the two "ML overall" rules, and their Monte Carlo probability.

Feature sets: for each base set (Er, Pb) a star uses the largest variant it
has (``Er``, else ``Er-noPr``, ``Er-noDy``, ``Er-noPrDy``; see features);
``feature_sets`` names the variants used. Verdict columns are named by the
base set ``B`` (Er, Pb), empty where the star has no variant of it:

* ``BC-L_B``, ``BC-S_B``: binary classifiers at maximal separation (r or s),
  ``BC-L-minsep_B``, ``BC-S-minsep_B`` at minimal separation, and
  ``BC-L_B_p_r`` the maximal-separation probability of r.
* ``OCC-L_<bank>_B``: ``in`` / ``out`` of each bank's one-class model, with
  ``..._decision`` (the SVM's signed score) and ``..._distance`` (Euclidean
  distance in latent units to the boundary, > 0 inside); ``OCC-L_B``: the
  bank that alone accepts the star, ``none`` if no bank does, or ``r+s``.

ML overall rules (``RULES``; a bank with more than half of the counted
votes wins, otherwise ``mixed``):

* ``"paper"`` (the default): the reading of the paper's Table 1. Both BC
  states vote (BC-L and BC-S at minimal and maximal separation: 4 votes per
  base set), and each one-class model (OCC-L, OCC-S) votes for the bank it
  alone accepts; a one-class model that accepts no bank (or several)
  abstains. It is the default because it is the paper's rule, fixed before
  any star was scored, so that the agreement can be compared with its 87 %.
* ``"strict"``: BC-L, BC-S (maximal separation) and OCC-L, OCC-S per base
  set all count (4 votes per base); an OCC that accepts no single bank
  votes for none, so the one-class models can veto a verdict.

``mixed`` means the models do not agree on one bank; it is what an r/s
(i-process) pattern should give while no i bank exists. With an i bank
(``patterns_i.csv``) the one-class models can vote ``i`` and an ``i``
verdict appears.

Uncertainties (Monte Carlo): each abundance is drawn ``n_draws`` times
from a normal distribution with the star's sigma (``err_X`` columns;
``default_sigma_dex`` where a table gives none; ``sigma_source`` says
which), independently per element; an upper limit is a censored bound,
drawn uniformly from [limit - ``limit_depth_dex``, limit]. The nominal
verdict uses the measured values and the middle of that range for limits.
``p_verdict`` is the fraction of draws giving the nominal verdict,
``p_verdict_err`` its binomial standard error, ``p_r`` / ``p_s`` /
``p_mixed`` the fractions of each verdict, and ``flips_within_errors`` is
True when fewer than ``FLIP_LEVEL`` (68 %) of the draws give the nominal
verdict.

``classify_stars`` reads the models only: it never changes their
parameters or state.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from .criteria import conventional_labels
from .data import STAR_ELEMENTS, load_solar, load_stars, read_star_csv, validate_stars
from .features import BASE_SETS, FEATURE_SETS, NORMALISER, base_of, choose_feature_set, elements_of, pattern_features
from .suite import MODEL_SPECS, ModelSuite

MIXED = "mixed"
FEH_DEFAULT_MAX = -2.0
BC_NAMES = [n for n, s in MODEL_SPECS.items() if s["kind"] == "bc"]
OCC_NAMES = [n for n, s in MODEL_SPECS.items() if s["kind"] == "occ"]
RULES = ("paper", "strict")
DEFAULT_RULE = "paper"
BC_VOTE_STATES = {"paper": ("max", "min"), "strict": ("max",)}
N_DRAWS = 200
DEFAULT_SIGMA_DEX = 0.15  # typical abundance uncertainty where a table gives none
LIMIT_DEPTH_DEX = 1.0  # an upper limit is taken as "somewhere in the 1 dex below the bound"
FLIP_LEVEL = 0.68


def _priority(stars: pd.DataFrame) -> np.ndarray:
    if "priority" not in stars.columns:
        return np.ones(len(stars))
    return pd.to_numeric(stars["priority"], errors="coerce").fillna(9).to_numpy()


def one_entry_per_star(stars: pd.DataFrame) -> pd.DataFrame:
    """One row per star: JINAbase's ``priority`` column decides (1 before 2), then table order."""
    order = np.lexsort((np.arange(len(stars)), _priority(stars)))
    picked = stars.iloc[order].drop_duplicates(subset="star", keep="first")
    return picked.sort_index().reset_index(drop=True)


def default_entries(data_dir=None) -> pd.DataFrame:
    """Every JINAbase 2018 entry with [Fe/H] <= -2 and all nine Er-set elements measured (no limits)."""
    stars = load_stars(data_dir=data_dir)
    elements = BASE_SETS["Er"]
    ok = stars["feh"].to_numpy(dtype=float) <= FEH_DEFAULT_MAX
    for e in elements:
        ok &= np.isfinite(stars[f"logeps_{e}"].to_numpy(dtype=float)) & (stars[f"ul_{e}"].to_numpy() != 1)
    return stars[ok].reset_index(drop=True)


def default_stars(data_dir=None, one_per_star: bool = True) -> pd.DataFrame:
    """The scored star set: :func:`default_entries`, one entry per star (``one_per_star``)."""
    entries = default_entries(data_dir)
    return one_entry_per_star(entries) if one_per_star else entries


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


def _draws(stars: pd.DataFrame, n_draws: int, default_sigma: float, limit_depth: float, seed: int):
    """log eps of every element for the nominal case (draw 0) and ``n_draws`` Monte Carlo draws."""
    rng = np.random.default_rng(seed)
    n = len(stars)
    values, sigma_used = {}, [set() for _ in range(n)]
    for elem in STAR_ELEMENTS:
        col = f"logeps_{elem}"
        if col not in stars.columns:
            continue
        v = stars[col].to_numpy(dtype=float)
        limit = (stars[f"ul_{elem}"].to_numpy() == 1) if f"ul_{elem}" in stars.columns else np.zeros(n, bool)
        err_col = f"err_{elem}"
        sigma = stars[err_col].to_numpy(dtype=float) if err_col in stars.columns else np.full(n, np.nan)
        assumed = ~np.isfinite(sigma) & np.isfinite(v) & ~limit
        for i in np.nonzero(assumed)[0]:
            sigma_used[i].add("assumed")
        for i in np.nonzero(~assumed & np.isfinite(v) & ~limit)[0]:
            sigma_used[i].add("table")
        sigma = np.where(np.isfinite(sigma), sigma, default_sigma)
        d = np.empty((n, n_draws + 1))
        d[:, 0] = np.where(limit, v - 0.5 * limit_depth, v)
        noise = rng.standard_normal((n, n_draws))
        censored = v[:, None] - limit_depth * rng.random((n, n_draws))
        d[:, 1:] = np.where(limit[:, None], censored, v[:, None] + sigma[:, None] * noise)
        values[elem] = d
    source = ["+".join(sorted(s)) if s else "" for s in sigma_used]
    return values, source


def _verdicts(counts: dict[str, np.ndarray], total: np.ndarray) -> np.ndarray:
    """Majority verdict per (star, draw) from vote counts; '' where nothing voted."""
    procs = sorted(counts)
    stack = np.stack([counts[p] for p in procs])
    best = np.argmax(stack, axis=0)
    wins = np.take_along_axis(stack, best[None], axis=0)[0] * 2 > total
    out = np.where(wins, np.asarray(procs, dtype=object)[best], MIXED)
    return np.where(total == 0, "", out).astype(object)


def nearest_patterns(suite: ModelSuite, X: np.ndarray, feature_set: str, process: str, k: int = 1):
    """IDs and rms distance (dex per non-Eu feature) of the ``k`` bank patterns closest to each row of X."""
    patterns = suite.banks.patterns
    P, usable = pattern_features(patterns, feature_set)
    sel = usable & (patterns["process"].to_numpy().astype(str) == process)
    ids = patterns["pattern_id"].to_numpy().astype(str)[sel]
    P = P[sel]
    n_feat = len(elements_of(feature_set)) - 1  # Eu is 0 in both
    d = np.sqrt(((X[:, None, :] - P[None, :, :]) ** 2).sum(axis=2) / n_feat)
    order = np.argsort(d, axis=1)[:, :k]
    return ids[order], np.take_along_axis(d, order, axis=1)


def classify_stars(table=None, models: ModelSuite | str | os.PathLike | None = None, data_dir=None,
                   rule: str = DEFAULT_RULE, n_draws: int = N_DRAWS, default_sigma_dex: float = DEFAULT_SIGMA_DEX,
                   limit_depth_dex: float = LIMIT_DEPTH_DEX, seed: int = 0) -> pd.DataFrame:
    """Classify stars with every model; returns a pandas DataFrame, one row per input row.

    ``table``: a DataFrame or CSV path with the bundle's columns (``star``,
    ``logeps_Ba``, ``ul_Ba``, optional ``err_Ba``, ...; see
    :mod:`nnn.classifier.inputs` to convert a published [X/Fe] table), or
    None for :func:`default_stars`. ``models``: a :class:`ModelSuite`, a
    directory written by ``train``, or None for the shipped models.
    ``rule``: which ML-overall rule fills ``ml_overall`` (both are always
    given as ``ml_overall_paper`` and ``ml_overall_strict``).
    ``n_draws``: Monte Carlo draws (0 switches the Monte Carlo off).
    """
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    if int(n_draws) != n_draws or n_draws < 0:
        raise ValueError(f"n_draws must be a non-negative integer, got {n_draws!r}")
    for name, value in (("default_sigma_dex", default_sigma_dex), ("limit_depth_dex", limit_depth_dex)):
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
    stars = default_stars(data_dir) if table is None else _as_star_table(table)
    suite = models if isinstance(models, ModelSuite) else ModelSuite.load(models)
    n, D = len(stars), int(n_draws) + 1
    out = pd.DataFrame({"star": stars["star"].astype(str), "ref": stars["ref"].astype(str),
                        "feh": stars["feh"].astype(float)})
    out = pd.concat([out, conventional_labels(stars, load_solar(data_dir))], axis=1)
    draws, sigma_source = _draws(stars, int(n_draws), default_sigma_dex, limit_depth_dex, seed)

    procs = sorted(set(suite.processes))
    counts = {r: {p: np.zeros((n, D), dtype=int) for p in procs} for r in RULES}
    total = {r: np.zeros((n, D), dtype=int) for r in RULES}
    bc_counts = {p: np.zeros(n, dtype=int) for p in procs}
    bc_total = np.zeros(n, dtype=int)
    chosen, notes = {}, [[] for _ in range(n)]
    for base in BASE_SETS:
        chosen[base], reasons = choose_feature_set(stars, base, suite.feature_sets)
        for i in range(n):
            if chosen[base][i] == "":
                notes[i].append(reasons[i])
            elif chosen[base][i] != base and reasons[i]:
                notes[i].append(f"{base}: {reasons[i].split(': ', 1)[1]} -> {chosen[base][i]} models")
        blank = np.full(n, "", dtype=object)
        nan = np.full(n, np.nan)
        for name in BC_NAMES:
            out[f"{name}_{base}"] = blank.copy()
            out[f"{name}-minsep_{base}"] = blank.copy()
            out[f"{name}_{base}_p_r"] = nan.copy()
        for name in OCC_NAMES:
            for proc in suite.processes:
                out[f"{name}_{proc}_{base}"] = blank.copy()
                out[f"{name}_{proc}_{base}_decision"] = nan.copy()
                out[f"{name}_{proc}_{base}_distance"] = nan.copy()
            out[f"{name}_{base}"] = blank.copy()

    boundaries: dict[str, list] = {}
    for fset in FEATURE_SETS:
        base = base_of(fset)
        rows = np.nonzero(chosen[base] == fset)[0]
        if not len(rows):
            continue
        elements = elements_of(fset)
        V = np.stack([draws[e][rows] for e in elements], axis=2)  # (rows, D, k)
        X = (V - V[:, :, [elements.index(NORMALISER)]]).reshape(-1, len(elements))
        X0 = X.reshape(len(rows), D, -1)[:, 0]
        for name in BC_NAMES:
            model = suite.bc(name, fset)
            positive = model.positive_class_
            negative = [c for c in model.classes_ if c != positive][0]
            for state in ("max", "min"):
                is_pos = (model.positive_margin(X, state) >= 0).reshape(len(rows), D)
                column = f"{name}_{base}" if state == "max" else f"{name}-minsep_{base}"
                out.loc[rows, column] = np.where(is_pos[:, 0], positive, negative)
                if state == "max":
                    p0 = model.positive_proba(X0, state)
                    out.loc[rows, f"{name}_{base}_p_r"] = p0 if positive == "r" else 1 - p0
                    bc_counts[positive][rows] += is_pos[:, 0]
                    bc_counts[negative][rows] += ~is_pos[:, 0]
                    bc_total[rows] += 1
                for rule_name in RULES:
                    if state in BC_VOTE_STATES[rule_name]:
                        counts[rule_name][positive][rows] += is_pos
                        counts[rule_name][negative][rows] += ~is_pos
                        total[rule_name][rows] += 1
        for name in OCC_NAMES:
            accepted = {}
            for proc in suite.processes:
                model = suite.occ(name, proc, fset)
                key = f"{name}_{proc}_{fset}"
                if key not in boundaries:
                    boundaries[key] = model.boundary()
                dec = model.decision_function(X).reshape(len(rows), D)
                accepted[proc] = dec >= 0.0
                out.loc[rows, f"{name}_{proc}_{base}"] = np.where(accepted[proc][:, 0], "in", "out")
                out.loc[rows, f"{name}_{proc}_{base}_decision"] = dec[:, 0]
                out.loc[rows, f"{name}_{proc}_{base}_distance"] = model.boundary_distance(X0, boundaries[key])
            n_acc = sum(a.astype(int) for a in accepted.values())
            verdict0 = np.full(len(rows), "none", dtype=object)
            for proc in suite.processes:
                single = accepted[proc] & (n_acc == 1)
                verdict0[single[:, 0]] = proc
                for rule_name in RULES:
                    counts[rule_name][proc][rows] += single
            verdict0[n_acc[:, 0] > 1] = ["+".join(p for p in suite.processes if accepted[p][j, 0])
                                         for j in np.nonzero(n_acc[:, 0] > 1)[0]]
            out.loc[rows, f"{name}_{base}"] = verdict0
            total["strict"][rows] += 1
            total["paper"][rows] += n_acc == 1  # a one-class model that accepts no single bank abstains

    verdicts = {r: _verdicts(counts[r], total[r]) for r in RULES}
    for r in RULES:
        out[f"ml_overall_{r}"] = verdicts[r][:, 0]
        out[f"ml_votes_{r}"] = [" ".join(f"{p}:{counts[r][p][i, 0]}" for p in procs) + f" of {total[r][i, 0]}"
                                for i in range(n)]
    out["ml_overall"] = out[f"ml_overall_{rule}"]
    out["ml_rule"] = rule
    out["bc_overall"] = _verdicts({p: c[:, None] for p, c in bc_counts.items()}, bc_total[:, None])[:, 0]

    # Monte Carlo probability of the chosen rule's verdict.
    mc = verdicts[rule][:, 1:]
    nominal = verdicts[rule][:, 0]
    classified = nominal != ""
    if n_draws > 0:
        for label in (*procs, MIXED):
            out[f"p_{label}"] = np.where(classified, (mc == label).mean(axis=1), np.nan)
        p_nom = (mc == nominal[:, None]).mean(axis=1)
        out["p_verdict"] = np.where(classified, p_nom, np.nan)
        out["p_verdict_err"] = np.where(classified, np.sqrt(p_nom * (1 - p_nom) / n_draws), np.nan)
        out["flips_within_errors"] = classified & (p_nom < FLIP_LEVEL)
        out["mc_draws"] = int(n_draws)
        out["sigma_source"] = [s if c else "" for s, c in zip(sigma_source, classified)]

    # Best-matching bank patterns on the first base set the star has (Er, then Pb).
    for proc in procs:
        out[f"nearest_{proc}"] = ""
        out[f"nearest_{proc}_rms_dex"] = np.nan
    out["nearest_set"] = ""
    for fset in FEATURE_SETS:
        base = base_of(fset)
        rows = np.nonzero((chosen[base] == fset) & (out["nearest_set"].to_numpy() == ""))[0]
        if not len(rows):
            continue
        elements = elements_of(fset)
        V = np.stack([draws[e][rows, 0] for e in elements], axis=1)
        X0 = V - V[:, [elements.index(NORMALISER)]]
        for proc in procs:
            ids, dist = nearest_patterns(suite, X0, fset, proc, k=1)
            out.loc[rows, f"nearest_{proc}"] = ids[:, 0]
            out.loc[rows, f"nearest_{proc}_rms_dex"] = dist[:, 0]
        out.loc[rows, "nearest_set"] = fset

    out["feature_sets"] = ["+".join(chosen[b][i] for b in BASE_SETS if chosen[b][i]) for i in range(n)]
    limits = []
    for i in range(n):
        used = {e for b in BASE_SETS if chosen[b][i] for e in elements_of(chosen[b][i])}
        limits.append(", ".join(f"{e}<={stars.at[i, f'logeps_{e}']:.2f}" for e in STAR_ELEMENTS
                                if e in used and f"ul_{e}" in stars.columns and stars.at[i, f"ul_{e}"] == 1))
    out["censored"] = limits
    out["note"] = ["; ".join(x for x in nt if x) for nt in notes]
    unclassified = out["feature_sets"] == ""
    out.loc[unclassified, "note"] = "not classified: " + out.loc[unclassified, "note"]
    return out


def model_columns(base: str) -> list[str]:
    """The verdict columns of one base feature set used in the Table-1-like summary."""
    return [f"{n}_{base}" for n in (*BC_NAMES, *OCC_NAMES)]
