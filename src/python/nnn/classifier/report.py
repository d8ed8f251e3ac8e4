"""Report: Table-1-like verdict table, agreement rates, held-out scores and figures.

Agreement compares process families: ML ``r`` with r-I / r-II, ``s`` with
s, ``mixed`` with i (r/s). Three star sets are used: stars with a JINAbase
class (R1, R2, S, RS), stars with a recomputed conventional class (r-I,
r-II, s, i; limited-r is left out because the r bank holds the main
r-process only), and stars with both, compared against JINAbase (the
paper's set: stars that pass the criteria, scored against the database).
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

from .classify import BC_NAMES, OCC_NAMES, model_columns  # noqa: E402
from .criteria import PROCESS_OF, comparison_table  # noqa: E402
from .features import FEATURE_SETS, pattern_features, star_features  # noqa: E402
from .suite import BC_PAIR, ModelSuite  # noqa: E402

VERDICT_PROCESS = {"r": "r", "s": "s", "mixed": "i"}
LABELLED = ("r-I", "r-II", "s", "i")
COLOURS = {"r": "tab:red", "s": "tab:blue", "i": "tab:green", "": "0.5"}


def table1(results: pd.DataFrame) -> pd.DataFrame:
    """Star, reference, each model's verdict for the Er and Pb sets, ML overall, classes."""
    cols = ["star", "ref", *model_columns("Er"), *model_columns("Pb"), "ml_overall", "bc_overall",
            "jinabase_class", "conventional_class"]
    return results[cols].copy()


def agreement(results: pd.DataFrame, label: str, verdict: str = "ml_overall", require: str | None = None) -> dict:
    """Agreement of ``verdict`` with the process family of ``label`` on classified, labelled stars.

    ``require`` names a second label column that must also hold a class
    (e.g. conventional_class, for the paper-like star set).
    """
    mask = results[label].isin(LABELLED) & (results[verdict] != "")
    if require is not None:
        mask &= results[require].isin(LABELLED)
    sub = results[mask]
    truth = sub[label].map(PROCESS_OF)
    pred = sub[verdict].map(VERDICT_PROCESS)
    agree = truth.to_numpy() == pred.to_numpy()
    disagree = sub.loc[~agree, ["star", "ref", label, verdict, "ml_votes"]]
    n = int(mask.sum())
    return {"n": n, "agree": int(agree.sum()), "rate": float(agree.mean()) if n else float("nan"),
            "disagreements": disagree.reset_index(drop=True)}


def agreement_summary(results: pd.DataFrame) -> pd.DataFrame:
    """Agreement rates (ML overall and BC alone) on the three star sets."""
    rows = []
    sets = [("JINAbase class", "jinabase_class", None),
            ("conventional class", "conventional_class", None),
            ("both (vs JINAbase)", "jinabase_class", "conventional_class")]
    for name, label, require in sets:
        for verdict in ("ml_overall", "bc_overall"):
            a = agreement(results, label, verdict, require)
            rows.append({"star set": name, "verdict": verdict, "n": a["n"], "agree": a["agree"],
                         "rate": round(a["rate"], 3)})
    return pd.DataFrame(rows)


