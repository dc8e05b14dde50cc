"""Fixtures of the network probes."""
import pytest

from tests.probe.network.netns import Topology


@pytest.fixture
def topo(tmp_path):
    """Run-prefixed namespaces (and root links) removed after the test."""
    t = Topology(tmp_path)
    yield t
    t.cleanup()
