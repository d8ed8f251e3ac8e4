"""Reading an astronomer's abundance table: [X/Fe] + [Fe/H], [X/H] or log eps, with errors and limits.

The form of a table is read from its column names, never guessed from the
numbers:

* ``[Ba/Fe]`` (or ``Ba/Fe``) columns with a ``[Fe/H]`` column: form ``xfe``;
* ``[Ba/H]`` (or ``Ba/H``): form ``xh``;
* ``logeps_Ba``, ``log_eps_Ba``, ``logeps(Ba)``, ``log eps(Ba)``, ``A(Ba)``: form ``logeps``;
* bare element names (``Ba``, ``Eu``) say nothing about the form: then
  ``form`` must be given, and the table is checked against it: a log eps
  table must carry log eps(Fe) in a column ``Fe`` (1 to 8.5 dex; a star
  with [Fe/H] = -6 has 1.5), an [X/Fe] table a ``[Fe/H]`` column and no
  ``Fe`` column.

A ``form`` that contradicts the column names (e.g. ``form="logeps"`` for a
table of ``[Ba/Fe]`` columns) is an error, so an [X/Fe] table cannot be
read as log eps. Columns of two forms in one table are an error too.

Conversion to log eps (dex) on the solar scale ``solar`` (``"asplund09"``,
Asplund et al. 2009, the default and the scale of the bundled tables; or a
CSV file with columns ``element,log_eps``; or a pandas Series):
log eps(X) = [X/Fe] + [Fe/H] + log eps(X)_sun, = [X/H] + log eps(X)_sun.
The classifier's features are differences to Eu, so the [Fe/H] of a star
cancels; the solar scale does not.

Uncertainties: a column ``e_<name>``, ``err_<name>``, ``sigma_<name>`` or
``<name>_err`` (e.g. ``e_[Ba/Fe]``) gives the 1-sigma error of that element
(dex; used as the error of log eps(X), since the [Fe/H] term cancels in the
features). Upper limits: a cell written ``<0.35``, or a flag column
``l_<name>`` holding ``<`` (the CDS convention) or ``ul_<name>`` holding 1.
Lower limits (``>``) are not supported and raise. Missing values: an empty
cell or ``...``, ``…``, ``--``, ``—``. Any other text raises
:class:`~nnn.classifier.data.StarTableError` naming the row and column.
"""

from __future__ import annotations

import math
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .data import REQUIRED_STAR_ELEMENTS, STAR_ELEMENTS, StarTableError, load_solar, validate_stars

FORMS = ("xfe", "xh", "logeps")
SOLAR_SCALES = ("asplund09",)
DEFAULT_SOLAR = "asplund09"
MISSING_MARKERS = {"", "...", "…", "--", "—", "–"}
NAME_COLUMNS = ("star", "name", "id", "object", "star name")
FEH_NAMES = {"[fe/h]", "fe/h", "feh"}

_ELEM = "|".join(sorted(STAR_ELEMENTS, key=len, reverse=True))
_PATTERNS = {
    "xfe": re.compile(rf"^\[?({_ELEM})/fe\]?$", re.I),
    "xh": re.compile(rf"^\[?({_ELEM})/h\]?$", re.I),
    "logeps": re.compile(rf"^(?:log_?eps_?|log\s*eps|logeps|a)\s*[_(]?\s*({_ELEM})\s*\)?$", re.I),
}
_BARE = re.compile(rf"^({_ELEM})$")
_ERR = re.compile(r"^(?:e_|err_|sigma_|σ_?)(.+)$|^(.+?)_(?:err|e|sigma)$", re.I)
_FLAG = re.compile(r"^(?:l_|ul_)(.+)$", re.I)


def load_solar_scale(solar=DEFAULT_SOLAR, data_dir=None) -> pd.Series:
    """Solar log eps (dex) by element: a named scale, a CSV path (element, log_eps) or a Series."""
    if isinstance(solar, pd.Series):
        return solar.astype(float)
    if isinstance(solar, str) and solar.lower() in SOLAR_SCALES:
        return load_solar(data_dir)
    path = Path(solar)
    if not path.is_file():
        raise ValueError(f"solar scale {solar!r} is neither one of {SOLAR_SCALES} nor a CSV file")
    table = pd.read_csv(path)
    if not {"element", "log_eps"} <= set(table.columns):
        raise ValueError(f"solar scale file {str(path)!r} needs columns 'element' and 'log_eps'")
    return table.set_index("element")["log_eps"].astype(float)


def _norm(name: str) -> str:
    return re.sub(r"\s+", " ", str(name).strip())


def classify_columns(columns) -> dict:
    """Map column names to (role, element, form): role is value / error / flag / feh / name."""
    roles = {}
    for col in columns:
        name = _norm(col)
        low = name.lower()
        if low in NAME_COLUMNS:
            roles[col] = ("name", None, None)
            continue
        if low in FEH_NAMES:
            roles[col] = ("feh", None, None)
            continue
        for role, rx in (("error", _ERR), ("flag", _FLAG)):
            m = rx.match(name)
            if m:
                inner = next(g for g in m.groups() if g)
                kind = _value_kind(inner)
                if kind is not None:
                    roles[col] = (role, kind[0], kind[1])
                    break
        else:
            kind = _value_kind(name)
            if kind is not None:
                roles[col] = ("value", kind[0], kind[1])
    return roles


