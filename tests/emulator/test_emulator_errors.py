"""A missing, corrupt or mismatched model file gives a clear error through
Python (EmulatorFileError, status 4) naming the file and the mismatch; the
same cases through C are in test_emulator_c.py."""

from __future__ import annotations

import json

import pytest

import nnn
from nnn.emulator import EmulatorFileError

from emulator_models import DT, TinyEmulator, bad_models, make_meta, save_model


@pytest.fixture(scope="module")
def bad(small_net, tmp_path_factory):
    return bad_models(small_net, tmp_path_factory.mktemp("bad"))


CASES = ["corrupt", "truncated", "no_meta", "format", "hash", "isotopes", "order", "wrong_width",
         "domain", "no_dt", "missing", "empty_dir"]


@pytest.mark.parametrize("case", CASES)
def test_python_error(bad, small_net, case):
    path, words = bad[case]
    with pytest.raises(EmulatorFileError) as e:
        nnn.Emulator.load(path, network=small_net)
    msg = str(e.value.args[0])
    assert e.value.args[1] == 4
    assert isinstance(e.value, nnn.NnnError)
    for w in words:
        assert w in msg, f"{w!r} not in {msg!r}"


def test_duplicate_dt(small_net, tmp_path):
    a = save_model(TinyEmulator(small_net.n_species), tmp_path / "a.pt", make_meta(small_net, DT))
    b = save_model(TinyEmulator(small_net.n_species), tmp_path / "b.pt", make_meta(small_net, DT))
    with pytest.raises(EmulatorFileError, match="both have dt"):
        nnn.Emulator.load([a, b], network=small_net)


def test_meta_roundtrip(model_dir, small_net):
    em = nnn.Emulator.load(model_dir, network=small_net)
    meta = json.loads(em.models[0]["meta_json"])
    assert meta["format"] == "nnn-emulator-1" and meta["dt"] == em.dts[0]
