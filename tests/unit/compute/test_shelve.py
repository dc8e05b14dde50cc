"""Shelve's rows of the state table (iaas/states.py), its notifications,
and the compute host's side (iaas/compute/shelve_ops.py) with the fake
driver and a conductor called directly: the task_states a shelve passes
through, the offload releasing the host, failures leaving the instance as
it was."""
import uuid

import pytest

from iaas import notifications, states
from iaas.compute import shelve_ops
from iaas.compute.manager import ComputeManager
from iaas.context import RequestContext
from iaas.db import compute_nodes as db_nodes
from iaas.db import instances as db
from tests.unit.conductor.direct import direct_conductor

HOST = 'unit-sh1'


# -- the state table ---------------------------------------------------------------

@pytest.mark.parametrize('vm_state', [states.ACTIVE, states.STOPPED, states.PAUSED,
                                      states.SUSPENDED])
def test_shelve_begins_from_the_four_nova_states(vm_state):
    assert states.check_action('shelve', vm_state, None) == states.SHELVING


@pytest.mark.parametrize('vm_state,task', [
    (states.SHELVED, None), (states.SHELVED_OFFLOADED, None), (states.ERROR, None),
    (states.BUILDING, states.SCHEDULING), (states.RESIZED, None),
    (states.ACTIVE, states.POWERING_OFF)])
def test_shelve_refused(vm_state, task):
    with pytest.raises(states.InvalidState):
        states.check_action('shelve', vm_state, task)


def test_offload_and_unshelve_rows():
    assert states.check_action('shelve_offload', states.SHELVED, None) == \
        states.SHELVING_OFFLOADING
    for vm in (states.SHELVED_OFFLOADED, states.ACTIVE):
        with pytest.raises(states.InvalidState):
            states.check_action('shelve_offload', vm, None)
    for vm in (states.SHELVED, states.SHELVED_OFFLOADED):
        assert states.check_action('unshelve', vm, None) == states.UNSHELVING
        with pytest.raises(states.InvalidState):
            states.check_action('unshelve', vm, states.SHELVING_OFFLOADING)
    with pytest.raises(states.InvalidState):
        states.check_action('unshelve', states.ACTIVE, None)
    # nothing else may begin on a shelved server but a delete
    for action in ('start', 'stop', 'reboot', 'pause', 'resume', 'rebuild', 'snapshot',
                   'resize', 'console_output'):
        for vm in (states.SHELVED, states.SHELVED_OFFLOADED):
            with pytest.raises(states.InvalidState):
                states.check_action(action, vm, None)
    states.check_action('delete', states.SHELVED_OFFLOADED, states.UNSHELVING)


def test_status_and_filters():
    assert states.status(states.SHELVED, None) == 'SHELVED'
    assert states.status(states.SHELVED, states.UNSHELVING) == 'SHELVED'
    assert states.status(states.SHELVED_OFFLOADED, None) == 'SHELVED_OFFLOADED'
    assert states.STATUS_TO_VM_STATES['SHELVED_OFFLOADED'] == [states.SHELVED_OFFLOADED]


def test_the_completions_name_their_events():
    c = notifications.INSTANCE_COMPLETIONS
    for task in states.SHELVE_TASKS:
        assert c[task] == 'compute.instance.shelve.end'
    assert c[states.UNSHELVING] == 'compute.instance.unshelve.end'
    assert states.completion('shelve_offload') == (states.SHELVED_OFFLOADED,
                                                   states.SHELVING_OFFLOADING)


# -- the compute host ----------------------------------------------------------------

@pytest.fixture
def mgr(conf, sqlite_db):
    conf.set_override('spawn_delay', 0, group='fake_driver')
    conf.set_override('shutdown_timeout', 0, group='compute')
    m = ComputeManager(HOST)
    m.conductor = direct_conductor(HOST)
    m.report_resources(RequestContext(is_admin=True))
    yield m
    m.cleanup_host()


@pytest.fixture
def ctx():
    return RequestContext(user_id='u', project_id='p', roles=['member'],
                          request_id='req-' + uuid.uuid4().hex)


