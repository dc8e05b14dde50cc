"""Live migration (iaas/compute/live_migration*.py, iaas/scheduler/live_migration.py,
iaas/conductor/live_migration.py) with two fake compute hosts, their
conductor clients called directly and the source→destination calls made in
this thread: the state row, the claim, the move, the rollbacks."""
import dataclasses
import uuid

import pytest

from iaas import states
from iaas.compute import rpcapi as compute_rpcapi
from iaas.compute.manager import ComputeManager
from iaas.compute.virt import driver as virt_driver
from iaas.compute.virt import fake
from iaas.context import RequestContext
from iaas.db import compute_nodes as db_nodes
from iaas.db import instances as db
from iaas.db import services as db_services
from iaas.exception import HostNotAuthorized, InstanceNotFound
from iaas.scheduler import live_migration as placement
from iaas.scheduler.manager import SchedulerManager
from tests.unit.conductor.direct import direct_conductor

SRC, DST = 'unit-lm1', 'unit-lm2'


def test_state_row_and_status():
    for vm in (states.ACTIVE, states.PAUSED):
        assert states.check_action('live_migrate', vm, None) == states.MIGRATING
    for vm, task in ((states.STOPPED, None), (states.SUSPENDED, None), (states.ERROR, None),
                     (states.ACTIVE, states.REBOOTING), (states.SHELVED, None)):
        with pytest.raises(states.InvalidState):
            states.check_action('live_migrate', vm, task)
    assert states.status(states.ACTIVE, states.MIGRATING) == 'MIGRATING'
    assert states.status(states.PAUSED, states.MIGRATING) == 'MIGRATING'
    assert states.status(states.ACTIVE, None) == 'ACTIVE'


class _Direct:
    """Calls from one compute host to another's manager, in this thread."""

    def __init__(self, managers):
        self.managers = managers

    def __getattr__(self, method):
        def call(context, host, *args, **kwargs):
            return getattr(self.managers[host], method)(context, *args, **kwargs)
        return call


@dataclasses.dataclass
class Cloud:
    src: ComputeManager
    dst: ComputeManager
    sched: SchedulerManager
    casts: list


@pytest.fixture
def cloud(conf, sqlite_db, monkeypatch):
    conf.set_override('spawn_delay', 0, group='fake_driver')
    ctx = RequestContext(is_admin=True)
    mgrs = {}
    for h in (SRC, DST):
        m = ComputeManager(h)
        m.conductor = direct_conductor(h)
        db_services.service_register(h, 'iaas-compute', 'compute')
        m.report_resources(ctx)
        mgrs[h] = m
    direct = _Direct(mgrs)
    for m in mgrs.values():
        m.__dict__['_compute_rpc'] = direct
    sched = SchedulerManager('unit-sched')
    casts = []

    class Compute:
        def live_migration(self, context, host, instance, dest, block_migration):
            casts.append((host, instance['uuid'], dest, block_migration))
    sched.compute = Compute()
    yield Cloud(mgrs[SRC], mgrs[DST], sched, casts)
    for m in mgrs.values():
        m.cleanup_host()


@pytest.fixture
def ctx():
    return RequestContext(user_id='u', project_id='p', roles=['admin'],
                          request_id='req-' + uuid.uuid4().hex)


def _running(cloud, ctx, vm_state=states.ACTIVE):
    u = str(uuid.uuid4())
    db.create_with_quota('p', [dict(
        uuid=u, project_id='p', user_id='u', display_name='x', vm_state=states.BUILDING,
        task_state=states.SPAWNING, host=SRC, node=SRC, vcpus=1, memory_mb=256,
        root_gb=1, ephemeral_gb=0, metadata_={},
        flavor={'vcpus': 1, 'memory_mb': 256, 'root_gb': 1, 'ephemeral_gb': 0},
        system_metadata={'networks': 'none'})])
    cloud.src._build(ctx, u, {'image': {}}, 1)
    db_nodes.refresh_usage(SRC)
    if vm_state == states.PAUSED:
        db.update(u, expected_task_state=None, vm_state=states.PAUSED)
    db.update(u, expected_task_state=None, task_state=states.MIGRATING)
    db.action_start(u, 'live-migration', ctx.request_id, 'u', 'p')
    return u


def _usage():
    return {n['host']: n['running_vms'] for n in db_nodes.list_()}


def _claim(cloud, ctx, u, host=None):
    placement.place(cloud.sched, ctx, u, host, 'auto')
    assert cloud.casts[-1][:3] == (SRC, u, DST)
    return db.get(u)


def _events(u, ctx):
    return [(e['event'], e['result']) for e in db.action_get(u, ctx.request_id)['events']]


