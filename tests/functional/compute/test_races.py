"""A delete during a build wins cleanly; a build stuck past build_timeout
is put in ERROR by the reaper (nothing stays in BUILD)."""
import json
import os

import pytest

from iaas import states
from iaas.compute import api as compute_api
from iaas.db import instances as db
from tests.functional.compute.conftest import wait_for


def _fake_guests(conf, host='fc1'):
    with open(os.path.join(conf.state_path, 'fake-driver', f'{host}.json')) as f:
        return json.load(f)['guests']


def _gone(uuid):
    try:
        db.get(uuid)
        return False
    except db.InstanceNotFound:
        return True


def test_delete_during_build(conf, compute_services, ctx, image, flavor):
    conf.set_override('spawn_delay', 1.5, group='fake_driver')
    api = compute_api.API()
    uuid = api.create(ctx, 'short-lived', image, flavor)[0][0]['uuid']
    wait_for(lambda: db.get(uuid)['task_state'] == states.SPAWNING, what='spawning')
    api.delete(ctx, uuid)
    wait_for(lambda: _gone(uuid), timeout=20, what='deleted')
    # The build ended after the delete: it must not have left a guest behind,
    # nor brought the row back to ACTIVE.
    wait_for(lambda: uuid not in _fake_guests(conf), timeout=10, what='no guest left')
    assert db.get(uuid, include_deleted=True)['vm_state'] == 'deleted'


@pytest.fixture
def fast_reaper(conf):
    """Set before the services start: the reaper's period is read when it runs."""
    conf.set_override('build_timeout', 1, group='compute')
    conf.set_override('reap_interval', 1, group='compute')


def test_stuck_build_times_out(conf, fast_reaper, compute_services, ctx, image, flavor):
    conf.set_override('spawn_delay', 6, group='fake_driver')
    api = compute_api.API()
    uuid = api.create(ctx, 'slow', image, flavor)[0][0]['uuid']

    def errored():
        i = db.get(uuid)
        return i if i['vm_state'] == states.ERROR else None
    inst = wait_for(errored, timeout=5, what='ERROR by the reaper')
    assert 'Build timed out' in inst['fault']['message'] and inst['task_state'] is None
    # The spawn finishing later neither revives it nor leaves a guest behind
    # on a host the database no longer charges for it.
    wait_for(lambda: _fake_spawned(conf), timeout=10, what='spawn returned')
    wait_for(lambda: uuid not in _fake_guests(conf), timeout=5, what='guest removed')
    inst = db.get(uuid)
    assert inst['vm_state'] == states.ERROR and inst['host'] is None


def _fake_spawned(conf):
    with open(os.path.join(conf.state_path, 'fake-driver', 'fc1.json')) as f:
        return json.load(f)['spawned'] > 0
