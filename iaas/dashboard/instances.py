"""Instances: the list (paginated; its rows refresh live through htmx
polling ``/instances/rows``), the launch form, one instance with its console
log, its serial console (xterm.js over the console proxy's websocket), and
the actions stop, start, reboot and delete (POST forms)."""
import base64
from urllib.parse import quote, urlencode, urlsplit

from iaas import wsgi
from iaas.cli import billing
from iaas.cli.errors import APIError, CLIError
from iaas.conf import CONF
from iaas.dashboard import render

# form action -> compute API action body
ACTIONS = {'stop': {'os-stop': None}, 'start': {'os-start': None},
           'reboot': {'reboot': {'type': 'SOFT'}}, 'hard-reboot': {'reboot': {'type': 'HARD'}},
           'confirm-resize': {'confirmResize': None}, 'revert-resize': {'revertResize': None}}
MAX_ROOT_GB = 16384
TRANSITIONAL = {'BUILD', 'REBOOT', 'HARD_REBOOT', 'RESIZE', 'REBUILD', 'MIGRATING'}
MAX_USER_DATA = 65535


def _page(req):
    """(servers, next marker, marker) of the page asked for."""
    limit = CONF.dashboard.page_size
    marker = req.GET.get('marker') or ''
    params = {'limit': limit}
    if marker:
        params['marker'] = render.check_id(marker)
    servers = render.cloud(req).compute.get('/servers/detail', params=params).json()[
        'servers']
    nxt = servers[-1]['id'] if len(servers) == limit else None
    return servers, nxt, marker


def _rows(servers):
    out = []
    for s in servers:
        addrs = [a.get('addr') for net in (s.get('addresses') or {}).values() for a in net]
        task = s.get('OS-EXT-STS:task_state')
        out.append({'id': s['id'], 'name': s.get('name') or s['id'],
                    'status': s.get('status'), 'task': task,
                    'busy': s.get('status') in TRANSITIONAL or bool(task),
                    'power': s.get('OS-EXT-STS:power_state'),
                    'flavor': (s.get('flavor') or {}).get('original_name')
                    or (s.get('flavor') or {}).get('id'),
                    'addresses': ', '.join(a for a in addrs if a), 'created': s.get('created')})
    return out


def index(req):
    servers, nxt, marker = _page(req)
    rows_url = '/instances/rows' + (f'?{urlencode({"marker": marker})}' if marker else '')
    return render.page(req, 'instances.html', rows=_rows(servers), next_marker=nxt,
                       marker=marker, rows_url=rows_url)


def rows(req):
    """The <tbody> of the list alone: what htmx polls."""
    servers, _nxt, marker = _page(req)
    rows_url = '/instances/rows' + (f'?{urlencode({"marker": marker})}' if marker else '')
    return render.page(req, '_instance_rows.html', rows=_rows(servers), rows_url=rows_url)


def _choices(req):
    """What the launch form offers: images, flavors (with hourly prices),
    networks, key pairs, security groups."""
    c = render.cloud(req)
    images = [i for i in c.image.get('/images', params={'limit': 200}).json()['images']
              if i.get('status') == 'active']
    flavors = c.compute.get('/flavors/detail').json()['flavors']
    prices = billing.flavor_prices(c) if c.has('rating') else None
    for f in flavors:
        f['price'] = billing.price_of(prices, f['name'])
    # The price column only when the price sheet prices some flavor.
    priced = any(f['price'] not in (None, '-') for f in flavors)
    networks = c.network.get('/networks').json()['networks']
    keypairs = [k['keypair']['name'] for k in c.compute.get('/os-keypairs').json()['keypairs']]
    project = render.sess(req).get('project_id')
    groups = [g for g in c.network.get('/security-groups').json()['security_groups']
              if g.get('project_id') in (project, None)]
    return {'images': sorted(images, key=lambda i: i.get('name') or ''),
            'flavors': sorted(flavors, key=lambda f: (f.get('vcpus', 0), f.get('ram', 0))),
            'networks': networks, 'keypairs': keypairs, 'groups': groups, 'priced': priced}


def new(req, status=200, values=None):
    return render.page(req, 'launch.html', status=status, values=values or {},
                       **_choices(req))


