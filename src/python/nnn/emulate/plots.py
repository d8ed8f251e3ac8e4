"""Figures of the evaluation (matplotlib, Agg backend)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def fig_nz(path, A, Z, panels: dict, title: str = "", vmin=1e-8, vmax=1e-1):
    """Paper Fig. 3: Delta X_i on the N-Z plane, one panel per predictor.

    ``panels``: {label: dX (n_iso,)}; isotopes with dX = 0 are drawn as open squares."""
    plt = _plt()
    from matplotlib.colors import LogNorm

    A = np.asarray(A)
    Z = np.asarray(Z)
    N = A - Z
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.4), squeeze=False)
    fig.subplots_adjust(left=0.05, right=0.9, bottom=0.12, top=0.85, wspace=0.25)
    norm = LogNorm(vmin=vmin, vmax=vmax)
    sc = None
    for ax, (label, dx) in zip(axes[0], panels.items()):
        dx = np.asarray(dx, float)
        pos = dx > 0
        ax.scatter(N[~pos], Z[~pos], marker="s", s=42, facecolors="none", edgecolors="0.6")
        sc = ax.scatter(N[pos], Z[pos], c=np.clip(dx[pos], vmin, vmax), cmap="viridis",
                        norm=norm, marker="s", s=42, edgecolors="k", linewidths=0.3)
        ax.set_xlabel("N")
        ax.set_ylabel("Z")
        ax.set_title(f"{label}: max dX = {dx.max():.2e}")
        ax.set_aspect("equal")
    if sc is not None:
        fig.colorbar(sc, cax=fig.add_axes([0.92, 0.12, 0.015, 0.73]),
                     label=r"$\Delta X_i$ (mean |error|)")
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


#: Line styles of the evaluation's predictors.
STYLES = {"NNN": dict(marker="o", color="C0"), "small net": dict(marker="s", color="C3"),
          "persistence": dict(marker="^", color="0.4", ls="--"),
          "noise floor": dict(marker="v", color="C2", ls=":")}


def fig_vs_dt(path, dts, series: dict, title: str = "", ylabel="relative error"):
    """Paper Fig. 4: errors vs dt.  ``series``: {panel title: {label: [value per dt]}};
    missing values (None) and values <= 0 are left out of the log axes."""
    plt = _plt()
    names = list(series)
    ncol = min(4, len(names))
    nrow = (len(names) + ncol - 1) // ncol
    # fixed margins: constrained_layout doubles the drawing time of these many panels
    fig, axes = plt.subplots(nrow, ncol, figsize=(4.2 * ncol, 3.6 * nrow), squeeze=False)
    fig.subplots_adjust(left=0.06, right=0.98, bottom=0.08, top=0.9, wspace=0.3, hspace=0.4)
    for ax, name in zip(axes.ravel(), names):
        for label, vals in series[name].items():
            v = np.array([np.nan if x is None else x for x in vals], float)
            ax.loglog(dts, np.where(v > 0, v, np.nan), label=label, **STYLES.get(label, {}))
        ax.set_xlabel("dt [s]")
        ax.set_ylabel(ylabel)
        ax.set_title(name, fontsize=9)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    for ax in axes.ravel()[len(names):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


#: Panels of the evaluation's Fig 4: (metric key, title).
FIG4_PANELS = (("eq6_rel", "paper eq 6 / <Ye>"), ("ye_rel", "|Ye - Ye_t| / <Ye>"),
               ("eps_nuc_rel", "eps_nuc (paper eq 7)"), ("eps_nu_rel", "eps_nu (paper eq 8)"),
               ("X_change_rel", "error in the change of X"),
               ("ye_change_rel", "error in the change of Ye"),
               ("eps_nuc_rel_median", "eps_nuc: median per test"),
               ("eps_nu_rel_median", "eps_nu: median per test"))


def evaluation_figures(out, doc):
    """Fig 3 (dX_i on the N-Z plane, one figure per set and dt) and Fig 4 (errors vs dt, one
    figure per set and subset) of a ``nnn.evaluate`` metrics.json dict."""
    from nnn.emulate.evaluate import LABELS, PREDICTORS

    out = Path(out)
    A, Z = doc["A"], doc["Z"]
    paths = []
    for name, s in doc["sets"].items():
        for sub, block in s["subsets"].items():
            res = block["results"]
            dts = [r["dt"] for r in res]
            who = [w for w in PREDICTORS if all(w in r["predictors"] for r in res)]
            series = {title: {LABELS[w]: [r["predictors"][w].get(key) for r in res]
                              for w in who}
                      for key, title in FIG4_PANELS}
            tag = name if sub == "all" else f"{name}_{sub.replace('<', 'lt')}"
            paths.append(fig_vs_dt(out / f"fig4_{tag}.png", dts, series,
                                   title=f"{doc['network']}, test set {name} ({sub}, "
                                         f"{block['n']} cases)"))
            if sub != "all":
                continue
            for r in res:
                panels = {LABELS[w]: r["predictors"][w]["dX"] for w in PREDICTORS
                          if w in r["predictors"] and w != "persistence"}
                panels["persistence"] = r["predictors"]["persistence"]["dX"]
                paths.append(fig_nz(out / f"fig3_{name}_dt{r['dt']:.0e}.png", A, Z, panels,
                                    vmin=1e-10,
                                    title=f"{doc['network']}, {name}, dt = {r['dt']:g} s: "
                                          "mean |X_i - X_i,target| (paper eqs 3-4)"))
    return paths


def fig_training(path, history, title=""):
    """Training and validation losses per epoch."""
    plt = _plt()
    ep = [h["epoch"] for h in history]
    fig, ax = plt.subplots(figsize=(5.5, 3.8), constrained_layout=True)
    names = ["L1 log10 X", "L1 eps_nuc", "L1 eps_nu"]
    for j, n in enumerate(names):
        ax.semilogy(ep, [h["train"][j] for h in history], color=f"C{j}", label=f"train {n}")
        ax.semilogy(ep, [h["val"][j] for h in history], color=f"C{j}", ls="--",
                    label=f"val {n}")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)