def test_the_claim_places_the_instance_on_the_destination(cloud, ctx):
    u = _running(cloud, ctx)
    inst = _claim(cloud, ctx, u)
    assert (inst['host'], inst['node'], inst['task_state']) == (DST, DST, states.MIGRATING)
    rec = inst['system_metadata'][compute_rpcapi.LIVE_MIGRATION_RECORD]
    assert rec == {'source_host': SRC, 'source_node': SRC, 'dest_host': DST,
                   'dest_node': DST, 'block_migration': 'auto'}
    assert _usage() == {SRC: 0, DST: 1}
    assert _events(u, ctx) == [('compute_live_migration', None)]


def test_no_destination_clears_the_task(cloud, ctx):
    u = _running(cloud, ctx)
    placement.place(cloud.sched, ctx, u, 'no-such-host', 'auto')
    inst = db.get(u)
    assert (inst['host'], inst['task_state']) == (SRC, None)
    assert not cloud.casts


@pytest.mark.parametrize('vm_state', [states.ACTIVE, states.PAUSED])
def test_the_guest_moves_and_the_task_ends_on_the_destination(cloud, ctx, vm_state):
    u = _running(cloud, ctx, vm_state)
    inst = _claim(cloud, ctx, u)
    cloud.src._live_migrate(ctx, inst, DST, 'auto')
    inst = db.get(u)
    assert (inst['host'], inst['vm_state'], inst['task_state']) == (DST, vm_state, None)
    assert inst['power_state'] == states.RUNNING
    assert compute_rpcapi.LIVE_MIGRATION_RECORD not in inst['system_metadata']
    assert u in cloud.dst.driver.guests and u not in cloud.src.driver.guests
    assert 'live-migrated from' in cloud.dst.driver.get_console_output(None, {'uuid': u})
    assert _usage() == {SRC: 0, DST: 1}
    assert _events(u, ctx) == [('compute_live_migration', 'Success')]


@pytest.mark.parametrize('where', ['driver', 'pre'])
def test_a_failed_move_rolls_back(cloud, ctx, monkeypatch, where):
    u = _running(cloud, ctx)
    inst = _claim(cloud, ctx, u)

    def boom(*a, **kw):
        raise virt_driver.DriverError('live migration aborted after 600s: injected')
    if where == 'driver':
        monkeypatch.setattr(cloud.src.driver, 'live_migration', boom)
    else:
        monkeypatch.setattr(cloud.dst.driver, 'pre_live_migration', boom)
    undone = []
    monkeypatch.setattr(cloud.dst.driver, 'rollback_live_migration_at_destination',
                        lambda c, i, md: undone.append(i['uuid']))
    cloud.src._live_migrate(ctx, inst, DST, True)
    inst = db.get(u)
    assert (inst['host'], inst['node'], inst['vm_state'], inst['task_state']) == \
        (SRC, SRC, states.ACTIVE, None)
    assert compute_rpcapi.LIVE_MIGRATION_RECORD not in inst['system_metadata']
    assert u in cloud.src.driver.guests and u not in cloud.dst.driver.guests
    assert undone == [u]
    assert _usage() == {SRC: 1, DST: 0}
    assert _events(u, ctx) == [('compute_live_migration', 'Error')]
    ev = db.action_get(u, ctx.request_id)['events'][0]
    assert 'injected' in ev['traceback']


def test_deleted_during_the_move(cloud, ctx):
    """The destination removes a guest that arrives for a deleted instance;
    after a failed move, the source removes its own."""
    u = _running(cloud, ctx)
    inst = _claim(cloud, ctx, u)
    data = cloud.dst.pre_live_migration(ctx, u, True, {})
    cloud.src.driver.live_migration(ctx, inst, DST, data)
    db.soft_delete(u)
    assert cloud.dst.post_live_migration_at_destination(ctx, u, data) is False
    assert u not in cloud.dst.driver.guests

    u2 = _running(cloud, ctx)
    inst2 = _claim(cloud, ctx, u2)
    db.soft_delete(u2)
    cloud.src._rolled_back(ctx, inst2, DST, None, 'failed')
    assert u2 not in cloud.src.driver.guests


def test_only_the_destination_may_end_the_move(cloud, ctx):
    u = _running(cloud, ctx)
    _claim(cloud, ctx, u)
    # the source no longer holds the instance (not found, or, while the
    # conductor's placement cache still names it, not the destination)
    with pytest.raises((InstanceNotFound, HostNotAuthorized)):
        cloud.src.conductor.live_migration_finish(ctx, u, False, message='x')
    # another host it was not migrated to, even if placed there, may not
    db.update(u, expected_task_state=states.MIGRATING, host='unit-lm3', node='unit-lm3')
    with pytest.raises(HostNotAuthorized):
        direct_conductor('unit-lm3').live_migration_finish(ctx, u, True)
    assert db.get(u)['task_state'] == states.MIGRATING


def test_the_fake_host_must_be_in_this_process(cloud, ctx):
    with pytest.raises(virt_driver.DriverError, match='no fake host'):
        fake.FakeDriver('unit-lone').live_migration(ctx, {'uuid': 'x'}, 'elsewhere', {})