def heldout_metrics(suite: ModelSuite) -> pd.DataFrame:
    """Test-split scores: BC accuracy (both states) and OCC acceptance of each bank's test patterns."""
    patterns = suite.banks.patterns
    split = patterns["split"].to_numpy()
    process = patterns["process"].to_numpy().astype(str)
    rows = []
    for fset in FEATURE_SETS:
        X, usable = pattern_features(patterns, fset)
        test = usable & (split == "test")
        pair = test & np.isin(process, BC_PAIR)
        for name in BC_NAMES:
            model = suite.bc(name, fset)
            for state in ("min", "max"):
                model.set_params(state=state)
                rows.append({"model": f"{name} ({state} sep.)", "feature set": fset, "metric": "test accuracy",
                             "value": round(model.score(X[pair], process[pair]), 4), "n": int(pair.sum()),
                             "epoch": model.state_epochs_[state]})
            model.set_params(state="max")
        for name in OCC_NAMES:
            for proc in suite.processes:
                model = suite.occ(name, proc, fset)
                for other in suite.processes:
                    sel = test & (process == other)
                    rows.append({"model": f"{name} trained on {proc}", "feature set": fset,
                                 "metric": f"accepts {other} test", "value": round(model.score(X[sel]), 4),
                                 "n": int(sel.sum()), "epoch": model.epochs})
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
    fig, axes = plt.subplots(1, len(FEATURE_SETS), figsize=(5 * len(FEATURE_SETS), 4.5), squeeze=False)
    for ax, fset in zip(axes[0], FEATURE_SETS):
        X, usable = pattern_features(patterns, fset)
        sel = usable & (split == "test") & np.isin(process, BC_PAIR)
        y = process[sel] == BC_PAIR[0]
        for name in BC_NAMES:
            for state, style in (("max", "-"), ("min", "--")):
                model = suite.bc(name, fset).set_params(state=state)
                p = model.predict_proba(X[sel])[:, list(model.classes_).index(BC_PAIR[0])]
                fpr, tpr, _ = roc_curve(y, p)
                ax.plot(fpr, tpr, style, label=f"{name} {state} sep. (AUC {roc_auc_score(y, p):.3f})")
            suite.bc(name, fset).set_params(state="max")
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
    fig, axes = plt.subplots(2, len(FEATURE_SETS), figsize=(6 * len(FEATURE_SETS), 8), squeeze=False)
    for k, fset in enumerate(FEATURE_SETS):
        ax = axes[0, k]
        for name in BC_NAMES:
            m = suite.bc(name, fset)
            line, = ax.plot(m.train_loss_, label=f"{name} train")
            ax.plot(m.val_loss_, "--", color=line.get_color(), label=f"{name} validation")
            for state, mark in (("min", "v"), ("max", "o")):
                e = m.state_epochs_[state]
                ax.plot(e, m.val_loss_[e], mark, color=line.get_color(), label=f"{name} {state} sep. (epoch {e})")
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
    fig, axes = plt.subplots(1, len(FEATURE_SETS), figsize=(6.5 * len(FEATURE_SETS), 4.5), squeeze=False)
    for ax, fset in zip(axes[0], FEATURE_SETS):
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
    for fset in FEATURE_SETS:
        plot_latent(suite, stars, results, fset, out / f"latent_{fset}.png")
        figures[f"latent_{fset}.png"] = f"latent space and SVM boundary, {fset} set"

    paper = agreement(results, "jinabase_class", "ml_overall", require="conventional_class")
    conv = agreement(results, "conventional_class", "ml_overall")
    bank_rows = []
    for proc, entry in suite.banks.log.items():
        bank_rows.append({"bank": proc, "rows read": entry["rows"], "selected": entry["selected"],
                          "mixtures added": entry.get("mixtures", 0),
                          "thinning counts": " -> ".join(map(str, entry.get("thinning_counts", []))) or "not thinned",
                          "final": entry["final"]})
    splits = suite.banks.patterns.groupby(["process", "split"]).size().unstack(fill_value=0)
    lines = [
        "# Neutron-capture process classification report",
        "",
        f"Stars: {len(results)} entries; classified with the Er set: {int((results['BC-L_Er'] != '').sum())}, "
        f"with the Pb set: {int((results['BC-L_Pb'] != '').sum())}.",
        f"Models: r-bank selection `{suite.banks.config.r_selection}`, BC {suite.settings.bc_epochs} epochs, "
        f"OCC {suite.settings.occ_epochs} epochs; training took {suite.info.get('train_seconds_total', 'n/a')} s "
        f"wall-clock with {suite.info.get('n_jobs', 'n/a')} worker(s), "
        f"{suite.info.get('cpu_seconds_models', 'n/a')} CPU-s in the model fits (wall time depends on machine load).",
        "",
        "## Agreement",
        "",
        f"ML overall vs JINAbase class on stars that also pass the recomputed criteria (paper-like set): "
        f"**{paper['agree']}/{paper['n']} ({100 * paper['rate']:.0f} %)**.",
        f"ML overall vs recomputed conventional class: **{conv['agree']}/{conv['n']} ({100 * conv['rate']:.0f} %)**.",
        "",
        markdown_table(summary),
        "",
        "Disagreements (paper-like set):",
        "",
        markdown_table(paper["disagreements"]) if len(paper["disagreements"]) else "none",
        "",
        "Disagreements (conventional class):",
        "",
        markdown_table(conv["disagreements"]) if len(conv["disagreements"]) else "none",
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
