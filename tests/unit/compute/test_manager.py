"""The compute manager with the fake driver and a conductor called directly
(no bus): builds, failed builds (rescheduled, then ERROR), power actions and
deletes, each ending in the state of iaas/states.py through the conductor."""
import uuid

import pytest

from iaas import states
from iaas.compute.manager import ComputeManager
from iaas.context import RequestContext
from iaas.db import compute_nodes as db_nodes
from iaas.db import instances as db
from tests.unit.conductor.direct import direct_conductor

HOST = 'unit-c1'


class Casts:
    def __init__(self):
        self.calls = []

    def build_instances(self, context, spec, attempt=1):
        self.calls.append((spec, attempt))


@pytest.fixture
def mgr(conf, sqlite_db):
    conf.set_override('spawn_delay', 0, group='fake_driver')
    m = ComputeManager(HOST)
    m.conductor = direct_conductor(HOST)
    m.scheduler_casts = m.conductor.client.endpoint.scheduler = Casts()
    m.report_resources(RequestContext(is_admin=True))
    yield m
    m.cleanup_host()


@pytest.fixture
def ctx():
    return RequestContext(user_id='u', project_id='p', roles=['member'],
                          request_id='req-' + uuid.uuid4().hex)


def placed(ctx, **over):
    """An instance the scheduler claimed on HOST (task spawning), with its action."""
    values = dict(uuid=str(uuid.uuid4()), project_id='p', user_id='u', display_name='x',
                  vm_state=states.BUILDING, task_state=states.SPAWNING, host=HOST,
                  node=HOST, vcpus=1, memory_mb=256, root_gb=1, ephemeral_gb=0,
                  metadata_={}, system_metadata={'networks': 'none'})
    values.update(over)
    db.create_with_quota('p', [values])
    db.action_start(values['uuid'], 'create', ctx.request_id, 'u', 'p')
    return values['uuid']


def test_build_makes_the_instance_active(mgr, ctx):
    uuid_ = placed(ctx)
    mgr._build(ctx, uuid_, {'image': {}}, 1)
    inst = db.get(uuid_)
    assert (inst['vm_state'], inst['task_state'], inst['power_state']) == \
        (states.ACTIVE, None, states.RUNNING)
    assert inst['launched_at'] is not None
    (event,) = db.action_get(uuid_, ctx.request_id)['events']
    assert (event['event'], event['result']) == ('compute_build_and_run_instance', 'Success')


def test_a_build_the_claim_handed_on_makes_one_conductor_call(mgr, ctx, monkeypatch):
    """The scheduler's claim starts the build's event and casts the row:
    the host reads nothing, and its one call swaps to ACTIVE and finishes
    the event."""
    uuid_ = placed(ctx, host=None, node=None, task_state=states.SCHEDULING)
    db_nodes.upsert(HOST, HOST, vcpus=64, memory_mb=65536, local_gb=1000)
    inst = db_nodes.claim(HOST, HOST, uuid_, {'vcpus': 1, 'memory_mb': 256, 'root_gb': 1,
                                              'ephemeral_gb': 0},
                          task_state=states.SPAWNING,
                          start_event=(ctx.request_id, 'compute_build_and_run_instance'))
    assert inst['uuid'] == uuid_ and inst['host'] == HOST
    (event,) = db.action_get(uuid_, ctx.request_id)['events']
    assert (event['host'], event['finish_time']) == (HOST, None)
    called = []
    client = mgr.conductor.client
    real = client.call
    monkeypatch.setattr(client, 'call', lambda c, m, **kw: (called.append(m), real(c, m, **kw))[1])
    mgr._build(ctx, uuid_, {'image': {}}, 1, inst)
    assert called == ['instance_update']
    assert db.get(uuid_)['vm_state'] == states.ACTIVE
    (event,) = db.action_get(uuid_, ctx.request_id)['events']
    assert event['result'] == 'Success' and event['finish_time'] is not None


def test_a_handed_on_build_deleted_meanwhile_leaves_no_guest(mgr, ctx):
    uuid_ = placed(ctx)
    inst = db.get(uuid_)
    db.update(uuid_, expected_task_state=states.SPAWNING, task_state=states.DELETING)
    db.soft_delete(uuid_)
    mgr._build(ctx, uuid_, {'image': {}}, 1, inst)
    assert uuid_ not in mgr.driver.list_instances()


