"""The network API's 403 and 404 paths (iaas/api/network/common.py:
scope, check_item, require, owner): a reader may look but not change its
project's resources (403), another project's resource answers 404 as if
missing, the admin-only attributes are 403 to a member, and an unscoped
token is refused."""
import uuid

import pytest

MISSING = str(uuid.uuid4())

# collection, body key, resource attribute of the fixture, a valid update body
KINDS = [
    ('networks', 'network', 'network', {'name': 'renamed'}),
    ('subnets', 'subnet', 'subnet', {'name': 'renamed'}),
    ('ports', 'port', 'port', {'name': 'renamed'}),
    ('security-groups', 'security_group', 'sg', {'description': 'changed'}),
    ('security-group-rules', 'security_group_rule', 'rule', None),
    ('routers', 'router', 'router', {'name': 'renamed'}),
    ('floatingips', 'floatingip', 'fip', {'description': 'changed'}),
]
IDS = [k[0] for k in KINDS]


def _item(net, attr):
    return getattr(net.res, attr)


def _unchanged(net, coll, key, item):
    shown = net.ok('GET', f"/v2.0/{coll}/{item['id']}", net.a)[key]
    for field in ('name', 'description'):
        if field in item:
            assert shown[field] == item[field], (coll, field)


# -- reads ----------------------------------------------------------------------------------

@pytest.mark.parametrize('coll,key,attr,_upd', KINDS, ids=IDS)
def test_member_and_reader_see_their_projects(net, coll, key, attr, _upd):
    item = _item(net, attr)
    for token in (net.a, net.reader):
        assert net.ok('GET', f"/v2.0/{coll}/{item['id']}", token)[key]['id'] == item['id']
        listed = net.ok('GET', f'/v2.0/{coll}', token)[coll.replace('-', '_')]
        assert item['id'] in [x['id'] for x in listed]


@pytest.mark.parametrize('coll,key,attr,_upd', KINDS, ids=IDS)
def test_other_project_does_not_see_them(net, coll, key, attr, _upd):
    item = _item(net, attr)
    r = net.call('GET', f"/v2.0/{coll}/{item['id']}", net.b)
    assert r.status == 404, r
    assert r.json['NeutronError']['type'].endswith('NotFound')
    listed = net.ok('GET', f'/v2.0/{coll}', net.b)[coll.replace('-', '_')]
    assert item['id'] not in [x['id'] for x in listed]
    # the admin sees every project's
    assert net.ok('GET', f"/v2.0/{coll}/{item['id']}", net.admin)[key]['id'] == item['id']


@pytest.mark.parametrize('coll', IDS)
def test_unknown_ids_are_404(net, coll):
    for token in (net.a, net.admin):
        r = net.call('GET', f'/v2.0/{coll}/{MISSING}', token)
        assert r.status == 404, r
        assert net.call('DELETE', f'/v2.0/{coll}/{MISSING}', token).status == 404


# -- writes -----------------------------------------------------------------------------------

@pytest.mark.parametrize('coll,key,attr,upd', KINDS, ids=IDS)
def test_reader_writes_are_403(net, coll, key, attr, upd):
    item = _item(net, attr)
    if upd is not None:
        r = net.call('PUT', f"/v2.0/{coll}/{item['id']}", net.reader, {key: upd})
        assert r.status == 403, r
    r = net.call('DELETE', f"/v2.0/{coll}/{item['id']}", net.reader)
    assert r.status == 403, r
    _unchanged(net, coll, key, item)


@pytest.mark.parametrize('coll,key,attr,upd', KINDS, ids=IDS)
def test_other_projects_writes_are_404(net, coll, key, attr, upd):
    item = _item(net, attr)
    if upd is not None:
        r = net.call('PUT', f"/v2.0/{coll}/{item['id']}", net.b, {key: upd})
        assert r.status == 404, r
    assert net.call('DELETE', f"/v2.0/{coll}/{item['id']}", net.b).status == 404
    _unchanged(net, coll, key, item)


def test_reader_creates_are_403(net):
    a = net.res
    for coll, body in (
            ('networks', {'network': {'name': 'r'}}),
            ('subnets', {'subnet': {'network_id': a.network['id'], 'cidr': '10.10.1.0/24',
                                    'ip_version': 4}}),
            ('ports', {'port': {'network_id': a.network['id']}}),
            ('security-groups', {'security_group': {'name': 'r'}}),
            ('security-group-rules', {'security_group_rule': {
                'security_group_id': a.sg['id'], 'direction': 'ingress'}}),
            ('routers', {'router': {'name': 'r'}}),
            ('floatingips', {'floatingip': {'floating_network_id': net.external['id']}})):
        r = net.call('POST', f'/v2.0/{coll}', net.reader, body)
        assert r.status == 403, (coll, r)


def test_router_interfaces_of_another_project_are_404(net):
    a = net.res
    for op in ('add', 'remove'):
        r = net.call('PUT', f"/v2.0/routers/{a.router['id']}/{op}_router_interface", net.b,
                     {'subnet_id': a.subnet['id']})
        assert r.status == 404, r
        r = net.call('PUT', f"/v2.0/routers/{a.router['id']}/{op}_router_interface",
                     net.reader, {'subnet_id': a.subnet['id']})
        assert r.status == 403, r


