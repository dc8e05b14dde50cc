"""The network page over HTTP against the session's all-in-one cloud:
networks with a subnet (create, delete, the API's refusal while ports
remain), security groups and rules (create, delete, bad values a 400),
floating IPs from an external network the admin makes (allocate,
associate to a server's port, disassociate, release); another user gets
404 on every id, the network API confirming each change."""
import html
import uuid

from tests.functional.dashboard.test_sessions import loc
from tests.probe.compute.helpers import deadline_poll


def _net(api, token, path):
    return api.call('network', 'GET', '/v2.0' + path, token)


def external_network(dash_cloud, cidr):
    """An external network with a subnet, made by the admin: its id."""
    api = dash_cloud.api
    net = api.admin('network', 'POST', '/v2.0/networks', expect=201, json={'network': {
        'name': f'ext-{uuid.uuid4().hex[:6]}', 'router:external': True}}).json()['network']
    api.admin('network', 'POST', '/v2.0/subnets', expect=201, json={'subnet': {
        'network_id': net['id'], 'cidr': cidr, 'ip_version': 4, 'enable_dhcp': False}})
    return net


def add_victim_network(dash_cloud, v, cidr='203.0.113.64/26'):
    """The route matrix's victim: a security group with a rule, a floating IP."""
    api = dash_cloud.api
    g = api.call('network', 'POST', '/v2.0/security-groups', v.token, 201, json={
        'security_group': {'name': 'victim-sg'}}).json()['security_group']
    r = api.call('network', 'POST', '/v2.0/security-group-rules', v.token, 201, json={
        'security_group_rule': {'security_group_id': g['id'], 'direction': 'ingress',
                                'protocol': 'tcp', 'port_range_min': 22,
                                'port_range_max': 22}}).json()['security_group_rule']
    ext = external_network(dash_cloud, cidr)
    f = api.call('network', 'POST', '/v2.0/floatingips', v.token, 201, json={
        'floatingip': {'floating_network_id': ext['id']}}).json()['floatingip']
    v.resources.update(security_group_id=g['id'], rule_id=r['id'], floatingip_id=f['id'])


def _page(user):
    r = user.get('/network')
    assert r.status_code == 200, r.text[:500]
    return html.unescape(r.text)


def test_network_create_delete(dash_cloud, user, other_user):
    api = dash_cloud.api
    user.login()
    page = _page(user)
    assert 'href="/network"' in page and 'for="net-cidr"' in page
    assert 'name="csrf_token"' in page
    assert f'{user.name}-net' in page and '10.7.0.0/24' in page
    r = user.post('/network/networks', {'name': 'web', 'cidr': '10.20.0.0/24',
                                        'gateway_ip': '10.20.0.1', 'enable_dhcp': 'on'},
                  form_page='/network')
    assert r.status_code == 303 and loc(r) == '/network', r.text[:500]
    assert 'Network web created (10.20.0.0/24).' in _page(user)
    net = [n for n in _net(api, user.token, '/networks?name=web').json()['networks']][0]
    subs = _net(api, user.token, f'/subnets?network_id={net["id"]}').json()['subnets']
    assert [(s['cidr'], s['gateway_ip'], s['enable_dhcp']) for s in subs] == [
        ('10.20.0.0/24', '10.20.0.1', True)]

    for bad, message in (({'cidr': 'not-a-cidr'}, 'Give a CIDR'),
                         ({'cidr': '10.21.0.0/24', 'gateway_ip': '10.99.0.1'}, 'inside'),
                         ({'cidr': '10.21.0.0/24', 'gateway_ip': 'x'}, 'not an IP'),
                         ({'cidr': '10.21.0.0/31'}, 'too small'),
                         ({'cidr': '10.21.0.0/24', 'name': ' '}, 'a name')):
        r = user.post('/network/networks', {'name': 'bad', **bad}, form_page='/network')
        assert r.status_code == 400 and message in html.unescape(r.text), (bad, r.text[:300])
    assert not _net(api, user.token, '/networks?name=bad').json()['networks']

    other_user.login()
    assert '10.20.0.0' not in _page(other_user)
    assert other_user.post(f'/network/networks/{net["id"]}/delete', {},
                           form_page='/network').status_code == 404
    # an external network is visible to all, deletable by none of them: 404 too
    ext = external_network(dash_cloud, '198.51.100.0/28')
    r = other_user.post(f'/network/networks/{ext["id"]}/delete', {}, form_page='/network')
    assert r.status_code == 404 and 'disallowed' not in r.text

    # A port remains: the API's refusal is a message, the network stays.
    port = api.call('network', 'POST', '/v2.0/ports', user.token, 201, json={'port': {
        'network_id': net['id']}}).json()['port']
    r = user.post(f'/network/networks/{net["id"]}/delete', {}, form_page='/network')
    assert r.status_code == 303
    assert '<p class="flash error"' in user.get('/network').text
    assert _net(api, user.token, f'/networks/{net["id"]}').status_code == 200
    api.call('network', 'DELETE', f'/v2.0/ports/{port["id"]}', user.token, 204)
    r = user.post(f'/network/networks/{net["id"]}/delete', {}, form_page='/network')
    assert r.status_code == 303 and 'Network web deleted.' in _page(user)
    assert _net(api, user.token, f'/networks/{net["id"]}').status_code == 404


