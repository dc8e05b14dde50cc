"""Backup records exported and imported (Cinder's export_record /
import_record), with the volume host in process and the backup engine on
an in-memory object store shared by the host and the API."""
import base64
import json
import os
import uuid

import pytest

from iaas.db import volume_backups as db_backups
from iaas.identity import policy
from iaas.volume import backup_records
from iaas.volume.backup import engine as backup_engine
from iaas.volume.backup import memory
from iaas.volume.manager import VolumeManager
from tests.functional.volume.conftest import wait_for
from tests.functional.volume.test_backups import _read, _write

MiB = 1 << 20
SERVICE = 'cinder.backup.drivers.swift.SwiftBackupDriver'


@pytest.fixture
def store(monkeypatch):
    s = memory.MemoryStore()

    def engine():
        return backup_engine.BackupEngine(s, chunk_size=1 * MiB)
    monkeypatch.setattr(VolumeManager, 'engine_factory', staticmethod(engine))
    monkeypatch.setattr(backup_records, 'engine_factory', engine)
    return s


def _admin(cloud, method, path, body=None, project=None):
    return cloud.v(method, path, body, cloud.admin, project or cloud.admin_project)


def _backup(cloud, name='b'):
    vol = cloud.create(size=1, name=f'{name}-vol')
    cloud.wait_status(vol['id'], 'available')
    _write(vol['id'], MiB + 7, os.urandom(MiB))
    r = cloud.v('POST', '/backups', {'backup': {'volume_id': vol['id'], 'name': name}})
    assert r.status_int == 202, r.body
    bid = r.json['backup']['id']
    cloud.wait_status(bid, 'available', kind='backups')
    cloud.wait_status(vol['id'], 'available')
    return vol['id'], bid


def _export(cloud, bid):
    r = _admin(cloud, 'GET', f'/backups/{bid}/export_record', project=cloud.a_project)
    assert r.status_int == 200, r.body
    rec = r.json['backup-record']
    assert set(rec) == {'backup_service', 'backup_url'}
    assert rec['backup_service'] == SERVICE
    return json.loads(base64.b64decode(rec['backup_url']))


def _url(record):
    return base64.b64encode(json.dumps(record).encode()).decode()


def _import(cloud, record, service=SERVICE, project=None, **extra):
    body = {'backup-record': {'backup_service': service, 'backup_url': _url(record),
                              **extra}}
    return _admin(cloud, 'POST', '/backups/import_record', body, project)


def _restore(cloud, bid, token=None, project=None):
    r = cloud.v('POST', f'/backups/{bid}/restore', {'restore': {}}, token, project)
    assert r.status_int == 202, r.body
    vid = r.json['restore']['volume_id']
    cloud.wait_status(vid, 'available', token, project)
    cloud.wait_status(bid, 'available', token, project, kind='backups')
    return _read(vid, 0, 3 * MiB)


def test_export_import_share_data_safely(cloud, store):
    vol, bid = _backup(cloud)
    expected = _read(vol, 0, 3 * MiB)
    record = _export(cloud, bid)
    assert record['id'] == bid and record['size'] == 1
    assert record['service_metadata'] == f'backup/{bid}'
    objects = dict(store.objects)

    # Tempest's test: the same data under a new id, into the admin's project
    new = str(uuid.uuid4())
    r = _import(cloud, dict(record, id=new))
    assert r.status_int == 201, r.body
    assert set(r.json['backup']) == {'id', 'links', 'name'}
    assert r.json['backup']['id'] == new and r.json['backup']['name'] == 'b'
    got = cloud.wait_status(new, 'available', cloud.admin, cloud.admin_project,
                            kind='backups')
    assert got['size'] == 1 and got['object_count'] == record['object_count']
    listed = _admin(cloud, 'GET', '/backups').json['backups']
    assert new in [b['id'] for b in listed]
    assert store.objects == objects                # an import writes nothing
    assert _restore(cloud, new, cloud.admin, cloud.admin_project) == expected

    # its id again: Cinder's "Backup already exists in database." (400)
    r = _import(cloud, dict(record, id=new))
    assert r.status_int == 400 and 'already exists' in r.body.decode()
    r = _import(cloud, record)
    assert r.status_int == 400 and 'already exists' in r.body.decode()

    # deleting the original keeps the data the import still names …
    assert cloud.v('DELETE', f'/backups/{bid}').status_int == 202
    cloud.wait_status(bid, 'deleted', kind='backups')
    assert store.objects == objects
    assert _restore(cloud, new, cloud.admin, cloud.admin_project) == expected

    # … the original's record comes back (Cinder revives a deleted id) …
    r = _import(cloud, record, project_id=cloud.a_project)
    assert r.status_int == 201, r.body
    assert cloud.wait_status(bid, 'available', kind='backups')['name'] == 'b'
    assert _restore(cloud, bid) == expected

    # … and the data goes with the last record naming it
    assert _admin(cloud, 'DELETE', f'/backups/{new}').status_int == 202
    cloud.wait_status(new, 'deleted', cloud.admin, cloud.admin_project, kind='backups')
    assert store.objects == objects
    assert cloud.v('DELETE', f'/backups/{bid}').status_int == 202
    cloud.wait_status(bid, 'deleted', kind='backups')
    wait_for(lambda: not any(n.startswith(f'backup/{bid}/') for n in store.objects),
             what='objects removed')


