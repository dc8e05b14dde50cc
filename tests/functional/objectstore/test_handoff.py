"""A primary away: writes land on a handoff device, reads still work, and
the replicator moves the data back when the primary returns."""
import hashlib
import os

import requests

from iaas.objectstore import client
from iaas.objectstore.storage.replication import Replicator
from iaas.service import WSGIService
from tests.functional.objectstore.conftest import Store


def _copies(store, a, c, o, nodes):
    part = store.ring.get_part(a, c, o)
    out = []
    for n in nodes:
        try:
            status, _, body = client.request(n, 'GET', f"/obj/{n['device']}/{part}/{a}/{c}/{o}")
        except OSError:
            continue
        if status == 200:
            out.append((n['device'], hashlib.md5(body).hexdigest()))
    return out


def test_writes_use_handoffs_and_come_back(tmp_path):
    store = Store(tmp_path, servers=4)
    try:
        token, url = store.token()
        h = {'X-Auth-Token': token}
        assert requests.put(url + '/c', headers=h).status_code == 201
        down = 0
        store.services[down].stop()
        down_port = store.nodes[down][1]
        data = {f'o{i}': os.urandom(500 + i) for i in range(12)}
        for name, body in data.items():
            assert requests.put(f'{url}/c/{name}', data=body, headers=h).status_code == 201
        for name, body in data.items():
            assert requests.get(f'{url}/c/{name}', headers=h).content == body
        affected = []
        for name in data:
            part, nodes = store.ring.get_nodes('AUTH_test', 'c', name)
            if any(n['port'] == down_port for n in nodes):
                handoff = next(store.ring.get_more_nodes(part))
                # three copies: two primaries and the handoff
                assert len(_copies(store, 'AUTH_test', 'c', name, nodes + [handoff])) == 3
                affected.append((name, nodes, handoff))
        assert affected, 'no object had the stopped node as a primary'
        svc = WSGIService('storage-again', store.storage[down], '127.0.0.1', down_port,
                          threads=8)
        svc.start()
        store.services[down] = svc
        for srv in store.storage:
            Replicator(srv, store.ring).run_once()
        for name, nodes, handoff in affected:
            want = hashlib.md5(data[name]).hexdigest()
            primaries = _copies(store, 'AUTH_test', 'c', name, nodes)
            assert sorted(primaries) == sorted((n['device'], want) for n in nodes)
            assert _copies(store, 'AUTH_test', 'c', name, [handoff]) == []
    finally:
        store.stop()
