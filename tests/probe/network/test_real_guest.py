"""A real TCG guest (the libvirt driver of #6, the busybox test image) on a
project network served by iaas-network in a namespace: it gets its fixed IP
from our dnsmasq, a namespace guest on the same network pings it, and the
"external" namespace reaches it through a floating IP.

libvirt plugs guests into root-namespace bridges only, so the test makes a
root bridge with the network's bridge name (per-run prefix, no address, no
uplink) joined by a veth to the bridge iaas-network made in its namespace.
"""
import shutil
import subprocess
import uuid

import pytest

from tests.probe.fixtures import Cloud
from tests.probe.libvirt.conftest import (  # noqa: F401  (fixtures)
    guest_env,
    libvirtd,
    libvirtd_running,
    test_image,
    wait_for,
)
from tests.probe.libvirt.test_driver_guests import drv  # noqa: F401  (fixture)
from tests.probe.network.netns import Topology, rpc_call, sh
from tests.probe.network.test_netns_single_host import Neutron, _iptables_rules

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not shutil.which('dnsmasq') or not shutil.which('busybox'),
                                 reason='needs dnsmasq and busybox')]
BOOT = 150


@pytest.fixture
def topo(tmp_path):
    t = Topology(tmp_path)
    root_links = []
    t.root_links = root_links
    yield t
    t.cleanup()
    for name in root_links:
        subprocess.run(['ip', 'link', 'del', name], capture_output=True)


def test_real_guest_dhcp_and_floating_ip(tmp_path, topo, drv, guest_env):  # noqa: F811
    host, ext = topo.ns('host'), topo.ns('ext')
    topo.veth(host, 'pub0', ext, 'eth0')
    topo.addr(host, 'pub0', '172.24.5.1/24')
    topo.addr(ext, 'eth0', '172.24.5.254/24')
    cloud = Cloud.create(tmp_path, sections={'network': {
        'network_manager': 'flat_dhcp', 'netns': host, 'dnsmasq_user': 'root',
        'public_interface': 'pub0', 'bridge_prefix': topo.prefix}})
    try:
        cloud.start('iaas-api')
        cloud.start('iaas-network', wait_port=False)
        topo.wait('iaas-network', lambda: any('iaas-FORWARD' in x
                                              for x in _iptables_rules(topo, host)))
        neutron = Neutron(cloud)
        project = cloud.openstack('token', 'issue')['project_id']
        net = neutron('POST', '/networks', {'network': {'name': 'vmnet'}})['network']
        neutron('POST', '/subnets', {'subnet': {'network_id': net['id'],
                                                'cidr': '10.95.0.0/24'}})
        pub = neutron('POST', '/networks', {'network': {
            'name': 'public', 'router:external': True}})['network']
        neutron('POST', '/subnets', {'subnet': {
            'network_id': pub['id'], 'cidr': '172.24.5.0/24', 'gateway_ip': None,
            'enable_dhcp': False,
            'allocation_pools': [{'start': '172.24.5.10', 'end': '172.24.5.20'}]}})
        vm = {'uuid': str(uuid.uuid4()), 'display_name': 'netvm', 'hostname': 'netvm',
              'vcpus': 1, 'memory_mb': 128, 'root_gb': 1, 'project_id': project,
              'user_id': 'u', 'image_ref': 'img-busybox', 'flavor': {'name': 'probe.nano'}}
        nw_info = rpc_call(cloud.config_file, 'allocate_for_instance',
                           instance_uuid=vm['uuid'], host='probe', project_id=project,
                           requested_networks=[{'uuid': net['id']}])
        vif = nw_info[0]
        bridge = vif['network']['bridge']
        assert bridge.startswith(topo.prefix) and len(bridge) <= 15
        # the root-namespace side libvirt can plug into
        sh('ip', 'link', 'add', bridge, 'type', 'bridge')
        topo.root_links.append(bridge)
        sh('ip', 'link', 'add', f'{topo.prefix}r', 'type', 'veth', 'peer', 'name',
           f'{topo.prefix}u')
        topo.root_links.append(f'{topo.prefix}r')
        sh('ip', 'link', 'set', f'{topo.prefix}u', 'netns', host)
        sh('ip', 'link', 'set', f'{topo.prefix}r', 'master', bridge, 'up')
        sh('ip', 'link', 'set', bridge, 'up')
        topo.run(host, 'ip', 'link', 'set', f'{topo.prefix}u', 'master', bridge, 'up')

        drv.spawn(None, vm, {'id': 'img-busybox'}, network_info=nw_info)
        fixed = vif['ips'][0]
        line = wait_for(lambda: next((x for x in drv.get_console_output(None, vm).splitlines()
                                      if 'IAAS-TEST-IMAGE-DHCP' in x), None),
                        BOOT, interval=1, what='DHCP line on the console')
        assert line.strip().endswith(f'eth0 {fixed}'), line

        # a namespace guest in the same project network and default group
        nic2 = rpc_call(cloud.config_file, 'allocate_for_instance', instance_uuid='ns-peer',
                        host='probe', project_id=project,
                        requested_networks=[{'uuid': net['id']}])[0]
        peer = topo.guest('peer', host, nic2)
        assert topo.dhcp(peer) == nic2['ips'][0]
        assert topo.reach(peer, fixed, timeout=30)

        # floating IP + an ICMP rule: reachable from outside
        default = next(g for g in neutron('GET', '/security-groups')['security_groups']
                       if g['name'] == 'default' and g['project_id'] == project)
        fip = neutron('POST', '/floatingips', {'floatingip': {
            'floating_network_id': pub['id'], 'port_id': vif['id']}})['floatingip']
        faddr = fip['floating_ip_address']
        assert topo.unreachable(ext, faddr)          # the default group keeps it out
        neutron('POST', '/security-group-rules', {'security_group_rule': {
            'security_group_id': default['id'], 'direction': 'ingress',
            'protocol': 'icmp', 'remote_ip_prefix': '0.0.0.0/0'}})
        assert topo.reach(ext, faddr, timeout=30)
        drv.destroy(None, vm)
        rpc_call(cloud.config_file, 'deallocate_for_instance', instance_uuid=vm['uuid'],
                 host='probe')
        assert topo.unreachable(ext, faddr)
    finally:
        cloud.stop_all()
