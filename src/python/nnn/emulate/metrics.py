"""Error metrics of Grichener et al. (2025), eqs 3-8.

For N test cases k, a prediction p and the target t (the large network):

* eq 3  ``dX_i    = (1/N) sum_k |X_i,p - X_i,t|``                (absolute, per isotope)
* eq 4  ``dYe     = sum_k |Ye_p - Ye_t| / sum_k Ye_t``          (relative)
* eq 5  ``dAbar   = sum_k |Abar_p - Abar_t| / sum_k Abar_t``
* eq 6  ``dZbar   = sum_k |Zbar_p - Zbar_t| / sum_k Zbar_t``
* eq 7  ``deps_nuc = sum_k |eps_nuc,p - eps_nuc,t| / sum_k |eps_nuc,t|``
* eq 8  ``deps_nu  = sum_k |eps_nu,p - eps_nu,t| / sum_k |eps_nu,t|``

i.e. the mean absolute error over the cases normalised by the mean target value (the mean
of |target| for the energy terms, which can change sign).  ``dX_max`` is max_i dX_i.
Ye, Abar and Zbar of a prediction are computed from its own composition with its own
network's A and Z; for the small net that is its own 22-isotope composition.
"""

from __future__ import annotations

import numpy as np

from nnn.emulate.sampling import abar_zbar, electron_fraction


def relative_mae(pred, target) -> float:
    pred = np.asarray(pred, float)
    target = np.asarray(target, float)
    den = np.abs(target).mean()
    return float(np.abs(pred - target).mean() / den) if den > 0 else float("nan")


def summary(X_p, X_t, eps_nuc_p, eps_nuc_t, eps_nu_p, eps_nu_t, A_t, Z_t, A_p=None, Z_p=None,
            Xown_p=None, Ye_p=None, Ye_t=None) -> dict:
    """All metrics.  ``X_p`` and ``X_t`` are on the target's isotopes (N, n_iso).  For a
    prediction on another isotope list pass its own composition ``Xown_p`` with ``A_p``,
    ``Z_p`` (used for Ye, Abar, Zbar).  ``Ye_p``/``Ye_t`` override the Ye from X (e.g. the
    engine's own Ye)."""
    X_p = np.asarray(X_p, float)
    X_t = np.asarray(X_t, float)
    dX = np.abs(X_p - X_t).mean(axis=0)
    own, Ao, Zo = (X_p, A_t, Z_t) if Xown_p is None else (Xown_p, A_p, Z_p)
    ye_p = electron_fraction(own, Ao, Zo) if Ye_p is None else np.asarray(Ye_p, float)
    ye_t = electron_fraction(X_t, A_t, Z_t) if Ye_t is None else np.asarray(Ye_t, float)
    ab_p, zb_p = abar_zbar(own, Ao, Zo)
    ab_t, zb_t = abar_zbar(X_t, A_t, Z_t)
    return {
        "dX": dX,
        "dX_max": float(dX.max()),
        "dYe_rel": relative_mae(ye_p, ye_t),
        "dAbar_rel": relative_mae(ab_p, ab_t),
        "dZbar_rel": relative_mae(zb_p, zb_t),
        "deps_nuc_rel": relative_mae(eps_nuc_p, eps_nuc_t),
        "deps_nu_rel": relative_mae(eps_nu_p, eps_nu_t),
    }


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


_ALIASES = {"neut": "n", "prot": "p", "h1": "p", "h2": "d"}


def canonical(name: str) -> str:
    """pynucastro spelling: ``neut`` -> ``n``, ``prot``/``h1`` -> ``p``, lower case."""
    s = str(name).strip().lower()
    return _ALIASES.get(s, s)
