"""The network page (only when the catalog has 'network'): the project's
networks with their subnets (create a network with one subnet, delete),
floating IPs (allocate from an external network, associate to a server's
port, disassociate, release), security groups and their rules
(:mod:`iaas.dashboard.secgroups`).

Every id a form or a path names is loaded through the API first and must
be the session's project's: anything else (another project's, a shared or
external network, a refusal) is our 404, so the page never reveals whether
someone else's resource exists."""
import ipaddress
from urllib.parse import quote

from iaas import wsgi
from iaas.cli.errors import APIError
from iaas.dashboard import render

NOT_FOUND = 'Not found: it does not exist, or it is not yours.'


def net_cloud(req):
    c = render.cloud(req)
    if not c.has('network'):
        raise wsgi.NotFound('This cloud has no network service.')
    return c


def qid(value):
    return quote(render.check_id(value), safe='')


def own(req, item):
    """``item`` if the session's project owns it, else 404."""
    if not isinstance(item, dict) or item.get('project_id') != render.sess(req).get(
            'project_id'):
        raise wsgi.NotFound(NOT_FOUND)
    return item


def fetch(req, c, collection, key, ident):
    """``GET /<collection>/<id>`` of the project, or our 404 (a 403 too: the
    API's refusal must not tell another project's id from a missing one)."""
    try:
        item = c.network.get(f'/{collection}/{qid(ident)}').json()[key]
    except APIError as exc:
        if exc.status in (403, 404):
            raise wsgi.NotFound(NOT_FOUND) from None
        raise
    return own(req, item)


def _mine(req, items):
    pid = render.sess(req).get('project_id')
    return [i for i in items if i.get('project_id') == pid]


def _servers(c):
    try:
        return c.compute.get('/servers/detail', params={'limit': 200}).json()['servers']
    except APIError:
        return []


def _rule_text(r, group_names):
    proto = r.get('protocol') or 'any'
    lo, hi = r.get('port_range_min'), r.get('port_range_max')
    if proto in ('icmp', 'ipv6-icmp'):
        ports = '–' if lo is None else f'type {lo}' + ('' if hi is None else f' code {hi}')
    elif lo is None and hi is None:
        ports = 'any'
    else:
        ports = str(lo) if lo == hi or hi is None else f'{lo}–{hi}'
    if r.get('remote_group_id'):
        remote = 'group ' + group_names.get(r['remote_group_id'], r['remote_group_id'])
    else:
        remote = r.get('remote_ip_prefix') or 'any'
    return {'id': r['id'], 'direction': r.get('direction'), 'ethertype': r.get('ethertype'),
            'protocol': proto, 'ports': ports, 'remote': remote}


def data(req, c):
    """What the page shows (networks, external networks, floating IPs, groups)."""
    nets = c.network.get('/networks').json()['networks']
    subnets = c.network.get('/subnets').json()['subnets']
    by_net = {}
    for s in subnets:
        by_net.setdefault(s.get('network_id'), []).append(s)
    networks = [dict(n, subnet_list=sorted(by_net.get(n['id'], []),
                                           key=lambda s: s.get('cidr') or ''))
                for n in sorted(_mine(req, nets), key=lambda n: n.get('name') or '')]
    external = sorted((n for n in nets if n.get('router:external')),
                      key=lambda n: n.get('name') or '')
    servers = _servers(c)
    names = {s['id']: s.get('name') or s['id'] for s in servers}
    ports = {p['id']: p for p in _mine(req, c.network.get('/ports').json()['ports'])}
    fips = []
    for f in _mine(req, c.network.get('/floatingips').json()['floatingips']):
        device = (ports.get(f.get('port_id')) or {}).get('device_id')
        fips.append({'id': f['id'], 'address': f.get('floating_ip_address'),
                     'fixed': f.get('fixed_ip_address'), 'status': f.get('status'),
                     'associated': bool(f.get('port_id')), 'server_id': device,
                     'server': names.get(device) or device})
    groups = sorted(_mine(req, c.network.get('/security-groups').json()['security_groups']),
                    key=lambda g: (g.get('name') != 'default', g.get('name') or ''))
    group_names = {g['id']: g.get('name') or g['id'] for g in groups}
    for g in groups:
        g['rules'] = [_rule_text(r, group_names) for r in g.get('security_group_rules') or []]
    return {'networks': networks, 'external': external, 'fips': fips, 'groups': groups,
            'targets': fip_targets(servers, ports.values())}


def fip_targets(servers, ports):
    """[{port_id, label}]: every port of the project's running or stopped
    instances, labelled with the instance and the port's fixed addresses, so a
    floating IP can go to any port of a multi-homed instance."""
    by_device = {}
    for p in ports:
        by_device.setdefault(p.get('device_id'), []).append(p)
    out = []
    for s in servers:
        if s.get('status') not in ('ACTIVE', 'SHUTOFF'):
            continue
        name = s.get('name') or s['id']
        own = sorted(by_device.get(s['id'], []), key=lambda p: p.get('id') or '')
        for p in own:
            ips = ', '.join(f.get('ip_address') or '' for f in p.get('fixed_ips') or [])
            out.append({'port_id': p['id'],
                        'label': f'{name} ({ips})' if ips else f'{name} (port {p["id"][:8]})'})
    return out


def index(req, status=200, values=None):
    c = net_cloud(req)
    return render.page(req, 'network.html', status=status, values=values or {},
                       **data(req, c))


def refuse(req, message, values):
    """The page again, 400, with ``message`` and the form as it was sent."""
    render.sess(req).flash(message, 'error')
    return index(req, 400, values)


# --- networks and subnets -----------------------------------------------------------------

NETWORK_FIELDS = ('name', 'cidr', 'gateway_ip', 'enable_dhcp')


