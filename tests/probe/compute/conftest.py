"""``compute_cloud``: every compute daemon over RabbitMQ + PostgreSQL, one
fake compute host 'cmp1' (see helpers.start_compute_cloud)."""
import pytest

from tests.probe.compute.helpers import start_compute_cloud


@pytest.fixture
def compute_cloud(tmp_path):
    cc = start_compute_cloud(tmp_path, hosts=('cmp1',),
                             sections={'fake_driver': {'spawn_delay': 0.2}})
    yield cc
    cc.stop()
