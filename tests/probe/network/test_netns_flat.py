"""The flat manager: a bridge and a gateway, no dnsmasq; guests configure the
address network_info gives them (as a config drive would) and talk."""
import ipaddress
import shutil

import pytest

from tests.probe.fixtures import Cloud
from tests.probe.network.netns import rpc_call, sh
from tests.probe.network.test_netns_single_host import _iptables_rules

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not shutil.which('busybox'), reason='needs busybox')]


def test_flat_static_addresses(tmp_path, topo):
    host = topo.ns('host')
    cloud = Cloud.create(tmp_path, sections={'network': {'network_manager': 'flat',
                                                         'netns': host}})
    try:
        cloud.start('iaas-api')
        cloud.start('iaas-network', wait_port=False)
        topo.wait('iaas-network', lambda: any('iaas-FORWARD' in x
                                              for x in _iptables_rules(topo, host)))
        project = cloud.openstack('token', 'issue')['project_id']
        net = cloud.openstack('network', 'create', 'flatnet')
        cloud.openstack('subnet', 'create', '--network', 'flatnet', '--subnet-range',
                        '10.96.0.0/24', 'flatsub')
        guests = {}
        for name in ('f1', 'f2'):
            vif = rpc_call(cloud.config_file, 'allocate_for_instance',
                           instance_uuid=f'inst-{name}', host='probe', project_id=project,
                           requested_networks=[{'uuid': net['id']}])[0]
            assert vif['dhcp'] is False and vif['gateway'] == '10.96.0.1'
            sub = vif['network']['subnets'][0]
            assert sub['dhcp'] is False and sub['netmask'] == '255.255.255.0'
            g = topo.guest(name, host, vif)
            plen = ipaddress.ip_network(vif['cidr']).prefixlen
            topo.run(g, 'ip', 'addr', 'add', f'{vif["ips"][0]}/{plen}', 'dev', 'eth0')
            topo.run(g, 'ip', 'route', 'add', 'default', 'via', vif['gateway'])
            guests[name] = (g, vif['ips'][0])
        # no DHCP server anywhere in the host namespace
        assert sh('ip', 'netns', 'pids', host).stdout.split() == []
        assert not (cloud.state_path / 'networks' / 'probe' / net['id']).exists()
        (g1, ip1), (g2, ip2) = guests['f1'], guests['f2']
        assert topo.reach(g1, ip2) and topo.reach(g2, ip1)
        assert topo.reach(g1, '10.96.0.1')
    finally:
        cloud.stop_all()
