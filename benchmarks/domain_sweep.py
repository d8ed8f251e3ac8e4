"""Burn every shipped network over its documented domain and map the outcome.

A grid over log10 T (K) in [7, 10] and log10 rho (g/cm^3) in [0, 10], five
compositions typical of the burning regimes (H/He, C/O, O/Ne/Mg, Si,
Fe-group: every one at every point, so each regime is covered wherever a
star could put it) and dt from 1e-12 to 1e6 s, one zone per burn on one
thread, at the default tolerances. Each burn ends in one of:

- ``ok``: burned (steps and wall time recorded);
- ``refused``: ``ValueError`` (the engine names a limit it will not burn past), or
  ``BurnError`` with status 6, out of domain (it names the limit it stopped at: electron
  captures past the network's physics; in self-heating burns also T or the EOS, below);
- ``failed``: any other ``BurnError`` or a non-finite result (an integrator failure);

Results are appended to a JSONL file as they come, so an interrupted sweep
resumes where it stopped (``--out`` again). The summary prints failures per
network and the steps and time per burn (median, p99, max); the maps (PNG)
show, per network and (T, rho) cell, the worst outcome over compositions and
dt and the most steps taken, and (``*_by_composition.png``) the steps and
failures per network and composition family.

    python benchmarks/domain_sweep.py --quick --out out/domain_quick.jsonl
    python benchmarks/domain_sweep.py --grid medium --out out/domain_medium.jsonl
    python benchmarks/domain_sweep.py --out out/domain_full.jsonl
    python benchmarks/domain_sweep.py --quick --self-heating --max-steps 20000 \
        --out out/domain_self_heating.jsonl

``--self-heating`` burns at constant rho from T0 = the grid's T, with T following the energy
released (``self_heating=True``): the operator-split burn of a stellar code. A burn whose T
leaves the rates' range (status 6, out of domain: a runaway past 1e10 K) or whose state the
EOS rejects counts as ``refused`` (the engine names the limit it stopped at).

Wall times are only meaningful when the machine is otherwise idle: the
summary prints the load average beside them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import time
from pathlib import Path

import numpy as np

NETWORKS = ["approx21_cr60_plus_co56", "mesa_80", "mesa_151"]

#: Regime compositions (mass fractions); every species is in all three networks.
COMPOSITIONS = {
    "H/He": {"p": 0.70, "he4": 0.28, "c12": 0.003, "n14": 0.011, "o16": 0.006},
    "C/O": {"c12": 0.5, "o16": 0.5},
    "O/Ne/Mg": {"o16": 0.6, "ne20": 0.3, "mg24": 0.1},
    "Si": {"si28": 0.6, "s32": 0.4},
    "Fe-group": {"ni56": 0.6, "fe54": 0.2, "fe56": 0.2},
}

GRIDS = {
    # log T, log rho, dt (s)
    "quick": (np.arange(7.0, 10.01, 0.5), np.arange(0.0, 10.01, 2.0),
              [1e-12, 1e-6, 1.0, 1e6]),
    # log T every 0.25 (the quick grid has nothing between 9.5 and 10, where
    # the failures are), log rho every 2, dt every 6 decades: 1560 burns per
    # network, ~30 min of one core on the 2-core machine
    "medium": (np.arange(7.0, 10.01, 0.25), np.arange(0.0, 10.01, 2.0),
               [1e-12, 1e-6, 1.0, 1e6]),
    "full": (np.arange(7.0, 10.01, 0.25), np.arange(0.0, 10.01, 1.0),
             [1e-12, 1e-9, 1e-6, 1e-3, 1.0, 1e3, 1e6]),
}

OUTCOMES = ["ok", "refused", "failed"]


def points(grid):
    logT, logrho, dts = GRIDS[grid]
    for net in NETWORKS:
        for lt in logT:
            for lr in logrho:
                for comp in COMPOSITIONS:
                    for dt in dts:
                        yield net, round(float(lt), 4), round(float(lr), 4), comp, float(dt)


def key(net, lt, lr, comp, dt):
    return f"{net}|{lt:.4f}|{lr:.4f}|{comp}|{dt:.3e}"


OUT_OF_DOMAIN = 6  # nnn's status: a self-heating T left the rates' range, or the EOS's,
#                   or electron captures carried the zone past the network's physics


def burn_one(net, lt, lr, comp, dt, max_steps, self_heating=False):
    import nnn

    t0 = time.perf_counter()
    rec = {"net": net.name, "logT": lt, "logrho": lr, "comp": comp, "dt": dt}
    try:
        r = net.burn(T=10.0 ** lt, rho=10.0 ** lr, X=COMPOSITIONS[comp], dt=dt,
                     max_steps=max_steps, self_heating=self_heating)
        finite = bool(np.all(np.isfinite(r.X)) and math.isfinite(r.eps_nuc))
        rec.update(outcome="ok" if finite else "failed", steps=int(r.n_steps),
                   message="" if finite else "non-finite result")
        if self_heating:
            rec["T_end"] = float(np.ravel(r.T)[-1])
    except ValueError as e:
        rec.update(outcome="refused", steps=0, message=str(e))
    except nnn.BurnError as e:
        out_of_domain = e.status == OUT_OF_DOMAIN  # refused, with the reason named
        rec.update(outcome="refused" if out_of_domain else "failed", steps=0,
                   message=str(e.args[0]) if e.args else str(e))
    rec["seconds"] = time.perf_counter() - t0
    return rec


def load(path):
    done = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if line.strip():
                r = json.loads(line)
                done[key(r["net"], r["logT"], r["logrho"], r["comp"], r["dt"])] = r
    return done


def run(grid, path, max_steps, networks, self_heating=False):
    import nnn
    from tqdm import tqdm

    done = load(path)
    todo = [p for p in points(grid) if p[0] in networks and key(*p) not in done]
    nets = {}
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f, tqdm(todo, desc=f"domain sweep ({grid})", unit="burn") as bar:
        for p in bar:
            if p[0] not in nets:
                nets[p[0]] = nnn.Network.load(p[0])
            rec = burn_one(nets[p[0]], *p[1:], max_steps, self_heating)
            f.write(json.dumps(rec) + "\n")
            f.flush()
            done[key(*p)] = rec
            bar.set_postfix_str(f"{p[0][:8]} logT {p[1]} logrho {p[2]} {rec['outcome']}")
    return [r for r in done.values() if r["net"] in networks]


def stats(a):
    a = np.asarray(a, dtype=float)
    if a.size == 0:
        return "-"
    return f"median {np.median(a):.4g}, p99 {np.percentile(a, 99):.4g}, max {a.max():.4g}"


def summarise(recs, networks):
    lines = [f"load average at summary: {os.getloadavg()[0]:.2f} (times are unreliable above 1.5)"]
    for net in networks:
        rs = [r for r in recs if r["net"] == net]
        if not rs:
            continue
        cnt = {o: sum(r["outcome"] == o for r in rs) for o in OUTCOMES}
        ok = [r for r in rs if r["outcome"] == "ok"]
        lines.append(f"{net}: {len(rs)} burns, ok {cnt['ok']}, refused {cnt['refused']}, "
                     f"failed {cnt['failed']}")
        lines.append("  failed per composition: " + ", ".join(
            f"{c} {sum(r['outcome'] == 'failed' and r['comp'] == c for r in rs)}" for c in COMPOSITIONS))
        lines.append(f"  steps: {stats([r['steps'] for r in ok])}")
        lines.append(f"  time (ms): {stats([1e3 * r['seconds'] for r in ok])}")
        worst = sorted(ok, key=lambda r: -r["steps"])[:3]
        for r in worst:
            lines.append(f"  slowest: {r['steps']} steps, logT {r['logT']} logrho {r['logrho']} "
                         f"{r['comp']} dt {r['dt']:g}")
        msgs = {}
        for r in rs:
            if r["outcome"] != "ok":
                m = r["message"].split(";")[0][:90]
                msgs.setdefault((r["outcome"], m), []).append(r)
        for (o, m), group in sorted(msgs.items(), key=lambda kv: -len(kv[1])):
            lt = sorted({g["logT"] for g in group})
            lines.append(f"  {o} x{len(group)} (logT {lt[0]}..{lt[-1]}): {m}")
    return "\n".join(lines)


def plot(recs, networks, png):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import ListedColormap

    fig, axes = plt.subplots(2, len(networks), figsize=(4.6 * len(networks), 7.5), squeeze=False)
    for j, net in enumerate(networks):
        rs = [r for r in recs if r["net"] == net]
        lt = sorted({r["logT"] for r in rs})
        lr = sorted({r["logrho"] for r in rs})
        worst = np.zeros((len(lr), len(lt)))
        steps = np.full((len(lr), len(lt)), np.nan)
        for r in rs:
            i, k = lr.index(r["logrho"]), lt.index(r["logT"])
            worst[i, k] = max(worst[i, k], OUTCOMES.index(r["outcome"]))
            if r["outcome"] == "ok":
                steps[i, k] = np.nanmax([steps[i, k], r["steps"]])
        ext = [lt[0] - 0.125, lt[-1] + 0.125, lr[0] - 0.5, lr[-1] + 0.5] if lt and lr else None
        ax = axes[0, j]
        ax.imshow(worst, origin="lower", aspect="auto", extent=ext, vmin=0, vmax=2,
                  cmap=ListedColormap(["#4caf50", "#ffb300", "#d32f2f"]))
        ax.set_title(f"{net}\nworst outcome (green ok, amber refused, red failed)", fontsize=8)
        ax = axes[1, j]
        im = ax.imshow(np.log10(steps), origin="lower", aspect="auto", extent=ext, cmap="viridis")
        fig.colorbar(im, ax=ax, label="log10 max steps (ok burns)")
        for ax in axes[:, j]:
            ax.set_xlabel("log10 T (K)")
            ax.set_ylabel("log10 rho (g/cm3)")
    fig.tight_layout()
    fig.savefig(png, dpi=110)
    plt.close(fig)
    plot_by_composition(recs, networks, png.with_name(png.stem + "_by_composition.png"))


def plot_by_composition(recs, networks, png):
    """One panel per composition family (rows) and network (columns): colour
    = log10 of the most steps any dt took in the (T, rho) cell; a red cross
    marks a cell with a failed burn (the number of failed dt beside it), an
    amber square one with a refusal."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    comps = list(COMPOSITIONS)
    fig, axes = plt.subplots(len(comps), len(networks), figsize=(4.2 * len(networks), 2.9 * len(comps)),
                             squeeze=False, sharex=True, sharey=True)
    vmax = np.log10(max([r["steps"] for r in recs if r["outcome"] == "ok"] + [10]))
    im = None
    for j, net in enumerate(networks):
        for i, comp in enumerate(comps):
            ax = axes[i, j]
            rs = [r for r in recs if r["net"] == net and r["comp"] == comp]
            if not rs:
                ax.set_visible(False)
                continue
            lt = sorted({r["logT"] for r in rs})
            lr = sorted({r["logrho"] for r in rs})
            steps = np.full((len(lr), len(lt)), np.nan)
            failed = np.zeros((len(lr), len(lt)), int)
            refused = np.zeros((len(lr), len(lt)), bool)
            for r in rs:
                a, b = lr.index(r["logrho"]), lt.index(r["logT"])
                if r["outcome"] == "ok":
                    steps[a, b] = np.nanmax([steps[a, b], r["steps"]])
                failed[a, b] += r["outcome"] == "failed"
                refused[a, b] |= r["outcome"] == "refused"
            dT = (lt[1] - lt[0]) / 2 if len(lt) > 1 else 0.5
            dr = (lr[1] - lr[0]) / 2 if len(lr) > 1 else 0.5
            im = ax.imshow(np.log10(steps), origin="lower", aspect="auto", cmap="viridis",
                           vmin=0, vmax=vmax, extent=[lt[0] - dT, lt[-1] + dT, lr[0] - dr, lr[-1] + dr])
            for a in range(len(lr)):
                for b in range(len(lt)):
                    if failed[a, b]:
                        ax.plot(lt[b], lr[a], "x", color="red", ms=9, mew=2)
                        ax.annotate(str(failed[a, b]), (lt[b], lr[a]), xytext=(4, 4),
                                    textcoords="offset points", color="red", fontsize=7)
                    elif refused[a, b]:
                        ax.plot(lt[b], lr[a], "s", mfc="none", mec="#ffb300", ms=9, mew=2)
            n_fail = int(failed.sum())
            ax.set_title(f"{net[:12]}, {comp}: {n_fail} failed", fontsize=8)
            if i == len(comps) - 1:
                ax.set_xlabel("log10 T (K)")
            if j == 0:
                ax.set_ylabel("log10 rho (g/cm3)")
    if im is not None:
        fig.colorbar(im, ax=axes, label="log10 max steps over dt (ok burns)", shrink=0.6)
    fig.savefig(png, dpi=100)
    plt.close(fig)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="the coarse grid (minutes)")
    ap.add_argument("--grid", choices=sorted(GRIDS), default=None,
                    help="quick, medium (log T every 0.25, ~30 min) or full (default; --quick = quick)")
    ap.add_argument("--out", type=Path, default=None, help="JSONL results (resumed if present)")
    ap.add_argument("--networks", default=",".join(NETWORKS))
    ap.add_argument("--max-steps", type=int, default=500000)
    ap.add_argument("--self-heating", action="store_true",
                    help="self-heating burns from T0 = the grid's T at constant rho")
    ap.add_argument("--summary-only", action="store_true", help="summarise --out, burn nothing")
    args = ap.parse_args(argv)
    grid = args.grid or ("quick" if args.quick else "full")
    mode = "_self_heating" if args.self_heating else ""
    out = args.out or Path("out") / f"domain_{grid}{mode}.jsonl"
    networks = [n for n in args.networks.split(",") if n]
    recs = ([r for r in load(out).values() if r["net"] in networks] if args.summary_only
            else run(grid, out, args.max_steps, networks, args.self_heating))
    text = summarise(recs, networks)
    print(text)
    out.with_suffix(".txt").write_text(text + "\n")
    plot(recs, networks, out.with_suffix(".png"))
    print(f"map: {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
