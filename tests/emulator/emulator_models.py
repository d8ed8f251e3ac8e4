"""Helpers of the emulator-path tests: small TorchScript models in the model-file
format ``nnn-emulator-2`` (one model for every dt; inputs [log10 T, log10 rho,
log10 dt, X], outputs [X, eps_nuc, eps_nu, err]; attributes nnn_format, network,
network_hash, isotopes, domain), made here in milliseconds instead of trained:

* :func:`tiny_model`: ``nnn.emulate.model.BurnStepNet`` with random weights and
  8-wide layers, exported by ``nnn.emulate.model.export`` (what python -m
  nnn.train writes);
* :class:`TableModel`: an "oracle" that answers each input row with the stored
  output of the nearest stored input row. Filled with the engine's own burns it
  is a perfect emulator of those zones; with chosen rows altered (eps_nuc off,
  Ye shifted, err large, NaN, sum X != 1) it makes each check fire on exactly
  those zones. It raises in forward for log10 T inside ``raise_band``.
"""


import functools
import json
import warnings
from pathlib import Path
from typing import List

import numpy as np
import torch
from torch import nn

import nnn
from nnn.emulate import model as mdl

SMALL = "approx21_cr60_plus_co56"
#: log10 dt range of the test models: 1e-4 .. 1 s
DOMAIN = {"logT": [9.2, 9.8], "logrho": [7.0, 9.5], "Ye": [0.47, 0.505], "logdt": [-4.0, 0.0]}
DT = 1e-2
RAISE_BAND = (9.490, 9.492)  # log10 T: TableModel(raise_band=...) raises here (T ~ 3.095e9 K)
NO_CHECKS = {"check_energy": False, "check_dye": False}  # for random-weight models


def domain_list(domain=None) -> List[float]:
    d = domain or DOMAIN
    return [float(v) for k in ("logT", "logrho", "Ye", "logdt") for v in d[k]]


def zeta(net) -> np.ndarray:
    return np.asarray(net.Z, float) / np.asarray(net.A, float)


def make_meta(net, domain=None, **over) -> dict:
    meta = {"format": mdl.FORMAT, "network": net.name, "network_hash": net.file_hash,
            "isotopes": list(net.isotopes), "domain": domain or DOMAIN,
            "architecture": {"kind": "tests/emulator"}, "training": {"note": "untrained test model"}}
    meta.update(over)
    return meta


