"""The network API under attack (issue 12): project isolation by policy
(finding 1), ownership of security groups and device ids, bounded and typed
input (findings 8, 12), pagination. In-process identity + network APIs on
SQLite."""
import time

import pytest

from iaas.network import api as netapi
from tests.functional.network import apicloud


@pytest.fixture
def cloud(conf, sqlite_db):
    return apicloud.build(conf)


def _instance(project, name='srv'):
    from iaas.db import instances
    return instances.create_with_quota(project, [{
        'project_id': project, 'user_id': 'u', 'display_name': name, 'hostname': name,
        'vcpus': 1, 'memory_mb': 64, 'flavor': {'name': 'm1.nano'}}])[0]


def _neutron_error(r, status):
    assert r.status == status, r
    assert set(r.json['NeutronError']) == {'type', 'message', 'detail'}, r
    return r.json['NeutronError']


# -- finding 1: no "None project = every project" --------------------------------------
def test_unscoped_token_refused_everywhere(cloud):
    c = cloud
    net, _ = c.network(c.a)
    for method, path in (('GET', '/v2.0/ports'), ('GET', '/v2.0/networks'),
                         ('DELETE', f"/v2.0/networks/{net['id']}"),
                         ('GET', '/v2.0/security-groups')):
        _neutron_error(c.call(method, path, c.unscoped), 403)
    assert c.ok('GET', f"/v2.0/networks/{net['id']}", c.a)['network']['id'] == net['id']


def test_member_sees_own_admin_sees_all(cloud):
    c = cloud
    na, _ = c.network(c.a)
    nb, _ = c.network(c.b, cidr='10.1.0.0/24')         # overlapping: another project
    pa = c.ok('POST', '/v2.0/ports', c.a, {'port': {'network_id': na['id']}})['port']
    pb = c.ok('POST', '/v2.0/ports', c.b, {'port': {'network_id': nb['id']}})['port']
    assert [p['id'] for p in c.ok('GET', '/v2.0/ports', c.a)['ports']] == [pa['id']]
    assert [p['id'] for p in c.ok('GET', '/v2.0/ports', c.b)['ports']] == [pb['id']]
    assert {p['id'] for p in c.ok('GET', '/v2.0/ports', c.admin)['ports']} >= \
        {pa['id'], pb['id']}
    # another project's things are missing (404), and stay
    for method, path in (('GET', f"/v2.0/ports/{pa['id']}"),
                         ('DELETE', f"/v2.0/ports/{pa['id']}"),
                         ('DELETE', f"/v2.0/networks/{na['id']}"),
                         ('PUT', f"/v2.0/networks/{na['id']}")):
        body = {'network': {'name': 'x'}} if method == 'PUT' else None
        assert c.call(method, path, c.b, body).status == 404
    sg = c.ok('POST', '/v2.0/security-groups', c.a,
              {'security_group': {'name': 'web'}})['security_group']
    r = c.call('POST', '/v2.0/security-group-rules', c.b, {'security_group_rule': {
        'security_group_id': sg['id'], 'direction': 'ingress', 'protocol': 'tcp',
        'port_range_min': 22, 'port_range_max': 22}})
    assert r.status == 404, r
    assert c.ok('GET', f"/v2.0/security-groups/{sg['id']}", c.a)['security_group'][
        'security_group_rules'] == sg['security_group_rules']
    assert c.ok('GET', f"/v2.0/networks/{na['id']}", c.a)['network']['name'] == 'net'
    # a reader reads, never writes
    assert c.ok('GET', '/v2.0/ports', c.reader)['ports'][0]['id'] == pa['id']
    assert c.call('DELETE', f"/v2.0/ports/{pa['id']}", c.reader).status == 403
    assert c.ok('GET', f"/v2.0/ports/{pa['id']}", c.a)


def test_network_api_refuses_a_none_project(cloud):
    """Defence in depth below the router: None is never "every project"."""
    for call in (lambda: netapi.port_list(project_id=None), lambda: netapi.port_list(),
                 lambda: netapi.network_get('x', None), lambda: netapi.sg_list(None),
                 lambda: netapi.find_security_group(None, 'web'),
                 lambda: netapi.network_delete(None, 'x', None)):
        with pytest.raises(netapi.ProjectRequired):
            call()
    assert netapi.port_list(project_id=netapi.ALL_PROJECTS) == []


