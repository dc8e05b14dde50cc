"""Durability with three storage servers as separate processes, each with
its own device, and a proxy process; ring built with the ring command."""
import glob
import hashlib
import os
import time

import pytest
import requests

from iaas.objectstore import client
from iaas.objectstore.ring import Ring
from tests.probe.objectstore.helpers import Daemon, free_port, run, wait_http, write_conf

pytestmark = pytest.mark.slow
ACCOUNT = 'AUTH_test'


class Cluster:
    def __init__(self, root):
        self.root = root
        self.ring_path = str(root / 'object.ring.json')
        run('ring', 'create', self.ring_path, '6', '3')
        self.nodes = {}
        for i in range(3):
            self.add_node(i)
        run('ring', 'rebalance', self.ring_path)
        self.proxy_port = free_port()
        pconf = write_conf(str(root / 'proxy.conf'), root / 'proxy', roles='proxy',
                           port=self.proxy_port, ring_path=self.ring_path, create_ring='false',
                           tempauth_users='test:tester:testing:.admin', node_timeout=3,
                           error_suppression_interval=1, auth_secret='s3cr3t')
        self.proxy = Daemon(pconf).start()
        for n in self.nodes.values():
            n['daemon'].start()
        self.url = f'http://127.0.0.1:{self.proxy_port}'
        wait_http(self.url + '/info', proc=self.proxy.proc)
        for n in self.nodes.values():
            wait_http(f"http://127.0.0.1:{n['port']}/", proc=n['daemon'].proc)
        r = requests.get(self.url + '/auth/v1.0', headers={'X-Auth-User': 'test:tester',
                                                           'X-Auth-Key': 'testing'})
        self.h = {'X-Auth-Token': r.headers['X-Auth-Token']}
        self.st = r.headers['X-Storage-Url']

    def add_node(self, i):
        port = free_port()
        devices = self.root / f'node{i}'
        (devices / f'd{i}').mkdir(parents=True)
        conf = write_conf(str(self.root / f'node{i}.conf'), self.root / f'state{i}',
                          roles='storage', storage_port=port, devices=devices,
                          ring_path=self.ring_path, create_ring='false', fsync='false')
        run('ring', 'add', self.ring_path, f'r1z{i + 1}-127.0.0.1:{port}/d{i}', '100')
        self.nodes[i] = {'port': port, 'conf': conf, 'devices': devices,
                         'daemon': Daemon(conf)}
        return self.nodes[i]

    def start(self, i):
        n = self.nodes[i]
        n['daemon'].start()
        wait_http(f"http://127.0.0.1:{n['port']}/", proc=n['daemon'].proc)

    def replicate(self, *which):
        for i in which or self.nodes:
            run('replicator', '--once', conf=self.nodes[i]['conf'])

    def copies(self, c, o):
        """{node index: body md5} of the replicas on the object's primaries."""
        ring = Ring(self.ring_path)
        part, nodes = ring.get_nodes(ACCOUNT, c, o)
        out = {}
        for node in nodes:
            status, _, body = client.request(node, 'GET',
                                             f"/obj/{node['device']}/{part}/{ACCOUNT}/{c}/{o}")
            if status == 200:
                out[node['device']] = hashlib.md5(body).hexdigest()
        return out

    def stop(self):
        self.proxy.stop()
        for n in self.nodes.values():
            n['daemon'].stop()


@pytest.fixture
def cluster(tmp_path):
    c = Cluster(tmp_path)
    yield c
    c.stop()


def _put(cl, name, data):
    r = requests.put(f'{cl.st}/c/{name}', data=data, headers=cl.h, timeout=30)
    assert r.status_code == 201, r.text
    return hashlib.md5(data).hexdigest()


def _listing(cl, i, c='c'):
    ring = Ring(cl.ring_path)
    part, nodes = ring.get_nodes(ACCOUNT, c)
    node = next(n for n in nodes if n['port'] == cl.nodes[i]['port'])
    status, _, body = client.request(node, 'GET', f"/cont/{node['device']}/{part}/{ACCOUNT}/{c}")
    assert status == 200, status
    import json
    return sorted(r['name'] for r in json.loads(body))


