"""/v2.0/routers: CRUD with the external gateway, interfaces by subnet and by
port, extra routes, Neutron's errors, project isolation, floating IPs'
router_id. In-process identity + network APIs on SQLite."""
import pytest

from tests.functional.network import apicloud


@pytest.fixture
def cloud(conf, sqlite_db):
    c = apicloud.build(conf)
    c.ext = c.ok('POST', '/v2.0/networks', c.admin, {'network': {
        'name': 'public', 'router:external': True}})['network']
    c.ext_sub = c.ok('POST', '/v2.0/subnets', c.admin, {'subnet': {
        'network_id': c.ext['id'], 'cidr': '198.51.100.0/24', 'ip_version': 4}})['subnet']
    return c


def _error(r, status, kind=None):
    assert r.status == status, r
    err = r.json['NeutronError']
    if kind:
        assert err['type'] == kind, r
    return err


def _router(c, token=None, **body):
    return c.ok('POST', '/v2.0/routers', token or c.a, {'router': {'name': 'r', **body}})[
        'router']


def test_router_crud_with_gateway(cloud):
    c = cloud
    r = _router(c, admin_state_up=False, external_gateway_info={'network_id': c.ext['id']})
    gw = r['external_gateway_info']
    assert gw['network_id'] == c.ext['id'] and gw['enable_snat'] is True
    assert gw['external_fixed_ips'][0]['subnet_id'] == c.ext_sub['id']
    assert r['admin_state_up'] is False and r['project_id'] == c.pa and r['routes'] == []
    assert c.ok('GET', f"/v2.0/routers/{r['id']}", c.reader)['router']['name'] == 'r'
    assert [x['id'] for x in c.ok('GET', '/v2.0/routers', c.a)['routers']] == [r['id']]
    assert c.ok('GET', '/v2.0/routers', c.b)['routers'] == []
    up = c.ok('PUT', f"/v2.0/routers/{r['id']}", c.a, {'router': {
        'name': 'r2', 'admin_state_up': True}})['router']
    assert (up['name'], up['admin_state_up']) == ('r2', True)
    # the gateway port is the external network's, not among the project's ports
    assert c.ok('GET', f"/v2.0/ports?device_id={r['id']}", c.a)['ports'] == []
    cleared = c.ok('PUT', f"/v2.0/routers/{r['id']}", c.a, {'router': {
        'external_gateway_info': {}}})['router']
    assert cleared['external_gateway_info'] is None
    assert c.ok('GET', f"/v2.0/ports?device_id={r['id']}", c.admin)['ports'] == []
    assert c.call('DELETE', f"/v2.0/routers/{r['id']}", c.a).status == 204
    _error(c.call('GET', f"/v2.0/routers/{r['id']}", c.a), 404, 'RouterNotFound')


def test_gateway_errors(cloud):
    c = cloud
    r = _router(c)
    net, _ = c.network(c.a)
    _error(c.call('PUT', f"/v2.0/routers/{r['id']}", c.a, {'router': {
        'external_gateway_info': {'network_id': net['id']}}}), 400)
    _error(c.call('PUT', f"/v2.0/routers/{r['id']}", c.a, {'router': {
        'external_gateway_info': {'network_id': r['id']}}}), 404)
    # enable_snat and fixed addresses of the gateway are the admin's
    _error(c.call('PUT', f"/v2.0/routers/{r['id']}", c.a, {'router': {
        'external_gateway_info': {'network_id': c.ext['id'], 'enable_snat': False}}}), 403)
    up = c.ok('PUT', f"/v2.0/routers/{r['id']}", c.admin, {'router': {
        'external_gateway_info': {'network_id': c.ext['id'], 'enable_snat': False,
                                  'external_fixed_ips': [{'ip_address': '198.51.100.50'}]}}})
    gw = up['router']['external_gateway_info']
    assert gw['enable_snat'] is False
    assert gw['external_fixed_ips'] == [{'subnet_id': c.ext_sub['id'],
                                         'ip_address': '198.51.100.50'}]


