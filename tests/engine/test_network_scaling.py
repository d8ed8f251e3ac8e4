"""The sparsity numbers benchmarks/network_scaling.py reports: Network.jacobian_nonzeros,
lu_entries and lu_order, checked against counts made here independently of the engine's
symbolic factorisation (the numeric Jacobian's pattern, an elimination done in numpy with
the same order, and SuperLU's own minimum-degree ordering from scipy)."""

import numpy as np
import pytest
import scipy.sparse as sp
from scipy.sparse.linalg import splu

import nnn

NETS = ["approx21_cr60_plus_co56", "mesa_80", "mesa_151"]


def numeric_pattern(net) -> np.ndarray:
    """Nonzeros of the exact Jacobian at a state where every abundance is nonzero
    (every flux and each of its derivatives is then nonzero), diagonal added."""
    X = np.full(net.n_species, 1.0 / net.n_species)
    nz = net.jacobian(3e9, 1e7, X, exact=True) != 0
    np.fill_diagonal(nz, True)
    return nz


def elimination_counts(nz: np.ndarray, order) -> tuple:
    """(entries of L + U with the diagonal once, multiply-adds) of Gaussian elimination
    without pivoting of a matrix with pattern nz, eliminating rows/columns in ``order``."""
    f = nz[np.ix_(order, order)].copy()
    n = len(order)
    madds = 0
    for k in range(n):
        rows = np.flatnonzero(f[k + 1:, k]) + k + 1
        madds += len(rows) * int(f[k, k + 1:].sum())
        if len(rows):
            f[np.ix_(rows, np.arange(k + 1, n))] |= f[k, k + 1:]
    return int(f.sum()), madds


def lu_entries_by_elimination(nz: np.ndarray, order) -> int:
    return elimination_counts(nz, order)[0]


def superlu_mmd_entries(nz: np.ndarray) -> int:
    """L + U entries of SuperLU's multiple minimum degree ordering of A + A^T, no pivoting."""
    n = len(nz)
    A = sp.csc_matrix(np.where(nz, -1.0, 0.0) + np.eye(n) * (10.0 * n + 1))
    lu = splu(A, permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.0,
              options={"SymmetricMode": True})
    return lu.L.nnz + lu.U.nnz - n


@pytest.fixture(scope="module", params=NETS)
def net(request):
    return nnn.Network.load(request.param)


def test_jacobian_nonzeros_is_the_numeric_pattern(net):
    assert net.jacobian_nonzeros == int(numeric_pattern(net).sum())


def test_lu_entries_equal_an_elimination_in_the_engine_order(net):
    order = net.lu_order
    assert sorted(order.tolist()) == list(range(net.n_species))
    nz = numeric_pattern(net)
    assert net.lu_entries == lu_entries_by_elimination(nz, order)
    assert net.lu_entries >= net.jacobian_nonzeros


def test_minimum_degree_ordering_keeps_fill_low(net):
    nz = numeric_pattern(net)
    natural = lu_entries_by_elimination(nz, np.arange(net.n_species))
    # n, p, he4 first in file order fill most of the matrix (mesa_80: 6394 entries
    # against 1456); the engine's ordering is as good as SuperLU's MMD within 5 %
    assert net.lu_entries < 0.5 * natural
    assert net.lu_entries <= 1.05 * superlu_mmd_entries(nz)



def test_scaling_benchmark_on_the_shipped_nets(tmp_path):
    """benchmarks/network_scaling.py end to end on the two smallest shipped nets (no
    builds): its rows carry the engine's counts and the burn's own operation counts."""
    import importlib.util
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "network_scaling.py"
    spec = importlib.util.spec_from_file_location("network_scaling", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    plot = tmp_path / "scaling.png"
    assert bench.main(["--out", str(tmp_path), "--nets", "--shipped", "approx21_cr60_plus_co56",
                       "mesa_80", "--reps", "1", "--plot", str(plot)]) == 0
    rows = json.loads((tmp_path / "results.json").read_text())["rows"]
    assert [r["name"] for r in rows] == ["approx21_cr60_plus_co56", "mesa_80"]
    for r in rows:
        net = nnn.Network.load(r["name"])
        assert (r["species"], r["rates"], r["jacobian_nonzeros"], r["lu_entries"]) == (
            net.n_species, net.n_rates, net.jacobian_nonzeros, net.lu_entries)
        X, T, rho, dt = bench.CASES[r["case"]]
        b = net.burn(T=T, rho=rho, X=X, dt=dt)
        assert (r["steps"], r["rhs"], r["lu"]) == (b.n_steps, b.n_rhs, b.n_lu)
        assert r["work_per_step"] == pytest.approx(
            (b.n_rhs * net.n_rates + b.n_lu * r["lu_madds"]) / b.n_steps, rel=1e-12)
        assert r["lu_madds"] == elimination_counts(numeric_pattern(net), net.lu_order)[1]
    assert plot.stat().st_size > 10_000
