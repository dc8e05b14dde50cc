"""Neutron behaviours the Tempest network suite showed missing (issue 13):
bulk creates, port fixed_ips updates, security-group rule protocols and port
ranges, the default group's name, external subnets, agents. In-process
identity + network APIs on SQLite."""
import pytest

from tests.functional.network import apicloud


@pytest.fixture
def cloud(conf, sqlite_db):
    return apicloud.build(conf)


def _error(r, status, kind=None):
    assert r.status == status, r
    err = r.json['NeutronError']
    assert set(err) == {'type', 'message', 'detail'}, r
    if kind:
        assert err['type'] == kind, r
    return err


# -- bulk create ---------------------------------------------------------------------
def test_bulk_create_networks_subnets_ports(cloud):
    c = cloud
    nets = c.ok('POST', '/v2.0/networks', c.a, {'networks': [{'name': 'n1'},
                                                              {'name': 'n2'}]})['networks']
    assert [n['name'] for n in nets] == ['n1', 'n2']
    subs = c.ok('POST', '/v2.0/subnets', c.a, {'subnets': [
        {'network_id': nets[0]['id'], 'cidr': '10.5.0.0/24', 'ip_version': 4},
        {'network_id': nets[1]['id'], 'cidr': '10.6.0.0/24', 'ip_version': 4}]})['subnets']
    assert [s['cidr'] for s in subs] == ['10.5.0.0/24', '10.6.0.0/24']
    ports = c.ok('POST', '/v2.0/ports', c.a, {'ports': [
        {'network_id': nets[0]['id']}, {'network_id': nets[1]['id']}]})['ports']
    assert [p['network_id'] for p in ports] == [nets[0]['id'], nets[1]['id']]


def test_bulk_create_is_all_or_nothing(cloud):
    c = cloud
    net, _ = c.network(c.a)
    before = c.ok('GET', '/v2.0/ports', c.a)['ports']
    # the second port asks for an address outside the subnet: nothing is made
    r = c.call('POST', '/v2.0/ports', c.a, {'ports': [
        {'network_id': net['id']},
        {'network_id': net['id'], 'fixed_ips': [{'ip_address': '192.0.2.9'}]}]})
    _error(r, 400)
    assert c.ok('GET', '/v2.0/ports', c.a)['ports'] == before
    # a bad second body is refused before any work
    r = c.call('POST', '/v2.0/networks', c.a, {'networks': [{'name': 'ok'}, {'bogus': 1}]})
    _error(r, 400)
    assert 'ok' not in [n['name'] for n in c.ok('GET', '/v2.0/networks', c.a)['networks']]
    _error(c.call('POST', '/v2.0/networks', c.a, {'networks': []}), 400)


# -- ports ---------------------------------------------------------------------------
def test_port_update_fixed_ips(cloud):
    c = cloud
    net, s1 = c.network(c.a)
    s2 = c.ok('POST', '/v2.0/subnets', c.a, {'subnet': {
        'network_id': net['id'], 'cidr': '10.2.0.0/24', 'ip_version': 4}})['subnet']
    port = c.ok('POST', '/v2.0/ports', c.a, {'port': {'network_id': net['id'], 'fixed_ips': [
        {'subnet_id': s1['id']}, {'subnet_id': s2['id']}]}})['port']
    first = port['fixed_ips'][0]
    one = c.ok('PUT', f"/v2.0/ports/{port['id']}", c.a,
               {'port': {'fixed_ips': [{'subnet_id': s1['id']}]}})['port']
    assert one['fixed_ips'] == [first]                  # kept, the other released
    two = c.ok('PUT', f"/v2.0/ports/{port['id']}", c.a, {'port': {'fixed_ips': [
        {'subnet_id': s1['id']}, {'subnet_id': s2['id']}]}})['port']
    assert sorted(x['subnet_id'] for x in two['fixed_ips']) == sorted([s1['id'], s2['id']])
    chosen = c.ok('PUT', f"/v2.0/ports/{port['id']}", c.a, {'port': {'fixed_ips': [
        {'subnet_id': s1['id'], 'ip_address': '10.1.0.77'}]}})['port']
    assert chosen['fixed_ips'] == [{'subnet_id': s1['id'], 'ip_address': '10.1.0.77'}]
    _error(c.call('PUT', f"/v2.0/ports/{port['id']}", c.a, {'port': {'fixed_ips': [
        {'ip_address': '192.0.2.1'}]}}), 400)


# -- security groups -----------------------------------------------------------------
def _group(c):
    return c.ok('POST', '/v2.0/security-groups', c.a,
                {'security_group': {'name': 'g'}})['security_group']