def test_project_id_of_another_project_needs_admin(cloud):
    c = cloud
    r = c.call('POST', '/v2.0/networks', c.a, {'network': {'name': 'n', 'project_id': c.pb}})
    assert _neutron_error(r, 403)['message'].startswith('Specifying project_id')
    n = c.ok('POST', '/v2.0/networks', c.admin,
             {'network': {'name': 'n', 'project_id': c.pb}})['network']
    assert n['project_id'] == c.pb
    for attr in ({'shared': True}, {'router:external': True},
                 {'provider:network_type': 'vxlan'}):
        r = c.call('POST', '/v2.0/networks', c.a, {'network': {'name': 'n', **attr}})
        assert _neutron_error(r, 403)['type'] == 'PolicyNotAuthorized'


# -- finding 8: ownership ---------------------------------------------------------------
def test_port_cannot_carry_another_projects_security_group(cloud):
    c = cloud
    sg = c.ok('POST', '/v2.0/security-groups', c.a,
              {'security_group': {'name': 'a-only'}})['security_group']
    nb, _ = c.network(c.b)
    r = c.call('POST', '/v2.0/ports', c.b, {'port': {'network_id': nb['id'],
                                                      'security_groups': [sg['id']]}})
    err = _neutron_error(r, 404)
    assert err['message'] == f"Security group {sg['id']} does not exist"
    pb = c.ok('POST', '/v2.0/ports', c.b, {'port': {'network_id': nb['id']}})['port']
    r = c.call('PUT', f"/v2.0/ports/{pb['id']}", c.b,
               {'port': {'security_groups': [sg['id']]}})
    assert _neutron_error(r, 404)['type'] == 'SecurityGroupNotFound'
    assert c.ok('GET', '/v2.0/ports', c.admin)['ports'][0]['security_groups'] != [sg['id']]
    # so the owner can still delete its group (was 409 SecurityGroupInUse)
    assert c.call('DELETE', f"/v2.0/security-groups/{sg['id']}", c.a).status == 204


def test_device_id_of_another_projects_server(cloud):
    c = cloud
    srv_a = _instance(c.pa, 'a-srv')
    srv_b = _instance(c.pb, 'b-srv')
    nb, _ = c.network(c.b)
    r = c.call('POST', '/v2.0/ports', c.b, {'port': {'network_id': nb['id'],
                                                      'device_id': srv_a['uuid']}})
    assert _neutron_error(r, 409)['type'] == 'DeviceIDNotOwnedByTenant'
    pb = c.ok('POST', '/v2.0/ports', c.b, {'port': {'network_id': nb['id'],
                                                     'device_id': srv_b['uuid']}})['port']
    assert c.call('PUT', f"/v2.0/ports/{pb['id']}", c.b,
                  {'port': {'device_id': srv_a['uuid']}}).status == 409
    # any other string stays allowed (Neutron), and an old row naming A's
    # server (made before this check) never shows in A's server's addresses
    assert c.ok('PUT', f"/v2.0/ports/{pb['id']}", c.b,
                {'port': {'device_id': 'not-a-server'}})['port']['device_id'] == 'not-a-server'
    from iaas.db import networks as db
    db.port_update(pb['id'], device_id=srv_a['uuid'])
    assert netapi.addresses_for_instance(srv_a['uuid']) == {}
    assert netapi.addresses_for_instances([srv_a['uuid']]) == {srv_a['uuid']: {}}
    assert netapi.security_groups_for_instances([srv_a['uuid']]) == {}
    na, _ = c.network(c.a, name='anet')
    pa = c.ok('POST', '/v2.0/ports', c.a, {'port': {'network_id': na['id'],
                                                     'device_id': srv_a['uuid']}})['port']
    addrs = netapi.addresses_for_instance(srv_a['uuid'])
    assert [x['addr'] for x in addrs['anet']] == [pa['fixed_ips'][0]['ip_address']]


def test_fixed_ips_bounded_before_any_work(cloud):
    c = cloud
    net, sub = c.network(c.a, cidr='10.5.0.0/16')
    six = [{'subnet_id': sub['id']} for _ in range(6)]
    r = c.call('POST', '/v2.0/ports', c.a, {'port': {'network_id': net['id'], 'fixed_ips': six}})
    assert 'fixed ips per port' in _neutron_error(r, 400)['message']
    many = [{'ip_address': f'10.5.{i // 250}.{i % 250 + 2}'} for i in range(2000)]
    start = time.monotonic()
    r = c.call('POST', '/v2.0/ports', c.a, {'port': {'network_id': net['id'],
                                                      'fixed_ips': many}})
    took = time.monotonic() - start
    _neutron_error(r, 400)
    assert took < 1.0, took          # was 52 s holding the SQLite write lock
    assert c.ok('GET', '/v2.0/ports', c.a)['ports'] == []
    five = c.ok('POST', '/v2.0/ports', c.a, {'port': {'network_id': net['id'],
                                                       'fixed_ips': six[:5]}})['port']
    assert len(five['fixed_ips']) == 5


