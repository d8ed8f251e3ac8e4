"""``nnn.Emulator``: the emulator path of libnnn for Python (the runtime layer of
:mod:`nnn.emulate`).

A burn step that uses the trained emulator (format ``nnn-emulator-2``: one model
per network for every dt in its range) where it is trustworthy and the
integrator where it is not, in C++ (``nnn._emulator.Runtime`` over libnnn's
``nnn::emulator::Runtime``, libtorch inference)::

    em = nnn.Emulator.load("mesa_80")                      # the shipped model of a network
    em = nnn.Emulator.load("runs/m80/mesa_80.pt")          # a model file (network from its metadata)
    r = em.burn(T=3e9, rho=1e8, X={"si28": 0.6, "s32": 0.4}, dt=1e-2)
    r.X, r.eps_nuc, r.err, r.used_fallback, r.path
    b = em.burn_batch(T, rho, X, dt=1e-2)                  # b.path[zone], b.err[zone]

Per zone the emulator's answer is used only if log10 T, log10 rho, Ye and
log10 dt lie inside the model's domain, the model ran, and its output passes
the checks (sanity, ``max_error`` on the model's own error estimate, ``max_dye`` on
its Ye change, energy consistency, the weak-rate |dYe| bound). Every other zone is burned by the
integrator over the whole dt; ``path`` says why (see :data:`PATHS`).

Settings and their defaults are libnnn's (``nnn::emulator::Config``, their one
definition): :func:`default_config`; the fallback integrator's rtol, atol and max_steps
default to the engine's (``nnn._core.DEFAULTS``, from ``src/cpp/nnn/defaults.hpp``). Results are the engine's
:class:`~nnn.network.core.BurnResult` / :class:`~nnn.network.core.BatchResult`
with ``used_fallback``, ``path`` and ``err`` (the model's estimate of the eq-5
distance sum_i (Z_i/A_i)|X_i - X_i,true| for emulator zones, 0 for fallback
zones) added. ``n_steps`` counts integrator steps (0 for zones the emulator
did). Details: docs/emulator_runtime.md.
"""

from __future__ import annotations

import copy
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

try:  # the process's libtorch first, so nnn._emulator binds to that one
    import torch  # noqa: F401
except ImportError:  # pragma: no cover - torch is a dependency; the module has an RPATH
    pass

from nnn import _core
from nnn.emulate import model_file
from nnn.network.core import (DEFAULT_ATOL, DEFAULT_MAX_STEPS, DEFAULT_RTOL, BatchResult,
                              BurnError, BurnResult, Network, NnnError, integer)

try:
    from nnn import _emulator
except ImportError as _e:  # pragma: no cover - an installation built before the emulator
    _emulator = None
    _IMPORT_ERROR = str(_e)

__all__ = ["Emulator", "EmulatorBurnResult", "EmulatorBatchResult", "EmulatorFileError",
           "PATHS", "has_libtorch", "default_config", "resolve_model"]

#: ``path`` values (libnnn's enum): 0 = emulator; > 0 = integrator, and why.
EMULATOR, FALLBACK_DOMAIN, FALLBACK_DT, FALLBACK_SANITY = 0, 1, 2, 3
FALLBACK_ENERGY, FALLBACK_DYE, FALLBACK_ERROR, FALLBACK_MODEL = 4, 5, 6, 7
FALLBACK_YE_CHANGE = 8
PATHS = {
    EMULATOR: "emulator",
    FALLBACK_DOMAIN: "fallback: log T, log rho or Ye outside the model's domain",
    FALLBACK_DT: "fallback: dt outside the model's dt range",
    FALLBACK_SANITY: "fallback: output not finite, not normalised or negative",
    FALLBACK_ENERGY: "fallback: eps_nuc inconsistent with the composition change",
    FALLBACK_DYE: "fallback: |Ye - Ye0| above the weak-rate bound",
    FALLBACK_ERROR: "fallback: the model's error estimate above max_error",
    FALLBACK_MODEL: "fallback: the model failed at run time",
    FALLBACK_YE_CHANGE: "fallback: the step's |Ye - Ye0| / Ye0 above max_dye",
}
STATUS_EMULATOR_FILE = 4
#: The fallback integrator's default (the engine's, ``nnn._core.DEFAULTS``).
DEFAULT_INTEGRATOR = _core.DEFAULTS["integrator"]


class EmulatorFileError(NnnError):
    """A model file is missing, corrupt, of an old format, or does not belong
    to the network (``args = (message, 4)``, status NNN_EMULATOR_FILE)."""


def cpu_has_bf16() -> bool:
    """True if this CPU has bfloat16 matmul units (AVX512_BF16 or AMX), for which the
    shipped ``<network>_bf16`` models are made (docs/emulators.md, "Cost")."""
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except (AttributeError, NameError):  # another torch: assume yes rather than warn wrongly
        return True