def _group(api, user, name):
    groups = _net(api, user.token, f'/security-groups?name={name}').json()['security_groups']
    return groups[0] if groups else None


def test_security_groups_and_rules(dash_cloud, user, other_user):
    api = dash_cloud.api
    user.login()
    r = user.post('/network/security-groups', {'name': 'web-sg', 'description': 'web'},
                  form_page='/network')
    assert r.status_code == 303 and loc(r) == '/network'
    g = _group(api, user, 'web-sg')
    assert g and g['description'] == 'web'
    r = user.post(f'/network/security-groups/{g["id"]}/rules', {
        'direction': 'ingress', 'protocol': 'tcp', 'port_range_min': '22',
        'port_range_max': '22', 'remote_ip_prefix': '0.0.0.0/0'}, form_page='/network')
    assert r.status_code == 303, r.text[:500]
    rules = [x for x in _group(api, user, 'web-sg')['security_group_rules']
             if x['direction'] == 'ingress']
    assert [(x['protocol'], x['port_range_min'], x['port_range_max'],
             x['remote_ip_prefix'], x['ethertype']) for x in rules] == [
        ('tcp', 22, 22, '0.0.0.0/0', 'IPv4')]
    rule_id = rules[0]['id']
    page = _page(user)
    assert 'Rule added to web-sg.' in page and f'id="rule-{rule_id}"' in page
    assert f'for="rule-{g["id"]}-remote"' in page

    base = {'direction': 'ingress', 'protocol': 'tcp', 'port_range_min': '80',
            'port_range_max': '80', 'remote_ip_prefix': ''}
    for bad, message in (({'port_range_min': 'x'}, 'lowest port'),
                         ({'port_range_max': '70000'}, 'highest port'),
                         ({'port_range_min': '90'}, 'above the highest'),
                         ({'remote_ip_prefix': '10.0.0.300/8'}, 'CIDR'),
                         ({'protocol': 'gre'}, 'protocol'),
                         ({'direction': 'sideways'}, 'direction'),
                         ({'protocol': 'any'}, 'no ports'),
                         ({'protocol': 'icmp', 'port_range_min': '300'}, 'ICMP type')):
        r = user.post(f'/network/security-groups/{g["id"]}/rules', {**base, **bad},
                      form_page='/network')
        assert r.status_code == 400 and message in html.unescape(r.text), (bad, r.text[:300])
    assert len(_group(api, user, 'web-sg')['security_group_rules']) == len(
        g['security_group_rules']) + 1

    other_user.login()
    assert 'web-sg' not in _page(other_user)
    for path in (f'/network/security-groups/{g["id"]}/rules',
                 f'/network/security-groups/{g["id"]}/delete',
                 f'/network/security-group-rules/{rule_id}/delete'):
        r = other_user.post(path, base, form_page='/network')
        assert r.status_code == 404, (path, r.status_code)
    assert len(_group(api, user, 'web-sg')['security_group_rules']) == len(
        g['security_group_rules']) + 1
    # a rule whose remote is a group (the project's default one)
    default = _group(api, user, 'default')
    r = user.post(f'/network/security-groups/{g["id"]}/rules',
                  {**base, 'remote_group_id': default['id'], 'remote_ip_prefix': '10.0.0.0/8'},
                  form_page='/network')
    assert r.status_code == 400 and 'not both' in r.text
    r = user.post(f'/network/security-groups/{g["id"]}/rules',
                  {**base, 'remote_group_id': default['id']}, form_page='/network')
    assert r.status_code == 303, r.text[:500]
    by_group = [x for x in _group(api, user, 'web-sg')['security_group_rules']
                if x.get('remote_group_id')]
    assert [(x['port_range_min'], x['remote_group_id']) for x in by_group] == [
        (80, default['id'])]
    assert 'group default' in _page(user)
    # another project's group as the remote: 404, nothing added
    theirs = _group(api, other_user, 'default')
    r = other_user.post(f'/network/security-groups/{theirs["id"]}/rules',
                        {**base, 'remote_group_id': g['id']}, form_page='/network')
    assert r.status_code == 404
    assert not [x for x in _group(api, other_user, 'default')['security_group_rules']
                if x.get('remote_group_id') == g['id']]

    r = user.post(f'/network/security-group-rules/{rule_id}/delete', {}, form_page='/network')
    assert r.status_code == 303 and 'Rule deleted.' in _page(user)
    assert _net(api, user.token, f'/security-group-rules/{rule_id}').status_code == 404
    r = user.post(f'/network/security-groups/{g["id"]}/delete', {}, form_page='/network')
    assert r.status_code == 303 and 'Security group web-sg deleted.' in _page(user)
    assert _group(api, user, 'web-sg') is None

    default = _group(api, user, 'default')
    r = user.post(f'/network/security-groups/{default["id"]}/delete', {},
                  form_page='/network')
    assert r.status_code == 303 and 'cannot be deleted' in _page(user)
    assert _group(api, user, 'default')
    r = user.post('/network/security-groups', {'name': 'default'}, form_page='/network')
    assert r.status_code == 400


