"""The NNN model (format ``nnn-emulator-2``): one network per reaction network for every dt.

After Grichener et al. (2025), with log10 dt as an input so that one model serves any burn
step inside its dt range (the paper trains one model per dt), and with outputs built on the
physics of a burn step:

* **Inputs** ``[log10 T, log10 rho, log10 dt, X_1..X_n]`` ((N, 3 + n), float64).  The trunk
  sees (log T, log rho, log dt) scaled to [-1, 1] over the training domain, X0, and
  log10 max(X0, x_floor) scaled to [-1, 1] (trace abundances are visible).
* **Composition as a change.**  Logits ``h_i + s_i ln max(X0_i, x_floor)`` (learned ``s_i``,
  initialised to 1) through a softmax: the network learns the change of the composition, X
  stays positive and sum X = 1 holds by construction.
* **Ye by its own head.**  Ye changes only through weak rates and is small; the head predicts
  the mean rate dYe/dt (asinh-scaled) and the composition is tilted, X_i ~ p_i exp(lam Z_i/A_i)
  with lam from a safeguarded Newton search (:meth:`BurnStepNet.composition`), so that its Ye
  is exactly Ye0 + dYe: charge consistency by construction.
* **eps_nuc from the composition** (energy conservation, the engine's own definition):
  eps_nuc = sum_i q_i (X0_i - X_i) - eps_nu dt, q_i = mass excess_i / A_i N_A MeV.  Measured
  on the 700-case test sets it beats a learned eps_nuc head at every dt (paper set: 0.22-0.43
  against 0.52-9.8, docs/emulators.md), so the shipped models use it (``q`` given).
* **eps_nu as a rate** from its own head on the trunk's last hidden layer, asinh-scaled
  (relative accuracy above its scale, absolute below); the head also learns eps_nuc / dt
  (used only without ``q``).  It is trained again with the trunk frozen and selected on the
  energy loss alone (:mod:`nnn.emulate.train`): early stopping on the composition starved it.
* **A per-zone error estimate**: a small head predicts log10 of the eq-5 distance
  sum_i (Z_i/A_i)|X_i - X_i,true| of this prediction, trained on held-out samples after the
  rest (see docs/emulators.md for how well it ranks the real errors).

The scripted module takes float64 (or float32) inputs and returns float64
``[X_1..X_n, eps_nuc, eps_nu, err]`` (N, n + 3) in physical units (the trunk runs in float32;
X0, Ye0 and the Ye tilt stay in float64, since the true |dYe| at dt = 1e-6 s is ~1e-9, below
float32's resolution of Ye):
eps_nuc in erg/g released over dt, eps_nu in erg/g/s averaged over dt, err the estimated
eq-5 distance (dimensionless).  All normalisation lives in the module.  Its attributes
``nnn_format``, ``network``, ``network_hash``, ``isotopes`` and ``domain`` (log T, log rho,
Ye, log10 dt ranges as 8 floats) are what libnnn reads (no JSON parser in C++); the file also
carries ``nnn_meta.json`` with the whole record (training, metrics) for Python.
"""

import json
import math
import os
import warnings
from pathlib import Path
from collections import OrderedDict
from typing import List, Optional, Tuple, Union

import numpy as np
import torch
from torch import nn

from nnn.emulate.model_file import (FORMAT, META_NAME, ModelFileError,  # noqa: F401
                                    model_filename, read_metadata, resolve_model_path,
                                    shipped_model_path)

#: Abundances below this count as this in the log inputs and the log loss.
X_FLOOR = 1e-14


