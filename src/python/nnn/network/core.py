"""Python face of the engine: ``nnn.Network`` and its burn results."""

from __future__ import annotations

import numbers
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from nnn import _core
from nnn.network.history import read_history
from nnn.network.paths import find_network

#: Raised for engine failures other than bad input (which raises ValueError).
NnnError = _core.NnnError


class BurnError(NnnError):
    """The integrator could not complete a burn (status and message attached)."""


#: MESA / alternative spellings of light species
_ALIASES = {"h1": "p", "prot": "p", "neut": "n", "h2": "d", "h3": "t"}

#: The engine's defaults, defined once in src/cpp/nnn/defaults.hpp.
DEFAULT_RTOL = _core.DEFAULTS["rtol"]
DEFAULT_ATOL = _core.DEFAULTS["atol"]
DEFAULT_MAX_STEPS = _core.DEFAULTS["max_steps"]
DEFAULT_INTEGRATOR = _core.DEFAULTS["integrator"]


def integer(name: str, value) -> int:
    """``value`` as an int, or ValueError naming ``name``: 3.9 is not silently made 3
    (burn options such as max_steps and n_threads)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} = {value!r} must be an integer")
    if not -2**63 <= int(value) < 2**63:
        raise ValueError(f"{name} = {value!r} is out of range")
    return int(value)


@dataclass
class BurnResult:
    """Result of one burn: at constant (T, rho), along a history, or self-heating.

    With ``dt``: ``X`` has shape (n_species,) and the energy terms are
    scalars. With ``times``: a leading axis of length len(times).

    - ``X``: mass fractions at the end (sum 1)
    - ``eps_nuc``: erg/g released over [0, t], weak-rate neutrino losses subtracted
    - ``eps_nu``: erg/g/s, neutrino loss of the tabulated weak rates averaged over [0, t]
    - ``Ye``: electron fraction at the end
    - ``T``: temperature (K) at the end (the input T of a constant burn)
    - ``eps_nu_thermal``: erg/g/s, thermal neutrino loss averaged over [0, t]
      (self-heating burns with ``thermal_neutrinos=True``; else 0)
    - ``mass_drift``: sum X - 1 before the engine renormalised X (largest over
      the output times): the integrator's mass error, hidden in ``X``
    """

    X: np.ndarray
    eps_nuc: float | np.ndarray
    eps_nu: float | np.ndarray
    Ye: float | np.ndarray
    n_steps: int
    n_rejected: int = 0
    table_clamped: bool = False
    status: int = 0
    message: str = ""
    isotopes: list = field(default_factory=list, repr=False)
    T: float | np.ndarray | None = None
    eps_nu_thermal: float | np.ndarray = 0.0
    mass_drift: float = 0.0
    #: work: right-hand sides (including those of Jacobians), Jacobian
    #: evaluations and LU factorisations of the iteration matrix
    n_rhs: int = 0
    n_jac: int = 0
    n_lu: int = 0

    def as_dict(self) -> dict:
        """X as {isotope: mass fraction} (final time)."""
        X = self.X if self.X.ndim == 1 else self.X[-1]
        return dict(zip(self.isotopes, X.tolist()))


@dataclass
class BatchResult:
    """Per-zone results of ``burn_batch``; arrays have a leading zone axis
    (and a time axis after it when ``times`` was given). ``status`` is 0 for
    zones that burned; nonzero zones carry ``message`` and report their
    initial state (X0, its Ye, the starting T, no energy), as the C ABI does."""

    X: np.ndarray
    eps_nuc: np.ndarray
    eps_nu: np.ndarray
    Ye: np.ndarray
    n_steps: np.ndarray
    status: np.ndarray
    table_clamped: np.ndarray
    message: list
    T: np.ndarray | None = None
    eps_nu_thermal: np.ndarray | None = None
    mass_drift: np.ndarray | None = None      # per zone, as BurnResult.mass_drift


class Network:
    """A reaction network loaded from ``network_data/NAME.net`` or a path.

    >>> net = Network.load("approx21_cr60_plus_co56")
    >>> r = net.burn(T=3.5e9, rho=1e8, X={"si28": 0.6, "s32": 0.4}, dt=1.0)
    """

    def __init__(self, core):
        self._core = core
        self.isotopes = list(core.isotopes)
        self.A = np.asarray(core.A, dtype=int)
        self.Z = np.asarray(core.Z, dtype=int)
        self._index = {name: i for i, name in enumerate(self.isotopes)}

    @classmethod
    def load(cls, name_or_path) -> "Network":
        return cls(_core.Network.load(str(find_network(name_or_path))))

    @property
    def name(self) -> str:
        return self._core.name

    @property
    def path(self) -> str:
        return self._core.path

    @property
    def file_hash(self) -> str:
        """sha256 of the network's data: the file's bytes without its ``data_sha256``
        line (network_data/FORMAT.md). Emulators record it."""
        return self._core.sha256

    @property
    def meta(self) -> dict:
        """Build options recorded in the file header."""
        return self._core.meta

    @property
    def mass_excess_MeV(self) -> np.ndarray:
        """Mass excess of each isotope (MeV), as pynucastro's ``Nucleus.dm``."""
        return np.asarray(self._core.mass_excess_MeV)

    @property
    def n_species(self) -> int:
        return len(self.isotopes)

    @property
    def n_rates(self) -> int:
        """Rates that are terms of dY/dt."""
        return int(self._core.n_rates)

    # -- sparsity (benchmarks/network_scaling.py) ------------------------------
    @property
    def jacobian_nonzeros(self) -> int:
        """Structural nonzeros of d(dY/dt)/dY, diagonal included: the pattern the LU starts from."""
        return int(self._core.jacobian_nonzeros)

    @property
    def lu_entries(self) -> int:
        """Entries of the LU factors (L + U, diagonal once) after the minimum-degree
        ordering: jacobian_nonzeros plus the fill."""
        return int(self._core.lu_nonzeros)

    @property
    def lu_order(self) -> np.ndarray:
        """The LU's elimination order: species index eliminated at each step."""
        return np.asarray(self._core.lu_order, dtype=int)

    def __len__(self):
        return len(self.isotopes)

    def __repr__(self):
        return f"Network({self.name!r}, {self.n_species} isotopes, {self._core.n_rates} rates)"

    # -- compositions ---------------------------------------------------------
    def composition(self, X) -> np.ndarray:
        """Mass fractions as an array in network order, from an array or a
        dict {isotope: X} (missing isotopes are 0)."""
        if isinstance(X, Mapping):
            out = np.zeros(self.n_species)
            for name, value in X.items():
                key = _ALIASES.get(str(name).lower(), str(name).lower())
                if key not in self._index:
                    raise ValueError(f"X: isotope {name!r} is not in network {self.name} "
                                     f"(isotopes: {', '.join(self.isotopes)})")
                out[self._index[key]] += float(value)
            return out
        arr = np.asarray(X, dtype=float)
        if arr.shape != (self.n_species,):
            raise ValueError(f"X has shape {arr.shape}, expected ({self.n_species},) for "
                             f"network {self.name}")
        return arr

    def molar(self, X) -> np.ndarray:
        """Molar abundances Y = X / A."""
        return self.composition(X) / self.A

    def Ye(self, X) -> float:
        X = self.composition(X)
        return float(np.sum(self.Z * X / self.A) / np.sum(X))

    # -- physics ----------------------------------------------------------------
    def rhs(self, T, rho, X=None, *, Y=None):
        """dY/dt (1/s) at (T, rho) and composition X (or molar Y)."""
        Y = self.molar(X) if Y is None else np.asarray(Y, dtype=float)
        return self._core.rhs(float(T), float(rho), Y)[0]

    def eps_nu_rate(self, T, rho, X=None, *, Y=None) -> float:
        """Instantaneous weak-rate neutrino loss (erg/g/s)."""
        Y = self.molar(X) if Y is None else np.asarray(Y, dtype=float)
        return self._core.rhs(float(T), float(rho), Y)[1]

    def jacobian(self, T, rho, X=None, *, Y=None, exact=False):
        """d(dY/dt)/dY (1/s) at (T, rho) and composition X (or molar Y).

        By default the rate values are held fixed, as in pynucastro's
        Jacobian; ``exact=True`` adds the Y_n dependence of the nn_g
        approximate rates (what the integrators use)."""
        Y = self.molar(X) if Y is None else np.asarray(Y, dtype=float)
        return self._core.jacobian(float(T), float(rho), Y, bool(exact))

    @staticmethod
    def _times(dt, times):
        if (dt is None) == (times is None):
            raise ValueError("give exactly one of dt (s) or times (s)")
        if times is None:
            _core.check_dt(float(dt))  # named dt, not the engine's times[0]
            return [float(dt)]
        return [float(t) for t in np.atleast_1d(times)]

    @staticmethod
    def _mode(T, rho, history, self_heating, thermal_neutrinos) -> str:
        """'constant', 'history' or 'self_heating' from burn()'s keywords."""
        if history is not None:
            if T is not None or rho is not None:
                raise ValueError("history gives T(t) and rho(t): do not pass T or rho with it")
            if self_heating:
                raise ValueError("self_heating=True and history are exclusive (a history "
                                 "prescribes T(t))")
            mode = "history"
        else:
            if T is None or rho is None:
                raise ValueError("give T (K) and rho (g/cm^3), or history=(t, T, rho)")
            mode = "self_heating" if self_heating else "constant"
        if thermal_neutrinos and mode != "self_heating":
            raise ValueError("thermal_neutrinos=True applies to self-heating burns only "
                             "(pass self_heating=True)")
        return mode

    def burn(self, T=None, rho=None, X=None, dt=None, *, times: Sequence[float] | None = None,
             history=None, self_heating=False, thermal_neutrinos=False,
             rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL, max_steps=DEFAULT_MAX_STEPS,
             integrator=DEFAULT_INTEGRATOR) -> BurnResult:
        """Burn one zone from X over dt (s), or through each of ``times``:

        - at constant T (K) and rho (g/cm3) (the default);
        - along ``history``: ``(t, T, rho)`` arrays or a tracer file (columns
          t T rho, '#' comments), interpolated linearly in log T and log rho
          between samples; it must cover [0, dt] (T, rho not given);
        - ``self_heating=True``: at constant rho from T, with T following the
          energy released through the EOS; ``thermal_neutrinos=True`` adds
          thermal neutrino cooling (reported in ``eps_nu_thermal``).

        ``rtol``/``atol`` apply to every mass fraction. Raises ValueError for
        bad input and BurnError if the integrator fails (or a self-heating T
        leaves the rates' range, or electron captures carry the zone past the
        network's physics: status 6, out of domain)."""
        tlist = self._times(dt, times)
        if X is None:
            raise ValueError("X (the initial composition) is required")
        mode = self._mode(T, rho, history, self_heating, thermal_neutrinos)
        x0 = self.composition(X)
        opts = (float(rtol), float(atol), integer("max_steps", max_steps), integrator)
        if mode == "history":
            t_h, T_h, rho_h = read_history(history)
            if t_h.ndim != 1:
                raise ValueError(f"history t has shape {t_h.shape}: burn takes one history "
                                 "(n_samples,); per-zone histories go to burn_batch")
            d = self._core.burn_history(t_h, T_h, rho_h, x0, tlist, *opts)
        elif mode == "self_heating":
            d = self._core.burn_self_heating(float(T), float(rho), x0, tlist, *opts,
                                             bool(thermal_neutrinos))
        else:
            d = self._core.burn(float(T), float(rho), x0, tlist, *opts)
        if d["status"] != 0:
            raise BurnError(d["message"], d["status"])
        single = times is None
        pick = (lambda a: a[0]) if single else (lambda a: a)
        scalar = (lambda a: float(a[0])) if single else (lambda a: a)
        return BurnResult(X=pick(d["X"]), eps_nuc=scalar(d["eps_nuc"]),
                          eps_nu=scalar(d["eps_nu"]), Ye=scalar(d["Ye"]), n_steps=d["n_steps"],
                          n_rejected=d["n_rejected"], table_clamped=d["table_clamped"],
                          isotopes=self.isotopes, T=scalar(d["T"]),
                          eps_nu_thermal=scalar(d["eps_nu_thermal"]),
                          mass_drift=float(d.get("mass_drift", 0.0)), n_rhs=d["n_rhs"],
                          n_jac=d["n_jac"], n_lu=d["n_lu"])

    def burn_batch(self, T=None, rho=None, X=None, dt=None, *, times=None, history=None,
                   self_heating=False, thermal_neutrinos=False, rtol=DEFAULT_RTOL,
                   atol=DEFAULT_ATOL, max_steps=DEFAULT_MAX_STEPS, integrator=DEFAULT_INTEGRATOR,
                   n_threads=0) -> BatchResult:
        """Burn n zones (T, rho of shape (n,), X of shape (n, n_species)) on
        n_threads threads (0: all cores), with the GIL released. ``history``
        and ``self_heating`` as in ``burn``; a history is shared by every zone
        ((n_samples,) arrays or a file) or given per zone ((n_zones,
        n_samples) arrays). Integrator failures are reported per zone in
        ``status``; bad input raises."""
        tlist = self._times(dt, times)
        if X is None:
            raise ValueError("X (the initial compositions) is required")
        mode = self._mode(T, rho, history, self_heating, thermal_neutrinos)
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X[None, :]
        opts = (float(rtol), float(atol), integer("max_steps", max_steps), integrator)
        n_threads = integer("n_threads", n_threads)
        if mode == "history":
            t_h, T_h, rho_h = read_history(history)
            d = self._core.burn_batch_history(t_h, T_h, rho_h, X, tlist, *opts, n_threads)
        else:
            T = np.atleast_1d(np.asarray(T, dtype=float))
            rho = np.atleast_1d(np.asarray(rho, dtype=float))
            if mode == "self_heating":
                d = self._core.burn_batch_self_heating(T, rho, X, tlist, *opts,
                                                       bool(thermal_neutrinos), n_threads)
            else:
                d = self._core.burn_batch(T, rho, X, tlist, *opts, n_threads)
        single = times is None
        pick = (lambda a: a[:, 0]) if single else (lambda a: a)
        return BatchResult(X=pick(d["X"]), eps_nuc=pick(d["eps_nuc"]), eps_nu=pick(d["eps_nu"]),
                           Ye=pick(d["Ye"]), n_steps=d["n_steps"], status=d["status"],
                           table_clamped=d["table_clamped"], message=d["message"],
                           T=pick(d["T"]), eps_nu_thermal=pick(d["eps_nu_thermal"]),
                           mass_drift=d["mass_drift"])
