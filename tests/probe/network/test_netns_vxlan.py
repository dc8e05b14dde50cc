"""Two "hosts" (namespaces, each with its own iaas-network and bridge) carry
one project network over VXLAN on a veth underlay: a guest on each host
gets its lease from the gateway host's dnsmasq and they ping each other."""
import shutil

import pytest

from tests.probe.network.hosts import two_hosts
from tests.probe.network.netns import rpc_call

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not shutil.which('dnsmasq') or not shutil.which('busybox'),
                                 reason='needs dnsmasq and busybox')]


def test_vxlan_between_two_hosts(tmp_path, topo):
    with two_hosts(tmp_path, topo, '192.168.77', '5000:5010') as hosts:
        h1, h2, neutron, project = hosts.h1, hosts.h2, hosts.neutron, hosts.project
        cloud = hosts.cloud
        net = neutron('POST', '/networks', {'network': {'name': 'spread'}})['network']
        assert net['provider:network_type'] == 'vxlan'
        vni = net['provider:segmentation_id']
        assert 5000 <= vni <= 5010
        neutron('POST', '/subnets', {'subnet': {'network_id': net['id'],
                                                'cidr': '10.93.0.0/24'}})
        nics = {}
        for name, host in (('g1', 'probe'), ('g2', 'h2')):
            nics[name] = rpc_call(cloud.config_file, 'allocate_for_instance',
                                  instance_uuid=f'inst-{name}', host=host, project_id=project,
                                  requested_networks=[{'uuid': net['id']}])[0]
        g1 = topo.guest('g1', h1, nics['g1'])
        g2 = topo.guest('g2', h2, nics['g2'])
        # each host's bridge holds the segment; only h1 holds the gateway
        for ns in (h1, h2):
            links = topo.run(ns, 'ip', '-d', 'link', 'show', f'vxlan-{vni}').stdout
            assert f'vxlan id {vni}' in links and f'master {nics["g1"]["bridge"]}' in links
        assert '10.93.0.1/24' in topo.run(h1, 'ip', 'addr').stdout
        assert '10.93.0.1/24' not in topo.run(h2, 'ip', 'addr').stdout
        # g2's lease comes from h1's dnsmasq, across the VXLAN segment
        ip1, ip2 = nics['g1']['ips'][0], nics['g2']['ips'][0]
        assert topo.dhcp(g1) == ip1
        assert topo.dhcp(g2) == ip2
        assert topo.reach(g1, ip2) and topo.reach(g2, ip1)
        assert topo.reach(g2, '10.93.0.1')       # h1's gateway, over VXLAN
        # h2's own chains filter what arrives over the segment: the gateway
        # (not a member of the default group) cannot reach g2
        assert topo.unreachable(h1, ip2)
