"""Unmodified python-openstackclient against the network API of a real
iaas-api: network / subnet / port / floating ip / security group commands."""
import pytest
import requests

pytestmark = pytest.mark.slow


def test_openstack_network_workflow(cloud):
    os_ = cloud.openstack
    net = os_('network', 'create', 'net1')
    assert net['name'] == 'net1' and net['status'] == 'ACTIVE'
    sub = os_('subnet', 'create', '--network', 'net1', '--subnet-range', '10.9.0.0/24',
              '--dns-nameserver', '10.9.0.1', 'sub1')
    assert sub['cidr'] == '10.9.0.0/24' and sub['gateway_ip'] == '10.9.0.1'
    assert sub['network_id'] == net['id']
    nets = os_('network', 'list')
    row = next(n for n in nets if n['Name'] == 'net1')
    assert sub['id'] in row['Subnets']
    shown = os_('network', 'show', 'net1')
    assert shown['id'] == net['id']

    ext = os_('network', 'create', '--external', 'public')
    assert ext['router:external'] is True
    os_('subnet', 'create', '--network', 'public', '--subnet-range', '172.24.4.0/24',
        '--no-dhcp', 'public-sub')
    port = os_('port', 'create', '--network', 'net1', 'p1')
    # a floating IP reaches a port through a router, as in Neutron
    os_('router', 'create', 'r1')
    os_('router', 'set', '--external-gateway', 'public', 'r1', json_out=False)
    os_('router', 'add', 'subnet', 'r1', 'sub1', json_out=False)
    assert port['fixed_ips'][0]['ip_address'].startswith('10.9.0.')
    # besides p1: the router's interface on sub1 and its gateway port
    ports = {p['ID'] for p in os_('port', 'list')}
    router_ports = {p['ID'] for p in os_('port', 'list', '--router', 'r1')}
    assert len(router_ports) == 2 and port['id'] not in router_ports
    assert ports == {port['id']} | router_ports

    fip = os_('floating', 'ip', 'create', 'public')
    assert fip['floating_ip_address'].startswith('172.24.4.')
    os_('floating', 'ip', 'set', '--port', port['id'], fip['floating_ip_address'],
        json_out=False)
    fl = os_('floating', 'ip', 'list')
    assert fl[0]['Floating IP Address'] == fip['floating_ip_address']
    assert fl[0]['Fixed IP Address'] == port['fixed_ips'][0]['ip_address']
    assert fl[0]['Port'] == port['id']
    os_('floating', 'ip', 'unset', '--port', fip['floating_ip_address'], json_out=False)
    assert os_('floating', 'ip', 'list')[0]['Port'] is None

    sg = os_('security', 'group', 'create', 'web')
    assert sg['name'] == 'web'
    rule = os_('security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port',
               '22', 'web')
    assert rule['port_range_min'] == 22 and rule['port_range_max'] == 22
    assert rule['protocol'] == 'tcp' and rule['direction'] == 'ingress'
    rules = os_('security', 'group', 'rule', 'list', 'web')
    assert rule['id'] in [r['ID'] for r in rules]
    dup = os_('security', 'group', 'rule', 'create', '--protocol', 'tcp', '--dst-port',
              '22', 'web', check=False)
    assert dup.returncode != 0 and 'already exists' in dup.stderr
    groups = {g['Name'] for g in os_('security', 'group', 'list')}
    assert {'default', 'web'} <= groups
    os_('security', 'group', 'rule', 'delete', rule['id'], json_out=False)

    # Neutron's error format
    tok = os_('token', 'issue')['id']
    base = f'http://127.0.0.1:{cloud.ports["network_port"]}/v2.0'
    r = requests.get(f'{base}/networks/nope', headers={'X-Auth-Token': tok}, timeout=10)
    assert r.status_code == 404
    assert r.json()['NeutronError']['type'] == 'NetworkNotFound'
    r = requests.post(f'{base}/networks', json={'network': {'bogus': 1}},
                      headers={'X-Auth-Token': tok}, timeout=10)
    assert r.status_code == 400 and 'bogus' in r.json()['NeutronError']['message']
    r = requests.get(f'{base}/networks', timeout=10)
    assert r.status_code == 401

    # a member of another project: sees the external network, not net1; may
    # take a floating IP from it, and cannot touch net1 or the admin's port
    os_('project', 'create', 'proj-n')
    os_('user', 'create', '--password', 'nina-pass-1', 'nina')
    os_('role', 'add', '--project', 'proj-n', '--user', 'nina', 'member', json_out=False)
    nina = cloud.env(username='nina', password='nina-pass-1', project='proj-n')
    seen = {n['Name'] for n in os_('network', 'list', env=nina)}
    assert 'public' in seen and 'net1' not in seen
    assert os_('network', 'show', 'net1', env=nina, check=False,
               json_out=False).returncode != 0
    assert os_('port', 'list', env=nina) == []
    nfip = os_('floating', 'ip', 'create', 'public', env=nina)
    assert [f['ID'] for f in os_('floating', 'ip', 'list', env=nina)] == [nfip['id']]
    assert os_('floating', 'ip', 'set', '--port', port['id'], nfip['floating_ip_address'],
               env=nina, check=False, json_out=False).returncode != 0
    nnet = os_('network', 'create', 'nina-net', env=nina)
    assert nnet['project_id'] != net['project_id']
    assert os_('network', 'create', '--external', 'nope', env=nina, check=False,
               json_out=False).returncode != 0
    assert {g['Name'] for g in os_('security', 'group', 'list', env=nina)} == {'default'}

    r = os_('network', 'delete', 'net1', check=False, json_out=False)
    assert r.returncode != 0          # the port is still there
    os_('port', 'delete', 'p1', json_out=False)
    os_('floating', 'ip', 'delete', fip['floating_ip_address'], json_out=False)
    # the router's interface holds the network too (409 until it is removed)
    assert os_('network', 'delete', 'net1', check=False, json_out=False).returncode != 0
    os_('router', 'remove', 'subnet', 'r1', 'sub1', json_out=False)
    os_('network', 'delete', 'net1', json_out=False)
    assert 'net1' not in {n['Name'] for n in os_('network', 'list')}
