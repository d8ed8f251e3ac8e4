"""Bad input gets a clear error naming the field and value; integrator
failure is reported, never passed on as garbage."""

import re

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
    (dict(T=1e12), r"T = 1e\+12 K is outside"),
    (dict(rho=0.0), r"rho = 0 g/cm\^3 is invalid"),
    (dict(rho=float("inf")), r"rho = inf g/cm\^3 is invalid"),
    (dict(X={"si28": 0.6, "s32": 0.3}), r"sum of X = 0.8999999999999999 differs from 1 by more than 1e-06"),
    (dict(X={"si28": 1.1, "s32": -0.1}), r"X\[s32\] = -0.1\d* is invalid"),
    (dict(X={"si28": float("nan"), "s32": 1.0}), r"X\[si28\] = nan is invalid"),
    (dict(X={"si28": 0.5, "unobtainium300": 0.5}), r"isotope 'unobtainium300' is not in network"),
    (dict(X=np.ones(3) / 3), r"X has shape \(3,\), expected \(21,\)"),
    (dict(dt=0.0), r"^dt = 0 s is invalid"),
    (dict(dt=float("nan")), r"^dt = nan s is invalid"),
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


# -- issue 14: rhs and jacobian check their input like burn ------------------------------

BAD_STATES = [
    (dict(T=float("nan")), r"T = nan K is invalid"),
    (dict(T=0.0), r"T = 0 K is invalid"),
    (dict(T=-3e9), r"T = -3e\+09 K is invalid"),
    (dict(T=float("inf")), r"T = inf K is invalid"),
    (dict(T=1e12), r"T = 1e\+12 K is outside"),
    (dict(rho=float("nan")), r"rho = nan g/cm\^3 is invalid"),
    (dict(rho=0.0), r"rho = 0 g/cm\^3 is invalid"),
    (dict(rho=-1e8), r"rho = -1e\+08 g/cm\^3 is invalid"),
    (dict(rho=float("inf")), r"rho = inf g/cm\^3 is invalid"),
    (dict(X={"si28": float("nan"), "s32": 0.4}), r"X\[si28\] = nan is invalid"),
    (dict(X={"si28": 1.1, "s32": -0.1}), r"X\[s32\] = -0.1\d* is invalid"),
    (dict(X={"si28": float("inf")}), r"X\[si28\] = inf is invalid"),
    (dict(X={"si28": 0.6, "s32": 0.3}), r"sum of X = 0.8999999999999999 differs from 1"),
    (dict(X={"si28": 0.0}), r"sum of X = 0 differs from 1"),
]


@pytest.mark.parametrize("func", ["rhs", "jacobian", "eps_nu_rate"])
@pytest.mark.parametrize("kwargs,match", BAD_STATES)
def test_rhs_and_jacobian_reject_bad_state(net, func, kwargs, match):
    """Was: 24 of these 42 cases returned NaN. Same checks, same messages as burn."""
    args = dict(T=3e9, rho=1e8, X={"si28": 0.6, "s32": 0.4})
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        getattr(net, func)(**args)
    with pytest.raises(ValueError, match=match):        # burn says the same
        net.burn(**args, dt=1e-3)
    Y = net.molar(args["X"])                            # and so does the molar form
    with pytest.raises(ValueError, match=match):
        getattr(net, func)(args["T"], args["rho"], Y=Y)


def test_rhs_of_a_state_sequence_names_the_bad_row(net):
    Y = np.tile(net.molar({"si28": 0.6, "s32": 0.4}), (3, 1))
    Y[2, net.isotopes.index("si28")] = np.nan
    with pytest.raises(ValueError, match=r"X\[si28\] = nan is invalid.*\(zone 2\)"):
        net._core.rhs(3e9, 1e8, Y)


def test_rhs_of_a_good_state_is_unchanged(net):
    """The checks reject nothing valid: a normalised state gives finite values."""
    dY = net.rhs(3e9, 1e8, {"si28": 0.6, "s32": 0.4})
    J = net.jacobian(3e9, 1e8, {"si28": 0.6, "s32": 0.4})
    assert np.all(np.isfinite(dY)) and np.all(np.isfinite(J)) and np.abs(dY).max() > 0


# -- issue 14: options are checked before any thread starts --------------------------------

