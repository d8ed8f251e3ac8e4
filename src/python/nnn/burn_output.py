"""Writing a burn's X(t), energies and T(t) (``python -m nnn burn --out``):
CSV or HDF5 by the file's suffix, and a plot of the main mass fractions and
T(t) beside it (FILE with suffix .png)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def output_times(dt: float, n_out: int, history_t=None) -> np.ndarray:
    """n_out log-spaced times in (0, dt] (from dt * 1e-6), plus the history's
    sample times inside (0, dt), sorted and unique."""
    t = np.geomspace(dt * 1e-6, dt, n_out) if n_out > 1 else np.array([dt])
    if history_t is not None:
        h = np.asarray(history_t, dtype=float)
        t = np.concatenate([t, h[(h > 0) & (h < dt)]])
    t = np.unique(t)
    t[-1] = dt
    return t


def columns(net, times, r) -> dict:
    """Name -> array (one value per output time): t, T, eps_nuc, eps_nu,
    eps_nu_thermal, Ye, then X_<isotope> for every isotope."""
    cols = {"t_s": np.asarray(times), "T_K": np.asarray(r.T), "eps_nuc_erg_g": np.asarray(r.eps_nuc),
            "eps_nu_erg_g_s": np.asarray(r.eps_nu),
            "eps_nu_thermal_erg_g_s": np.broadcast_to(np.asarray(r.eps_nu_thermal, dtype=float), len(times)),
            "Ye": np.asarray(r.Ye)}
    for i, name in enumerate(net.isotopes):
        cols[f"X_{name}"] = r.X[:, i]
    return cols


def write(path, net, times, r, meta: dict) -> list[Path]:
    """Writes the columns to path (.csv or .h5/.hdf5) and the plot to
    path.with_suffix('.png'); returns the files written."""
    path = Path(path)
    cols = columns(net, times, r)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        header = "# " + " ".join(f"{k}={v}" for k, v in meta.items()) + "\n" + ",".join(cols)
        np.savetxt(path, np.column_stack(list(cols.values())), delimiter=",", header=header,
                   comments="", fmt="%.17g")
    elif suffix in (".h5", ".hdf5"):
        import h5py
        with h5py.File(path, "w") as f:
            for k, v in cols.items():
                f.create_dataset(k, data=np.asarray(v))
            for k, v in meta.items():
                f.attrs[k] = v
            f.attrs["isotopes"] = ",".join(net.isotopes)
    else:
        raise ValueError(f"--out {str(path)!r}: use a .csv or .h5 file")
    png = path.with_suffix(".png")
    plot(png, net, times, r, meta)
    return [path, png]


def plot(png, net, times, r, meta, n_main: int = 8) -> None:
    """Main mass fractions (the n_main largest at any time) and T against t."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    X = np.asarray(r.X)
    main = np.argsort(-X.max(axis=0))[:n_main]
    fig, (ax, axT) = plt.subplots(2, 1, figsize=(7, 7), sharex=True,
                                  gridspec_kw={"height_ratios": [2, 1]})
    for i in main:
        ax.loglog(times, np.maximum(X[:, i], 1e-30), label=net.isotopes[i])
    ax.set_ylim(1e-8, 1.5)
    ax.set_ylabel("mass fraction X")
    ax.legend(ncol=2, fontsize=8)
    ax.set_title(f"{net.name}: {meta.get('mode', '')} burn")
    axT.semilogx(times, r.T)
    axT.set_xlabel("t (s)")
    axT.set_ylabel("T (K)")
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    plt.close(fig)