def _value_kind(name: str):
    """(element, form) of a value column name; form None for a bare element name."""
    name = _norm(name)
    for form, rx in _PATTERNS.items():
        m = rx.match(name)
        if m:
            return m.group(1).capitalize(), form
    m = _BARE.match(name)
    if m:
        return m.group(1), None
    return None


def _cell(text, row: int, column: str, origin: str, allow_limit: bool):
    """(value, is_upper_limit) of one cell; (nan, False) for a missing marker."""
    where = f"{origin}: row {row} (file line {row + 1}), column {column!r}"
    if text is None or (isinstance(text, float) and math.isnan(text)):
        return math.nan, False
    s = str(text).strip()
    if s in MISSING_MARKERS:
        return math.nan, False
    limit = False
    if s.startswith(">"):
        raise StarTableError(f"{where}: {s!r} is a lower limit; only upper limits ('<') are supported")
    if s.startswith("<"):
        if not allow_limit:
            raise StarTableError(f"{where}: {s!r}: an upper limit is not allowed in this column")
        limit, s = True, s[1:].strip().lstrip("=").strip()
    s = s.replace("−", "-")  # typographic minus, as printed in papers
    try:
        value = float(s)
    except ValueError:
        raise StarTableError(f"{where}: {str(text)!r} is not a number") from None
    if not math.isfinite(value):
        raise StarTableError(f"{where}: {str(text)!r} is not a finite number (leave the cell empty if not measured)")
    return value, limit