def default_threads() -> int:
    """CPU threads for torch: half the cores (at least 1).  On a loaded 2-core machine torch's
    default (all cores) was measured 40x slower than 1 thread for the small model because its
    OpenMP threads spin against other processes; half the cores avoids that."""
    return max(1, (os.cpu_count() or 2) // 2)


def set_threads(n=None) -> int:
    n = int(n) if n else default_threads()
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


class ModelMismatchError(ValueError):
    """A model file does not belong to the network it is used with."""


def _mlp(dims: List[int], last_activation: bool = False) -> nn.Sequential:
    layers: List[nn.Module] = []
    for k, (a, b) in enumerate(zip(dims[:-1], dims[1:])):
        layers.append(nn.Linear(a, b))
        if k < len(dims) - 2 or last_activation:
            layers.append(nn.ReLU(inplace=True))
    return nn.Sequential(*layers)


class FusedLinear(nn.Module):
    """A Linear layer (and the ReLU after it) as one oneDNN matmul with the bias and the
    activation fused (``mkldnn::_linear_pointwise``, the op torch's inductor uses on CPUs).
    Used by the bfloat16 copies only (:func:`rescript`): in bf16 on an AMX Xeon torch's
    separate bias copy and ReLU took ~0.45 of ~2.4 us/zone of the network part, the fused op
    gives the same results bit for bit; in float32 it gains nothing (MKL's sgemm is as fast).
    oneDNN's bf16 matmul needs AVX-512 (BW, VL, DQ) or AVX-NE-CONVERT and raises elsewhere, so
    where libtorch says it cannot (``mkldnn::_is_mkldnn_bf16_supported``), or with ``fused``
    set False, the layer runs as a plain Linear and ReLU (the same numbers; slower).  Keeps
    the Linear's parameter names, so a state dict loads either way.

    :meth:`pack` (libnnn calls it once at load) stores the weight in oneDNN's own blocked
    layout (``mkldnn::_reorder_linear_weight``, as inductor does), which the unpacked call
    otherwise reorders into on every call: measured 384 x 384 bf16, one thread, 31 -> 20 us a
    call at batch 1 and 195 -> 166 us at batch 1000, results bit for bit.  The packed copy is
    never saved (files carry ``packed = None``)."""

    activation: str
    fused: bool
    packed: Optional[torch.Tensor]

    def __init__(self, linear: nn.Linear, relu: bool):
        super().__init__()
        self.weight = linear.weight
        self.bias = linear.bias
        self.activation = "relu" if relu else "none"
        self.fused = True
        self.packed = None

    def fused_here(self) -> bool:
        return self.fused and torch.ops.mkldnn._is_mkldnn_bf16_supported()

    @torch.jit.export
    def pack(self) -> None:
        """Store the weight in oneDNN's layout for the fused call (a no-op where the layer
        does not run fused)."""
        if self.fused_here():
            self.packed = torch.ops.mkldnn._reorder_linear_weight(self.weight.detach(), None)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.fused_here():
            no_scalars = torch.jit.annotate(List[Optional[Union[float, int, complex]]], [])
            w = self.packed
            if w is None:
                w = self.weight
            return torch.ops.mkldnn._linear_pointwise(x, w, self.bias, self.activation,
                                                      no_scalars, "")
        y = torch.nn.functional.linear(x, self.weight, self.bias)
        return torch.relu_(y) if self.activation == "relu" else y


def fused_linear_available() -> bool:
    """True if this torch has oneDNN's fused linear (x86 and most aarch64 builds)."""
    return bool(torch.backends.mkldnn.is_available()) and all(
        hasattr(torch.ops.mkldnn, op) for op in ("_linear_pointwise", "_is_mkldnn_bf16_supported"))


def fuse(layers: nn.Module) -> nn.Module:
    """An ``_mlp`` (or one Linear) with each Linear and the ReLU after it as one
    :class:`FusedLinear`; the module names (so the state dict's keys) stay the same."""
    if isinstance(layers, nn.Linear):
        return FusedLinear(layers, relu=False)
    items = list(layers._modules.items())
    out = OrderedDict()
    for k, (name, m) in enumerate(items):
        if isinstance(m, nn.Linear):
            out[name] = FusedLinear(m, relu=k + 1 < len(items) and isinstance(items[k + 1][1], nn.ReLU))
        elif not isinstance(m, nn.ReLU):
            raise TypeError(f"fuse: cannot fuse a {type(m).__name__}")
    return nn.Sequential(out)


class BurnStepNet(nn.Module):
    """MLP emulator of one burn step of any dt; see the module docstring.

    ``domain``: {"logT": (lo, hi), "logrho": (lo, hi), "Ye": (lo, hi), "logdt": (lo, hi)}.
    ``zeta``: Z_i/A_i.  ``scales``: asinh scales of (dYe/dt [1/s], eps_nuc/dt [erg/g/s],
    eps_nu [erg/g/s])."""

    nnn_format: str
    network: str
    network_hash: str
    isotopes: List[str]

    def __init__(self, isotopes: List[str], zeta, domain: dict, scales=(1.0, 1.0, 1.0),
                 first: int = 256, width: int = 256, depth: int = 4, energy_width: int = 64,
                 err_width: int = 64, network: str = "", network_hash: str = "",
                 x_floor: float = X_FLOOR, q=None, ye_tilt: bool = True):
        super().__init__()
        if depth < 1 or first < 1 or width < 1:
            raise ValueError(f"depth, first and width must be >= 1, got {depth}, {first}, "
                             f"{width}")
        n = len(isotopes)
        self.n_iso = n
        self.nnn_format = FORMAT
        self.network = str(network)
        self.network_hash = str(network_hash)
        self.isotopes = [str(s) for s in isotopes]
        dom = [float(v) for k in ("logT", "logrho", "Ye", "logdt") for v in domain[k]]
        self.domain = dom  # 8 floats: logT, logrho, Ye, log10 dt (lo, hi)
        self.trunk = _mlp([3 + 2 * n, first] + [width] * (depth - 1), last_activation=True)
        self.comp_out = nn.Linear(width if depth > 1 else first, n + 1)  # logits + dYe rate
        hidden = width if depth > 1 else first
        self.energy = _mlp([hidden + 3, energy_width, energy_width, 2])
        self.err_head = _mlp([hidden + 3, err_width, 1])
        self.skip = nn.Parameter(torch.ones(n))
        lo = torch.tensor([dom[0], dom[2], dom[6]])
        hi = torch.tensor([dom[1], dom[3], dom[7]])
        self.register_buffer("in_center", ((lo + hi) / 2).float())
        self.register_buffer("in_half", ((hi - lo) / 2).float())
        self.register_buffer("log_floor", torch.tensor(math.log(x_floor)).float())
        # Z/A in float64: float32 Z/A would shift Ye by ~1e-8, more than a 1e-6 s burn does
        self.register_buffer("zeta", torch.tensor([float(z) for z in zeta], dtype=torch.float64))
        self.register_buffer("scales", torch.tensor([float(s) for s in scales]).float())
        # q_i (erg/g per unit mass fraction) = mass excess_i / A_i * N_A * MeV: with it,
        # eps_nuc = sum_i q_i (X0_i - X_i) - eps_nu dt, the engine's own definition (energy
        # conservation by construction); without it (q=None) eps_nuc is the energy head's
        self.eps_from_composition = q is not None
        self.register_buffer("q", torch.tensor([float(v) for v in (q if q is not None else
                                                                    [0.0] * n)],
                                               dtype=torch.float64))
        # err head output: log10 of the eq-5 distance, centred here (set by the trainer)
        self.register_buffer("err_log_center", torch.tensor(-3.0).float())
        # largest |dYe| a prediction may take (set by the trainer: 1.5x the largest of its
        # training pairs, 0.053 for mesa_80): a dYe head extrapolating off its data once
        # sent a train-like zone from Ye 0.49 to 0.14 in 1 s
        self.register_buffer("dye_max", torch.tensor(0.5, dtype=torch.float64))
        self.zlo = float(min(zeta)) + 1e-4
        self.zhi = float(max(zeta)) - 1e-4
        # bracket of the Ye tilt's multiplier.  Where the untilted prediction leaves only
        # ~e^-300 on the nuclei of the Z/A the target Ye needs, with Z/A ~0.04 apart, the tilt
        # needs lam ~1e4: a bracket of 200 left 1 of 700 train-like zones 1.7e-3 off in Ye
        # (3-min tiny model).  Iterations at inference (float64): real zones converge in a
        # median 4-6 (see tilt()); 80 leave room for the bisections of the safeguard below
        # (tests/emulate/test_model.py)
        self.lam_max = 1.0e4
        self.n_tilt = 80
        # training keeps the bracket (and 8 iterations) of the trainer that learned: with
        # the inference bracket, zones the 8 iterations left unconverged got tilts of ~1e3,
        # collapsed compositions, and the small model's losses diverged within one epoch
        self.lam_train = 200.0
        # trunk in bfloat16 (set by rescript(..., bf16_trunk=True)): on CPUs with bf16 units
        # (AVX512_BF16, AMX) its matmuls run 2x faster; heads and the tilt stay as they are
        self.bf16_trunk = False
        # heads in bfloat16 too (rescript(..., bf16_heads=True)): in float32 the composition,
        # energy and error heads' matmuls took 1.3 of 3.9 us/zone of a bf16-trunk forward on
        # an AMX Xeon (torch profiler, batch 1000), 4-5x what AMX takes for them in bf16
        self.bf16_heads = False
        # ... except the composition head (rescript(..., bf16_composition=False)): its bf16
        # weights add ~15 % to mesa_80's chained Ye drift (docs/emulator_studies.md, "Cost")
        self.bf16_composition = True
        # False only in the ablation of issue 12's section 3 (nnn.train's ``ye_tilt``): the
        # composition is the plain softmax and its Ye is whatever that gives; libnnn refuses
        # such files (src/cpp/emulator/torch_model.cpp), they are for Python evaluation
        self.ye_tilt = bool(ye_tilt)

    # -------------------------------------------------------------- the pieces
    def trunk_input(self, x: torch.Tensor) -> torch.Tensor:
        """The trunk's input (N, 3 + 2n) float32 from raw inputs (float32 or float64):
        [scaled thermo inputs (3), X0 (n), ln X0 mapped from [log_floor, 0] to [-1, 1] (n)].
        The log and its scaling run in float64 and are rounded to float32 once, so that
        libnnn, which builds the same rows in C++ (``Assembly::trunk_input``, assembly.cpp)
        and runs :meth:`parts_of_trunk_input`, gets them bit for bit (two float64 logs that
        differ in the last bit round to one float32 but for ~1e-9 of the elements; two float32
        logs differ in ~1 % of them). In TorchScript these are seven passes over (N, n)
        temporaries, ~0.4 us of a bf16 mesa_151 zone's ~5."""
        th = (x[:, :3].float() - self.in_center) / self.in_half
        x0 = x[:, 3:]
        lx = torch.clamp(torch.log(torch.clamp(x0.double(), min=1e-37)), min=self.log_floor)
        lxs = 1.0 + 2.0 * lx / (-self.log_floor)  # [log_floor, 0] -> [-1, 1]
        return torch.cat([th, x0.float(), lxs.float()], dim=1)

    def hidden(self, x: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """(last hidden layer of the trunk (float32; bfloat16 with bf16 trunk and heads),
        scaled thermo inputs (N, 3)) of raw inputs."""
        return self.hidden_of(self.trunk_input(x))

    def hidden_of(self, z: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """:meth:`hidden` from the trunk's input ``z`` (:meth:`trunk_input`)."""
        th = z[:, :3]
        if self.bf16_trunk:
            h = self.trunk(z.to(torch.bfloat16))
            return (h if self.bf16_heads else h.to(z.dtype)), th
        return self.trunk(z), th

    def composition(self, x: torch.Tensor, out: torch.Tensor, n_newton: int, lam_max: float,
                    r_tilt: Optional[torch.Tensor] = None, log: bool = True
                    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """(ln X (N, n), or X with ``log=False``, normalised dYe rate (N,)) from the
        composition head's output ``out`` = comp_out(h) (N, n + 1: logits, dYe rate),
        in the dtype of ``x`` (float32 in training; float64 at inference, so that X0,
        Ye0 and the tilt keep double precision: at dt = 1e-6 s the true |dYe| is ~1e-9,
        below float32's resolution of Ye).  The composition is tilted to the Ye of the
        predicted dYe rate, or of ``r_tilt`` (normalised) when given: training passes the true
        rate."""
        out = out.to(x.dtype)
        n = self.n_iso
        x0 = x[:, 3:]
        lx0 = torch.clamp(torch.log(torch.clamp(x0, min=1e-300)), min=self.log_floor.to(x.dtype))
        logp = torch.log_softmax(out[:, :n] + self.skip.to(x.dtype) * lx0, dim=1)
        r = out[:, n]
        r_ye = r if r_tilt is None else r_tilt.to(x.dtype)
        dt = torch.pow(10.0, x[:, 2])
        zeta = self.zeta.to(x.dtype)
        ye0 = x0 @ zeta / torch.clamp(x0.sum(dim=1), min=1e-30)
        dye = torch.clamp(torch.sinh(r_ye) * self.scales[0].to(x.dtype) * dt,
                          min=-float(self.dye_max), max=float(self.dye_max))
        ye_t = torch.clamp(ye0 + dye, min=self.zlo, max=self.zhi)
        # The search runs without gradients, in float64 (at dt = 1e-6 s |dYe| ~ 1e-9 is
        # below float32's resolution of Ye), and the training gradient treats the tilt lam
        # as a constant shift of the logits (the dYe head has its own loss on r). Measured,
        # `--arch tiny --max-minutes 3` on 16,384 mesa_80 samples (seed 1), best validation
        # sum |dX| / L1 log10 X / dYe: backpropagating through the bracketed search (33cdb60)
        # 1.04 / 3.08 / 1.31 (persistence level); the exact implicit-function gradient (one
        # Newton step from the root, slope held fixed) 0.655 / 1.98 / 1.02; lam constant
        # 0.416 / 1.48 / 0.66.
        if self.ye_tilt:
            with torch.no_grad():
                lam = self.tilt(logp.detach().to(torch.float64),
                                ye_t.detach().to(torch.float64), n_newton, lam_max).to(x.dtype)
        else:
            lam = torch.zeros_like(ye_t)
        tilted = logp + lam[:, None] * zeta
        if log:
            return torch.log_softmax(tilted, dim=1), r
        return torch.softmax(tilted, dim=1), r  # X itself: one exp pass, not log then exp

    def tilt(self, logp: torch.Tensor, ye_t: torch.Tensor, n_newton: int, lam_max: float
             ) -> torch.Tensor:
        """The multiplier lam (N,) with sum_i q_i Z_i/A_i = ``ye_t``, q ~ exp(logp + lam Z/A)
        (float64 in and out), by safeguarded Newton on

            phi(lam) = ln S+ - ln S-,
            S+- = sum over Z_i/A_i >< Ye_t of p_i |Z_i/A_i - Ye_t| e^(lam Z_i/A_i),

        which is zero exactly where Ye(lam) = Ye_t and increasing (phi' = mu+ - mu-, the
        weighted mean Z/A of each side).  Where one nucleus on each side dominates, phi is
        linear in lam and Newton needs one step.  Newton on Ye(lam) itself (before) crawled:
        where the untilted mass sits on Z/A = 0.5 with a trace just below, Ye(lam) approaches
        the target like e^(-lam dz), each step advanced lam by 1/dz ~ 28, and the 1000
        Si-burning zones of benchmarks/bench_emulator.py took a median 10-14 iterations
        (up to 23) against 4-6 here.  Each zone leaves the search once |phi| <= 1e-9 and takes
        one more Newton step (quadratic convergence: |Ye - Ye_t| at round-off, ~3e-16).
        Newton steps stay inside a bracket that shrinks every iteration, bisection where
        they would leave it; from the 12th iteration on, Numerical Recipes' rtsafe test as
        well: once the root is bracketed from both sides, a Newton step must at least halve
        the previous one or bisection takes over (a step in Ye(lam), where a nucleus ~e^-100
        below the rest switches on, made plain Newton bounce between the bracket's ends).
        Zones still unconverged after ``n_newton`` iterations keep their last lam."""
        z = self.zeta.to(torch.float64)
        d = z[None, :] - ye_t[:, None]
        # ln(p_i |d_i|) once (a nucleus with d_i = 0 exactly is on neither side: -inf)
        b = logp + torch.log(d.abs())
        plus = (d > 0).to(torch.float64)
        minus = (d < 0).to(torch.float64)
        ones_z = torch.stack([torch.ones_like(z), z], dim=1)  # (n, 2): sums of w and w Z/A
        lam_out = torch.zeros_like(ye_t)
        rows = torch.arange(ye_t.shape[0], device=ye_t.device)
        lam = torch.zeros_like(ye_t)
        lo = torch.full_like(ye_t, -lam_max)
        hi = torch.full_like(ye_t, lam_max)
        dx_old = torch.full_like(ye_t, 2.0 * lam_max)
        for it in range(n_newton):
            u = torch.addcmul(b, lam[:, None], z[None, :])
            w = torch.exp(u - u.amax(dim=1, keepdim=True))
            sp = (w * plus) @ ones_z
            sm = (w * minus) @ ones_z
            # one shift for both sides: a side below e^-745 of the other gives phi = +-inf
            # (or nan), and the step below is then a bisection
            phi = torch.log(sp[:, 0]) - torch.log(sm[:, 0])
            dx = -phi / (sp[:, 1] / sp[:, 0] - sm[:, 1] / sm[:, 0])
            hi = torch.where(phi > 0, lam, hi)
            lo = torch.where(phi > 0, lo, lam)
            ok = (lam + dx > lo) & (lam + dx < hi)
            done = phi.abs() <= 1e-9
            if bool(done.any()):
                last = torch.where(ok, lam + dx, lam)
                lam_out[rows[done]] = last[done]
                keep = ~done
                if not bool(keep.any()):
                    return lam_out
                rows, b, plus, minus, lam, lo, hi, dx, ok, dx_old = (
                    rows[keep], b[keep], plus[keep], minus[keep], lam[keep], lo[keep],
                    hi[keep], dx[keep], ok[keep], dx_old[keep])
            if it >= 12:
                two_sided = (lo > -lam_max) & (hi < lam_max)
                ok = ok & ((2.0 * dx.abs() <= dx_old.abs()) | ~two_sided)
            new_lam = torch.where(ok, lam + dx, 0.5 * (lo + hi))
            dx_old = new_lam - lam
            lam = new_lam
        lam_out[rows] = lam
        return lam_out

    def energies(self, h: torch.Tensor, th: torch.Tensor) -> torch.Tensor:
        """Normalised (asinh) eps_nuc/dt and eps_nu (N, 2)."""
        return self.energy(torch.cat([h, th], dim=1))

    def log_err(self, h: torch.Tensor, th: torch.Tensor) -> torch.Tensor:
        """Estimated log10 of the eq-5 distance (N,)."""
        return self.err_head(torch.cat([h, th], dim=1))[:, 0] + self.err_log_center

    @torch.jit.export
    def forward_train(self, x: torch.Tensor, r_tilt: Optional[torch.Tensor] = None
                      ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(ln X, normalised dYe rate, normalised energies) for the losses; ``r_tilt``: the
        true normalised dYe rate, to tilt the composition to the true Ye (teacher forcing:
        the composition head then learns without the dYe head's errors, which early in
        training asked for tilts far outside the data and stalled it)."""
        h, th = self.hidden(x)
        logx, r = self.composition(x, self.comp_out(h), 8, self.lam_train, r_tilt)
        return logx, r, self.energies(h, th)

    @torch.jit.export
    def forward_parts(self, x: torch.Tensor) -> torch.Tensor:
        """The network's share of :meth:`forward`: raw inputs (N, 3 + n) -> float32
        (N, n + 4) [composition logits (n), normalised dYe rate, normalised eps_nuc/dt and
        eps_nu, log10 err].  libnnn does the rest of :meth:`forward` (the assembly: Ye
        tilt, softmax, energies) in C++, src/cpp/emulator/assembly.cpp, 3-4x faster than
        these ~30 tensor operations per tilt iteration over (N, n) temporaries
        (docs/emulators.md); :meth:`forward` stays the definition it is tested against."""
        return self.parts_of_trunk_input(self.trunk_input(x))

    @torch.jit.export
    def parts_of_trunk_input(self, z: torch.Tensor) -> torch.Tensor:
        """:meth:`forward_parts` from the trunk's input ``z`` (:meth:`trunk_input`, float32):
        what libnnn runs, having built ``z`` itself."""
        h, th = self.hidden_of(z)
        if self.bf16_heads:
            hb = h.to(torch.bfloat16)  # a no-op after a bf16 trunk
            ht = torch.cat([hb, th.to(torch.bfloat16)], dim=1)
            log_err = self.err_head(ht).float() + self.err_log_center  # as log_err()
            comp = self.comp_out(hb).float() if self.bf16_composition else self.comp_out(h.float())
            return torch.cat([comp, self.energy(ht).float(), log_err], dim=1)
        return torch.cat([self.comp_out(h), self.energies(h, th), self.log_err(h, th)[:, None]],
                         dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Raw inputs (N, 3 + n) -> [X, eps_nuc, eps_nu, err] (N, n + 3), float64: the trunk
        runs in float32, the composition is assembled in float64 from the float64 X0."""
        x64 = x.double()
        n = self.n_iso
        parts = self.forward_parts(x64)
        X, r = self.composition(x64, parts[:, :n + 1], self.n_tilt, self.lam_max, log=False)
        e = torch.sinh(parts[:, n + 1:n + 3].double()) * self.scales[1:].double()
        dt = torch.pow(10.0, x64[:, 2:3])
        eps_nu = e[:, 1:2]
        if self.eps_from_composition:
            eps_nuc = ((x64[:, 3:] - X) @ self.q)[:, None] - eps_nu * dt
        else:
            eps_nuc = e[:, :1] * dt
        err = torch.pow(10.0, parts[:, n + 3:n + 4].double())
        return torch.cat([X, eps_nuc, eps_nu, err], dim=1)


def n_parameters(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------- export / load

def export(model: BurnStepNet, path, meta: dict):
    """Script ``model`` and save it with ``nnn_meta.json``; returns the path."""
    meta = dict(meta)
    meta["format"] = FORMAT
    required = ("network", "network_hash", "isotopes", "domain", "architecture", "training")
    missing = [k for k in required if k not in meta]
    if missing:
        raise ValueError(f"model metadata lacks {missing}")
    if list(meta["isotopes"]) != list(model.isotopes):
        raise ValueError("metadata isotopes differ from the model's")
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


def rescript(src, dst, note: str = "", bf16_trunk: bool = False, bf16_heads: bool = False,
             bf16_composition: bool = True, fuse_linear: bool = True) -> Path:
    """Script a trained model again with this nnn's ``BurnStepNet`` code: the same weights,
    buffers and metadata, with the inference code (e.g. the Ye tilt's search) of today.  A
    TorchScript file carries the code it was scripted with, so a change to ``forward``
    reaches a shipped model only through this.  ``note`` is recorded in the metadata
    (``rescripted``).

    ``bf16_trunk``, ``bf16_heads``: store the trunk's (the composition, energy and error
    heads') weights in bfloat16 and run them in it (the Ye tilt and the energies stay
    float64); with ``bf16_composition`` False the composition head (logits and dYe rate)
    stays float32 on the bf16 trunk's output, so the composition is the bf16-trunk copy's
    bit for bit.  On a CPU with bf16 units (AMD Zen 4, Intel Sapphire Rapids and later) the
    matmuls run 3-5x faster; elsewhere they are emulated and slower.  ``fuse_linear``: in
    the bf16 parts, each Linear and its ReLU as one :class:`FusedLinear` where this torch
    has it (the same results bit for bit, ~20 % cheaper).  The shipped bf16 copies are
    ``rescript(m, copy, bf16_trunk=True, bf16_heads=True)``, mesa_80's with
    ``bf16_composition=False`` (nnn.emulate.pipeline's default preset); their test-set
    metrics are within 1-21 % of the float32 model's (docs/emulators.md, "Cost").  Returns
    ``dst``."""
    module, meta = read_meta(src)
    a = meta["architecture"]
    sd = module.state_dict()
    zeta = sd["zeta"].double().numpy()
    q = sd["q"].double().numpy() if bool(module.eps_from_composition) else None
    x_floor = float(meta["training"]["config"]["x_floor"])
    model = BurnStepNet(list(meta["isotopes"]), zeta, meta["domain"],
                        sd["scales"].double().numpy(), first=a["first"], width=a["width"],
                        depth=a["depth"], network=meta["network"],
                        network_hash=meta["network_hash"], x_floor=x_floor, q=q,
                        ye_tilt=bool(getattr(module, "ye_tilt", True)))
    sd.pop("parts_offset", None)  # a buffer of files scripted between 24cf78e and this commit
    model.load_state_dict(sd)
    fused = fuse_linear and (bf16_trunk or bf16_heads) and fused_linear_available()
    if bf16_trunk:
        model.trunk.to(torch.bfloat16)
        model.bf16_trunk = True
        if fused:
            model.trunk = fuse(model.trunk)
    if bf16_heads:
        heads = ["energy", "err_head"] + (["comp_out"] if bf16_composition else [])
        for name in heads:
            getattr(model, name).to(torch.bfloat16)
            if fused:
                setattr(model, name, fuse(getattr(model, name)))
        model.bf16_heads = True
        model.bf16_composition = bool(bf16_composition)
    meta = dict(meta)
    meta["rescripted"] = note
    meta["trunk_dtype"] = "bfloat16" if bf16_trunk else "float32"
    meta["heads_dtype"] = "bfloat16" if bf16_heads else "float32"
    meta["composition_head_dtype"] = ("bfloat16" if bf16_heads and bf16_composition
                                      else "float32")
    meta["fused_linear"] = bool(fused)
    return export(model, dst, meta)


def update_metadata(path, **fields):
    """Rewrite ``nnn_meta.json`` of a model file with ``fields`` added or replaced (e.g. the
    evaluation's metrics); the scripted module is saved unchanged."""
    module, meta = read_meta(path)
    meta.update(fields)
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        torch.jit.save(module, str(tmp), _extra_files={META_NAME: json.dumps(meta)})
    tmp.replace(path)
    return meta


def _as_column(v, n, dtype=np.float32):
    return np.broadcast_to(np.asarray(v, dtype), (n,))


class LoadedModel:
    """A scripted emulator and its metadata; ``predict`` works in physical units."""

    def __init__(self, module, meta: dict, path: str):
        self.module = module
        self.meta = meta
        self.path = path
        self.isotopes = list(meta["isotopes"])
        self.network = meta["network"]
        self.network_hash = meta["network_hash"]
        self.domain = meta["domain"]

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        return self.module(x)

    def inputs(self, logT, logrho, X0, dt) -> np.ndarray:
        """The raw model input (n, 3 + n_iso) float64."""
        X0 = np.atleast_2d(np.asarray(X0, dtype=np.float64))
        n = X0.shape[0]
        if X0.shape[1] != len(self.isotopes):
            raise ValueError(f"X0 has {X0.shape[1]} columns, the model expects "
                             f"{len(self.isotopes)} isotopes")
        dt = np.asarray(dt, float)
        if not np.all(np.isfinite(dt) & (dt > 0)):
            bad = dt[~(np.isfinite(dt) & (dt > 0))].ravel()[0]
            raise ValueError(f"dt must be positive and finite, got {bad!r}")
        x = np.empty((n, 3 + X0.shape[1]), np.float64)
        x[:, 0] = _as_column(logT, n, np.float64)
        x[:, 1] = _as_column(logrho, n, np.float64)
        x[:, 2] = _as_column(np.log10(dt), n, np.float64)
        x[:, 3:] = X0
        return x

    def predict(self, logT, logrho, X0, dt, batch_size: int = 65536) -> dict:
        """Numpy in, numpy out: X (n, n_iso), eps_nuc (n,) erg/g over dt, eps_nu (n,)
        erg/g/s, err (n,) the estimated eq-5 distance.  ``dt`` (s): scalar or (n,)."""
        x = self.inputs(logT, logrho, X0, dt)
        outs = []
        with torch.inference_mode():
            for s in range(0, x.shape[0], batch_size):
                outs.append(self.module(torch.from_numpy(x[s:s + batch_size])).numpy())
        k = len(self.isotopes)
        y = np.concatenate(outs) if outs else np.zeros((0, k + 3))
        return {"X": y[:, :k].astype(float), "eps_nuc": y[:, k].astype(float),
                "eps_nu": y[:, k + 1].astype(float), "err": y[:, k + 2].astype(float)}


def read_meta(path):
    """(scripted module, metadata dict) of a model file; the metadata through
    :func:`nnn.emulate.model_file.read_metadata` (FileNotFoundError, ModelFileError)."""
    meta = read_metadata(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            module = torch.jit.load(str(path), map_location="cpu")
    except Exception as e:  # torch raises RuntimeError / ValueError for non-archives
        raise ModelFileError(f"{str(path)!r} is not a TorchScript model file: "
                             f"{str(e).splitlines()[0]}") from None
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
    """Load an exported emulator (a file, or a network name for the shipped model); with
    ``network`` (an ``nnn.Network``, its name or path), check that it is the network the
    model was trained on (else ModelMismatchError)."""
    path = resolve_model_path(path)
    module, meta = read_meta(path)
    if network is not None:
        if isinstance(network, (str, Path)):
            from nnn.emulate.burn import load_network

            network = load_network(network)
        check_network(meta, network, path=f"model {str(path)!r}")
    module.eval()
    return LoadedModel(module, meta, str(path))
