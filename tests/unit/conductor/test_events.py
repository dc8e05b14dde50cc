"""An operation's action event rides on the conductor calls that begin and
end it (one round trip each instead of two): started with the instance read
when the instance matches, finished with the compare-and-swap that ends the
operation, only when that swap happened."""

import pytest

from iaas import states
from iaas.context import RequestContext
from iaas.db import instances as db
from iaas.exception import UnexpectedState
from tests.unit.conductor.direct import direct_conductor, placed_instance

HOST = 'ev-c1'
EVENT = 'compute_build_and_run_instance'


@pytest.fixture
def ctx(conf, sqlite_db):
    return RequestContext(user_id='u', project_id='p', roles=['member'])


@pytest.fixture
def instance(ctx):
    uuid_ = placed_instance(HOST)
    db.action_start(uuid_, 'create', ctx.request_id)
    return uuid_


def _events(ctx, instance):
    return db.action_get(instance, ctx.request_id)['events']


def test_the_read_starts_the_event_and_the_swap_finishes_it(ctx, instance):
    cond = direct_conductor(HOST)
    inst = cond.instance_get(ctx, instance, start_event=EVENT,
                             event_if={'task_state': states.SPAWNING, 'host': HOST})
    assert inst['uuid'] == instance
    [ev] = _events(ctx, instance)
    assert (ev['event'], ev['host'], ev['finish_time']) == (EVENT, HOST, None)
    cond.instance_update(ctx, instance, states.SPAWNING, finish_event=EVENT,
                         vm_state=states.ACTIVE, task_state=None)
    [ev] = _events(ctx, instance)
    assert ev['finish_time'] is not None and ev['result'] == 'Success'
    assert db.action_get(instance, ctx.request_id)['finish_time'] is not None
    assert db.get(instance)['vm_state'] == states.ACTIVE


def test_no_event_starts_for_an_instance_that_does_not_match(ctx, instance):
    """A build the host drops (the instance is being deleted) starts no event."""
    db.update(instance, expected_task_state=states.SPAWNING, task_state=states.DELETING)
    inst = direct_conductor(HOST).instance_get(
        ctx, instance, start_event=EVENT,
        event_if={'task_state': states.SPAWNING, 'host': HOST})
    assert inst['task_state'] == states.DELETING
    assert _events(ctx, instance) == []


def test_a_swap_that_fails_finishes_no_event(ctx, instance):
    cond = direct_conductor(HOST)
    cond.instance_get(ctx, instance, start_event=EVENT)
    with pytest.raises(UnexpectedState):
        cond.instance_update(ctx, instance, states.REBOOTING, finish_event=EVENT,
                             task_state=None)
    [ev] = _events(ctx, instance)
    assert ev['finish_time'] is None


def test_the_destroy_finishes_the_delete_event(ctx, instance):
    direct_conductor(HOST).instance_destroyed(ctx, instance, HOST,
                                              finish_event='compute_terminate_instance')
    assert db.get(instance, include_deleted=True)['deleted'] != 0
    [ev] = _events(ctx, instance)
    assert ev['event'] == 'compute_terminate_instance' and ev['result'] == 'Success'
