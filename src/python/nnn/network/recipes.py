"""Approximation recipes applied when building a network.

``build_network(..., approximate=NAME)`` calls ``RECIPES[NAME](isotopes,
tabular_ordering=...)``; a recipe returns a pynucastro network whose
``unique_nuclei`` are exactly the distinct species of the isotope list and
whose rates are all of the kinds the nnn writer and engine implement
(``ReacLibRate``, ``DerivedRate`` of a ReacLibRate, ``TabularWeakRate``,
``ApproximateRate`` of type ``ap_pg`` / ``nn_g``).

``approx21``
    Reproduces MESA's ``approx21`` family (``approx21_cr60_plus_co56``,
    ``approx21_plus_co56``, ``approx21``, ``approx21_cr60``) from ReacLib and
    the weak-rate tables, the way pynucastro's approximate rates allow.  What
    differs from MESA's hard-wired net, and why, is written down in
    ``network_data/README.md`` (section ``approx21_cr60_plus_co56``) and in
    the docstring of :func:`build_approx21`.
"""

from __future__ import annotations

import copy

import numpy as np

from nnn.network.build import DEFAULT_TABULAR_ORDERING, helper_network

#: Intermediate nuclei of the (a,p)(p,g) bypasses that approx21 uses between
#: neighbouring alpha-chain nuclei: A(a,p)X(p,g)B with X = A + 3 (Z+1).
AP_PG_INTERMEDIATES = ("al27", "p31", "cl35", "k39", "sc43", "v47", "mn51", "co55")

#: Intermediate nuclei of approx21's neutron links fe52(n,g)fe53(n,g)fe54 and
#: fe54(n,g)fe55(n,g)fe56.
NN_G_INTERMEDIATES = ("fe53", "fe55")

#: Heavy-ion fusion: the proton channel is folded into the alpha channel
#: (key: alpha-channel rate, value: proton-channel rate, both ReacLib names).
HEAVY_ION_P_CHANNELS = {
    "c12(c12,a)ne20": "c12(c12,p)na23",
    "o16(c12,a)mg24": "o16(c12,p)al27",
    "o16(o16,a)si28": "o16(o16,p)p31",
    "ne20(c12,a)si28": "ne20(c12,p)p31",
}

#: MESA's "fake" fe56 electron capture that feeds the cr56/cr60 sink of
#: approx21: rate = FE56EC_FAKE_FACTOR * lambda_ec(ni56) for
#: T >= FE56EC_MIN_T (MESA controls ``fe56ec_fake_factor`` and
#: ``min_T_for_fe56ec_fake_factor``).  1e-7 is taken as MESA star's controls
#: default (not re-checked against controls.defaults here); MESA's net module
#: initialises its own handle with 1e-4 and 3e9 K (net_def init_net_handle_data).
FE56EC_FAKE_FACTOR = 1.0e-7
FE56EC_MIN_T = 3.0e9

#: log10 value written into the table below FE56EC_MIN_T (rate "off").
_LOG10_OFF = -99.0

_EXPECTED_CORE = {"n", "p", "he3", "he4", "c12", "n14", "o16", "ne20", "mg24", "si28",
                  "s32", "ar36", "ca40", "ti44", "cr48", "fe52", "fe54", "fe56", "ni56"}


def _library_rate(name):
    """A ReacLib rate by its short name, e.g. ``"n14(a,g)f18"``."""
    import pynucastro as pyna
    lib = _library_rate.lib
    if lib is None:
        lib = _library_rate.lib = pyna.ReacLibLibrary()
    return lib.get_rate_by_name(name)


_library_rate.lib = None


def _refresh(rate):
    """Recompute what pynucastro derives from reactants/products/stoichiometry
    (Q value, dY/dt prefactor and density exponent, names). Screening pairs are
    left as they are: they belong to the reaction that is evaluated."""
    pairs = rate.screening_pairs
    rate._set_q()
    rate._set_rhs_properties()
    rate._set_print_representation()
    rate.screening_pairs = pairs
    return rate


