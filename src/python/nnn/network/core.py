"""Python face of the engine: ``nnn.Network`` and its burn results."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

from nnn import _core
from nnn.network.paths import find_network

#: Raised for engine failures other than bad input (which raises ValueError).
NnnError = _core.NnnError


class BurnError(NnnError):
    """The integrator could not complete a burn (status and message attached)."""


#: MESA / alternative spellings of light species
_ALIASES = {"h1": "p", "prot": "p", "neut": "n", "h2": "d", "h3": "t"}

DEFAULT_RTOL = 1e-8
DEFAULT_ATOL = 1e-12


@dataclass
class BurnResult:
    """Result of one burn at constant (T, rho).

    With ``dt``: ``X`` has shape (n_species,) and the energy terms are
    scalars. With ``times``: a leading axis of length len(times).

    - ``X``: mass fractions at the end (sum 1)
    - ``eps_nuc``: erg/g released over [0, t], weak-rate neutrino losses subtracted
    - ``eps_nu``: erg/g/s, neutrino loss of the tabulated weak rates averaged over [0, t]
    - ``Ye``: electron fraction at the end
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

    def as_dict(self) -> dict:
        """X as {isotope: mass fraction} (final time)."""
        X = self.X if self.X.ndim == 1 else self.X[-1]
        return dict(zip(self.isotopes, X.tolist()))


@dataclass
class BatchResult:
    """Per-zone results of ``burn_batch``; arrays have a leading zone axis
    (and a time axis after it when ``times`` was given). ``status`` is 0 for
    zones that burned; nonzero zones carry ``message``."""

    X: np.ndarray
    eps_nuc: np.ndarray
    eps_nu: np.ndarray
    Ye: np.ndarray
    n_steps: np.ndarray
    status: np.ndarray
    table_clamped: np.ndarray
    message: list


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
        """sha256 of the network file."""
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
        return [float(dt)] if times is None else [float(t) for t in np.atleast_1d(times)]

    def burn(self, T, rho, X, dt=None, *, times: Sequence[float] | None = None,
             rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL, max_steps=500000,
             integrator="auto") -> BurnResult:
        """Burn one zone at constant T (K) and rho (g/cm3) from X over dt (s),
        or through each of ``times``. ``rtol``/``atol`` apply to every mass
        fraction. Raises ValueError for bad input and BurnError if the
        integrator fails."""
        tlist = self._times(dt, times)
        d = self._core.burn(float(T), float(rho), self.composition(X), tlist,
                            float(rtol), float(atol), int(max_steps), integrator)
        if d["status"] != 0:
            raise BurnError(d["message"], d["status"])
        single = times is None
        pick = (lambda a: a[0]) if single else (lambda a: a)
        return BurnResult(X=pick(d["X"]), eps_nuc=float(d["eps_nuc"][0]) if single else d["eps_nuc"],
                          eps_nu=float(d["eps_nu"][0]) if single else d["eps_nu"],
                          Ye=float(d["Ye"][0]) if single else d["Ye"], n_steps=d["n_steps"],
                          n_rejected=d["n_rejected"], table_clamped=d["table_clamped"],
                          isotopes=self.isotopes)

    def burn_batch(self, T, rho, X, dt=None, *, times=None, rtol=DEFAULT_RTOL,
                   atol=DEFAULT_ATOL, max_steps=500000, integrator="auto",
                   n_threads=0) -> BatchResult:
        """Burn n zones (T, rho of shape (n,), X of shape (n, n_species)) on
        n_threads threads (0: all cores), with the GIL released. Integrator
        failures are reported per zone in ``status``; bad input raises."""
        tlist = self._times(dt, times)
        T = np.atleast_1d(np.asarray(T, dtype=float))
        rho = np.atleast_1d(np.asarray(rho, dtype=float))
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X[None, :]
        d = self._core.burn_batch(T, rho, X, tlist, float(rtol), float(atol), int(max_steps),
                                  integrator, int(n_threads))
        single = times is None
        pick = (lambda a: a[:, 0]) if single else (lambda a: a)
        return BatchResult(X=pick(d["X"]), eps_nuc=pick(d["eps_nuc"]), eps_nu=pick(d["eps_nu"]),
                           Ye=pick(d["Ye"]), n_steps=d["n_steps"], status=d["status"],
                           table_clamped=d["table_clamped"], message=d["message"])
