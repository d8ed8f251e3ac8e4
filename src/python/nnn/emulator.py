"""``nnn.Emulator``: the emulator path of libnnn for Python.

A burn step that uses the trained emulator where it is trustworthy and the
integrator where it is not, in C++ (``nnn._emulator``, libtorch inference)::

    net = nnn.Network.load("mesa_80")
    em = nnn.Emulator.load("run/models", network=net)     # a directory, a file or a list
    r = em.burn(T=3e9, rho=1e8, X={"si28": 0.6, "s32": 0.4}, dt=1e-2)
    r.X, r.eps_nuc, r.used_fallback
    b = em.burn_batch(T, rho, X, dt=1e-2)                  # b.used_fallback[zone]

Per zone the emulator's answer is used only if ``dt`` is a trained dt (within
``dt_rtol`` relative; with ``chain_dt=True`` also a whole multiple of one, done
as repeated steps of the largest such dt), log10 T, log10 rho and Ye lie inside
the model's training domain, and the output is sane (finite, ``|sum X - 1| <=
sum_tolerance``, no ``X_i < -negative_tolerance``). Every other zone is burned
by the integrator over the whole dt; ``path`` says why (see :data:`PATHS`).
An untrained dt therefore means "integrator everywhere" unless ``chain_dt``.

Results are the engine's :class:`~nnn.network.core.BurnResult` /
:class:`~nnn.network.core.BatchResult` with ``used_fallback`` (and ``path``,
``n_emulator_steps``) added. ``n_steps`` counts integrator steps (0 for zones
the emulator did). Details: docs/emulator_runtime.md.
"""

from __future__ import annotations

import json
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

try:  # the process's libtorch first, so nnn._emulator binds to that one
    import torch  # noqa: F401
except ImportError:  # pragma: no cover - torch is a dependency; the module has an RPATH
    pass

from nnn.network.core import (DEFAULT_ATOL, DEFAULT_RTOL, BatchResult, BurnError, BurnResult,
                              Network, NnnError)

try:
    from nnn import _emulator
except ImportError as _e:  # pragma: no cover - an installation built before the emulator
    _emulator = None
    _IMPORT_ERROR = str(_e)

__all__ = ["Emulator", "EmulatorBurnResult", "EmulatorBatchResult", "EmulatorFileError",
           "PATHS", "has_libtorch"]

#: ``path`` values: 0 = emulator; > 0 = integrator, and why.
PATHS = {0: "emulator", 1: "fallback: outside the training domain (T, rho or Ye)",
         2: "fallback: dt not trained", 3: "fallback: emulator output failed the sanity check"}
EMULATOR, FALLBACK_DOMAIN, FALLBACK_DT, FALLBACK_SANITY = 0, 1, 2, 3
STATUS_EMULATOR_FILE = 4


class EmulatorFileError(NnnError):
    """A model file is missing, corrupt, or does not belong to the network
    (``args = (message, 4)``, status NNN_EMULATOR_FILE)."""


def has_libtorch() -> bool:
    """True if nnn was built with libtorch (else loading any model fails)."""
    return _emulator is not None and bool(_emulator.has_libtorch())


@dataclass
class EmulatorBurnResult(BurnResult):
    """:class:`BurnResult` of one zone plus which path produced it."""

    used_fallback: bool = False
    path: int = EMULATOR
    n_emulator_steps: int = 0


@dataclass
class EmulatorBatchResult(BatchResult):
    """:class:`BatchResult` plus per-zone ``used_fallback`` (bool), ``path``
    (int, see :data:`PATHS`) and ``n_emulator_steps``."""

    used_fallback: np.ndarray = None
    path: np.ndarray = None
    n_emulator_steps: np.ndarray = None


def _model_files(models) -> list[str]:
    if isinstance(models, (str, os.PathLike)):
        models = [models]
    return [str(Path(m)) for m in models]


def _peek_meta(path: str) -> dict | None:
    """nnn_meta.json of a model file (or the first *.pt of a directory), read
    from the zip archive without loading the model; None if not readable."""
    p = Path(path)
    if p.is_dir():
        files = sorted(p.glob("*.pt"))
        if not files:
            return None
        p = files[0]
    try:
        with zipfile.ZipFile(p) as z:
            for name in z.namelist():
                if name.endswith("/extra/nnn_meta.json"):
                    return json.loads(z.read(name))
    except (OSError, zipfile.BadZipFile, ValueError):
        return None
    return None


