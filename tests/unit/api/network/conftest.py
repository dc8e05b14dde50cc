"""The identity and network apps in this process (webob, no sockets) over
one SQLite database per module and the memory bus: ``net`` is
tests/functional/network/apicloud.Cloud (.admin, .a and .b members of
projects a and b, .reader of a, .unscoped) with a network, subnet, port,
security group (and rule), router and floating IP of project a, a shared
and an external network of the admin's."""
from types import SimpleNamespace

import pytest

from tests.functional.identity import helpers
from tests.functional.network import apicloud


@pytest.fixture(scope='module')
def net(api_env):
    cloud = apicloud.Cloud(helpers.admin_client())
    a = SimpleNamespace()
    a.network, a.subnet = cloud.network(cloud.a, 'a-net', '10.10.0.0/24')
    a.port = cloud.ok('POST', '/v2.0/ports', cloud.a, {'port': {
        'network_id': a.network['id'], 'name': 'a-port'}})['port']
    a.sg = cloud.ok('POST', '/v2.0/security-groups', cloud.a, {'security_group': {
        'name': 'a-sg'}})['security_group']
    a.rule = cloud.ok('POST', '/v2.0/security-group-rules', cloud.a, {'security_group_rule': {
        'security_group_id': a.sg['id'], 'direction': 'ingress', 'protocol': 'tcp',
        'port_range_min': 22, 'port_range_max': 22}})['security_group_rule']
    ext = cloud.ok('POST', '/v2.0/networks', cloud.admin, {'network': {
        'name': 'public', 'router:external': True}})['network']
    cloud.ok('POST', '/v2.0/subnets', cloud.admin, {'subnet': {
        'network_id': ext['id'], 'cidr': '203.0.113.0/24', 'ip_version': 4}})
    a.router = cloud.ok('POST', '/v2.0/routers', cloud.a, {'router': {
        'name': 'a-router', 'external_gateway_info': {'network_id': ext['id']}}})['router']
    cloud.ok('PUT', f"/v2.0/routers/{a.router['id']}/add_router_interface", cloud.a,
             {'subnet_id': a.subnet['id']})
    a.fip = cloud.ok('POST', '/v2.0/floatingips', cloud.a, {'floatingip': {
        'floating_network_id': ext['id']}})['floatingip']
    shared = cloud.ok('POST', '/v2.0/networks', cloud.admin, {'network': {
        'name': 'shared', 'shared': True}})['network']
    cloud.ok('POST', '/v2.0/subnets', cloud.admin, {'subnet': {
        'network_id': shared['id'], 'cidr': '10.99.0.0/24', 'ip_version': 4}})
    cloud.res, cloud.external, cloud.shared = a, ext, shared
    return cloud
