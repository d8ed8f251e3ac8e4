"""Bad input gets a clear error naming the field and value; integrator
failure is reported, never passed on as garbage."""

import numpy as np
import pytest

import nnn
from nnn.__main__ import main as cli

NET = "approx21_cr60_plus_co56"


@pytest.fixture(scope="module")
def net():
    return nnn.Network.load(NET)


@pytest.mark.parametrize("kwargs,match", [
    (dict(T=float("nan")), r"T = nan K is invalid"),
    (dict(T=0.0), r"T = 0 K is invalid"),
    (dict(T=-1e9), r"T = -1e\+09 K is invalid"),
    (dict(T=1e12), r"outside the engine's range"),
    (dict(rho=0.0), r"rho = 0 g/cm\^3 is invalid"),
    (dict(rho=float("inf")), r"rho = inf g/cm\^3 is invalid"),
    (dict(X={"si28": 0.6, "s32": 0.3}), r"sum of X = 0.8999999999999999 differs from 1 by more than 1e-06"),
    (dict(X={"si28": 1.1, "s32": -0.1}), r"X\[s32\] = -0.1\d* is invalid"),
    (dict(X={"si28": float("nan"), "s32": 1.0}), r"X\[si28\] = nan is invalid"),
    (dict(X={"si28": 0.5, "unobtainium300": 0.5}), r"isotope 'unobtainium300' is not in network"),
    (dict(X=np.ones(3) / 3), r"X has shape \(3,\), expected \(21,\)"),
    (dict(dt=0.0), r"times\[0\] = 0 s is invalid"),
    (dict(dt=float("nan")), r"times\[0\] = nan s is invalid"),
    (dict(rtol=0.0), r"rtol = 0 must be in \(0, 1\)"),
    (dict(max_steps=0), r"max_steps = 0 must be > 0"),
    (dict(integrator="euler"), r"integrator = 'euler' is unknown"),
])
def test_burn_rejects_bad_input(net, kwargs, match):
    args = dict(T=3e9, rho=1e8, X={"si28": 0.6, "s32": 0.4}, dt=1e-3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        net.burn(**args)


def test_sum_within_tolerance_is_renormalised(net):
    """|sum X - 1| <= 1e-6 is accepted and renormalised (documented)."""
    a = net.burn(3e9, 1e8, {"si28": 0.6, "s32": 0.4}, dt=1e-3)
    b = net.burn(3e9, 1e8, {"si28": 0.6 * (1 + 5e-7), "s32": 0.4 * (1 + 5e-7)}, dt=1e-3)
    np.testing.assert_allclose(a.X, b.X, rtol=1e-6, atol=1e-14)


def test_batch_bad_zone_is_named(net):
    X = np.zeros((3, len(net.isotopes)))
    X[:, net.isotopes.index("si28")] = 1.0
    with pytest.raises(ValueError, match=r"rho = -5 g/cm\^3 is invalid.*\(zone 1\)"):
        net.burn_batch([3e9, 3e9, 3e9], [1e8, -5, 1e8], X, dt=1e-3)
    with pytest.raises(ValueError, match=r"X must have shape \(3, 21\)"):
        net.burn_batch([3e9] * 3, [1e8] * 3, X[:, :5], dt=1e-3)


def test_integrator_failure_is_a_status_not_garbage(net):
    with pytest.raises(nnn.BurnError, match=r"more than 3 steps") as e:
        net.burn(3e9, 1e8, {"si28": 0.6, "s32": 0.4}, dt=1.0, max_steps=3)
    assert e.value.args[1] == 3  # NNN_INTEGRATOR_FAILED
    X = np.zeros((2, len(net.isotopes)))
    X[:, net.isotopes.index("si28")] = 1.0
    b = net.burn_batch([3e9, 3e9], [1e8, 1e8], X, dt=1.0, max_steps=3)
    assert list(b.status) == [3, 3]
    assert all("more than 3 steps" in m for m in b.message)
    assert np.all(np.isfinite(b.X)) and np.all(np.isfinite(b.eps_nuc))


def test_missing_and_corrupt_network_files(tmp_path, net):
    with pytest.raises(FileNotFoundError, match=r"network 'no_such_net' not found"):
        nnn.Network.load("no_such_net")
    with pytest.raises(FileNotFoundError, match=r"does not exist"):
        nnn.Network.load(str(tmp_path / "missing.net"))
    text = open(net.path).read()
    cases = {
        "garbage.net": "this is not a network\n",
        "truncated.net": text[: len(text) // 2],
        "badnumber.net": text.replace("isotopes 21\n", "isotopes 21\nn 1 0 abc ", 1),
        "version.net": text.replace("nnn-network 1", "nnn-network 7", 1),
    }
    for fname, content in cases.items():
        p = tmp_path / fname
        p.write_text(content)
        with pytest.raises(nnn.NnnError, match=r"corrupt|not supported|unexpected end") as e:
            nnn.Network.load(str(p))
        assert e.value.args[1] == 2  # NNN_NETWORK_FILE
        assert str(p) in e.value.args[0]


def test_cli(capsys):
    assert cli(["burn", "--network", NET, "--T", "3.5e9", "--rho", "1e8",
                "--X", "si28=0.6,s32=0.4", "--dt", "1e-3"]) == 0
    out = capsys.readouterr().out
    assert "eps_nuc" in out and "si28" in out
    assert cli(["burn", "--network", NET, "--T", "3.5e9", "--rho", "1e8",
                "--X", "si28=0.6,s32=abc", "--dt", "1"]) == 2
    assert "mass fraction of 's32' is 'abc'" in capsys.readouterr().err
