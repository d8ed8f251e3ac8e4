"""Train the NNN emulator of one network, for every dt at once: ``python -m nnn.train``.

One model per network takes log10 dt as an input (:mod:`nnn.emulate.model`); every output time
of every training sample is a pair (X0, T, rho, dt) -> (X, eps_nuc, eps_nu).  Train and
validation are split by *sample*, never by pair (pairs of one integration share X0).
``--burned-starts K`` adds up to K pairs per sample that start from the sample's own burned
composition (X(t_i) -> X(t_j), :func:`nnn.emulate.dataset.burned_start_pairs`): the inputs a
stellar code's chained steps give; their unresolved energies are NaN and left out of the
energy losses (:func:`masked_l1`).

Three phases, each resumable from ``OUT/checkpoints/``:

1. **Composition, Ye and energies together.**  Loss: L1 on log10 X (both sides clipped below at
   ``x_floor``; the paper's term) + ``w_xlin`` * sum_i |X_i - X_i,true| (the abundant isotopes,
   which set Ye and the energies and the paper's eq 5) + ``w_ye`` * L1 on the normalised dYe
   rate + ``w_eps`` * L1 on the normalised energy rates.  Adam with a cosine learning-rate
   decay; the weights kept are those of the best validation composition loss.
2. **Energies on their own.**  The trunk is frozen, its last hidden layer computed once for
   all pairs, and the energy head trained again on the energy loss alone and selected on it
   (early stopping on the composition starved the energy heads).
3. **Error estimate.**  The model's real eq-5 distance sum_i (Z_i/A_i)|X_i - X_i,true| on the
   validation samples (never seen in training) is the target of the error head (L1 on log10),
   which a stellar code thresholds to send a zone to the integrator.

Examples::

    python -m nnn.train --data data/mesa_80.h5 --out runs/m80 --arch small
    python -m nnn.train --data data/mesa_80.h5 --out runs/m80 --max-minutes 60 --resume
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch

from nnn.cli import Parser
from nnn.emulate import dataset as ds
from nnn.emulate import model as mdl

N_A = 6.02214076e23        # 1/mol (CODATA 2018, exact)
MEV_ERG = 1.602176634e-6   # erg per MeV (exact)

#: Named architectures (trunk widths and depth).  ``paper`` is the paper's size (1024, then
#: 2048 wide; 12 layers), too large for CPU training here.
ARCHS = {
    "paper": {"first": 1024, "width": 2048, "depth": 12},
    "medium": {"first": 512, "width": 512, "depth": 5},
    "small": {"first": 384, "width": 384, "depth": 4},
    "tiny": {"first": 64, "width": 64, "depth": 3},
}

#: Shared defaults of the command line and :func:`train`.
DEFAULTS = {"arch": "small", "epochs": 60, "patience": 8, "lr": 1e-3, "batch_size": 1024,
            "val_frac": 0.1, "w_xlin": 10.0, "w_ye": 1.0, "w_eps": 0.3, "x_floor": mdl.X_FLOOR,
            "energy_epochs": 40, "err_epochs": 60, "seed": 0, "ye_scale_quantile": 0.5,
            "burned_starts": 0, "composition_as_change": True, "ye_tilt": True}


def q_values(meta) -> np.ndarray:
    """q_i = mass excess_i / A_i * N_A * MeV (erg/g per unit X) of the dataset's network
    (from the dataset's ``mass_excess_MeV``, else the network file, hash checked)."""
    me = meta.get("mass_excess_MeV")
    if me is None:
        from nnn.emulate.burn import load_network

        net = load_network(meta["network"])
        if net.file_hash != meta["network_hash"]:
            raise ValueError(f"network {meta['network']!r} changed since the dataset was made "
                             "(file hash differs): cannot get its mass excesses")
        me = net.mass_excess_MeV
    return np.asarray(me, float) / np.asarray(meta["A"], float) * N_A * MEV_ERG


def _git_commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True,
                              cwd=Path(__file__).parent, timeout=10).stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def _atomic_save(obj, path: Path):
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def targets(d: dict, zeta: np.ndarray, x_floor: float, block: int = 1 << 16,
            release: bool = False):
    """Model inputs (p, 3 + n) and targets of the pairs in ``d`` (from
    :func:`nnn.emulate.dataset.load_pairs`): log10 X clipped at the floor, X, and the raw
    rates (dYe/dt [1/s], eps_nuc/dt [erg/g/s], eps_nu [erg/g/s]).  A pair whose inputs,
    composition or dYe is not finite is dropped (``ok``); an energy the data do not resolve
    (NaN, burned-start pairs) stays NaN and is left out of the energy losses.

    Computed in float64 ``block`` pairs at a time (dYe is a difference of two sums near 0.5)
    and stored in float32; ``release`` drops ``d["X0"]`` and ``d["X"]`` when done, so that a
    large set's float64 copies and float32 results are not all held at once."""
    n, ni = d["X0"].shape
    x = np.empty((n, 3 + ni), np.float32)
    lx = np.empty((n, ni), np.float32)
    Xf = np.empty((n, ni), np.float32)
    rates = np.empty((n, 3))
    ok = np.empty(n, bool)
    for a in range(0, n, block):
        s = slice(a, min(a + block, n))
        xb = np.concatenate([d["logT"][s, None], d["logrho"][s, None],
                             np.log10(d["dt"][s])[:, None], d["X0"][s]], axis=1)
        X = np.clip(d["X"][s], 0.0, None)
        X = X / X.sum(axis=1, keepdims=True)
        rates[s] = np.stack([(X @ zeta - d["X0"][s] @ zeta) / d["dt"][s],
                             d["eps_nuc"][s] / d["dt"][s], d["eps_nu"][s]], axis=1)
        ok[s] = np.isfinite(xb).all(1) & np.isfinite(X).all(1) & np.isfinite(rates[s, 0])
        x[s], Xf[s] = xb, X
        lx[s] = np.log10(np.clip(X, x_floor, None))
    if release:
        del d["X0"], d["X"]
    if ok.all():
        return x, lx, Xf, rates, ok
    return x[ok], lx[ok], Xf[ok], rates[ok], ok


