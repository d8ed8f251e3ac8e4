"""Issue 12, section 3: are the network's own instantaneous rates at X0 a usable baseline for
an emulator's Ye and energies?

    python benchmarks/emulator_physics_baselines.py --network mesa_80 --sets paper,train-like,ood

For every case of the cached test sets of ``nnn.emulate.evaluate`` (the engine at rtol 1e-8;
built if missing) the engine's right-hand side at (T, rho, X0) gives the instantaneous
dYe/dt = sum_i Z_i dY_i/dt, eps_nu (weak-rate neutrino loss) and the nuclear energy rate
-N_A MeV sum_i dY_i/dt Delta_i (mass excess Delta_i), and the baselines are

  Ye        Ye0 + dYe/dt(X0) dt
  eps_nuc   (energy rate at X0 - eps_nu at X0) dt      (erg/g over dt)
  eps_nu    eps_nu at X0                              (erg/g/s)

scored as in ``python -m nnn.evaluate``: mean |Ye - Ye_t| / Ye_t, and the paper's eqs 7-8
(mean |error| / mean |target|), against persistence (Ye0, zero energies: 1 on eqs 7-8).
Prints one table per set and writes ``--out`` (markdown) if given.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import nnn
from nnn.emulate import evaluate as ev
from nnn.emulate import metrics as mt
from nnn.emulate.train import MEV_ERG, N_A


def instantaneous(net, ts):
    """(dYe/dt [1/s], eps_nuc rate [erg/g/s], eps_nu [erg/g/s]) at X0 for every case."""
    Z = np.asarray(net.Z, float)
    dm = np.asarray(net.mass_excess_MeV, float)
    out = np.zeros((ts.n, 3))
    for k in range(ts.n):
        T, rho, X0 = 10.0 ** ts.logT[k], 10.0 ** ts.logrho[k], ts.X0[k] / ts.X0[k].sum()
        dY, enu = net.rhs(T, rho, X0), net.eps_nu_rate(T, rho, X0)
        out[k] = dY @ Z, -N_A * MEV_ERG * (dY @ dm) - enu, enu
    return out


def table(net, ts) -> str:
    zeta = np.asarray(net.Z, float) / np.asarray(net.A, float)
    rate = instantaneous(net, ts)
    ok = ts.target["status"] == 0
    ye0 = (ts.X0 @ zeta)[ok]
    rows = {"abs(Ye - Ye_t) / Ye: rate at X0": [], "abs(Ye - Ye_t) / Ye: persistence": [],
            "eps_nuc eq 7: rate at X0": [], "eps_nu eq 8: rate at X0": []}
    for j, dt in enumerate(ts.dts):
        Xt = ts.target["X"][ok, j]
        ye_t = Xt @ zeta / Xt.sum(axis=1)
        rows["abs(Ye - Ye_t) / Ye: rate at X0"].append(
            np.mean(np.abs(ye0 + rate[ok, 0] * dt - ye_t) / ye_t))
        rows["abs(Ye - Ye_t) / Ye: persistence"].append(np.mean(np.abs(ye0 - ye_t) / ye_t))
        rows["eps_nuc eq 7: rate at X0"].append(
            mt.relative_mae(rate[ok, 1] * dt, ts.target["eps_nuc"][ok, j]))
        rows["eps_nu eq 8: rate at X0"].append(
            mt.relative_mae(rate[ok, 2], ts.target["eps_nu"][ok, j]))
    head = "| metric | " + " | ".join(f"{dt:.0e}" for dt in ts.dts) + " |"
    lines = [f"**{net.name}, test set `{ts.name}`, {int(ok.sum())} cases** "
             "(persistence: 1 on eqs 7-8)", "", head,
             "|---" * (len(ts.dts) + 1) + "|"]
    lines += ["| " + k + " | " + " | ".join(f"{v:.2g}" for v in vals) + " |"
              for k, vals in rows.items()]
    return "\n".join(lines) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--network", default=ev.DEFAULT_NETWORK)
    p.add_argument("--sets", default="paper,train-like,ood")
    p.add_argument("--n", type=int, default=ev.DEFAULT_N_TEST)
    p.add_argument("--out", default=None, help="write the tables here (markdown)")
    a = p.parse_args(argv)
    net = nnn.Network.load(a.network)
    text = "\n".join(table(net, ev.load_test_set(s, a.n, a.network))
                     for s in a.sets.split(","))
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
