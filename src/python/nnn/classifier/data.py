"""Loading the abundance tables (solar, model pattern banks, observed stars).

Tables are looked up in this order: an explicit ``data_dir`` argument, the
``NNN_DATA_DIR`` environment variable, then the copy shipped inside the
package (``nnn/classifier/data``, with its README giving provenance and
licences). All tables are returned as pandas DataFrames.

Abundances are log eps values, log10(N_X / N_H) + 12 (dex). A pattern bank
is any file ``patterns_<process>.csv`` in the data directory, so a third
(e.g. i-process) bank is added by dropping ``patterns_i.csv`` beside the
others; nothing in the code lists the processes.
"""

from __future__ import annotations

import io
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd

ENV_VAR = "NNN_DATA_DIR"
PACKAGE_DATA = Path(__file__).resolve().with_name("data")

SOLAR_FILE = "solar_asplund09.csv"
STARS_FILE = "stars_jinabase.csv"
BANK_PREFIX = "patterns_"

# Elements the package reads from star tables (features + criteria).
STAR_ELEMENTS = ("Fe", "Sr", "Ba", "La", "Ce", "Pr", "Nd", "Sm", "Eu", "Dy", "Er", "Hf", "Ir", "Pb")
# A star table must at least carry these to be classified (Pr and Dy may be absent: the
# suite has models for the feature sets without them).
REQUIRED_STAR_ELEMENTS = ("Ba", "La", "Ce", "Nd", "Sm", "Eu")


class DataTableError(FileNotFoundError):
    """A required data table (or data directory) is missing."""


class StarTableError(ValueError):
    """A star table has a missing column or a bad cell (message names row and column)."""


def resolve_data_dir(data_dir: str | os.PathLike | None = None) -> Path:
    """Directory holding the CSV tables: argument, else $NNN_DATA_DIR, else package data."""
    if data_dir is None:
        data_dir = os.environ.get(ENV_VAR) or PACKAGE_DATA
    path = Path(data_dir)
    if not path.is_dir():
        raise DataTableError(f"classifier data directory {str(path)!r} does not exist")
    return path


def table_path(name: str, data_dir: str | os.PathLike | None = None) -> Path:
    """Path of table ``name`` in the data directory; a clear error if it is missing."""
    directory = resolve_data_dir(data_dir)
    path = directory / name
    if not path.is_file():
        raise DataTableError(
            f"classifier table {name!r} not found in {str(directory)!r} "
            f"(set --data DIR or ${ENV_VAR} to a directory holding the bundle's CSV files)"
        )
    return path


def load_solar(data_dir: str | os.PathLike | None = None) -> pd.Series:
    """Asplund et al. 2009 solar log eps (dex), indexed by element symbol."""
    table = pd.read_csv(table_path(SOLAR_FILE, data_dir))
    return table.set_index("element")["log_eps"].astype(float)


def bank_names(data_dir: str | os.PathLike | None = None) -> list[str]:
    """Processes with a pattern bank (``patterns_<process>.csv``), sorted."""
    directory = resolve_data_dir(data_dir)
    return sorted(p.stem[len(BANK_PREFIX):] for p in directory.glob(f"{BANK_PREFIX}*.csv"))