#: Training pairs the energy head's phase uses at most (2,097,152: all of them for the
#: shipped 65,536-sample sets' 1.47 M; a seeded subset of larger sets, whose features would
#: not fit in memory: 5.9 M pairs x 384 features are 9 GB)
ENERGY_HEAD_MAX_PAIRS = 1 << 21

#: A prediction's |dYe| is capped at this multiple of the largest |dYe| of the training pairs
DYE_MAX_MARGIN = 1.5


def snapshot_path(out, network: str, epoch: int) -> Path:
    """Where ``--snapshots`` keeps epoch ``epoch``'s weights of a run written to ``out``."""
    return Path(out) / "checkpoints" / f"{network}_epoch{int(epoch):03d}.pt"


def _cpu_copy(model) -> dict:
    """The model's weights and buffers, detached and copied to the CPU."""
    return {k: t.detach().cpu().clone() for k, t in model.state_dict().items()}


def _batches(n, batch_size, gen, device=None):
    """Shuffled index batches, on ``device`` (the generator stays on the CPU, so the
    order does not depend on the device)."""
    order = torch.randperm(n, generator=gen)
    if device is not None:
        order = order.to(device)
    for s in range(0, n, batch_size):
        yield order[s:s + batch_size]


def masked_l1(pred, target):
    """Mean |pred - target| over the finite targets (NaN: unknown, see :func:`targets`)."""
    known = torch.isfinite(target)
    return (pred - torch.where(known, target, pred)).abs().sum() / known.sum().clamp(min=1)


