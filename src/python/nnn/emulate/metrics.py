"""Error metrics of an emulator (or any predictor) against the target network.

For N test cases k, a prediction p, the target t (the large network's burn, nnn's engine at
rtol 1e-8) and the initial composition X0, with zeta_i = Z_i / A_i:

The paper's definitions (Grichener et al. 2025, eqs 3-8)
    * eqs 3-4  ``dX_i = (1/N) sum_k |X_i,p,k - X_i,t,k|``            per isotope (``dX``)
    * eq 5     ``dYe_k = sum_i zeta_i |X_i,p,k - X_i,t,k|``            per test: a Z/A-weighted
      L1 distance between the compositions, *not* |Ye_p - Ye_t| (errors cannot cancel
      between isotopes, and mass in the wrong isotope counts in full)
    * eq 6     ``dYe = (1/N) sum_k dYe_k``; reported over the mean target Ye, as the paper's
      Figs 4-5 do (``eq6_rel``; ``eq6`` is the absolute mean)
    * eqs 7-8  ``d eps = (1/N) sum_k |eps_p,k - eps_t,k|`` over ``(1/N) sum_k |eps_t,k|``
      for eps_nuc (erg/g over dt) and eps_nu (erg/g/s) (``eps_nuc_rel``, ``eps_nu_rel``)

Added by nnn (what a stellar code feels; not in the paper)
    * ``ye_rel``: ``mean_k |Ye_p,k - Ye_t,k| / mean_k Ye_t,k`` (the same normalisation as
      eq 6, so the two compare directly; Ye_p from the predictor's own composition)
    * errors in the *change* over dt, each over the mean size of the true change:
      ``ye_change_rel = mean |dYe_p - dYe_t| / mean |dYe_t|`` with dYe = Ye(dt) - Ye(X0)
      (the numerator is |Ye_p - Ye_t|: both changes start from the same Ye(X0));
      ``X_change_rel = mean_k sum_i |dX_i,p - dX_i,t| / mean_k sum_i |dX_i,t|``;
      ``abar_change_rel`` likewise for Abar.  Persistence (X = X0) scores exactly 1 on all
      three: below 1 beats doing nothing.
    * ``abar_rel``: ``mean |Abar_p - Abar_t| / mean Abar_t``
    * per-test energy errors ``|eps_p,k - eps_t,k| / |eps_t,k|``: median and 95th percentile
      (``eps_nuc_rel_median``, ``eps_nuc_rel_p95``, ...) beside the paper's ratio of means
    * ``eq5_rel_median``, ``eq5_rel_p95``: per-test ``dYe_k / Ye_t,k``
    * ``dX_max = max_i dX_i``
    * with a per-zone error estimate ``err``: ``err_catch`` = the fraction of the worst 5 %
      of cases (by dYe_k) whose ``err`` is in the top 10 % (the fallback rate), and
      ``err_spearman``, the rank correlation of ``err`` with dYe_k.

A predictor on another isotope list (the small net) is mapped onto the target's isotopes by
name (:func:`map_isotopes`); the mass it keeps in isotopes the target lacks (cr60 for approx21
vs mesa_80) is error in full: it enters eq 5 with its own Z/A and the composition change with
its mass (``unmapped`` arguments).  Its Ye and Abar come from its own composition.
A ratio whose denominator is 0 is NaN (written as null in JSON).
"""

from __future__ import annotations

import numpy as np

from nnn.emulate.sampling import abar_zbar, electron_fraction

#: The error estimate's ranking test: the worst WORST_FRACTION of the cases (by dYe_k), and
#: the fallback rate FALLBACK_RATE at which a zone goes to the integrator (issue 12, sec. 5).
WORST_FRACTION = 0.05
FALLBACK_RATE = 0.10


def ratio_of_means(num, den) -> float:
    """``mean |num| / mean |den|`` (NaN when the denominator is 0)."""
    d = float(np.abs(np.asarray(den, float)).mean())
    n = float(np.abs(np.asarray(num, float)).mean())
    return n / d if d > 0 else float("nan")


def relative_mae(pred, target) -> float:
    """The paper's relative error (eqs 6-8 over the mean target): mean |p - t| / mean |t|."""
    pred = np.asarray(pred, float)
    target = np.asarray(target, float)
    return ratio_of_means(pred - target, target)


def per_test_relative(pred, target) -> np.ndarray:
    """``|p_k - t_k| / |t_k|`` per test; a test with t_k = 0 gives 0 if p_k = 0 else inf."""
    pred = np.asarray(pred, float)
    target = np.asarray(target, float)
    err = np.abs(pred - target)
    den = np.abs(target)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = err / den
    r[den == 0] = np.where(err[den == 0] == 0, 0.0, np.inf)
    return r


def eq5_per_test(X_p, X_t, Z, A, unmapped_zeta=None) -> np.ndarray:
    """The paper's eq 5 per test: ``sum_i (Z_i/A_i) |X_i,p - X_i,t|`` (N,).
    ``unmapped_zeta`` (N,): ``sum_j (Z_j/A_j) X_j,p`` over the predictor's isotopes that the
    target lacks (their target abundance is 0)."""
    zeta = np.asarray(Z, float) / np.asarray(A, float)
    d = np.abs(np.asarray(X_p, float) - np.asarray(X_t, float)) @ zeta
    return d if unmapped_zeta is None else d + np.asarray(unmapped_zeta, float)


