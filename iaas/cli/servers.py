"""``iaas server …``"""
import base64
from urllib.parse import quote

from iaas.cli import output, resolve, wait
from iaas.cli.errors import APIError, CLIError
from iaas.cli.images import show_image

POWER_STATES = {0: 'NOSTATE', 1: 'Running', 3: 'Paused', 4: 'Shutdown', 6: 'Crashed',
                7: 'Suspended'}


def networks_cell(addresses):
    parts = []
    for net, addrs in sorted((addresses or {}).items()):
        ips = ', '.join(a.get('addr', '') for a in addrs or [] if isinstance(a, dict))
        parts.append(f'{net}={ips}')
    return '; '.join(parts)


def image_id_of(server):
    img = server.get('image')
    return img.get('id') if isinstance(img, dict) else None


def flavor_cell(server, flavor_names=None):
    flv = server.get('flavor') or {}
    if flv.get('original_name'):
        return flv['original_name']
    return (flavor_names or {}).get(flv.get('id'), flv.get('id'))


def _image_names(cloud, servers):
    wanted = {image_id_of(s) for s in servers} - {None}
    if not wanted:
        return {}
    try:
        if len(wanted) == 1:
            (only,) = wanted
            return {only: cloud.image.get(f'/images/{quote(only, safe="")}').json().get(
                'name')}
        return {i['id']: i.get('name') for i in resolve.glance_pages(cloud.image)}
    except CLIError:
        return {}   # names are a nicety; the IDs are still shown


def _flavor_names(cloud, servers):
    if all((s.get('flavor') or {}).get('original_name') for s in servers):
        return {}
    try:
        return {f['id']: f.get('name')
                for f in resolve.nova_pages(cloud.compute, '/flavors/detail', 'flavors')}
    except CLIError:
        return {}


def details(cloud, server):
    """The server as shown by ``server show`` (table form)."""
    out = dict(server)
    img_id = image_id_of(server)
    if img_id:
        names = _image_names(cloud, [server])
        out['image'] = f'{names[img_id]} ({img_id})' if names.get(img_id) else img_id
    elif 'image' in server:
        out['image'] = 'N/A (booted from volume)'
    if 'flavor' in server:
        out['flavor'] = flavor_cell(server, _flavor_names(cloud, [server]))
    if 'addresses' in server:
        out['addresses'] = networks_cell(server['addresses'])
    if 'OS-EXT-STS:power_state' in server:
        ps = server['OS-EXT-STS:power_state']
        out['OS-EXT-STS:power_state'] = POWER_STATES.get(ps, ps)
    if isinstance(server.get('fault'), dict):
        out['fault'] = server['fault'].get('message')
    out.pop('links', None)
    return dict(sorted(out.items()))


def show_server(cloud, args, server):
    if (getattr(args, 'format', None) or 'table') == 'json':
        output.print_dict(args, server)
    else:
        output.print_dict(args, details(cloud, server))


def label(server):
    return f'server {server.get("name") or ""} ({server["id"]})'.replace('  ', ' ')


def cmd_list(cloud, args):
    params = {}
    if args.name:
        params['name'] = args.name
    if args.status:
        params['status'] = args.status.upper()
    if args.all_projects:
        params['all_tenants'] = 'True'
    if args.limit:
        params['limit'] = args.limit
    servers = list(resolve.nova_pages(cloud.compute, '/servers/detail', 'servers', params,
                                      limit=args.limit))
    images = _image_names(cloud, servers)
    flavors = _flavor_names(cloud, servers)
    headers = ['ID', 'Name', 'Status', 'Task State', 'Power State', 'Networks', 'Image',
               'Flavor']
    rows = []
    for s in servers:
        img = image_id_of(s)
        rows.append([s.get('id'), s.get('name'), s.get('status'),
                     s.get('OS-EXT-STS:task_state'),
                     POWER_STATES.get(s.get('OS-EXT-STS:power_state'),
                                      s.get('OS-EXT-STS:power_state')),
                     networks_cell(s.get('addresses')),
                     images.get(img) or img or '', flavor_cell(s, flavors)])
    output.print_list(args, headers, rows)


