"""Without a netns and without manage_host_networking, iaas-network touches
nothing on the machine (an all-in-one process must not rewrite the firewall
of the host it runs on)."""
import pytest

from iaas.network import manager
from tests.unit.conductor.direct import direct_conductor


class Untouchable:
    def __getattr__(self, name):
        raise AssertionError(f'host-side call {name} without netns')


def test_no_host_side_work_by_default(conf, sqlite_db):
    m = manager.NetworkManager('h1', net=Untouchable())
    m.conductor = direct_conductor('h1', 'network')
    assert m.host_side is False
    m.init_host()
    m.sync()
    m.refresh(None)


@pytest.mark.parametrize('opts', [{'netns': 'some-ns'}, {'manage_host_networking': True}])
def test_host_side_work_when_asked(conf, opts):
    for k, v in opts.items():
        conf.set_override(k, v, group='network')
    assert manager.NetworkManager('h1', net=Untouchable()).host_side is True


def test_vlan_and_vxlan_segments_at_command_level(conf, sqlite_db):
    """This kernel has no 802.1q: the manager's VLAN path is checked on the
    calls it makes (VXLAN beside it)."""
    from unittest import mock

    from iaas.db import networks as db
    conf.set_override('netns', 'ns-x', group='network')
    conf.set_override('network_manager', 'flat', group='network')   # no dnsmasq here
    conf.set_override('vxlan_local_ip', '192.0.2.1', group='network')
    conf.set_override('vxlan_peers', ['192.0.2.2'], group='network')
    v = db.network_create('v', 'p1', segment_type='vlan', segment_id=101,
                          physical_interface='eth1')
    db.subnet_create(v['id'], '10.70.0.0/24', project_id='p1')
    x = db.network_create('x', 'p2', segment_type='vxlan', segment_id=5005)
    net = mock.MagicMock()
    net.run.return_value = ''
    net.links.return_value = {'brqstale': 'bridge', 'vxlan-9': 'vxlan', 'eth1': ''}
    net.addresses.return_value = []
    m = manager.NetworkManager('h1', net=net)
    m.conductor = direct_conductor('h1', 'network')
    m.sync()
    net.ensure_bridge.assert_any_call(v['bridge'], 1450)
    net.ensure_vlan.assert_called_once_with('eth1', 101, v['bridge'])
    net.ensure_vxlan.assert_called_once_with(5005, x['bridge'], local_ip='192.0.2.1',
                                             port=4789, dev=None, peers=['192.0.2.2'],
                                             mtu=1450)
    net.ensure_address.assert_any_call(v['bridge'], '10.70.0.1', 24)
    # links of networks that no longer exist go
    deleted = {c.args[0] for c in net.delete_link.call_args_list}
    assert deleted == {'brqstale', 'vxlan-9'}
    restore = [c for c in net.run.call_args_list if c.args[0][0] == 'iptables-restore']
    assert restore and '-I FORWARD 1 -j iaas-FORWARD' in restore[0].args[1]


def test_router_interface_gets_no_dhcp_entry(conf, sqlite_db):
    """A router's interface port holds the subnet's gateway address: the
    network's dnsmasq gets host entries for the other ports only."""
    from unittest import mock

    from iaas.db import networks as db
    from iaas.db import routers as db_routers
    conf.set_override('netns', 'ns-x', group='network')
    n = db.network_create('n', 'p1')
    sub = db.subnet_create(n['id'], '10.71.0.0/24', project_id='p1')
    vm = db.port_create(n['id'], project_id='p1', device_id='vm1')
    r = db_routers.router_create('p1')
    db_routers.add_interface(r['id'], 'p1', subnet_id=sub['id'])
    net = mock.MagicMock()
    net.run.return_value = ''
    net.links.return_value = {}
    net.addresses.return_value = []
    m = manager.NetworkManager('h1', net=net)
    m.conductor = direct_conductor('h1', 'network')
    m.dhcp = mock.MagicMock()
    m.dhcp.running.return_value = []
    m.dhcp.leases.return_value = []
    m.sync()
    (call,) = m.dhcp.ensure.call_args_list
    assert [p['id'] for p in call.args[3]] == [vm['id']]