def test_fixed_ip_outside_the_subnets(cloud):
    c = cloud
    net, sub = c.network(c.a)
    r = c.call('POST', '/v2.0/ports', c.a, {'port': {'network_id': net['id'], 'fixed_ips': [
        {'ip_address': '192.0.2.7'}]}})
    _neutron_error(r, 400)
    with pytest.raises(netapi.Invalid):
        netapi.check_fixed_ip(net['id'], '192.0.2.7')
    with pytest.raises(netapi.Invalid):
        netapi.check_fixed_ip(net['id'], 'not-an-ip')
    netapi.check_fixed_ip(net['id'], '10.1.0.9')
    netapi.check_fixed_ip(net['id'], None)


@pytest.mark.parametrize('field,value', [
    ('dns_nameservers', ['8.8.8.8\ndhcp-option=3,6.6.6.6']),
    ('dns_nameservers', ['ns.example.com']),
    ('dns_nameservers', [f'10.0.0.{i}' for i in range(6)]),
    ('dns_nameservers', [None]),
    ('host_routes', [{'destination': '0.0.0.0/0', 'nexthop': '10.9.0.1,evil'}]),
    ('host_routes', [{'destination': '10.2.0.1/24', 'nexthop': '10.9.0.1'}]),
    ('host_routes', [{'destination': 'x', 'nexthop': '10.9.0.1'}]),
    ('host_routes', [{'destination': '10.2.0.0/24'}]),
    ('host_routes', [{'destination': f'10.{i}.0.0/16', 'nexthop': '10.9.0.1'}
                     for i in range(21)]),
    ('allocation_pools', [{'start': '10.9.0.10', 'end': 5}]),
    ('gateway_ip', 'gw'),
])
def test_subnet_options_are_addresses(cloud, field, value):
    c = cloud
    net = c.ok('POST', '/v2.0/networks', c.a, {'network': {'name': 'n'}})['network']
    r = c.call('POST', '/v2.0/subnets', c.a, {'subnet': {
        'network_id': net['id'], 'cidr': '10.9.0.0/24', field: value}})
    _neutron_error(r, 400)
    sub = c.ok('POST', '/v2.0/subnets', c.a, {'subnet': {
        'network_id': net['id'], 'cidr': '10.9.0.0/24', 'ip_version': 4,
        'dns_nameservers': ['10.9.0.53'],
        'host_routes': [{'destination': '10.2.0.0/24', 'nexthop': '10.9.0.1'}]}})['subnet']
    r = c.call('PUT', f"/v2.0/subnets/{sub['id']}", c.a, {'subnet': {field: value}})
    _neutron_error(r, 400)
    again = c.ok('GET', f"/v2.0/subnets/{sub['id']}", c.a)['subnet']
    assert again['dns_nameservers'] == ['10.9.0.53']
    assert again['host_routes'] == [{'destination': '10.2.0.0/24', 'nexthop': '10.9.0.1'}]


def test_cidr_with_host_bits_refused(cloud):
    c = cloud
    net = c.ok('POST', '/v2.0/networks', c.a, {'network': {'name': 'n'}})['network']
    for cidr in ('2001:db8::/8', '10.1.0.5/24'):
        r = c.call('POST', '/v2.0/subnets', c.a, {'subnet': {'network_id': net['id'],
                                                            'cidr': cidr}})
        assert 'host bits set' in _neutron_error(r, 400)['message']
    assert c.ok('GET', '/v2.0/subnets', c.a)['subnets'] == []
    assert c.ok('POST', '/v2.0/subnets', c.a, {'subnet': {
        'network_id': net['id'], 'cidr': '2001:db8::/64', 'ip_version': 6}})['subnet'][
        'cidr'] == '2001:db8::/64'