def _subnet_body(values):
    """The subnet of a new network from the form, or an error message."""
    try:
        cidr = ipaddress.ip_network(values['cidr'].strip(), strict=False)
    except ValueError:
        return None, 'Give a CIDR such as 10.0.0.0/24.'
    if cidr.num_addresses < 4:
        return None, 'The CIDR is too small for a subnet.'
    body = {'cidr': str(cidr), 'ip_version': cidr.version,
            'enable_dhcp': bool(values['enable_dhcp'])}
    gateway = values['gateway_ip'].strip()
    if gateway:
        try:
            gw = ipaddress.ip_address(gateway)
        except ValueError:
            return None, 'The gateway is not an IP address.'
        if gw not in cidr or gw in (cidr.network_address, cidr.broadcast_address):
            return None, f'The gateway must be an address inside {cidr}.'
        body['gateway_ip'] = str(gw)
    return body, None


def network_create(req):
    c = net_cloud(req)
    values = {k: render.form(req, k) for k in NETWORK_FIELDS}
    name = values['name'].strip()
    if not name:
        return refuse(req, 'Give the network a name.', values)
    subnet, error = _subnet_body(values)
    if error:
        return refuse(req, error, values)
    with render.flash_errors(req) as state:
        net = c.network.post('/networks', json={'network': {'name': name}}).json()['network']
    if not state['ok']:
        return index(req, 400, values)
    subnet.update(network_id=net['id'], name=f'{name}-subnet')
    with render.flash_errors(req) as state:
        c.network.post('/subnets', json={'subnet': subnet})
    if not state['ok']:
        try:    # no network left without the subnet the user asked for
            c.network.delete(f'/networks/{qid(net["id"])}')
        except APIError:
            pass
        return index(req, 400, values)
    return render.redirect(req, '/network', f'Network {name} created ({subnet["cidr"]}).')


def network_delete(req, network_id):
    c = net_cloud(req)
    net = fetch(req, c, 'networks', 'network', network_id)
    with render.flash_errors(req) as state:
        c.network.delete(f'/networks/{qid(net["id"])}')
    if state['ok']:
        render.sess(req).flash(f'Network {net.get("name") or net["id"]} deleted.')
    return render.redirect(req, '/network')


# --- floating IPs -------------------------------------------------------------------------

def fip_allocate(req):
    c = net_cloud(req)
    ext_id = render.form(req, 'floating_network_id', maximum=64)
    if not ext_id:
        return refuse(req, 'Choose an external network.', {})
    try:
        net = c.network.get(f'/networks/{qid(ext_id)}').json()['network']
    except APIError as exc:
        if exc.status in (403, 404):
            raise wsgi.NotFound(NOT_FOUND) from None
        raise
    if not net.get('router:external'):
        raise wsgi.NotFound('No such external network.')
    with render.flash_errors(req) as state:
        f = c.network.post('/floatingips', json={'floatingip': {
            'floating_network_id': net['id']}}).json()['floatingip']
    if not state['ok']:
        return render.redirect(req, '/network')
    return render.redirect(req, '/network',
                           f'Floating IP {f.get("floating_ip_address")} allocated.')


def _fip(req, c, floatingip_id):
    return fetch(req, c, 'floatingips', 'floatingip', floatingip_id)


def fip_associate(req, floatingip_id):
    """To the chosen port (``port_id``, one of the project's), or to the
    first port of ``server_id``."""
    c = net_cloud(req)
    fip = _fip(req, c, floatingip_id)
    port_id = render.form(req, 'port_id', maximum=64)
    server_id = render.form(req, 'server_id', maximum=64)
    if port_id:
        port = fetch(req, c, 'ports', 'port', port_id)
        if not port.get('device_id'):
            return refuse(req, 'That port is not attached to an instance.', {})
    elif server_id:
        ports = _mine(req, c.network.get('/ports', params={
            'device_id': render.check_id(server_id)}).json()['ports'])
        if not ports:
            raise wsgi.NotFound('That instance has no port of yours.')
        port = ports[0]
    else:
        return render.redirect(req, '/network', 'Choose an instance.', 'error')
    with render.flash_errors(req) as state:
        c.network.put(f'/floatingips/{qid(fip["id"])}',
                      json={'floatingip': {'port_id': port['id']}})
    if state['ok']:
        render.sess(req).flash(f'Floating IP {fip.get("floating_ip_address")} associated.')
    return render.redirect(req, '/network')


def fip_disassociate(req, floatingip_id):
    c = net_cloud(req)
    fip = _fip(req, c, floatingip_id)
    with render.flash_errors(req) as state:
        c.network.put(f'/floatingips/{qid(fip["id"])}', json={'floatingip': {'port_id': None}})
    if state['ok']:
        render.sess(req).flash(f'Floating IP {fip.get("floating_ip_address")} disassociated.')
    return render.redirect(req, '/network')


def fip_release(req, floatingip_id):
    c = net_cloud(req)
    fip = _fip(req, c, floatingip_id)
    with render.flash_errors(req) as state:
        c.network.delete(f'/floatingips/{qid(fip["id"])}')
    if state['ok']:
        render.sess(req).flash(f'Floating IP {fip.get("floating_ip_address")} released.')
    return render.redirect(req, '/network')


def add_routes(router):
    router.add('GET', '/network', index)
    router.add('POST', '/network/networks', network_create)
    router.add('POST', '/network/networks/{network_id}/delete', network_delete)
    router.add('POST', '/network/floatingips', fip_allocate)
    router.add('POST', '/network/floatingips/{floatingip_id}/associate', fip_associate)
    router.add('POST', '/network/floatingips/{floatingip_id}/disassociate', fip_disassociate)
    router.add('POST', '/network/floatingips/{floatingip_id}/release', fip_release)