def fold_proton_channels(net):
    """Fold each heavy-ion proton channel into its alpha channel.

    pynucastro removes ``O16 + O16 -> p + P31`` (and the other p channels)
    with the intermediate nuclei, which would make C/O/Ne burning about
    twice too slow.  MESA's approx21 keeps those channels (it sends the P31
    on through its (p,a)/(p,g) branching).  Here the p-channel ReacLib sets
    are added to the alpha-channel rate (``ReacLibRate`` with the union of
    both sets, same reactants and screening): the p-channel flux goes to the
    alpha-channel products, i.e. the proton is assumed to be recaptured as
    X(p,a) (al27(p,a)mg24, p31(p,a)si28, na23(p,a)ne20).  The detailed-balance
    reverse of the alpha channel is kept from the original alpha-channel
    rate only.
    """
    for alpha_name, p_name in HEAVY_ION_P_CHANNELS.items():
        alpha = net.get_rate_by_name(alpha_name)
        if alpha is None:
            continue
        if isinstance(alpha, list):
            alpha = alpha[0]
        p_rate = _library_rate(p_name)
        merged = copy.copy(alpha)
        merged.sets = list(alpha.sets) + list(p_rate.sets)
        idx = net.rates.index(alpha)
        net.rates[idx] = merged
    net._build_collection()


def n14_alpha_link():
    """MESA approx21's ``irnag``: N14 + 1.5 He4 -> Ne20 at the rate of
    ReacLib N14(a,g)F18 (the F18 and the rest of the alpha captures to Ne20
    assumed fast).  dY(he4)/dt = -1.5 rho Y(n14) Y(he4) lambda."""
    import pynucastro as pyna
    he4, ne20 = pyna.Nucleus("he4"), pyna.Nucleus("ne20")
    r = copy.copy(_library_rate("n14(a,g)f18"))
    r.products = [ne20]
    r.stoichiometry = {he4: 1.5}
    return _refresh(r)


def fake_fe56_ec(ni56_ec, heavy, *, factor=FE56EC_FAKE_FACTOR, min_T=FE56EC_MIN_T):
    """MESA approx21's fake fe56 electron capture into the Cr sink:

        Fe56 + k n -> Cr (2 electron captures), k = (N_Cr - N_Fe56) - (Z_Fe56 - Z_Cr)
        dY(fe56)/dt = -Y(fe56) * factor * lambda_ec(Ni56)(rho Ye, T)   for T >= min_T

    (k = 4 for cr60, 0 for cr56), built as a ``TabularWeakRate``: a copy of the
    Ni56 electron-capture table with the rate, neutrino-loss and gamma columns
    scaled by ``factor`` and switched off (log10 = -99) on the temperature grid
    points below ``min_T``; neutrons are consumed but do not enter the rate
    (``not_in_ydot_term``), exactly as MESA's dydt.  Between the last grid point
    below min_T and the first one at or above it the interpolation (linear in
    log10) makes a steep ramp rather than a step.
    """
    import pynucastro as pyna
    from pynucastro.rates.tabular_rate import TableIndex, TableInterpolator
    fe56, n = pyna.Nucleus("fe56"), pyna.Nucleus("n")
    k = (heavy.N - fe56.N) - (fe56.Z - heavy.Z)
    if k < 0:
        raise ValueError(f"{heavy} is not reachable from fe56 by adding neutrons")
    r = copy.copy(ni56_ec)
    data = np.array(ni56_ec.tabular_data_table, dtype=float, copy=True)
    cols = [TableIndex.RATE.value, TableIndex.NU.value, TableIndex.GAMMA.value]
    off = data[:, TableIndex.T.value] < np.log10(min_T) - 1e-12
    for c in cols:
        data[:, c] += np.log10(factor)
        data[off, c] = _LOG10_OFF
    r.tabular_data_table = data
    r.interpolator = TableInterpolator(r.table_rhoy_lines, r.table_temp_lines, data)
    r.reactants = [fe56] + [n] * k
    r.products = [heavy]
    r.not_in_ydot_term = [n] if k else []
    r.use_identical_particle_factor = False
    r.table_index_name = f"j_fe56_{heavy.raw}_fake"
    # pynucastro's names only know single-step weak rates (|dZ| = 1): name it
    # as a generic rate, then restore the weak type
    r.weak_type = ""
    _refresh(r)
    r.weak_type = "electron_capture"
    return r