# -- finding 12: typed bodies --------------------------------------------------------------
@pytest.mark.parametrize('path,body', [
    ('/v2.0/networks', {'network': {'name': None}}),
    ('/v2.0/networks', {'network': {'name': ['x']}}),
    ('/v2.0/networks', {'network': {'name': {'x': 1}}}),
    ('/v2.0/networks', {'network': {'mtu': 2 ** 64}}),
    ('/v2.0/networks', {'network': {'admin_state_up': 'maybe'}}),
    ('/v2.0/networks', {'network': {'shared': []}}),
    ('/v2.0/networks', {'network': {'provider:segmentation_id': 2 ** 63}}),
    ('/v2.0/networks', {'network': 'x'}),
    ('/v2.0/networks', {'networks': [{'name': 'bulk'}, {'name': None}]}),   # all or none
    ('/v2.0/ports', {'port': {'network_id': None}}),
    ('/v2.0/ports', {'port': {'network_id': 'n', 'fixed_ips': 'x'}}),
    ('/v2.0/ports', {'port': {'network_id': 'n', 'fixed_ips': [{'ip_address': 7}]}}),
    ('/v2.0/ports', {'port': {'network_id': 'n', 'security_groups': 'default'}}),
    ('/v2.0/ports', {'port': {'network_id': 'n', 'mac_address': 'zz'}}),
    ('/v2.0/subnets', {'subnet': {'network_id': 'n', 'cidr': ['10.0.0.0/24']}}),
    ('/v2.0/subnets', {'subnet': {'network_id': 'n', 'cidr': '10.0.0.0/24',
                                  'ip_version': 2 ** 70}}),
    ('/v2.0/security-groups', {'security_group': {'name': 12}}),
    ('/v2.0/security-group-rules', {'security_group_rule': {
        'security_group_id': 's', 'direction': 'ingress', 'port_range_min': 2 ** 64}}),
    ('/v2.0/security-group-rules', {'security_group_rule': {
        'security_group_id': 's', 'direction': 'sideways'}}),
    ('/v2.0/floatingips', {'floatingip': {'floating_network_id': {'id': 'x'}}}),
])
def test_bad_types_are_400(cloud, path, body):
    before = cloud.ok('GET', '/v2.0/networks', cloud.admin)['networks']
    _neutron_error(cloud.call('POST', path, cloud.a, body), 400)
    assert cloud.ok('GET', '/v2.0/networks', cloud.admin)['networks'] == before


def test_surrogates_and_nesting_are_400(cloud):
    c = cloud
    for raw in (b'{"network": {"name": "\\ud800"}}', b'{"network": ' * 100 + b'1' + b'}' * 100,
                b'{"network": {"name": NaN}}', b'\xff\xfe'):
        _neutron_error(c.call('POST', '/v2.0/networks', c.a, raw=raw), 400)
    assert c.ok('GET', '/v2.0/networks', c.a)['networks'] == []


def test_list_limit_and_marker(cloud):
    c = cloud
    ids = [c.ok('POST', '/v2.0/networks', c.a, {'network': {'name': f'n{i}'}})['network']['id']
           for i in range(5)]
    page = c.ok('GET', '/v2.0/networks?limit=2', c.a)
    assert [n['id'] for n in page['networks']] == ids[:2]
    nxt = page['networks_links'][0]['href']
    assert nxt.startswith('http://localhost/v2.0/networks?') and f'marker={ids[1]}' in nxt
    page = c.ok('GET', f'/v2.0/networks?limit=2&marker={ids[1]}', c.a)
    assert [n['id'] for n in page['networks']] == ids[2:4]
    last = c.ok('GET', f'/v2.0/networks?limit=2&marker={ids[3]}', c.a)
    assert [n['id'] for n in last['networks']] == ids[4:] and 'networks_links' not in last
    assert len(c.ok('GET', '/v2.0/networks?limit=999999999999', c.a)['networks']) == 5
    for bad in ('limit=-1', 'limit=x', 'marker=nope'):
        _neutron_error(c.call('GET', f'/v2.0/networks?{bad}', c.a), 400)


def test_server_fixed_ip_outside_the_network_refused_before_accepting(cloud):
    """POST /servers networks=[{uuid, fixed_ip}] outside every subnet: 400 at
    the compute API's network check (was 202, then ERROR)."""
    from iaas.compute import api as compute_api
    from iaas.context import RequestContext
    c = cloud
    net, _ = c.network(c.a)
    ctx = RequestContext(user_id='u', project_id=c.pa, roles=['member'])
    check = compute_api.API()._check_networks
    with pytest.raises(netapi.Invalid) as exc:
        check(ctx, [{'uuid': net['id'], 'fixed_ip': '192.0.2.7'}])
    assert exc.value.code == 400
    assert check(ctx, [{'uuid': net['id'], 'fixed_ip': '10.1.0.50'}])
