"""iaas.db.volume_groups on SQLite: members join and leave by compare-and-swap,
a group settles when its last volume is made and goes when its last volume
went, the reaper ends what is stuck."""
import datetime

import pytest

from iaas.db import volume_groups as db
from iaas.db import volumes as db_volumes
from iaas.exception import InvalidVolume, VolumeNotFound, VolumeStatusError
from iaas.volume import groups as volume_groups


def _group(status='available', types=('t1',), project='p1'):
    return db.create({'project_id': project, 'user_id': 'u', 'group_type_id': 'gt',
                      'volume_type_ids': list(types)}, status=status)


def _volume(project='p1', vtype='t1', status='available', group_id=None):
    vol = db_volumes.create({'project_id': project, 'user_id': 'u', 'size': 1,
                             'volume_type_id': vtype, 'group_id': group_id})
    if status != 'creating':
        db_volumes.swap(vol['uuid'], 'creating', status)
    return vol['uuid']


def test_update_members_is_all_or_nothing(sqlite_db):
    g = _group()
    ok, other_type, other_project = _volume(), _volume(vtype='t2'), _volume(project='p2')
    busy = _volume(status='extending')
    db.update_members(g['uuid'], add=[ok])
    assert [v['uuid'] for v in db.volumes(g['uuid'])] == [ok]
    for bad, exc in ((other_type, InvalidVolume), (busy, InvalidVolume),
                     (other_project, VolumeNotFound), ('nope', VolumeNotFound)):
        fresh = _volume()
        with pytest.raises(exc):
            db.update_members(g['uuid'], add=[fresh, bad], remove=[ok])
        # nothing changed, the group is available again
        assert [v['uuid'] for v in db.volumes(g['uuid'])] == [ok]
        assert db.get(g['uuid'])['status'] == 'available'
    with pytest.raises(InvalidVolume, match='not in the group'):
        db.update_members(g['uuid'], remove=[other_type])
    db.update_members(g['uuid'], remove=[ok])
    assert db.volumes(g['uuid']) == []
    # another group's volume does not join
    g2 = _group()
    db.update_members(g2['uuid'], add=[ok])
    with pytest.raises(InvalidVolume, match='already in group'):
        db.update_members(g['uuid'], add=[ok])
    # only an available group is updated
    db.swap(g['uuid'], 'available', 'error')
    with pytest.raises(VolumeStatusError):
        db.update_members(g['uuid'], add=[_volume()])


def test_settle_and_finish_delete(sqlite_db):
    g = _group(status='creating')
    v1 = _volume(status='creating', group_id=g['uuid'])
    v2 = _volume(status='creating', group_id=g['uuid'])
    assert db.settle(g['uuid']) is None
    db_volumes.swap(v1, 'creating', 'available')
    assert db.settle(g['uuid']) is None
    db_volumes.swap(v2, 'creating', 'error')
    assert db.settle(g['uuid']) == 'error'
    assert db.settle(g['uuid']) is None           # only from creating
    db.swap(g['uuid'], 'error', 'deleting')
    for vid in (v1, v2):
        assert not db.finish_delete(g['uuid'])
        db_volumes.swap(vid, ('available', 'error'), 'deleting')
        db_volumes.destroy(vid)
    assert db.finish_delete(g['uuid'])
    with pytest.raises(VolumeNotFound):
        db.get(g['uuid'])
    # an updating group (its members still being added) never settles
    filling = _group(status='updating')
    assert db.settle(filling['uuid']) is None


def test_reap_ends_stuck_rows(sqlite_db):
    stuck = {s: _group(status=s)['uuid'] for s in ('creating', 'updating', 'deleting')}
    fine = _group()['uuid']
    later = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + \
        datetime.timedelta(seconds=5)
    assert sorted(u for _, u in volume_groups.reap(later)) == sorted(stuck.values())
    assert {s: db.get(u)['status'] for s, u in stuck.items()} == {
        'creating': 'error', 'updating': 'error', 'deleting': 'error_deleting'}
    assert db.get(fine)['status'] == 'available'
    assert volume_groups.reap(later) == []


def test_group_types(sqlite_db):
    t = db.type_create('gold', 'd', True, {'a': '1'})
    assert db.type_get('gold')['uuid'] == t['uuid']
    assert db.type_set_specs(t['uuid'], {'b': '2'}) == {'a': '1', 'b': '2'}
    assert db.type_delete_spec(t['uuid'], 'a') and not db.type_delete_spec(t['uuid'], 'a')
    db.type_create('private', None, False)
    assert [x['name'] for x in db.type_list(True)] == ['gold']
    assert [x['name'] for x in db.type_list(None, (('name', 'desc'),))] == ['private', 'gold']
    g = db.create({'project_id': 'p', 'user_id': 'u', 'group_type_id': t['uuid'],
                   'volume_type_ids': []})
    with pytest.raises(InvalidVolume):
        db.type_delete(t['uuid'])
    db.swap(g['uuid'], 'creating', 'deleting')
    db.finish_delete(g['uuid'])
    db.type_delete(t['uuid'])
    assert db.type_ensure('gold', 'again')['description'] == 'again'
