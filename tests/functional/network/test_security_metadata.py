"""Metadata by network + fixed IP (issue 12, finding 6): two projects with
overlapping subnets and the same fixed IP each read only their own
instance; the network comes from iaas-network's per-bridge proxy (signed),
and the address alone answers nothing when two ports share it."""
import base64
import json
import socket
import threading
import wsgiref.simple_server

import pytest
import webob

from iaas.api.metadata import app as metadata_app
from iaas.db import instances as db_instances
from iaas.db import networks as db
from iaas.network import metadata_proxy

SECRET = 's3cret'
IP = '10.1.0.77'


def _tenant(project, user_data):
    inst = db_instances.create_with_quota(project, [{
        'project_id': project, 'user_id': 'u', 'display_name': f'{project}-vm',
        'hostname': f'{project}-vm', 'vcpus': 1, 'memory_mb': 64,
        'user_data': base64.b64encode(user_data).decode(), 'flavor': {'name': 'x'}}])[0]
    n = db.network_create(f'{project}-net', project)
    db.subnet_create(n['id'], '10.1.0.0/24', project_id=project)
    db.port_create(n['id'], project_id=project, device_id=inst['uuid'],
                   fixed_ips=[{'ip_address': IP}])
    return inst, n


@pytest.fixture
def tenants(conf, sqlite_db):
    conf.set_override('proxy_shared_secret', SECRET, group='metadata')
    return {'a': _tenant('proj-a', b'secret of A'), 'b': _tenant('proj-b', b'secret of B')}


def _get(path, remote, headers=None):
    req = webob.Request.blank(path, remote_addr=remote, headers=headers or {})
    return req.get_response(metadata_app.build_app())


def _proxied(network_id, path='/openstack/latest/user_data', address=IP, signature=None):
    h = {'X-Forwarded-For': address, metadata_proxy.NETWORK_HEADER: network_id,
         metadata_proxy.SIGNATURE_HEADER:
             signature or metadata_proxy.sign(SECRET, network_id, address)}
    return _get(path, '127.0.0.1', h)


def test_each_network_gets_its_own_instance(tenants):
    for key, data in (('a', b'secret of A'), ('b', b'secret of B')):
        inst, net = tenants[key]
        r = _proxied(net['id'])
        assert r.status_int == 200 and r.body == data
        md = json.loads(_proxied(net['id'], '/openstack/latest/meta_data.json').body)
        assert md['uuid'] == inst['uuid']


def test_address_alone_is_not_enough_when_shared(tenants):
    # straight from the guest's address (no proxy), or through a trusted proxy
    # that names no network: two ports hold 10.1.0.77, so nobody's data
    assert _get('/openstack/latest/user_data', IP).status_int == 404
    assert _get('/openstack/latest/user_data', '127.0.0.1',
                {'X-Forwarded-For': IP}).status_int == 404
    # a network header from a guest (untrusted peer) counts for nothing
    net_a = tenants['a'][1]['id']
    assert _get('/openstack/latest/user_data', IP,
                {metadata_proxy.NETWORK_HEADER: net_a}).status_int == 404


def test_network_header_needs_the_signature(tenants):
    net_a = tenants['a'][1]['id']
    assert _proxied(net_a, signature='0' * 64).status_int == 403
    # a signature for another address does not carry over
    sig = metadata_proxy.sign(SECRET, net_a, '10.1.0.78')
    assert _proxied(net_a, signature=sig).status_int == 403
    r = _get('/openstack/latest/user_data', '127.0.0.1',
             {'X-Forwarded-For': IP, metadata_proxy.NETWORK_HEADER: net_a})
    assert r.status_int == 403


def test_unique_address_still_served_without_a_network(conf, sqlite_db):
    inst, _ = _tenant('proj-c', b'only C')
    assert _get('/openstack/latest/user_data', IP).body == b'only C'


class _Echo:
    """An upstream that answers with the headers it got."""

    def __init__(self):
        self.seen = []

        def app(environ, start_response):
            self.seen.append({k: v for k, v in environ.items() if k.startswith('HTTP_')})
            start_response('200 OK', [('Content-Type', 'application/json')])
            return [json.dumps({'path': environ['PATH_INFO']}).encode()]
        self.server = wsgiref.simple_server.make_server('127.0.0.1', 0, app)
        self.server.RequestHandlerClass.log_message = lambda *a: None
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def _raw(addr, request):
    with socket.create_connection(addr, timeout=5) as s:
        s.sendall(request)
        data = b''
        while chunk := s.recv(65536):
            data += chunk
    return data


def test_proxy_names_the_network_of_its_socket():
    """The proxy's socket bound to a device forwards with that device's
    network, the peer as X-Forwarded-For and a signature; what the guest
    sent under those names is dropped."""
    echo = _Echo()
    proxy = metadata_proxy.MetadataProxy(echo.server.server_address, 0, secret=SECRET,
                                         timeout=5)
    try:
        proxy.sync({'lo': ('net-lo', 1)})
        addr = proxy.address('lo')
        resp = _raw(('127.0.0.1', addr[1]),
                    b'GET /openstack/latest/meta_data.json HTTP/1.1\r\nHost: 169.254.169.254'
                    b'\r\nX-Forwarded-For: 10.9.9.9\r\nX-Neutron-Network-ID: other\r\n\r\n')
        assert resp.startswith(b'HTTP/1.0 200 ')
        assert resp.endswith(b'{"path": "/openstack/latest/meta_data.json"}')
        (got,) = echo.seen
        assert got['HTTP_X_FORWARDED_FOR'] == '127.0.0.1'
        assert got['HTTP_X_NEUTRON_NETWORK_ID'] == 'net-lo'
        assert metadata_proxy.verify(SECRET, 'net-lo', '127.0.0.1',
                                     got['HTTP_X_NEUTRON_NETWORK_ID_SIGNATURE'])
        assert _raw(('127.0.0.1', addr[1]), b'POST / HTTP/1.0\r\n\r\n').startswith(
            b'HTTP/1.0 405 ')
        # the bridge goes: so does its socket
        proxy.sync({})
        with pytest.raises(OSError):
            socket.create_connection(('127.0.0.1', addr[1]), timeout=2).close()
    finally:
        proxy.close()
        echo.close()
