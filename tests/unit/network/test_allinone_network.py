"""The all-in-one's network out of the box: the default networks made on
first start (iaas.network.bootstrap), the host-only public bridge and the
masquerade of project traffic leaving through the host's other interfaces."""
from unittest import mock

import pytest

from iaas.db import networks as db
from iaas.db import routers as db_routers
from iaas.network import bootstrap, firewall, manager
from tests.unit.conductor.direct import direct_conductor
from tests.unit.network.test_firewall import STATE


def test_masquerade_chain_comes_first_in_postrouting():
    state = dict(STATE, masquerade={'keep': ['br-iaas', 'brq+'],
                                    'sources': ['10.0.0.0/24', '10.1.0.0/24']})
    nat = {k: [' '.join(r) for r in v] for k, v in firewall.build(state)['nat'].items()}
    # ahead of the floating IP's SNAT: a guest with a floating IP going out
    # the host's uplink takes the uplink's address, not its floating one
    assert nat['iaas-POSTROUTING'][0] == '-j iaas-masquerade'
    assert nat['iaas-POSTROUTING'][1] == '-s 10.0.0.5/32 -j SNAT --to-source 172.24.4.10'
    assert nat['iaas-masquerade'] == ['-o br-iaas -j RETURN', '-o brq+ -j RETURN',
                                      '-s 10.0.0.0/24 -j MASQUERADE',
                                      '-s 10.1.0.0/24 -j MASQUERADE']
    assert 'iaas-masquerade' not in firewall.build(STATE)['nat']
    assert 'iaas-masquerade' not in firewall.build(
        dict(STATE, masquerade={'keep': ['br-iaas'], 'sources': []}))['nat']


def _allinone(conf):
    for k, v in {'manage_host_networking': True, 'public_interface': 'br-iaas',
                 'public_bridge_address': '172.24.4.1/24', 'create_default_networks': True,
                 'default_private_cidr': '10.90.0.0/24'}.items():
        conf.set_override(k, v, group='network')


def _admin(monkeypatch, project='admin-p'):
    monkeypatch.setattr(bootstrap.db_identity, 'project_get_by_name',
                        lambda name, domain: {'id': project})
    monkeypatch.setattr(bootstrap, 'host_overlaps', lambda nets, ours: [])


def test_first_start_makes_the_layout_once(conf, sqlite_db, monkeypatch, tmp_path):
    _allinone(conf)
    _admin(monkeypatch)
    bootstrap.first_start('pw')
    nets = {n['name']: n for n in db.network_list()}
    assert set(nets) == {'public', 'private'}
    assert nets['public']['external'] and not nets['public']['shared']
    assert nets['public']['bridge'] == 'br-iaas'
    (pub_sub,) = db.subnet_list(network_id=nets['public']['id'])
    assert (pub_sub['cidr'], pub_sub['gateway_ip'], pub_sub['enable_dhcp']) == \
        ('172.24.4.0/24', '172.24.4.1', False)
    (priv_sub,) = db.subnet_list(network_id=nets['private']['id'])
    assert (priv_sub['cidr'], priv_sub['gateway_ip'], priv_sub['enable_dhcp']) == \
        ('10.90.0.0/24', '10.90.0.1', True)
    assert nets['private']['project_id'] == 'admin-p'
    assert nets['private']['bridge'].startswith('brq')
    (router,) = db_routers.router_list('admin-p')
    assert router['name'] == 'router1'
    assert router['external_gateway_info']['network_id'] == nets['public']['id']
    group = db.ensure_default_group('admin-p')
    opened = {(r['protocol'], r['port_range_min']) for r in group['security_group_rules']
              if r['direction'] == 'ingress' and not r['remote_group_id']}
    assert opened == {('icmp', None), ('tcp', 22)}
    # a floating IP from public reaches a port on private (through router1)
    port = db.port_create(nets['private']['id'], project_id='admin-p', device_id='vm1')
    fip = db.floatingip_create(nets['public']['id'], 'admin-p', port_id=port['id'])
    assert fip['floating_ip_address'].startswith('172.24.4.')
    assert fip['router_id'] == router['id']
    assert (tmp_path / 'state' / bootstrap.MARKER).exists()

    # a second start makes nothing; nor after the operator deleted something
    db.floatingip_delete(fip['id'])
    db.port_delete(port['id'])
    db_routers.remove_interface(router['id'], 'admin-p', subnet_id=priv_sub['id'])
    db_routers.router_delete(router['id'])
    bootstrap.first_start('pw')
    assert db_routers.router_list('admin-p') == []


