"""Burns along a prescribed history T(t), rho(t) (docs/burn_modes.md):
against scipy Radau on pynucastro's network with the same T(t), rho(t), the
constant burn as a special case, the tracer file format, batches and bad
input."""

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nnn

HERE = Path(__file__).parent
A21 = "approx21_cr60_plus_co56"

# C/O heated and compressed, then cooling: the samples at 2e-5 and 6e-5 s
# are kinks of T(t) and rho(t) inside the burn
CO = {"c12": 0.5, "o16": 0.5}
HIST = ([0.0, 2e-5, 6e-5, 2e-4], [2.5e9, 3.5e9, 3.0e9, 2.8e9], [1e8, 2e8, 1.5e8, 1.2e8])
TIMES = [1e-5, 4e-5, 1e-4]


def radau_history(name, X0, times, hist):
    """scipy Radau (rtol 1e-10) on pynucastro's network along the history
    (reference_modes.py, in a subprocess with numba's JIT disabled)."""
    env = dict(os.environ, NUMBA_DISABLE_JIT="1", PYTHONWARNINGS="ignore")
    args = {"name": name, "X0": list(map(float, X0)), "times": list(times),
            "hist": [list(map(float, h)) for h in hist]}
    out = subprocess.run([sys.executable, str(HERE / "reference_modes.py"), "history",
                          json.dumps(args)], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare(net, r, ref):
    """Largest relative differences in X (X > 1e-8) and eps_nuc over the outputs."""
    dX = de = 0.0
    for k, o in enumerate(ref["out"]):
        X_ref = np.array(o["X"])
        big = X_ref > 1e-8
        dX = max(dX, np.max(np.abs(r.X[k][big] - X_ref[big]) / X_ref[big]))
        de = max(de, abs(r.eps_nuc[k] - o["eps_nuc"]) / abs(o["eps_nuc"]))
        assert r.T[k] == pytest.approx(o["T"], rel=1e-14)
    return dX, de


# ~1 min of CPU for approx21 (Radau on pynucastro's network with numba's JIT
# off): slow, like mesa_80
@pytest.mark.slow
@pytest.mark.parametrize("name", [A21, "mesa_80"])
def test_history_agrees_with_scipy_radau(name):
    net = nnn.Network.load(name)
    x0 = net.composition(CO)
    ref = radau_history(name, x0, TIMES, HIST)
    r = net.burn(X=x0, times=TIMES, history=HIST, rtol=1e-10, atol=1e-14)
    dX, de = compare(net, r, ref)
    print(f"{name} history: max rel dX (X>1e-8) {dX:.2e}, eps_nuc {de:.2e}; "
          f"steps {r.n_steps} vs scipy nfev {ref['nfev']}")
    assert dX < 1e-6
    assert de < 1e-6


def test_constant_history_reproduces_constant_burn():
    """A flat history is the constant burn; stopping at its samples changes
    the steps, so the results agree to the tolerance, not bit for bit."""
    net = nnn.Network.load(A21)
    X = {"si28": 0.6, "s32": 0.4}
    c = net.burn(T=3.5e9, rho=1e8, X=X, times=[1e-3, 1e-2])
    h = net.burn(X=X, times=[1e-3, 1e-2], history=([-1.0, 5e-3, 0.02], [3.5e9] * 3, [1e8] * 3))
    big = c.X > 1e-6
    print(f"flat history vs constant: max rel dX {np.max(np.abs(h.X[big] / c.X[big] - 1)):.2e}, "
          f"eps_nuc {np.max(np.abs(h.eps_nuc / c.eps_nuc - 1)):.2e}")
    np.testing.assert_allclose(h.X[big], c.X[big], rtol=1e-6)
    np.testing.assert_allclose(h.eps_nuc, c.eps_nuc, rtol=1e-7)
    np.testing.assert_allclose(h.T, [3.5e9, 3.5e9], rtol=0)
    # with no sample inside the burn the two are the same computation
    one = net.burn(X=X, dt=1e-3, history=([0.0, 1.0], [3.5e9, 3.5e9], [1e8, 1e8]))
    ref = net.burn(T=3.5e9, rho=1e8, X=X, dt=1e-3)
    np.testing.assert_array_equal(one.X, ref.X)
    assert one.eps_nuc == ref.eps_nuc and one.T == ref.T == 3.5e9


def test_interpolation_is_linear_in_log():
    """r.T at an output time between samples is the log-linear interpolant."""
    net = nnn.Network.load(A21)
    r = net.burn(X=CO, times=[1e-5, 3e-5], history=HIST)
    T_mid = math.exp(math.log(2.5e9) + 0.5 * (math.log(3.5e9) - math.log(2.5e9)))
    w = (3e-5 - 2e-5) / (6e-5 - 2e-5)
    T_2 = math.exp(math.log(3.5e9) + w * (math.log(3.0e9) - math.log(3.5e9)))
    np.testing.assert_allclose(r.T, [T_mid, T_2], rtol=1e-14)


def test_bdf_and_rodas4_agree_along_a_history():
    """rodas4 handles the non-autonomous system with its stage times and
    df/dt terms; without them it would be first order in the T drift."""
    net = nnn.Network.load(A21)
    b = net.burn(X=CO, times=TIMES, history=HIST, integrator="bdf", rtol=1e-9)
    r = net.burn(X=CO, times=TIMES, history=HIST, integrator="rodas4", rtol=1e-9)
    big = b.X > 1e-8
    d = np.max(np.abs(r.X[big] / b.X[big] - 1))
    print(f"bdf vs rodas4 along the history: max rel dX {d:.2e}")
    assert d < 1e-5
    np.testing.assert_allclose(r.eps_nuc, b.eps_nuc, rtol=1e-6)


def test_tracer_file_equals_arrays(tmp_path):
    net = nnn.Network.load(A21)
    f = tmp_path / "tracer.dat"
    lines = ["# tracer 17: t [s]  T [K]  rho [g/cm^3]", "# second comment"]
    lines += [f"{t!r}  {T!r}\t{rho!r}" for t, T, rho in zip(*HIST)]
    f.write_text("\n".join(lines) + "\n")
    a = net.burn(X=CO, times=TIMES, history=HIST)
    b = net.burn(X=CO, times=TIMES, history=str(f))
    np.testing.assert_array_equal(a.X, b.X)
    np.testing.assert_array_equal(a.T, b.T)


def test_batch_history_equals_single_burns():
    net = nnn.Network.load(A21)
    X = np.array([net.composition(CO), net.composition({"c12": 0.3, "o16": 0.7})])
    singles = [net.burn(X=x, times=TIMES, history=HIST) for x in X]
    shared = net.burn_batch(X=X, times=TIMES, history=HIST, n_threads=2)
    assert list(shared.status) == [0, 0]
    for z in range(2):
        np.testing.assert_array_equal(shared.X[z], singles[z].X)
        np.testing.assert_array_equal(shared.T[z], singles[z].T)
    # one history per zone: zone 1 along a hotter one
    hot = (HIST[0], [T * 1.1 for T in HIST[1]], HIST[2])
    per_zone = net.burn_batch(X=X, dt=1e-4, history=tuple(np.array([a, b]) for a, b in zip(HIST, hot)))
    np.testing.assert_array_equal(per_zone.X[0], net.burn(X=X[0], dt=1e-4, history=HIST).X)
    np.testing.assert_array_equal(per_zone.X[1], net.burn(X=X[1], dt=1e-4, history=hot).X)


@pytest.mark.parametrize("hist,dt,match", [
    (([0, 2e-4, 1e-4], [2e9] * 3, [1e8] * 3), 1e-4, r"history t\[2\] = 1e-04 s is not after t\[1\] = 2e-04 s"),
    (([0, 1e-4], [2e9, float("nan")], [1e8] * 2), 1e-4, r"history T\[1\] = nan K"),
    (([0, 1e-4], [2e9, -3e9], [1e8] * 2), 1e-4, r"history T\[1\] = -3e\+09 K"),
    (([0, 1e-4], [2e9] * 2, [1e8, 0.0]), 1e-4, r"history rho\[1\] = 0 g/cm\^3"),
    (([1e-6, 1e-4], [2e9] * 2, [1e8] * 2), 1e-5, r"history starts at t\[0\] = 1e-06 s, after the burn starts"),
    (([0, 1e-4], [2e9] * 2, [1e8] * 2), 2e-4, r"history ends at t\[1\] = 1e-04 s, before the burn ends \(t = 2e-04 s\)"),
    (([0, 1e-4], [2e9] * 2, [1e8] * 3), 1e-4, r"history t, T, rho differ in shape"),
])
def test_bad_history_names_the_field(hist, dt, match):
    net = nnn.Network.load(A21)
    with pytest.raises(ValueError, match=match):
        net.burn(X=CO, dt=dt, history=hist)
    with pytest.raises(ValueError, match=match):
        net.burn_batch(X=[net.composition(CO)], dt=dt, history=hist)


def test_bad_history_arguments():
    net = nnn.Network.load(A21)
    with pytest.raises(ValueError, match="do not pass T or rho"):
        net.burn(T=2e9, X=CO, dt=1e-4, history=HIST)
    with pytest.raises(ValueError, match="exclusive"):
        net.burn(X=CO, dt=1e-4, history=HIST, self_heating=True)
    with pytest.raises(FileNotFoundError, match="no_such_tracer"):
        net.burn(X=CO, dt=1e-4, history="no_such_tracer.dat")


def test_cli_history_out_csv_and_plot(tmp_path):
    """python -m nnn burn --history FILE --out F.csv writes X(t), energies and
    T(t) (the engine's numbers) and a plot F.png."""
    f = tmp_path / "tracer.dat"
    f.write_text("# t T rho\n" + "\n".join(f"{t!r} {T!r} {r!r}" for t, T, r in zip(*HIST)) + "\n")
    out = tmp_path / "burn.csv"
    p = subprocess.run([sys.executable, "-m", "nnn", "burn", "--network", A21, "--history", str(f),
                        "--X", "c12=0.5,o16=0.5", "--dt", "1e-4", "--out", str(out), "--n-out", "12"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    data = np.genfromtxt(out, delimiter=",", names=True, skip_header=1)
    net = nnn.Network.load(A21)
    times = data["t_s"]
    assert times[-1] == 1e-4 and 2e-5 in times and 6e-5 in times  # samples are output times
    r = net.burn(X=CO, times=list(times), history=HIST)
    np.testing.assert_allclose(data["T_K"], r.T, rtol=1e-15)
    np.testing.assert_allclose(data["eps_nuc_erg_g"], r.eps_nuc, rtol=1e-15)
    np.testing.assert_allclose(data["X_si28"], r.X[:, net.isotopes.index("si28")], rtol=1e-15)
    assert (tmp_path / "burn.png").stat().st_size > 10000
    bad = subprocess.run([sys.executable, "-m", "nnn", "burn", "--network", A21, "--history", str(f),
                          "--X", "c12=0.5,o16=0.5", "--dt", "1.0"], capture_output=True, text=True)
    assert bad.returncode != 0 and "history ends at t[3] = 2e-04 s" in bad.stderr
