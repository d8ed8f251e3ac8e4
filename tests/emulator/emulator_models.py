"""Helpers of the emulator-path tests: tiny TorchScript models that follow the
model-file contract of ``python -m nnn.train`` (one file per dt, physical units,
``nnn_meta.json`` with isotopes, network hash, dt and training domain), made
here in a few milliseconds instead of trained.

The composition head is a softmax over ``small logits + ln X0`` (so the output
is a plausible, normalised composition near X0); the energy head is linear.
Optional "marked" bands of log10 T make the model emit NaN, or an
un-normalised composition, so that the sanity fallback can be tested zone by
zone.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn

import nnn

SMALL = "approx21_cr60_plus_co56"
DOMAIN = {"logT": [9.2, 9.8], "logrho": [7.0, 9.5], "Ye": [0.47, 0.505]}
DT = 1e-2
NAN_BAND = (9.490, 9.492)     # log10 T: the NaN model returns NaN here (T ~ 3.095e9 K)
BADSUM_BAND = (9.600, 9.602)  # log10 T: X scaled by 1.01 (T ~ 3.99e9 K)


class TinyEmulator(nn.Module):
    """A contract-conforming model: [log10 T, log10 rho, X] -> [X, eps_nuc, eps_nu]."""

    def __init__(self, n_iso: int, hidden: int = 16, nan_band=(0.0, -1.0),
                 badsum_band=(0.0, -1.0), eps_scale=(1e16, 1e12), seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.n_iso = n_iso
        self.l1 = nn.Linear(2 + n_iso, hidden)
        self.l2 = nn.Linear(hidden, n_iso + 2)
        with torch.no_grad():
            for p in self.parameters():
                p.copy_(torch.randn(p.shape, generator=g) * 0.5)
        self.register_buffer("in_center", torch.tensor([9.5, 8.25]))
        self.register_buffer("in_half", torch.tensor([0.3, 1.25]))
        self.register_buffer("nan_band", torch.tensor(list(nan_band), dtype=torch.float32))
        self.register_buffer("badsum_band", torch.tensor(list(badsum_band), dtype=torch.float32))
        self.register_buffer("eps_scale", torch.tensor(list(eps_scale), dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        th = (x[:, :2] - self.in_center) / self.in_half
        x0 = x[:, 2:]
        h = torch.tanh(self.l1(torch.cat([th, x0], dim=1)))
        o = self.l2(h)
        logits = 0.05 * o[:, : self.n_iso] + torch.log(torch.clamp(x0, min=1e-30))
        X = torch.softmax(logits, dim=1)
        lt = x[:, 0:1]
        bad = (lt >= self.badsum_band[0]) & (lt <= self.badsum_band[1])
        X = torch.where(bad, X * 1.01, X)
        y = torch.cat([X, o[:, self.n_iso:] * self.eps_scale], dim=1)
        nan = (lt >= self.nan_band[0]) & (lt <= self.nan_band[1])
        return torch.where(nan, torch.full_like(y, float("nan")), y)


def make_meta(net, dt, domain=None, **over) -> dict:
    meta = {"format": "nnn-emulator-1", "network": net.name, "network_hash": net.file_hash,
            "isotopes": list(net.isotopes), "dt": float(dt), "domain": domain or DOMAIN,
            "architecture": {"kind": "tests/emulator TinyEmulator", "hidden": 16},
            "normalisation": {"inside": "module"},
            "training": {"note": "untrained test model (random weights)"}}
    meta.update(over)
    return meta


def save_model(module: nn.Module, path: Path, meta: dict | None) -> Path:
    extra = {} if meta is None else {"nnn_meta.json": json.dumps(meta)}
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # TorchScript is the format libnnn loads
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(module.eval()), str(path), _extra_files=extra)
    return path


def reference_forward(path: Path, logT, logrho, X) -> np.ndarray:
    """The model file run by Python torch (float32), for comparison with libnnn."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        m = torch.jit.load(str(path))
    x = np.concatenate([np.asarray(logT, np.float32)[:, None], np.asarray(logrho, np.float32)[:, None],
                        np.asarray(X, np.float32)], axis=1)
    with torch.inference_mode():
        return m(torch.from_numpy(x)).numpy().astype(float)