def create(req):
    p = req.POST
    values = {k: render.form(req, k) for k in ('name', 'image', 'flavor', 'network',
                                              'key_name')}
    values['groups'] = [g for g in p.getall('security_groups') if isinstance(g, str)][:20]
    values['user_data'] = render.form(req, 'user_data', maximum=MAX_USER_DATA)
    values['boot_volume'] = render.form(req, 'boot_volume', maximum=5) == 'yes'
    values['volume_size'] = render.form(req, 'volume_size', maximum=10).strip()
    if not values['name'].strip() or not values['image'] or not values['flavor']:
        render.sess(req).flash('Give a name, an image and a flavor.', 'error')
        return new(req, 400, values)
    server = {'name': values['name'].strip(), 'imageRef': values['image'],
              'flavorRef': values['flavor']}
    if values['boot_volume']:
        # the image written to a new volume the server boots from, deleted with it
        try:
            size = int(values['volume_size'] or 0)
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_ROOT_GB:
            render.sess(req).flash(f'Give the boot volume a size from 1 to {MAX_ROOT_GB} '
                                   f'GiB.', 'error')
            return new(req, 400, values)
        server['imageRef'] = ''
        server['block_device_mapping_v2'] = [{
            'boot_index': 0, 'uuid': values['image'], 'source_type': 'image',
            'destination_type': 'volume', 'volume_size': size,
            'delete_on_termination': True}]
    if values['network']:
        server['networks'] = [{'uuid': values['network']}]
    else:       # "Automatic": required from 2.37 (no NIC when the project has no network)
        server['networks'] = 'auto'
    if values['key_name']:
        server['key_name'] = values['key_name']
    if values['groups']:
        server['security_groups'] = [{'name': g} for g in values['groups']]
    if values['user_data']:
        server['user_data'] = base64.b64encode(values['user_data'].encode()).decode()
    try:
        created = render.cloud(req).compute.post('/servers', json={'server': server}).json()
    except APIError as exc:
        if exc.status in (401,) or exc.status >= 500:
            raise
        render.sess(req).flash(exc.api_message, 'error')
        return new(req, exc.status, values)
    if not created.get('server', {}).get('id'):
        raise wsgi.Fault('The compute API did not say which instance it made.', code=502)
    return render.redirect(req, '/instances',
                           f'Instance {server["name"]} is being launched.')


def show(req, server_id):
    c = render.cloud(req)
    sid = quote(render.check_id(server_id), safe='')
    server = c.compute.get(f'/servers/{sid}').json()['server']
    console = None
    try:
        console = c.compute.post(f'/servers/{sid}/action', json={
            'os-getConsoleOutput': {'length': 200}}).json().get('output')
    except (APIError, CLIError) as exc:
        if isinstance(exc, APIError) and exc.status in (401, 404):
            raise
        console = None
    row = _rows([server])[0]
    flavors = [] if row['status'] not in ('ACTIVE', 'SHUTOFF') else \
        c.compute.get('/flavors').json()['flavors']
    return render.page(req, 'instance.html', server=server, row=row, console=console,
                       metadata=server.get('metadata') or {}, flavors=flavors)


# The origin the console page's script may connect to (the proxy's), for
# the response's Content-Security-Policy (app.py).
CONSOLE_ORIGIN = 'iaas.dashboard.console_origin'
SERIAL = {'remote_console': {'protocol': 'serial', 'type': 'serial'}}


def console(req, server_id):
    """The serial console: a one-time URL from the compute API (the user's
    own token), opened by static/console.js with xterm.js."""
    c = render.cloud(req)
    sid = quote(render.check_id(server_id), safe='')
    server = c.compute.get(f'/servers/{sid}').json()['server']
    url = error = None
    try:
        url = c.compute.post(f'/servers/{sid}/remote-consoles', json=SERIAL, headers={
            'OpenStack-API-Version': 'compute 2.6'}).json()['remote_console']['url']
    except APIError as exc:
        if exc.status == 401 or exc.status == 404 or exc.status >= 500:
            raise
        error = exc.api_message
    if url:
        u = urlsplit(url)
        if u.scheme not in ('ws', 'wss') or not u.netloc:
            raise wsgi.Fault('The compute API gave a console URL that is not a websocket.',
                             code=502)
        req.environ[CONSOLE_ORIGIN] = f'{u.scheme}://{u.netloc}'
    return render.page(req, 'console.html', server=server, row=_rows([server])[0],
                       url=url, error=error)


def action(req, server_id):
    sid = quote(render.check_id(server_id), safe='')
    what = render.form(req, 'action', maximum=20)
    c = render.cloud(req)
    back = render.form(req, 'back', maximum=200)
    back = back if back.startswith('/instances') and not back.startswith('//') \
        else '/instances'
    with render.flash_errors(req) as state:
        if what == 'delete':
            c.compute.delete(f'/servers/{sid}')
            back = '/instances'
        elif what in ACTIONS:
            c.compute.post(f'/servers/{sid}/action', json=ACTIONS[what])
        elif what == 'snapshot':
            name = render.form(req, 'snapshot_name').strip() or f'{server_id}-snapshot'
            c.compute.post(f'/servers/{sid}/action', json={'createImage': {'name': name}})
        elif what == 'resize':
            flavor = render.check_id(render.form(req, 'flavor', maximum=64))
            c.compute.post(f'/servers/{sid}/action', json={'resize': {'flavorRef': flavor}})
        else:
            raise wsgi.BadRequest(f'Unknown action {what!r}.')
    if state['ok']:
        render.sess(req).flash(f'{what.replace("-", " ").capitalize()} requested.')
    return render.redirect(req, back)


def add_routes(router):
    router.add('GET', '/instances', index)
    router.add('POST', '/instances', create)
    router.add('GET', '/instances/rows', rows)
    router.add('GET', '/instances/new', new)
    router.add('GET', '/instances/{server_id}', show)
    router.add('GET', '/instances/{server_id}/console', console)
    router.add('POST', '/instances/{server_id}/action', action)
