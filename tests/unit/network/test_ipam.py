"""iaas.network.ipam: the address decisions and checks, without a database."""
import types

import pytest

from iaas.exception import Conflict, Invalid
from iaas.network import ipam


def subnet(uuid='s1', cidr='10.0.0.0/29', gateway_ip='10.0.0.1', pools=None, id=1):
    return types.SimpleNamespace(
        id=id, uuid=uuid, cidr=cidr, gateway_ip=gateway_ip,
        allocation_pools=pools or [{'start': '10.0.0.2', 'end': '10.0.0.6'}])


def test_new_subnet_defaults_gateway_and_pool():
    net, values = ipam.new_subnet('10.0.0.0/24')
    assert str(net) == '10.0.0.0/24'
    assert values['gateway_ip'] == '10.0.0.1'
    assert values['allocation_pools'] == [{'start': '10.0.0.2', 'end': '10.0.0.254'}]
    _, values = ipam.new_subnet('10.0.0.0/24', gateway_ip=None)
    assert values['allocation_pools'] == [{'start': '10.0.0.1', 'end': '10.0.0.254'}]


@pytest.mark.parametrize('kw,kind', [
    ({'cidr': '10.0.0.1/24'}, 'InvalidInput'),                 # host bits set
    ({'cidr': '10.0.0.0/31'}, 'InvalidInput'),                 # too small
    ({'cidr': '10.0.0.0/24', 'ip_version': 6}, 'InvalidInput'),
    ({'cidr': '10.0.0.0/24', 'gateway_ip': '10.9.0.1'}, 'InvalidInput'),
    ({'cidr': '10.0.0.0/24', 'dns_nameservers': ['1.1.1.1', '1.1.1.1']}, 'InvalidInput'),
    ({'cidr': '10.0.0.0/24', 'allocation_pools': [{'start': '10.0.0.9',
                                                   'end': '10.0.1.9'}]}, 'InvalidInput'),
])
def test_new_subnet_refuses(kw, kind):
    with pytest.raises(Invalid) as e:
        ipam.new_subnet(**kw)
    assert e.value.type == kind and e.value.code == 400


def test_overlap_refused():
    net = ipam.parse_cidr('10.0.0.0/24')
    ipam.check_no_overlap(net, ['10.1.0.0/24'], 'n1')
    with pytest.raises(Invalid, match='overlaps'):
        ipam.check_no_overlap(net, ['10.0.0.128/25'], 'n1')


def test_choose_address_asked_for():
    sn = subnet()
    assert ipam.choose_address([sn], {'ip_address': '10.0.0.4'}, lambda a: False,
                               set) == (sn, '10.0.0.4')
    with pytest.raises(Conflict) as e:
        ipam.choose_address([sn], {'ip_address': '10.0.0.4'}, lambda a: True, set)
    assert e.value.type == 'IpAddressInUse' and e.value.code == 409
    with pytest.raises(Invalid, match='not a valid IP for the specified subnet'):
        ipam.choose_address([sn], {'ip_address': '10.9.0.4'}, lambda a: False, set)
    with pytest.raises(Invalid, match='not on the network'):
        ipam.choose_address([sn], {'subnet_id': 'other'}, lambda a: False, set)


def test_choose_address_free_one_skips_used_and_gateway():
    sn = subnet(pools=[{'start': '10.0.0.1', 'end': '10.0.0.6'}])
    used = {'10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'}
    assert ipam.choose_address([sn], {}, None, lambda: used) == (sn, '10.0.0.6')
    with pytest.raises(Conflict) as e:
        ipam.choose_address([sn], {}, None, lambda: used | {'10.0.0.6'})
    assert e.value.type == 'IpAddressGenerationFailure'


def test_keep_fixed_ips():
    held = [types.SimpleNamespace(id=1, address='10.0.0.2', subnet_id=7),
            types.SimpleNamespace(id=2, address='10.0.0.3', subnet_id=8)]
    keep, new = ipam.keep_fixed_ips(held, [{'ip_address': '10.0.0.3'}, {'subnet_id': 's7'},
                                           {'subnet_id': 's7'}], {7: 's7', 8: 's8'})
    assert keep == {1, 2} and new == [{'subnet_id': 's7'}]


def test_address_pairs():
    assert ipam.address_pairs([{'ip_address': '10.0.0.9/32'}, {'ip_address': '10.1.0.0/16',
                                                               'mac_address': 'AA:BB:CC:00:00:01'}],
                              'fa:16:3e:00:00:01') == [
        {'ip_address': '10.0.0.9', 'mac_address': 'fa:16:3e:00:00:01'},
        {'ip_address': '10.1.0.0/16', 'mac_address': 'aa:bb:cc:00:00:01'}]
    with pytest.raises(Invalid) as e:
        ipam.address_pairs([{'ip_address': '10.0.0.9'}] * 2, 'fa:16:3e:00:00:01')
    assert e.value.type == 'DuplicateAddressPairInRequest'


def test_check_fixed_ip():
    ipam.check_fixed_ip(['10.0.0.0/24'], 'n1', '10.0.0.7')
    ipam.check_fixed_ip(['10.0.0.0/24'], 'n1', None)
    with pytest.raises(Invalid) as e:
        ipam.check_fixed_ip(['10.0.0.0/24'], 'n1', '192.0.2.7')
    assert e.value.type == 'InvalidIpForNetwork'


def test_floating_address():
    sn = subnet(cidr='172.24.4.0/29')
    sn.allocation_pools = [{'start': '172.24.4.2', 'end': '172.24.4.3'}]
    assert ipam.choose_floating_address([sn], {'172.24.4.2'}, 'ext') == '172.24.4.3'
    assert ipam.choose_floating_address([sn], set(), 'ext', '172.24.4.5') == '172.24.4.5'
    with pytest.raises(Conflict):
        ipam.choose_floating_address([sn], {'172.24.4.5'}, 'ext', '172.24.4.5')
    with pytest.raises(Invalid):
        ipam.choose_floating_address([sn], set(), 'ext', '10.0.0.1')
    with pytest.raises(Conflict, match='No more IP addresses'):
        ipam.choose_floating_address([sn], {'172.24.4.2', '172.24.4.3'}, 'ext')


def test_router_routes():
    assert ipam.router_routes([{'destination': '10.9.0.0/16', 'nexthop': '10.0.0.5'}],
                              ['10.0.0.0/24']) == [{'destination': '10.9.0.0/16',
                                                    'nexthop': '10.0.0.5'}]
    with pytest.raises(Invalid) as e:
        ipam.router_routes([{'destination': '10.9.0.0/16', 'nexthop': '10.7.0.5'}],
                           ['10.0.0.0/24'])
    assert e.value.type == 'InvalidRoutes'