class BeforeTrunkInput(mdl.BurnStepNet):
    """A BurnStepNet as the files scripted before ``parts_of_trunk_input`` existed
    (2026-12-05): ``forward_parts`` builds the trunk's input itself, and the file has no
    ``parts_of_trunk_input`` (its override here is not exported), so libnnn runs
    ``forward_parts``."""

    @torch.jit.export
    def forward_parts(self, x: torch.Tensor) -> torch.Tensor:
        h, th = self.hidden(x.float())
        return torch.cat([self.comp_out(h), self.energies(h, th), self.log_err(h, th)[:, None]],
                         dim=1)

    def parts_of_trunk_input(self, z: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def tiny_model(net, path: Path, seed: int = 0, domain=None, cls=mdl.BurnStepNet) -> Path:
    """A BurnStepNet (or ``cls``) of ``net`` with random weights (8 wide, 2 deep), exported
    with nnn.emulate.model.export. Its dYe and energy scales are small, so its
    zones are not far from X0, but its energies are not consistent with its
    compositions: use it with :data:`NO_CHECKS`."""
    torch.manual_seed(seed)
    m = cls(list(net.isotopes), zeta(net), domain or DOMAIN, scales=(1e-9, 1e14, 1e8),
            first=8, width=8, depth=2, network=net.name, network_hash=net.file_hash)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return mdl.export(m, path, make_meta(net, domain))


class TableModel(nn.Module):
    """Nearest stored input row -> its stored output row (see the module docstring)."""

    nnn_format: str
    network: str
    network_hash: str
    isotopes: List[str]
    domain: List[float]

    def __init__(self, net, keys: np.ndarray, values: np.ndarray, domain=None, raise_band=(0.0, -1.0),
                 fmt: str = mdl.FORMAT, isotopes=None, network_hash=None):
        super().__init__()
        self.nnn_format = fmt
        self.network = net.name
        self.network_hash = net.file_hash if network_hash is None else network_hash
        self.isotopes = list(net.isotopes if isotopes is None else isotopes)
        self.domain = domain_list(domain)
        self.register_buffer("keys", torch.tensor(keys, dtype=torch.float64))
        self.register_buffer("values", torch.tensor(values, dtype=torch.float64))
        self.register_buffer("raise_band", torch.tensor(list(raise_band), dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        lt = x[:, 0]
        if bool(((lt >= self.raise_band[0]) & (lt <= self.raise_band[1])).any()):
            raise RuntimeError("test model: log10 T inside the raise band")
        d = (x.double()[:, None, :] - self.keys[None, :, :]).abs().sum(dim=2)
        return self.values[d.argmin(dim=1)]


def save(module: nn.Module, path: Path, meta: dict | None) -> Path:
    extra = {} if meta is None else {mdl.META_NAME: json.dumps(meta)}
    path.parent.mkdir(parents=True, exist_ok=True)
    with warnings.catch_warnings():  # TorchScript is the format libnnn loads
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(torch.jit.script(module.eval()), str(path), _extra_files=extra)
    return path


def model_inputs(T, rho, X, dt) -> np.ndarray:
    n = len(T)
    return np.column_stack([np.log10(T), np.log10(rho), np.full(n, np.log10(dt)),
                            np.asarray(X, float)]).astype(np.float64)


def q_erg_per_g(net) -> np.ndarray:
    """q_i = mass_excess_i / A_i * N_A * MeV (erg/g per unit X_i), from CODATA
    constants (independent of libnnn's)."""
    N_A, MeV = 6.02214076e23, 1.602176634e-6
    return np.asarray(net.mass_excess_MeV, float) / np.asarray(net.A, float) * N_A * MeV


def engine_truth(net, T, rho, X, dt, err=1e-4):
    """The engine's burns of the zones as model outputs [X, eps_nuc, eps_nu, err]."""
    b = net.burn_batch(T, rho, X, dt, rtol=1e-10, atol=1e-14)
    assert (b.status == 0).all()
    return np.column_stack([b.X, b.eps_nuc, b.eps_nu, np.full(len(T), err)]), b


def table_model(net, path: Path, T, rho, X, dt, values, **kw) -> Path:
    return save(TableModel(net, model_inputs(T, rho, X, dt), values, **kw), path, make_meta(net))


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


def reference_forward(path: Path, T, rho, X, dt) -> np.ndarray:
    """The model file run by Python torch (float64 inputs, as libnnn gives them)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        m = torch.jit.load(str(path))
    with torch.inference_mode():
        return m(torch.from_numpy(model_inputs(T, rho, X, dt))).numpy().astype(float)


def bad_models(small_net, d: Path):
    """name -> (path, words the message must contain)."""
    n = small_net.n_species
    out = {}
    d.mkdir(parents=True, exist_ok=True)
    keys = np.zeros((1, 3 + n), np.float32)
    vals = np.zeros((1, n + 3), np.float32)
    p = d / "garbage.pt"
    p.write_bytes(b"this is not a zip archive" * 10)
    out["corrupt"] = (p, ["garbage.pt", "not a readable TorchScript model file"])
    good = tiny_model(small_net, d / "good.pt")
    raw = good.read_bytes()
    p = d / "truncated.pt"
    p.write_bytes(raw[: len(raw) // 2])
    out["truncated"] = (p, ["truncated.pt", "not a readable TorchScript model file"])

    class Plain(nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return x

    out["no_attributes"] = (save(Plain(), d / "plain.pt", None),
                            ["plain.pt", "no attribute 'nnn_format'", "not an nnn emulator file"])
    out["v1"] = (save(Plain(), d / "v1.pt", {"format": "nnn-emulator-1", "network": small_net.name,
                                             "dt": 0.01}),
                 ["v1.pt", "nnn-emulator-1", "retrain it with python -m nnn.train"])
    out["format"] = (save(TableModel(small_net, keys, vals, fmt="something-else"), d / "format.pt",
                          make_meta(small_net)),
                     ["format.pt", "format 'something-else'", "nnn-emulator-2"])
    bad_hash = "0" * 64
    out["hash"] = (save(TableModel(small_net, keys, vals, network_hash=bad_hash), d / "hash.pt",
                        make_meta(small_net)),
                   ["hash.pt", bad_hash, small_net.file_hash, "changed since training"])
    mesa = nnn.Network.load("mesa_80")
    out["isotopes"] = (tiny_model(mesa, d / "mesa80.pt"),
                       ["mesa80.pt", "'mesa_80' (80 isotopes)",
                        f"'{SMALL}' ({small_net.n_species} isotopes)", "only in the model"])
    iso = list(small_net.isotopes)
    iso[0], iso[1] = iso[1], iso[0]
    out["order"] = (save(TableModel(small_net, keys, vals, isotopes=iso), d / "order.pt",
                         make_meta(small_net)), ["order.pt", "different order"])
    out["wrong_width"] = (save(TableModel(small_net, keys, vals[:, :-1]), d / "width.pt",
                               make_meta(small_net)),
                          ["width.pt", "forward returned shape", f"expected (1, {n + 3})"])
    dom = dict(DOMAIN, logT=[9.8, 9.2])
    out["domain"] = (save(TableModel(small_net, keys, vals, domain=dom), d / "domain.pt",
                          make_meta(small_net)),
                     ["domain.pt", "domain of log T is [9.8, 9.2]"])
    no_tilt = functools.partial(mdl.BurnStepNet, ye_tilt=False)  # the trainer's ablation
    out["no_ye_tilt"] = (tiny_model(small_net, d / "no_tilt.pt", cls=no_tilt),
                         ["no_tilt.pt", "'ye_tilt' is False", "Python evaluation only"])
    out["missing"] = (d / "does_not_exist.pt", ["does_not_exist.pt", "does not exist"])
    (d / "a_directory").mkdir(exist_ok=True)
    out["directory"] = (d / "a_directory", ["a_directory", "is a directory"])
    return out


CHECK_DT = 1e-3


def shift_ye(net, X0, row: np.ndarray, dYe: float, dt: float) -> None:
    """Move mass from the most abundant N = Z species to fe54 in the model
    output ``row`` so that its Ye drops by up to dYe, keeping eps_nuc
    consistent with the composition."""
    n = net.n_species
    z = zeta(net)
    src = max((i for i in range(n) if z[i] == 0.5), key=lambda i: row[i])
    dst = net.isotopes.index("fe54")
    d = min(dYe / (z[src] - z[dst]), 0.9 * row[src])
    row[src] -= d
    row[dst] += d
    row[n] = (X0 - row[:n]) @ q_erg_per_g(net) - row[n + 1] * dt


def mixed_case(net, d: Path):
    """Zones of every path a C or Fortran caller can see with the default
    settings, and a TableModel for them: (T, rho, X, dt, model path, paths).
    0 emulator; 1 domain (too cold); 3 sanity (NaN); 4 energy; 5 |dYe|."""
    T, rho, X = zones(net, 12, seed=21)
    dt = CHECK_DT
    vals, _ = engine_truth(net, T, rho, X, dt)
    n = net.n_species
    paths = np.zeros(len(T), int)
    T[2] = 10 ** (DOMAIN["logT"][0] - 0.1)
    paths[2] = 1
    vals[3, n] = np.nan
    paths[3] = 3
    vals[5, n] = -30 * vals[5, n] - 1e18
    paths[5] = 4
    shift_ye(net, X[7], vals[7], 0.01, dt)  # far beyond 10 dt * (weak rates ~ 1/s) + 1e-6
    paths[7] = 5
    path = table_model(net, d / "mixed.pt", T, rho, X, dt, vals)
    return T, rho, X, dt, path, paths
