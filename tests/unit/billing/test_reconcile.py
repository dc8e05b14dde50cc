"""Reconciliation's reading of database records: billable state and times,
transitions left for the next run."""
import datetime

from iaas.billing import reconcile

T = datetime.datetime(2025, 3, 1)
H = datetime.timedelta(hours=1)


def _inst(**kw):
    row = {'id': 'i', 'project_id': 'p', 'user_id': 'u', 'vm_state': 'active',
           'task_state': None, 'flavor': {'name': 'm1.small', 'flavorid': '2'}, 'vcpus': 1,
           'memory_mb': 1, 'root_gb': 1, 'launched_at': T + H, 'created_at': T,
           'updated_at': T + 2 * H}
    row.update(kw)
    return row


def test_instance_states_and_times():
    fields, start, changed, why = reconcile._instance(_inst())
    assert fields['state'] == 'active' and fields['flavor_name'] == 'm1.small'
    assert (start, changed, why) == (T + H, T + 2 * H, 'launched_at')
    assert reconcile._instance(_inst(vm_state='shelved_offloaded'))[0]['state'] == 'shelved'
    assert reconcile._instance(_inst(vm_state='resized'))[0]['state'] == 'active'
    # never launched: opened from created_at
    assert reconcile._instance(_inst(launched_at=None))[1] == T


def test_transitions_wait():
    assert reconcile._instance(_inst(task_state='powering-off')) is None
    assert reconcile._volume({'status': 'extending', 'size': 1, 'volume_type': None,
                              'launched_at': T, 'created_at': T, 'updated_at': T}) is None
    assert reconcile._snapshot({'status': 'creating', 'size': 1, 'volume_id': 'v',
                                'created_at': T, 'updated_at': T}) is None
    assert reconcile._image({'status': 'saving', 'project_id': 'p', 'size': 1,
                             'created_at': T, 'updated_at': T}) is None
    # any other volume status is present, at its size
    fields, *_ = reconcile._volume({'status': 'in-use', 'size': 5, 'volume_type': 'ssd',
                                    'launched_at': T, 'created_at': T, 'updated_at': T})
    assert (fields['size_gb'], fields['volume_type']) == (5, 'ssd')


def test_correction_events_follow_the_contract():
    ev = reconcile._event('instance', 'i', 'p', 'u', reconcile._instance(_inst())[0], T)
    assert (ev.source, ev.state, ev.price_key, ev.at) == ('reconcile', 'active', 'm1.small', T)
    gone = reconcile._event('floating_ip', 'f', 'p', None, {}, T, deleted=True)
    assert gone.state == 'deleted' and gone.message_id.startswith('reconcile-')
