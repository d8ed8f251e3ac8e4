"""A training set that starts from a model's own chained outputs (DAgger, Ross et al. 2011).

A chained emulator meets compositions that only its own errors produce; the sampler's
mixtures and the engine's burned starts never are such compositions. This script makes a
set whose starting compositions are those of the model: each sample's sampler mixture
(the usual seeded Sobol (T, rho) and composition draw of ``python -m nnn.generate``) is
stepped k ~ U{1..STEPS} times by the model at its (T, rho), with dt log-uniform in DT
(the silicon-burning track of benchmarks/emulator_multistep.py spans 0.01-10 s), clipped
at 0 and renormalised as a stellar code would; the engine then burns each from there to
the set's output times, as in any set. Fine-tuning on it beside a sampler set::

    python -m nnn.generate --network mesa_151 --n 32768 --seed 2 --workers 2 --out D0.h5
    python benchmarks/emulator_own_starts.py --model mesa_151 --n 16384 --seed 3 --out DP.h5
    python -m nnn.train --data D0.h5 DP.h5 --init mesa_151 --epochs 4 --lr 1e-4 \\
        --w-ye 3 --burned-starts 8 --threads 1 --out RUN

and the same `nnn.train` on D0.h5 alone as the control; results in docs/emulator_studies.md
("Training on the model's own outputs").
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from nnn.emulate import generate as gen
from nnn.emulate.model import load_model
from nnn.emulate.model_file import resolve_model_path


def own_starts(model, steps: int, dt_range=(1e-2, 10.0)):
    """(description, spec -> inputs) for ``generate(..., starts=...)``: the sampler's
    inputs, each composition stepped k ~ U{1..steps} times by ``model`` (seeded by the
    set's seed)."""
    path = resolve_model_path(model)
    lo, hi = np.log10(dt_range[0]), np.log10(dt_range[1])

    def make(spec):
        d = gen.make_inputs(spec)
        m = load_model(path, network=None)
        rng = np.random.default_rng([spec.seed, 4242])
        k = rng.integers(1, steps + 1, spec.n_samples)
        X = d["X0"].copy()
        for step in range(steps):
            act = np.flatnonzero(k > step)
            dt = 10.0 ** rng.uniform(lo, hi, len(act))
            Xn = np.clip(m.predict(d["logT"][act], d["logrho"][act], X[act], dt)["X"], 0, None)
            X[act] = Xn / Xn.sum(axis=1, keepdims=True)
        return gen.with_starts(d, X, spec)

    note = (f"the sampler's, stepped 1..{steps} times by {path.name} "
            f"(dt log-uniform in {dt_range[0]:g}..{dt_range[1]:g} s)")
    return note, make


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="model file or shipped name (float32)")
    p.add_argument("--n", type=int, required=True, help="samples")
    p.add_argument("--seed", type=int, required=True, help="the set's seed (not the test seed)")
    p.add_argument("--steps", type=int, default=10, help="most model steps before the burn")
    p.add_argument("--dt", default="1e-2,10", help="dt range (s) of the model's steps")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--out", required=True, type=Path)
    a = p.parse_args(argv)
    dt_range = tuple(float(v) for v in a.dt.split(","))
    meta = load_model(resolve_model_path(a.model), network=None).meta
    path = gen.generate(a.out, network=meta["network"], n_samples=a.n, seed=a.seed,
                        n_workers=a.workers, starts=own_starts(a.model, a.steps, dt_range))
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
