"""Training banks of model patterns: which rows count as r or s, enlargement, thinning, splits.

r class (``r_selection="main"``, the default): the main (strong) r-process,
chosen by the physics of the sources alone (no star label and no star test
enters the choice):
  * The solar r-residuals are kept: they are the empirical main r pattern.
  * Neutrino-driven-wind rows (``ndw_nupycee``) are dropped: winds make a
    weak r-process that stops before the third peak ([Pb/Eu] of -3 to -5).
  * Just et al. 2015 rows are dropped: they have [Ba/La] ~ -1.6 dex, a dip
    between two neighbouring elements that no r-process site or r-II star
    shows (solar r and r-II stars: about -0.3), so the export is suspect.
  * Of the other site rows those that reach the third r-process peak are
    kept: [Ir/Eu] > ``R_MIN_IR_EU`` (-1 dex, a factor 10 below the solar
    r ratio). A main r-process runs through the lanthanides to the third
    peak; rows that stop short (the brightest Nishimura 2017 jets, the
    collapsar average) are limited / weak r-process yields.
  The earlier default filtered site rows with [Ba/Eu] < 0, which is the
  test that defines r-I/r-II stars in JINAbase; scoring stars against
  labels made with the same test is circular, so it is no longer used.
  Other choices, to measure their effect: ``"main+just15"`` (also the Just
  rows), ``"all"`` (every row of patterns_r.csv) and ``"main-nomix"``
  (the main rows without enlargement).

Enlargement: the public r bank has ~25 main rows against the paper's 188
merger tracers. Real ejecta (and the gas a star forms from) are sums of
components (dynamical + disk ejecta, several events), so new patterns are
random mixtures of 2..``max_components`` kept rows, summed in linear number
abundance with Dirichlet(1) weights on their Eu content. A mixture of rows
that reach the third peak also reaches it, so it stays in the r class.

s class: rows with [Ba/Fe] > ``s_min_bafe`` (0.3 dex) in their ejecta. Models
without third dredge-up eject their initial, solar-scaled heavy elements
([Ba/Fe] ~ 0, [Ba/Eu] ~ 0), which is not an s-process pattern.

Any other bank (e.g. a future ``patterns_i.csv``) is taken whole. The banks
named in ``thin_processes`` (the r bank, as in the paper) are thinned
(``thinning.thin_patterns`` on the Er feature set); the s bank is not,
because its model grids are dense and the same tolerance would cut it from
235 to 40 rows. Then every bank is split 60/20/20 into train / validation / test, stratified by process, with a fixed
seed. Mixtures are split like any other pattern (as the paper split its
tracers), so a test mixture may share components with training patterns.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from .data import load_patterns, load_solar
from .features import pattern_features
from .thinning import DEFAULT_TOL, thin_patterns

R_SELECTIONS = ("main", "main+just15", "all", "main-nomix")
WEAK_R_SOURCES = ("ndw_nupycee",)
SUSPECT_R_SOURCES = ("just15",)
SPLIT_FRACTIONS = (0.6, 0.2, 0.2)
# [Ir/Eu] (dex) above which a site row reaches the third r-process peak (solar r: ~0).
R_MIN_IR_EU = -1.0


@dataclass
class BankConfig:
    """How the training banks are built (all choices that change the models)."""

    r_selection: str = "main"
    n_mixtures: int = 300
    max_components: int = 3
    thin_tol: float = DEFAULT_TOL
    s_min_bafe: float = 0.3
    thin_processes: tuple[str, ...] = ("r",)
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class Banks:
    """Patterns used for training, with their split and a log of how they were chosen."""

    patterns: pd.DataFrame  # one row per pattern: process, pattern_id, origin, split, logeps_*
    config: BankConfig
    log: dict = field(default_factory=dict)  # per process: rows read, selected, mixed, thinning counts

    @property
    def processes(self) -> list[str]:
        return sorted(self.patterns["process"].unique())


def _ratio(table: pd.DataFrame, num: str, den: str, solar: pd.Series) -> pd.Series:
    """[num/den] of pattern rows (dex)."""
    return (table[f"logeps_{num}"] - table[f"logeps_{den}"]) - (solar[num] - solar[den])


def select_r_rows(table: pd.DataFrame, solar: pd.Series, selection: str) -> np.ndarray:
    """Boolean mask of patterns_r.csv rows that form the r class under ``selection``."""
    if selection not in R_SELECTIONS:
        raise ValueError(f"unknown r selection {selection!r}; choose one of {R_SELECTIONS}")
    if selection == "all":
        return np.ones(len(table), dtype=bool)
    source = table["source"].astype(str)
    solar_residual = source.str.startswith("solar_r_")
    third_peak = (_ratio(table, "Ir", "Eu", solar) > R_MIN_IR_EU).fillna(False)
    main = (~source.isin(WEAK_R_SOURCES)) & third_peak
    if selection != "main+just15":
        main &= ~source.isin(SUSPECT_R_SOURCES)
    return (solar_residual | main).to_numpy()


def select_s_rows(table: pd.DataFrame, solar: pd.Series, min_bafe: float) -> np.ndarray:
    """Boolean mask of s-process-enriched AGB rows ([Ba/Fe] of the ejecta > ``min_bafe``)."""
    return (_ratio(table, "Ba", "Fe", solar) > min_bafe).to_numpy()


def mix_patterns(table: pd.DataFrame, n: int, max_components: int, rng: np.random.Generator) -> pd.DataFrame:
    """``n`` random mixtures of rows of ``table``, summed in linear abundance space.

    Each row is first scaled to the same Eu abundance, so the Dirichlet
    weights are the fractions of the mixture's Eu that each component brings.
    Elements missing from a component are missing from the mixture.
    """
    cols = [c for c in table.columns if c.startswith("logeps_")]
    logeps = table[cols].to_numpy(dtype=float)
    linear = 10.0 ** (logeps - table[["logeps_Eu"]].to_numpy(dtype=float))
    rows = []
    ids = table["pattern_id"].tolist()
    for k in range(n):
        m = int(rng.integers(2, max_components + 1))
        pick = rng.choice(len(table), size=min(m, len(table)), replace=False)
        w = rng.dirichlet(np.ones(len(pick)))
        mixed = np.log10(w @ linear[pick])
        rows.append(
            {
                "pattern_id": f"r:mixture:{k:04d}",
                "source": "mixture",
                "model": f"{k:04d}",
                "details": " + ".join(f"{wi:.3f}*{ids[p]}" for wi, p in zip(w, pick)),
                **dict(zip(cols, mixed)),
            }
        )
    return pd.DataFrame(rows)


def _split(processes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """'train' / 'val' / 'test' per row, 60/20/20 within each process."""
    split = np.empty(len(processes), dtype=object)
    for proc in np.unique(processes):
        idx = rng.permutation(np.nonzero(processes == proc)[0])
        n_train = int(round(SPLIT_FRACTIONS[0] * len(idx)))
        n_val = int(round(SPLIT_FRACTIONS[1] * len(idx)))
        split[idx[:n_train]] = "train"
        split[idx[n_train : n_train + n_val]] = "val"
        split[idx[n_train + n_val :]] = "test"
    return split


def build_banks(data_dir=None, config: BankConfig | None = None) -> Banks:
    """Select, enlarge, thin and split every pattern bank found in the data directory."""
    config = config or BankConfig()
    solar = load_solar(data_dir)
    raw = load_patterns(data_dir=data_dir)
    rng = np.random.default_rng(config.seed)
    frames, log = [], {}
    for proc in sorted(raw["process"].unique()):
        table = raw[raw["process"] == proc].reset_index(drop=True)
        if proc == "r":
            mask = select_r_rows(table, solar, config.r_selection)
        elif proc == "s":
            mask = select_s_rows(table, solar, config.s_min_bafe)
        else:
            mask = np.ones(len(table), dtype=bool)
        chosen = table[mask].copy()
        chosen["origin"] = "model"
        entry = {"rows": len(table), "selected": int(mask.sum()),
                 "selected_by_source": chosen["source"].value_counts().to_dict()}
        if proc == "r" and config.r_selection != "main-nomix" and config.n_mixtures > 0:
            mixtures = mix_patterns(chosen, config.n_mixtures, config.max_components, rng)
            mixtures.insert(0, "process", proc)
            mixtures["origin"] = "mixture"
            chosen = pd.concat([chosen, mixtures], ignore_index=True)
            entry["mixtures"] = len(mixtures)
        if proc in config.thin_processes:
            # Thinned on the full Er set; patterns without Er (none in the bundle) are dropped here.
            X, usable = pattern_features(chosen, "Er")
            keep, counts = thin_patterns(X[usable], tol=config.thin_tol)
            chosen = chosen.iloc[np.nonzero(usable)[0][keep]].reset_index(drop=True)
            entry["thinning_counts"] = counts
        entry["final"] = len(chosen)
        entry["final_by_origin"] = chosen["origin"].value_counts().to_dict()
        log[proc] = entry
        frames.append(chosen)
    patterns = pd.concat(frames, ignore_index=True)
    patterns["split"] = _split(patterns["process"].to_numpy(), rng)
    return Banks(patterns=patterns, config=config, log=log)
