"""Build a reaction network with pynucastro and write it as an nnn network file.

The file (format ``nnn-network 1``, documented in ``network_data/FORMAT.md``)
holds everything the C++ engine needs at run time, so pynucastro is only
needed here, at build time.

Rates are written as a flat list of *evaluators*. Each evaluator computes a
bare rate ``N_A <sigma v>`` (with screening) at (T, rho, composition); the
ones that are terms of dY/dt (``in_network 1``) also carry their
stoichiometry. Approximate rates (ap_pg, nn_g) refer to child evaluators by
index, exactly as pynucastro's ``ApproximateRate.eval`` combines them.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import numpy as np

FORMAT_VERSION = 1

#: The weak-rate table sources used by default.  pynucastro's default
#: ordering puts the Suzuki tables first; they end at T = 4.47e9 K and
#: rho*Ye = 1e7 g/cm3, inside the emulators' training domain.
DEFAULT_TABULAR_ORDERING = ("ffn", "oda", "pruet_fuller", "langanke")

#: Names used in MESA isotope lists that pynucastro spells differently.
_ALIASES = {"neut": "n", "prot": "p", "h1": "p"}


def read_isotope_list(path) -> list[str]:
    """Read one isotope a line (``#`` comments allowed), MESA aliases mapped,
    duplicates (e.g. ``h1`` and ``prot``) merged, order kept."""
    names = []
    for line in Path(path).read_text().splitlines():
        line = line.split("#")[0].strip().lower()
        if line:
            names.append(_ALIASES.get(line, line))
    return list(dict.fromkeys(names))


def helper_network(isotopes, *, tabular_ordering=DEFAULT_TABULAR_ORDERING):
    """The network pynucastro's ``network_helper`` links from ``isotopes``
    (ReacLib + tabulated weak rates + detailed balance)."""
    import pynucastro as pyna

    return pyna.network_helper(list(isotopes), use_detailed_balance=True,
                               use_tabular_rates=True,
                               tabular_ordering=list(tabular_ordering))


def _fmt(x: float) -> str:
    return repr(float(x))


class _Writer:
    """Collects rate evaluators and writes the token stream."""

    def __init__(self, net, name, options):
        import pynucastro as pyna
        from pynucastro.rates import (ApproximateRate, DerivedRate,
                                      ReacLibRate, TabularWeakRate)
        self.pyna = pyna
        self.kinds = {ReacLibRate: "reaclib", DerivedRate: "derived",
                      TabularWeakRate: "tabular", ApproximateRate: "approx"}
        self.net = net
        self.name = name
        self.options = options
        self.nuclei = list(net.unique_nuclei)
        self.index = {n: i for i, n in enumerate(self.nuclei)}
        self.evaluators = []     # list of Rate objects
        self.eval_index = {}     # id(rate) -> evaluator index
        self.in_network = set()  # evaluator indices that are terms of dY/dt

    # -- collection -------------------------------------------------------
    def _kind(self, rate):
        for cls, kind in self.kinds.items():
            if type(rate) is cls:
                return kind
        raise TypeError(f"rate {rate} has type {type(rate).__name__}, which the "
                        f"nnn engine does not implement")

    def add(self, rate, in_network):
        key = id(rate)
        if key not in self.eval_index:
            kind = self._kind(rate)
            if kind == "approx":
                for child in rate.rates.values():
                    self.add(child, in_network=False)
            if kind == "derived" and self._kind(rate.source_rate) != "reaclib":
                raise TypeError(f"derived rate {rate} comes from a "
                                f"{type(rate.source_rate).__name__}; only ReacLib sources "
                                "are supported")
            self.eval_index[key] = len(self.evaluators)
            self.evaluators.append(rate)
        if in_network:
            self.in_network.add(self.eval_index[key])

    # -- output -----------------------------------------------------------
    def write(self, out):
        pyna = self.pyna
        c = pyna.constants.constants
        w = out.write
        w(f"nnn-network {FORMAT_VERSION}\n")
        w(f"name {self.name}\n")
        for key, value in self.options.items():
            w(f"meta {key} {value}\n")
        consts = {"N_A": c.N_A, "MeV2erg": c.MeV2erg, "m_u_C18": c.m_u_C18,
                  "m_u_MeV": c.m_u_MeV_C18,
                  "q_e": c.q_e, "hbar": c.hbar, "k": c.k}
        w("constants " + str(len(consts)) + " " +
          " ".join(f"{k} {_fmt(v)}" for k, v in consts.items()) + "\n")

        w(f"isotopes {len(self.nuclei)}\n")
        for n in self.nuclei:
            w(f"{n.raw} {n.A} {n.Z} {_fmt(n.mass)} {_fmt(n.dm)}\n")

        # partition functions of every nucleus in a derived rate, including
        # intermediates approximated out of the network
        pf_nuclei = []
        for r in self.evaluators:
            if self._kind(r) == "derived":
                pf_nuclei += [n for n in r.source_rate.reactants + r.source_rate.products
                              if n.partition_function is not None]
        pf_nuclei = list(dict.fromkeys(pf_nuclei))
        self.pf_index = {n: j for j, n in enumerate(pf_nuclei)}
        w(f"partition_functions {len(pf_nuclei)}\n")
        for n in pf_nuclei:
            pf = n.partition_function
            pf.eval(1.0e9)  # builds the scipy spline lazily
            t, coef, k = pf._interpolant._eval_args
            ncoef = len(t) - k - 1
            w(f"pf {n.raw} {k} {len(t)} " + " ".join(map(_fmt, t)) + " "
              + " ".join(map(_fmt, coef[:ncoef])) + "\n")

        w(f"rates {len(self.evaluators)}\n")
        for i, r in enumerate(self.evaluators):
            self._write_rate(w, i, r)
        w("end\n")

    def _nuc_list(self, nuclei):
        return " ".join(str(self.index[n]) for n in nuclei)

    def _write_rate(self, w, i, r):
        kind = self._kind(r)
        in_net = i in self.in_network
        w(f"rate {i} {kind} {int(in_net)} {r.fname}\n")
        if in_net:
            # distinct nuclei with their counts (float: pynucastro allows
            # fractional stoichiometry) and, for reactants, the power of Y
            # in the dY/dt term
            reac = list(dict.fromkeys(r.reactants))
            prod = list(dict.fromkeys(r.products))
            ydot = [n for n in reac if n not in r.not_in_ydot_term]
            w(f"reactants {len(reac)} " + " ".join(
                f"{self.index[n]} {_fmt(r.reactant_count(n))}" for n in reac) + "\n")
            w(f"products {len(prod)} " + " ".join(
                f"{self.index[n]} {_fmt(r.product_count(n))}" for n in prod) + "\n")
            w(f"ydot {_fmt(r.prefactor)} {r.dens_exp} {int(bool(r.use_ye_weighting))} "
              f"{len(ydot)} " + " ".join(
                  f"{self.index[n]} {r.reactants.count(n)}" for n in ydot) + "\n")
        pairs = [] if kind in ("approx", "tabular") else r.screening_pairs
        w(f"screen {len(pairs)} " + " ".join(
            f"{a.Z} {a.A} {b.Z} {b.A}" for a, b in pairs) + "\n")
        if kind == "reaclib":
            self._write_sets(w, [s.a for s in r.sets])
        elif kind == "derived":
            self._write_sets(w, [s.a for s in r.derived_sets])
            pf = [(self.pf_index[n], +1) for n in r.source_rate.reactants if n in self.pf_index]
            pf += [(self.pf_index[n], -1) for n in r.source_rate.products if n in self.pf_index]
            w(f"pf_terms {len(pf)} " + " ".join(f"{j} {s}" for j, s in pf) + "\n")
        elif kind == "tabular":
            self._write_table(w, r)
        else:
            self._write_approx(w, r)

    @staticmethod
    def _write_sets(w, sets):
        w(f"sets {len(sets)}\n")
        for a in sets:
            w(" ".join(_fmt(x) for x in a) + "\n")

    def _write_table(self, w, r):
        from pynucastro.rates.tabular_rate import TableIndex
        ip = r.interpolator
        n_rhoy, n_t = ip.table_rhoy_lines, ip.table_temp_lines
        data = np.asarray(ip.data)
        w(f"table {n_rhoy} {n_t}\n")
        w(" ".join(map(_fmt, ip.rhoy)) + "\n")
        w(" ".join(map(_fmt, ip.temp)) + "\n")
        for col in (TableIndex.RATE, TableIndex.NU):
            w(" ".join(map(_fmt, data[:, col.value])) + "\n")

    def _write_approx(self, w, r):
        idx = {key: self.eval_index[id(rr)] for key, rr in r.rates.items()}
        if r.approx_type == "ap_pg":
            keys = ["A(a,g)B", "A(a,p)X", "X(p,g)B", "X(p,a)A", "X(p,Y)C",
                    "B(g,a)A", "B(g,p)X"]
        elif r.approx_type == "nn_g":
            keys = ["A(n,g)X", "X(n,g)B", "X(g,n)A", "B(g,n)X"]
        else:
            raise TypeError(f"approximation {r.approx_type} of {r} is not implemented "
                            "in the nnn engine")
        neutron = self.index.get(self.pyna.Nucleus("n"), -1)
        w(f"approx {r.approx_type} {int(r.is_reverse)} {neutron} " +
          " ".join(str(idx.get(k, -1)) for k in keys) + "\n")


#: The checksum line (network_data/FORMAT.md): ``meta data_sha256 HEX``, HEX the sha256
#: of the file's bytes with this one line removed. The loader verifies it; files
#: written before it existed have none and load unchecked.
CHECKSUM_PREFIX = "meta data_sha256 "


def with_checksum(text: str) -> str:
    """``text`` (a network file's content) with its checksum line, placed right after
    the ``name`` line; an existing checksum line is replaced."""
    lines = [ln for ln in text.splitlines(keepends=True) if not ln.startswith(CHECKSUM_PREFIX)]
    if len(lines) < 2 or not lines[1].startswith("name "):
        raise ValueError("not an nnn network file: the second line must be 'name NAME'")
    body = "".join(lines)
    digest = hashlib.sha256(body.encode("ascii")).hexdigest()
    return "".join(lines[:2]) + f"{CHECKSUM_PREFIX}{digest}\n" + "".join(lines[2:])


def write_network(net, path, *, name, options=None) -> str:
    """Write pynucastro network ``net`` to ``path``; return the sha256 of its data (the
    file without the checksum line: ``Network.file_hash`` and the checksum itself)."""
    import pynucastro as pyna
    opts = {"format_version": FORMAT_VERSION,
            "pynucastro_version": pyna.__version__,
            "reaclib_library": "reaclib_default2_20250330",
            "screening": "chugunov_2007"}
    opts.update(options or {})
    writer = _Writer(net, name, opts)
    for r in net.rates:
        writer.add(r, in_network=True)
    buf = io.StringIO()
    writer.write(buf)
    text = with_checksum(buf.getvalue())
    Path(path).write_text(text)
    return hashlib.sha256(buf.getvalue().encode()).hexdigest()  # the data's: Network.file_hash


def build_network(isotopes, path, *, name, tabular_ordering=DEFAULT_TABULAR_ORDERING,
                  approximate=None):
    """Build the network linking ``isotopes`` and write it to ``path``.

    ``approximate`` names a recipe in :mod:`nnn.network.recipes` applied after
    linking (e.g. ``"approx21"``); ``None`` keeps pynucastro's network as is.
    """
    options = {"isotopes": ",".join(isotopes),
               "use_detailed_balance": True, "use_tabular_rates": True,
               "tabular_ordering": ",".join(tabular_ordering),
               "recipe": approximate or "none"}
    if approximate:
        from nnn.network import recipes
        net = recipes.RECIPES[approximate](isotopes, tabular_ordering=tabular_ordering)
    else:
        net = helper_network(isotopes, tabular_ordering=tabular_ordering)
    import pynucastro as pyna
    linked = set(net.unique_nuclei)
    missing = sorted(i for i in isotopes if pyna.Nucleus.cast(i) not in linked)
    if missing:
        options["unlinked_isotopes"] = ",".join(missing)
    return write_network(net, path, name=name, options=options), net, missing


__all__ = ["build_network", "write_network", "with_checksum", "read_isotope_list", "helper_network",
           "DEFAULT_TABULAR_ORDERING", "FORMAT_VERSION"]