def test_other_project_cannot_build_on_a_network(net):
    """Subnets and ports on another project's (unshared) network: 404."""
    a = net.res
    r = net.call('POST', '/v2.0/subnets', net.b, {'subnet': {
        'network_id': a.network['id'], 'cidr': '10.10.2.0/24', 'ip_version': 4}})
    assert r.status == 404, r
    r = net.call('POST', '/v2.0/ports', net.b, {'port': {'network_id': a.network['id']}})
    assert r.status == 404, r
    r = net.call('POST', '/v2.0/security-group-rules', net.b, {'security_group_rule': {
        'security_group_id': a.sg['id'], 'direction': 'ingress'}})
    assert r.status == 404, r


def test_shared_network_visible_not_writable(net):
    sid = net.shared['id']
    assert net.ok('GET', f'/v2.0/networks/{sid}', net.b)['network']['shared'] is True
    assert sid in [n['id'] for n in net.ok('GET', '/v2.0/networks', net.b)['networks']]
    # refused (Neutron says 403 for a resource the caller can see; iaas 404)
    assert net.call('PUT', f'/v2.0/networks/{sid}', net.b,
                    {'network': {'name': 'mine'}}).status in (403, 404)
    assert net.call('DELETE', f'/v2.0/networks/{sid}', net.b).status in (403, 404)
    assert net.ok('GET', f'/v2.0/networks/{sid}', net.admin)['network']['name'] == 'shared'
    # a port on it is fine
    p = net.ok('POST', '/v2.0/ports', net.b, {'port': {'network_id': sid}})['port']
    assert p['project_id'] == net.pb
    assert net.call('DELETE', f"/v2.0/ports/{p['id']}", net.b).status == 204


# -- admin-only attributes ------------------------------------------------------------------

@pytest.mark.parametrize('attrs', [
    {'shared': True}, {'router:external': True}, {'provider:network_type': 'vlan'},
    {'provider:segmentation_id': 7}, {'provider:physical_network': 'eth9'},
], ids=lambda a: next(iter(a)))
def test_network_admin_attributes_are_403(net, attrs):
    r = net.call('POST', '/v2.0/networks', net.a, {'network': {'name': 'x', **attrs}})
    assert r.status == 403, r
    assert not [n for n in net.ok('GET', '/v2.0/networks', net.a)['networks']
                if n['name'] == 'x']


def test_sharing_is_admin_only(net):
    nid = net.res.network['id']
    r = net.call('PUT', f'/v2.0/networks/{nid}', net.a, {'network': {'shared': True}})
    assert r.status == 403, r
    assert net.ok('GET', f'/v2.0/networks/{nid}', net.a)['network']['shared'] is False


@pytest.mark.parametrize('attrs', [
    {'binding:host_id': 'fc1'}, {'device_owner': 'network:dhcp'},
    {'mac_address': 'fa:16:3e:00:00:01'}, {'port_security_enabled': False},
    {'allowed_address_pairs': [{'ip_address': '10.99.0.50'}]},
    {'fixed_ips': [{'ip_address': '10.99.0.60'}]},
], ids=lambda a: next(iter(a)))
def test_port_attributes_on_the_shared_network_are_403(net, attrs):
    """The network owner's (here: the admin's) attribute rules."""
    r = net.call('POST', '/v2.0/ports', net.b, {'port': {'network_id': net.shared['id'],
                                                         **attrs}})
    assert r.status == 403, r


def test_binding_host_is_admin_only_on_own_network(net):
    r = net.call('PUT', f"/v2.0/ports/{net.res.port['id']}", net.a,
                 {'port': {'binding:host_id': 'fc1'}})
    assert r.status == 403, r


def test_project_id_of_another_project_is_403(net):
    for coll, body in (('networks', {'network': {'name': 'x', 'project_id': net.pb}}),
                       ('security-groups', {'security_group': {'name': 'x',
                                                               'tenant_id': net.pb}}),
                       ('routers', {'router': {'name': 'x', 'project_id': net.pb}})):
        r = net.call('POST', f'/v2.0/{coll}', net.a, body)
        assert r.status == 403, (coll, r)


def test_floating_ip_address_is_admin_only(net):
    r = net.call('POST', '/v2.0/floatingips', net.a, {'floatingip': {
        'floating_network_id': net.external['id'], 'floating_ip_address': '203.0.113.77'}})
    assert r.status == 403, r


def test_unscoped_token_is_403(net):
    for method, path in (('GET', '/v2.0/networks'), ('GET', '/v2.0/ports'),
                         ('POST', '/v2.0/networks')):
        r = net.call(method, path, net.unscoped, {'network': {'name': 'u'}}
                     if method == 'POST' else None)
        assert r.status == 403, (path, r)


def test_no_token_is_401(net):
    assert net.call('GET', '/v2.0/networks').status == 401