def load_patterns(process: str | None = None, data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Model abundance patterns of one bank (``"r"``, ``"s"``, ...) or of all banks.

    Each row is one nucleosynthesis model; ``logeps_X`` are log abundances
    plus a per-row constant (only differences within a row mean anything).
    A ``process`` column names the bank and ``pattern_id`` is
    ``<process>:<source>:<model>``, unique across banks.
    """
    processes = [process] if process is not None else bank_names(data_dir)
    if not processes:
        raise DataTableError(f"no {BANK_PREFIX}*.csv pattern banks in {str(resolve_data_dir(data_dir))!r}")
    frames = []
    for proc in processes:
        table = pd.read_csv(table_path(f"{BANK_PREFIX}{proc}.csv", data_dir))
        table.insert(0, "process", proc)
        table.insert(1, "pattern_id", proc + ":" + table["source"].astype(str) + ":" + table["model"].astype(str))
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def _parse_number(cell, row: int, column: str, origin: str) -> float:
    """One numeric cell; empty (or a missing value of a DataFrame) means 'not given'."""
    where = f"{origin}: row {row} (file line {row + 1}), column {column!r}"
    if cell is None or (isinstance(cell, float) and math.isnan(cell)):
        return math.nan
    if isinstance(cell, str):
        text = cell.strip()
        if text == "":
            return math.nan
        try:
            value = float(text)
        except ValueError:
            raise StarTableError(f"{where}: {text!r} is not a number") from None
    elif isinstance(cell, (bool, np.bool_)):
        raise StarTableError(f"{where}: {cell!r} is not a number")
    else:
        try:
            value = float(cell)
        except (TypeError, ValueError):
            raise StarTableError(f"{where}: {cell!r} is not a number") from None
    # 'nan'/'inf' text parses as a float, but an empty cell is the only way to say "not measured".
    if not math.isfinite(value):
        raise StarTableError(f"{where}: {cell!r} is not a finite number (leave the cell empty if not measured)")
    return value


def validate_stars(raw: pd.DataFrame, origin: str = "stars table") -> pd.DataFrame:
    """Check a star table read as text and convert its numeric columns.

    Rules: a ``star`` column and ``logeps_X`` for Ba, La, Ce, Nd, Sm, Eu
    and at least one of Er / Pb are required (absent Pr / Dy columns mean
    "not measured"). ``logeps_X``, ``err_X`` and ``feh`` cells may be empty
    (not measured / no error given); ``ul_X`` cells must be 0 or 1 (empty =
    0) and ``ul_X = 1`` needs a value; ``err_X`` must be > 0. Rows are
    numbered from 1 (data rows; the header is file line 1).
    """
    columns = list(raw.columns)
    missing = [c for c in ("star", *(f"logeps_{e}" for e in REQUIRED_STAR_ELEMENTS)) if c not in columns]
    if "logeps_Er" not in columns and "logeps_Pb" not in columns:
        missing.append("logeps_Er or logeps_Pb")
    if missing:
        raise StarTableError(f"{origin}: missing column(s) {', '.join(missing)}")
    out = raw.copy()
    for i, name in enumerate(out["star"].tolist(), start=1):
        if name is None or (isinstance(name, float) and math.isnan(name)) or str(name).strip() == "":
            raise StarTableError(f"{origin}: row {i} (file line {i + 1}), column 'star': empty star name")
    numeric = [c for c in columns if c.startswith(("logeps_", "ul_", "err_")) or c in ("feh", "teff", "logg")]
    for col in numeric:
        is_flag = col.startswith("ul_")
        values = [
            _parse_number(cell, i, col, origin) for i, cell in enumerate(out[col].tolist(), start=1)
        ]
        if is_flag:
            for i, v in enumerate(values, start=1):
                if not (math.isnan(v) or v in (0.0, 1.0)):
                    raise StarTableError(f"{origin}: row {i} (file line {i + 1}), column {col!r}: flag must be 0 or 1")
            values = [0 if math.isnan(v) else int(v) for v in values]
        if col.startswith("err_"):
            for i, v in enumerate(values, start=1):
                if not math.isnan(v) and v <= 0:
                    raise StarTableError(f"{origin}: row {i} (file line {i + 1}), column {col!r}: "
                                         f"error {v!r} must be > 0 dex")
        out[col] = values
    for elem in STAR_ELEMENTS:
        flag, val = f"ul_{elem}", f"logeps_{elem}"
        if flag not in out.columns:
            out[flag] = 0
        if val not in out.columns:
            if elem in ("Pr", "Dy"):
                out[val] = math.nan
            continue
        bad = (out[flag] == 1) & out[val].isna()
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0]) + 1
            raise StarTableError(
                f"{origin}: row {i} (file line {i + 1}), column {val!r}: upper-limit flag set but no value"
            )
    for col, default in (("ref", ""), ("jinabase_sci_key", "*")):
        if col not in out.columns:
            out[col] = default
    if "feh" not in out.columns:
        out["feh"] = math.nan
    return out


def read_star_csv(source: str | os.PathLike | io.TextIOBase, origin: str | None = None) -> pd.DataFrame:
    """Read and validate a star CSV (the bundle's column names: ``logeps_Ba``, ``ul_Ba``, ...)."""
    origin = origin or (str(source) if isinstance(source, (str, os.PathLike)) else "stars table")
    # Everything as text first: pandas' own NaN guessing would hide 'nan'/'abc' cells.
    raw = pd.read_csv(source, dtype=str, keep_default_na=False, na_filter=False)
    return validate_stars(raw, origin)


def load_stars(path: str | os.PathLike | None = None, data_dir: str | os.PathLike | None = None) -> pd.DataFrame:
    """Observed stars: a user CSV ``path``, or the bundled JINAbase 2018 table.

    One row per (star, reference) entry; the columns are those of the
    bundle (``star``, ``ref``, ``feh``, ``jinabase_sci_key``, ``logeps_X``,
    ``ul_X``, ...). Bad cells raise :class:`StarTableError`.
    """
    if path is None:
        path = table_path(STARS_FILE, data_dir)
    elif not Path(path).is_file():
        raise DataTableError(f"star table {str(path)!r} not found")
    return read_star_csv(path)
