"""How many training-domain zones end past their network's physics?

    python benchmarks/network_limit_census.py [--n 2048] [--dt 100]

Burns tail_latency.py's zones (``nnn.emulate.sampling``, seed 99) with each shipped network
and applies the engine's test for "past the network's physics" (src/cpp/nnn/network_limit.cpp)
to the results: electron captures lowered Ye by more than 1e-3 during the burn, and Ye is
within 1e-3 of the network's floor (the lowest Z/A of its A >= 40 nuclei) or half the mass
sits in the most neutron-rich A >= 40 isotope of each element the network has. nnn names
that limit when a burn fails or is stopped there, and returns a burn that finishes; this
count is why it does not refuse every finished one (docs/domain.md, 2026-12-05).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tail_latency import zones  # noqa: E402

NETWORKS = ["mesa_80", "mesa_151", "approx21_cr60_plus_co56"]
YE_MARGIN = 1e-3  # network_limit.cpp's kYeMargin


def census(net, n, dt):
    logT, logrho, X, _ = zones(net, n)
    A, Z = np.asarray(net.A, float), np.asarray(net.Z, float)
    ye0 = (X * Z / A).sum(1)
    r = net.burn_batch(10 ** logT, 10 ** logrho, X, dt=dt, n_threads=0)
    ye = np.asarray(r.Ye)
    heavy = A >= 40
    floor = (Z / A)[heavy].min()
    edge = np.zeros(len(A), bool)  # the most neutron-rich A >= 40 isotope of each element
    for z in np.unique(Z[heavy]):
        idx = np.where((Z == z) & heavy)[0]
        edge[idx[np.argmax(A[idx])]] = True
    x_edge = np.asarray(r.X)[:, edge].sum(1)
    captured = ye < ye0 - YE_MARGIN
    by_ye = captured & (ye < floor + YE_MARGIN)
    on_edge = captured & (x_edge >= 0.5)
    ok = np.asarray(r.status) == 0
    return dict(n=n, failed=int((~ok).sum()), captured=int((captured & ok).sum()),
                by_ye=int((by_ye & ok).sum()), on_edge=int((on_edge & ok).sum()),
                past=int(((by_ye | on_edge) & ok).sum()), floor=floor)


def main(argv=None):
    import nnn
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2048)
    ap.add_argument("--dt", type=float, default=100.0)
    args = ap.parse_args(argv)
    for name in NETWORKS:
        c = census(nnn.Network.load(name), args.n, args.dt)
        print(f"{name}: {c['n']} zones to {args.dt:g} s, {c['failed']} failed; of those that burn, "
              f"{c['captured']} captured > {YE_MARGIN:g} in Ye, {c['past']} end past the network's "
              f"physics ({c['by_ye']} within {YE_MARGIN:g} of its Ye floor {c['floor']:.4f}, "
              f"{c['on_edge']} with half the mass on its neutron-rich edge)")


if __name__ == "__main__":
    main()
