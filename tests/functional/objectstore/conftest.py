"""An in-process object store: N storage servers (each its own devices) and
a proxy, on free ports, with a ring built for them."""
import os
import socket

import pytest

from iaas.objectstore import local
from iaas.objectstore.auth import Auth
from iaas.objectstore.cluster import Cluster
from iaas.objectstore.proxy import Proxy
from iaas.objectstore.ring import Ring, RingBuilder
from iaas.objectstore.server import StorageServer
from iaas.service import WSGIService

USERS = ['test:tester:testing:.admin', 'test2:tester2:testing2', 'test:reader:rpass']


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


class Store:
    def __init__(self, root, servers=3, devices_per_server=1, replicas=3, part_power=6,
                 max_file_size=5 * 1024 ** 3, in_process=False):
        self.root = str(root)
        self.ring_path = os.path.join(self.root, 'object.ring.json')
        b = RingBuilder(part_power, replicas)
        self.nodes = []
        for s in range(servers):
            port = free_port()
            devroot = os.path.join(self.root, f'node{s}')
            for d in range(devices_per_server):
                os.makedirs(os.path.join(devroot, f'd{s}{d}'))
                b.add_dev('127.0.0.1', port, f'd{s}{d}', 100, zone=s + 1)
            self.nodes.append((devroot, port))
        b.rebalance(seed=7)
        b.save(self.ring_path)
        self.ring = Ring(self.ring_path, reload_interval=0)
        self.services = []
        self.storage = []
        for devroot, port in self.nodes:
            srv = StorageServer(devroot, self.ring, fsync=False, addr=('127.0.0.1', port))
            if in_process:      # as in iaas-all: no socket between proxy and storage
                local.register('127.0.0.1', port, srv)
                svc = None
            else:
                svc = WSGIService(f'storage-{port}', srv, '127.0.0.1', port, threads=16)
                svc.start()
            self.services.append(svc)
            self.storage.append(srv)
        self.auth = Auth(USERS, 'secret', use_identity=False)
        self.cluster = Cluster(self.ring, 0.5, 5.0, 10.0)
        self.proxy = Proxy(self.ring, self.cluster, self.auth, max_file_size=max_file_size)
        port = free_port()
        self.proxy_svc = WSGIService('proxy', self.proxy, '127.0.0.1', port, threads=16)
        self.proxy_svc.start()
        self.url = f'http://127.0.0.1:{port}'

    def token(self, user='test:tester', key='testing'):
        import requests
        r = requests.get(self.url + '/auth/v1.0', headers={'X-Auth-User': user,
                                                           'X-Auth-Key': key})
        r.raise_for_status()
        return r.headers['X-Auth-Token'], r.headers['X-Storage-Url']

    def stop(self):
        self.proxy_svc.stop()
        for svc, (_, port) in zip(self.services, self.nodes, strict=True):
            if svc is not None:
                svc.stop()
            local.unregister('127.0.0.1', port)
        for srv in self.storage:
            srv.updates.stop()


@pytest.fixture(params=['http', 'in-process'])
def store(request, tmp_path):
    s = Store(tmp_path, in_process=request.param == 'in-process')
    yield s
    s.stop()
