"""The network loader treats a file as untrusted input: every count and index
is checked against the file's own sizes, damaged bytes give nnn.NnnError
naming the file (never UnicodeDecodeError, never a crash in a later burn),
and a file written by the builder carries a checksum that the loader
verifies (issue 14)."""

import hashlib
import re

import numpy as np
import pytest

import nnn
from nnn.network.build import CHECKSUM_PREFIX, with_checksum

SMALL = "approx21_cr60_plus_co56"   # has tabular and nn_g rates
NETWORK_FILE = 2                    # NNN_NETWORK_FILE


@pytest.fixture(scope="module")
def small_text():
    """The small shipped network's data: its file without the checksum line."""
    text = open(nnn.Network.load(SMALL).path).read()
    return "".join(ln for ln in text.splitlines(keepends=True) if not ln.startswith(CHECKSUM_PREFIX))


def load_text(tmp_path, text, name="edited.net"):
    p = tmp_path / name
    p.write_bytes(text.encode("latin-1") if isinstance(text, str) else text)
    return p, nnn.Network.load(str(p))


def refused(tmp_path, text, match, name="edited.net"):
    """Loading `text` raises NnnError(status 2) naming the file and matching `match`."""
    p = tmp_path / name
    p.write_bytes(text.encode("latin-1") if isinstance(text, str) else text)
    with pytest.raises(nnn.NnnError) as e:
        nnn.Network.load(str(p))
    msg = str(e.value)
    assert e.value.args[1] == NETWORK_FILE and e.value.status == NETWORK_FILE
    assert str(p) in msg, msg
    assert re.search(match, msg), msg
    return msg


def burn_si(net):
    X = {"si28": 0.6, "s32": 0.4} if "s32" in net.isotopes else {"si28": 1.0}
    return net.burn(3.5e9, 1e8, X, dt=1e-6)


def edit_rate(text, kind, edit):
    """Applies edit(block) -> block to the first in-network rate block of `kind`."""
    m = re.search(rf"^rate \d+ {kind} 1 .*?(?=^rate |^end)", text, re.S | re.M)
    assert m, f"no in-network {kind} rate"
    new = edit(m.group(0))
    assert new != m.group(0)
    return text[:m.start()] + new + text[m.end():]


# -- indices and counts against the file's own sizes ---------------------------------------

def test_tabular_rate_without_ydot_factor_is_refused(tmp_path, small_text):
    """Was: loaded, then segfaulted on the first burn (Kinetics read
    y_species[0] of an empty vector)."""
    bad = edit_rate(small_text, "tabular",
                    lambda b: re.sub(r"^ydot (\S+) (\S+) (\S+) 1 \d+ 1$", r"ydot \1 \2 \3 0",
                                     b, count=1, flags=re.M))
    refused(tmp_path, bad, r"tabular rate .* has 0 ydot factors")


def test_nn_g_child_minus_one_is_refused(tmp_path, small_text):
    """Was: loaded, then Kinetics::update read val[-1] (ASan heap-buffer-overflow)."""
    m = re.search(r"^approx nn_g (\d) (\d+) (\d+) ", small_text, re.M)
    assert m
    bad = small_text[:m.end(2)] + " -1 " + small_text[m.end():]
    refused(tmp_path, bad, r"child 0 of rate .* is absent \(-1\) but the nn_g approximation needs it")


