"""Input sampling for emulator training and test sets.

Thermodynamic points
    ``sobol_thermo`` draws (log10 T, log10 rho) from a scrambled Sobol sequence
    (``scipy.stats.qmc.Sobol``) mapped onto the requested box, as in Grichener et al. (2025).

Compositions (``random_compositions``)
    Every composition is built in three steps, from a ``numpy.random.Generator``:

    1. A target electron fraction ``Ye_t`` is drawn uniformly in ``ye_range``
       (default 0.45 .. 0.5).
    2. A *base* mixture is drawn from one of two families:

       * ``broad`` (fraction ``frac_broad``, default 0.5): ``k`` isotopes, ``k`` uniform in
         ``2 .. n_iso``, chosen uniformly without replacement; weight of each
         ``g * 10**(-6 u)`` with ``g ~ Gamma(1)``, ``u ~ U(0, 1)``, i.e. a spread over six
         decades so the emulator sees both major and trace abundances of every isotope.
       * ``si`` (dominated by a few silicon-burning nuclei): ``m`` (1..4) nuclei from the
         silicon-burning set ``SI_BURNING`` (those present in the network) share
         ``1 - f_trace`` with Dirichlet(1) weights; ``f_trace = 10**U(-8, -2)`` is spread over
         1..10 other random isotopes with log-uniform weights.

    3. The base mixture (electron fraction ``Ye_a``) is mixed with a *partner* mixture
       of 1 (probability 1/2), 2 or 3 isotopes whose Z/A lies on the other side of ``Ye_t``
       (from the silicon-burning set for the ``si`` family when possible, otherwise any
       isotope with A > 1, and free nucleons only if nothing else exists), with the weight
       that makes ``Ye`` exactly ``Ye_t``.  So ``Ye`` is uniform in ``ye_range`` by
       construction for the broad family; for the ``si`` family ``Ye_t`` is uniform between
       max(ye_lo, smallest Z/A of the network's Si-burning nuclei) and ye_hi (fe56, Z/A =
       0.464, in mesa_80: a Si-burning mixture is not made more neutron-rich with o18 or
       be10).

    Mass fractions are non-negative and sum to 1 (to round-off, re-normalised).

Test sets (:mod:`nnn.emulate.evaluate`) are drawn with the fixed seed ``TEST_SEED``, which
training-set generation refuses: ``paper_test_compositions`` (the paper's test: silicon-burning
mixtures over the approx21 isotopes shared with the target network, Ye 0.45-0.5),
``random_compositions`` (train-like) and ``ood_seed_compositions`` (Fe-group seeds that the
evaluation equilibrates with the engine).  ``si_burning_compositions`` gives silicon-burning
mixtures over any isotope list (the multi-step benchmark's zones).
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from scipy.stats import qmc

#: The emulators' training domain (the paper's, section 2.2): log10 T (K), log10 rho (g/cm^3)
#: and Ye.  The one definition: generation, training, evaluation and the shipped models'
#: metadata (which libnnn reads) take it from here.
LOGT_RANGE = (9.2, 9.8)
LOGRHO_RANGE = (7.0, 9.5)
YE_RANGE = (0.45, 0.5)
#: Fraction of training compositions drawn from the broad family (the rest: Si-burning).
FRAC_BROAD = 0.5

#: Nuclei that dominate silicon-burning (and late oxygen-burning) compositions.
SI_BURNING = ("he4", "o16", "ne20", "mg24", "si28", "s32", "ar36", "ca40", "ti44",
              "cr48", "fe52", "fe54", "fe56", "ni56", "ni58", "co56", "cr56", "mn55",
              "fe55", "co55", "ni57", "fe58")

#: Main nuclei of the evaluation set (the approx21 isotopes that carry mass in Si burning).
SI_TEST_MAJOR = ("o16", "si28", "s32", "ar36", "ca40")
SI_TEST_MINOR = ("he4", "ne20", "mg24", "ti44", "cr48", "fe52", "fe54", "fe56", "ni56", "cr56",
                 "cr60", "co56", "c12")

FAMILIES = ("broad", "si")


def sobol_thermo(n: int, logT_range=LOGT_RANGE, logrho_range=LOGRHO_RANGE, seed: int = 0):
    """``n`` scrambled-Sobol points; returns ``(logT, logrho)`` arrays of shape (n,)."""
    _check_range("logT_range", logT_range)
    _check_range("logrho_range", logrho_range)
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    sob = qmc.Sobol(d=2, scramble=True, seed=seed)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "balance properties" warning for n != 2**m
        u = sob.random(n)
    lo = np.array([logT_range[0], logrho_range[0]], dtype=float)
    hi = np.array([logT_range[1], logrho_range[1]], dtype=float)
    pts = qmc.scale(u, lo, hi)
    return pts[:, 0].copy(), pts[:, 1].copy()


def electron_fraction(X, A, Z):
    """Ye = sum_i Z_i X_i / A_i for X of shape (..., n_iso)."""
    return np.asarray(X, dtype=float) @ (np.asarray(Z, float) / np.asarray(A, float))


def abar_zbar(X, A, Z):
    """Mean mass and charge numbers: Abar = 1 / sum(X/A), Zbar = Abar * Ye."""
    X = np.asarray(X, dtype=float)
    A = np.asarray(A, float)
    Z = np.asarray(Z, float)
    ysum = X @ (1.0 / A)
    abar = 1.0 / ysum
    return abar, abar * (X @ (Z / A))


def range_arg(s: str) -> tuple[float, float]:
    """argparse type of the ``LO,HI`` range options of ``python -m nnn.generate`` and ``python -m nnn.evaluate``."""
    try:
        lo, hi = (float(v) for v in s.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected LO,HI, got {s!r}") from None
    return lo, hi


def _check_range(name, r):
    if len(r) != 2 or not np.all(np.isfinite(r)) or not r[0] < r[1]:
        raise ValueError(f"{name} must be (lo, hi) with lo < hi, got {tuple(r)!r}")


def _partner_weights(rng, zeta, cand, k):
    idx = rng.choice(cand, size=min(k, len(cand)), replace=False)
    w = rng.dirichlet(np.ones(len(idx)))
    x = np.zeros_like(zeta)
    x[idx] = w
    return x


def _mix_to_ye(rng, xa, ye_t, zeta, A, preferred):
    """Mix ``xa`` with a partner on the other side of ``ye_t`` so that Ye == ye_t."""
    ye_a = float(xa @ zeta)
    if abs(ye_a - ye_t) < 1e-12:
        return xa
    side = zeta < ye_t if ye_a > ye_t else zeta > ye_t
    heavy = A > 1
    cand = np.flatnonzero(side & preferred & heavy)
    if cand.size == 0:
        cand = np.flatnonzero(side & heavy)
    if cand.size == 0:
        cand = np.flatnonzero(side)
    if cand.size == 0:
        raise ValueError(f"no isotope has Z/A on the needed side of Ye={ye_t:.4f}; "
                         "the ye_range cannot be reached with this network")
    xb = _partner_weights(rng, zeta, cand, int(rng.choice([1, 1, 2, 3])))
    ye_b = float(xb @ zeta)
    w = (ye_a - ye_t) / (ye_a - ye_b)
    x = (1.0 - w) * xa + w * xb
    x = np.clip(x, 0.0, None)
    return x / x.sum()


def random_compositions(n: int, isotopes, A, Z, ye_range=YE_RANGE, frac_broad=FRAC_BROAD,
                        rng=None, seed: int | None = None):
    """Draw ``n`` compositions over ``isotopes`` (see module docstring).

    Returns ``(X, family)``: X (n, n_iso) float64 summing to 1, family (n,) int8 with
    0 = broad, 1 = si."""
    _check_range("ye_range", ye_range)
    if not 0.0 <= frac_broad <= 1.0:
        raise ValueError(f"frac_broad must be in [0, 1], got {frac_broad}")
    rng = rng if rng is not None else np.random.default_rng(seed)
    isotopes = list(isotopes)
    A = np.asarray(A, float)
    Z = np.asarray(Z, float)
    zeta = Z / A
    n_iso = len(isotopes)
    if not (zeta.min() <= ye_range[0] and zeta.max() >= ye_range[1]):
        raise ValueError(f"ye_range {tuple(ye_range)} is not reachable: Z/A of the network's "
                         f"isotopes spans [{zeta.min():.3f}, {zeta.max():.3f}]")
    si_mask = np.array([s in SI_BURNING for s in isotopes])
    si_idx = np.flatnonzero(si_mask)
    si_zmin = zeta[si_idx].min() if si_idx.size else 0.0
    if si_zmin >= ye_range[1]:
        si_zmin = ye_range[0]
    X = np.zeros((n, n_iso))
    fam = np.zeros(n, dtype=np.int8)
    for k in range(n):
        ye_t = rng.uniform(*ye_range)
        if rng.random() < frac_broad or si_idx.size == 0:
            m = int(rng.integers(2, n_iso + 1))
            idx = rng.choice(n_iso, size=m, replace=False)
            w = rng.gamma(1.0, size=m) * 10.0 ** (-6.0 * rng.random(m))
            xa = np.zeros(n_iso)
            xa[idx] = w / w.sum()
            x = _mix_to_ye(rng, xa, ye_t, zeta, A, np.ones(n_iso, bool))
        else:
            fam[k] = 1
            # Si-burning mixtures only reach Ye down to the most neutron-rich Si-burning
            # nucleus of the network (fe56: 0.464 in mesa_80); lower Ye is left to the broad
            # family rather than filled with light neutron-rich isotopes
            ye_t = rng.uniform(max(ye_range[0], si_zmin), ye_range[1])
            m = int(rng.integers(1, min(4, si_idx.size) + 1))
            idx = rng.choice(si_idx, size=m, replace=False)
            f_trace = 10.0 ** rng.uniform(-8, -2)
            xa = np.zeros(n_iso)
            xa[idx] = rng.dirichlet(np.ones(m)) * (1.0 - f_trace)
            others = np.setdiff1d(np.arange(n_iso), idx)
            if others.size:
                t = rng.choice(others, size=min(int(rng.integers(1, 11)), others.size),
                               replace=False)
                wt = 10.0 ** rng.uniform(-3, 0, size=t.size)
                xa[t] += f_trace * wt / wt.sum()
            xa /= xa.sum()
            x = _mix_to_ye(rng, xa, ye_t, zeta, A, si_mask)
        X[k] = x
    return X, fam


def si_burning_compositions(n: int, isotopes, A, Z, ye_range=YE_RANGE, rng=None,
                            seed: int | None = None):
    """Silicon-burning compositions restricted to ``isotopes`` (the evaluation set).

    Major part: 1..3 of ``SI_TEST_MAJOR`` (those present) with Dirichlet(1) weights, a mass
    fraction 0.5..1 of the total; the rest over 1..4 of ``SI_TEST_MINOR`` (those present).
    Then mixed to a uniform target Ye in ``ye_range`` as in :func:`random_compositions`, with
    partners taken from the same restricted list (iron-group nuclei for Ye < 0.5)."""
    _check_range("ye_range", ye_range)
    rng = rng if rng is not None else np.random.default_rng(seed)
    isotopes = list(isotopes)
    A = np.asarray(A, float)
    Z = np.asarray(Z, float)
    zeta = Z / A
    major = np.array([i for i, s in enumerate(isotopes) if s in SI_TEST_MAJOR])
    minor = np.array([i for i, s in enumerate(isotopes) if s in SI_TEST_MINOR])
    if major.size == 0:
        raise ValueError(f"none of the silicon-burning nuclei {SI_TEST_MAJOR} is in the list")
    lo = max(ye_range[0], zeta[A > 1].min())
    hi = min(ye_range[1], zeta[A > 1].max())
    X = np.zeros((n, len(isotopes)))
    for k in range(n):
        ye_t = rng.uniform(lo, hi)
        xa = np.zeros(len(isotopes))
        m = int(rng.integers(1, min(3, major.size) + 1))
        idx = rng.choice(major, size=m, replace=False)
        f_major = rng.uniform(0.5, 1.0)
        xa[idx] = rng.dirichlet(np.ones(m)) * f_major
        if minor.size:
            j = rng.choice(minor, size=min(int(rng.integers(1, 5)), minor.size), replace=False)
            xa[j] += rng.dirichlet(np.ones(j.size)) * (1.0 - f_major)
        else:
            xa[idx] /= f_major
        xa /= xa.sum()
        X[k] = _mix_to_ye(rng, xa, ye_t, zeta, A, np.zeros(len(isotopes), bool) | (A > 1))
    return X


# --------------------------------------------------------------------------------------
# Test sets (nnn.emulate.evaluate).  One fixed seed, which training-set generation refuses
# (nnn.emulate.generate), so no training set can share the test cases' random streams.

#: The seed of every evaluation test set (the paper's arXiv number, 2503.00115).
TEST_SEED = 250300115

#: Test-set names: as the paper's test, drawn like the training set, and a composition
#: family the training sampler does not produce (see :func:`ood_seed_compositions`).
TEST_SETS = ("paper", "train-like", "ood")

#: Fe-group nuclei that carry the mass of the ``ood`` seed mixtures (those in the network).
FE_GROUP = ("cr48", "cr50", "mn51", "fe52", "fe53", "fe54", "fe55", "fe56", "fe58", "co55",
            "co56", "co57", "ni56", "ni57", "ni58", "ni59", "cu59", "zn60")


def check_not_test_seed(seed) -> None:
    """Raise ValueError if ``seed`` is :data:`TEST_SEED` (training sets must not use it)."""
    if int(seed) == TEST_SEED:
        raise ValueError(f"seed={seed!r} is nnn's evaluation test seed (TEST_SEED = "
                         f"{TEST_SEED}); a training set must use another seed so that it "
                         "cannot coincide with the test set")


def eval_set_rng(name: str, stream: int = 0) -> np.random.Generator:
    """The generator of test set ``name`` (one independent stream per set and purpose)."""
    if name not in TEST_SETS:
        raise ValueError(f"test set must be one of {TEST_SETS}, got {name!r}")
    return np.random.default_rng([TEST_SEED, TEST_SETS.index(name), int(stream)])


def _test_set_inputs(ye_range, rng, isotopes, A, Z):
    """The test-set samplers' common arguments, checked and as arrays: (rng, isotope names,
    A, Z, Z/A); a new generator when ``rng`` is None."""
    _check_range("ye_range", ye_range)
    rng = rng if rng is not None else np.random.default_rng()
    A = np.asarray(A, float)
    Z = np.asarray(Z, float)
    return rng, list(isotopes), A, Z, Z / A


def _two_group_mixture(rng, n_iso, main, max_main, f_main, rest, max_rest):
    """A base mixture of the test-set samplers: 1..max_main nuclei of ``main`` carry a
    fraction U(f_main) of the mass (Dirichlet(1) weights), 1..max_rest of ``rest`` the
    remainder; normalised.  (Draw order fixed: the cached test sets depend on it.)"""
    xa = np.zeros(n_iso)
    m = int(rng.integers(1, min(max_main, main.size) + 1))
    idx = rng.choice(main, size=m, replace=False)
    f = rng.uniform(*f_main)
    xa[idx] = rng.dirichlet(np.ones(m)) * f
    if rest.size:
        j = rng.choice(rest, size=min(int(rng.integers(1, max_rest + 1)), rest.size),
                       replace=False)
        xa[j] += rng.dirichlet(np.ones(j.size)) * (1.0 - f)
    return xa / xa.sum()


def paper_test_compositions(n: int, isotopes, A, Z, ye_range=YE_RANGE, rng=None):
    """The paper's test compositions (its section 3): silicon-burning mixtures over
    ``isotopes`` (the approx21 isotopes the target network also has), Ye uniform in
    ``ye_range``.

    The base mixture is as :func:`si_burning_compositions`; it is mixed to the target Ye
    with partners from the same list.  Below the smallest Z/A of its heavy nuclei (fe56,
    0.464, when the list is approx21 within mesa_80: approx21's own neutron-rich cr60 is
    not in mesa_80) the only partner is the free neutron, so a Ye = 0.45 case carries
    up to X_n = 0.1 (from a Ye = 0.5 base).  The paper does not say how it reached
    Ye < 0.464 with approx21 isotopes; that is why 0.45 <= Ye < 0.464 is also reported on
    its own."""
    rng, isotopes, A, Z, zeta = _test_set_inputs(ye_range, rng, isotopes, A, Z)
    major = np.array([i for i, s in enumerate(isotopes) if s in SI_TEST_MAJOR])
    minor = np.array([i for i, s in enumerate(isotopes) if s in SI_TEST_MINOR])
    if major.size == 0:
        raise ValueError(f"none of the silicon-burning nuclei {SI_TEST_MAJOR} is in the list")
    if not (zeta.min() <= ye_range[0] and zeta.max() >= ye_range[1]):
        raise ValueError(f"ye_range {tuple(ye_range)} is not reachable with Z/A in "
                         f"[{zeta.min():.3f}, {zeta.max():.3f}]")
    X = np.zeros((n, len(isotopes)))
    for k in range(n):
        ye_t = rng.uniform(*ye_range)
        xa = _two_group_mixture(rng, len(isotopes), major, 3, (0.5, 1.0), minor, 4)
        # heavy partners preferred; _mix_to_ye falls back to free nucleons only when no
        # heavy nucleus lies on the needed side of ye_t
        X[k] = _mix_to_ye(rng, xa, ye_t, zeta, A, A > 1)
    return X


def ood_seed_compositions(n: int, isotopes, A, Z, ye_range=(0.46, 0.5), rng=None):
    """Seed mixtures of the ``ood`` test set, before the engine equilibrates them.

    Fe-group dominated (1..4 of :data:`FE_GROUP` carry 0.6..1 of the mass, Dirichlet(1)),
    the rest 1..3 of the silicon-group nuclei ``SI_TEST_MAJOR``, mixed to a target Ye
    uniform in ``ye_range`` with heavy partners.  :mod:`nnn.emulate.evaluate` then burns
    each seed at a hot point (log T 9.6-9.8, log rho 7.5-9, 1-100 s) and takes the result
    as the test composition: a QSE/NSE-like distribution over every isotope of the network,
    i.e. what a stellar code hands the emulator after its first step.  The training sampler
    never produces it: its broad family weights random subsets of isotopes independently
    over six decades and its Si family carries a few nuclei plus random traces, so neither
    has the equilibrium ratios between neighbouring nuclei and the light particles."""
    rng, isotopes, A, Z, zeta = _test_set_inputs(ye_range, rng, isotopes, A, Z)
    fe = np.array([i for i, s in enumerate(isotopes) if s in FE_GROUP])
    si = np.array([i for i, s in enumerate(isotopes) if s in SI_TEST_MAJOR])
    if fe.size == 0:
        raise ValueError(f"none of the Fe-group nuclei {FE_GROUP} is in the list")
    X = np.zeros((n, len(isotopes)))
    for k in range(n):
        ye_t = rng.uniform(*ye_range)
        xa = _two_group_mixture(rng, len(isotopes), fe, 4, (0.6, 1.0), si, 3)
        X[k] = _mix_to_ye(rng, xa, ye_t, zeta, A, A > 11)
    return X
