"""iaas-network working inside a network namespace (the "host"), with
namespaces standing in for guests and for the outside world:

* two guests of one project network get their leases from dnsmasq and ping
  each other; a guest of another project's network cannot reach them;
* a floating IP makes a guest's TCP port (and ICMP) reachable from the
  "external" namespace; re-associating moves it; disassociating stops it;
  outbound, a guest leaves with its floating IP, others with the host's
  public address (SNAT);
* a security-group rule opening TCP 22 lets a connection in; deleting it
  blocks the next one;
* restarting iaas-network leaves rules and leases working, and
  ``iptables-save`` shows no duplicate rule.
"""
import collections
import shutil

import pytest
import requests

from tests.probe.fixtures import Cloud
from tests.probe.network.netns import db_call, rpc_call

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not shutil.which('dnsmasq') or not shutil.which('busybox'),
                                 reason='needs dnsmasq and busybox')]


class Neutron:
    def __init__(self, cloud):
        self.base = f'http://127.0.0.1:{cloud.ports["network_port"]}/v2.0'
        self.s = requests.Session()
        self.s.headers['X-Auth-Token'] = cloud.openstack('token', 'issue')['id']

    def __call__(self, method, path, body=None, expect=(200, 201, 204)):
        r = self.s.request(method, self.base + path, json=body, timeout=30)
        assert r.status_code in expect, (r.status_code, r.text)
        return r.json() if r.content else None


def _iptables_rules(topo, ns, tool='iptables-save'):
    return [line for line in topo.run(ns, tool).stdout.splitlines()
            if line.startswith('-A ')]


def _link_local(topo, ns, dev):
    out = topo.run(ns, 'ip', '-6', '-o', 'addr', 'show', 'dev', dev, 'scope', 'link').stdout
    return out.split()[3].split('/')[0]


def _ping6(topo, ns, addr, dev):
    """True once ``addr`` answers within 5 s (DAD may still be running)."""
    return any(topo.run(ns, 'busybox', 'ping6', '-c', '1', '-W', '1', '-I', dev, addr,
                        check=False).returncode == 0 for _ in range(5))


def _dupes(lines):
    return [k for k, v in collections.Counter(lines).items() if v > 1]


def test_single_host(tmp_path, topo):
    host = topo.ns('host')
    ext = topo.ns('ext')
    topo.veth(host, 'pub0', ext, 'eth0')
    topo.addr(host, 'pub0', '172.24.4.1/24')
    topo.addr(ext, 'eth0', '172.24.4.254/24')
    cloud = Cloud.create(tmp_path, sections={'network': {
        'network_manager': 'segmented', 'netns': host, 'dnsmasq_user': 'root',
        'public_interface': 'pub0', 'segment_range': '1000:1100'}})
    try:
        cloud.start('iaas-api')
        cloud.start('iaas-network', wait_port=False)
        topo.wait('iaas-network rules', lambda: any(
            'iaas-FORWARD' in x for x in _iptables_rules(topo, host)))
        _run(cloud, topo, host, ext)
    finally:
        cloud.stop_all()


