"""Probe fixtures: ``cloud`` = config on free ports + migrated SQLite +
identity bootstrap + a running iaas-api (see tests/probe/fixtures.py)."""
import pytest

from tests.probe.fixtures import Cloud


@pytest.fixture
def cloud(tmp_path):
    c = Cloud.create(tmp_path)
    c.start('iaas-api')
    yield c
    c.stop_all()
