import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(scope="session")
def pynucastro_net():
    """pynucastro network of an nnn network file, built once per session."""
    import reference
    return reference.pynucastro_network
