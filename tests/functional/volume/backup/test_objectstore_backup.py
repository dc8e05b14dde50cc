"""Backups through swift.py into this repo's object store (3 storage
servers and a proxy on free ports, Swift v1 auth): full + incremental,
restore after the volume is gone, delete, corruption."""
import hashlib
import io
import os

import pytest
import requests

from iaas.volume.backup import engine as eng
from iaas.volume.backup import swift
from tests.functional.objectstore.conftest import Store

CS = 256 * 1024


@pytest.fixture
def objectstore(tmp_path):
    s = Store(tmp_path / 'os')
    yield s
    s.stop()


@pytest.fixture
def swift_store(objectstore):
    token, url = objectstore.token()
    return swift.SwiftStore('volumebackups', auth=swift.StaticAuth(url, token), retries=2,
                            backoff=0.1, timeout=30)


def make_volume(path, chunks):
    parts = []
    for i in range(chunks):
        kind = i % 4
        parts.append(os.urandom(CS) if kind == 0 else bytes(CS) if kind == 1 else
                     (f'block {i} ' * CS).encode()[:CS])
    data = b''.join(parts) + os.urandom(1234)            # a partial last chunk
    path.write_bytes(data)
    return data


def test_full_and_incremental_backup_and_restore(swift_store, objectstore, tmp_path):
    e = eng.BackupEngine(swift_store, chunk_size=CS, workers=4, volume_sha256=True)
    vol = tmp_path / 'volume'
    data = bytearray(make_volume(vol, 12))
    with open(vol, 'rb') as f:
        full = e.backup('full-1', f, len(data))
    assert full['chunks'] == 13 and full['zero_chunks'] == 3 and full['stored_chunks'] == 10
    assert full['sha256'] == hashlib.sha256(data).hexdigest()
    names = swift_store.list('backup/full-1/')
    assert len(names) == full['object_count'] == 11 and 'backup/full-1/manifest' in names

    with open(vol, 'r+b') as f:                          # change one block of chunk 6
        f.seek(6 * CS + 4096)
        f.write(b'\xa5' * 4096)
    data[6 * CS + 4096:6 * CS + 8192] = b'\xa5' * 4096
    with open(vol, 'rb') as f:
        inc = e.backup('inc-1', f, len(data), parent=full)
    assert inc['stored_chunks'] == 1 == inc['changed_chunks'] and inc['depends_on'] == ['full-1']
    assert swift_store.list('backup/inc-1/') == ['backup/inc-1/chunk-00000006',
                                                  'backup/inc-1/manifest']

    # the volume and its backend are gone: the backups alone bring it back
    vol.unlink()
    target = tmp_path / 'new-volume'
    with open(target, 'w+b') as f:
        res = e.restore(inc['manifest'], f)
    assert target.read_bytes() == data and res['sha256'] == inc['sha256']
    with open(target, 'r+b') as f:
        e.restore(full['manifest'], f)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == full['sha256']

    # a fresh engine (another iaas-volume) sees the same backups
    e2 = eng.BackupEngine(swift_store, chunk_size=1 << 20)
    assert e2.describe(inc['manifest'])['parent'] == full['manifest']

    e.delete(inc['manifest'])
    assert swift_store.list('backup/inc-1/') == []
    assert len(swift_store.list('backup/full-1/')) == 11
    e.delete(full['manifest'])
    assert swift_store.list('backup/') == []


def test_altered_object_is_detected(swift_store, objectstore, tmp_path):
    e = eng.BackupEngine(swift_store, chunk_size=CS, workers=2)
    vol = tmp_path / 'volume'
    data = make_volume(vol, 4)
    with open(vol, 'rb') as f:
        r = e.backup('b', f, len(data))
    token, url = objectstore.token()
    victim = 'backup/b/chunk-00000000'                   # random data, stored raw
    blob = bytearray(swift_store.get(victim))
    blob[10] ^= 1
    resp = requests.put(f'{url}/volumebackups/{victim}', data=bytes(blob),
                        headers={'X-Auth-Token': token})
    assert resp.status_code == 201
    with pytest.raises(eng.BackupCorrupt, match='SHA-256'):
        e.restore(r['manifest'], io.BytesIO())
    requests.delete(f'{url}/volumebackups/{victim}', headers={'X-Auth-Token': token})
    with pytest.raises(eng.BackupCorrupt, match='missing'):
        e.restore(r['manifest'], io.BytesIO())


def test_etag_mismatch_is_refused_by_the_object_store(swift_store, objectstore):
    """What the ETag header buys: a body damaged on the way is refused (422)
    and the client retries, then gives up."""
    swift_store.ensure_container()
    token, url = objectstore.token()
    resp = requests.put(f'{url}/volumebackups/x', data=b'abc',
                        headers={'X-Auth-Token': token, 'ETag': 'f' * 32})
    assert resp.status_code == 422
    swift_store.put('x', b'abc')
    assert swift_store.get('x') == b'abc'