def cmd_show(cloud, args):
    show_server(cloud, args, resolve.server(cloud.compute, args.server))


def _networks(cloud, values):
    if not values:
        return 'auto' if cloud.compute.at_least(2, 37) else None
    lowered = [v.lower() for v in values]
    if 'auto' in lowered or 'none' in lowered:
        if len(values) > 1:
            raise CLIError('--network auto/none cannot be combined with other networks')
        return lowered[0]
    return [{'uuid': _network_id(cloud, v)} for v in values]


def _network_id(cloud, ref):
    """A network name or ID → its ID, through the network API when the
    catalog has one (else ``ref`` is passed on as an ID)."""
    if not cloud.session.has_service('network'):
        return ref
    return resolve.network(cloud.network, ref)['id']


def _read_user_data(path):
    try:
        with open(path, 'rb') as f:
            data = f.read()
    except OSError as exc:
        raise CLIError(f'cannot read user data {path}: {exc.strerror or exc}') from None
    return base64.b64encode(data).decode('ascii')


def _properties(values):
    out = {}
    for item in values or []:
        key, sep, value = item.partition('=')
        if not sep or not key:
            raise CLIError(f'--property expects KEY=VALUE, got {item!r}')
        out[key] = value
    return out


def cmd_create(cloud, args):
    img = resolve.image(cloud.image, args.image)
    flv = resolve.flavor(cloud.compute, args.flavor)
    body = {'name': args.name, 'imageRef': img['id'], 'flavorRef': flv['id'],
            'min_count': 1, 'max_count': 1}
    if args.key_name:
        body['key_name'] = args.key_name
    if args.user_data:
        body['user_data'] = _read_user_data(args.user_data)
    networks = _networks(cloud, args.network)
    if networks is not None:
        body['networks'] = networks
    if args.property:
        body['metadata'] = _properties(args.property)
    if args.availability_zone:
        body['availability_zone'] = args.availability_zone
    created = cloud.compute.post('/servers', json={'server': body}).json()['server']
    server_id = created['id']
    if args.wait:
        server = wait.server(cloud.compute, server_id, args, ('ACTIVE',),
                             label=f'server {args.name} ({server_id})')
    else:
        server = cloud.compute.get(f'/servers/{server_id}').json()['server']
    if created.get('adminPass') and 'adminPass' not in server:
        server['adminPass'] = created['adminPass']
    show_server(cloud, args, server)


def cmd_delete(cloud, args):
    servers = [resolve.server(cloud.compute, ref) for ref in args.server]
    for s in servers:
        cloud.compute.delete(f'/servers/{s["id"]}')
    if args.wait:
        for s in servers:
            wait.server(cloud.compute, s['id'], args, None, label=label(s))


def _action(cloud, server, body):
    return cloud.compute.post(f'/servers/{server["id"]}/action', json=body)


def _simple_action(body, target):
    def run(cloud, args):
        servers = [resolve.server(cloud.compute, ref) for ref in args.server]
        for s in servers:
            _action(cloud, s, body(args))
        if args.wait:
            for s in servers:
                wait.server(cloud.compute, s['id'], args, target, label=label(s))
    return run


cmd_stop = _simple_action(lambda args: {'os-stop': None}, ('SHUTOFF',))
cmd_start = _simple_action(lambda args: {'os-start': None}, ('ACTIVE',))
cmd_reboot = _simple_action(
    lambda args: {'reboot': {'type': 'HARD' if args.hard else 'SOFT'}}, ('ACTIVE',))


def cmd_console_log(cloud, args):
    server = resolve.server(cloud.compute, args.server)
    req = {} if args.lines is None else {'length': args.lines}
    out = _action(cloud, server, {'os-getConsoleOutput': req}).json().get('output') or ''
    if (getattr(args, 'format', None) or 'table') == 'json':
        output.print_dict(args, {'output': out})
    else:
        print(out, end='' if out.endswith('\n') or not out else '\n')