BAD_OPTIONS = [
    (dict(rtol=0.0), r"rtol = 0 must be in \(0, 1\)"),
    (dict(rtol=-1e-8), r"rtol = -1e-08 must be in \(0, 1\)"),
    (dict(rtol=float("nan")), r"rtol = nan must be in \(0, 1\)"),
    (dict(atol=0.0), r"atol = 0 must be in \(0, 1\)"),
    (dict(atol=-1e-12), r"atol = -1e-12 must be in \(0, 1\)"),
    (dict(atol=float("nan")), r"atol = nan must be in \(0, 1\)"),
    (dict(max_steps=0), r"max_steps = 0 must be > 0"),
    (dict(max_steps=-5), r"max_steps = -5 must be > 0"),
    (dict(integrator="euler"), r"integrator = 'euler' is unknown"),
    (dict(n_threads=-1), r"n_threads = -1 must be >= 0"),
    (dict(n_threads=0.9), r"n_threads = 0.9 must be an integer"),  # not 0 (all cores)
    (dict(max_steps=2.5), r"max_steps = 2.5 must be an integer"),
]


@pytest.mark.parametrize("kwargs,match", BAD_OPTIONS)
def test_burn_batch_rejects_bad_options(net, kwargs, match):
    """Was: accepted, then every zone failed (and Python returned X = 0, Ye = 0)."""
    X = np.zeros((4, len(net.isotopes)))
    X[:, net.isotopes.index("si28")] = 1.0
    with pytest.raises(ValueError, match=match):
        net.burn_batch([3e9] * 4, [1e8] * 4, X, dt=1e-3, **kwargs)
    if "n_threads" not in kwargs:
        with pytest.raises(ValueError, match=match):
            net.burn(3e9, 1e8, {"si28": 1.0}, dt=1e-3, **kwargs)


def test_options_checked_before_zones_burn(net):
    """A bad option with many long zones fails at once (the zones would take
    seconds): the check runs before any zone starts."""
    import time
    X = np.zeros((64, len(net.isotopes)))
    X[:, net.isotopes.index("si28")] = 1.0
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match="integrator = 'euler'"):
        net.burn_batch([3.5e9] * 64, [1e8] * 64, X, dt=100.0, integrator="euler")
    assert time.perf_counter() - t0 < 0.5


# -- issue 14: messages ---------------------------------------------------------------------

def test_nnn_error_prints_its_message_not_a_tuple(tmp_path):
    p = tmp_path / "bad.net"
    p.write_text("nnn-network 1\nname x\nconstants 0\n")
    with pytest.raises(nnn.NnnError) as e:
        nnn.Network.load(str(p))
    assert str(e.value).startswith(f"network file '{p}' is corrupt")
    assert e.value.status == 2 and e.value.args == (str(e.value), 2)
    err = nnn.BurnError("bdf: step size underflow", 3)
    assert str(err) == "bdf: step size underflow" and err.status == 3


def test_messages_print_numbers_exactly(net):
    """std::to_string printed 1e-300 as 0.000000 and 1e300 with 300 digits."""
    with pytest.raises(ValueError) as e:
        net.burn(3e9, 1e8, {"si28": 1.0}, dt=-1e-300)
    assert "dt = -1e-300 s" in str(e.value)
    with pytest.raises(ValueError) as e:
        net.burn(3e9, 1e8, {"si28": 1.0}, dt=1e-3, rtol=1e300)
    assert "rtol = 1e+300 must" in str(e.value)
    with pytest.raises(nnn.BurnError) as e:
        net.burn(3e9, 1e8, {"si28": 0.6, "s32": 0.4}, dt=0.1, max_steps=3)
    t = float(e.value.args[0].split("reached t = ")[1].split(" s")[0])
    assert 0 < t < 0.1                                    # not "0.000000"


CLI_OK = ["burn", "--network", NET, "--T", "3.5e9", "--rho", "1e8", "--X", "si28=0.6,s32=0.4",
          "--dt", "1e-3"]


def one_line(text):
    lines = [ln for ln in text.splitlines() if ln.strip()]
    assert len(lines) == 1, text
    return lines[0]


def test_cli_errors_are_one_line(capsys, tmp_path):
    bad = tmp_path / "bad.net"
    bad.write_text("nnn-network 1\nname x\nconstants 0\n")
    assert cli(["burn", "--network", str(bad), *CLI_OK[3:]]) == 2
    line = one_line(capsys.readouterr().err)
    assert line.startswith(f"error: network file '{bad}' is corrupt") and "('" not in line
    assert cli(["burn", "--network", NET, "--T", "3.5e9", "--rho", "1e8", "--X", "si28=1",
                "--dt", "1", "--rtol", "0"]) == 2
    assert one_line(capsys.readouterr().err) == "error: rtol = 0 must be in (0, 1)"
    for argv in (["burn", "--T", "1e9"], ["frobnicate"], [*CLI_OK, "--T", "abc"],
                 [*CLI_OK, "--top", "-3"], [*CLI_OK, "--top", "0"], [*CLI_OK, "--integrator", "x"]):
        with pytest.raises(SystemExit) as e:
            cli(argv)
        assert e.value.code == 2
        line = one_line(capsys.readouterr().err)
        assert "error:" in line and "--help" in line, line
    with pytest.raises(SystemExit):
        cli([*CLI_OK, "--top", "-3"])
    assert "'-3' must be a positive integer" in capsys.readouterr().err


