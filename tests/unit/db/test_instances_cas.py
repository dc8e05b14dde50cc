"""iaas/db/instances.py: every state write is a compare-and-swap. An update
without expected states is a programming error unless ``force=True``; the
non-state fields have their own writer, which refuses state fields."""
import uuid

import pytest

from iaas import states
from iaas.db import compute_nodes as db_nodes
from iaas.db import instances as db


@pytest.fixture
def inst(sqlite_db):
    values = dict(uuid=str(uuid.uuid4()), project_id='p', user_id='u', display_name='x',
                  vm_state=states.ACTIVE, task_state=None, power_state=states.RUNNING,
                  host='h1', node='h1', vcpus=1, memory_mb=64, root_gb=1, ephemeral_gb=0,
                  metadata_={}, system_metadata={})
    return db.create_with_quota('p', [values])[0]['uuid']


def test_an_update_without_expected_states_is_refused(inst):
    with pytest.raises(db.UnguardedUpdate, match='expected_vm_state or expected_task_state'):
        db.update(inst, vm_state=states.ERROR)
    assert db.get(inst)['vm_state'] == states.ACTIVE     # nothing written


def test_force_writes_whatever_the_state(inst):
    db.update(inst, expected_task_state=None, task_state=states.REBOOTING)
    got = db.update(inst, force=True, vm_state=states.ERROR, task_state=None)
    assert (got['vm_state'], got['task_state']) == (states.ERROR, None)


def test_the_compare_and_swap_refuses_another_state(inst):
    db.update(inst, expected_vm_state=states.ACTIVE, expected_task_state=None,
              task_state=states.POWERING_OFF)
    with pytest.raises(db.UnexpectedState, match='task_state powering-off'):
        db.update(inst, expected_task_state=None, task_state=states.PAUSING)
    got = db.update(inst, expected_task_state=[states.POWERING_OFF, states.REBOOTING],
                    vm_state=states.STOPPED, task_state=None)
    assert (got['vm_state'], got['task_state']) == (states.STOPPED, None)


def test_set_error_needs_an_expected_task_state_or_force(inst):
    with pytest.raises(db.UnguardedUpdate):
        db.set_error(inst, 'boom')
    assert db.set_error(inst, 'boom', expected_task_state=states.DELETING) is None
    assert db.get(inst)['vm_state'] == states.ACTIVE
    got = db.set_error(inst, 'boom', force=True)
    assert got['vm_state'] == states.ERROR and got['fault']['message'] == 'boom'


def test_set_fields_changes_no_state(inst):
    got = db.set_fields(inst, display_name='y', locked=True, metadata={'a': '1'})
    assert (got['display_name'], got['locked'], got['metadata']) == ('y', True, {'a': '1'})
    for field in ('vm_state', 'task_state', 'power_state', 'host'):
        with pytest.raises(db.UnguardedUpdate, match=field):
            db.set_fields(inst, **{field: None})
    with pytest.raises(db.InstanceNotFound):
        db.set_fields(str(uuid.uuid4()), display_name='z')


def test_a_claim_with_an_idle_task_state_is_a_compare_and_swap(inst):
    db_nodes.upsert('h1', 'h1', vcpus=8, memory_mb=4096, local_gb=100,
                    hypervisor_type='fake', hypervisor_version=1, cpu_info=None,
                    cpu_allocation_ratio=1.0, ram_allocation_ratio=1.0,
                    disk_allocation_ratio=1.0)
    flavor = {'vcpus': 1, 'memory_mb': 64, 'root_gb': 1, 'ephemeral_gb': 0}
    db.update(inst, expected_task_state=None, task_state=states.REBOOTING)
    # Expected idle: the rebooting instance is not taken (None used to mean "any").
    assert db_nodes.claim('h1', 'h1', inst, flavor, expected_task_state=None,
                          expected_vm_state=states.ACTIVE,
                          task_state=states.RESIZE_REVERTING) is None
    assert db.get(inst)['task_state'] == states.REBOOTING
    db.update(inst, expected_task_state=states.REBOOTING, task_state=None)
    assert db_nodes.claim('h1', 'h1', inst, flavor, expected_task_state=None,
                          expected_vm_state=states.ACTIVE,
                          task_state=states.RESIZE_REVERTING) is True
    assert db.get(inst)['task_state'] == states.RESIZE_REVERTING


def test_prebuilt_swaps_compare_what_they_are_given(inst):
    """The compare-and-swap UPDATE is prebuilt per shape: the values compared
    and written are parameters, so one statement serves every instance and
    value of that shape (None compared as IS NULL), and a set of expected
    states in any order is the same statement."""
    a, pa = db.guarded(inst, {'task_state': 'x'}, expected_task_state={None, 'a', 'b'})
    b, pb = db.guarded('other', {'task_state': 'y'}, expected_task_state=['b', None, 'a'])
    assert a is b and pa['u'] == inst and pb['v_task_state'] == 'y'
    assert db.update(inst, expected_task_state=(states.REBOOTING, None),
                     metadata={'m': ['1']}, task_state=states.PAUSING)['metadata'] == {'m': ['1']}
    with pytest.raises(db.UnexpectedState):      # None is no longer the task_state
        db.update(inst, expected_task_state=(None, states.REBOOTING), task_state=None)
    got = db.update(inst, expected_task_state=[states.PAUSING], expected_host='h1',
                    task_state=None)
    assert got['task_state'] is None
    with pytest.raises(db.InstanceNotFound):     # on another host: not the caller's
        db.update(inst, expected_task_state=None, expected_host='h2', task_state=states.PAUSING)
    with pytest.raises(db.InstanceNotFound):     # placed: not "on no host"
        db.update(inst, expected_task_state=None, expected_host=None, task_state=states.PAUSING)
    assert db.get(inst)['task_state'] is None
