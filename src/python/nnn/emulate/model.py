"""The NNN model, its TorchScript export and checked loading.

Architecture (Grichener et al. 2025): input (log T, log rho, X0) -> ``depth`` hidden layers
with ReLU, the first ``first`` wide and the others ``width`` wide (paper: 1024, 2048 and
depth 12 for mesa_80, 9 for mesa_151) -> ``n_iso + 2`` outputs: a log-softmax over the
composition and the two normalised energy terms.

Three optional refinements (all on by default, all switchable; see docs/emulators.md):

* ``log_inputs``: the input layer also sees log10(max(X0, x_floor)) (scaled to about
  [-1, 1]), so trace abundances are visible to the network;
* ``residual``: the composition logits are ``h_i + s_i ln max(X0_i, x_floor)`` with a
  learned per-isotope ``s_i`` (initialised to 1): at short dt the network only has to learn
  the change of the composition;
* ``ye_head``: one more output predicts Delta Ye (normalised); the composition is tilted,
  X_i ~ p_i exp(lam Z_i/A_i), so that its Ye is exactly Ye0 + Delta Ye (4 Newton steps in
  the module).  Ye changes only through weak rates and is small and smooth; predicting it
  separately keeps the Ye error far below what 80 independent abundances would give;
* ``eps_from_x`` (off by default): eps_nuc is not a free output but follows from the
  predicted composition by energy conservation, sum_i (X0_i - X_i) q_i - eps_nu dt with
  q_i = (mass excess_i / A_i) N_A MeV -- the engine's own definition (checked to 2e-10).

The scripted module takes raw physical inputs ``[log10 T, log10 rho, X_1..X_n]`` (float32,
shape (N, 2 + n_iso)) and returns ``[X_1..X_n, eps_nuc, eps_nu]`` in physical units
(erg/g released over dt, erg/g/s averaged over dt); all normalisation lives in the module.
The file carries ``nnn_meta.json`` (format ``nnn-emulator-1``) with the isotope list,
network name and hash, dt, training domain, architecture, normalisation and training record.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path
from typing import Tuple

import numpy as np
import torch
from torch import nn

FORMAT = "nnn-emulator-1"
META_NAME = "nnn_meta.json"
EPS_LINEAR, EPS_ASINH = 0, 1


def default_threads() -> int:
    """CPU threads for torch: half the cores (at least 1).  On a loaded 2-core machine torch's
    default (all cores) was measured 40x slower than 1 thread for the small model because its
    OpenMP threads spin against other processes; half the cores avoids that."""
    import os

    return max(1, (os.cpu_count() or 2) // 2)


def set_threads(n=None) -> int:
    n = int(n) if n else default_threads()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


class ModelMismatchError(ValueError):
    """A model file does not belong to the network it is used with."""


class Emulator(nn.Module):
    """MLP emulator of one burn step; see the module docstring."""

    def __init__(self, n_iso: int, first: int = 1024, width: int = 2048, depth: int = 12,
                 log_inputs: bool = True, residual: bool = True, x_floor: float = 1e-14,
                 logT_range=(9.2, 9.8), logrho_range=(7.0, 9.5),
                 eps_mode: int = EPS_LINEAR, eps_scale=(1.0, 1.0), ye_head: bool = True,
                 zeta=None, ye_scale: float = 1.0, eps_from_x: bool = False, q=None,
                 dt: float = 0.0, ye_asinh: bool = False):
        super().__init__()
        if depth < 1 or first < 1 or width < 1:
            raise ValueError(f"depth, first and width must be >= 1, got {depth}, {first}, "
                             f"{width}")
        self.n_iso = int(n_iso)
        self.log_inputs = bool(log_inputs)
        self.residual = bool(residual)
        self.eps_mode = int(eps_mode)
        n_in = 2 + n_iso * (2 if log_inputs else 1)
        dims = [n_in, first] + [width] * (depth - 1)
        layers = []
        for a, b in zip(dims[:-1], dims[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        self.ye_head = bool(ye_head)
        layers.append(nn.Linear(dims[-1], n_iso + 2 + (1 if ye_head else 0)))
        self.mlp = nn.Sequential(*layers)
        self.skip = nn.Parameter(torch.ones(n_iso) if residual else torch.zeros(n_iso),
                                 requires_grad=bool(residual))
        center = torch.tensor([sum(logT_range) / 2, sum(logrho_range) / 2])
        half = torch.tensor([(logT_range[1] - logT_range[0]) / 2,
                             (logrho_range[1] - logrho_range[0]) / 2])
        self.register_buffer("in_center", center.float())
        self.register_buffer("in_half", half.float())
        self.register_buffer("log_floor", torch.tensor(math.log(x_floor)).float())
        self.register_buffer("eps_scale", torch.tensor(list(eps_scale), dtype=torch.float32))
        z = torch.zeros(n_iso) if zeta is None else torch.tensor(list(zeta), dtype=torch.float32)
        self.register_buffer("zeta", z.float())
        self.ye_asinh = bool(ye_asinh)
        self.zlo = float(z.min()) + 1e-4
        self.zhi = float(z.max()) - 1e-4
        self.register_buffer("ye_scale", torch.tensor(float(ye_scale)).float())
        self.eps_from_x = bool(eps_from_x)
        qq = torch.zeros(n_iso) if q is None else torch.tensor(list(q), dtype=torch.float64)
        self.register_buffer("q", qq.double())
        self.dt = float(dt)

    # normalised space ---------------------------------------------------------------
    def features(self, x: torch.Tensor) -> torch.Tensor:
        th = (x[:, :2] - self.in_center) / self.in_half
        x0 = x[:, 2:]
        if self.log_inputs:
            lx = torch.clamp(torch.log(torch.clamp(x0, min=1e-37)), min=self.log_floor)
            lx = 1.0 + 2.0 * lx / (-self.log_floor)  # [log_floor, 0] -> [-1, 1]
            return torch.cat([th, x0, lx], dim=1)
        return torch.cat([th, x0], dim=1)

    @torch.jit.export
    def forward_all(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(ln X (N, n_iso), normalised eps (N, 2), normalised Delta Ye (N,)) from raw
        inputs.  With the Ye head, the composition is tilted, X_i ~ p_i exp(lam zeta_i)
        (zeta = Z/A), with lam solved by Newton so that its Ye equals
        Ye0 + Delta Ye_pred exactly: the electron fraction, which only weak rates change,
        is predicted as a small separate quantity instead of emerging from 80 abundances."""
        h = self.mlp(self.features(x))
        n = self.n_iso
        logits = h[:, :n]
        if self.residual:
            lx0 = torch.clamp(torch.log(torch.clamp(x[:, 2:], min=1e-37)), min=self.log_floor)
            logits = logits + self.skip * lx0
        logp = torch.log_softmax(logits, dim=1)
        dye = torch.zeros_like(h[:, 0])
        if self.ye_head:
            dye = h[:, n + 2]
            ye0 = x[:, 2:] @ self.zeta / torch.clamp(x[:, 2:].sum(dim=1), min=1e-30)
            d = torch.sinh(dye) if self.ye_asinh else dye
            ye_t = torch.clamp(ye0 + d * self.ye_scale, min=self.zlo, max=self.zhi)
            lam = torch.zeros_like(ye_t)
            for _ in range(4):
                q = torch.softmax(logp + lam[:, None] * self.zeta, dim=1)
                m = q @ self.zeta
                v = torch.clamp(q @ (self.zeta * self.zeta) - m * m, min=1e-8)
                lam = lam + torch.clamp((ye_t - m) / v, min=-20.0, max=20.0)
            logp = torch.log_softmax(logp + lam[:, None] * self.zeta, dim=1)
        e = h[:, n:n + 2]
        if self.eps_from_x:
            # energy conservation: eps_nuc = sum_i (X0_i - X_i) q_i - eps_nu dt with
            # q_i = mass excess_i / A_i * N_A * MeV (float64: X0 - X is small at short dt)
            dx = x[:, 2:].double() - torch.exp(logp.double())
            nu = self.eps_physical(e[:, 1:2]).double()[:, 0]
            en = (dx @ self.q - nu * self.dt).float()
            e = torch.stack([self.eps_normal(en, 0), e[:, 1]], dim=1)
        return logp, e, dye

    @torch.jit.export
    def eps_normal(self, v: torch.Tensor, k: int) -> torch.Tensor:
        if self.eps_mode == 1:
            return torch.asinh(v / self.eps_scale[k])
        return v / self.eps_scale[k]

    @torch.jit.export
    def forward_normalised(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(ln X (N, n_iso), normalised eps (N, 2)) from raw inputs."""
        logp, e, dye = self.forward_all(x)
        return logp, e

    @torch.jit.export
    def eps_physical(self, e: torch.Tensor) -> torch.Tensor:
        """Normalised -> physical for eps columns (N, 2), or (N, 1) = eps_nu alone."""
        s = self.eps_scale if e.shape[1] == 2 else self.eps_scale[1:]
        if self.eps_mode == 1:
            return torch.sinh(e) * s
        return e * s

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        logx, e = self.forward_normalised(x)
        return torch.cat([torch.exp(logx), self.eps_physical(e)], dim=1)


def eps_normalise(e: np.ndarray, mode: int, scale: np.ndarray) -> np.ndarray:
    """Physical (N, 2) -> normalised, the inverse of ``Emulator.eps_physical``."""
    if mode == EPS_ASINH:
        return np.arcsinh(e / scale)
    return e / scale


def eps_scales(eps: np.ndarray, mode: int) -> np.ndarray:
    """Scales for (eps_nuc, eps_nu) from training data (N, 2).

    linear: the mean |eps| (so the L1 loss is the paper's metric up to a constant);
    asinh: the median |eps| (relative accuracy above it, absolute below)."""
    a = np.abs(eps)
    s = np.median(a, axis=0) if mode == EPS_ASINH else a.mean(axis=0)
    return np.where(s > 0, s, 1.0)


def build(n_iso: int, arch: dict, norm: dict) -> Emulator:
    return Emulator(n_iso, first=arch["first"], width=arch["width"], depth=arch["depth"],
                    log_inputs=arch.get("log_inputs", True), residual=arch.get("residual", True),
                    x_floor=norm["x_floor"], logT_range=norm["logT_range"],
                    logrho_range=norm["logrho_range"], eps_mode=norm["eps_mode"],
                    eps_scale=norm["eps_scale"], ye_head=arch.get("ye_head", False),
                    zeta=norm.get("zeta"), ye_scale=norm.get("ye_scale", 1.0),
                    eps_from_x=arch.get("eps_from_x", False), q=norm.get("q"),
                    dt=norm.get("dt", 0.0), ye_asinh=norm.get("ye_mode") == "asinh")


def n_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------- export / load


def model_filename(network: str, dt: float) -> str:
    return f"{network}_dt{dt:.0e}.pt"


def export(model: Emulator, path, meta: dict):
    """Script ``model`` and save it with ``nnn_meta.json``; returns the path."""
    meta = dict(meta)
    meta["format"] = FORMAT
    required = ("network", "network_hash", "isotopes", "dt", "domain", "architecture",
                "normalisation", "training")
    missing = [k for k in required if k not in meta]
    if missing:
        raise ValueError(f"model metadata lacks {missing}")
    if len(meta["isotopes"]) != model.n_iso:
        raise ValueError(f"metadata has {len(meta['isotopes'])} isotopes, model {model.n_iso}")
    m = model.to("cpu").eval()
    scripted = torch.jit.script(m)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with warnings.catch_warnings():  # TorchScript is the format libnnn (C++) loads
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(scripted, str(tmp), _extra_files={META_NAME: json.dumps(meta)})
    tmp.replace(path)
    return path


class LoadedModel:
    """A scripted emulator and its metadata; ``predict`` works in physical units."""

    def __init__(self, module, meta: dict, path: str):
        self.module = module
        self.meta = meta
        self.path = path
        self.isotopes = list(meta["isotopes"])
        self.dt = float(meta["dt"])
        self.network = meta["network"]
        self.network_hash = meta["network_hash"]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x)

    def predict(self, logT, logrho, X0, batch_size: int = 65536) -> dict:
        """Numpy in, numpy out: X (n, n_iso), eps_nuc (n,), eps_nu (n,)."""
        X0 = np.atleast_2d(np.asarray(X0, dtype=np.float32))
        n = X0.shape[0]
        if X0.shape[1] != len(self.isotopes):
            raise ValueError(f"X0 has {X0.shape[1]} columns, the model expects "
                             f"{len(self.isotopes)} isotopes")
        x = np.empty((n, 2 + X0.shape[1]), np.float32)
        x[:, 0] = np.broadcast_to(np.asarray(logT, np.float32), (n,))
        x[:, 1] = np.broadcast_to(np.asarray(logrho, np.float32), (n,))
        x[:, 2:] = X0
        outs = []
        with torch.inference_mode():
            for s in range(0, n, batch_size):
                outs.append(self.module(torch.from_numpy(x[s:s + batch_size])).numpy())
        y = np.concatenate(outs) if outs else np.zeros((0, X0.shape[1] + 2), np.float32)
        k = len(self.isotopes)
        return {"X": y[:, :k].astype(float), "eps_nuc": y[:, k].astype(float),
                "eps_nu": y[:, k + 1].astype(float)}


def read_meta(path) -> dict:
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"model file {str(path)!r} does not exist")
    extra = {META_NAME: ""}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            module = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
    except Exception as e:  # torch raises RuntimeError / ValueError for non-archives
        raise ValueError(f"{str(path)!r} is not a TorchScript model file: "
                         f"{str(e).splitlines()[0]}") from None
    if not extra[META_NAME]:
        raise ValueError(f"{str(path)!r} has no {META_NAME}: not an nnn emulator file")
    meta = json.loads(extra[META_NAME])
    if meta.get("format") != FORMAT:
        raise ValueError(f"{str(path)!r} has format {meta.get('format')!r}, expected {FORMAT!r}")
    return module, meta


def check_network(meta: dict, network, path="model") -> None:
    """Raise :class:`ModelMismatchError` unless ``network`` (an ``nnn.Network``, or a dict
    with ``name``, ``file_hash``, ``isotopes``) is the network the model was trained on."""
    if isinstance(network, dict):
        name, h, iso = network.get("name"), network.get("file_hash"), network.get("isotopes")
    else:
        name, h, iso = network.name, network.file_hash, list(network.isotopes)
    if list(iso) != list(meta["isotopes"]):
        a, b = set(meta["isotopes"]), set(iso)
        detail = (f"only in the model: {sorted(a - b)[:8]}, only in the network: "
                  f"{sorted(b - a)[:8]}" if a != b else "same isotopes in a different order")
        raise ModelMismatchError(
            f"{path} was trained on network {meta['network']!r} ({len(meta['isotopes'])} "
            f"isotopes) and cannot be used with network {name!r} ({len(iso)} isotopes): "
            f"{detail}")
    if h != meta["network_hash"]:
        raise ModelMismatchError(
            f"{path} was trained on network {meta['network']!r} with file hash "
            f"{meta['network_hash'][:16]}..., but network {name!r} has hash {str(h)[:16]}...: "
            "the network file changed since training; retrain or load the original file")


def load_model(path, network=None) -> LoadedModel:
    """Load an exported emulator; with ``network`` (an ``nnn.Network``, its name or path),
    check that it is the network the model was trained on (else ModelMismatchError)."""
    module, meta = read_meta(path)
    if network is not None:
        if isinstance(network, (str, Path)):
            from nnn.emulate.burn import load_network

            network = load_network(network)
        check_network(meta, network, path=f"model {str(path)!r}")
    module.eval()
    return LoadedModel(module, meta, str(path))


def find_models(path) -> list:
    """Model files in a directory (or the file itself), sorted by dt."""
    p = Path(path)
    if p.is_file():
        return [p]
    if not p.is_dir():
        raise FileNotFoundError(f"no model file or directory at {str(p)!r}")
    files = sorted(p.glob("*.pt"))
    if not files:
        raise FileNotFoundError(f"no *.pt model files in {str(p)!r}")
    return sorted(files, key=lambda f: read_meta(f)[1]["dt"])