def build_approx21(isotopes, *, tabular_ordering=DEFAULT_TABULAR_ORDERING):
    """Build MESA's approx21 family from an isotope list (pynucastro names).

    Steps, and why:

    1. Link the list plus the intermediates of approx21's bypasses
       (``AP_PG_INTERMEDIATES``, ``NN_G_INTERMEDIATES``) with the same helper
       as every nnn net (ReacLib + weak tables + detailed balance).
    2. :func:`fold_proton_channels`: keep the p channels of C+C, C+O, O+O and
       Ne+C, which step 4 would otherwise delete with Na23/Al27/P31.
    3. ``make_ap_pg_approx`` (Mg24 ... Fe52 + a via Al27 ... Co55, as approx21's
       irr1 ... irx1 and fe52(a,p)co55(p,g)ni56) and ``make_nn_g_approx``
       (Fe52(nn,g)Fe54 via Fe53, Fe54(nn,g)Fe56 via Fe55, approx21's
       ir1f54/ir2f54 and irfe56_aux1/2).  This links Fe54.
    4. Remove the intermediates, so only the listed species remain.
    5. Add the links that no ReacLib rate among the listed species provides:
       :func:`n14_alpha_link` (N14) and :func:`fake_fe56_ec` (the Cr sink),
       both as MESA's approx21 does them.

    Ye evolves through the tabulated weak rates that link listed species:
    p(e-,nu)n and n decay, Ni56(e-,nu)Co56, Co56(e-,nu)Fe56 and their inverses,
    plus the Fe56 -> Cr sink.  ``prot`` and ``h1`` are one species ``p``.
    """
    import pynucastro as pyna

    isotopes = list(dict.fromkeys(isotopes))
    names = set(isotopes)
    missing = _EXPECTED_CORE - names
    if missing:
        raise ValueError(f"approx21 recipe: isotope list lacks {sorted(missing)}")
    heavy = [x for x in names if x in ("cr56", "cr60")]
    extra = names - _EXPECTED_CORE - {"co56", "cr56", "cr60"}
    if len(heavy) != 1 or extra:
        raise ValueError("approx21 recipe: expected the approx21 species plus exactly one "
                         f"of cr56/cr60 (and optionally co56); got extra {sorted(extra)}, "
                         f"cr sink {heavy}")
    heavy = pyna.Nucleus(heavy[0])
    intermediates = list(AP_PG_INTERMEDIATES) + list(NN_G_INTERMEDIATES)

    # 1. link list + intermediates (the Cr sink has no strong links: leave it out here)
    linked = [x for x in isotopes if x != heavy.raw] + intermediates
    net = helper_network(linked, tabular_ordering=tabular_ordering)

    # 2. heavy-ion proton channels
    fold_proton_channels(net)

    # 3. approximate rates
    net.make_ap_pg_approx(intermediate_nuclei=list(AP_PG_INTERMEDIATES))
    net.make_nn_g_approx(intermediate_nuclei=list(NN_G_INTERMEDIATES))

    # 4. drop the intermediates and every rate that still touches them
    net.remove_nuclei(intermediates)

    # 5. links ReacLib cannot give among these species
    ni56_ec = [r for r in net.rates
               if isinstance(r, pyna.rates.TabularWeakRate)
               and [x.raw for x in r.reactants] == ["ni56"]
               and [x.raw for x in r.products] == ["co56"]]
    if not ni56_ec:
        raise RuntimeError("approx21 recipe: no tabulated Ni56 electron capture found")
    if "co56" not in names:
        # approx21 without co56: MESA sends ni56 ec straight on (ni56 -> fe56);
        # not implemented here (needs a two-step effective weak rate).
        raise ValueError("approx21 recipe: only the *_plus_co56 variants are supported")
    net.rates.append(n14_alpha_link())
    net.rates.append(fake_fe56_ec(ni56_ec[0], heavy))
    net._build_collection()

    got = {x.raw for x in net.unique_nuclei}
    if got != names:
        raise RuntimeError(f"approx21 recipe: species {sorted(got ^ names)} differ from the list")
    return net


RECIPES = {"approx21": build_approx21}

__all__ = ["RECIPES", "build_approx21", "fold_proton_channels", "n14_alpha_link",
           "fake_fe56_ec", "AP_PG_INTERMEDIATES", "NN_G_INTERMEDIATES",
           "FE56EC_FAKE_FACTOR", "FE56EC_MIN_T"]
