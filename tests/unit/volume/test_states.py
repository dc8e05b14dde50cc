"""The one table of volume operations (iaas.volume.states)."""
from iaas.volume import states


def test_every_operation_ends_in_a_known_status():
    known = set(states.VOLUME_STATUSES) | {states.PREVIOUS, None}
    for name, op in states.VOLUME_OPS.items():
        assert op.success in known and op.failure in known, name
        assert set(op.begin) <= set(states.VOLUME_STATUSES), name


def test_transitional_statuses_are_those_operations_run_in():
    assert states.TRANSITIONAL == {'creating', 'deleting', 'extending', 'reserved',
                                   'attaching', 'detaching', 'uploading', 'backing-up',
                                   'restoring-backup', 'downloading', 'maintenance'}
    for status in states.TRANSITIONAL:
        assert states.op_running('volume', status) is not None
    assert states.op_running('volume', 'available') is None


def test_previous_outcome():
    extend = states.op('volume', 'extend')
    assert states.outcome(extend, 'success', 'in-use') == 'in-use'
    assert states.outcome(extend, 'failure', 'in-use') == 'error_extending'
    assert states.outcome(states.op('volume', 'backup'), 'failure', 'available') == 'available'