def has_libtorch() -> bool:
    """True if nnn was built with libtorch (else loading any model fails)."""
    return _emulator is not None and bool(_emulator.has_libtorch())


def _need_module():
    if _emulator is None:
        raise ImportError(f"nnn was built without its emulator module nnn._emulator "
                          f"({_IMPORT_ERROR}); rebuild with pip install -e .")


def default_config() -> dict:
    """libnnn's emulator settings and their defaults (``nnn::emulator::Config``):
    sum_tolerance, negative_tolerance, max_error (0: no threshold), max_dye (the step's
    largest |Ye - Ye0| / Ye0 left to the model; 0: no threshold), check_energy,
    energy_rtol, energy_dx, check_dye, dye_safety, dye_atol, threads (libtorch
    intra-op threads per call; 0: libtorch's own), batch_size."""
    _need_module()
    return dict(_emulator.default_config())


def _check_path_codes():
    """The codes are libnnn's (``_emulator.PATH_CODES``): refuse to import if this list has
    drifted from them (a plain assert would vanish under ``python -O``)."""
    theirs = sorted(_emulator.PATH_CODES.values())
    if theirs != sorted(PATHS):
        raise ImportError(f"nnn.emulate.runtime.PATHS {sorted(PATHS)} differ from libnnn's path "
                          f"codes {theirs}: rebuild nnn (pip install -e .)")


if _emulator is not None:
    _check_path_codes()


@dataclass
class EmulatorBurnResult(BurnResult):
    """:class:`BurnResult` of one zone plus which path produced it and the
    model's error estimate (0 for a fallback zone)."""

    used_fallback: bool = False
    path: int = EMULATOR
    err: float = 0.0


@dataclass
class EmulatorBatchResult(BatchResult):
    """:class:`BatchResult` plus per-zone ``used_fallback`` (bool), ``path``
    (int, see :data:`PATHS`) and ``err``; ``model_error`` is why the model
    failed (zones with path FALLBACK_MODEL), else ""; ``inference_threads`` the
    libtorch intra-op threads the inference ran with (0: no zone reached it)."""

    used_fallback: np.ndarray = None
    path: np.ndarray = None
    err: np.ndarray = None
    model_error: str = ""
    inference_threads: int = 0


def resolve_model(model) -> Path:
    """A model file, or the shipped model ``emulators/<name>.pt`` of a network
    name (:func:`nnn.emulate.model_file.resolve_model_path`); EmulatorFileError
    if there is none."""
    try:
        return model_file.resolve_model_path(model)
    except FileNotFoundError as e:
        raise EmulatorFileError(str(e), STATUS_EMULATOR_FILE) from None


