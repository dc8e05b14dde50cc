"""The metadata server finds the instance by the request's source address."""
import base64
import json

import webob

from iaas.api.metadata import app as metadata_app
from iaas.db import instances as db_instances
from iaas.db import networks as db
from iaas.db import routers as db_routers
from iaas.ec2 import ids as ec2_ids


def _get(app, path, remote, headers=None):
    req = webob.Request.blank(path, remote_addr=remote, headers=headers or {})
    return req.get_response(app)


def _setup():
    inst = db_instances.create_with_quota('p1', [{
        'project_id': 'p1', 'user_id': 'u1', 'display_name': 'web-1', 'hostname': 'web-1',
        'key_name': 'k1', 'key_data': 'ssh-ed25519 AAAAC3Nza test@x',
        'user_data': base64.b64encode(b'#!/bin/sh\necho hi\n').decode(),
        'metadata_': {'role': 'web'}, 'flavor': {'name': 'm1.tiny'}, 'vcpus': 1,
        'memory_mb': 64, 'availability_zone': 'nova'}])[0]
    n = db.network_create('n', 'p1')
    sub = db.subnet_create(n['id'], '10.50.0.0/24', project_id='p1')
    port = db.port_create(n['id'], project_id='p1', device_id=inst['uuid'],
                          fixed_ips=[{'ip_address': '10.50.0.7'}])
    ext = db.network_create('public', None, external=True)
    # the router's gateway takes the pool's one address; the floating IP is
    # asked for by address (never the gateway's)
    db.subnet_create(ext['id'], '172.24.9.0/24',
                     allocation_pools=[{'start': '172.24.9.8', 'end': '172.24.9.8'}])
    router = db_routers.router_create('p1', external_gateway_info={'network_id': ext['id']})
    db_routers.add_interface(router['id'], 'p1', subnet_id=sub['id'])
    db.floatingip_create(ext['id'], 'p1', floating_ip_address='172.24.9.9',
                         port_id=port['id'])
    return inst


def test_openstack_and_ec2_layouts(sqlite_db):
    inst = _setup()
    app = metadata_app.build_app()
    r = _get(app, '/openstack/latest/meta_data.json', '10.50.0.7')
    assert r.status_int == 200
    md = json.loads(r.body)
    assert md['uuid'] == inst['uuid'] and md['name'] == 'web-1'
    assert md['public_keys'] == {'k1': 'ssh-ed25519 AAAAC3Nza test@x'}
    assert md['meta'] == {'role': 'web'}
    assert _get(app, '/openstack/latest/user_data', '10.50.0.7').body == \
        b'#!/bin/sh\necho hi\n'
    assert b'meta_data.json' in _get(app, '/openstack/latest', '10.50.0.7').body
    ec2 = '/latest/meta-data'
    # the EC2 API's id of the server (made on first sight for a server made
    # without the compute API, as here)
    assert _get(app, f'{ec2}/instance-id', '10.50.0.7').text == \
        ec2_ids.one('instance', inst['uuid'])
    assert _get(app, f'{ec2}/local-ipv4', '10.50.0.7').text == '10.50.0.7'
    assert _get(app, f'{ec2}/public-ipv4', '10.50.0.7').text == '172.24.9.9'
    assert _get(app, f'{ec2}/public-keys/', '10.50.0.7').text == '0=k1'
    assert _get(app, f'{ec2}/public-keys/0/openssh-key', '10.50.0.7').text == \
        'ssh-ed25519 AAAAC3Nza test@x'
    assert _get(app, f'{ec2}/placement/availability-zone', '10.50.0.7').text == 'nova'
    listing = _get(app, f'{ec2}/', '10.50.0.7').text.split('\n')
    assert 'instance-id' in listing and 'placement/' in listing
    assert _get(app, '/latest/user-data', '10.50.0.7').body == b'#!/bin/sh\necho hi\n'
    # unknown address: nothing to see
    assert _get(app, '/openstack/latest/meta_data.json', '10.50.0.8').status_int == 404
    assert _get(app, f'{ec2}/nope', '10.50.0.7').status_int == 404


def test_forwarded_for_only_from_trusted_proxies(sqlite_db):
    _setup()
    app = metadata_app.build_app()
    h = {'X-Forwarded-For': '10.50.0.7'}
    assert _get(app, '/openstack/latest/meta_data.json', '127.0.0.1', h).status_int == 200
    # a guest cannot pretend to be another one
    assert _get(app, '/openstack/latest/meta_data.json', '10.50.0.8', h).status_int == 404


def test_addresses_for_instance(sqlite_db):
    from iaas.network import api as netapi
    inst = _setup()
    addrs = netapi.addresses_for_instance(inst['uuid'])
    assert [(a['addr'], a['OS-EXT-IPS:type']) for a in addrs['n']] == [
        ('10.50.0.7', 'fixed'), ('172.24.9.9', 'floating')]
    assert addrs['n'][0]['version'] == 4
    assert netapi.addresses_for_instance('nope') == {}


def test_port_pointing_at_another_projects_instance(sqlite_db):
    inst = _setup()
    n = db.network_create('evil', 'p2')
    db.subnet_create(n['id'], '10.51.0.0/24', project_id='p2')
    db.port_create(n['id'], project_id='p2', device_id=inst['uuid'],
                   fixed_ips=[{'ip_address': '10.51.0.9'}])
    app = metadata_app.build_app()
    assert _get(app, '/openstack/latest/meta_data.json', '10.51.0.9').status_int == 404
    assert _get(app, '/openstack/latest/meta_data.json', '10.50.0.7').status_int == 200
