"""Two compute "hosts" carry one project network over VXLAN, and their real
guests ping each other.

Each host is a network namespace with its own iaas-network (segmented
manager, multi_host, VXLAN on a veth underlay between the two namespaces;
only h1 serves the gateway and DHCP) and its own compute driver (a
LibvirtDriver per host name; both talk to this machine's libvirtd). The
busybox test image gets its lease (h2's guest from h1's dnsmasq, across the
segment) and, told a peer in its server metadata (``ping``), prints
``IAAS-TEST-IMAGE-PING <peer> ok`` once that peer answers.

Test plumbing, not product: libvirt plugs guests into root-namespace
bridges, so each host gets a root bridge of its own name (run prefix, no
address) joined by a veth to the bridge iaas-network made in that host's
namespace, and its guest's VIF names that root bridge. The only layer-2
path between the two root bridges is h1's bridge → VXLAN → h2's bridge.
"""
import shutil
import uuid

import pytest

from iaas.compute.virt.libvirt.driver import LibvirtDriver
from tests.probe.libvirt.conftest import (  # noqa: F401  (fixtures)
    guest_env,
    libvirtd,
    libvirtd_running,
    test_image,
    wait_for,
)
from tests.probe.libvirt.test_driver_guests import drv  # noqa: F401  (fixture)
from tests.probe.network.hosts import two_hosts
from tests.probe.network.netns import rpc_call

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not shutil.which('dnsmasq') or not shutil.which('busybox'),
                                 reason='needs dnsmasq and busybox')]
BOOT = 180


def on_bridge(nw_info, bridge):
    """The VIFs as iaas-network gave them, plugged into root bridge ``bridge``."""
    out = []
    for vif in nw_info:
        vif = dict(vif, bridge=bridge)
        vif['network'] = dict(vif['network'], bridge=bridge)
        out.append(vif)
    return out


def console_line(driver, vm, marker):
    return wait_for(lambda: next((x[x.index(marker):].strip()
                                  for x in driver.get_console_output(None, vm).splitlines()
                                  if marker in x), None),
                    BOOT, interval=1, what=f'{marker} on {vm["display_name"]}')


def test_guests_on_two_hosts_ping_over_vxlan(tmp_path, topo, drv):  # noqa: F811
    with two_hosts(tmp_path, topo, '192.168.78', '6000:6010', host1='h1',
                   bridge_prefix=topo.prefix) as hosts:
        h1, h2, neutron, project = hosts.h1, hosts.h2, hosts.neutron, hosts.project
        cloud = hosts.cloud
        net = neutron('POST', '/networks', {'network': {'name': 'spread'}})['network']
        assert net['provider:network_type'] == 'vxlan'
        vni = net['provider:segmentation_id']
        neutron('POST', '/subnets', {'subnet': {'network_id': net['id'],
                                                'cidr': '10.98.0.0/24'}})
        # each host's compute driver, its guest and its ports (bound to it)
        drivers = {'h1': drv, 'h2': LibvirtDriver('h2')}
        drivers['h2'].cache.fetcher = drv.cache.fetcher
        vms, nics = {}, {}
        for host in ('h1', 'h2'):
            vms[host] = {'uuid': str(uuid.uuid4()), 'display_name': f'vm-{host}',
                         'hostname': f'vm-{host}', 'vcpus': 1, 'memory_mb': 128,
                         'root_gb': 1, 'project_id': project, 'user_id': 'u',
                         'image_ref': 'img-busybox', 'flavor': {'name': 'probe.nano'}}
            nics[host] = rpc_call(cloud.config_file, 'allocate_for_instance',
                                  instance_uuid=vms[host]['uuid'], host=host,
                                  project_id=project, requested_networks=[{'uuid': net['id']}])
        ips = {h: nics[h][0]['ips'][0] for h in nics}
        for host, ns in (('h1', h1), ('h2', h2)):
            # the segment reached this host: its own bridge holds the VXLAN link
            links = topo.run(ns, 'ip', '-d', 'link', 'show', f'vxlan-{vni}').stdout
            assert f'vxlan id {vni}' in links and f'master {nics[host][0]["bridge"]}' in links
            root = topo.root_bridge(f'{topo.prefix}b{host[1]}', ns, nics[host][0]['bridge'])
            peer = ips['h2' if host == 'h1' else 'h1']
            vms[host]['metadata'] = {'ping': peer}
            drivers[host].spawn(None, vms[host], {'id': 'img-busybox'},
                                network_info=on_bridge(nics[host], root))
        for host in ('h1', 'h2'):
            assert console_line(drivers[host], vms[host], 'IAAS-TEST-IMAGE-DHCP') == \
                f'IAAS-TEST-IMAGE-DHCP eth0 {ips[host]}'
        for host in ('h1', 'h2'):
            peer = ips['h2' if host == 'h1' else 'h1']
            assert console_line(drivers[host], vms[host], 'IAAS-TEST-IMAGE-PING') == \
                f'IAAS-TEST-IMAGE-PING {peer} ok'
        # the traffic crossed the segment: h2's VXLAN link carried packets
        stats = topo.run(h2, 'ip', '-s', 'link', 'show', f'vxlan-{vni}').stdout.split('\n')
        rx = int(stats[stats.index(next(x for x in stats if 'RX:' in x)) + 1].split()[1])
        assert rx > 0, stats
        for host in ('h1', 'h2'):
            drivers[host].destroy(None, vms[host])
            rpc_call(cloud.config_file, 'deallocate_for_instance',
                     instance_uuid=vms[host]['uuid'], host=host)
        drivers['h2'].cleanup_host()