class Emulator:
    """Trained emulator models (one per dt) of one network, with fallback to
    the integrator. Load with :meth:`load`; see the module docstring."""

    def __init__(self, core, network: Network, *, sum_tolerance=1e-4, negative_tolerance=1e-6,
                 dt_rtol=1e-9, chain_dt=False, max_chain_steps=1000, threads=0,
                 batch_size=65536):
        self._core = core
        self.network = network
        self.sum_tolerance = float(sum_tolerance)
        self.negative_tolerance = float(negative_tolerance)
        self.dt_rtol = float(dt_rtol)
        self.chain_dt = bool(chain_dt)
        self.max_chain_steps = int(max_chain_steps)
        self.threads = int(threads)
        self.batch_size = int(batch_size)

    @classmethod
    def load(cls, models, network=None, *, device: str = "cpu", **config) -> "Emulator":
        """Load models: a ``.pt`` file, a directory of them, or a list of
        either. ``network``: an :class:`nnn.Network`, a network name or path,
        or None (the network named in the models' metadata). Raises
        :class:`EmulatorFileError` for a missing, corrupt or mismatched model.
        ``config``: sum_tolerance, negative_tolerance, dt_rtol, chain_dt,
        max_chain_steps, threads (libtorch intra-op threads, 0: default),
        batch_size."""
        if _emulator is None:
            raise ImportError(f"nnn was built without its emulator module nnn._emulator "
                              f"({_IMPORT_ERROR}); rebuild with pip install -e .")
        files = _model_files(models)
        if network is None:
            meta = _peek_meta(files[0]) if files else None
            if meta is None or "network" not in meta:
                raise EmulatorFileError(f"cannot tell the network of {files[0] if files else models!r}"
                                        f" (no readable nnn_meta.json): pass network=",
                                        STATUS_EMULATOR_FILE)
            network = meta["network"]
        if not isinstance(network, Network):
            network = Network.load(network)
        try:
            core = _emulator.Emulator.load(network._core, files, device)
        except NnnError as e:
            if len(e.args) > 1 and e.args[1] == STATUS_EMULATOR_FILE:
                raise EmulatorFileError(*e.args) from None
            raise
        return cls(core, network, **config)

    # -- description ------------------------------------------------------------
    @property
    def models(self) -> list[dict]:
        """Per model (sorted by dt): path, dt, domain, network, network_hash,
        isotopes, meta_json."""
        return self._core.models

    @property
    def dts(self) -> list[float]:
        return [m["dt"] for m in self._core.models]

    @property
    def isotopes(self) -> list[str]:
        return self.network.isotopes

    def domain(self, dt=None) -> dict:
        """Training domain {logT, logrho, Ye: (lo, hi)} of the model for dt
        (default: the first model)."""
        ms = self._core.models
        if dt is None:
            return ms[0]["domain"]
        i, _ = self._core.plan(float(dt), self.chain_dt, self.max_chain_steps, self.dt_rtol)
        if i < 0:
            raise ValueError(f"dt = {dt!r} s is not a trained dt (trained: {self.dts})")
        return ms[i]["domain"]

    def plan(self, dt) -> tuple[int, int]:
        """(model index, number of chained steps) for dt; (-1, 0): integrator."""
        return tuple(self._core.plan(float(dt), self.chain_dt, self.max_chain_steps, self.dt_rtol))

    def set_threads(self, n: int) -> None:
        """libtorch intra-op threads per inference call (0: libtorch's default)."""
        if int(n) < 0:
            raise ValueError(f"threads = {n} must be >= 0")
        self.threads = int(n)

    def __repr__(self):
        return (f"Emulator({self.network.name!r}, dt={self.dts}, "
                f"backend={_emulator.backend_version()!r})")

    # -- burning ----------------------------------------------------------------
    def _run(self, T, rho, X, dt, rtol, atol, max_steps, integrator, n_threads, chain_dt):
        if dt is None:
            raise ValueError("dt (s) is required")
        return self._core.burn(
            T, rho, X, float(dt), float(rtol), float(atol), int(max_steps), integrator,
            int(n_threads), self.sum_tolerance, self.negative_tolerance, self.dt_rtol,
            self.chain_dt if chain_dt is None else bool(chain_dt), self.max_chain_steps,
            self.threads, self.batch_size)

    def burn(self, T, rho, X, dt, *, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL, max_steps=500000,
             integrator="auto", chain_dt=None) -> EmulatorBurnResult:
        """One zone at T (K), rho (g/cm3) from X (array or {isotope: X}) over
        dt (s). rtol/atol/max_steps/integrator apply to the fallback. Raises
        ValueError for bad input and BurnError if the fallback integrator fails."""
        x = self.network.composition(X)[None, :]
        d = self._run(np.array([float(T)]), np.array([float(rho)]), x, dt, rtol, atol, max_steps,
                      integrator, 1, chain_dt)
        if d["status"][0] != 0:
            raise BurnError(d["message"][0], int(d["status"][0]))
        path = int(d["path"][0])
        return EmulatorBurnResult(
            X=d["X"][0], eps_nuc=float(d["eps_nuc"][0]), eps_nu=float(d["eps_nu"][0]),
            Ye=float(d["Ye"][0]), n_steps=int(d["n_steps"][0]), isotopes=self.network.isotopes,
            table_clamped=bool(d["table_clamped"][0]),
            used_fallback=path != EMULATOR, path=path,
            n_emulator_steps=int(d["n_emulator_steps"][0]))

    def burn_batch(self, T, rho, X, dt, *, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL,
                   max_steps=500000, integrator="auto", n_threads=0,
                   chain_dt=None) -> EmulatorBatchResult:
        """n zones (T, rho of shape (n,), X of shape (n, n_species)) over dt.
        Inference is batched (libtorch threads: ``threads``); fallback zones
        are burned on n_threads threads (0: all cores). The GIL is released.
        Fallback integrator failures are reported per zone in ``status``
        (X = X0, eps = 0 there); bad input raises ValueError."""
        T = np.atleast_1d(np.asarray(T, dtype=float))
        rho = np.atleast_1d(np.asarray(rho, dtype=float))
        X = np.asarray(X, dtype=float)
        if X.ndim == 1:
            X = X[None, :]
        d = self._run(T, rho, X, dt, rtol, atol, max_steps, integrator, n_threads, chain_dt)
        path = np.asarray(d["path"])
        return EmulatorBatchResult(
            X=d["X"], eps_nuc=d["eps_nuc"], eps_nu=d["eps_nu"], Ye=d["Ye"], n_steps=d["n_steps"],
            status=d["status"], table_clamped=np.asarray(d["table_clamped"], dtype=bool), message=d["message"],
            used_fallback=path != EMULATOR, path=path, n_emulator_steps=d["n_emulator_steps"])
