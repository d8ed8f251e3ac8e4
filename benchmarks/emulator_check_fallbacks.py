"""How many zones the runtime's sanity checks send to the integrator, per dt and reason.

    python benchmarks/emulator_check_fallbacks.py [--networks mesa_80,mesa_151] [--zones 200]

Burns ``--zones`` silicon-burning zones (``si_burning_compositions``, log T 9.25-9.75,
log rho 7.2-9.3, seeded) through ``nnn.Emulator.load(<network>)`` (the shipped model, the
default configuration) at dt = 1e-6, 1e-3, 1 and 100 s and prints the fallback count per
reason (``path``) and the median error estimate of the emulated zones.  The checks' tolerances
(docs/emulator_runtime.md) are meant to let correct zones through: rerun this with every
retrained model.
"""

from __future__ import annotations

import argparse

import numpy as np

import nnn
from nnn.emulate.runtime import EMULATOR, PATHS
from nnn.emulate.sampling import si_burning_compositions

DTS = (1e-6, 1e-3, 1.0, 100.0)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--networks", default="mesa_80,mesa_151")
    p.add_argument("--zones", type=int, default=200)
    p.add_argument("--seed", type=int, default=5)
    a = p.parse_args(argv)
    for name in a.networks.split(","):
        net = nnn.Network.load(name)
        em = nnn.Emulator.load(name, network=net)
        rng = np.random.default_rng(a.seed)
        X = si_burning_compositions(a.zones, list(net.isotopes), np.asarray(net.A, float),
                                    np.asarray(net.Z, float), rng=rng)
        T = 10.0 ** rng.uniform(9.25, 9.75, a.zones)
        rho = 10.0 ** rng.uniform(7.2, 9.3, a.zones)
        for dt in DTS:
            b = em.burn_batch(T, rho, X, dt=dt)
            path, err = np.asarray(b.path), np.asarray(b.err)
            why = {PATHS[k]: int((path == k).sum()) for k in np.unique(path) if k != EMULATOR}
            emulated = path == EMULATOR
            med = f"{np.median(err[emulated]):.3g}" if emulated.any() else "-"
            print(f"{name} dt {dt:g} s: {int((~emulated).sum())} of {a.zones} zones fell back "
                  f"{why or ''}; median err of the emulated ones {med}")


if __name__ == "__main__":
    main()
