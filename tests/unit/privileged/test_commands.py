"""The allow-list of privileged commands: what iaas-network runs passes,
anything else is refused before it runs."""
import os

import pytest

from iaas.network import dhcp, firewall, ipsets
from iaas.privileged import Refused, commands


@pytest.mark.parametrize('argv', [
    ['iptables-save'], ['iptables-save', '-t', 'nat'], ['ip6tables-save', '-t', 'filter'],
    ['iptables-restore', '--noflush'], ['ip6tables-restore', '--noflush'],
    ['ipset', 'save'], ['ipset', '-exist', 'restore'], ['ipset', 'list', '-n'],
    ['ipset', 'destroy', ipsets.set_name('g1')],
    ['sysctl', '-q', '-w', 'net.ipv4.ip_forward=1'],
    ['sysctl', '-q', '-w', 'net.bridge.bridge-nf-call-iptables=1'],
    ['conntrack', '-D', '-d', '203.0.113.5'], ['conntrack', '-D', '-s', '2001:db8::1'],
])
def test_commands_iaas_network_runs_are_allowed(conf, argv):
    assert commands.check(argv) == argv


@pytest.mark.parametrize('argv, why', [
    (['sh', '-c', 'id'], "unknown command 'sh'"),
    (['/usr/sbin/iptables-save'], 'unknown command'),
    (['ip', 'link', 'del', 'eth0'], "unknown command 'ip'"),
    (['iptables', '-F'], "unknown command 'iptables'"),
    (['iptables-restore'], 'arguments not allowed'),           # would flush every chain
    (['iptables-save', '-t', 'security', '-M', '/bin/sh'], 'arguments not allowed'),
    (['ipset', 'destroy', 'someone-elses-set'], 'arguments not allowed'),
    (['ipset', 'flush'], 'arguments not allowed'),
    (['sysctl', '-q', '-w', 'kernel.core_pattern=|/tmp/x'], 'arguments not allowed'),
    (['sysctl', '-p', '/tmp/evil.conf'], 'arguments not allowed'),
    (['conntrack', '-F'], 'arguments not allowed'),
    (['conntrack', '-D', '-d', '1.2.3.4; reboot'], 'arguments not allowed'),
    (['iptables-save', '-t', 'nat\nx'], 'control character'),
])
def test_other_commands_are_refused_with_the_reason(conf, argv, why):
    with pytest.raises(Refused, match='privileged command refused') as e:
        commands.check(argv)
    assert why in str(e.value)


def test_not_a_list_of_strings_is_refused(conf):
    for bad in ('iptables-save', [], [b'iptables-save'], ['iptables-save', 1], None):
        with pytest.raises(Refused):
            commands.check(bad)


def _dnsmasq_argv(conf):
    d = dhcp.Dnsmasq(os.path.join(conf.state_path, 'networks', 'h1'), None, user='nobody')
    return d.argv({'id': 'n1'}, 'brq1', {'cidr': '10.0.0.0/24'}, d._paths('n1'))


def test_dnsmasq_as_iaas_network_builds_it(conf):
    argv = _dnsmasq_argv(conf)
    assert commands.check(argv) == argv


@pytest.mark.parametrize('change', [
    lambda a: a + ['--dhcp-script=/tmp/evil'],                # runs a program as root
    lambda a: a + ['--conf-file=/tmp/evil.conf'],
    lambda a: [x.replace('--conf-file=/dev/null', '--conf-dir=/tmp') for x in a],
    lambda a: [x if not x.startswith('--pid-file=') else '--pid-file=/etc/passwd'
               for x in a],
    lambda a: [x if not x.startswith('--dhcp-leasefile=') else
               x.replace('/leases', '/../../../../etc/shadow') for x in a],
    lambda a: [x if not x.startswith('--interface=') else '--interface=br0 --x' for x in a],
    lambda a: a + ['--interface=brq2'],                       # an option given twice
    lambda a: ['/tmp/dnsmasq'] + a[1:],                       # not [network] dnsmasq
])
def test_dnsmasq_with_other_arguments_is_refused(conf, change):
    with pytest.raises(Refused, match='dnsmasq arguments'):
        commands.check(change(_dnsmasq_argv(conf)))


def test_firewall_apply_runs_only_allowed_commands(conf):
    """Everything firewall.apply (with ipsets) asks for passes the check."""
    seen = []

    def run(argv, input=None):
        seen.append(commands.check(argv))
        return ''
    state = {'ports': [{'id': 'p1', 'ips': ['10.0.0.5'], 'security_groups': ['g'],
                        'mac_address': 'fa:16:3e:00:00:01', 'devname': 'tap1'}],
             'groups': {'g': {'rules': [{'direction': 'ingress', 'remote_group_id': 'g'}],
                              'members': ['10.0.0.5']}},
             'ipsets': True}
    firewall.apply(run, state)
    assert {a[0] for a in seen} >= {'ipset', 'iptables-save', 'iptables-restore'}


@pytest.mark.parametrize('name', ['ns1', 'qrouter-1234', None])
def test_namespace_names(name):
    assert commands.check_netns(name) == name


@pytest.mark.parametrize('name', ['', '../x', 'a b', 'x' * 65, 5, '-n'])
def test_odd_namespace_names_are_refused(name):
    with pytest.raises(Refused):
        commands.check_netns(name)
