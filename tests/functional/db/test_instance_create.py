"""Server create's transaction on SQLite, PostgreSQL and MariaDB.

``instances.create_with_quota`` inserts with prebuilt Core statements (no
ORM unit of work). What it returns must be what a read of the rows gives,
and the rows it makes with the instance (its action, its server-group
membership, its EC2 id) must be there; a quota refusal leaves nothing.
"""
import datetime
import uuid

import pytest
import sqlalchemy as sa

from iaas import states
from iaas.db import ec2_ids, engine, quotas, server_groups
from iaas.db import instances as db
from iaas.db.models import InstanceAction, InstanceGroupMember


def _values(project_id='p', **kw):
    return dict(dict(
        uuid=str(uuid.uuid4()), project_id=project_id, user_id='u', display_name='x',
        hostname='x', image_ref='img', flavor={'vcpus': 1, 'extra_specs': {'a': 'b'}},
        vm_state=states.BUILDING, task_state=states.SCHEDULING, power_state=states.NOSTATE,
        vcpus=1, memory_mb=64, root_gb=1, ephemeral_gb=0, config_drive=True,
        metadata_={'k': 'v'}, system_metadata={'networks': 'none', 'n': [1, 2]},
        reservation_id='r-1', launch_index=0), **kw)


def _same(made, read):
    """``made`` equals ``read`` but for the time's precision (MariaDB's
    DATETIME keeps whole seconds)."""
    assert set(made) == set(read)
    for key, value in read.items():
        if isinstance(value, datetime.datetime):
            assert abs(made[key] - value) < datetime.timedelta(seconds=1), key
        else:
            assert made[key] == value, key


def test_create_returns_what_a_read_gives(db_url):
    group = server_groups.create('p', 'u', 'g', 'anti-affinity')
    values = [_values(), _values(display_name='y', launch_index=1)]
    ec2 = ec2_ids.made('i', [v['uuid'] for v in values])
    made = db.create_with_quota(
        'p', values, group_id=group['id'], ec2_ids={'instance': ec2},
        action={'action': 'create', 'request_id': 'req-1', 'user_id': 'u',
                'project_id': 'p'})
    assert [m['uuid'] for m in made] == [v['uuid'] for v in values]
    for m in made:
        read = db.get(m['uuid'])
        _same(m, read)
        assert read['metadata'] == {'k': 'v'} and read['locked'] is False
        assert read['deleted'] == 0 and read['fault'] is None and m['id'] == read['id']
    assert made[1]['display_name'] == 'y' and made[0]['id'] != made[1]['id']
    uuids = [m['uuid'] for m in made]
    with engine.transaction() as s:
        actions = s.execute(sa.select(InstanceAction.instance_uuid, InstanceAction.action,
                                      InstanceAction.request_id, InstanceAction.start_time,
                                      InstanceAction.created_at).where(
            InstanceAction.instance_uuid.in_(uuids))).all()
        members = s.scalars(sa.select(InstanceGroupMember.instance_uuid).where(
            InstanceGroupMember.group_id == group['id'])).all()
    assert sorted(a[0] for a in actions) == sorted(uuids)
    assert {(a[1], a[2]) for a in actions} == {('create', 'req-1')}
    assert all(a[3] is not None and a[4] is not None for a in actions)
    assert sorted(members) == sorted(uuids)
    assert ec2_ids.ids_for('instance', 'i', uuids) == ec2


def test_a_refused_create_leaves_nothing(db_url):
    quotas.set_limits('pq', {'instances': 1})
    first = db.create_with_quota('pq', [_values('pq')])
    again = _values('pq')
    ec2 = ec2_ids.made('i', [again['uuid']])
    with pytest.raises(quotas.QuotaExceeded):
        db.create_with_quota('pq', [again], ec2_ids={'instance': ec2},
                             action={'action': 'create', 'request_id': 'r',
                                     'user_id': 'u', 'project_id': 'pq'})
    with pytest.raises(db.InstanceNotFound):
        db.get(again['uuid'])
    assert [i['uuid'] for i in db.list_(project_id='pq')] == [first[0]['uuid']]
    with engine.transaction() as s:
        assert not s.scalars(sa.select(InstanceAction.id).where(
            InstanceAction.instance_uuid == again['uuid'])).all()


def test_a_state_write_returns_what_a_read_gives(db_url):
    """The compare-and-swap hands back the updated row itself where the
    database can (PostgreSQL, SQLite: UPDATE … RETURNING) and reads it
    after where it cannot (MariaDB): the same dict as a read either way,
    with the fault of an instance in error; a lost swap writes nothing."""
    (made,) = db.create_with_quota('p', [_values(host='h1', node='h1')])
    u = made['uuid']
    got = db.update(u, expected_task_state=states.SCHEDULING, expected_host='h1',
                    task_state=None, vm_state=states.ACTIVE, metadata={'a': ['b']})
    _same(got, db.get(u))
    assert got['metadata'] == {'a': ['b']} and got['task_state'] is None
    with pytest.raises(db.UnexpectedState):
        db.update(u, expected_task_state=states.SCHEDULING, task_state=states.DELETING)
    with pytest.raises(db.InstanceNotFound):
        db.update(u, expected_task_state=None, expected_host='h2', task_state=states.DELETING)
    assert db.get(u)['task_state'] is None
    db.set_error(u, 'it broke', force=True)
    got = db.update(u, expected_vm_state=states.ERROR, task_state=states.DELETING)
    assert got['fault']['message'] == 'it broke'
    _same(got, db.get(u))