def test_failed_build_is_handed_back_for_rescheduling(mgr, ctx, conf):
    conf.set_override('spawn_failure_rate', 1.0, group='fake_driver')
    uuid_ = placed(ctx)
    mgr._build(ctx, uuid_, {'image': {}, 'ignore_hosts': []}, 1)
    inst = db.get(uuid_)
    assert (inst['vm_state'], inst['task_state'], inst['host']) == \
        (states.BUILDING, states.SCHEDULING, None)
    ((spec, attempt),) = mgr.scheduler_casts.calls
    assert attempt == 2 and spec['ignore_hosts'] == [HOST] and spec['instance_uuids'] == [uuid_]


def test_failed_last_attempt_is_error_with_fault(mgr, ctx, conf):
    conf.set_override('spawn_failure_rate', 1.0, group='fake_driver')
    uuid_ = placed(ctx)
    mgr._build(ctx, uuid_, {'image': {}}, conf.scheduler.max_attempts)
    inst = db.get(uuid_)
    assert (inst['vm_state'], inst['task_state'], inst['host']) == (states.ERROR, None, None)
    assert 'failed after' in inst['fault']['message']
    assert mgr.scheduler_casts.calls == []


def test_build_of_an_instance_deleted_meanwhile_is_dropped(mgr, ctx):
    uuid_ = placed(ctx, task_state=states.DELETING)
    mgr._build(ctx, uuid_, {'image': {}}, 1)
    assert db.get(uuid_)['vm_state'] == states.BUILDING
    assert uuid_ not in mgr.driver.list_instances()


@pytest.mark.parametrize('action,task,vm_after,power', [
    ('stop', states.POWERING_OFF, states.STOPPED, states.SHUTDOWN),
    ('pause', states.PAUSING, states.PAUSED, states.PAUSED_POWER),
    ('suspend', states.SUSPENDING, states.SUSPENDED, states.SUSPENDED_POWER),
])
def test_power_actions_end_in_their_state(mgr, ctx, action, task, vm_after, power):
    uuid_ = placed(ctx)
    mgr._build(ctx, uuid_, {'image': {}}, 1)
    db.update(uuid_, expected_task_state=None, task_state=task)
    db.action_start(uuid_, action, ctx.request_id, 'u', 'p')
    mgr._simple(action, ctx, uuid_)
    inst = db.get(uuid_)
    assert (inst['vm_state'], inst['task_state'], inst['power_state']) == \
        (vm_after, None, power)


def test_action_on_a_changed_instance_does_not_overwrite(mgr, ctx):
    """The completion is a compare-and-swap: if the task changed meanwhile
    (here: a delete took over), the action's result is not written."""
    uuid_ = placed(ctx)
    mgr._build(ctx, uuid_, {'image': {}}, 1)
    db.update(uuid_, expected_task_state=None, task_state=states.DELETING)
    mgr._simple('stop', ctx, uuid_)
    inst = db.get(uuid_)
    assert (inst['vm_state'], inst['task_state']) == (states.ACTIVE, states.DELETING)


def test_terminate_deletes_and_recounts_usage(mgr, ctx):
    uuid_ = placed(ctx)
    mgr._build(ctx, uuid_, {'image': {}}, 1)
    db.update(uuid_, expected_task_state=None, task_state=states.DELETING)
    db_nodes.refresh_usage(HOST)
    assert db_nodes.list_(host=HOST)[0]['running_vms'] == 1
    mgr._terminate(ctx, uuid_)
    with pytest.raises(db.InstanceNotFound):
        db.get(uuid_)
    assert uuid_ not in mgr.driver.list_instances()
    assert db_nodes.list_(host=HOST)[0]['running_vms'] == 0


def test_conductor_refuses_fields_a_host_may_not_write(mgr, ctx):
    uuid_ = placed(ctx)
    with pytest.raises(ValueError, match='may not write project_id'):
        mgr.conductor.instance_update(ctx, uuid_, states.SPAWNING, project_id='other')
    assert db.get(uuid_)['project_id'] == 'p'
