"""Two "hosts" for multi-host network probes: namespaces h1 and h2 joined
by a veth underlay, each with its own iaas-network (segmented, multi_host,
VXLAN to the other; only h1 serves gateways and DHCP)."""
import contextlib
import types

from tests.probe.fixtures import Cloud
from tests.probe.network.test_netns_single_host import Neutron, _iptables_rules


@contextlib.contextmanager
def two_hosts(tmp_path, topo, underlay, segment_range, host1='probe', **network):
    """``underlay``: the first three octets of the underlay /24 (h1 is .1,
    h2 .2); ``network``: more [network] options for both hosts. Yields
    (cloud, h1, h2, neutron, project); the daemons stop on exit."""
    h1, h2 = topo.ns('h1'), topo.ns('h2')
    topo.veth(h1, 'under0', h2, 'under0')
    topo.addr(h1, 'under0', f'{underlay}.1/24')
    topo.addr(h2, 'under0', f'{underlay}.2/24')
    common = dict({'network_manager': 'segmented', 'dnsmasq_user': 'root',
                   'multi_host': True, 'segment_range': segment_range}, **network)
    cloud = Cloud.create(tmp_path, host=host1, sections={'network': dict(
        common, netns=h1, vxlan_local_ip=f'{underlay}.1', vxlan_peers=f'{underlay}.2')})
    cfg2 = cloud.host_config('h2', sections={'network': dict(
        common, netns=h2, vxlan_local_ip=f'{underlay}.2', vxlan_peers=f'{underlay}.1',
        serve_gateway=False)})
    try:
        cloud.start('iaas-api')
        cloud.start('iaas-network', wait_port=False)
        cloud.start('iaas-network', wait_port=False, config_file=cfg2, key='net-h2')
        for ns in (h1, h2):
            topo.wait(f'iaas-network in {ns}', lambda ns=ns: any(
                'iaas-FORWARD' in x for x in _iptables_rules(topo, ns)))
        yield types.SimpleNamespace(cloud=cloud, h1=h1, h2=h2, neutron=Neutron(cloud),
                                    project=cloud.openstack('token', 'issue')['project_id'])
    finally:
        cloud.stop_all()