def test_interfaces_by_subnet_and_port(cloud):
    c = cloud
    r = _router(c)
    net, sub = c.network(c.a)
    info = c.ok('PUT', f"/v2.0/routers/{r['id']}/add_router_interface", c.a,
                {'subnet_id': sub['id']})
    assert info['subnet_id'] == sub['id'] and info['id'] == r['id']
    port = c.ok('GET', f"/v2.0/ports/{info['port_id']}", c.reader)['port']
    assert port['device_id'] == r['id'] and port['device_owner'] == 'network:router_interface'
    assert port['fixed_ips'] == [{'subnet_id': sub['id'], 'ip_address': sub['gateway_ip']}]
    assert port['status'] == 'ACTIVE'
    # twice on one subnet, or an overlapping one: 400
    _error(c.call('PUT', f"/v2.0/routers/{r['id']}/add_router_interface", c.a,
                  {'subnet_id': sub['id']}), 400)
    net2, sub2 = c.network(c.a, cidr='10.1.0.0/25')
    _error(c.call('PUT', f"/v2.0/routers/{r['id']}/add_router_interface", c.a,
                  {'subnet_id': sub2['id']}), 400)
    # in use: the router, its port, its subnet and network stay
    _error(c.call('DELETE', f"/v2.0/routers/{r['id']}", c.a), 409, 'RouterInUse')
    _error(c.call('DELETE', f"/v2.0/ports/{info['port_id']}", c.a), 409)
    _error(c.call('DELETE', f"/v2.0/subnets/{sub['id']}", c.a), 409)
    _error(c.call('DELETE', f"/v2.0/networks/{net['id']}", c.a), 409)
    # an existing port of the project
    net3, sub3 = c.network(c.a, cidr='10.3.0.0/24')
    p3 = c.ok('POST', '/v2.0/ports', c.a, {'port': {'network_id': net3['id']}})['port']
    info3 = c.ok('PUT', f"/v2.0/routers/{r['id']}/add_router_interface", c.a,
                 {'port_id': p3['id']})
    assert (info3['port_id'], info3['subnet_id']) == (p3['id'], sub3['id'])
    assert c.ok('GET', f"/v2.0/ports/{p3['id']}", c.a)['port']['device_id'] == r['id']
    assert len(c.ok('GET', f"/v2.0/ports?device_id={r['id']}", c.a)['ports']) == 2
    # the interface port's address may be changed like any port's
    upd = c.ok('PUT', f"/v2.0/ports/{info['port_id']}", c.a, {'port': {
        'fixed_ips': [{'subnet_id': sub['id']}]}})['port']
    assert upd['fixed_ips'][0]['subnet_id'] == sub['id']
    # removal: by subnet and by port; the ports go
    c.ok('PUT', f"/v2.0/routers/{r['id']}/remove_router_interface", c.a,
         {'subnet_id': sub['id']})
    c.ok('PUT', f"/v2.0/routers/{r['id']}/remove_router_interface", c.a,
         {'port_id': p3['id']})
    _error(c.call('PUT', f"/v2.0/routers/{r['id']}/remove_router_interface", c.a,
                  {'port_id': p3['id']}), 404, 'RouterInterfaceNotFound')
    _error(c.call('PUT', f"/v2.0/routers/{r['id']}/remove_router_interface", c.a,
                  {'subnet_id': sub['id']}), 404, 'RouterInterfaceNotFoundForSubnet')
    assert c.ok('GET', f"/v2.0/ports?device_id={r['id']}", c.a)['ports'] == []
    assert c.call('DELETE', f"/v2.0/routers/{r['id']}", c.a).status == 204
    _error(c.call('PUT', f"/v2.0/routers/{r['id']}/add_router_interface", c.a,
                  {'subnet_id': sub['id'], 'port_id': p3['id']}), 404)
    _error(c.call('PUT', f"/v2.0/routers/{r['id']}/add_router_interface", c.a,
                  {'bogus': 1}), 400)


def test_extra_routes(cloud):
    c = cloud
    r = _router(c)
    net, sub = c.network(c.a)
    c.ok('PUT', f"/v2.0/routers/{r['id']}/add_router_interface", c.a, {'subnet_id': sub['id']})
    routes = [{'destination': '10.9.0.0/24', 'nexthop': '10.1.0.5'}]
    up = c.ok('PUT', f"/v2.0/routers/{r['id']}", c.a, {'router': {'routes': routes}})
    assert up['router']['routes'] == routes
    _error(c.call('PUT', f"/v2.0/routers/{r['id']}", c.a, {'router': {'routes': [
        {'destination': '10.9.0.0/24', 'nexthop': '192.0.2.1'}]}}), 400, 'InvalidRoutes')
    _error(c.call('PUT', f"/v2.0/routers/{r['id']}/remove_router_interface", c.a,
                  {'subnet_id': sub['id']}), 409, 'RouterInterfaceInUseByRoute')
    up = c.ok('PUT', f"/v2.0/routers/{r['id']}", c.a, {'router': {'routes': None}})
    assert up['router']['routes'] == []


def test_isolation(cloud):
    c = cloud
    r = _router(c)
    _, sub_b = c.network(c.b)
    net_a, sub_a = c.network(c.a)
    for method, path, body in (
            ('GET', f"/v2.0/routers/{r['id']}", None),
            ('PUT', f"/v2.0/routers/{r['id']}", {'router': {'name': 'x'}}),
            ('DELETE', f"/v2.0/routers/{r['id']}", None),
            ('PUT', f"/v2.0/routers/{r['id']}/add_router_interface",
             {'subnet_id': sub_b['id']})):
        assert c.call(method, path, c.b, body).status == 404
    # another project's subnet cannot join my router
    assert c.call('PUT', f"/v2.0/routers/{r['id']}/add_router_interface", c.a,
                  {'subnet_id': sub_b['id']}).status == 404
    # a reader may look, not change
    _error(c.call('POST', '/v2.0/routers', c.reader, {'router': {'name': 'x'}}), 403)
    assert c.call('PUT', f"/v2.0/routers/{r['id']}/add_router_interface", c.reader,
                  {'subnet_id': sub_a['id']}).status == 403
    assert c.ok('GET', f"/v2.0/routers/{r['id']}", c.admin)['router']['id'] == r['id']


def test_floating_ip_router_id(cloud):
    c = cloud
    r = _router(c, external_gateway_info={'network_id': c.ext['id']})
    net, sub = c.network(c.a)
    c.ok('PUT', f"/v2.0/routers/{r['id']}/add_router_interface", c.a, {'subnet_id': sub['id']})
    port = c.ok('POST', '/v2.0/ports', c.a, {'port': {'network_id': net['id']}})['port']
    fip = c.ok('POST', '/v2.0/floatingips', c.a, {'floatingip': {
        'floating_network_id': c.ext['id'], 'port_id': port['id']}})['floatingip']
    assert fip['router_id'] == r['id']
    # the gateway is needed by the floating IP
    _error(c.call('PUT', f"/v2.0/routers/{r['id']}", c.a, {'router': {
        'external_gateway_info': {}}}), 409)
    fip = c.ok('PUT', f"/v2.0/floatingips/{fip['id']}", c.a,
               {'floatingip': {'port_id': None}})['floatingip']
    assert fip['router_id'] is None
