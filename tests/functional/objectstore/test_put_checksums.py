"""Uploads through the proxy with the checksum footer (iaas.objectstore.footer):
every replica holds exactly the client's bytes under their MD5, a wrong
client ETag stores nothing, and a replica that got changed bytes stores
nothing while the quorum still takes the upload."""
import glob
import hashlib
import os

import pytest
import requests

from iaas.api.objectstore import objects
from iaas.objectstore.storage import diskfile

BIG = os.urandom(2 * 1024 * 1024 + 3)      # sent by the proxy's sender threads


def _replicas(store):
    """(data, metadata) of every .data file on every device."""
    out = []
    for path in glob.glob(f'{store.root}/node*/*/objects/*/*/*/*.data'):
        with open(path, 'rb') as f:
            meta, length = diskfile.read_trailer(f, os.fstat(f.fileno()).st_size)
            f.seek(0)
            out.append((f.read(length), meta))
    return out


def _temp_files(store):
    return glob.glob(f'{store.root}/node*/*/tmp/*')


def _account(store):
    token, url = store.token()
    h = {'X-Auth-Token': token}
    assert requests.put(url + '/c', headers=h).status_code == 201
    return url + '/c', h


@pytest.mark.parametrize('data', [BIG, b'small', b''])
def test_every_replica_holds_the_bytes_under_their_md5(store, data):
    url, h = _account(store)
    r = requests.put(url + '/o', data=data, headers=h)
    assert r.status_code == 201, r.text
    md5 = hashlib.md5(data).hexdigest()
    assert r.headers['ETag'] == md5
    assert [(d, m['ETag']) for d, m in _replicas(store)] == [(data, md5)] * 3
    # the footer's stand-in ETag header is not kept as metadata
    assert not [m for _d, m in _replicas(store) if 'Etag' in m]
    r = requests.get(url + '/o', headers=h)
    assert r.content == data and r.headers['ETag'] == md5
    assert requests.get(url + '?format=json', headers=h).json()[0]['hash'] == md5


@pytest.mark.parametrize('data', [BIG, b'small'])
def test_a_wrong_client_etag_stores_nothing(store, data):
    url, h = _account(store)
    r = requests.put(url + '/o', data=data, headers=dict(h, ETag='0' * 32))
    assert r.status_code == 422
    assert requests.get(url + '/o', headers=h).status_code == 404
    assert _replicas(store) == []
    r = requests.put(url + '/o', data=data,
                     headers=dict(h, ETag=f'"{hashlib.md5(data).hexdigest().upper()}"'))
    assert r.status_code == 201


def _corrupt_one_replica(monkeypatch, port):
    """Change a byte of what the proxy sends to the node on ``port``."""
    take = objects.Sender.take

    def corrupting(self, chunk):
        if self.bc.node['port'] == port and len(chunk) > 1000:
            chunk = bytes(chunk[:500]) + bytes([chunk[500] ^ 1]) + bytes(chunk[501:])
        take(self, chunk)
    monkeypatch.setattr(objects.Sender, 'take', corrupting)


def test_a_replica_that_got_changed_bytes_stores_nothing(store, monkeypatch):
    url, h = _account(store)
    _corrupt_one_replica(monkeypatch, store.nodes[0][1])
    r = requests.put(url + '/o', data=BIG, headers=h)
    assert r.status_code == 201           # two of three replicas: the quorum
    md5 = hashlib.md5(BIG).hexdigest()
    assert [(d, m['ETag']) for d, m in _replicas(store)] == [(BIG, md5)] * 2
    assert not glob.glob(f'{store.nodes[0][0]}/*/objects/*/*/*/*.data')
    assert _temp_files(store) == []


def test_changed_bytes_on_most_replicas_fail_the_upload(store, monkeypatch):
    url, h = _account(store)
    ports = {store.nodes[0][1], store.nodes[1][1]}
    take = objects.Sender.take

    def corrupting(self, chunk):
        if self.bc.node['port'] in ports and len(chunk) > 1000:
            chunk = b'\0' + bytes(chunk[1:])
        take(self, chunk)
    monkeypatch.setattr(objects.Sender, 'take', corrupting)
    r = requests.put(url + '/o', data=BIG, headers=h)
    assert r.status_code == 503       # not the client's fault: not 422
    assert [d for d, _m in _replicas(store)] == [BIG]     # the one good replica
    assert _temp_files(store) == []
