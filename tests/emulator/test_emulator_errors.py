"""A missing, corrupt, old-format or mismatched model file gives a clear error
through Python (EmulatorFileError, status 4) naming the file and the problem;
the same cases through C are in test_emulator_c.py."""

import pytest

import nnn
from nnn.emulate.runtime import EmulatorFileError

from emulator_models import bad_models


@pytest.fixture(scope="module")
def bad(small_net, tmp_path_factory):
    return bad_models(small_net, tmp_path_factory.mktemp("bad"))


CASES = ["corrupt", "truncated", "no_attributes", "v1", "format", "hash", "isotopes", "order",
         "wrong_width", "domain", "no_ye_tilt", "missing", "directory"]


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


def test_v1_refused_without_network(bad):
    """network=None reads the network from the metadata, then refuses the format."""
    with pytest.raises(EmulatorFileError, match="retrain it with python -m nnn.train"):
        nnn.Emulator.load(bad["v1"][0])


def test_missing_file_without_network(bad):
    for case in ("missing", "directory"):
        path, words = bad[case]
        with pytest.raises(EmulatorFileError) as e:
            nnn.Emulator.load(path)
        assert all(w in e.value.args[0] for w in words), e.value.args[0]


def test_unknown_network_name():
    with pytest.raises(EmulatorFileError, match="no shipped emulator for network 'no_such_net'"):
        nnn.Emulator.load("no_such_net")