def composition(net, comp: dict) -> np.ndarray:
    return net.composition(comp)


def zones(net, n: int = 40, seed: int = 0):
    """n zones inside DOMAIN (silicon burning mixtures); arrays T, rho, X."""
    rng = np.random.default_rng(seed)
    T = 10 ** rng.uniform(9.25, 9.75, n)
    rho = 10 ** rng.uniform(7.2, 9.3, n)
    X = np.zeros((n, net.n_species))
    iso = net.isotopes
    for k in range(n):
        w = rng.dirichlet([1, 1, 1, 1])
        for name, v in zip(["si28", "s32", "ar36", "ca40"], w):
            X[k, iso.index(name)] = v
        X[k, iso.index("ni56")] += 0.05 * rng.random()
        X[k] /= X[k].sum()
    return T, rho, X


def bad_models(small_net, d):
    """name -> (path, words the message must contain)."""
    n = small_net.n_species
    out = {}
    d.mkdir(parents=True, exist_ok=True)
    p = d / "garbage.pt"
    p.write_bytes(b"this is not a zip archive" * 10)
    out["corrupt"] = (p, ["garbage.pt", "not a readable TorchScript model file"])
    good = save_model(TinyEmulator(n), d / "good.pt", make_meta(small_net, DT))
    raw = good.read_bytes()
    p = d / "truncated.pt"
    p.write_bytes(raw[: len(raw) // 2])
    out["truncated"] = (p, ["truncated.pt", "not a readable TorchScript model file"])
    out["no_meta"] = (save_model(TinyEmulator(n), d / "nometa.pt", None),
                      ["nometa.pt", "no nnn_meta.json"])
    out["format"] = (save_model(TinyEmulator(n), d / "format.pt",
                                make_meta(small_net, DT, format="something-else")),
                     ["format.pt", "format 'something-else'", "nnn-emulator-1"])
    bad_hash = "0" * 64
    out["hash"] = (save_model(TinyEmulator(n), d / "hash.pt",
                              make_meta(small_net, DT, network_hash=bad_hash)),
                   ["hash.pt", bad_hash, small_net.file_hash, "changed since training"])
    mesa = nnn.Network.load("mesa_80")
    out["isotopes"] = (save_model(TinyEmulator(mesa.n_species), d / "mesa80.pt",
                                  make_meta(mesa, DT)),
                       ["mesa80.pt", "'mesa_80' (80 isotopes)", f"'{SMALL}' ({small_net.n_species} isotopes)",
                        "only in the model"])
    iso = list(small_net.isotopes)
    iso[0], iso[1] = iso[1], iso[0]
    out["order"] = (save_model(TinyEmulator(n), d / "order.pt", make_meta(small_net, DT, isotopes=iso)),
                    ["order.pt", "different order"])
    out["wrong_width"] = (save_model(TinyEmulator(n - 1), d / "width.pt", make_meta(small_net, DT)),
                          ["width.pt", "forward"])
    meta = make_meta(small_net, DT)
    meta["domain"] = {"logT": [9.8, 9.2], "logrho": [7, 9], "Ye": [0.4, 0.6]}
    out["domain"] = (save_model(TinyEmulator(n), d / "domain.pt", meta),
                     ["domain.pt", "domain 'logT'"])
    meta = make_meta(small_net, DT)
    del meta["dt"]
    out["no_dt"] = (save_model(TinyEmulator(n), d / "nodt.pt", meta), ["nodt.pt", "no 'dt'"])
    out["missing"] = (d / "does_not_exist.pt", ["does_not_exist.pt", "does not exist"])
    (d / "empty").mkdir(exist_ok=True)
    out["empty_dir"] = (d / "empty", ["no *.pt", "empty"])
    return out