def fallback_catch(err, real, fallback_rate=FALLBACK_RATE, worst=WORST_FRACTION) -> float:
    """Fraction of the ``worst`` fraction of cases (largest ``real``) that an error estimate
    sends to the integrator when the top ``fallback_rate`` of ``err`` falls back."""
    err = np.asarray(err, float)
    real = np.asarray(real, float)
    n = len(real)
    n_worst = max(1, int(round(worst * n)))
    n_fb = max(1, int(round(fallback_rate * n)))
    worst_idx = np.argsort(-real, kind="stable")[:n_worst]
    fb = np.zeros(n, bool)
    fb[np.argsort(-err, kind="stable")[:n_fb]] = True
    return float(fb[worst_idx].mean())


def _spearman(a, b) -> float:
    from scipy.stats import spearmanr

    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan")
    return float(spearmanr(a, b).statistic)


def score(X_p, X_t, X0, eps_nuc_p, eps_nuc_t, eps_nu_p, eps_nu_t, A, Z, *, Ye_p=None,
          Abar_p=None, unmapped_p=None, unmapped_zeta_p=None, err_p=None) -> dict:
    """Every metric (see the module docstring) of one predictor at one dt.

    ``X_p``, ``X_t``, ``X0`` (N, n_iso) on the target's isotopes with ``A``, ``Z``.
    ``Ye_p``/``Abar_p`` (N,): the predictor's own values (default: from ``X_p``);
    ``unmapped_p``/``unmapped_zeta_p`` (N,): its mass (and Z/A-weighted mass) in isotopes
    the target lacks; ``err_p`` (N,): its per-zone error estimate, if it has one.
    Returns a dict of floats plus ``dX`` (n_iso,) and ``n``."""
    X_p, X_t, X0 = (np.asarray(v, float) for v in (X_p, X_t, X0))
    if not (X_p.shape == X_t.shape == X0.shape and X_p.ndim == 2):
        raise ValueError(f"X_p, X_t and X0 must have one shape (N, n_iso), got {X_p.shape}, "
                         f"{X_t.shape}, {X0.shape}")
    n = X_t.shape[0]
    if n == 0:
        raise ValueError("no test case to score")
    ye_t = electron_fraction(X_t, A, Z)
    ye_0 = electron_fraction(X0, A, Z)
    ye_p = electron_fraction(X_p, A, Z) if Ye_p is None else np.asarray(Ye_p, float)
    ab_t, _ = abar_zbar(X_t, A, Z)
    ab_0, _ = abar_zbar(X0, A, Z)
    ab_p = abar_zbar(X_p, A, Z)[0] if Abar_p is None else np.asarray(Abar_p, float)
    unm = np.zeros(n) if unmapped_p is None else np.asarray(unmapped_p, float)

    dX = np.abs(X_p - X_t).mean(axis=0)
    d5 = eq5_per_test(X_p, X_t, Z, A, unmapped_zeta_p)
    comp_err = np.abs(X_p - X_t).sum(axis=1) + unm
    comp_change = np.abs(X_t - X0).sum(axis=1)
    mean_ye = float(ye_t.mean())
    out = {
        "n": int(n),
        "dX": dX,
        "dX_max": float(dX.max()),
        "eq6": float(d5.mean()),
        "eq6_rel": float(d5.mean() / mean_ye),
        "eq5_rel_median": float(np.median(d5 / ye_t)),
        "eq5_rel_p95": float(np.percentile(d5 / ye_t, 95)),
        "ye_rel": float(np.abs(ye_p - ye_t).mean() / mean_ye),
        "ye_change_rel": ratio_of_means(ye_p - ye_t, ye_t - ye_0),
        "X_change_rel": ratio_of_means(comp_err, comp_change),
        "abar_rel": relative_mae(ab_p, ab_t),
        "abar_change_rel": ratio_of_means(ab_p - ab_t, ab_t - ab_0),
    }
    for name, p, t in (("eps_nuc", eps_nuc_p, eps_nuc_t), ("eps_nu", eps_nu_p, eps_nu_t)):
        r = per_test_relative(p, t)
        out[f"{name}_rel"] = relative_mae(p, t)
        out[f"{name}_rel_median"] = float(np.median(r))
        out[f"{name}_rel_p95"] = float(np.percentile(r, 95))
    if err_p is not None:
        err = np.asarray(err_p, float)
        out["err_catch"] = fallback_catch(err, d5)
        out["err_spearman"] = _spearman(err, d5)
    return out


def map_isotopes(X_src, src_isotopes, dst_isotopes):
    """Mass fractions on ``src_isotopes`` -> ``dst_isotopes`` by name.  Isotopes of the
    destination that the source lacks get 0; mass in source isotopes that the destination
    lacks is returned separately as ``unmapped`` (N,) (it is not redistributed)."""
    X_src = np.atleast_2d(np.asarray(X_src, float))
    out = np.zeros((X_src.shape[0], len(dst_isotopes)))
    dst = {canonical(s): i for i, s in enumerate(dst_isotopes)}
    unmapped = np.zeros(X_src.shape[0])
    for j, s in enumerate(src_isotopes):
        i = dst.get(canonical(s))
        if i is None:
            unmapped += X_src[:, j]
        else:
            out[:, i] += X_src[:, j]
    return out, unmapped


def unmapped_mask(src_isotopes, dst_isotopes) -> np.ndarray:
    """Boolean mask over ``src_isotopes``: True where ``dst_isotopes`` lacks the isotope."""
    dst = {canonical(s) for s in dst_isotopes}
    return np.array([canonical(s) not in dst for s in src_isotopes], bool)


_ALIASES = {"neut": "n", "prot": "p", "h1": "p", "h2": "d"}


def canonical(name: str) -> str:
    """pynucastro spelling: ``neut`` -> ``n``, ``prot``/``h1`` -> ``p``, lower case."""
    s = str(name).strip().lower()
    return _ALIASES.get(s, s)
