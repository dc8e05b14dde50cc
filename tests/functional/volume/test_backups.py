"""Backups through the Cinder-v3 REST API with the real volume host (file
backend) in process; the object store is the engine's in-memory store here
(tests/functional/volume/backup/ drives the real object store)."""
import os

import pytest

from iaas.volume import manager
from iaas.volume.backup import engine as backup_engine
from iaas.volume.backup import memory
from iaas.volume.manager import VolumeManager
from tests.functional.volume.conftest import BACKEND, wait_for

MiB = 1 << 20


@pytest.fixture
def store(monkeypatch):
    s = memory.MemoryStore()
    monkeypatch.setattr(VolumeManager, 'engine_factory', staticmethod(
        lambda: backup_engine.BackupEngine(s, chunk_size=1 * MiB)))
    return s


def _driver():
    """The file backend as the volume host has it (the same files)."""
    _, cls, view = manager.backend_conf(BACKEND)
    return cls(BACKEND, view, 'fv1')


def _write(vid, offset, data):
    with _driver().open_volume({'id': vid, 'size': 1}, 'r+b') as f:
        f.seek(offset)
        f.write(data)


def _read(vid, offset, n):
    with _driver().open_volume({'id': vid, 'size': 1}, 'rb') as f:
        f.seek(offset)
        out = b''
        while len(out) < n:
            chunk = f.read(n - len(out))
            if not chunk:
                break
            out += chunk
        return out


def test_backup_incremental_restore(cloud, conf, store):
    vol = cloud.create(size=1, name='src')
    cloud.wait_status(vol['id'], 'available')
    pattern = os.urandom(3 * MiB)
    _write(vol['id'], 0, pattern)

    r = cloud.v('POST', '/backups', {'backup': {'volume_id': vol['id'], 'name': 'full'}})
    assert r.status_int == 202, r.body
    full = r.json['backup']['id']
    b = cloud.wait_status(full, 'available', kind='backups')
    assert b['is_incremental'] is False and b['size'] == 1
    assert cloud.wait_status(vol['id'], 'available')['status'] == 'available'
    stored_full = len(store.objects)

    # change one block: the incremental stores only that chunk (+ its manifest)
    _write(vol['id'], 2 * MiB + 10, b'changed!')
    r = cloud.v('POST', '/backups', {'backup': {'volume_id': vol['id'], 'name': 'inc',
                                                'incremental': True}})
    assert r.status_int == 202, r.body
    inc = r.json['backup']['id']
    got = cloud.wait_status(inc, 'available', kind='backups')
    assert got['is_incremental'] is True
    assert len(store.objects) - stored_full == 2
    assert cloud.v('GET', f'/backups/{full}').json['backup']['has_dependent_backups']
    r = cloud.v('DELETE', f'/backups/{full}')
    assert r.status_int == 400 and 'Incremental backups exist' in r.body.decode()

    # the volume goes; the backup restores it into a new volume, byte for byte
    expected = _read(vol['id'], 0, 3 * MiB)
    assert cloud.v('DELETE', f"/volumes/{vol['id']}").status_int == 202
    cloud.wait_status(vol['id'], 'deleted')
    r = cloud.v('POST', f'/backups/{inc}/restore', {'restore': {'name': 'restored'}})
    assert r.status_int == 202, r.body
    new = r.json['restore']['volume_id']
    assert cloud.wait_status(new, 'available')['name'] == 'restored'
    cloud.wait_status(inc, 'available', kind='backups')
    assert _read(new, 0, 3 * MiB) == expected

    # a volume made from a backup (POST /volumes with backup_id, 3.47)
    r = cloud.v('POST', '/volumes', {'volume': {'backup_id': inc, 'name': 'from-backup'}},
                version='3.47')
    assert r.status_int == 202, r.body
    made = r.json['volume']['id']
    cloud.wait_status(made, 'available')
    cloud.wait_status(inc, 'available', kind='backups')
    assert _read(made, 0, 3 * MiB) == expected

    # restore the full backup over an existing volume
    target = cloud.create(size=1, name='target')
    cloud.wait_status(target['id'], 'available')
    r = cloud.v('POST', f'/backups/{full}/restore', {'restore': {'volume_id': target['id']}})
    assert r.status_int == 202, r.body
    cloud.wait_status(target['id'], 'available')
    assert _read(target['id'], 0, 3 * MiB) == pattern

    # delete newest first; the objects go with them
    assert cloud.v('DELETE', f'/backups/{inc}').status_int == 202
    cloud.wait_status(inc, 'deleted', kind='backups')
    assert cloud.v('DELETE', f'/backups/{full}').status_int == 202
    cloud.wait_status(full, 'deleted', kind='backups')
    wait_for(lambda: not store.objects, what='objects removed')


def test_backups_are_private(cloud, store):
    vol = cloud.create(size=1)
    cloud.wait_status(vol['id'], 'available')
    r = cloud.v('POST', '/backups', {'backup': {'volume_id': vol['id']}})
    bid = r.json['backup']['id']
    cloud.wait_status(bid, 'available', kind='backups')
    bob = {'token': cloud.bob, 'project': cloud.b_project}
    for method, path, body in (('GET', f'/backups/{bid}', None),
                               ('DELETE', f'/backups/{bid}', None),
                               ('POST', f'/backups/{bid}/restore', {'restore': {}}),
                               ('POST', '/backups', {'backup': {'volume_id': vol['id']}})):
        assert cloud.v(method, path, body, **bob).status_int == 404, (method, path)
    assert cloud.v('GET', '/backups', **bob).json['backups'] == []
    r = cloud.v('POST', '/backups', {'backup': {'volume_id': vol['id'], 'incremental': True,
                                                'snapshot_id': None}})
    assert r.status_int == 202