def composition_losses(model, xb, lxb, Xb, rb, log_floor10):
    """(L1 log10 X, sum_i |dX_i|, L1 dYe rate, L1 energies), each a mean over the batch."""
    # the composition is tilted to the TRUE Ye (teacher forcing): measured on the small model,
    # 16,384 mesa_80 samples, 60 epochs, best validation sum |dX| 0.348 against 0.358 when
    # tilted to the dYe head's prediction
    logx, r, e = model.forward_train(xb, rb[:, 0])
    l10 = torch.clamp(logx / math.log(10.0), min=log_floor10)
    l_log = (l10 - lxb).abs().mean()
    l_lin = (torch.exp(logx) - Xb).abs().sum(dim=1).mean()
    l_ye = (r - rb[:, 0]).abs().mean()
    l_e = masked_l1(e, rb[:, 1:])
    return l_log, l_lin, l_ye, l_e


def train(data, out, arch=DEFAULTS["arch"], first=None, width=None, depth=None,
          epochs=DEFAULTS["epochs"], patience=DEFAULTS["patience"], lr=DEFAULTS["lr"],
          batch_size=DEFAULTS["batch_size"], val_frac=DEFAULTS["val_frac"],
          w_xlin=DEFAULTS["w_xlin"], w_ye=DEFAULTS["w_ye"], w_eps=DEFAULTS["w_eps"],
          x_floor=DEFAULTS["x_floor"], energy_epochs=DEFAULTS["energy_epochs"],
          err_epochs=DEFAULTS["err_epochs"], seed=DEFAULTS["seed"],
          ye_scale_quantile=DEFAULTS["ye_scale_quantile"],
          burned_starts=DEFAULTS["burned_starts"], max_samples=None,
          max_minutes=None, n_threads=None, resume=False, progress=True, device="cpu",
          snapshots=False, keep_epoch=None, init=None,
          composition_as_change=DEFAULTS["composition_as_change"], ye_tilt=DEFAULTS["ye_tilt"]):
    """Train (or resume) the emulator of dataset ``data`` (a path, or a list of paths of one
    network: :func:`nnn.emulate.dataset.load_sets`); export ``OUT/<network>.pt``.
    Returns the training summary (also written to ``OUT/<network>.json``).  ``snapshots``:
    also keep each epoch's weights and validation losses
    (``checkpoints/<network>_epoch<NNN>.pt``), e.g. to score them on chained steps.
    ``keep_epoch``: export the weights of that epoch of phase 1 instead of those of the best
    validation loss (an epoch chosen on chained steps; its snapshot is used when resuming a
    finished phase 1).  ``init``: start from the weights of a trained float32 model file of
    the same network and architecture (fine-tuning), keeping its rate scales; the dYe cap
    becomes the larger of its own and this data's.

    ``composition_as_change``, ``ye_tilt``: the ablation switches of issue 12's section 3
    (benchmarks/emulator_output_ablation.py).  ``composition_as_change=False`` fixes the
    skip coefficients of ln X0 in the logits at 0, so that the head predicts the state
    rather than the change; ``ye_tilt=False`` drops the Ye tilt, so that the composition is
    the plain softmax and its Ye is whatever that gives (such a file runs in Python only)."""
    from tqdm.auto import tqdm

    n_threads = mdl.set_threads(n_threads)
    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {sorted(ARCHS)}, got {arch!r}")
    if not 0.0 < val_frac < 0.5:
        raise ValueError(f"val_frac must be in (0, 0.5), got {val_frac!r}")
    for name, v in (("batch_size", batch_size), ("epochs", epochs), ("patience", patience)):
        if int(v) < 1:
            raise ValueError(f"{name} must be >= 1, got {v!r}")
    if keep_epoch is not None and not 1 <= int(keep_epoch) <= int(epochs):
        raise ValueError(f"keep_epoch must be in [1, epochs = {epochs}], got {keep_epoch!r}")
    keep_epoch = None if keep_epoch is None else int(keep_epoch)
    if not lr > 0:
        raise ValueError(f"lr must be > 0, got {lr!r}")
    if init is not None and not composition_as_change:
        raise ValueError("composition_as_change=False trains the state from scratch; it cannot "
                         f"start from init={str(init)!r}, whose logits learned the change")
    if not 0.0 < ye_scale_quantile < 1.0:
        raise ValueError(f"ye_scale_quantile must be in (0, 1), got {ye_scale_quantile!r}")
    a = dict(ARCHS[arch], name=arch)
    for k, v in (("first", first), ("width", width), ("depth", depth)):
        if v is not None:
            if int(v) < 1:
                raise ValueError(f"{k} must be >= 1, got {v!r}")
            a[k] = int(v)
    dev = torch.device(device)
    d = ds.load_sets(data, burned_starts=burned_starts, seed=seed)
    data_paths = [str(Path(p).resolve()) for p in ds.as_paths(data)]
    data_path = data_paths[0] if len(data_paths) == 1 else data_paths
    meta = d["meta"]
    zeta = np.asarray(meta["Z"], float) / np.asarray(meta["A"], float)
    x_all, lx_all, X_all, rates, ok = targets(d, zeta, x_floor, release=True)
    sample = d["sample"][ok]
    samples = np.unique(sample)
    rng = np.random.default_rng(seed)
    samples = rng.permutation(samples)
    if max_samples:
        samples = samples[: int(max_samples)]
    n_val = max(1, int(round(val_frac * len(samples))))
    if len(samples) - n_val < 1:
        raise ValueError(f"dataset {str(data)!r} has only {len(samples)} usable samples")
    is_val = np.isin(sample, samples[:n_val])
    is_tr = np.isin(sample, samples[n_val:])
    tr, va = np.flatnonzero(is_tr), np.flatnonzero(is_val)
    # asinh scales: relative accuracy above the scale, absolute below.  The dYe rate's
    # quantile sets how much the loss weighs the few fast-capturing zones that dominate the
    # mean |dYe| error against the many slow ones
    scales = np.nanmedian(np.abs(rates[tr]), axis=0)
    scales[0] = np.quantile(np.abs(rates[tr, 0]), ye_scale_quantile)
    scales = np.where(scales > 0, scales, 1.0)
    start = None
    if init is not None:
        init, start = _init_state(init, meta, a)
        scales = start["scales"].double().numpy()  # the losses must see the model's own scales
    r_all = np.arcsinh(rates / scales).astype(np.float32)
    domain = {"logT": [float(v) for v in meta["logT_range"]],
              "logrho": [float(v) for v in meta["logrho_range"]],
              "Ye": [float(v) for v in meta["ye_range"]],
              "logdt": [float(np.log10(meta["dt_range"][0])),
                        float(np.log10(meta["dt_range"][1]))]}
    torch.manual_seed(seed)
    model = mdl.BurnStepNet(list(meta["isotopes"]), zeta, domain, scales, first=a["first"],
                            width=a["width"], depth=a["depth"], network=meta["network"],
                            network_hash=meta["network_hash"], x_floor=x_floor,
                            q=q_values(meta), ye_tilt=ye_tilt).to(dev)
    if not composition_as_change:
        with torch.no_grad():
            model.skip.zero_()
        model.skip.requires_grad_(False)
    dye_train = np.abs(rates[tr, 0] * d["dt"][ok][tr])
    with torch.no_grad():
        model.dye_max.fill_(DYE_MAX_MARGIN * float(dye_train.max()))
        if start is not None:
            cap = max(float(model.dye_max), float(start["dye_max"]))
            model.load_state_dict(start)
            model.dye_max.fill_(cap)
    out = Path(out)
    ckdir = out / "checkpoints"
    ckdir.mkdir(parents=True, exist_ok=True)
    network = meta["network"]
    config = {"data": data_path, "arch": a, "lr": lr, "batch_size": batch_size,
              "val_frac": val_frac, "w_xlin": w_xlin, "w_ye": w_ye, "w_eps": w_eps,
              "x_floor": x_floor, "seed": seed, "max_samples": max_samples, "epochs": epochs,
              "ye_scale_quantile": ye_scale_quantile, "burned_starts": int(burned_starts),
              "network_hash": meta["network_hash"],
              "init": None if init is None else str(init),
              "composition_as_change": bool(composition_as_change), "ye_tilt": bool(ye_tilt)}
    config = json.loads(json.dumps(config))
    T = {k: torch.from_numpy(v) for k, v in (("x", x_all), ("lx", lx_all), ("X", X_all),
                                             ("r", r_all))}
    lf10 = math.log10(x_floor)

    def rows(idx):
        i = torch.from_numpy(idx)
        return [T[k][i].to(dev) for k in ("x", "lx", "X", "r")]

    xt, lxt, Xt, rt = rows(tr)
    xv, lxv, Xv, rv = rows(va)
    # the split holds copies: the whole arrays go (6 GB for 262,144 mesa_80 samples)
    del T, x_all, lx_all, X_all, r_all

    # ------------------------------------------------------------ phase 1
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=int(epochs), eta_min=lr / 30)
    gen = torch.Generator().manual_seed(seed)
    ck1 = ckdir / f"{network}_phase1.pt"
    hist, epoch, best, best_state, bad, t_train = [], 0, math.inf, None, 0, 0.0
    kept_state = None
    if resume and ck1.exists():
        ck = torch.load(ck1, map_location=dev, weights_only=False)
        if ck["config"] != config:
            k = next(k for k in config if config[k] != ck["config"].get(k))
            raise ValueError(f"cannot resume from {str(ck1)!r}: setting {k!r} differs "
                             f"({ck['config'].get(k)!r} then, {config[k]!r} now)")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        sched.load_state_dict(ck["sched"])
        gen.set_state(ck["gen"])
        hist, epoch, best, best_state, bad = ck["hist"], ck["epoch"], ck["best"], \
            ck["best_state"], ck["bad"]
        # the weights kept by the run that wrote the checkpoint, if it kept the same epoch
        if keep_epoch is not None and ck.get("kept_epoch") == keep_epoch:
            kept_state = ck["kept_state"]
        t_train = ck["train_time"]

    @torch.no_grad()
    def val_losses(batch=16384):
        model.eval()
        tot = np.zeros(4)
        for s in range(0, len(va), batch):
            sl = slice(s, s + batch)
            ls = composition_losses(model, xv[sl], lxv[sl], Xv[sl], rv[sl], lf10)
            tot += np.array([float(v) for v in ls]) * xv[sl].shape[0]
        return (tot / len(va)).tolist()

    bar = tqdm(total=int(epochs), initial=epoch, unit="epoch", desc=f"train {network}",
               disable=not progress)
    stop = "max epochs"
    t0 = time.perf_counter()
    while epoch < epochs and bad < patience:
        te = time.perf_counter()
        model.train()
        # summed on the device: a float() per batch would wait for the GPU every step
        tot = torch.zeros(4, dtype=torch.float64, device=dev)
        for i in _batches(len(tr), int(batch_size), gen, dev):
            ls = composition_losses(model, xt[i], lxt[i], Xt[i], rt[i], lf10)
            loss = ls[0] + w_xlin * ls[1] + w_ye * ls[2] + w_eps * ls[3]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot += torch.stack([v.detach() for v in ls]).double() * len(i)
        tot = tot.cpu().numpy()
        sched.step()
        v = val_losses()
        epoch += 1
        t_train += time.perf_counter() - te
        hist.append({"epoch": epoch, "train": (tot / len(tr)).tolist(), "val": v,
                     "time_s": t_train})
        comp = v[0] + w_xlin * v[1] + w_ye * v[2]
        if comp < best:
            best, bad = comp, 0
            best_state = _cpu_copy(model)
        else:
            bad += 1
        if epoch == keep_epoch:
            kept_state = _cpu_copy(model)
        if snapshots:
            _atomic_save({"epoch": epoch, "val": v, "model": model.state_dict()},
                         snapshot_path(out, network, epoch))
        _atomic_save({"model": model.state_dict(), "opt": opt.state_dict(),
                      "sched": sched.state_dict(), "gen": gen.get_state(), "hist": hist,
                      "epoch": epoch, "best": best, "best_state": best_state, "bad": bad,
                      "kept_state": kept_state,
                      "kept_epoch": None if kept_state is None else keep_epoch,
                      "config": config, "train_time": t_train}, ck1)
        bar.update(1)
        bar.set_postfix(val_log=f"{v[0]:.3g}", val_dX=f"{v[1]:.3g}", val_ye=f"{v[2]:.3g}",
                        val_eps=f"{v[3]:.3g}")
        if bad >= patience:
            stop = "early stopping (validation composition loss rising)"
        if max_minutes and time.perf_counter() - t0 > 60 * max_minutes:
            stop = f"time limit ({max_minutes} min)"
            break
    bar.close()
    best_epoch = 1 + int(np.argmin([h["val"][0] + w_xlin * h["val"][1] + w_ye * h["val"][2]
                                    for h in hist]))

    if keep_epoch is None:
        model.load_state_dict(best_state)
        kept = best_epoch
    else:
        kept = keep_epoch
        snap = snapshot_path(out, network, kept)
        if kept_state is None and snap.exists():
            kept_state = torch.load(snap, map_location=dev, weights_only=False)["model"]
        if kept_state is None:
            raise ValueError(f"keep_epoch {kept} was not reached: phase 1 stopped after "
                             f"{epoch} epochs ({stop})")
        model.load_state_dict(kept_state)

    # ------------------------------------------------------------ phase 2: energies
    model.eval()

    @torch.no_grad()
    def features(x, batch=16384):
        hs, ths = [], []
        for s in range(0, x.shape[0], batch):
            h, th = model.hidden(x[s:s + batch])
            hs.append(h)
            ths.append(th)
        return torch.cat(hs), torch.cat(ths)

    # the head learns from the frozen trunk's features, held for all its pairs at once
    # (4 bytes x width each): beyond ENERGY_HEAD_MAX_PAIRS a seeded subset of them
    xe, re = xt, rt
    if len(tr) > ENERGY_HEAD_MAX_PAIRS:
        pick = torch.randperm(len(tr), generator=torch.Generator().manual_seed(seed + 2))
        e_rows = pick[:ENERGY_HEAD_MAX_PAIRS].sort().values.to(dev)
        xe, re = xt[e_rows], rt[e_rows]
    ht, tht = features(xe)
    hv, thv = features(xv)
    e_hist = _fit_head(lambda h, th: model.energies(h, th), model.energy, ht, tht, re[:, 1:],
                       hv, thv, rv[:, 1:], energy_epochs, lr, batch_size, seed, progress,
                       "energies")
    del ht, tht, xe, re

    # ------------------------------------------------------------ phase 3: error estimate
    with torch.no_grad():
        dist = []
        for s in range(0, len(va), 16384):
            logx, _, _ = model.forward_train(xv[s:s + 16384])
            dist.append((torch.exp(logx) - Xv[s:s + 16384]).abs() @ model.zeta.float())
        lerr = torch.log10(torch.cat(dist) + 1e-10)
    model.err_log_center.fill_(float(lerr.median()))
    # the error head learns on half of the validation samples and is selected on the other
    vs = np.unique(sample[va])
    half = np.isin(sample[va], vs[: len(vs) // 2])
    a_i, b_i = torch.from_numpy(np.flatnonzero(half)), torch.from_numpy(np.flatnonzero(~half))
    err_hist = _fit_head(lambda h, th: model.log_err(h, th)[:, None], model.err_head,
                         hv[a_i], thv[a_i], lerr[a_i, None], hv[b_i], thv[b_i], lerr[b_i, None],
                         err_epochs, lr, batch_size, seed, progress, "error estimate")
    with torch.no_grad():
        pred = model.log_err(hv[b_i], thv[b_i]).cpu().numpy()
    from scipy.stats import spearmanr

    err_rank = float(spearmanr(pred, lerr[b_i].cpu().numpy()).statistic)

    info = {
        "dataset": {"path": data_path, "seed": int(meta["seed"]),
                    "n_samples": int(meta["n_samples"]), "n_failed": int(meta["n_failed"]),
                    "rtol": float(meta["rtol"]), "atol": float(meta["atol"]),
                    "n_pairs_train": int(len(tr)), "n_pairs_val": int(len(va)),
                    "n_burned_start_pairs": int(d["burned"][ok].sum()),
                    **({"sets": meta["sets"]} if "sets" in meta else {})},
        "nnn_commit": _git_commit(), "epochs": epoch, "best_epoch": best_epoch,
        "kept_epoch": kept, "kept_by": "best validation" if keep_epoch is None else "keep_epoch",
        "stop_reason": stop, "train_time_s": t_train, "device": str(dev),
        "cpu_threads": n_threads, "config": config, "n_parameters": mdl.n_parameters(model),
        "best_val": {"names": ["L1 log10 X", "sum_i |dX_i|", "L1 dYe rate (norm.)",
                               "L1 energies (norm.)"], "values": hist[best_epoch - 1]["val"]},
        "kept_val": hist[kept - 1]["val"],
        "energy_head_val_l1": min(e_hist) if e_hist else None,
        "error_estimate": {"val_l1_log10": min(err_hist) if err_hist else None,
                           "spearman_vs_true_eq5": err_rank},
    }
    xmeta = {"network": network, "network_hash": meta["network_hash"],
             "isotopes": list(meta["isotopes"]), "domain": domain, "architecture": a,
             "normalisation": {"x_floor": x_floor, "rate_scales": [float(s) for s in scales],
                               "rate_names": ["dYe/dt (1/s)", "eps_nuc/dt (erg/g/s)",
                                              "eps_nu (erg/g/s)"]},
             "training": info, "metrics": None}
    mpath = mdl.export(model, out / mdl.model_filename(network), xmeta)
    summary = dict(info, model=str(mpath), history=hist)
    mpath.with_suffix(".json").write_text(json.dumps(summary, indent=1))
    return summary


def _init_state(path, meta, arch):
    """(the model file's resolved path, its weights) for a fresh BurnStepNet of dataset
    ``meta`` and architecture ``arch`` (``path``: a file or a shipped model's name);
    ValueError where the two do not match."""
    from nnn.emulate.model_file import read_metadata, resolve_model_path

    path = resolve_model_path(path)
    m = read_metadata(path)
    for k, want in (("network_hash", meta["network_hash"]), ("isotopes", list(meta["isotopes"]))):
        if m.get(k) != want:
            raise ValueError(f"init model {str(path)!r}: its {k} differs from the dataset's")
    got = {k: int(m["architecture"][k]) for k in ("first", "width", "depth")}
    if got != {k: int(arch[k]) for k in got}:
        raise ValueError(f"init model {str(path)!r} has architecture {got}, the run "
                         f"{ {k: arch[k] for k in got} }")
    if m.get("trunk_dtype", "float32") != "float32" or m.get("heads_dtype", "float32") != "float32":
        raise ValueError(f"init model {str(path)!r} is a bfloat16 copy: start from its float32 "
                         "original")
    return path.resolve(), torch.jit.load(str(path), map_location="cpu").state_dict()


def _fit_head(fn, head, h_tr, th_tr, y_tr, h_va, th_va, y_va, epochs, lr, batch_size, seed,
              progress, what):
    """Train ``head`` (its parameters only) so that fn(h, th) fits y (L1); keep the state of
    the lowest validation loss.  Returns the validation loss history."""
    from tqdm.auto import tqdm

    opt = torch.optim.Adam(head.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed + 1)
    best, best_state, hist = math.inf, None, []
    for _ in tqdm(range(int(epochs)), desc=what, unit="epoch", disable=not progress):
        head.train()
        for i in _batches(h_tr.shape[0], int(batch_size), gen, h_tr.device):
            loss = masked_l1(fn(h_tr[i], th_tr[i]), y_tr[i])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        head.eval()
        with torch.no_grad():
            v = float(masked_l1(fn(h_va, th_va), y_va))
        hist.append(v)
        if v < best:
            best = v
            best_state = {k: t.detach().clone() for k, t in head.state_dict().items()}
    if best_state is not None:
        head.load_state_dict(best_state)
    return hist


def build_parser():
    p = Parser(prog="python -m nnn.train", description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, nargs="+",
                   help="dataset(s) from python -m nnn.generate (several: trained on as one)")
    p.add_argument("--out", required=True, help="output folder (<network>.pt, checkpoints/)")
    p.add_argument("--arch", default=DEFAULTS["arch"], choices=sorted(ARCHS))
    p.add_argument("--first", type=int, default=None, help="width of the first hidden layer")
    p.add_argument("--width", type=int, default=None, help="width of further hidden layers")
    p.add_argument("--depth", type=int, default=None, help="number of hidden layers")
    for k in ("epochs", "patience", "batch_size", "energy_epochs", "err_epochs", "seed"):
        p.add_argument("--" + k.replace("_", "-"), type=int, default=DEFAULTS[k])
    p.add_argument("--burned-starts", type=int, default=DEFAULTS["burned_starts"],
                   help="extra pairs per sample that start from its own burned composition "
                        "(shipped models: 8)")
    for k in ("lr", "val_frac", "w_xlin", "w_ye", "w_eps", "x_floor", "ye_scale_quantile"):
        p.add_argument("--" + k.replace("_", "-"), type=float, default=DEFAULTS[k])
    p.add_argument("--max-samples", type=int, default=None, help="use only this many samples")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="stop phase 1 after this long (phases 2-3 take a few minutes more)")
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (default: half the cores)")
    p.add_argument("--device", default="cpu", help="cpu, cuda, cuda:1 ...")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--snapshots", action="store_true",
                   help="keep every epoch's weights in OUT/checkpoints/")
    p.add_argument("--keep-epoch", type=int, default=None,
                   help="export this epoch's weights instead of the best validation epoch's")
    p.add_argument("--init", default=None,
                   help="fine-tune: start from this float32 model file (or shipped name)")
    p.add_argument("--composition-as-state", dest="composition_as_change", action="store_false",
                   help="ablation: the composition head predicts the state, not the change")
    p.add_argument("--no-ye-tilt", dest="ye_tilt", action="store_false",
                   help="ablation: no Ye tilt (the plain softmax; the file runs in Python only)")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv=None):
    a = build_parser().parse_args(argv)
    kw = {k: getattr(a, k) for k in ("arch", "first", "width", "depth", "epochs", "patience",
                                     "batch_size", "energy_epochs", "err_epochs", "seed", "lr",
                                     "val_frac", "w_xlin", "w_ye", "w_eps", "x_floor",
                                     "ye_scale_quantile", "burned_starts",
                                     "max_samples", "max_minutes", "resume", "device",
                                     "snapshots", "keep_epoch", "init",
                                     "composition_as_change", "ye_tilt")}
    try:
        s = train(a.data, a.out, n_threads=a.threads, progress=not a.no_progress, **kw)
    except (ValueError, FileNotFoundError) as e:
        print(f"nnn.train: error: {e}", file=sys.stderr)
        return 2
    bv = s["best_val"]["values"]
    print(f"{s['model']}: {s['n_parameters']} parameters, {s['epochs']} epochs in "
          f"{s['train_time_s']:.0f} s ({s['stop_reason']}); best validation: L1 log10 X "
          f"{bv[0]:.4g}, sum|dX| {bv[1]:.4g}, dYe {bv[2]:.4g}; error estimate Spearman "
          f"{s['error_estimate']['spearman_vs_true_eq5']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