@pytest.mark.parametrize("module", ["nnn.__main__", "nnn.network.__main__", "nnn.generate", "nnn.train",
                                    "nnn.emulate.evaluate", "nnn.pipeline", "nnn.classifier.__main__"])
def test_every_cli_reports_usage_errors_on_one_line(module, capsys):
    """argparse printed the usage block and the error (2-4 lines)."""
    import importlib
    main = importlib.import_module(module).main
    with pytest.raises(SystemExit) as e:
        main(["--no-such-option"])
    assert e.value.code == 2
    line = one_line(capsys.readouterr().err)
    assert "error:" in line and "--help" in line, line


def test_cli_top_prints_that_many(capsys):
    assert cli([*CLI_OK, "--top", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    header = next(i for i, ln in enumerate(out) if ln.split()[:1] == ["isotope"])
    assert len(out) - header - 1 == 3


def test_generate_rejects_bad_options_before_sampling(tmp_path, capsys):
    """Was: --rtol 0 ran, 64 of 64 samples failed, exit status 0."""
    pytest.importorskip("h5py")
    from nnn.generate import main as generate_main
    out = tmp_path / "set.h5"
    for opt, match in [(["--rtol", "0"], "rtol = 0 must be in (0, 1)"),
                       (["--atol", "nan"], "atol = nan must be in (0, 1)"),
                       (["--threads", "-2"], "n_threads = -2 must be >= 0 (0: all cores)")]:
        code = generate_main(["--network", NET, "--n", "8", "--out", str(out), "--no-progress", *opt])
        assert code == 2
        assert one_line(capsys.readouterr().err) == f"error: {match}"
        assert not out.exists() and not (tmp_path / "set.h5.parts").exists()


def test_generate_exits_1_when_every_sample_fails(tmp_path, capsys, monkeypatch):
    """Valid options whose every burn fails (here the engine's statuses set to
    IntegratorFailed) leave nothing to train on: exit 1 with one line, not 0."""
    pytest.importorskip("h5py")
    import nnn.emulate.generate as gen
    from nnn.generate import main as generate_main
    real = gen.burn_chunk

    def failing(*a, **k):
        res = real(*a, **k)
        res["status"][:] = 4
        return res
    monkeypatch.setattr(gen, "burn_chunk", failing)
    out = tmp_path / "set.h5"
    code = generate_main(["--network", NET, "--n", "4", "--chunk-size", "2", "--out", str(out),
                          "--no-progress", "--random-times", "0"])
    assert code == 1
    assert capsys.readouterr().err.strip().splitlines()[-1] == \
        "error: every sample failed (see the dataset's messages)"


# -- issue 14: defaults defined once (src/cpp/nnn/defaults.hpp) ----------------------------

def test_defaults_come_from_the_engine():
    import inspect
    from pathlib import Path
    from nnn import _core
    from nnn.network import core
    d = _core.DEFAULTS
    assert (d["rtol"], d["atol"], d["max_steps"], d["integrator"]) == (1e-8, 1e-12, 500000, "auto")
    for f in (core.Network.burn, core.Network.burn_batch):
        p = inspect.signature(f).parameters
        assert (p["rtol"].default, p["atol"].default, p["max_steps"].default,
                p["integrator"].default) == (d["rtol"], d["atol"], d["max_steps"], d["integrator"])
    def sci(x):                                          # 1e-08 -> "1e-8", as the docs write it
        m, e = f"{x:e}".split("e")
        return f"{float(m):g}e{int(e)}"
    root = Path(__file__).resolve().parents[2]
    readme = (root / "README.md").read_text()
    assert f"`rtol` (default {sci(d['rtol'])}) and `atol` (default {sci(d['atol'])})" in readme
    fortran = (root / "docs" / "fortran.md").read_text()
    assert f"defaults {sci(d['rtol'])}, {sci(d['atol'])}, {d['max_steps']}" in fortran
    header = (root / "include" / "nnn.h").read_text()
    for field, value in (("rtol", sci(d["rtol"])), ("atol", sci(d["atol"])), ("max_steps", d["max_steps"])):
        assert re.search(rf"\b{field};.*default {value}\b", header), field


def test_temperature_range_comes_from_the_engine():
    """The T range the docs state is the one the engine checks (_core.T_RANGE),
    and a T just outside it is refused with that range in the message."""
    from pathlib import Path
    from nnn import _core
    lo, hi = _core.T_RANGE
    assert (lo, hi) == (1e7, 1e10)
    def sci(x):
        m, e = f"{x:e}".split("e")
        return f"{float(m):g}e{int(e)}"
    root = Path(__file__).resolve().parents[2]
    assert f"{sci(lo)}..{sci(hi)} K" in (root / "README.md").read_text()
    assert f"T in [{sci(lo)}, {sci(hi)}] K" in (root / "docs" / "domain.md").read_text()
    assert f"[{sci(lo)}, {sci(hi)}] K" in (root / "docs" / "burn_modes.md").read_text()
    net = nnn.Network.load("approx21_cr60_plus_co56")
    x = {"he4": 1.0}
    for T in (np.nextafter(lo, 0), np.nextafter(hi, np.inf)):
        with pytest.raises(ValueError, match=re.escape(repr(float(T)))):
            net.burn(T, 1e6, x, dt=1e-3)


def test_auto_failure_names_each_integrator_once(net):
    """integrator='auto' reports what it tried; each message named its
    integrator twice ("bdf: bdf: ..."). A burn that used up max_steps is not
    retried (tests/engine/test_domain.py)."""
    with pytest.raises(nnn.BurnError) as e:
        net.burn(3e9, 1e8, {"si28": 0.6, "s32": 0.4}, dt=1.0, max_steps=3)
    msg = str(e.value)
    assert re.fullmatch(r"bdf: more than 3 steps \(reached t = \S+ s of 1 s\); "
                        r"rodas4 not tried \(auto does not retry a burn that used up max_steps\)",
                        msg), msg


def test_dense_nse_burn_stops_at_the_networks_edge_not_after_max_steps():
    """A burn that captures electrons past the network's physics and grinds
    on stops after 20,000 steps, out of the network's domain (status 6),
    with the limit named and rodas4 not tried, instead of at max_steps.
    mesa_151 at 10^9.75 K, 1e10 g/cm3, dt 1e6 s was the case (500,000 steps,
    43 s, before the stop); since dY/dt sums net reaction fluxes it finishes
    in ~1,750 steps (tests/engine/test_domain.py). Here a self-heating one
    (benchmarks/domain_sweep.py --self-heating): approx21, Fe group from 1e8 K
    at 1e10 g/cm3, heated into NSE, where captures pile the mass into fe56
    (Ye 0.489 -> 0.464 by t ~ 0.2 s). At the default tolerances it finishes
    in ~800 steps since a self-heating bdf takes a Jacobian at each retry's
    own predicted state (it took > 20,000 before); at rtol 1e-11 it still grinds (1.5 s)."""
    with pytest.raises(nnn.BurnError) as e:
        nnn.Network.load("approx21_cr60_plus_co56").burn(
            T=1e8, rho=1e10, X={"ni56": 0.6, "fe54": 0.2, "fe56": 0.2}, dt=1.0, self_heating=True,
            rtol=1e-11, atol=1e-15)
    msg = str(e.value)
    m = re.fullmatch(r"bdf: stopped after (\d+) steps, past the network's physics "
                     r"\(reached t = (\S+) s of 1 s\); "
                     r"electron captures have taken Ye from .+ \(fe56 .+ or a shorter dt\)", msg)
    assert m, msg
    assert e.value.status == 6
    assert 20000 <= int(m.group(1)) < 22000
    assert repr(float(m.group(2))) == m.group(2)


@pytest.mark.parametrize("mode", ["constant", "history", "self_heating"])
def test_failed_batch_zone_reports_its_initial_state(mode):
    """A zone the integrator cannot finish (here: max_steps = 3) reports
    status and message and its unchanged initial state, as the C ABI does --
    not zeros (X = 0 and Ye = 0 were returned before)."""
    net = nnn.Network.load("mesa_80")
    X = np.zeros((2, len(net.isotopes)))
    X[0, net.isotopes.index("si28")] = X[1, net.isotopes.index("c12")] = 0.5
    X[0, net.isotopes.index("s32")] = X[1, net.isotopes.index("o16")] = 0.5
    T = np.array([3.5e9, 2.0e9])
    rho = np.array([1e8, 1e7])
    kw = dict(dt=1.0, max_steps=3)
    if mode == "history":
        b = net.burn_batch(X=X, history=(np.array([0.0, 2.0]), np.array([2.5e9, 3e9]),
                                         np.array([1e7, 1e7])), **kw)
        T0 = np.array([2.5e9, 2.5e9])
    else:
        b = net.burn_batch(T, rho, X, self_heating=(mode == "self_heating"), **kw)
        T0 = T
    assert np.all(b.status != 0) and all("more than 3 steps" in m for m in b.message)
    np.testing.assert_array_equal(b.X, X)
    Ye0 = (X * net.Z / net.A).sum(axis=1)
    np.testing.assert_allclose(b.Ye, Ye0, rtol=1e-15)
    np.testing.assert_array_equal(b.T, T0)
    assert np.all(b.eps_nuc == 0) and np.all(b.eps_nu == 0)