def read_abundance_table(source, form: str = "auto", solar=DEFAULT_SOLAR, data_dir=None,
                         origin: str | None = None) -> pd.DataFrame:
    """Read a CSV path / text buffer / DataFrame of abundances and return the classifier's star table.

    The result has ``star``, ``ref``, ``feh``, ``logeps_X``, ``ul_X`` and
    ``err_X`` columns (log eps on the ``solar`` scale), plus ``input_form``
    and ``solar_scale``. ``form``: ``"auto"`` (from the column names),
    ``"xfe"``, ``"xh"`` or ``"logeps"``.
    """
    if form not in ("auto", *FORMS):
        raise ValueError(f"form must be 'auto' or one of {FORMS}, got {form!r}")
    if isinstance(source, pd.DataFrame):
        raw = source.astype(object).where(source.notna(), "").astype(str).reset_index(drop=True)
        origin = origin or "abundance DataFrame"
    else:
        origin = origin or (str(source) if isinstance(source, (str, os.PathLike)) else "abundance table")
        if isinstance(source, (str, os.PathLike)) and not Path(source).is_file():
            raise StarTableError(f"abundance table {str(source)!r} not found")
        raw = pd.read_csv(source, dtype=str, keep_default_na=False, na_filter=False,
                          skipinitialspace=True, comment=None)
    roles = classify_columns(raw.columns)
    names = [c for c, r in roles.items() if r[0] == "name"]
    if not names:
        raise StarTableError(f"{origin}: no star-name column (one of {', '.join(NAME_COLUMNS)})")
    values = {c: r for c, r in roles.items() if r[0] == "value"}
    if not values:
        raise StarTableError(f"{origin}: no abundance columns recognised (e.g. '[Ba/Fe]', '[Ba/H]', 'logeps_Ba')")
    named_forms = {r[2] for r in values.values() if r[2] is not None}
    bare = [c for c, r in values.items() if r[2] is None]
    if len(named_forms) > 1:
        raise StarTableError(f"{origin}: columns of several forms ({', '.join(sorted(named_forms))}) in one table")
    if named_forms and bare:
        raise StarTableError(f"{origin}: bare element column(s) {bare!r} beside {named_forms.pop()} columns; "
                             "name every column in one form")
    feh_cols = [c for c, r in roles.items() if r[0] == "feh"]
    have = {r[1] for r in values.values()}
    missing = [e for e in REQUIRED_STAR_ELEMENTS if e not in have]
    if not have & {"Er", "Pb"}:
        missing.append("Er or Pb")
    if missing:
        raise StarTableError(f"{origin}: missing column(s) for {', '.join(missing)} (needed by every feature set)")
    if named_forms:
        detected = named_forms.pop()
        if form != "auto" and form != detected:
            example = next(c for c, r in values.items() if r[2] == detected)
            raise StarTableError(f"{origin}: form={form!r} was requested but column {example!r} is {detected} "
                                 f"(the column names say {detected}; drop form= or rename the columns)")
        form = detected
    else:
        if form == "auto":
            raise StarTableError(f"{origin}: column names {bare!r} do not say whether the values are [X/Fe], "
                                 "[X/H] or log eps; pass form='xfe', 'xh' or 'logeps' (--form)")
    solar_scale = load_solar_scale(solar, data_dir)
    n = len(raw)
    star = raw[names[0]].astype(str).str.strip()
    feh = np.full(n, np.nan)
    if feh_cols:
        feh = np.array([_cell(v, i, feh_cols[0], origin, False)[0] for i, v in enumerate(raw[feh_cols[0]], 1)])
    out = {"star": star.to_numpy(), "ref": raw["ref"].to_numpy() if "ref" in raw.columns else np.full(n, "")}
    parsed = {}
    for col, (_, elem, _) in values.items():
        if elem in parsed:
            raise StarTableError(f"{origin}: two columns for {elem}")
        cells = [_cell(v, i, col, origin, True) for i, v in enumerate(raw[col], 1)]
        parsed[elem] = (col, np.array([c[0] for c in cells]), np.array([c[1] for c in cells]))
    # Flag and error columns, matched to their element.
    flags, errors = {}, {}
    for col, (role, elem, _) in roles.items():
        if role == "flag":
            f = []
            for i, v in enumerate(raw[col], 1):
                s = str(v).strip()
                if s in ("<", "1"):
                    f.append(True)
                elif s in ("", "0") or s in MISSING_MARKERS:
                    f.append(False)
                else:
                    raise StarTableError(f"{origin}: row {i} (file line {i + 1}), column {col!r}: flag {s!r} "
                                         "must be '<' / 1 (upper limit) or empty / 0")
            flags[elem] = np.array(f)
        elif role == "error":
            e = np.array([_cell(v, i, col, origin, False)[0] for i, v in enumerate(raw[col], 1)])
            bad = np.isfinite(e) & (e <= 0)
            if bad.any():
                i = int(np.nonzero(bad)[0][0])
                raise StarTableError(f"{origin}: row {i + 1} (file line {i + 2}), column {col!r}: "
                                     f"error {float(e[i])!r} must be > 0")
            errors[elem] = e

    if form == "logeps" and bare:
        if "Fe" not in parsed:
            raise StarTableError(f"{origin}: form='logeps' with bare element names needs a 'Fe' column "
                                 "holding log eps(Fe), so that an [X/Fe] table cannot pass as log eps")
        fe = parsed["Fe"][1]
        wrong = np.isfinite(fe) & ((fe < 1.0) | (fe > 8.5))
        if wrong.any():
            i = int(np.nonzero(wrong)[0][0])
            raise StarTableError(f"{origin}: row {i + 1}, column 'Fe': {float(fe[i])!r} is not a log eps(Fe) "
                                 "(expected 1 to 8.5 dex); is this an [X/Fe] or [X/H] table?")
    if form == "xfe" and bare and "Fe" in parsed:
        raise StarTableError(f"{origin}: form='xfe' but the table has an 'Fe' column; an [X/Fe] table gives "
                             "[Fe/H] in a '[Fe/H]' column (is this a log eps table?)")
    if form == "xfe":
        if not feh_cols:
            raise StarTableError(f"{origin}: an [X/Fe] table needs a '[Fe/H]' column")
    if form == "logeps" and "Fe" in parsed:
        fe_feh = parsed["Fe"][1] - solar_scale["Fe"]
        feh = np.where(np.isfinite(feh), feh, fe_feh)
    if form == "xh" and "Fe" in parsed:
        feh = np.where(np.isfinite(feh), feh, parsed["Fe"][1])
    for elem, (col, v, limit) in parsed.items():
        if elem not in solar_scale.index:
            raise StarTableError(f"{origin}: no solar value for {elem} in the solar scale")
        if elem in flags:
            limit = limit | (flags[elem] & np.isfinite(v))
        if form == "xfe":
            if elem == "Fe":
                continue
            need = np.isfinite(v) & ~np.isfinite(feh)
            if need.any():
                i = int(np.nonzero(need)[0][0])
                raise StarTableError(f"{origin}: row {i + 1} (file line {i + 2}): {col!r} is given but "
                                     "'[Fe/H]' is empty; [X/Fe] needs [Fe/H]")
            logeps = v + feh + solar_scale[elem]
        elif form == "xh":
            logeps = v + solar_scale[elem]
        else:
            logeps = v
        out[f"logeps_{elem}"] = logeps
        out[f"ul_{elem}"] = limit.astype(int)
        out[f"err_{elem}"] = errors.get(elem, np.full(n, np.nan))
    out["feh"] = feh
    # Other columns (ref, JINAbase keys, priority, ...) pass through unchanged.
    for col in raw.columns:
        if col not in roles and col not in out:
            out[col] = raw[col].to_numpy()
    table = pd.DataFrame(out)
    for elem in STAR_ELEMENTS:  # absent elements are "not measured"
        if f"logeps_{elem}" not in table.columns:
            table[f"logeps_{elem}"] = np.nan
            table[f"ul_{elem}"] = 0
            table[f"err_{elem}"] = np.nan
    table["input_form"] = form
    table["solar_scale"] = solar if isinstance(solar, str) else "user"
    return validate_stars(table, origin=origin)