class Emulator:
    """The trained emulator of one network, with fallback to the integrator.
    Load with :meth:`load`; see the module docstring."""

    def __init__(self, core, network: Network, config: dict, meta: dict | None = None):
        self._core = core
        self.network = network
        self._config = default_config()
        self.set_config(**config)
        if meta is None:  # the record libnnn passed through, decoded once
            text = core.info["meta_json"]
            meta = model_file.parse_metadata(text, repr(core.info["path"])) if text else {}
        self._meta = meta
        if "bfloat16" in (meta.get("trunk_dtype"), meta.get("heads_dtype")) and not cpu_has_bf16():
            warnings.warn(f"emulator {core.info['path']!r} runs its network in bfloat16, which "
                          f"this CPU has no units for (avx512_bf16, amx_bf16): libtorch emulates "
                          f"it, slower than the float32 model {network.name!r}",
                          RuntimeWarning, stacklevel=3)

    @classmethod
    def load(cls, model, network=None, *, device: str = "cpu", **config) -> "Emulator":
        """Load a model: a ``.pt`` file, or a network name for its shipped model
        (``nnn.Emulator.load("mesa_80")``). ``network``: an :class:`nnn.Network`,
        a network name or path, or None (the network named in the model).
        Raises :class:`EmulatorFileError` for a missing, corrupt, old-format or
        mismatched model. ``config``: settings of :func:`default_config`."""
        _need_module()
        path = resolve_model(model)
        meta = None
        if network is None:  # the network named in the model's metadata
            try:
                meta = model_file.read_metadata(path)
            except (OSError, ValueError) as e:
                raise EmulatorFileError(f"emulator {e}", STATUS_EMULATOR_FILE) from None
            network = meta.get("network")
            if not network:
                raise EmulatorFileError(f"cannot tell the network of model {str(path)!r} (its "
                                        f"{model_file.META_NAME} names none): pass network=",
                                        STATUS_EMULATOR_FILE)
        if not isinstance(network, Network):
            network = Network.load(network)
        try:
            core = _emulator.Runtime.load(network._core, str(path), device)
        except NnnError as e:
            if len(e.args) > 1 and e.args[1] == STATUS_EMULATOR_FILE:
                raise EmulatorFileError(*e.args) from None
            raise
        return cls(core, network, config, meta)

    # -- description ------------------------------------------------------------
    @property
    def info(self) -> dict:
        """path, network, network_hash, format, isotopes, domain, meta_json."""
        return self._core.info

    @property
    def meta(self) -> dict:
        """The model's whole metadata record (nnn_meta.json: training, metrics); a copy."""
        return copy.deepcopy(self._meta)

    @property
    def domain(self) -> dict:
        """{logT, logrho, Ye, logdt: (lo, hi)}: log10 T (K), log10 rho (g/cm3), Ye,
        log10 dt (s)."""
        return self._core.info["domain"]

    @property
    def dt_range(self) -> tuple[float, float]:
        """(dt_min, dt_max) in s: the dts the model emulates."""
        lo, hi = self.domain["logdt"]
        return 10.0 ** lo, 10.0 ** hi

    @property
    def isotopes(self) -> list[str]:
        return self.network.isotopes

    @property
    def config(self) -> dict:
        """This emulator's settings (a copy); change them with :meth:`set_config`."""
        return dict(self._config)

    def set_config(self, **settings) -> None:
        """Change settings (names of :func:`default_config`); ValueError names an
        unknown or invalid one and nothing changes."""
        new = dict(self._config)
        for k, v in settings.items():
            if k not in new:
                raise ValueError(f"unknown emulator setting {k!r} (settings: {sorted(new)})")
            new[k] = v
        self._config = dict(_emulator.check_config(new))

    def set_threads(self, n: int) -> None:
        """libtorch intra-op threads per inference call (0: libtorch's own; the default is
        ``default_config()["threads"]``, libnnn's ``Config::torch_threads``)."""
        self.set_config(threads=n)

    @property
    def threads(self) -> int:
        return int(self._config["threads"])

    def dye_rate_bound(self, T, rho, X) -> float:
        """The weak-rate bound of |dYe|/dt (1/s) at (T, rho, X): the |dYe| check
        accepts |Ye - Ye0| <= dye_safety * dt * this + dye_atol."""
        return float(self._core.dye_rate_bound(float(T), float(rho),
                                               np.asarray(self.network.composition(X), float)))

    def __repr__(self):
        lo, hi = self.dt_range
        return (f"Emulator({self.network.name!r}, dt {lo:g}..{hi:g} s, "
                f"backend={_emulator.backend_version()!r})")

    # -- burning ----------------------------------------------------------------
    def _run(self, T, rho, X, dt, rtol, atol, max_steps, integrator, n_threads):
        if dt is None:
            raise ValueError("dt (s) is required")
        return self._core.burn(T, rho, X, float(dt), float(rtol), float(atol),
                               integer("max_steps", max_steps), integrator,
                               integer("n_threads", n_threads), self._config)

    def burn(self, T, rho, X, dt, *, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL,
             max_steps=DEFAULT_MAX_STEPS, integrator=DEFAULT_INTEGRATOR) -> EmulatorBurnResult:
        """One zone at T (K), rho (g/cm3) from X (array or {isotope: X}) over
        dt (s). rtol/atol/max_steps/integrator apply to the fallback. Raises
        ValueError for bad input and BurnError if the fallback integrator fails."""
        x = self.network.composition(X)[None, :]
        d = self._run(np.array([float(T)]), np.array([float(rho)]), x, dt, rtol, atol, max_steps,
                      integrator, 1)
        if d["status"][0] != 0:
            raise BurnError(d["message"][0], int(d["status"][0]))
        path = int(d["path"][0])
        return EmulatorBurnResult(
            X=d["X"][0], eps_nuc=float(d["eps_nuc"][0]), eps_nu=float(d["eps_nu"][0]),
            Ye=float(d["Ye"][0]), n_steps=int(d["n_steps"][0]), isotopes=self.network.isotopes,
            table_clamped=bool(d["table_clamped"][0]),
            used_fallback=path != EMULATOR, path=path, err=float(d["err"][0]))

    def burn_batch(self, T, rho, X, dt, *, rtol=DEFAULT_RTOL, atol=DEFAULT_ATOL,
                   max_steps=DEFAULT_MAX_STEPS, integrator=DEFAULT_INTEGRATOR, n_threads=0) -> EmulatorBatchResult:
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
        d = self._run(T, rho, X, dt, rtol, atol, max_steps, integrator, n_threads)
        path = np.asarray(d["path"])
        return EmulatorBatchResult(
            X=d["X"], eps_nuc=d["eps_nuc"], eps_nu=d["eps_nu"], Ye=d["Ye"], n_steps=d["n_steps"],
            status=d["status"], table_clamped=np.asarray(d["table_clamped"], dtype=bool),
            message=d["message"], used_fallback=path != EMULATOR, path=path, err=d["err"],
            model_error=d["model_error"], inference_threads=int(d["inference_threads"]))
