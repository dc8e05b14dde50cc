"""IPAM and the network records on SQLite, PostgreSQL and MariaDB."""
import concurrent.futures
import ipaddress

import pytest

from iaas.db import networks as db
from iaas.db import routers as db_routers


def _net(project='p1', cidr='10.20.0.0/24', **kw):
    n = db.network_create(name='n', project_id=project, **kw)
    sn = db.subnet_create(n['id'], cidr, project_id=project, dns_nameservers=['10.20.0.1'])
    return n, sn


def test_network_subnet_port_fixed_ip(db_url):
    n, sn = _net()
    assert sn['gateway_ip'] == '10.20.0.1'
    assert sn['allocation_pools'] == [{'start': '10.20.0.2', 'end': '10.20.0.254'}]
    assert n['bridge'].startswith('brq') and len(n['bridge']) <= 15
    assert db.network_get(n['id'])['subnets'] == [sn['id']]
    p = db.port_create(n['id'], project_id='p1', device_id='inst-1', binding_host='h1')
    ip = p['fixed_ips'][0]['ip_address']
    assert ipaddress.ip_address(ip) in ipaddress.ip_network('10.20.0.0/24')
    assert ip != '10.20.0.1'
    assert p['mac_address'].startswith('fa:16:3e:')
    # the project's default group is attached and denies ingress except from itself
    dg = db.sg_get(p['security_groups'][0])
    assert dg['name'] == 'default'
    ingress = [r for r in dg['security_group_rules'] if r['direction'] == 'ingress']
    assert {r['remote_group_id'] for r in ingress} == {dg['id']}
    assert {r['ethertype'] for r in dg['security_group_rules']
            if r['direction'] == 'egress' and r['remote_group_id'] is None} == {'IPv4', 'IPv6'}
    assert db.fixed_ip_lookup(ip)['device_id'] == 'inst-1'
    # specific address; in use -> conflict
    p2 = db.port_create(n['id'], project_id='p1', fixed_ips=[{'ip_address': '10.20.0.50'}])
    assert p2['fixed_ips'][0]['ip_address'] == '10.20.0.50'
    with pytest.raises(db.Conflict):
        db.port_create(n['id'], project_id='p1', fixed_ips=[{'ip_address': '10.20.0.50'}])
    # network with ports can't go
    with pytest.raises(db.Conflict):
        db.network_delete(n['id'], project_id='p1')
    # another project does not see it
    with pytest.raises(db.NotFound):
        db.network_get(n['id'], project_id='p2')
    assert db.port_list(project_id='p2') == []


def test_release_grace_period(db_url, conf):
    conf.set_override('fixed_ip_release_grace', 3600, group='network')
    n, _ = _net(cidr='10.30.0.0/29')     # pool .2-.6: 5 addresses
    ports = [db.port_create(n['id'], project_id='p1') for _ in range(5)]
    with pytest.raises(db.Conflict) as ei:
        db.port_create(n['id'], project_id='p1')
    assert ei.value.type == 'IpAddressGenerationFailure'
    freed = ports[0]['fixed_ips'][0]['ip_address']
    db.port_delete(ports[0]['id'])
    # within the grace period the address stays out of use
    with pytest.raises(db.Conflict):
        db.port_create(n['id'], project_id='p1')
    conf.set_override('fixed_ip_release_grace', 0, group='network')
    p = db.port_create(n['id'], project_id='p1')
    assert p['fixed_ips'][0]['ip_address'] == freed


def test_concurrent_allocations_never_share_an_address(db_url):
    n, _ = _net(cidr='10.40.0.0/26')     # 61 addresses
    db.ensure_default_group('p1')

    def one(i):
        return db.port_create(n['id'], project_id='p1', device_id=f'i{i}')
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        ports = list(ex.map(one, range(40)))
    ips = [p['fixed_ips'][0]['ip_address'] for p in ports]
    assert len(set(ips)) == 40
    macs = {p['mac_address'] for p in ports}
    assert len(macs) == 40


def test_segments(db_url):
    a = db.network_create('a', 'p1', segment_type='vxlan', segment_range=(100, 101))
    b = db.network_create('b', 'p2', segment_type='vxlan', segment_range=(100, 101))
    assert {a['segment_id'], b['segment_id']} == {100, 101}
    with pytest.raises(db.Conflict):
        db.network_create('c', 'p3', segment_type='vxlan', segment_range=(100, 101))
    with pytest.raises(db.Conflict):
        db.network_create('d', 'p3', segment_type='vxlan', segment_id=100)
    # vlan ids are a separate space
    assert db.network_create('e', 'p3', segment_type='vlan',
                             segment_range=(100, 101))['segment_id'] == 100