@pytest.fixture
def uploads(monkeypatch):
    """The image service's side: what was uploaded and discarded."""
    seen = {'uploaded': [], 'discarded': []}

    def uploader(image_id):
        def upload(chunks, fmt):
            seen['uploaded'].append((image_id, sum(len(c) for c in chunks)))
        return upload
    monkeypatch.setattr(shelve_ops.image_upload, 'uploader', uploader)
    monkeypatch.setattr(shelve_ops.image_upload, 'discard', seen['discarded'].append)
    return seen


def running(mgr, ctx, task_state=None, **sysmeta):
    """An ACTIVE instance with its guest on HOST, in ``task_state``."""
    u = str(uuid.uuid4())
    db.create_with_quota('p', [dict(
        uuid=u, project_id='p', user_id='u', display_name='x', vm_state=states.BUILDING,
        task_state=states.SPAWNING, host=HOST, node=HOST, vcpus=1, memory_mb=256,
        root_gb=1, ephemeral_gb=0, metadata_={},
        system_metadata={'networks': 'none', **sysmeta})])
    db.action_start(u, 'create', ctx.request_id, 'u', 'p')
    mgr._build(ctx, u, {'image': {}}, 1)
    db_nodes.refresh_usage(HOST)
    if task_state:
        db.update(u, expected_task_state=None, task_state=task_state)
    return u


def _last_event(u, ctx):
    ev = db.action_get(u, ctx.request_id)['events'][-1]
    return ev['event'], ev['result']


def _record_tasks(mgr, monkeypatch):
    seen = []
    real = mgr._update

    def update(context, uuid_, expected, finish_event=None, **values):
        ok = real(context, uuid_, expected, finish_event=finish_event, **values)
        if ok and 'task_state' in values:
            seen.append(values['task_state'])
        return ok
    monkeypatch.setattr(mgr, '_update', update)
    return seen


def test_shelve_passes_nova_task_states_and_keeps_the_guest(mgr, ctx, uploads, monkeypatch):
    u = running(mgr, ctx, states.SHELVING)
    tasks = _record_tasks(mgr, monkeypatch)
    mgr._shelve(ctx, u, 'img-1', offload=False)
    inst = db.get(u)
    assert (inst['vm_state'], inst['task_state'], inst['power_state']) == \
        (states.SHELVED, None, states.SHUTDOWN)
    assert tasks == [states.SHELVING_IMAGE_PENDING_UPLOAD, states.SHELVING_IMAGE_UPLOADING,
                     None]
    assert [i for i, _ in uploads['uploaded']] == ['img-1'] and not uploads['discarded']
    assert u in mgr.driver.guests and inst['host'] == HOST


def test_shelve_with_offload_frees_the_host(mgr, ctx, uploads, monkeypatch):
    u = running(mgr, ctx, states.SHELVING)
    assert db_nodes.list_(HOST)[0]['running_vms'] == 1
    tasks = _record_tasks(mgr, monkeypatch)
    mgr._shelve(ctx, u, 'img-2', offload=True)
    inst = db.get(u)
    assert (inst['vm_state'], inst['task_state'], inst['host'], inst['node']) == \
        (states.SHELVED_OFFLOADED, None, None, None)
    assert states.SHELVING_OFFLOADING in tasks
    assert u not in mgr.driver.guests
    assert db_nodes.list_(HOST)[0]['running_vms'] == 0


def test_a_failed_snapshot_leaves_the_server_as_it_was(mgr, ctx, uploads, monkeypatch):
    u = running(mgr, ctx, states.SHELVING)

    def broken(*a, **kw):
        raise RuntimeError('disk on fire')
    monkeypatch.setattr(mgr.driver, 'snapshot', broken)
    mgr._shelve(ctx, u, 'img-3', offload=True)
    inst = db.get(u)
    assert (inst['vm_state'], inst['task_state'], inst['power_state']) == \
        (states.ACTIVE, None, states.RUNNING)           # powered on again
    assert _last_event(u, ctx) == ('compute_shelve_instance', 'Error')
    assert uploads['discarded'] == ['img-3'] and inst['host'] == HOST