@pytest.mark.parametrize("edit,match", [
    (lambda t: t.replace("\nisotopes 21\n", "\nisotopes 9999999\n", 1), r"number of isotopes = 9999999 is out of range"),
    (lambda t: t.replace("\nisotopes 21\n", "\nisotopes 90000\n", 1), r"exceeds what the rest of the file can hold"),
    (lambda t: re.sub(r"^table (\d+) (\d+)$", r"table 99999 99999", t, count=1, flags=re.M),
     r"too large|exceeds"),
    (lambda t: re.sub(r"^(he4 4) 2 ", r"\1 7 ", t, count=1, flags=re.M), r"Z = 7 is out of range \[0, 4\]"),
    (lambda t: re.sub(r"^(he4 4 2 \S+ \S+)$", r"\1\nhe4 4 2 1 1", t, count=1, flags=re.M).replace(
        "\nisotopes 21\n", "\nisotopes 22\n", 1), r"isotope 'he4' is listed twice"),
    (lambda t: re.sub(r"^reactants 1 (\d+) ", "reactants 1 21 ", t, count=1, flags=re.M),
     r"reactant = 21 is out of range \[0, 20\]"),
    (lambda t: re.sub(r"^approx ap_pg (\d) (\d+) ", r"approx ap_pg \1 3 ", t, count=1, flags=re.M),
     r"neutron index 3 .* is not the index of 'n'"),
    (lambda t: re.sub(r"^screen 1 (\S+) ", "screen 1 0 ", t, count=1, flags=re.M),
     r"screening Z1 = 0 must be > 0"),
    (lambda t: t.replace("\nend\n", "\nend\nrate 0\n"), r"text after 'end'"),
    (lambda t: t.replace("\nrates ", "\nrates -", 1), r"number of rates = -\d+ is out of range"),
])
def test_sizes_and_indices_are_checked(tmp_path, small_text, edit, match):
    bad = edit(small_text)
    assert bad != small_text
    refused(tmp_path, bad, match)


def test_table_grid_must_increase_strictly(tmp_path, small_text):
    def flat(block):
        lines = block.split("\n")
        i = next(k for k, ln in enumerate(lines) if ln.startswith("table "))
        grid = lines[i + 1].split()
        grid[1] = grid[0]                      # two equal log rho*Ye points: division by 0
        lines[i + 1] = " ".join(grid)
        return "\n".join(lines)
    refused(tmp_path, edit_rate(small_text, "tabular", flat), r"table grid .* is not strictly increasing")


# -- damaged bytes ------------------------------------------------------------------------

def test_non_ascii_byte_is_named_not_a_decode_error(tmp_path, small_text):
    raw = bytearray(small_text.encode())
    k = small_text.index("\nname ") + 6          # inside the network's name
    raw[k] = 0xE9
    msg = refused(tmp_path, bytes(raw), r"byte 0xe9 at offset \d+ is not printable ASCII")
    assert "(line 2)" in msg


def test_random_byte_flips_give_nnn_error(tmp_path, small_text):
    """Was: 19 of 20 flips raised UnicodeDecodeError and lost the file name.
    With the checksum every flip is refused; without it (files written
    before the checksum) a flip either loads and burns, or is refused with
    NnnError -- never another exception, never a crash."""
    rng = np.random.default_rng(14)
    summed = with_checksum(small_text).encode()
    plain = small_text.encode()
    outcomes = {"refused": 0, "loaded": 0}
    for trial in range(40):
        for data, must_fail in ((summed, True), (plain, False)):
            raw = bytearray(data)
            k = int(rng.integers(len(raw)))
            raw[k] = int(rng.integers(256))
            if raw == data:
                continue
            p = tmp_path / f"flip{trial}.net"
            p.write_bytes(bytes(raw))
            try:
                net = nnn.Network.load(str(p))
            except nnn.NnnError as e:
                assert e.status == NETWORK_FILE and str(p) in str(e)
                str(e).encode("utf-8")                # a printable message
                outcomes["refused"] += 1
                continue
            assert not must_fail, f"flip at byte {k} of a checksummed file loaded"
            outcomes["loaded"] += 1
            try:                                      # a flip in a digit may still burn
                burn_si(net)
            except (ValueError, nnn.NnnError):
                pass
    print(f"byte flips: {outcomes}")
    assert outcomes["refused"] >= 40


# -- checksum ---------------------------------------------------------------------------

