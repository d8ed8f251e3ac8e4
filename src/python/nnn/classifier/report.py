"""Report: Table-1-like verdict table, agreement rates, held-out scores and figures.

Scoring (``agreement_summary``): one entry per star (``classify.default_stars``:
JINAbase priority 1 before 2), [Fe/H] <= -2. Agreement compares process
families: ML ``r`` with JINAbase R1 / R2, ``s`` with S, and ``mixed`` or
``i`` with RS / I (an ``i`` verdict counts as i). The r stars and s stars
are scored separately and together (the paper's 87 % is an r/s number);
the RS (i) stars are scored on their own, because no i patterns exist in
the banks and ``mixed`` is the only way the models can say i. Each of the
ML-overall rules (``paper``, ``strict``) and the BC-only vote is scored.
A second star set keeps only the stars that also pass the recomputed
conventional criteria (as the paper selected its stars).
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; no display is needed or assumed
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import roc_auc_score, roc_curve  # noqa: E402

from .classify import BC_NAMES, OCC_NAMES, RULES, model_columns  # noqa: E402
from .criteria import PROCESS_OF, comparison_table  # noqa: E402
from .features import BASE_SETS, FEATURE_SETS, pattern_features, star_features  # noqa: E402
from .suite import BC_PAIR, ModelSuite  # noqa: E402

VERDICT_PROCESS = {"r": "r", "s": "s", "mixed": "i", "i": "i"}
LABELLED = ("r-I", "r-II", "s", "i")
COLOURS = {"r": "tab:red", "s": "tab:blue", "i": "tab:green", "": "0.5"}
VERDICTS = tuple(f"ml_overall_{r}" for r in RULES) + ("bc_overall",)
# Star groups scored: (name, JINAbase process families included).
GROUPS = (("r", ("r",)), ("s", ("s",)), ("r+s", ("r", "s")), ("i (RS)", ("i",)))


def table1(results: pd.DataFrame) -> pd.DataFrame:
    """Star, reference, each model's verdict for the Er and Pb sets, ML overall (both rules), classes."""
    cols = ["star", "ref", "feature_sets", *model_columns("Er"), *model_columns("Pb"), *VERDICTS,
            "p_verdict", "flips_within_errors", "jinabase_class", "conventional_class"]
    return results[[c for c in cols if c in results.columns]].copy()


def agreement(results: pd.DataFrame, label: str = "jinabase_class", verdict: str = "ml_overall",
              require: str | None = None, families: tuple[str, ...] = ("r", "s", "i")) -> dict:
    """Agreement of ``verdict`` with the process family of ``label`` on classified, labelled stars.

    ``families`` limits the stars to those whose label is in these process
    families; ``require`` names a second label column that must also hold a
    class (e.g. conventional_class, for the paper-like star set).
    """
    truth_all = results[label].map(PROCESS_OF)
    mask = results[label].isin(LABELLED) & (results[verdict] != "") & truth_all.isin(families)
    if require is not None:
        mask &= results[require].isin(LABELLED)
    sub = results[mask]
    truth = sub[label].map(PROCESS_OF)
    pred = sub[verdict].map(VERDICT_PROCESS)
    agree = truth.to_numpy() == pred.to_numpy()
    cols = [c for c in ("star", "ref", label, "conventional_class", *VERDICTS, "ml_votes_paper",
                        "ml_votes_strict", "p_verdict") if c in sub.columns]
    disagree = sub.loc[~agree, list(dict.fromkeys(cols))]
    n = int(mask.sum())
    return {"n": n, "agree": int(agree.sum()), "rate": float(agree.mean()) if n else float("nan"),
            "disagreements": disagree.reset_index(drop=True)}


def agreement_summary(results: pd.DataFrame) -> pd.DataFrame:
    """Agreement with JINAbase per star group (r, s, r+s, i) and verdict (both rules, BC alone)."""
    rows = []
    for set_name, require in (("all labelled", None), ("also pass the criteria", "conventional_class")):
        for group, families in GROUPS:
            for verdict in VERDICTS:
                if verdict not in results.columns:
                    continue
                a = agreement(results, "jinabase_class", verdict, require, families)
                rows.append({"star set": set_name, "stars": group, "verdict": verdict, "n": a["n"],
                             "agree": a["agree"], "rate": round(a["rate"], 3) if a["n"] else float("nan")})
    return pd.DataFrame(rows)


