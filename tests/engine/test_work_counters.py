"""The work counters of a burn (BurnResult.n_rhs, n_jac, n_lu) count what the
integrators do: benchmarks/profile_engine.py reports them as the profile."""

import nnn

X0 = {"si28": 0.6, "s32": 0.4}


def test_rodas4_one_jacobian_and_lu_per_attempted_step():
    net = nnn.Network.load("mesa_80")
    r = net.burn(3.5e9, 1e8, X0, 1e-3, integrator="rodas4")
    attempts = r.n_steps + r.n_rejected
    assert r.n_jac == attempts and r.n_lu == attempts
    # RODAS4: f at the start (inside the Jacobian) and 5 more stages
    assert r.n_rhs == 6 * attempts


def test_bdf_reuses_its_jacobian_and_factorisations():
    net = nnn.Network.load("mesa_80")
    r = net.burn(3.5e9, 1e8, X0, 1.0, integrator="bdf")
    # one Newton iteration (one RHS) at least per accepted step; the Jacobian
    # is evaluated only at the start and on Newton failures, and each new
    # Jacobian or step size needs a factorisation
    assert r.n_rhs >= r.n_steps + r.n_jac
    assert 1 <= r.n_jac < r.n_lu < r.n_steps