def test_a_shelve_the_delete_overtook_does_nothing(mgr, ctx, uploads):
    u = running(mgr, ctx, states.DELETING)
    mgr._shelve(ctx, u, 'img-4', offload=False)
    assert db.get(u)['vm_state'] == states.ACTIVE
    assert uploads['discarded'] == ['img-4'] and not uploads['uploaded']


def test_unshelve_power_on_and_its_failure(mgr, ctx, uploads, monkeypatch):
    u = running(mgr, ctx, states.SHELVING)
    mgr._shelve(ctx, u, None, offload=False)
    db.update(u, expected_task_state=None, task_state=states.UNSHELVING)

    def broken(*a, **kw):
        raise RuntimeError('no power')
    monkeypatch.setattr(mgr.driver, 'power_on', broken)
    mgr._unshelve_power_on(ctx, u)
    inst = db.get(u)
    assert (inst['vm_state'], inst['task_state']) == (states.SHELVED, None)
    monkeypatch.undo()
    db.update(u, expected_task_state=None, task_state=states.UNSHELVING)
    mgr._unshelve_power_on(ctx, u)
    inst = db.get(u)
    assert (inst['vm_state'], inst['task_state'], inst['power_state']) == \
        (states.ACTIVE, None, states.RUNNING)


def test_a_failed_spawn_of_an_offloaded_server_gives_its_host_back(mgr, ctx, uploads,
                                                                   monkeypatch):
    u = running(mgr, ctx, states.SHELVING, shelved_image_id='img-5')
    mgr._shelve(ctx, u, None, offload=True)
    assert db.get(u)['host'] is None
    # the scheduler's claim
    assert db_nodes.claim(HOST, HOST, u, {'vcpus': 1, 'memory_mb': 256, 'root_gb': 1},
                          expected_vm_state=states.SHELVED_OFFLOADED,
                          expected_task_state=None, task_state=states.UNSHELVING)
    assert db_nodes.list_(HOST)[0]['running_vms'] == 1

    def broken(*a, **kw):
        raise RuntimeError('cannot spawn')
    monkeypatch.setattr(mgr.driver, 'spawn', broken)
    mgr._unshelve_spawn(ctx, u, {'image': {'id': 'img-5'}})
    inst = db.get(u)
    assert (inst['vm_state'], inst['task_state'], inst['host']) == \
        (states.SHELVED_OFFLOADED, None, None)
    assert db_nodes.list_(HOST)[0]['running_vms'] == 0
    assert _last_event(u, ctx) == ('compute_unshelve_instance', 'Error')
    assert 'img-5' not in uploads['discarded']           # kept for the next try


def test_the_reaper_leaves_shelved_servers_and_frees_a_stuck_unshelve(mgr, ctx, uploads):
    """Shelved servers are not builds: the reaper leaves them alone however
    old; an unshelve stuck past action_timeout is cleared, and the offloaded
    server it had claimed a host for holds none any more."""
    import datetime

    from iaas.conductor.manager import ConductorManager
    idle = running(mgr, ctx, states.SHELVING)
    mgr._shelve(ctx, idle, None, offload=False)
    stuck = running(mgr, ctx, states.SHELVING)
    mgr._shelve(ctx, stuck, None, offload=True)
    assert db_nodes.claim(HOST, HOST, stuck, {'vcpus': 1, 'memory_mb': 256, 'root_gb': 1},
                          expected_vm_state=states.SHELVED_OFFLOADED,
                          expected_task_state=None, task_state=states.UNSHELVING)
    old = datetime.datetime(2000, 1, 1)
    for u, task in ((idle, None), (stuck, states.UNSHELVING)):
        db.update(u, expected_task_state=task, updated_at=old)
    assert db_nodes.list_(HOST)[0]['running_vms'] == 2
    ConductorManager('cond-reaper').reap_stuck(RequestContext(is_admin=True))
    i = db.get(idle)
    assert (i['vm_state'], i['task_state'], i['host']) == (states.SHELVED, None, HOST)
    s = db.get(stuck)
    assert (s['vm_state'], s['task_state'], s['host']) == (states.SHELVED_OFFLOADED, None,
                                                           None)
    assert db_nodes.list_(HOST)[0]['running_vms'] == 1