def _run(cloud, topo, host, ext):
    neutron = Neutron(cloud)
    admin_project = cloud.openstack('token', 'issue')['project_id']
    net_a = neutron('POST', '/networks', {'network': {'name': 'a'}})['network']
    sub_a = neutron('POST', '/subnets', {'subnet': {
        'network_id': net_a['id'], 'cidr': '10.91.0.0/24', 'ip_version': 4}})['subnet']
    net_b = neutron('POST', '/networks', {'network': {'name': 'b',
                                                      'project_id': 'project-b'}})['network']
    neutron('POST', '/subnets', {'subnet': {'network_id': net_b['id'], 'cidr': '10.92.0.0/24',
                                            'ip_version': 4}})
    assert net_a['provider:network_type'] == 'vxlan'
    pub = neutron('POST', '/networks', {'network': {'name': 'public',
                                                    'router:external': True}})['network']
    neutron('POST', '/subnets', {'subnet': {
        'network_id': pub['id'], 'cidr': '172.24.4.0/24', 'gateway_ip': None,
        'enable_dhcp': False, 'allocation_pools': [{'start': '172.24.4.10',
                                                    'end': '172.24.4.50'}]}})

    cfg = cloud.config_file
    nic = {}
    for name, project, net in (('a1', admin_project, net_a), ('a2', admin_project, net_a),
                               ('b1', 'project-b', net_b)):
        info = rpc_call(cfg, 'allocate_for_instance', instance_uuid=f'inst-{name}',
                        host='probe', project_id=project,
                        requested_networks=[{'uuid': net['id']}])
        assert len(info) == 1 and info[0]['network_id'] == net['id']
        nic[name] = info[0]
    guests = {n: topo.guest(n, host, nic[n]) for n in nic}

    # DHCP: each guest gets exactly its fixed IP from dnsmasq
    for n, g in guests.items():
        assert topo.dhcp(g) == nic[n]['ips'][0], n
    a1, a2, b1 = (nic[n]['ips'][0] for n in ('a1', 'a2', 'b1'))
    # leases read back from dnsmasq into the fixed IPs on the next sync
    rpc_call(cfg, 'refresh')
    topo.wait('leases recorded', lambda: db_call(cfg, 'fixed_ip_leased', net_a['id']) ==
              sorted([a1, a2]))
    assert topo.reach(guests['a1'], a2) and topo.reach(guests['a2'], a1)
    # a guest cannot send from an address that is not its own (anti-spoofing)
    topo.run(guests['a1'], 'ip', 'addr', 'add', '10.91.0.200/24', 'dev', 'eth0')
    assert topo.unreachable(guests['a1'], '10.91.0.1', source='10.91.0.200')
    assert topo.reach(guests['a1'], '10.91.0.1')
    topo.run(guests['a1'], 'ip', 'addr', 'del', '10.91.0.200/24', 'dev', 'eth0')
    # ... nor with a MAC address that is not its port's
    topo.run(guests['a1'], 'ip', 'link', 'set', 'eth0', 'address', '02:00:00:00:0a:01')
    assert topo.unreachable(guests['a1'], a2)
    topo.run(guests['a1'], 'ip', 'link', 'set', 'eth0', 'address', nic['a1']['mac'])
    for g in ('a1', 'a2'):
        topo.run(guests[g], 'ip', 'neigh', 'flush', 'dev', 'eth0')
    assert topo.reach(guests['a1'], a2)
    # IPv6 (not served yet) is no way around the rules: guests' link-local
    # traffic is dropped on the bridge, while IPv6 works elsewhere here
    assert _ping6(topo, ext, _link_local(topo, host, 'pub0'), 'eth0')
    for g in ('a1', 'a2'):         # (the DHCP client script flushed them)
        topo.run(guests[g], 'ip', '-6', 'addr', 'add', f'fe80::{g}/64', 'dev', 'eth0',
                 'nodad')
    assert not _ping6(topo, guests['a1'], 'fe80::a2', 'eth0')
    # b1's own network works (its gateway answers) ...
    assert topo.reach(guests['b1'], '10.92.0.1')
    # ... but another project's guest cannot reach them (nor they it)
    assert topo.unreachable(guests['b1'], a1)
    assert topo.unreachable(guests['a1'], b1)

    # floating IP: ICMP and TCP from outside once the group lets it in
    for n in ('a1', 'a2'):
        topo.serve_tcp(guests[n], n, 22)
    router = neutron('POST', '/routers', {'router': {
        'name': 'r', 'external_gateway_info': {'network_id': pub['id']}}})['router']
    neutron('PUT', f"/routers/{router['id']}/add_router_interface", {'subnet_id': sub_a['id']})
    fip = neutron('POST', '/floatingips', {'floatingip': {
        'floating_network_id': pub['id'], 'port_id': nic['a1']['port_id']}})['floatingip']
    faddr = fip['floating_ip_address']
    assert fip['fixed_ip_address'] == a1
    # the default group denies ingress from outside
    assert topo.connect(ext, faddr, 22, timeout=2).startswith('FAIL')
    default = next(g for g in neutron('GET', '/security-groups')['security_groups']
                   if g['name'] == 'default' and g['project_id'] == admin_project)
    icmp = neutron('POST', '/security-group-rules', {'security_group_rule': {
        'security_group_id': default['id'], 'direction': 'ingress', 'protocol': 'icmp',
        'remote_ip_prefix': '0.0.0.0/0'}})['security_group_rule']
    ssh = neutron('POST', '/security-group-rules', {'security_group_rule': {
        'security_group_id': default['id'], 'direction': 'ingress', 'protocol': 'tcp',
        'port_range_min': 22, 'port_range_max': 22,
        'remote_ip_prefix': '0.0.0.0/0'}})['security_group_rule']
    said = topo.wait('ssh through the floating IP', lambda: (
        lambda r: r if r.startswith('a1 ') else None)(topo.connect(ext, faddr, 22)))
    # the guest sees the external client's own address (DNAT, no masquerade)
    assert said == 'a1 172.24.4.254'
    assert topo.reach(ext, faddr)
    # outbound NAT: the outside (no route back to project networks) sees a1
    # as its floating IP and b1 as the host's public address
    topo.serve_tcp(ext, 'ext', 8080)
    assert topo.wait('a1 reaches the outside', lambda: (
        lambda r: r if r.startswith('ext ') else None)(
        topo.connect(guests['a1'], '172.24.4.254', 8080))) == f'ext {faddr}'
    assert topo.connect(guests['b1'], '172.24.4.254', 8080) == 'ext 172.24.4.1'
    # re-associate: the next connection reaches a2, and the tracked flows
    # of the old mapping are gone (a running ping follows the move)
    has_conntrack = bool(shutil.which('conntrack'))
    if has_conntrack:
        assert a1 in topo.run(host, 'conntrack', '-L', '-d', faddr).stdout
    neutron('PUT', f'/floatingips/{fip["id"]}', {'floatingip': {
        'port_id': nic['a2']['port_id']}})
    topo.wait('floating IP moved to a2', lambda: topo.connect(ext, faddr, 22)
              .startswith('a2 '))
    if has_conntrack:
        assert a1 not in topo.run(host, 'conntrack', '-L', '-d', faddr, check=False).stdout
    # rules and leases survive a restart of iaas-network, without duplicates
    before = _iptables_rules(topo, host)
    dnsmasq_pids = topo.run(host, 'pgrep', '-f', 'dnsmasq --conf-file', check=False).stdout
    assert not _dupes(before), _dupes(before)
    cloud.daemons['iaas-network'].stop()
    cloud.start('iaas-network', key='iaas-network', wait_port=False)
    rpc_call(cloud.config_file, 'ping', host='probe')  # serving again
    rpc_call(cloud.config_file, 'refresh')
    after = _iptables_rules(topo, host)
    assert not _dupes(after), _dupes(after)
    assert sorted(after) == sorted(before)
    # the default group's "from members" rule is one ipset match, the set
    # holding the members' addresses (refilled in place, not duplicated)
    sets = [n for n in topo.run(host, 'ipset', 'list', '-n').stdout.split()
            if n.startswith('iaas-g-')]
    assert sets and any('--match-set' in x for x in after)
    members = ''.join(topo.run(host, 'ipset', 'list', n).stdout for n in sets)
    assert a1 in members and a2 in members
    v6 = _iptables_rules(topo, host, 'ip6tables-save')
    assert any('--physdev-in' in x for x in v6) and not _dupes(v6), v6
    assert topo.connect(ext, faddr, 22).startswith('a2 ')
    assert topo.reach(guests['a1'], a2)
    assert topo.dhcp(guests['a1']) == a1            # dnsmasq still answers
    # the same dnsmasq processes (found by their pid files, not started twice)
    assert topo.run(host, 'pgrep', '-f', 'dnsmasq --conf-file',
                    check=False).stdout == dnsmasq_pids
    # deleting the TCP 22 rule blocks the next connection (ICMP still passes)
    neutron('DELETE', f'/security-group-rules/{ssh["id"]}')
    topo.wait('ssh blocked', lambda: topo.connect(ext, faddr, 22, timeout=2)
              .startswith('FAIL'))
    assert topo.reach(ext, faddr)
    neutron('POST', '/security-group-rules', {'security_group_rule': {
        'security_group_id': default['id'], 'direction': 'ingress', 'protocol': 'tcp',
        'port_range_min': 22, 'port_range_max': 22, 'remote_ip_prefix': '0.0.0.0/0'}})
    topo.wait('ssh open again', lambda: topo.connect(ext, faddr, 22).startswith('a2 '))
    # disassociate: the floating IP stops answering
    neutron('PUT', f'/floatingips/{fip["id"]}', {'floatingip': {'port_id': None}})
    topo.wait('floating IP gone', lambda: topo.connect(ext, faddr, 22, timeout=2)
              .startswith('FAIL'))
    assert topo.unreachable(ext, faddr)
    neutron('DELETE', f'/security-group-rules/{icmp["id"]}')
    # deallocating an instance removes its port and its dnsmasq host entry
    gone = rpc_call(cloud.config_file, 'deallocate_for_instance',
                    instance_uuid='inst-a1', host='probe')
    assert gone == [nic['a1']['port_id']]
    assert neutron('GET', '/ports?device_id=inst-a1')['ports'] == []