def disagreement_table(results: pd.DataFrame) -> pd.DataFrame:
    """Every labelled star on which either rule disagrees with JINAbase, with both verdicts."""
    mask = results["jinabase_class"].isin(LABELLED) & (results["ml_overall_paper"] != "")
    sub = results[mask]
    truth = sub["jinabase_class"].map(PROCESS_OF).to_numpy()
    bad = np.zeros(len(sub), dtype=bool)
    for verdict in ("ml_overall_paper", "ml_overall_strict"):
        bad |= sub[verdict].map(VERDICT_PROCESS).to_numpy() != truth
    cols = ["star", "ref", "jinabase_class", "conventional_class", "ml_overall_paper", "ml_overall_strict",
            "bc_overall", "ml_votes_paper", "ml_votes_strict", "p_verdict", "feature_sets", "censored"]
    return sub.loc[bad, [c for c in cols if c in sub.columns]].reset_index(drop=True)


def heldout_metrics(suite: ModelSuite, feature_sets=None) -> pd.DataFrame:
    """Test-split scores: BC accuracy (both states) and OCC acceptance of each bank's test patterns."""
    patterns = suite.banks.patterns
    split = patterns["split"].to_numpy()
    process = patterns["process"].to_numpy().astype(str)
    rows = []
    for fset in feature_sets or suite.feature_sets:
        X, usable = pattern_features(patterns, fset)
        test = usable & (split == "test")
        pair = test & np.isin(process, BC_PAIR)
        for name in BC_NAMES:
            model = suite.bc(name, fset)
            for state in ("min", "max"):
                acc = float(np.mean(model.predict_state(X[pair], state) == process[pair]))
                rows.append({"model": f"{name} ({state} sep.)", "feature set": fset, "metric": "test accuracy",
                             "value": round(acc, 4), "n": int(pair.sum()), "epoch": model.state_epochs_[state]})
        for name in OCC_NAMES:
            for proc in suite.processes:
                model = suite.occ(name, proc, fset)
                for other in suite.processes:
                    sel = test & (process == other)
                    rows.append({"model": f"{name} trained on {proc}", "feature set": fset,
                                 "metric": f"accepts {other} test", "value": round(model.score(X[sel]), 4),
                                 "n": int(sel.sum()), "epoch": model.best_epoch_})
    return pd.DataFrame(rows)