def test_rule_protocol_echoed_as_given(cloud):
    c = cloud
    g = _group(c)
    r = c.ok('POST', '/v2.0/security-group-rules', c.a, {'security_group_rule': {
        'security_group_id': g['id'], 'direction': 'ingress', 'protocol': 17}})
    assert r['security_group_rule']['protocol'] == '17'
    r = c.ok('POST', '/v2.0/security-group-rules', c.a, {'security_group_rule': {
        'security_group_id': g['id'], 'direction': 'ingress', 'protocol': '6',
        'port_range_min': 22, 'port_range_max': 22}})
    assert r['security_group_rule']['protocol'] == '6'
    # the same rule by name is a duplicate
    _error(c.call('POST', '/v2.0/security-group-rules', c.a, {'security_group_rule': {
        'security_group_id': g['id'], 'direction': 'ingress', 'protocol': 'tcp',
        'port_range_min': 22, 'port_range_max': 22}}), 409, 'SecurityGroupRuleExists')
    _error(c.call('POST', '/v2.0/security-group-rules', c.a, {'security_group_rule': {
        'security_group_id': g['id'], 'direction': 'ingress', 'protocol': 'nope'}}), 400,
        'SecurityGroupRuleInvalidProtocol')


@pytest.mark.parametrize('proto,lo,hi,text', [
    ('tcp', -16, 80, 'Invalid value for port -16'),
    ('tcp', 80, 79, 'port_range_min must be <= port_range_max'),
    ('tcp', 80, 65536, 'Invalid value for port 65536'),
    ('tcp', None, 6, 'port_range_min must be <= port_range_max'),
    ('tcp', 22, None, 'port_range_min must be <= port_range_max'),    # one end only
    ('udp', 0, 10, 'Invalid value for port 0'),
    ('icmp', 1, 256, 'Invalid value for ICMP code'),
    ('icmp', None, 6, 'ICMP type (port-range-min) is missing'),
    ('icmp', 300, 1, 'Invalid value for ICMP type'),
    (None, 1, 2, 'Must also specify protocol'),
])
def test_rule_port_ranges(cloud, proto, lo, hi, text):
    c = cloud
    g = _group(c)
    r = c.call('POST', '/v2.0/security-group-rules', c.a, {'security_group_rule': {
        'security_group_id': g['id'], 'direction': 'ingress', 'protocol': proto,
        'port_range_min': lo, 'port_range_max': hi}})
    assert text in _error(r, 400)['message']


def test_group_cannot_be_renamed_default(cloud):
    c = cloud
    g = _group(c)
    _error(c.call('PUT', f"/v2.0/security-groups/{g['id']}", c.a,
                  {'security_group': {'name': 'default'}}), 409,
           'SecurityGroupDefaultAlreadyExists')
    assert c.ok('GET', f"/v2.0/security-groups/{g['id']}", c.a)['security_group'][
        'name'] == 'g'


# -- external networks, agents -------------------------------------------------------
def test_external_subnets_hidden_from_other_projects(cloud):
    c = cloud
    ext = c.ok('POST', '/v2.0/networks', c.admin, {'network': {
        'name': 'public', 'router:external': True}})['network']
    sub = c.ok('POST', '/v2.0/subnets', c.admin, {'subnet': {
        'network_id': ext['id'], 'cidr': '198.51.100.0/24', 'ip_version': 4}})['subnet']
    assert ext['id'] in [n['id'] for n in c.ok('GET', '/v2.0/networks', c.a)['networks']]
    assert c.ok('GET', f"/v2.0/subnets?network_id={ext['id']}", c.a)['subnets'] == []
    assert c.call('GET', f"/v2.0/subnets/{sub['id']}", c.a).status == 404
    assert [s['id'] for s in c.ok('GET', f"/v2.0/subnets?network_id={ext['id']}",
                                  c.admin)['subnets']] == [sub['id']]


def test_agents_list_shows_non_admins_nothing(cloud):
    c = cloud
    assert c.ok('GET', '/v2.0/agents', c.a) == {'agents': []}
    assert c.ok('GET', '/v2.0/agents', c.admin) == {'agents': []}
    assert c.call('GET', '/v2.0/agents', c.unscoped).status in (200, 403)
    aliases = {e['alias'] for e in c.ok('GET', '/v2.0/extensions', c.a)['extensions']}
    assert 'agent' not in aliases and {'router', 'extraroute'} <= aliases