def _server(dash_cloud, user, ext_id):
    """An ACTIVE server of ``user`` on its network, routed to ``ext_id``."""
    api, tok = dash_cloud.api, user.token
    sub = _net(api, tok, f'/subnets?network_id={user.resources["network_id"]}'
               ).json()['subnets'][0]
    router = api.call('network', 'POST', '/v2.0/routers', tok, 201, json={'router': {
        'name': 'r1', 'external_gateway_info': {'network_id': ext_id}}}).json()['router']
    api.call('network', 'PUT', f'/v2.0/routers/{router["id"]}/add_router_interface', tok,
             200, json={'subnet_id': sub['id']})
    flavor = api.call('compute', 'GET', '/v2.1/flavors', tok).json()['flavors'][0]['id']
    server = api.call('compute', 'POST', '/v2.1/servers', tok, 202, json={'server': {
        'name': 'fip-vm', 'imageRef': user.resources['image_id'], 'flavorRef': flavor,
        'networks': [{'uuid': user.resources['network_id']}]}}).json()['server']
    deadline_poll(lambda: api.call('compute', 'GET', f'/v2.1/servers/{server["id"]}', tok)
                  .json()['server']['status'] == 'ACTIVE', 60, what='server ACTIVE')
    return server['id']


def test_floating_ips(dash_cloud, user, other_user):
    api = dash_cloud.api
    ext = external_network(dash_cloud, '203.0.113.0/26')
    server_id = _server(dash_cloud, user, ext['id'])
    user.login()
    page = _page(user)
    assert f'<option value="{ext["id"]}">{ext["name"]}</option>' in page
    r = user.post('/network/floatingips', {'floating_network_id': ext['id']},
                  form_page='/network')
    assert r.status_code == 303, r.text[:500]
    fips = _net(api, user.token, '/floatingips').json()['floatingips']
    assert len(fips) == 1 and fips[0]['floating_network_id'] == ext['id']
    fip = fips[0]
    assert f'Floating IP {fip["floating_ip_address"]} allocated.' in _page(user)

    r = user.post(f'/network/floatingips/{fip["id"]}/associate', {'server_id': server_id},
                  form_page='/network')
    assert r.status_code == 303
    page = _page(user)
    assert 'associated.' in page, page[:3000]
    port = _net(api, user.token, f'/ports?device_id={server_id}').json()['ports'][0]
    assert _net(api, user.token, f'/floatingips/{fip["id"]}').json()[
        'floatingip']['port_id'] == port['id']
    assert f'href="/instances/{server_id}">fip-vm</a>' in page

    other_user.login()
    assert fip['floating_ip_address'] not in _page(other_user)
    for what in ('associate', 'disassociate', 'release'):
        r = other_user.post(f'/network/floatingips/{fip["id"]}/{what}',
                            {'server_id': server_id}, form_page='/network')
        assert r.status_code == 404, (what, r.status_code)
    # the other user's own floating IP onto the user's server: no port of theirs
    r = other_user.post('/network/floatingips', {'floating_network_id': ext['id']},
                        form_page='/network')
    assert r.status_code == 303
    theirs = _net(api, other_user.token, '/floatingips').json()['floatingips'][0]
    r = other_user.post(f'/network/floatingips/{theirs["id"]}/associate',
                        {'server_id': server_id}, form_page='/network')
    assert r.status_code == 404
    assert _net(api, user.token, f'/floatingips/{fip["id"]}').json()[
        'floatingip']['port_id'] == port['id']

    r = user.post(f'/network/floatingips/{fip["id"]}/disassociate', {}, form_page='/network')
    assert r.status_code == 303 and 'disassociated.' in _page(user)
    assert _net(api, user.token, f'/floatingips/{fip["id"]}').json()[
        'floatingip']['port_id'] is None
    # by port: the page offers each port of the instance, labelled with its address
    page = _page(user)
    fixed = port['fixed_ips'][0]['ip_address']
    assert f'<option value="{port["id"]}">fip-vm ({fixed})</option>' in page, page[:3000]
    r = other_user.post(f'/network/floatingips/{theirs["id"]}/associate',
                        {'port_id': port['id']}, form_page='/network')
    assert r.status_code == 404
    r = user.post(f'/network/floatingips/{fip["id"]}/associate', {'port_id': port['id']},
                  form_page='/network')
    assert r.status_code == 303 and 'associated.' in _page(user)
    assert _net(api, user.token, f'/floatingips/{fip["id"]}').json()[
        'floatingip']['port_id'] == port['id']
    r = user.post(f'/network/floatingips/{fip["id"]}/disassociate', {}, form_page='/network')
    assert r.status_code == 303
    r = user.post(f'/network/floatingips/{fip["id"]}/release', {}, form_page='/network')
    assert r.status_code == 303 and 'released.' in _page(user)
    assert _net(api, user.token, f'/floatingips/{fip["id"]}').status_code == 404
    # a network that is not external, or not a network: 404
    r = user.post('/network/floatingips', {'floating_network_id': user.resources[
        'network_id']}, form_page='/network')
    assert r.status_code == 404
    r = user.post('/network/floatingips', {'floating_network_id': '../x'},
                  form_page='/network')
    assert r.status_code == 404