def test_node_down_then_back(cluster):
    cl = cluster
    assert requests.put(f'{cl.st}/c', headers=cl.h).status_code == 201
    want = {f'before/{i}': _put(cl, f'before/{i}', os.urandom(2000 + i)) for i in range(10)}
    cl.nodes[2]['daemon'].stop()
    # writes and reads go on with one node away
    for i in range(15):
        want[f'during/{i}'] = _put(cl, f'during/{i}', os.urandom(3000 + i))
    want['before/0'] = _put(cl, 'before/0', b'overwritten while node 2 was away')
    assert requests.delete(f'{cl.st}/c/before/1', headers=cl.h).status_code == 204
    del want['before/1']
    for name, md5 in want.items():
        r = requests.get(f'{cl.st}/c/{name}', headers=cl.h)
        assert r.status_code == 200 and hashlib.md5(r.content).hexdigest() == md5
    cl.start(2)
    cl.replicate(0, 1)
    for name, md5 in want.items():
        copies = cl.copies('c', name)
        assert len(copies) == 3 and set(copies.values()) == {md5}, name
    assert cl.copies('c', 'before/1') == {}
    assert _listing(cl, 2) == sorted(want)


def test_auditor_quarantines_and_replicator_restores(cluster):
    cl = cluster
    requests.put(f'{cl.st}/c', headers=cl.h)
    data = os.urandom(50000)
    md5 = _put(cl, 'victim', data)
    files = glob.glob(str(cl.nodes[1]['devices'] / 'd1' / 'objects' / '*' / '*' / '*' / '*.data'))
    assert len(files) == 1
    with open(files[0], 'r+b') as f:
        f.seek(100)
        f.write(bytes(b ^ 0xff for b in f.read(16)))
        f.seek(100)
    out = run('auditor', '--once', conf=cl.nodes[1]['conf']).stdout
    assert '"quarantined": 1' in out
    assert glob.glob(str(cl.nodes[1]['devices'] / 'd1' / 'quarantined' / 'objects' / '*'))
    assert len(cl.copies('c', 'victim')) == 2
    r = requests.get(f'{cl.st}/c/victim', headers=cl.h)
    assert hashlib.md5(r.content).hexdigest() == md5
    cl.replicate(0, 2)
    copies = cl.copies('c', 'victim')
    assert len(copies) == 3 and set(copies.values()) == {md5}


def test_rebalance_onto_a_fourth_device(cluster):
    cl = cluster
    requests.put(f'{cl.st}/c', headers=cl.h)
    want = {f'o{i}': _put(cl, f'o{i}', os.urandom(1000 + i)) for i in range(40)}
    node = cl.add_node(3)
    run('ring', 'rebalance', cl.ring_path)
    cl.start(3)
    cl.replicate()
    cl.replicate()
    moved = glob.glob(str(node['devices'] / 'd3' / 'objects' / '*' / '*' / '*' / '*.data'))
    assert moved, 'the new device got no data'
    for name, md5 in want.items():
        copies = cl.copies('c', name)
        assert len(copies) == 3 and set(copies.values()) == {md5}, name
    total = sum(len(glob.glob(str(n['devices'] / '*' / 'objects' / '*' / '*' / '*' / '*.data')))
                for n in cl.nodes.values())
    assert total == 3 * len(want)      # handoff copies were dropped
    deadline = time.monotonic() + 10   # the proxy reloads the ring by itself
    while True:
        bad = [n for n, m in want.items() if hashlib.md5(requests.get(
            f'{cl.st}/c/{n}', headers=cl.h).content).hexdigest() != m]
        if not bad or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert not bad
    listing = requests.get(f'{cl.st}/c?format=json', headers=cl.h).json()
    assert sorted(o['name'] for o in listing) == sorted(want)


def test_expirer_once_removes_expired_replicas(cluster):
    cl = cluster
    requests.put(f'{cl.st}/c', headers=cl.h)
    r = requests.put(f'{cl.st}/c/short', data=b'brief', headers=dict(
        cl.h, **{'X-Delete-After': '1'}))
    assert r.status_code == 201
    _put(cl, 'long', b'stays')
    deadline = time.monotonic() + 10
    while requests.get(f'{cl.st}/c/short', headers=cl.h).status_code != 404:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    for i in cl.nodes:
        assert '"expired": 1' in run('expirer', '--once', conf=cl.nodes[i]['conf']).stdout
    for i in cl.nodes:
        assert _listing(cl, i) == ['long']
    datas = glob.glob(str(cl.root / 'node*' / '*' / 'objects' / '*' / '*' / '*' / '*.data'))
    assert len(datas) == 3          # only the three replicas of 'long'
