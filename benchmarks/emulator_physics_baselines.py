"""Issue 12, section 3: are the network's own instantaneous rates at X0 a usable baseline for
an emulator's Ye and energies?

    python benchmarks/emulator_physics_baselines.py --network mesa_80 --sets paper,train-like,ood \
        --model mesa_80

For every case of the cached test sets of ``nnn.emulate.evaluate`` (the engine at rtol 1e-8;
built if missing) the engine's right-hand side at (T, rho, X0) gives the instantaneous
dYe/dt = sum_i Z_i dY_i/dt, eps_nu (weak-rate neutrino loss) and the nuclear energy rate
-N_A MeV sum_i dY_i/dt Delta_i (mass excess Delta_i), and the baselines are

  Ye        Ye0 + dYe/dt(X0) dt
  eps_nuc   (energy rate at X0 - eps_nu at X0) dt      (erg/g over dt)
  eps_nu    eps_nu at X0                              (erg/g/s)

and, as the best a rate at a *predicted* end composition could do (issue 12 asks for eps_nu
"at X0 (and at the predicted X)"), the same rates at the true end composition X(dt) and the
trapezoid of the two,

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


def rates(net, T, rho, X):
    """(dYe/dt [1/s], eps_nuc rate [erg/g/s], eps_nu [erg/g/s]) at each row's (T, rho, X)."""
    Z = np.asarray(net.Z, float)
    dm = np.asarray(net.mass_excess_MeV, float)
    out = np.zeros((len(T), 3))
    for k in range(len(T)):
        x = X[k] / X[k].sum()
        dY, enu = net.rhs(T[k], rho[k], x), net.eps_nu_rate(T[k], rho[k], x)
        out[k] = dY @ Z, -N_A * MEV_ERG * (dY @ dm) - enu, enu
    return out


def table(net, ts, model=None) -> str:
    """The baselines at X0, and, as an upper bound of what the rates at a *predicted* end
    composition could give, at the true end composition X(dt) and the trapezoid of the two
    (the engine's mean rate over the step is what the target holds).  With ``model`` (a
    loaded emulator), also the rates at its predicted X(dt) and its own learned Ye and
    eps_nu, for comparison."""
    zeta = np.asarray(net.Z, float) / np.asarray(net.A, float)
    ok = ts.target["status"] == 0
    T, rho = 10.0 ** ts.logT[ok], 10.0 ** ts.logrho[ok]
    rate0 = rates(net, T, rho, ts.X0[ok])
    ye0 = ts.X0[ok] @ zeta / ts.X0[ok].sum(axis=1)
    keys = ("abs(Ye - Ye_t) / Ye: persistence", "abs(Ye - Ye_t) / Ye: rate at X0",
            "abs(Ye - Ye_t) / Ye: rate at the true X(dt)", "abs(Ye - Ye_t) / Ye: trapezoid",
            "eps_nuc eq 7: rate at X0", "eps_nu eq 8: rate at X0",
            "eps_nu eq 8: rate at the true X(dt)", "eps_nu eq 8: trapezoid")
    if model is not None:
        keys += ("abs(Ye - Ye_t) / Ye: rate at the model's X(dt)", "abs(Ye - Ye_t) / Ye: the model",
                 "eps_nu eq 8: rate at the model's X(dt)", "eps_nu eq 8: the model")
    rows = {k: [] for k in keys}
    for j, dt in enumerate(ts.dts):
        Xt = ts.target["X"][ok, j]
        ye_t = Xt @ zeta / Xt.sum(axis=1)
        rate1 = rates(net, T, rho, Xt)
        mid = 0.5 * (rate0 + rate1)
        for name, r in (("rate at X0", rate0), ("rate at the true X(dt)", rate1),
                        ("trapezoid", mid)):
            rows["abs(Ye - Ye_t) / Ye: " + name].append(
                np.mean(np.abs(ye0 + r[:, 0] * dt - ye_t) / ye_t))
            rows["eps_nu eq 8: " + name].append(
                mt.relative_mae(r[:, 2], ts.target["eps_nu"][ok, j]))
        if model is not None:
            pred = model.predict(ts.logT[ok], ts.logrho[ok], ts.X0[ok], np.full(len(T), dt))
            ratep = rates(net, T, rho, pred["X"])
            rows["abs(Ye - Ye_t) / Ye: rate at the model's X(dt)"].append(
                np.mean(np.abs(ye0 + ratep[:, 0] * dt - ye_t) / ye_t))
            rows["abs(Ye - Ye_t) / Ye: the model"].append(
                np.mean(np.abs(pred["X"] @ zeta - ye_t) / ye_t))
            rows["eps_nu eq 8: rate at the model's X(dt)"].append(
                mt.relative_mae(ratep[:, 2], ts.target["eps_nu"][ok, j]))
            rows["eps_nu eq 8: the model"].append(
                mt.relative_mae(pred["eps_nu"], ts.target["eps_nu"][ok, j]))
        rows["abs(Ye - Ye_t) / Ye: persistence"].append(np.mean(np.abs(ye0 - ye_t) / ye_t))
        rows["eps_nuc eq 7: rate at X0"].append(
            mt.relative_mae(rate0[:, 1] * dt, ts.target["eps_nuc"][ok, j]))
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
    p.add_argument("--model", default=None,
                   help="also the rates at this emulator's predicted X(dt) (a file or network name)")
    p.add_argument("--out", default=None, help="write the tables here (markdown)")
    a = p.parse_args(argv)
    net = nnn.Network.load(a.network)
    model = None
    if a.model:
        from nnn.emulate.model import load_model

        model = load_model(a.model, network=net)
    text = "\n".join(table(net, ev.load_test_set(s, a.n, a.network), model)
                     for s in a.sets.split(","))
    print(text)
    if a.out:
        with open(a.out, "w") as f:
            f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