def test_mtu_is_served_and_writable(cloud):
    c = cloud
    net = c.ok('POST', '/v2.0/networks', c.a, {'network': {'name': 'm', 'mtu': 1400}})[
        'network']
    assert net['mtu'] == 1400
    up = c.ok('PUT', f"/v2.0/networks/{net['id']}", c.a, {'network': {'mtu': 1300}})
    assert up['network']['mtu'] == 1300
    shown = c.ok('GET', f"/v2.0/networks/{net['id']}?fields=id&fields=mtu", c.reader)
    assert shown == {'network': {'id': net['id'], 'mtu': 1300}}
    aliases = {e['alias'] for e in c.ok('GET', '/v2.0/extensions', c.a)['extensions']}
    assert {'net-mtu', 'net-mtu-writable', 'project-id', 'standard-attr-timestamp'} <= aliases


def test_ports_filtered_by_ip_substring(cloud):
    c = cloud
    net, sub = c.network(c.a)
    p1 = c.ok('POST', '/v2.0/ports', c.a, {'port': {'network_id': net['id'], 'fixed_ips': [
        {'ip_address': '10.1.0.19'}]}})['port']
    p2 = c.ok('POST', '/v2.0/ports', c.a, {'port': {'network_id': net['id'], 'fixed_ips': [
        {'ip_address': '10.1.0.28'}]}})['port']

    def ids(q):
        return {p['id'] for p in c.ok('GET', f'/v2.0/ports?fixed_ips={q}', c.reader)['ports']}
    assert ids('ip_address_substr=10.1.0.1') == {p1['id']}
    assert ids('ip_address_substr=10.1.0.') == {p1['id'], p2['id']}
    assert ids('ip_address_substr=10.1.0.2') == {p2['id']}
    assert ids('ip_address=10.1.0.28') == {p2['id']}
    assert ids(f"subnet_id={sub['id']}") == {p1['id'], p2['id']}
    assert 'ip-substring-filtering' in {
        e['alias'] for e in c.ok('GET', '/v2.0/extensions', c.a)['extensions']}


def test_service_providers(cloud):
    c = cloud
    body = c.ok('GET', '/v2.0/service-providers', c.reader)
    assert body == {'service_providers': [
        {'service_type': 'L3_ROUTER_NAT', 'name': 'iaas', 'default': True}]}
    assert c.call('GET', '/v2.0/service-providers').status == 401
    assert 'service-type' in {
        e['alias'] for e in c.ok('GET', '/v2.0/extensions', c.a)['extensions']}


def test_allowed_address_pairs(cloud):
    c = cloud
    net, _ = c.network(c.a)
    port = c.ok('POST', '/v2.0/ports', c.a, {'port': {'network_id': net['id'],
                'allowed_address_pairs': [{'ip_address': '10.1.0.200'}]}})['port']
    assert port['allowed_address_pairs'] == [
        {'ip_address': '10.1.0.200', 'mac_address': port['mac_address']}]
    pairs = [{'ip_address': '10.9.0.0/24', 'mac_address': 'fa:16:3e:00:00:01'},
             {'ip_address': '10.1.0.201', 'mac_address': 'fa:16:3e:00:00:02'}]
    up = c.ok('PUT', f"/v2.0/ports/{port['id']}", c.a,
              {'port': {'allowed_address_pairs': pairs}})['port']
    assert up['allowed_address_pairs'] == pairs
    listed = c.ok('GET', '/v2.0/ports', c.reader)['ports']
    assert listed[0]['allowed_address_pairs'] == pairs
    _error(c.call('PUT', f"/v2.0/ports/{port['id']}", c.a, {'port': {
        'allowed_address_pairs': [{'ip_address': 'nope'}]}}), 400)
    _error(c.call('PUT', f"/v2.0/ports/{port['id']}", c.a, {'port': {
        'allowed_address_pairs': [pairs[0], pairs[0]]}}), 400)
    cleared = c.ok('PUT', f"/v2.0/ports/{port['id']}", c.a,
                   {'port': {'allowed_address_pairs': []}})['port']
    assert cleared['allowed_address_pairs'] == []
    # on a shared network of another project: the network owner's (Neutron)
    shared = c.ok('POST', '/v2.0/networks', c.admin, {'network': {
        'name': 's', 'shared': True}})['network']
    c.ok('POST', '/v2.0/subnets', c.admin, {'subnet': {
        'network_id': shared['id'], 'cidr': '10.60.0.0/24', 'ip_version': 4}})
    _error(c.call('POST', '/v2.0/ports', c.a, {'port': {'network_id': shared['id'],
           'allowed_address_pairs': [{'ip_address': '10.60.0.99'}]}}), 403)