def test_import_without_data_is_error_and_deletes_nothing(cloud, store):
    _, bid = _backup(cloud)
    record = _export(cloud, bid)
    objects = dict(store.objects)
    lost, orphan = str(uuid.uuid4()), str(uuid.uuid4())
    for rec in (dict(record, id=lost, service_metadata=f'backup/{orphan}'),
                {'id': orphan, 'size': 1}):
        r = _import(cloud, rec)
        assert r.status_int == 201, r.body
        b = cloud.wait_status(rec['id'], 'error', cloud.admin, cloud.admin_project,
                              kind='backups')
        assert 'not in the object store' in b['fail_reason']
    # a manifest that another backup wrote (copied under this record's name)
    small = str(uuid.uuid4())
    store.objects[f'backup/{small}/manifest'] = store.objects[f'backup/{bid}/manifest']
    r = _import(cloud, dict(record, id=small, service_metadata=f'backup/{small}'))
    assert r.status_int == 201
    b = cloud.wait_status(small, 'error', cloud.admin, cloud.admin_project, kind='backups')
    assert "not that backup's" in b['fail_reason']
    del store.objects[f'backup/{small}/manifest']
    for b in (lost, orphan, small):
        assert _admin(cloud, 'DELETE', f'/backups/{b}').status_int == 202
        cloud.wait_status(b, 'deleted', cloud.admin, cloud.admin_project, kind='backups')
    assert store.objects == objects
    assert cloud.v('GET', f'/backups/{bid}').json['backup']['status'] == 'available'


def test_who_may_export_and_import(cloud, store):
    _, bid = _backup(cloud)
    record = _export(cloud, bid)
    body = {'backup-record': {'backup_service': SERVICE,
                              'backup_url': _url(dict(record, id=str(uuid.uuid4())))}}
    for token, project in ((cloud.alice, cloud.a_project), (cloud.reader, cloud.a_project),
                           (cloud.bob, cloud.b_project)):
        assert cloud.v('GET', f'/backups/{bid}/export_record', None, token,
                       project).status_int == 403
        assert cloud.v('POST', '/backups/import_record', body, token,
                       project).status_int == 403
    # no such backup: 404
    missing = str(uuid.uuid4())
    assert _admin(cloud, 'GET', f'/backups/{missing}/export_record').status_int == 404
    # into a project the admin names; the caller's own otherwise
    new = str(uuid.uuid4())
    r = _import(cloud, dict(record, id=new), project_id=cloud.b_project)
    assert r.status_int == 201, r.body
    cloud.wait_status(new, 'available', cloud.bob, cloud.b_project, kind='backups')
    assert new not in [b['id'] for b in _admin(cloud, 'GET', '/backups').json['backups']]
    assert cloud.v('GET', f'/backups/{new}').status_int == 404       # not alice's


def test_member_import_naming_another_projects_data(cloud, store, conf, tmp_path):
    """An operator may open import to members: a member still cannot name
    data another project's backup was made of, nor import elsewhere."""
    _, bid = _backup(cloud)
    record = _export(cloud, bid)
    f = tmp_path / 'policy.yaml'
    f.write_text('"backup:backup-import": "rule:project_member"\n')
    conf.set_override('policy_file', str(f), group='identity')
    policy.reset()
    try:
        bob = {'token': cloud.bob, 'project': cloud.b_project}
        body = {'backup-record': {'backup_service': SERVICE,
                                  'backup_url': _url(dict(record, id=str(uuid.uuid4())))}}
        r = cloud.v('POST', '/backups/import_record', body, **bob)
        assert r.status_int == 400 and 'another project' in r.body.decode(), r.body
        body['backup-record']['project_id'] = cloud.a_project
        assert cloud.v('POST', '/backups/import_record', body, **bob).status_int == 403
        assert cloud.v('GET', '/backups', **bob).json['backups'] == []
    finally:
        conf.clear_override('policy_file', group='identity')
        policy.reset()