def markdown_table(df: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (no extra dependency)."""
    cells = df.astype(str).replace({"nan": ""})
    lines = ["| " + " | ".join(map(str, df.columns)) + " |", "|" + "---|" * len(df.columns)]
    lines += ["| " + " | ".join(row) + " |" for row in cells.itertuples(index=False, name=None)]
    return "\n".join(lines)


def _star_family(results: pd.DataFrame) -> np.ndarray:
    return results["jinabase_class"].map(PROCESS_OF).fillna("").replace("limited-r", "r").to_numpy()


def plot_latent(suite: ModelSuite, stars: pd.DataFrame, results: pd.DataFrame, fset: str, path: Path) -> None:
    """Latent space of every OCC model: bank patterns, stars and the SVM boundary (decision = 0)."""
    patterns = suite.banks.patterns
    X, usable = pattern_features(patterns, fset)
    Xs, s_ok, _ = star_features(stars, fset)
    family = _star_family(results)
    process = patterns["process"].to_numpy().astype(str)
    split = patterns["split"].to_numpy()
    procs = suite.processes
    fig, axes = plt.subplots(len(OCC_NAMES), len(procs), figsize=(5.2 * len(procs), 4.6 * len(OCC_NAMES)),
                             squeeze=False)
    for i, name in enumerate(OCC_NAMES):
        for j, proc in enumerate(procs):
            ax, model = axes[i, j], suite.occ(name, proc, fset)
            Z = model.transform(X[usable])
            Zs = model.transform(Xs[s_ok]) if s_ok.any() else np.empty((0, 2))
            allz = np.vstack([Z, Zs])
            lo, hi = np.percentile(allz, 1, axis=0), np.percentile(allz, 99, axis=0)
            pad = 0.15 * (hi - lo) + 1e-6
            gx, gy = np.meshgrid(np.linspace(lo[0] - pad[0], hi[0] + pad[0], 200),
                                 np.linspace(lo[1] - pad[1], hi[1] + pad[1], 200))
            dec = model.latent_decision_function(np.column_stack([gx.ravel(), gy.ravel()])).reshape(gx.shape)
            ax.contourf(gx, gy, dec, levels=[0, dec.max() + 1e-9], colors=["0.9"])
            ax.contour(gx, gy, dec, levels=[0], colors="k", linewidths=1)
            for other in procs:
                sel = process[usable] == other
                tr = sel & (split[usable] == "train")
                ax.scatter(*Z[tr].T, s=8, color=COLOURS.get(other, "0.3"), alpha=0.5, label=f"{other} bank (train)")
                ax.scatter(*Z[sel & ~tr].T, s=14, facecolors="none", edgecolors=COLOURS.get(other, "0.3"),
                           label=f"{other} bank (val/test)")
            for fam in sorted(set(family[s_ok])):
                sel = family[s_ok] == fam
                ax.scatter(*Zs[sel].T, marker="*", s=90, color=COLOURS.get(fam, "0.5"), edgecolors="k",
                           linewidths=0.5, label=f"stars, JINAbase {fam or 'unclassified'}")
            ax.set_xlim(gx.min(), gx.max())
            ax.set_ylim(gy.min(), gy.max())
            ax.set_title(f"{name} trained on {proc} ({fset} set)")
            ax.set_xlabel("latent 1")
            ax.set_ylabel("latent 2")
    axes[0, 0].legend(fontsize=7, loc="best")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_roc(suite: ModelSuite, path: Path) -> None:
    """ROC curves of the BC models (maximal separation) on the test split."""
    patterns = suite.banks.patterns
    split = patterns["split"].to_numpy()
    process = patterns["process"].to_numpy().astype(str)
    fig, axes = plt.subplots(1, len(BASE_SETS), figsize=(5 * len(BASE_SETS), 4.5), squeeze=False)
    for ax, fset in zip(axes[0], BASE_SETS):
        X, usable = pattern_features(patterns, fset)
        sel = usable & (split == "test") & np.isin(process, BC_PAIR)
        y = process[sel] == BC_PAIR[0]
        for name in BC_NAMES:
            for state, style in (("max", "-"), ("min", "--")):
                model = suite.bc(name, fset)
                p = model.positive_proba(X[sel], state)
                if model.positive_class_ != BC_PAIR[0]:
                    p = 1 - p
                fpr, tpr, _ = roc_curve(y, p)
                ax.plot(fpr, tpr, style, label=f"{name} {state} sep. (AUC {roc_auc_score(y, p):.3f})")
        ax.plot([0, 1], [0, 1], ":", color="0.6")
        ax.set_xlabel("false positive rate (s called r)")
        ax.set_ylabel("true positive rate (r called r)")
        ax.set_title(f"BC ROC, test split, {fset} set")
        ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_training(suite: ModelSuite, path: Path) -> None:
    """Training and validation loss against epoch for every model."""
    fig, axes = plt.subplots(2, len(BASE_SETS), figsize=(6 * len(BASE_SETS), 8), squeeze=False)
    for k, fset in enumerate(BASE_SETS):
        ax = axes[0, k]
        for name in BC_NAMES:
            m = suite.bc(name, fset)
            line, = ax.plot(m.loss_epochs_, m.train_loss_, label=f"{name} train")
            ax.plot(m.loss_epochs_, m.val_loss_, "--", color=line.get_color(), label=f"{name} validation")
            for state, mark in (("min", "v"), ("max", "o")):
                e = m.state_epochs_[state]
                ve = np.interp(e, m.loss_epochs_, m.val_loss_)
                ax.plot(e, ve, mark, color=line.get_color(), label=f"{name} {state} sep. (epoch {e})")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("BCE loss")
        ax.set_title(f"binary classifiers, {fset} set")
        ax.legend(fontsize=7)
        ax = axes[1, k]
        for name in OCC_NAMES:
            for proc in suite.processes:
                m = suite.occ(name, proc, fset)
                line, = ax.plot(m.loss_epochs_, m.train_loss_, label=f"{name} {proc} train")
                ax.plot(m.loss_epochs_, m.val_loss_, "--", color=line.get_color(), label=f"{name} {proc} validation")
                ax.plot(m.best_epoch_, np.interp(m.best_epoch_, m.loss_epochs_, m.val_loss_), "o",
                        color=line.get_color(), label=f"kept epoch {m.best_epoch_}")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("MSE (standardised features)")
        ax.set_title(f"autoencoders, {fset} set")
        ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_patterns(suite: ModelSuite, stars: pd.DataFrame, results: pd.DataFrame, path: Path) -> None:
    """Eu-normalised model patterns of each bank with the stars on top."""
    patterns = suite.banks.patterns
    process = patterns["process"].to_numpy().astype(str)
    family = _star_family(results)
    fig, axes = plt.subplots(1, len(BASE_SETS), figsize=(6.5 * len(BASE_SETS), 4.5), squeeze=False)
    for ax, fset in zip(axes[0], BASE_SETS):
        elements = FEATURE_SETS[fset]
        x = np.arange(len(elements))
        X, usable = pattern_features(patterns, fset)
        for proc in suite.processes:
            sel = usable & (process == proc)
            ax.plot(x, X[sel].T, color=COLOURS.get(proc, "0.3"), alpha=0.12, lw=0.8)
            ax.plot([], [], color=COLOURS.get(proc, "0.3"), label=f"{proc} bank ({int(sel.sum())})")
        Xs, ok, _ = star_features(stars, fset)
        for fam in sorted(set(family[ok])):
            sel = ok & (family == fam)
            ax.plot(x, Xs[sel].T, marker="o", ms=3, lw=0.6, color=COLOURS.get(fam, "0.5"), markeredgecolor="k",
                    markeredgewidth=0.3)
            ax.plot([], [], marker="o", color=COLOURS.get(fam, "0.5"),
                    label=f"stars, JINAbase {fam or 'unclassified'} ({int(sel.sum())})")
        ax.set_xticks(x, elements)
        ax.set_ylabel("log eps(X) - log eps(Eu)  [dex]")
        ax.set_title(f"{fset} feature set")
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_report(out_dir: str | Path, suite: ModelSuite, stars: pd.DataFrame, results: pd.DataFrame) -> Path:
    """Write report.md, table1.csv, results.csv, agreement.csv, heldout.csv and the figures."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    t1 = table1(results)
    t1.to_csv(out / "table1.csv", index=False)
    results.to_csv(out / "results.csv", index=False)
    summary = agreement_summary(results)
    summary.to_csv(out / "agreement.csv", index=False)
    held = heldout_metrics(suite)
    held.to_csv(out / "heldout.csv", index=False)
    figures = {"patterns.png": "Eu-normalised patterns", "roc.png": "ROC curves", "training.png": "training curves"}
    plot_patterns(suite, stars, results, out / "patterns.png")
    plot_roc(suite, out / "roc.png")
    plot_training(suite, out / "training.png")
    for fset in BASE_SETS:
        plot_latent(suite, stars, results, fset, out / f"latent_{fset}.png")
        figures[f"latent_{fset}.png"] = f"latent space and SVM boundary, {fset} set"
    disagreements = disagreement_table(results)
    disagreements.to_csv(out / "disagreements.csv", index=False)
    headline = {}
    for verdict in VERDICTS:
        headline[verdict] = agreement(results, "jinabase_class", verdict, families=("r", "s"))
    bank_rows = []
    for proc, entry in suite.banks.log.items():
        bank_rows.append({"bank": proc, "rows read": entry["rows"], "selected": entry["selected"],
                          "mixtures added": entry.get("mixtures", 0),
                          "thinning counts": " -> ".join(map(str, entry.get("thinning_counts", []))) or "not thinned",
                          "final": entry["final"]})
    splits = suite.banks.patterns.groupby(["process", "split"]).size().unstack(fill_value=0)
    pivot = summary.pivot_table(index=["star set", "stars"], columns="verdict", values="agree", aggfunc="first")
    ns = summary.pivot_table(index=["star set", "stars"], columns="verdict", values="n", aggfunc="first")
    cells = pivot.astype(int).astype(str) + "/" + ns.astype(int).astype(str)
    lines = [
        "# Neutron-capture process classification report",
        "",
        f"Stars: {len(results)}; classified: {int((results['feature_sets'] != '').sum())} "
        f"(feature sets used: {', '.join(f'{k} {v}' for k, v in results['feature_sets'].value_counts().items())}).",
        f"Models: r-bank selection `{suite.banks.config.r_selection}`, BC {suite.settings.bc_epochs} epochs, "
        f"OCC up to {suite.settings.occ_epochs} epochs (best-validation epoch kept); "
        f"{suite.info.get('cpu_seconds_models', 'n/a')} CPU-s in the model fits.",
        f"Default ML-overall rule: `{results['ml_rule'].iloc[0] if len(results) else ''}`.",
        "",
        "## Agreement with JINAbase (one entry per star)",
        "",
        *[f"- {v}: r/s stars **{a['agree']}/{a['n']} ({100 * a['rate']:.0f} %)**" for v, a in headline.items()],
        "",
        markdown_table(cells.reset_index()),
        "",
        "Stars on which either rule disagrees with JINAbase:",
        "",
        markdown_table(disagreements) if len(disagreements) else "none",
        "",
        "## Recomputed conventional class vs JINAbase class",
        "",
        markdown_table(comparison_table(results["conventional_class"], results["jinabase_class"]).reset_index()),
        "",
        "## Pattern banks",
        "",
        markdown_table(pd.DataFrame(bank_rows)),
        "",
        markdown_table(splits.reset_index()),
        "",
        "## Held-out (test split) scores",
        "",
        markdown_table(held),
        "",
        "## Table 1",
        "",
        markdown_table(t1),
        "",
        "## Figures",
        "",
        *[f"![{title}]({name})" for name, title in figures.items()],
        "",
        "Training settings and timings:",
        "",
        "```json",
        json.dumps({"settings": vars(suite.settings), "info": suite.info}, indent=1),
        "```",
        "",
    ]
    path = out / "report.md"
    path.write_text("\n".join(lines))
    return path