def cmd_snapshot(cloud, args):
    server = resolve.server(cloud.compute, args.server)
    body = {'createImage': {'name': args.image_name}}
    if args.property:
        body['createImage']['metadata'] = _properties(args.property)
    resp = _action(cloud, server, body)
    image_id = None
    try:
        image_id = resp.json().get('image_id')
    except ValueError:
        pass
    if not image_id and resp.headers.get('Location'):
        image_id = resp.headers['Location'].rstrip('/').rsplit('/', 1)[-1]
    if not image_id:
        raise CLIError('the compute API accepted the snapshot but did not say which image '
                       'it is creating')
    if args.wait:
        img = wait.snapshot(cloud.compute, cloud.image, server['id'], image_id, args,
                            label=f'image {args.image_name} ({image_id})')
        wait.server(cloud.compute, server['id'], args,
                    ('ACTIVE', 'SHUTOFF', 'PAUSED', 'SUSPENDED'), label=label(server))
    else:
        try:
            img = cloud.image.get(f'/images/{quote(image_id)}').json()
        except APIError:
            img = {'id': image_id, 'name': args.image_name}
    show_image(args, img)


def register(sub, command):
    p = command(sub, 'server', 'servers (virtual machines)')
    ss = p.add_subparsers(dest='action', metavar='ACTION', required=True)

    c = command(ss, 'list', 'list servers', cmd_list)
    c.add_argument('--name', help='only servers whose name matches (a regex)')
    c.add_argument('--status', help='only servers in this status (e.g. ACTIVE)')
    c.add_argument('--all-projects', action='store_true', help='every project (admin)')
    c.add_argument('--limit', type=int, help='at most this many servers')

    c = command(ss, 'show', 'show one server', cmd_show)
    c.add_argument('server', help='server name or ID')

    c = command(ss, 'create', 'create a server', cmd_create)
    c.add_argument('name', help='name of the new server')
    c.add_argument('--image', required=True, help='image name or ID')
    c.add_argument('--flavor', required=True, help='flavor name or ID')
    c.add_argument('--key-name', help='key pair to inject')
    c.add_argument('--user-data', metavar='FILE', help='user data file (cloud-init)')
    c.add_argument('--network', action='append', metavar='auto|none|NETWORK',
                   help='network: "auto", "none" or a network ID or name (repeatable); '
                        'default auto')
    c.add_argument('--property', action='append', metavar='KEY=VALUE',
                   help='server metadata (repeatable)')
    c.add_argument('--availability-zone', help='availability zone')
    _wait_args(c)

    c = command(ss, 'delete', 'delete servers', cmd_delete)
    c.add_argument('server', nargs='+', help='server name or ID')
    _wait_args(c)

    for name, func, text in (('stop', cmd_stop, 'stop (power off) servers'),
                             ('start', cmd_start, 'start stopped servers'),
                             ('reboot', cmd_reboot, 'reboot servers')):
        c = command(ss, name, text, func)
        c.add_argument('server', nargs='+', help='server name or ID')
        if name == 'reboot':
            c.add_argument('--hard', action='store_true', help='hard reboot (power cycle)')
        _wait_args(c)

    c = command(ss, 'console-log', "print the server's console output", cmd_console_log)
    c.add_argument('server', help='server name or ID')
    c.add_argument('--lines', type=int, help='only the last N lines')

    c = command(ss, 'snapshot', 'snapshot a server into a new image', cmd_snapshot)
    c.add_argument('server', help='server name or ID')
    c.add_argument('image_name', metavar='IMAGE_NAME', help='name of the new image')
    c.add_argument('--property', action='append', metavar='KEY=VALUE',
                   help='image property (repeatable)')
    _wait_args(c)


def _wait_args(parser):
    parser.add_argument('--wait', action='store_true',
                        help='show progress and wait until the server settles')
    parser.add_argument('--timeout', type=float, default=wait.DEFAULT_TIMEOUT,
                        help='seconds to wait at most (default %(default)g)')