def test_hostile_records(cloud, store):
    _, bid = _backup(cloud)
    record = _export(cloud, bid)
    fresh = dict(record, id=str(uuid.uuid4()))
    deep = '[' * 100000 + ']' * 100000
    bad_urls = ['not base64!', base64.b64encode(b'\xff\xfe').decode(),
                base64.b64encode(b'not json').decode(), base64.b64encode(b'[1]').decode(),
                base64.b64encode(b'{"id": NaN}').decode(), _url([]), _url(None),
                base64.b64encode(deep.encode()).decode()[:60000],
                base64.b64encode(b'{"id": ' + b'9' * 5000 + b'}').decode(), 'A' * 70000]
    bad_records = [
        {}, {'size': 1}, dict(fresh, id='x'), dict(fresh, id=None), dict(fresh, id=7),
        dict(fresh, id='../../etc'), dict(fresh, size=0), dict(fresh, size=True),
        dict(fresh, size='1'), dict(fresh, size=10 ** 30), dict(fresh, size=1.5),
        dict(fresh, volume_id=5), dict(fresh, volume_id='v'), dict(fresh, parent_id='p'),
        dict(fresh, service_metadata='backup/../x'), dict(fresh, service_metadata=7),
        dict(fresh, service_metadata=f'other/{bid}'), dict(fresh, container='theirs'),
        dict(fresh, display_name=['x']), dict(fresh, display_name='n' * 300),
        dict(fresh, metadata={'a': {'b': 'c'}}), dict(fresh, metadata=[1]),
        dict(fresh, metadata={'a': 1}), dict(fresh, extra={'a': [1]}),
        dict(fresh, extra='x' * 5000), dict(fresh, snapshot_id={})]
    bodies = [{'backup-record': {'backup_service': SERVICE, 'backup_url': u}}
              for u in bad_urls]
    bodies += [{'backup-record': {'backup_service': SERVICE, 'backup_url': _url(r)}}
               for r in bad_records]
    bodies += [{'backup-record': {'backup_service': s, 'backup_url': _url(fresh)}}
               for s in ('cinder.backup.drivers.ceph.CephBackupDriver', '', 'x' * 300)]
    bodies += [None, {}, {'backup-record': None}, {'backup-record': {}},
               {'backup-record': {'backup_service': SERVICE}},
               {'backup-record': {'backup_service': SERVICE, 'backup_url': 5}},
               {'backup-record': {'backup_service': SERVICE, 'backup_url': _url(fresh),
                                  'project_id': '../x'}},
               {'backup-record': {'backup_service': SERVICE, 'backup_url': _url(fresh),
                                  'other': 1}}]
    for body in bodies:
        r = _admin(cloud, 'POST', '/backups/import_record', body)
        assert r.status_int == 400, (str(body)[:200], r.status_int, r.body[:300])
    assert [b['id'] for b in _admin(cloud, 'GET', '/backups').json['backups']] == []
    # both service names Cinder's Swift driver goes by are accepted
    for service in (SERVICE, 'cinder.backup.drivers.swift'):
        rec = dict(record, id=str(uuid.uuid4()))
        assert _import(cloud, rec, service).status_int == 201
        cloud.wait_status(rec['id'], 'available', cloud.admin, cloud.admin_project,
                          kind='backups')


def test_unverified_import_never_deletes_data(cloud, store):
    """An import whose check never ran (iaas-api died; the reaper ends it in
    error) still claims the data: neither its delete nor the original's
    removes an object."""
    _, bid = _backup(cloud)
    objects = dict(store.objects)
    stuck = str(uuid.uuid4())
    db_backups.import_(stuck, {'project_id': cloud.admin_project, 'user_id': 'u',
                               'volume_id': db_backups.IMPORT_VOLUME_ID, 'size': 1},
                       f'backup/{bid}/manifest', bid, other_projects=True)
    db_backups.swap(stuck, ('creating',), 'error')
    assert cloud.v('DELETE', f'/backups/{bid}').status_int == 202
    cloud.wait_status(bid, 'deleted', kind='backups')
    assert _admin(cloud, 'DELETE', f'/backups/{stuck}').status_int == 202
    cloud.wait_status(stuck, 'deleted', cloud.admin, cloud.admin_project, kind='backups')
    assert store.objects == objects
