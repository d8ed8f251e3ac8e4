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
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.4), squeeze=False,
                             constrained_layout=True)
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
        fig.colorbar(sc, ax=axes[0].tolist(), label=r"$\Delta X_i$ (mean |error|)")
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


def fig_vs_dt(path, dts, series: dict, title: str = ""):
    """Paper Fig. 4: relative errors vs dt.  ``series``: {metric: {label: [value per dt]}}."""
    plt = _plt()
    names = list(series)
    fig, axes = plt.subplots(1, len(names), figsize=(4.2 * len(names), 3.8), squeeze=False,
                             constrained_layout=True)
    styles = {"NNN": dict(marker="o", color="C0"), "small net": dict(marker="s", color="C3")}
    for ax, name in zip(axes[0], names):
        for label, vals in series[name].items():
            v = np.asarray(vals, float)
            ax.loglog(dts, np.where(v > 0, v, np.nan), label=label, **styles.get(label, {}))
        ax.set_xlabel("dt [s]")
        ax.set_ylabel("relative error")
        ax.set_title(name)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend()
    if title:
        fig.suptitle(title)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return Path(path)


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
