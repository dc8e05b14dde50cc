"""Links at the command level (this kernel has no 802.1q: VLAN is tested here)."""
from iaas.network import dhcp, linux_net


class FakeIPR:
    def __init__(self):
        self.links = {'eth1': 2}
        self.calls = []
        self.fdbs = []

    def link_lookup(self, ifname):
        return [self.links[ifname]] if ifname in self.links else []

    def link(self, cmd, **kw):
        self.calls.append(('link', cmd, kw))
        if cmd == 'add':
            self.links[kw['ifname']] = len(self.links) + 10

    def fdb(self, cmd, **kw):
        self.calls.append(('fdb', cmd, kw))
        return []

    def close(self):
        pass


def _net():
    ipr = FakeIPR()
    return linux_net.LinuxNet('ns1', ipr_factory=lambda ns: ipr), ipr


def test_vlan_subinterface_in_bridge():
    net, ipr = _net()
    net.ensure_bridge('brq1', 1500)
    assert net.ensure_vlan('eth1', 101, 'brq1') == 'eth1.101'
    adds = [c for c in ipr.calls if c[1] == 'add']
    assert adds[0][2] == {'ifname': 'brq1', 'kind': 'bridge'}
    assert adds[1][2] == {'ifname': 'eth1.101', 'kind': 'vlan', 'link': 2, 'vlan_id': 101}
    sets = [c[2] for c in ipr.calls if c[1] == 'set']
    assert {'index': ipr.links['eth1.101'], 'master': ipr.links['brq1'], 'state': 'up'} in sets
    # idempotent: nothing added the second time
    n = len([c for c in ipr.calls if c[1] == 'add'])
    net.ensure_vlan('eth1', 101, 'brq1')
    assert len([c for c in ipr.calls if c[1] == 'add']) == n


def test_vxlan_floods_to_peers():
    net, ipr = _net()
    net.ensure_bridge('brq1')
    net.ensure_vxlan(5001, 'brq1', local_ip='192.168.7.1', peers=['192.168.7.1',
                                                                   '192.168.7.2'])
    add = next(c[2] for c in ipr.calls if c[1] == 'add' and c[2]['kind'] == 'vxlan')
    assert add['vxlan_id'] == 5001 and add['vxlan_local'] == '192.168.7.1'
    fdb = [c[2] for c in ipr.calls if c[0] == 'fdb' and c[1] == 'append']
    assert fdb == [{'ifindex': ipr.links['vxlan-5001'], 'lladdr': '00:00:00:00:00:00',
                    'dst': '192.168.7.2'}]


def test_commands_run_in_the_namespace():
    seen = []

    class R:
        returncode, stdout, stderr = 0, 'ok', ''

    def runner(argv, **kw):
        seen.append(argv)
        return R()
    net = linux_net.LinuxNet('ns1', runner=runner)
    assert net.run(['iptables-save']) == 'ok'
    assert seen == [['ip', 'netns', 'exec', 'ns1', 'iptables-save']]
    assert linux_net.LinuxNet(None).argv(['x']) == ['x']


def test_dnsmasq_hosts_and_args(tmp_path):
    ports = [{'mac_address': 'fa:16:3e:00:00:02', 'ips': ['fd00::2', '10.0.0.2']},
             {'mac_address': 'fa:16:3e:00:00:01', 'ips': ['10.0.0.3']}]
    assert dhcp.hosts_lines(ports, 'novalocal') == [
        'fa:16:3e:00:00:01,host-10-0-0-3.novalocal,10.0.0.3',
        'fa:16:3e:00:00:02,host-10-0-0-2.novalocal,10.0.0.2']
    d = dhcp.Dnsmasq(str(tmp_path), None)
    argv = d.argv({'id': 'n1'}, 'brq1', {'cidr': '10.0.0.0/24'}, d._paths('n1'))
    assert '--interface=brq1' in argv and '--port=0' in argv
    assert '--dhcp-range=set:net0,10.0.0.0,static,255.255.255.0,86400s' in argv
    opts = d.opts_lines({'mtu': 1450}, {'gateway_ip': '10.0.0.1', 'dns_nameservers': ['1.1.1.1']})
    assert opts == ['tag:net0,option:router,10.0.0.1', 'tag:net0,option:dns-server,1.1.1.1',
                    'tag:net0,option:mtu,1450']
