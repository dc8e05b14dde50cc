"""The network page's form checks: a subnet from CIDR and gateway, a
security group rule from direction, protocol, ports and remote CIDR."""
import pytest

from iaas.dashboard import network, secgroups


def _subnet(cidr, gateway='', dhcp='on'):
    return network._subnet_body({'cidr': cidr, 'gateway_ip': gateway, 'enable_dhcp': dhcp})


def test_subnet_body():
    assert _subnet('10.0.0.5/24', '10.0.0.1') == ({
        'cidr': '10.0.0.0/24', 'ip_version': 4, 'enable_dhcp': True,
        'gateway_ip': '10.0.0.1'}, None)
    assert _subnet('fd00::/64', dhcp='')[0] == {'cidr': 'fd00::/64', 'ip_version': 6,
                                                'enable_dhcp': False}
    for cidr, gateway in (('x', ''), ('10.0.0.0/33', ''), ('10.0.0.0/31', ''),
                          ('10.0.0.0/24', '10.0.1.1'), ('10.0.0.0/24', '10.0.0.0'),
                          ('10.0.0.0/24', '10.0.0.255'), ('10.0.0.0/24', 'gw'),
                          ('a\x00b', '')):
        body, error = _subnet(cidr, gateway)
        assert body is None and error, (cidr, gateway)


def _rule(**kw):
    values = {'direction': 'ingress', 'protocol': 'tcp', 'port_range_min': '',
              'port_range_max': '', 'remote_ip_prefix': ''}
    return secgroups.rule_body({**values, **kw})


def test_rule_body():
    assert _rule(port_range_min='22', remote_ip_prefix='0.0.0.0/0') == {
        'direction': 'ingress', 'ethertype': 'IPv4', 'protocol': 'tcp',
        'port_range_min': 22, 'port_range_max': 22, 'remote_ip_prefix': '0.0.0.0/0'}
    assert _rule(protocol='any', direction='egress') == {'direction': 'egress',
                                                         'ethertype': 'IPv4'}
    assert _rule(protocol='icmp', port_range_min='8', remote_ip_prefix='::/0') == {
        'direction': 'ingress', 'ethertype': 'IPv6', 'protocol': 'ipv6-icmp',
        'port_range_min': 8, 'remote_ip_prefix': '::/0'}
    assert _rule(protocol='udp', port_range_min='1000', port_range_max='2000')[
        'port_range_max'] == 2000


@pytest.mark.parametrize('kw', [
    {'direction': 'both'}, {'protocol': 'gre'}, {'port_range_min': '0'},
    {'port_range_min': '65536'}, {'port_range_min': '9', 'port_range_max': '8'},
    {'port_range_min': '1e3'}, {'protocol': 'any', 'port_range_min': '1'},
    {'protocol': 'icmp', 'port_range_max': '0'}, {'protocol': 'icmp', 'port_range_min': '256'},
    {'remote_ip_prefix': '300.0.0.0/8'}, {'remote_ip_prefix': '<script>'}])
def test_rule_body_refuses(kw):
    with pytest.raises(ValueError):
        _rule(**kw)
