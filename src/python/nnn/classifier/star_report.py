"""Per-star output: a figure (pattern vs nearest bank patterns, residuals, latent spaces) and a Markdown report.

For each classified star, ``plot_star`` draws (after the paper's Fig. 4):

* the observed Eu-normalised pattern (error bars: the sigma used in the
  Monte Carlo; upper limits as downward arrows) with the nearest r and s
  bank patterns (IDs in the legend);
* the residuals star - pattern for both;
* the star in the latent space of each one-class model (OCC-L, OCC-S
  trained on each bank) with the bank's training patterns, the decision
  boundary (SVM score 0), the star's Monte Carlo draws, and the distance to
  the boundary in the title.

``write_star_report`` writes one figure per star and ``stars.md`` with a
summary table (verdict under both rules, Monte Carlo probability, the
feature sets used, boundary distances, nearest patterns) and a section per
star.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .classify import DEFAULT_SIGMA_DEX, LIMIT_DEPTH_DEX, OCC_NAMES  # noqa: E402
from .features import NORMALISER, base_of, elements_of, pattern_features, star_values  # noqa: E402
from .suite import ModelSuite  # noqa: E402

COLOURS = {"r": "tab:red", "s": "tab:blue", "i": "tab:green"}


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_+." else "_" for ch in str(name))


def _bank_pattern(suite: ModelSuite, pattern_id: str, fset: str) -> np.ndarray:
    patterns = suite.banks.patterns
    X, _ = pattern_features(patterns, fset)
    idx = np.nonzero(patterns["pattern_id"].astype(str).to_numpy() == pattern_id)[0]
    return X[idx[0]]


def plot_star(suite: ModelSuite, star: pd.Series, result: pd.Series, path, n_draws: int = 100, seed: int = 0,
              cache: dict | None = None) -> Path:
    """One star's figure (see the module docstring); returns the path written.

    ``cache`` (a dict) keeps the bank's latent points and boundaries between calls for the same suite.
    """
    cache = {} if cache is None else cache
    fset = result["nearest_set"]
    if not fset:
        raise ValueError(f"star {result['star']!r} has no feature set; nothing to plot")
    elements = elements_of(fset)
    table = star.to_frame().T
    v, limits = star_values(table, elements)
    v, limits = v[0], limits[0]
    x_star = v - v[elements.index(NORMALISER)]
    err = np.array([float(star.get(f"err_{e}", np.nan)) for e in elements])
    err = np.where(np.isfinite(err), err, DEFAULT_SIGMA_DEX)
    err[limits] = 0.0
    err[elements.index(NORMALISER)] = 0.0

    fig = plt.figure(figsize=(15, 7.5))
    grid = fig.add_gridspec(2, 4, height_ratios=(2, 1.3), hspace=0.35, wspace=0.35)
    ax_p = fig.add_subplot(grid[0, :2])
    ax_r = fig.add_subplot(grid[1, :2], sharex=ax_p)
    pos = np.arange(len(elements))
    ax_p.errorbar(pos[~limits], x_star[~limits], yerr=err[~limits], fmt="ko", ms=6, capsize=3, label="star", zorder=5)
    if limits.any():
        ax_p.errorbar(pos[limits], x_star[limits], yerr=0.25, uplims=True, fmt="kv", ms=7, label="upper limit")
    for proc in ("r", "s"):
        pid = result.get(f"nearest_{proc}", "")
        if not pid:
            continue
        pat = _bank_pattern(suite, pid, fset)
        rms = result.get(f"nearest_{proc}_rms_dex", np.nan)
        ax_p.plot(pos, pat, "-", color=COLOURS[proc], lw=1.5, label=f"nearest {proc}: {pid} (rms {rms:.2f} dex)")
        resid = x_star - pat
        ax_r.plot(pos[~limits], resid[~limits], "o-", color=COLOURS[proc], ms=4, label=f"star - {proc}")
        if limits.any():
            ax_r.plot(pos[limits], resid[limits], "v", color=COLOURS[proc], ms=6)
    ax_r.axhline(0, color="0.5", lw=0.8)
    ax_r.fill_between(pos, -err, err, color="0.85", step="mid", label="star sigma")
    ax_p.set_ylabel("log eps(X) - log eps(Eu)  [dex]")
    ax_r.set_ylabel("residual [dex]")
    ax_r.set_xticks(pos, elements)
    ax_p.legend(fontsize=7, loc="best")
    ax_r.legend(fontsize=7, loc="best", ncol=3)
    verdict = result.get("ml_overall", "")
    p = result.get("p_verdict", np.nan)
    flag = " - flips within errors" if bool(result.get("flips_within_errors", False)) else ""
    ax_p.set_title(f"{result['star']} ({result.get('ref', '')}): ML overall {verdict!r} "
                   f"[{result.get('ml_rule', '')} rule], P = {p:.2f}{flag}; strict: {result.get('ml_overall_strict', '')!r}; "
                   f"set {fset}", fontsize=9)

    # Monte Carlo cloud of the star in feature space, for the latent panels.
    rng = np.random.default_rng(seed)
    cloud = np.repeat(v[None], n_draws, axis=0)
    cloud[:, ~limits] += err[~limits] * rng.standard_normal((n_draws, int((~limits).sum())))
    if limits.any():
        cloud[:, limits] = v[limits] - LIMIT_DEPTH_DEX * rng.random((n_draws, int(limits.sum())))
    cloud = cloud - cloud[:, [elements.index(NORMALISER)]]
    x_nom = x_star.copy()
    x_nom[limits] -= 0.5 * LIMIT_DEPTH_DEX
    patterns = suite.banks.patterns
    P, usable = pattern_features(patterns, fset)
    process = patterns["process"].to_numpy().astype(str)
    split = patterns["split"].to_numpy()
    base = base_of(fset)
    for row, name in enumerate(OCC_NAMES):
        for col, proc in enumerate(suite.processes[:2]):
            ax = fig.add_subplot(grid[row, 2 + col])
            model = suite.occ(name, proc, fset)
            key = (name, proc, fset)
            if key not in cache:
                cache[key] = (model.transform(P[usable]), model.boundary())
            Z, pieces = cache[key]
            for other in suite.processes:
                sel = (process[usable] == other) & (split[usable] == "train")
                ax.scatter(*Z[sel].T, s=5, color=COLOURS.get(other, "0.4"), alpha=0.35, label=f"{other} bank")
            for piece in pieces:
                ax.plot(piece[:, 0], piece[:, 1], "k-", lw=1)
            zc = model.transform(cloud)
            ax.scatter(*zc.T, s=3, color="0.3", alpha=0.3, label="star, MC draws")
            z0 = model.transform(x_nom[None])[0]
            ax.plot(*z0, "*", ms=14, color="gold", markeredgecolor="k", label="star")
            dist = result.get(f"{name}_{proc}_{base}_distance", np.nan)
            ax.set_title(f"{name} trained on {proc}: distance {dist:+.2f}", fontsize=8)
            ax.set_xlabel("latent 1", fontsize=8)
            ax.set_ylabel("latent 2", fontsize=8)
            ax.tick_params(labelsize=7)
            if row == 0 and col == 0:
                ax.legend(fontsize=6, loc="best")
    path = Path(path)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def _fmt(x, spec=".2f") -> str:
    try:
        return "" if x is None or (isinstance(x, float) and np.isnan(x)) else format(x, spec)
    except (TypeError, ValueError):
        return str(x)


def write_star_report(out_dir, suite: ModelSuite, stars: pd.DataFrame, results: pd.DataFrame,
                      figures: bool = True) -> Path:
    """Write ``stars.md`` and one figure per classified star (``figures/<star>.png``) into ``out_dir``."""
    out = Path(out_dir)
    (out / "figures").mkdir(parents=True, exist_ok=True)
    from .report import markdown_table

    rows, sections, cache = [], [], {}
    for i, res in results.iterrows():
        fset = res.get("nearest_set", "")
        base = base_of(fset) if fset else ""
        fig_name = ""
        if fset and figures:
            fig_name = f"figures/{i:03d}_{_safe(res['star'])}.png"
            plot_star(suite, stars.iloc[i], res, out / fig_name, cache=cache)
        dists = {f"{n} {p}": _fmt(res.get(f"{n}_{p}_{base}_distance", np.nan), "+.2f")
                 for n in OCC_NAMES for p in suite.processes} if base else {}
        rows.append({"star": res["star"], "ref": res.get("ref", ""), "sets": res.get("feature_sets", ""),
                     "ML (paper)": res.get("ml_overall_paper", ""), "ML (strict)": res.get("ml_overall_strict", ""),
                     "P": _fmt(res.get("p_verdict", np.nan)), "+-": _fmt(res.get("p_verdict_err", np.nan)),
                     "flips": "yes" if bool(res.get("flips_within_errors", False)) else "",
                     "JINAbase": res.get("jinabase_class", ""), "criteria": res.get("conventional_class", "")})
        lines = [f"### {res['star']} ({res.get('ref', '')})", ""]
        if not fset:
            note = str(res.get("note", ""))
            lines += [note[:1].upper() + note[1:], ""]
        else:
            lines += [
                f"- Feature sets used: {res['feature_sets']}; censored: {res.get('censored', '') or 'none'}; "
                f"sigma: {res.get('sigma_source', '')}.",
                f"- ML overall ({res.get('ml_rule', '')} rule, default): **{res['ml_overall']}**, Monte Carlo "
                f"P = {_fmt(res.get('p_verdict', np.nan))} +- {_fmt(res.get('p_verdict_err', np.nan), '.3f')}"
                + (" - **the verdict flips within the errors**" if bool(res.get("flips_within_errors", False)) else "")
                + f"; strict rule: {res.get('ml_overall_strict', '')}; votes {res.get('ml_votes_paper', '')} "
                f"(paper), {res.get('ml_votes_strict', '')} (strict).",
                "- Distance from each one-class boundary (latent units, > 0 inside): "
                + ", ".join(f"{k} {v}" for k, v in dists.items()) + ".",
                f"- Best-matching bank patterns ({fset}): r `{res.get('nearest_r', '')}` "
                f"(rms {_fmt(res.get('nearest_r_rms_dex', np.nan))} dex), s `{res.get('nearest_s', '')}` "
                f"(rms {_fmt(res.get('nearest_s_rms_dex', np.nan))} dex).",
                f"- Notes: {res.get('note', '') or 'none'}.",
                "",
            ]
            if fig_name:
                lines += [f"![{res['star']}]({fig_name})", ""]
        sections.append("\n".join(lines))
    text = ["# Per-star classification", "", markdown_table(pd.DataFrame(rows)), "", *sections]
    path = out / "stars.md"
    path.write_text("\n".join(text))
    return path