def test_create_defaults_is_idempotent(conf, sqlite_db):
    _allinone(conf)
    first = bootstrap.create_defaults('p1')
    again = bootstrap.create_defaults('p1')
    assert {k: v['id'] for k, v in first.items()} == {k: v['id'] for k, v in again.items()}
    assert len(db.network_list()) == 2 and len(db.subnet_list()) == 2
    rules = db.ensure_default_group('p1')['security_group_rules']
    assert len([r for r in rules if r['protocol'] == 'tcp']) == 1


def test_nothing_made_over_the_hosts_own_ranges(conf, sqlite_db, monkeypatch, capsys):
    _allinone(conf)
    _admin(monkeypatch)
    monkeypatch.setattr(bootstrap, 'host_overlaps',
                        lambda nets, ours: ['10.90.0.7/16 dev eth0'])
    bootstrap.first_start('pw')
    assert db.network_list() == []
    assert '10.90.0.7/16 dev eth0' in capsys.readouterr().out


@pytest.mark.parametrize('opts', [{'create_default_networks': False},
                                  {'public_bridge_address': None}])
def test_nothing_made_unless_configured(conf, sqlite_db, monkeypatch, opts):
    _allinone(conf)
    _admin(monkeypatch)
    for k, v in opts.items():
        conf.set_override(k, v, group='network')
    bootstrap.first_start('pw')
    assert db.network_list() == []


def test_host_overlaps_reads_this_namespace():
    """Loopback's 127.0.0.1/8 overlaps 127.1.0.0/16; a link we own is skipped."""
    assert bootstrap.host_overlaps([bootstrap.ipaddress.ip_network('127.1.0.0/16')]) == \
        ['127.0.0.1/8 dev lo']
    assert bootstrap.host_overlaps([bootstrap.ipaddress.ip_network('127.1.0.0/16')],
                                   lambda dev: dev == 'lo') == []


def test_manager_makes_the_public_bridge_and_masquerades(conf, sqlite_db):
    _allinone(conf)
    bootstrap.create_defaults('p1')
    net = mock.MagicMock()
    net.run.return_value = ''
    net.links.return_value = {}
    net.addresses.side_effect = lambda dev: [('172.24.4.1', 24)] if dev == 'br-iaas' else []
    m = manager.NetworkManager('h1', net=net, metadata_proxy=mock.MagicMock())
    m.conductor = direct_conductor('h1', 'network')
    m.dhcp = mock.MagicMock()
    m.dhcp.running.return_value = []
    m.dhcp.leases.return_value = []
    m.sync()
    net.ensure_bridge.assert_any_call('br-iaas')
    net.ensure_address.assert_any_call('br-iaas', '172.24.4.1', 24)
    (restore,) = [c.args[1] for c in net.run.call_args_list
                  if c.args[0][0] == 'iptables-restore']
    assert '-A iaas-POSTROUTING -j iaas-masquerade' in restore
    assert '-A iaas-masquerade -o br-iaas -j RETURN' in restore
    assert '-A iaas-masquerade -o brq+ -j RETURN' in restore
    assert '-A iaas-masquerade -s 10.90.0.0/24 -j MASQUERADE' in restore
    # towards the public range itself: the bridge's address (as before)
    assert ('-s 10.90.0.0/24 ! -d 10.90.0.0/24 -o br-iaas -j SNAT --to-source 172.24.4.1'
            in restore)