def test_floating_ips(db_url):
    ext = db.network_create('public', None, external=True)
    db.subnet_create(ext['id'], '172.24.4.0/29', gateway_ip='172.24.4.1')
    n, sn = _net()
    p1 = db.port_create(n['id'], project_id='p1', device_id='i1')
    p2 = db.port_create(n['id'], project_id='p1', device_id='i2')
    # without a router between the external network and the subnet: 404
    f = db.floatingip_create(ext['id'], 'p1')
    with pytest.raises(db.NotFound) as e:
        db.floatingip_update(f['id'], 'p1', port_id=p1['id'])
    assert e.value.type == 'ExternalGatewayForFloatingIPNotFound'
    db.floatingip_delete(f['id'], 'p1')
    r = db_routers.router_create('p1', external_gateway_info={'network_id': ext['id']})
    db_routers.add_interface(r['id'], 'p1', subnet_id=sn['id'])
    f = db.floatingip_create(ext['id'], 'p1')
    assert f['status'] == 'DOWN' and f['port_id'] is None
    assert f['floating_ip_address'] != '172.24.4.1'
    f = db.floatingip_update(f['id'], 'p1', port_id=p1['id'])
    assert f['fixed_ip_address'] == p1['fixed_ips'][0]['ip_address']
    st = db.host_state()
    assert [x['address'] for x in st['floating_ips']] == [f['floating_ip_address']]
    f = db.floatingip_update(f['id'], 'p1', port_id=p2['id'])
    assert f['port_id'] == p2['id']
    # one floating IP per fixed IP
    g = db.floatingip_create(ext['id'], 'p1')
    with pytest.raises(db.Conflict):
        db.floatingip_update(g['id'], 'p1', port_id=p2['id'])
    # other projects can't use the port or see the floating IP
    with pytest.raises(db.NotFound):
        db.floatingip_update(f['id'], 'p2', port_id=p1['id'])
    assert db.floatingip_list(project_id='p2') == []
    # deleting the port disassociates
    db.port_delete(p2['id'])
    assert db.floatingip_get(f['id'])['port_id'] is None
    # pool exhaustion: .2-.6 = 5 addresses, two taken, one the router's gateway
    for _ in range(2):
        db.floatingip_create(ext['id'], 'p1')
    with pytest.raises(db.Conflict):
        db.floatingip_create(ext['id'], 'p1')
    db.floatingip_delete(g['id'], 'p1')
    assert db.floatingip_create(ext['id'], 'p1')['floating_ip_address'] == \
        g['floating_ip_address']


def test_security_groups(db_url):
    d1 = db.ensure_default_group('p1')
    assert db.ensure_default_group('p1')['id'] == d1['id']
    g = db.sg_create('web', 'p1', 'web servers')
    assert len(g['security_group_rules']) == 2          # egress v4 + v6
    r = db.rule_create(g['id'], 'ingress', 'p1', protocol='tcp', port_range_min=22,
                       port_range_max=22, remote_ip_prefix='0.0.0.0/0')
    assert r['protocol'] == 'tcp' and r['port_range_max'] == 22
    with pytest.raises(db.Conflict):
        db.rule_create(g['id'], 'ingress', 'p1', protocol='tcp', port_range_min=22,
                       port_range_max=22, remote_ip_prefix='0.0.0.0/0')
    with pytest.raises(db.Invalid):
        db.rule_create(g['id'], 'ingress', 'p1', protocol='tcp', port_range_min=30,
                       port_range_max=20)
    with pytest.raises(db.Invalid):
        db.rule_create(g['id'], 'ingress', 'p1', port_range_min=30)
    with pytest.raises(db.NotFound):
        db.rule_create(g['id'], 'ingress', 'p2', protocol='icmp')
    assert len(db.rule_list('p1', security_group_id=g['id'])) == 3
    n, _ = _net()
    p = db.port_create(n['id'], project_id='p1', security_groups=[g['id']])
    assert p['security_groups'] == [g['id']]
    st = db.host_state()
    assert st['groups'][g['id']]['members'] == [p['fixed_ips'][0]['ip_address']]
    with pytest.raises(db.Conflict):
        db.sg_delete(g['id'], 'p1')
    with pytest.raises(db.Conflict):
        db.sg_delete(d1['id'], 'p1')
    db.rule_delete(r['id'], 'p1')
    db.port_update(p['id'], 'p1', security_groups=[])
    db.sg_delete(g['id'], 'p1')
    assert [x['name'] for x in db.sg_list('p1')] == ['default']


def test_concurrent_default_group(db_url):
    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        ids = set(ex.map(lambda _: db.ensure_default_group('px')['id'], range(6)))
    assert len(ids) == 1


def test_leased_flags(db_url):
    n, _ = _net()
    ips = [db.port_create(n['id'], project_id='p1')['fixed_ips'][0]['ip_address']
           for _ in range(3)]
    assert db.fixed_ips_set_leased(n['id'], ips[:2]) == 2
    assert db.fixed_ip_leased(n['id']) == sorted(ips[:2])
    assert db.fixed_ips_set_leased(n['id'], ips[:2]) == 0          # nothing changes
    assert db.fixed_ips_set_leased(n['id'], [ips[2]]) == 3
    assert db.fixed_ip_leased(n['id']) == [ips[2]]
    assert db.fixed_ips_set_leased(n['id'], []) == 1
    assert db.fixed_ip_leased(n['id']) == []