def test_checksum_written_and_verified(tmp_path, small_text):
    text = with_checksum(small_text)
    assert text.splitlines()[2].startswith(CHECKSUM_PREFIX)
    body = "".join(ln for ln in text.splitlines(keepends=True) if not ln.startswith(CHECKSUM_PREFIX))
    assert body == small_text
    assert text.splitlines()[2].split()[-1] == hashlib.sha256(body.encode()).hexdigest()
    _, net = load_text(tmp_path, text, "summed.net")
    assert net.meta["data_sha256"] == hashlib.sha256(small_text.encode()).hexdigest()
    # the same network as without the checksum: same burn, bit for bit
    a, b = burn_si(net), burn_si(nnn.Network.load(SMALL))
    assert np.array_equal(a.X, b.X) and a.eps_nuc == b.eps_nuc


def test_single_digit_edits_are_refused(tmp_path, small_text):
    """Was: 10 of 10 single-digit edits loaded."""
    text = with_checksum(small_text)
    rng = np.random.default_rng(7)
    start = text.index("\nconstants ")
    digits = [m.start() for m in re.finditer(r"\d", text[start:])]
    for trial, k in enumerate(rng.choice(digits, 10, replace=False)):
        k += start
        new = str((int(text[k]) + 1 + int(rng.integers(9))) % 10)
        refused(tmp_path, text[:k] + new + text[k + 1:], r"data_sha256 .* recorded, [0-9a-f]{64} computed",
                name=f"digit{trial}.net")


def test_checksum_line_damage_is_refused(tmp_path, small_text):
    text = with_checksum(small_text)
    line = text.splitlines()[2]
    refused(tmp_path, text.replace(line, line[:-1] + ("0" if line[-1] != "0" else "1")), r"data_sha256")
    refused(tmp_path, text.replace(line, line + "\n" + line), r"more than one data_sha256 line")


@pytest.mark.slow   # ~20-45 s: pynucastro reads the whole ReacLib library
def test_builder_writes_a_checksum(tmp_path):
    """write_network (the builder) writes the checksum line the loader verifies."""
    pyna = pytest.importorskip("pynucastro")
    from nnn.network.build import write_network
    lib = pyna.ReacLibLibrary().linking_nuclei(["p", "he4", "c12", "o16", "ne20", "mg24"])
    pnet = pyna.PythonNetwork(libraries=[lib])
    path = tmp_path / "tiny.net"
    digest = write_network(pnet, path, name="tiny")
    body = "".join(ln for ln in path.read_text().splitlines(keepends=True)
                   if not ln.startswith(CHECKSUM_PREFIX))
    assert digest == hashlib.sha256(body.encode()).hexdigest()
    assert path.read_text().splitlines()[2].startswith(CHECKSUM_PREFIX)
    net = nnn.Network.load(str(path))
    assert net.file_hash == digest and "data_sha256" in net.meta
    r = net.burn(2e9, 1e7, {"c12": 0.5, "o16": 0.5}, dt=1e-3)
    assert r.eps_nuc > 0 and abs(r.X.sum() - 1) < 1e-12
    text = path.read_text()
    k = text.index("\nrates ") + 7
    refused(tmp_path, text[:k] + str((int(text[k]) + 1) % 10) + text[k + 1:], r"data_sha256",
            name="tiny_edited.net")


def test_file_without_checksum_loads_with_the_same_identity(tmp_path, small_text):
    """Files written before the checksum existed load unchecked; adding the line
    keeps the network's identity (file_hash: the data's sha256), so emulators
    trained on the older file still accept it."""
    _, plain = load_text(tmp_path, small_text, "plain.net")
    _, summed = load_text(tmp_path, with_checksum(small_text), "summed2.net")
    assert "data_sha256" not in plain.meta
    assert plain.file_hash == summed.file_hash == hashlib.sha256(small_text.encode()).hexdigest()


@pytest.mark.parametrize("name", ["approx21_cr60_plus_co56", "mesa_80", "mesa_151"])
def test_shipped_networks_carry_their_checksum(name):
    net = nnn.Network.load(name)
    text = open(net.path).read()
    body = "".join(ln for ln in text.splitlines(keepends=True) if not ln.startswith(CHECKSUM_PREFIX))
    assert net.meta["data_sha256"] == net.file_hash == hashlib.sha256(body.encode()).hexdigest()
