"""Create → ACTIVE, the power actions, refused actions, console output and
delete, with the scheduler and a fake compute host in this process."""
import pytest

from iaas import states
from iaas.compute import api as compute_api
from iaas.db import instances as db
from tests.functional.compute.conftest import wait_for


def vm(uuid):
    return db.get(uuid)


def settled(uuid, vm_state):
    def check():
        i = vm(uuid)
        return i if i['vm_state'] == vm_state and i['task_state'] is None else None
    return wait_for(check, what=f'{uuid} {vm_state}')


def test_create_actions_delete(compute_services, ctx, image, flavor):
    api = compute_api.API()
    created, rid = api.create(ctx, 'fvm', image, flavor, metadata={'k': 'v'})
    assert rid.startswith('r-') and len(created) == 1
    uuid = created[0]['uuid']
    inst = settled(uuid, states.ACTIVE)
    assert inst['host'] == 'fc1' and inst['power_state'] == states.RUNNING
    assert inst['launched_at'] is not None and inst['metadata'] == {'k': 'v'}
    assert [a['action'] for a in db.actions_list(uuid)] == ['create']

    # Not allowed in the current state: 409 with a message, nothing changes.
    with pytest.raises(compute_api.Conflict):
        api.action(ctx, uuid, 'unpause')
    with pytest.raises(compute_api.Conflict):
        api.action(ctx, uuid, 'start')

    for action, after in (('stop', states.STOPPED), ('start', states.ACTIVE),
                          ('pause', states.PAUSED), ('unpause', states.ACTIVE),
                          ('suspend', states.SUSPENDED), ('resume', states.ACTIVE)):
        api.action(ctx, uuid, action)
        settled(uuid, after)
    api.reboot(ctx, uuid, 'HARD')
    assert settled(uuid, states.ACTIVE)['power_state'] == states.RUNNING

    log = api.console_output(ctx, uuid)
    assert 'login prompt' in log and 'reboot (hard)' in log
    assert api.console_output(ctx, uuid, length=1) == 'reboot (hard)\n'

    api.lock(ctx, uuid)
    assert vm(uuid)['locked']
    api.unlock(ctx, uuid)

    actions = [a['action'] for a in db.actions_list(uuid)]
    assert actions[-1] == 'create' and {'stop', 'start', 'reboot'} <= set(actions)

    api.delete(ctx, uuid)
    wait_for(lambda: _gone(uuid), what='deleted')
    gone = db.get(uuid, include_deleted=True)
    assert gone['vm_state'] == 'deleted' and gone['terminated_at'] is not None
    with pytest.raises(compute_api.NotFound):
        api.get(ctx, uuid)


def test_other_project_sees_nothing(compute_services, ctx, image, flavor):
    import dataclasses
    api = compute_api.API()
    uuid = api.create(ctx, 'mine', image, flavor)[0][0]['uuid']
    settled(uuid, states.ACTIVE)
    other = dataclasses.replace(ctx, project_id='proj-other', user_id='u2')
    assert api.list(other) == []
    for call in (lambda: api.get(other, uuid), lambda: api.action(other, uuid, 'stop'),
                 lambda: api.delete(other, uuid), lambda: api.console_output(other, uuid)):
        with pytest.raises(compute_api.NotFound):
            call()
    assert vm(uuid)['vm_state'] == states.ACTIVE and vm(uuid)['task_state'] is None


def test_no_valid_host_is_error_with_fault(compute_services, conf, ctx, image, flavor):
    from iaas.db import flavors as db_flavors
    conf.set_override('ram', -1, group='quota')
    huge = db_flavors.create('func.huge', 10 ** 7, 1, 1, flavorid='func-huge')['flavorid']
    api = compute_api.API()
    uuid = api.create(ctx, 'toobig', image, huge)[0][0]['uuid']
    inst = settled(uuid, states.ERROR)
    assert 'No valid host' in inst['fault']['message'] and inst['host'] is None
    # Listings carry the fault of ERROR instances too (loaded in one batch).
    ok = api.create(ctx, 'fits', image, 'func-1')[0][0]['uuid']
    settled(ok, states.ACTIVE)
    listed = {i['uuid']: i for i in api.list(ctx)}
    assert listed[uuid]['fault']['message'] == inst['fault']['message']
    assert listed[ok]['fault'] is None


def _gone(uuid):
    try:
        db.get(uuid)
        return False
    except db.InstanceNotFound:
        return True


@pytest.mark.parametrize('start', [states.ACTIVE, states.STOPPED])
def test_resize_confirm_keeps_the_power_state_it_began_with(compute_services, conf, ctx,
                                                            image, flavor, start):
    from iaas.db import flavors as db_flavors
    conf.set_override('allow_resize_to_same_host', True, group='compute')
    bigger = db_flavors.create('func.bigger', 512, 1, 2, flavorid='func-2')['flavorid']
    api = compute_api.API()
    uuid = api.create(ctx, 'rs', image, flavor)[0][0]['uuid']
    settled(uuid, states.ACTIVE)
    if start == states.STOPPED:
        api.action(ctx, uuid, 'stop')
        settled(uuid, states.STOPPED)
    api.resize(ctx, uuid, bigger)
    resized = settled(uuid, states.RESIZED)
    power = states.RUNNING if start == states.ACTIVE else states.SHUTDOWN
    assert resized['power_state'] == power and resized['memory_mb'] == 512
    api.confirm_resize(ctx, uuid)
    done = vm(uuid)
    assert done['vm_state'] == start and done['task_state'] is None
    assert 'old_vm_state' not in (done['system_metadata'] or {})
