"""Equilibrium compositions of a network's nuclei from their Saha relations: NSE at
(T, rho, Ye) and QSE cluster rebuilds from a few slow variables.

The relations are pynucastro's (3.1): its ``NSENetwork`` and the detailed-balance
``DerivedRate`` reverse rates that nnn's networks are built with use the same nuclear masses,
ground-state spins and partition functions, so a composition in which every derived-rate
pair is balanced satisfies them (up to the screening of the forward rates; see
:func:`coulomb_potentials`).  With eta_p = mu_p/kT and eta_n = mu_n/kT the free-nucleon
chemical potentials (rest mass and Coulomb part of the proton excluded, as pynucastro's
``u``), each nucleus i has

    ln X_i = L_i(T, rho) + Z_i eta_p + N_i eta_n - muc_i/kT + delta_k(i)

    L_i = ln[(A_nuc,i m_u)^(5/2) g_i G_i(T) / rho * (kT / (2 pi hbar^2))^(3/2)] + B_i / kT

(A_nuc the nuclear mass in u, g = 2J+1, G the partition function, B the total binding energy,
muc the Coulomb chemical potential, zero unless asked for).  ``delta_k`` = 0 for all nuclei is
NSE.  A QSE *cluster* k is a set of nuclei that are in equilibrium with each other and with
the free nucleons, but whose total abundance is not the NSE one: one shift delta_k per
cluster (Hix & Thielemann 1996, ApJ 460, 869: silicon burning as one Si-group and one
Fe-group cluster on top of free n, p and alpha).  Fixing delta_k by the abundance of one
reference nucleus or by the cluster's total mass rebuilds the whole cluster
(:func:`qse_rebuild`); fixing Ye and every cluster's mass instead determines the free
nucleons too (:func:`qse_from_masses`).  :func:`cluster_moment_fit` relaxes the shared
potentials: each cluster Saha-shaped with its own (eta_p, eta_n), fixed by its mass, mean Z
and mean N.  How far these rebuilds get on the engine's burns:
``benchmarks/emulator_qse_oracle.py``.

Units: T in K, rho in g/cm^3, X mass fractions, eta dimensionless.  Arrays are per case
(shape (n,)) or per case and nucleus ((n, n_nuc)), in the network's nucleus order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: Abundances at or below this are treated as this in logarithms (a free-neutron mass
#: fraction of exactly 0 would make eta_n = -inf).
X_LOG_FLOOR = 1e-300
#: The equilibrium solvers: Newton iterations (inner solve), bisections on
#: c = eta_p - eta_n over [-C_BRACKET, C_BRACKET] (outer solve).
SOLVER_MAX_ITER = 200
BISECTIONS = 80
C_BRACKET = 300.0


def _constants():
    from pynucastro.constants import constants as c

    return c


@dataclass
class SahaNuclei:
    """The Saha data of a list of nuclei (pynucastro's ``Nucleus``): Z, N, A, the nuclear
    mass A_nuc (u), spin states g, total binding energy B (MeV) and partition functions."""

    names: list
    Z: np.ndarray
    N: np.ndarray
    A: np.ndarray
    A_nuc: np.ndarray
    spin_states: np.ndarray
    B_MeV: np.ndarray
    _pf: list

    @classmethod
    def from_names(cls, names) -> "SahaNuclei":
        import pynucastro as pyna

        nucs = []
        for s in names:
            nuc = pyna.Nucleus(str(s))
            if not nuc.spin_states:
                raise ValueError(f"nucleus {s!r} has no ground-state spin in pynucastro: its "
                                 "Saha relation is undefined")
            if nuc.A_nuc is None:
                raise ValueError(f"nucleus {s!r} has no mass in pynucastro")
            nucs.append(nuc)
        pfs = []
        for nuc in nucs:
            pf = nuc.partition_function
            if pf is None:
                pfs.append(None)
                continue
            from scipy.interpolate import InterpolatedUnivariateSpline

            # pynucastro's own interpolant (PartitionFunction.eval), built once for arrays
            pfs.append(InterpolatedUnivariateSpline(pf.T9_points, pf.log_pf_data,
                                                    k=pf.interpolant_order))
        return cls(names=[str(s) for s in names],
                   Z=np.array([n.Z for n in nucs], float),
                   N=np.array([n.N for n in nucs], float),
                   A=np.array([n.A for n in nucs], float),
                   A_nuc=np.array([n.A_nuc for n in nucs], float),
                   spin_states=np.array([n.spin_states for n in nucs], float),
                   B_MeV=np.array([n.nucbind * n.A for n in nucs], float),
                   _pf=pfs)

    def __len__(self):
        return len(self.names)

    def index(self, name) -> int:
        try:
            return self.names.index(str(name))
        except ValueError:
            raise ValueError(f"nucleus {name!r} is not in this network's list") from None

    def log_pf(self, T) -> np.ndarray:
        """ln G_i(T) (n, n_nuc); 0 where pynucastro has no table (n, p, light nuclei)."""
        T9 = np.atleast_1d(np.asarray(T, float)) * 1e-9
        out = np.zeros((len(T9), len(self)))
        for i, s in enumerate(self._pf):
            if s is not None:
                out[:, i] = s(T9, ext="const")
        return out

    def log_x_base(self, T, rho) -> np.ndarray:
        """L_i(T, rho) (n, n_nuc): ln X_i at eta_p = eta_n = 0 without Coulomb terms."""
        c = _constants()
        T = np.atleast_1d(np.asarray(T, float))[:, None]
        rho = np.atleast_1d(np.asarray(rho, float))[:, None]
        kT_MeV = c.k_MeV * T
        return (2.5 * np.log(self.A_nuc * c.m_u_C18) + np.log(self.spin_states) - np.log(rho)
                + 1.5 * np.log(c.k * T / (2.0 * np.pi * c.hbar ** 2))
                + self.log_pf(T[:, 0]) + self.B_MeV / kT_MeV)

    def coulomb_potentials(self, T, rho, Ye) -> np.ndarray:
        """muc_i / kT (n, n_nuc): the Coulomb chemical potential of each nucleus in the
        electron background (Chabrier & Potekhin 1998 eq 28, as pynucastro's NSENetwork with
        ``use_coulomb_corr=True``).  The engine's equilibrium instead carries the screening
        of the forward rates (chugunov_2007); both are the same plasma effect, not equal."""
        c = _constants()
        T = np.atleast_1d(np.asarray(T, float))[:, None]
        rho = np.atleast_1d(np.asarray(rho, float))[:, None]
        Ye = np.atleast_1d(np.asarray(Ye, float))[:, None]
        n_e = Ye * rho / c.m_u_C18
        a1, a2 = -0.9052, 0.6322
        a3 = -0.5 * np.sqrt(3.0) - a1 / np.sqrt(a2)
        gamma_e_fac = c.q_e ** 2 / c.k * np.cbrt(4.0 * np.pi / 3.0)
        gam = gamma_e_fac * np.cbrt(n_e) / T * self.Z ** (5.0 / 3.0)
        # pynucastro: u_c [MeV] = erg2MeV k T f(Gamma); here f(Gamma) = u_c / kT
        f = (a1 * (np.sqrt(gam * (a2 + gam)) - a2 * np.log(np.sqrt(gam / a2)
                                                             + np.sqrt(1.0 + gam / a2)))
             + 2.0 * a3 * (np.sqrt(gam) - np.arctan(np.sqrt(gam))))
        # round trip through MeV as pynucastro does (k [erg/K] -> MeV over k_MeV)
        return f * (c.erg2MeV * c.k) / c.k_MeV

    def log_x_nse(self, L, eta_p, eta_n, muc=None) -> np.ndarray:
        """ln X_i (n, n_nuc) in NSE at free-nucleon potentials eta_p, eta_n (n,), given
        ``L`` = :meth:`log_x_base` and optional ``muc`` = :meth:`coulomb_potentials`."""
        out = L + self.Z * np.asarray(eta_p, float)[:, None] \
            + self.N * np.asarray(eta_n, float)[:, None]
        return out if muc is None else out - muc


def _logsumexp(a, w=None, axis=-1):
    """ln sum_i w_i exp(a_i) along ``axis`` (w >= 0)."""
    m = np.max(a, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    e = np.exp(a - m)
    if w is not None:
        e = e * w
    return np.log(np.sum(e, axis=axis)) + np.squeeze(m, axis=axis)


def nse(nuc: SahaNuclei, T, rho, Ye, coulomb=False):
    """NSE mass fractions at (T, rho, Ye) per case: sum X = 1 and sum X Z/A = Ye solved for
    (eta_p, eta_n) (see :func:`_solve`).

    Returns ``(X (n, n_nuc), eta_p (n,), eta_n (n,))``.  Raises ValueError naming the case
    when Ye is outside the network's Z/A range or the solve does not converge."""
    T = np.atleast_1d(np.asarray(T, float))
    rho = np.atleast_1d(np.asarray(rho, float))
    Ye = np.atleast_1d(np.asarray(Ye, float))
    zeta = nuc.Z / nuc.A
    lo, hi = zeta.min(), zeta.max()
    bad = np.flatnonzero(~((Ye > lo) & (Ye < hi)))
    if bad.size:
        k = int(bad[0])
        raise ValueError(f"Ye = {float(Ye[k])!r} (case {k}) is outside the network's Z/A "
                         f"range ({float(lo)!r}, {float(hi)!r}): no NSE composition")
    L = nuc.log_x_base(T, rho)
    muc = nuc.coulomb_potentials(T, rho, Ye) if coulomb else None
    X, eta_p, eta_n, conv = _solve(nuc, L, muc, np.log(Ye), np.zeros(len(T)), None)
    bad = np.flatnonzero(~conv)
    if bad.size:
        k = int(bad[0])
        raise ValueError(f"NSE solve did not converge for case {k} ({bad.size} cases): T = "
                         f"{float(T[k])!r} K, rho = {float(rho[k])!r} g/cm^3, Ye = {float(Ye[k])!r}")
    return X, eta_p, eta_n


def _solve(nuc, L, muc, log_ye, log_m_free, clusters, c0=None):
    """Free-nucleon potentials for: mass of the free group (the nuclei in no cluster) =
    exp(log_m_free) (NSE: 1, no clusters), total Ye = exp(log_ye), with clusters (list of
    (mask, mass (n,))) at fixed mass.  Returns (X, eta_p, eta_n, converged (n,) bool).

    With c = eta_p - eta_n, Z eta_p + N eta_n = A eta_n + Z c.  For fixed c the free
    group's mass grows strictly with eta_n (ln of it is convex in eta_n), so the inner solve
    is Newton from the right, which converges monotonically; Ye then rises with c (more
    protons), and the outer solve is bisection on c, which needs no starting guess and
    cannot be led astray where one nucleus dominates and the 2-d Jacobian is singular.

    Without clusters (NSE) Ye runs from 0 (all neutrons) to 1 (all protons) as c goes from
    -C_BRACKET to C_BRACKET.  With clusters of fixed mass it does not: at extreme c each
    cluster's mass sits on its lowest- or highest-Z member, whose Z/A need not be the
    cluster's extreme, so the root is bracketed by stepping out from ``c0`` (the NSE
    solution's c at the same Ye), the root nearest to it."""
    n = L.shape[0]
    zeta = nuc.Z / nuc.A
    free = np.ones(len(nuc), bool)
    for mask, _m in clusters or ():
        free &= ~mask
    base = L if muc is None else L - muc
    base_free = np.where(free, base, -np.inf)

    def inner(c):
        """eta_n (n,) solving ln sum_free exp(base + A eta_n + Z c) = log_m_free."""
        t = base_free + nuc.Z * c[:, None]
        # start right of the root: one nucleus alone already holds the free mass there
        en = np.max(np.where(free & np.isfinite(t), (log_m_free[:, None] - t) / nuc.A,
                             -np.inf), axis=1)
        for _ in range(SOLVER_MAX_ITER):
            lx = t + nuc.A * en[:, None]
            ls = _logsumexp(lx)
            slope = np.exp(_logsumexp(lx, nuc.A) - ls)       # mass-weighted mean A
            step = (ls - log_m_free) / slope
            en = en - step
            if not np.any(np.abs(step) > 1e-15 * np.maximum(1.0, np.abs(en))):
                break
        return en

    def ye_resid(c):
        en = inner(c)
        lx = base + nuc.A * en[:, None] + nuc.Z * c[:, None]
        ye = np.exp(_logsumexp(np.where(free, lx, -np.inf), np.where(free, zeta, 0.0)))
        for mask, m in clusters or ():
            lc = np.where(mask, lx, -np.inf)
            ye = ye + m * np.exp(_logsumexp(lc, np.where(mask, zeta, 0.0)) - _logsumexp(lc))
        return np.log(ye) - log_ye, en

    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        if c0 is None:
            lo = np.full(n, -C_BRACKET)
            hi = np.full(n, C_BRACKET)
            g_lo, _ = ye_resid(lo)
            g_hi, _ = ye_resid(hi)
            conv = (g_lo < 0) & (g_hi > 0)
        else:
            lo, hi, conv = _bracket(ye_resid, np.asarray(c0, float))
        for _ in range(BISECTIONS):
            mid = 0.5 * (lo + hi)
            g, _ = ye_resid(mid)
            up = g < 0
            lo = np.where(up, mid, lo)
            hi = np.where(up, hi, mid)
            if not np.any(hi - lo > 4e-16 * np.maximum(1.0, np.abs(lo))):
                break
        c = 0.5 * (lo + hi)
        g, en = ye_resid(c)
        conv &= np.isfinite(en) & (np.abs(g) < 1e-9)
        lx = base + nuc.A * en[:, None] + nuc.Z * c[:, None]
        X = np.where(free, np.exp(np.minimum(lx, 0.0)), 0.0)
        for mask, m in clusters or ():
            lc = np.where(mask, lx, -np.inf)
            X = X + np.where(mask, m[:, None] * np.exp(lc - _logsumexp(lc)[:, None]), 0.0)
    X = np.where(conv[:, None], X, np.nan)
    return X, en + c, en, conv


def _bracket(resid, c0, first_step=0.25, n_steps=12):
    """(lo, hi, found): per case the nearest lo <= c0 with resid < 0 and hi >= c0 with
    resid > 0, stepping out by first_step * 2^k."""
    g0, _ = resid(c0)
    lo, hi = c0.copy(), c0.copy()
    lo_ok, hi_ok = g0 < 0, g0 > 0
    d = first_step
    for _ in range(n_steps):
        if lo_ok.all() and hi_ok.all():
            break
        for side in (-1, 1):
            ok = lo_ok if side < 0 else hi_ok
            c = c0 + side * d
            g, _ = resid(c)
            hit = ~ok & ((g < 0) if side < 0 else (g > 0))
            if side < 0:
                lo = np.where(hit, c, lo)
                lo_ok = lo_ok | hit
            else:
                hi = np.where(hit, c, hi)
                hi_ok = hi_ok | hit
        d *= 2.0
    return lo, hi, lo_ok & hi_ok


def free_nucleon_potentials(nuc: SahaNuclei, L, X_n, X_p, muc=None):
    """(eta_p, eta_n) (n,) from the free neutron and proton mass fractions (floored at
    :data:`X_LOG_FLOOR`): the inverse of :meth:`SahaNuclei.log_x_nse` for n and p."""
    i_n, i_p = nuc.index("n"), nuc.index("p")
    ln_n = np.log(np.maximum(np.asarray(X_n, float), X_LOG_FLOOR))
    ln_p = np.log(np.maximum(np.asarray(X_p, float), X_LOG_FLOOR))
    eta_n = ln_n - L[:, i_n]
    eta_p = ln_p - L[:, i_p] + (0.0 if muc is None else muc[:, i_p])
    return eta_p, eta_n


def qse_rebuild(nuc: SahaNuclei, L, eta_p, eta_n, clusters, muc=None):
    """Mass fractions of the nuclei in ``clusters`` rebuilt from the free-nucleon potentials.

    ``clusters``: list of ``(mask (n_nuc,) bool, kind, value)``: ``kind`` "ref" with value
    ``(index, X_ref (n,))`` fixes the cluster's shift by the abundance of one reference
    nucleus; "mass" with value ``M (n,)`` by the cluster's total mass; "nse" (value None)
    puts the cluster in NSE with the free nucleons (shift 0).  Returns X (n, n_nuc) with
    zeros outside the clusters (the caller fills those)."""
    lx = nuc.log_x_nse(L, eta_p, eta_n, muc)
    X = np.zeros_like(lx)
    for mask, kind, value in clusters:
        mask = np.asarray(mask, bool)
        lc = np.where(mask, lx, -np.inf)
        if kind == "nse":
            shift = np.zeros(len(lx))
        elif kind == "ref":
            i, x_ref = value
            if not mask[i]:
                raise ValueError(f"reference nucleus {nuc.names[i]!r} is not in its cluster")
            shift = np.log(np.maximum(np.asarray(x_ref, float), X_LOG_FLOOR)) - lx[:, i]
        elif kind == "mass":
            m = np.maximum(np.asarray(value, float), 0.0)
            shift = np.log(np.maximum(m, X_LOG_FLOOR)) - _logsumexp(lc)
        else:
            raise ValueError(f"cluster kind must be 'ref', 'mass' or 'nse', got {kind!r}")
        # a mass fraction above 1 is no equilibrium any network reaches: cap it
        X = X + np.where(mask, np.exp(np.minimum(lc + shift[:, None], 0.0)), 0.0)
    return X


def qse_from_masses(nuc: SahaNuclei, L, Ye, free_mask, cluster_masks, cluster_masses,
                    fixed_X=None, muc=None, free_mass=None):
    """QSE composition from the slow variables Ye and the mass of each cluster: solves for
    the free-nucleon potentials (eta_p, eta_n) such that the ``free_mask`` group (n, p and
    what is in NSE with them: d, he3, he4) holds 1 - sum(cluster masses) - sum(fixed_X) and
    the whole composition has electron fraction ``Ye``.

    ``cluster_masks``: list of (n_nuc,) bool; ``cluster_masses``: list of (n,);
    ``fixed_X`` (n, n_nuc): mass fractions of the nuclei in no group (ignored inside
    groups), kept as given.  ``free_mass`` (n,): the free group's mass, if known directly
    (1 - the rest loses it to round-off once it is below ~1e-13; the sum of all groups is
    then 1 only to that round-off).  Returns ``(X, eta_p, eta_n, ok)``: ``ok`` False where the slow
    variables admit no solution (free mass <= 0, Ye out of reach) or the solve did not
    converge; those rows are NaN."""
    n = L.shape[0]
    Ye = np.atleast_1d(np.asarray(Ye, float))
    free_mask = np.asarray(free_mask, bool)
    masks = [np.asarray(m, bool) for m in cluster_masks]
    grouped = free_mask.copy()
    for m in masks:
        if (grouped & m).any():
            raise ValueError("cluster masks overlap")
        grouped |= m
    fixed = np.zeros(L.shape) if fixed_X is None else \
        np.where(grouped, 0.0, np.asarray(fixed_X, float))
    zeta = nuc.Z / nuc.A
    M = [np.asarray(m, float) for m in cluster_masses]
    m_free = 1.0 - sum(M) - fixed.sum(axis=1) if free_mass is None else \
        np.asarray(free_mass, float) * np.ones(n)
    ye_rest = Ye - fixed @ zeta
    ok = (m_free > 0) & (ye_rest > 0) & np.all([m > 0 for m in M], axis=0)
    out_X = np.full(L.shape, np.nan)
    out_p = np.full(n, np.nan)
    out_n = np.full(n, np.nan)
    idx = np.flatnonzero(ok)
    if idx.size == 0:
        return out_X, out_p, out_n, ok
    Ls = L[idx]
    mucs = None if muc is None else np.asarray(muc, float)[idx]
    # the solver's free group is everything outside the clusters: the fixed nuclei are
    # fenced off with an infinite Coulomb term (no mass)
    fence = np.where(grouped, 0.0, np.inf)[None, :] + (0.0 if mucs is None else mucs)
    fence = np.broadcast_to(fence, Ls.shape)
    # NSE of the same Ye gives the starting c = eta_p - eta_n for the root bracket
    _, ep0, en0, _ = _solve(nuc, Ls, mucs, np.log(Ye[idx]), np.zeros(idx.size), None)
    c0 = np.where(np.isfinite(ep0 - en0), ep0 - en0, 0.0)
    X, ep, en, conv = _solve(nuc, Ls, fence, np.log(ye_rest[idx]), np.log(m_free[idx]),
                             [(m, Mk[idx]) for m, Mk in zip(masks, M)], c0=c0)
    X = X + fixed[idx]
    ok[idx] = conv
    good = idx[conv]
    out_X[good], out_p[good], out_n[good] = X[conv], ep[conv], en[conv]
    return out_X, out_p, out_n, ok


def cluster_moment_fit(nuc: SahaNuclei, L, X, mask, muc=None, max_iter=300):
    """The Saha-shaped distribution closest to ``X`` inside one cluster: per case, the
    cluster's own potentials (a, b) in p_i ~ exp(L_i + Z_i a + N_i b - muc_i) (i in ``mask``)
    whose mass-weighted mean Z and mean N equal those of ``X`` in the cluster (the maximum
    likelihood, i.e. least Kullback-Leibler, member of that family; a convex problem,
    solved by Levenberg-Marquardt).  Slow variables: the cluster's mass, mean Z and mean N.
    Returns the rebuilt cluster (n, n_nuc) (zeros outside ``mask``) with the cluster's
    mass of ``X``."""
    mask = np.asarray(mask, bool)
    X = np.asarray(X, float)
    m = X[:, mask].sum(axis=1)
    w = np.where(mask, X, 0.0) / np.maximum(m, X_LOG_FLOOR)[:, None]
    zbar, nbar = w @ nuc.Z, w @ nuc.N
    base = np.where(mask, L if muc is None else L - muc, -np.inf)
    ab = np.zeros((len(X), 2))

    def objective(ab):
        lx = base + nuc.Z * ab[:, :1] + nuc.N * ab[:, 1:]
        return _logsumexp(lx) - ab[:, 0] * zbar - ab[:, 1] * nbar, lx

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        f, lx = objective(ab)
        # Levenberg-Marquardt: Newton where the covariance (the Hessian) is well
        # conditioned, a short gradient step where the fit sits on one nucleus (Hessian ~0)
        mu = np.ones(len(X))
        for _ in range(max_iter):
            p = np.exp(lx - _logsumexp(lx)[:, None])
            ez, en = p @ nuc.Z, p @ nuc.N
            g0, g1 = ez - zbar, en - nbar
            if not np.any(np.maximum(np.abs(g0), np.abs(g1)) > 1e-11):
                break
            czz = p @ nuc.Z ** 2 - ez ** 2 + mu
            cnn = p @ nuc.N ** 2 - en ** 2 + mu
            czn = p @ (nuc.Z * nuc.N) - ez * en
            det = czz * cnn - czn ** 2
            step = -np.stack([cnn * g0 - czn * g1, -czn * g0 + czz * g1], axis=1) \
                / det[:, None]
            new = ab + np.where(np.isfinite(step), step, 0.0)
            fn, lxn = objective(new)
            good = fn <= f
            ab = np.where(good[:, None], new, ab)
            f = np.where(good, fn, f)
            lx = np.where(good[:, None], lxn, lx)
            mu = np.where(good, mu * 0.2, mu * 10.0)
        p = np.exp(lx - _logsumexp(lx)[:, None])
    return np.where(mask, m[:, None] * np.nan_to_num(p), 0.0)


__all__ = ["SahaNuclei", "nse", "free_nucleon_potentials", "qse_rebuild", "qse_from_masses",
           "cluster_moment_fit",
           "X_LOG_FLOOR"]
