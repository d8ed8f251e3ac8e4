"""Train one NNN emulator per dt: ``python -m nnn.train``.

Loss (Grichener et al. 2025): L1 on log10 X (both sides clipped below at ``x_floor``, so
abundances under the floor cost nothing) + ``w_eps`` * (L1 on the normalised eps_nuc +
L1 on the normalised eps_nu), plus (our addition, ``--w-xlin``, 0 gives the paper's loss)
``w_xlin`` * sum_i |X_i,pred - X_i| -- the log term alone treats an isotope at 1e-12 like
one at 0.5 and leaves the abundant isotopes, which set Ye and eps, too loose -- and
``w_ye`` * L1 on the normalised Delta Ye head (``--no-ye-head`` removes it; see
:mod:`nnn.emulate.model`).  Adam, lr 1e-4, batch 512 by default.  Early stopping: the
validation composition loss is watched every epoch; training stops after ``patience``
epochs without a new best and the best weights are exported.  A checkpoint is written every
epoch (``OUT/checkpoints/``); ``--resume`` continues from it.

Examples::

    python -m nnn.train --data data/mesa_80.h5 --dt 1e-3 --out runs/m80        # paper size
    python -m nnn.train --data data/mesa_80.h5 --dt 1 --out runs/m80s --arch small
    python -m nnn.train --data data/mesa_80.h5 --dt all --out runs/m80 --device cuda
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from nnn.emulate import dataset as ds
from nnn.emulate import model as mdl

#: Named architectures.  ``paper`` follows the paper (depth 12 for mesa_80, 9 for mesa_151).
ARCHS = {
    "paper": {"first": 1024, "width": 2048, "depth": None},
    "medium": {"first": 512, "width": 512, "depth": 6},
    "small": {"first": 256, "width": 256, "depth": 4},
    "tiny": {"first": 64, "width": 64, "depth": 3},
}


N_A = 6.02214076e23
MEV_ERG = 1.602176634e-6


def _q_values(meta) -> np.ndarray:
    """q_i = mass excess_i / A_i * N_A * MeV [erg/g per unit X]: from the dataset's
    ``mass_excess_MeV`` attribute, else from the network (hash checked)."""
    me = meta.get("mass_excess_MeV")
    if me is None:
        from nnn.emulate.burn import load_network

        net = load_network(meta["network"])
        if net.file_hash != meta["network_hash"]:
            raise ValueError(f"network {meta['network']!r} changed since the dataset was made "
                             "(file hash differs): cannot get its mass excesses")
        me = getattr(net, "mass_excess_MeV", None)
        if me is None:
            me = net._core.mass_excess_MeV
    return np.asarray(me, float) / np.asarray(meta["A"], float) * N_A * MEV_ERG


def paper_depth(network: str) -> int:
    return 9 if "151" in str(network) else 12


def resolve_arch(arch="paper", network="mesa_80", first=None, width=None, depth=None,
                 log_inputs=True, residual=True, ye_head=True) -> dict:
    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {sorted(ARCHS)}, got {arch!r}")
    a = dict(ARCHS[arch])
    if a["depth"] is None:
        a["depth"] = paper_depth(network)
    for k, v in (("first", first), ("width", width), ("depth", depth)):
        if v is not None:
            if int(v) < 1:
                raise ValueError(f"{k} must be >= 1, got {v}")
            a[k] = int(v)
    a["log_inputs"] = bool(log_inputs)
    a["residual"] = bool(residual)
    a["ye_head"] = bool(ye_head)
    a["activation"] = "relu"
    a["name"] = arch
    return a


def _pick_device(device):
    if device in (None, "auto"):
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if str(device).startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device={device!r} requested but CUDA is not available")
    return torch.device(device)


def _atomic_save(obj, path: Path):
    tmp = path.with_name(path.name + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def prepare(data: dict, x_floor: float, zeta):
    """Model inputs (N, 2+n_iso) and targets: log10 X clipped at the floor, eps (N, 2),
    Delta Ye = Ye(X) - Ye(X0) (N,)."""
    x = np.concatenate([data["logT"][:, None], data["logrho"][:, None], data["X0"]], axis=1)
    logx = np.log10(np.clip(data["X"], x_floor, None))
    eps = np.stack([data["eps_nuc"], data["eps_nu"]], axis=1)
    dye = data["X"] @ zeta - data["X0"] @ zeta
    finite = np.isfinite(x).all(1) & np.isfinite(logx).all(1) & np.isfinite(eps).all(1) & \
        np.isfinite(dye)
    return x[finite].astype(np.float32), logx[finite].astype(np.float32), eps[finite], \
        dye[finite], int((~finite).sum())


def _losses(model, xb, lxb, eb, log_floor10):
    """(L1 log10 X, L1 eps_nuc, L1 eps_nu, L1 X, L1 Delta Ye): the first three are the
    paper's loss terms (means over isotopes and samples); L1 X is the sum over isotopes of
    |Delta X_i| (mean over samples), which weighs the abundant isotopes that set Ye and the
    energy; the last is the normalised Delta Ye head (0 without it).  ``eb`` holds the
    normalised eps_nuc, eps_nu and Delta Ye targets."""
    logx, e, dye = model.forward_all(xb)
    l10 = logx / math.log(10.0)
    lp = torch.clamp(l10, min=log_floor10)
    l_x = (lp - lxb).abs().mean()
    l_e = (e - eb[:, :2]).abs().mean(dim=0)
    l_lin = (torch.exp(logx) - torch.pow(10.0, lxb)).abs().sum(dim=1).mean()
    l_ye = (dye - eb[:, 2]).abs().mean() if model.ye_head else torch.zeros((), device=xb.device)
    return l_x, l_e[0], l_e[1], l_lin, l_ye


@torch.no_grad()
def _evaluate(model, x, lx, e, log_floor10, batch=8192):
    model.eval()
    tot = torch.zeros(5, dtype=torch.float64)
    n = x.shape[0]
    for s in range(0, n, batch):
        l = _losses(model, x[s:s + batch], lx[s:s + batch], e[s:s + batch], log_floor10)
        tot += torch.tensor([float(v) for v in l], dtype=torch.float64) * min(batch, n - s)
    return (tot / max(n, 1)).tolist()


def train(data, dt, out, arch="paper", first=None, width=None, depth=None, log_inputs=True,
          residual=True, ye_head=True, w_ye=1.0, epochs=200, patience=10, lr=1e-4,
          batch_size=512, val_frac=0.1, w_eps=1.0, w_xlin=10.0, x_floor=1e-14,
          eps_mode="linear", seed=0, device="auto", resume=False, max_samples=None,
          n_threads=None, progress=True, max_minutes=None, eps_from_x=False,
          ye_mode="asinh"):
    """Train (or resume) the emulator of ``data`` for one ``dt``; export it to
    ``OUT/models/<network>_dt<dt>.pt``.  Returns a summary dict (also in
    ``OUT/models/<network>_dt<dt>.json``)."""
    n_threads = mdl.set_threads(n_threads)
    if not 0.0 < val_frac < 1.0:
        raise ValueError(f"val_frac must be in (0, 1), got {val_frac}")
    if eps_mode not in ("linear", "asinh"):
        raise ValueError(f"eps_mode must be 'linear' or 'asinh', got {eps_mode!r}")
    if int(batch_size) < 1 or int(epochs) < 1:
        raise ValueError(f"batch_size and epochs must be >= 1, got {batch_size}, {epochs}")
    d = ds.load_dt(data, float(dt))
    meta = d["meta"]
    network = meta["network"]
    dt = d["dt"]
    zeta = np.asarray(meta["Z"], float) / np.asarray(meta["A"], float)
    x_all, lx_all, eps_all, dye_all, n_nonfinite = prepare(d, x_floor, zeta)
    n = x_all.shape[0]
    rng = np.random.default_rng(seed)
    perm = rng.permutation(n)
    if max_samples:
        perm = perm[: int(max_samples)]
    n_val = max(1, int(round(val_frac * len(perm))))
    if len(perm) - n_val < 1:
        raise ValueError(f"dataset {str(data)!r} has only {n} usable samples at dt={dt:g}; "
                         "need at least 2")
    val_idx, tr_idx = perm[:n_val], perm[n_val:]
    mode = mdl.EPS_ASINH if eps_mode == "asinh" else mdl.EPS_LINEAR
    scale = mdl.eps_scales(eps_all[tr_idx], mode)
    if ye_mode == "asinh":  # relative accuracy above the median |Delta Ye|
        ye_scale = float(np.median(np.abs(dye_all[tr_idx]))) or 1e-12
        dye_n = np.arcsinh(dye_all / ye_scale)
    elif ye_mode == "linear":
        ye_scale = float(np.abs(dye_all[tr_idx]).mean()) or 1e-8
        dye_n = dye_all / ye_scale
    else:
        raise ValueError(f"ye_mode must be 'linear' or 'asinh', got {ye_mode!r}")
    e_all = np.concatenate([mdl.eps_normalise(eps_all, mode, scale), dye_n[:, None]],
                           axis=1).astype(np.float32)
    a = resolve_arch(arch, network, first, width, depth, log_inputs, residual, ye_head)
    a["eps_from_x"] = bool(eps_from_x)
    q = _q_values(meta) if eps_from_x else None
    norm = {"x_floor": float(x_floor), "logT_range": list(map(float, meta["logT_range"])),
            "logrho_range": list(map(float, meta["logrho_range"])), "eps_mode": mode,
            "eps_mode_name": eps_mode, "eps_scale": [float(s) for s in scale],
            "zeta": [float(z) for z in zeta], "ye_scale": ye_scale, "ye_mode": ye_mode,
            "dt": float(dt),
            "q": None if q is None else [float(v) for v in q],
            "inputs": "[log10 T, log10 rho, X_1..X_n]; logT, logrho -> (v - center)/half",
            "outputs": "[X_1..X_n, eps_nuc (erg/g over dt), eps_nu (erg/g/s)]"}
    dev = _pick_device(device)
    torch.manual_seed(seed)
    model = mdl.build(len(meta["isotopes"]), a, norm).to(dev)
    opt = torch.optim.Adam(model.parameters(), lr=lr)

    out = Path(out)
    tag = mdl.model_filename(network, dt)[:-3]
    ckdir = out / "checkpoints"
    ckdir.mkdir(parents=True, exist_ok=True)
    ck_path = ckdir / f"{tag}_last.pt"
    config = {"data": str(Path(data).resolve()), "dt": dt, "arch": a, "norm": norm, "lr": lr,
              "batch_size": int(batch_size), "val_frac": val_frac, "w_eps": w_eps,
              "w_xlin": w_xlin, "w_ye": w_ye,
              "seed": seed, "max_samples": max_samples, "network_hash": meta["network_hash"]}
    hist, epoch, best, best_state, bad = [], 0, math.inf, None, 0
    gen = torch.Generator().manual_seed(seed)
    train_time = 0.0
    if resume and ck_path.exists():
        ck = torch.load(ck_path, map_location=dev, weights_only=False)
        if ck["config"] != json.loads(json.dumps(config)):
            diff = [k for k in config if json.loads(json.dumps(config))[k] != ck["config"].get(k)]
            raise ValueError(f"cannot resume from {str(ck_path)!r}: setting {diff[0]!r} differs "
                             f"({ck['config'].get(diff[0])!r} then, {config[diff[0]]!r} now)")
        model.load_state_dict(ck["model"])
        opt.load_state_dict(ck["opt"])
        hist, epoch, best, bad = ck["hist"], ck["epoch"], ck["best"], ck["bad"]
        best_state = ck["best_state"]
        gen.set_state(ck["gen"])
        train_time = ck.get("train_time", 0.0)
    elif resume:
        print(f"nnn.train: no checkpoint at {ck_path}, starting from scratch", file=sys.stderr)

    xt = torch.from_numpy(x_all[tr_idx]).to(dev)
    lxt = torch.from_numpy(lx_all[tr_idx]).to(dev)
    et = torch.from_numpy(e_all[tr_idx]).to(dev)
    xv = torch.from_numpy(x_all[val_idx]).to(dev)
    lxv = torch.from_numpy(lx_all[val_idx]).to(dev)
    ev = torch.from_numpy(e_all[val_idx]).to(dev)
    lf10 = math.log10(x_floor)
    n_tr = xt.shape[0]

    from tqdm.auto import tqdm

    bar = tqdm(total=epochs, initial=epoch, unit="epoch", desc=f"train {tag}",
               disable=not progress)
    stop_reason = "max epochs"
    t_start = time.perf_counter()
    if bad >= patience:
        stop_reason = "early stopping (validation composition loss rising)"
    while epoch < epochs and bad < patience:
        t0 = time.perf_counter()
        model.train()
        order = torch.randperm(n_tr, generator=gen).to(dev)
        tot = np.zeros(5)
        for s in range(0, n_tr, batch_size):
            i = order[s:s + batch_size]
            l_x, l_n, l_v, l_lin, l_ye = _losses(model, xt[i], lxt[i], et[i], lf10)
            loss = l_x + w_eps * (l_n + l_v) + w_xlin * l_lin + w_ye * l_ye
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tot += np.array([v.item() for v in (l_x, l_n, l_v, l_lin, l_ye)]) * len(i)
        tr = (tot / n_tr).tolist()
        va = _evaluate(model, xv, lxv, ev, lf10)
        epoch += 1
        train_time += time.perf_counter() - t0
        hist.append({"epoch": epoch, "train": tr, "val": va, "time_s": train_time})
        comp = va[0] + w_xlin * va[3]  # validation loss of the composition
        if comp < best:
            best, bad = comp, 0
            best_state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
        else:
            bad += 1
        _atomic_save({"model": model.state_dict(), "opt": opt.state_dict(), "hist": hist,
                      "epoch": epoch, "best": best, "bad": bad, "best_state": best_state,
                      "gen": gen.get_state(), "config": json.loads(json.dumps(config)),
                      "train_time": train_time}, ck_path)
        bar.update(1)
        bar.set_postfix(train=f"{sum(tr):.3g}", val_X=f"{va[0]:.3g}",
                        val_eps=f"{va[1] + va[2]:.3g}")
        if bad >= patience:
            stop_reason = "early stopping (validation composition loss rising)"
        if max_minutes and time.perf_counter() - t_start > 60 * max_minutes:
            stop_reason = f"time limit ({max_minutes} min)"
            break
    bar.close()

    model.load_state_dict(best_state)
    best_epoch = int(np.argmin([h["val"][0] + w_xlin * h["val"][3] for h in hist])) + 1
    mpath = out / "models" / mdl.model_filename(network, dt)
    info = {
        "dataset": str(Path(data).resolve()), "n_train": int(len(tr_idx)), "n_val": int(n_val),
        "n_failed_dropped": d["n_failed"], "n_nonfinite_dropped": n_nonfinite,
        "epochs": epoch, "best_epoch": best_epoch, "stop_reason": stop_reason,
        "final_losses": {"train": hist[-1]["train"], "val": hist[-1]["val"],
                         "best_val": hist[best_epoch - 1]["val"],
                         "names": ["L1 log10 X", "L1 eps_nuc (norm.)", "L1 eps_nu (norm.)",
                                   "sum_i |Delta X_i|", "L1 Delta Ye (norm.)"]},
        "first_losses": {"train": hist[0]["train"], "val": hist[0]["val"]},
        "train_time_s": train_time, "device": str(dev), "cpu_threads": n_threads, "lr": lr,
        "batch_size": batch_size,
        "w_eps": w_eps, "w_xlin": w_xlin, "w_ye": w_ye, "seed": seed, "nnn_version": _version(),
        "n_parameters": mdl.n_parameters(model),
    }
    ye_range = [float(v) for v in meta["ye_range"]]
    xmeta = {"network": network, "network_hash": meta["network_hash"],
             "isotopes": list(meta["isotopes"]), "dt": dt,
             "domain": {"logT": list(map(float, meta["logT_range"])),
                        "logrho": list(map(float, meta["logrho_range"])), "Ye": ye_range},
             "architecture": a, "normalisation": norm, "training": info}
    mdl.export(model, mpath, xmeta)
    summary = dict(info, model=str(mpath), history=hist, architecture=a)
    mpath.with_suffix(".json").write_text(json.dumps(summary, indent=1))
    return summary


def _version():
    try:
        import nnn

        return nnn.__version__
    except Exception:  # pragma: no cover
        return "unknown"


def build_parser():
    p = argparse.ArgumentParser(prog="python -m nnn.train", description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="dataset from python -m nnn.generate")
    p.add_argument("--dt", required=True,
                   help="dt in s (one of the dataset's times), a comma list, or 'all'")
    p.add_argument("--out", required=True, help="output folder (models/, checkpoints/)")
    p.add_argument("--arch", default="paper", choices=sorted(ARCHS))
    p.add_argument("--first", type=int, default=None, help="width of the first hidden layer")
    p.add_argument("--width", type=int, default=None, help="width of further hidden layers")
    p.add_argument("--depth", type=int, default=None, help="number of hidden layers")
    p.add_argument("--no-log-inputs", action="store_true", help="paper inputs only")
    p.add_argument("--no-residual", action="store_true", help="plain log-softmax output")
    p.add_argument("--no-ye-head", action="store_true",
                   help="no Delta Ye head / Ye projection (the paper's output)")
    p.add_argument("--w-ye", type=float, default=1.0, help="weight of the Delta Ye loss")
    p.add_argument("--ye-mode", default="asinh", choices=["linear", "asinh"],
                   help="scaling of the Delta Ye target")
    p.add_argument("--eps-from-x", action="store_true",
                   help="eps_nuc from the predicted composition (energy conservation)")
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--patience", type=int, default=10)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--val-frac", type=float, default=0.1)
    p.add_argument("--w-eps", type=float, default=1.0, help="weight of the eps losses")
    p.add_argument("--w-xlin", type=float, default=10.0,
                   help="weight of the linear L1 term on X (0 = the paper's loss)")
    p.add_argument("--x-floor", type=float, default=1e-14)
    p.add_argument("--eps-mode", default="linear", choices=["linear", "asinh"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:1 ...")
    p.add_argument("--threads", type=int, default=None,
                   help="torch CPU threads (default: half the cores)")
    p.add_argument("--max-samples", type=int, default=None)
    p.add_argument("--max-minutes", type=float, default=None, help="stop after this long")
    p.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    p.add_argument("--no-progress", action="store_true")
    return p


def main(argv=None):
    a = build_parser().parse_args(argv)
    try:
        meta = ds.read_meta(a.data)
        if a.dt == "all":
            dts = [float(t) for t in meta["times"]]
        else:
            try:
                dts = [float(v) for v in a.dt.split(",")]
            except ValueError:
                raise ValueError(f"--dt must be a number, a comma list or 'all', got {a.dt!r}")
        for dt in dts:
            ds.dt_index(meta, dt)
        for dt in dts:
            s = train(a.data, dt, a.out, arch=a.arch, first=a.first, width=a.width,
                      depth=a.depth, log_inputs=not a.no_log_inputs, residual=not a.no_residual,
                      ye_head=not a.no_ye_head, w_ye=a.w_ye, eps_from_x=a.eps_from_x,
                      ye_mode=a.ye_mode,
                      epochs=a.epochs, patience=a.patience, lr=a.lr, batch_size=a.batch_size,
                      val_frac=a.val_frac, w_eps=a.w_eps, w_xlin=a.w_xlin, x_floor=a.x_floor,
                      eps_mode=a.eps_mode, seed=a.seed, device=a.device, resume=a.resume,
                      max_samples=a.max_samples, n_threads=a.threads,
                      progress=not a.no_progress, max_minutes=a.max_minutes)
            fl = s["final_losses"]["best_val"]
            print(f"dt={dt:g}: {s['model']} ({s['n_parameters']} parameters), "
                  f"{s['epochs']} epochs in {s['train_time_s']:.1f} s, best val losses "
                  f"X {fl[0]:.4g} eps_nuc {fl[1]:.4g} eps_nu {fl[2]:.4g} ({s['stop_reason']})")
    except (ValueError, FileNotFoundError) as e:
        print(f"nnn.train: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
