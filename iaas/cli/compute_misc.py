"""``iaas flavor list``, ``iaas keypair …``, ``iaas usage``."""
import datetime as dt
import os
import sys
from urllib.parse import quote

from iaas.cli import billing, output, resolve
from iaas.cli.errors import CLIError


def cmd_flavor_list(cloud, args):
    params = {'is_public': 'None'} if args.all else None
    flavors = list(resolve.nova_pages(cloud.compute, '/flavors/detail', 'flavors', params))
    headers = ['ID', 'Name', 'RAM', 'Disk', 'Ephemeral', 'VCPUs', 'Is Public']
    rows = [[f.get('id'), f.get('name'), f.get('ram'), f.get('disk'),
             f.get('OS-FLV-EXT-DATA:ephemeral', 0), f.get('vcpus'),
             f.get('os-flavor-access:is_public', True)] for f in flavors]
    prices = billing.flavor_prices(cloud)
    if prices is not None:             # a cloud with a rating service
        headers.append('Price/hour')
        for row in rows:
            row.append(billing.price_of(prices, row[1]))
    output.print_list(args, headers, rows)


def write_private_key(path, key):
    """Write ``key`` to ``path`` with mode 0600 (the file is replaced)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(key)
        os.chmod(path, 0o600)
    except OSError as exc:
        raise CLIError(f'cannot write the private key to {path}: {exc.strerror or exc}; '
                       f'it cannot be fetched again') from None


def _keypair_view(kp, args=None):
    """The key pair without its private key; the (long) public key only in JSON."""
    keys = ['name', 'fingerprint', 'type', 'user_id']
    if args is None or (getattr(args, 'format', None) or 'table') != 'table':
        keys.append('public_key')
    return {k: kp.get(k) for k in keys if k in kp}


def cmd_keypair_create(cloud, args):
    if args.private_key_file and os.path.exists(args.private_key_file):
        raise CLIError(f'{args.private_key_file} already exists; not overwriting a key file')
    kp = cloud.compute.post('/os-keypairs',
                            json={'keypair': {'name': args.name}}).json()['keypair']
    private = kp.get('private_key')
    fmt = getattr(args, 'format', None) or 'table'
    if args.private_key_file:
        if not private:
            raise CLIError('the compute API returned no private key')
        write_private_key(args.private_key_file, private)
        print(f'private key written to {args.private_key_file} (mode 0600)', file=sys.stderr)
        output.print_dict(args, _keypair_view(kp, args))
    elif fmt == 'json':
        output.print_dict(args, {**_keypair_view(kp), 'private_key': private})
    else:
        # As openstackclient: the private key (shown once) is the output.
        print(private or '', end='' if (private or '').endswith('\n') else '\n')


def cmd_keypair_import(cloud, args):
    try:
        with open(args.public_key) as f:
            public = f.read().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise CLIError(f'cannot read public key {args.public_key}: '
                       f'{getattr(exc, "strerror", None) or exc}') from None
    kp = cloud.compute.post('/os-keypairs', json={'keypair': {
        'name': args.name, 'public_key': public}}).json()['keypair']
    output.print_dict(args, _keypair_view(kp, args))


def cmd_keypair_list(cloud, args):
    pairs = [p.get('keypair', p) for p in resolve.nova_pages(cloud.compute, '/os-keypairs',
                                                              'keypairs')]
    output.print_list(args, ['Name', 'Fingerprint', 'Type'],
                      [[p.get('name'), p.get('fingerprint'), p.get('type', 'ssh')]
                       for p in pairs])


def cmd_keypair_show(cloud, args):
    output.print_dict(args, _keypair_view(resolve.keypair(cloud.compute, args.name), args))


def cmd_keypair_delete(cloud, args):
    for name in args.name:
        cloud.compute.delete(f'/os-keypairs/{quote(name, safe="")}')


def parse_date(value, what):
    for fmt in ('%Y-%m-%d', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%dT%H:%M:%SZ',
                '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S.%f'):
        try:
            return dt.datetime.strptime(value, fmt)
        except ValueError:
            continue
    raise CLIError(f'{what}: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS, got {value!r}')


def cmd_usage(cloud, args):
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    if args.meters:             # billing's view: every meter, this month by default
        default_start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        default_end = now
    else:
        default_start, default_end = now - dt.timedelta(weeks=4), now + dt.timedelta(days=1)
    start = parse_date(args.start, '--start') if args.start else default_start
    end = parse_date(args.end, '--end') if args.end else default_end
    if end <= start:
        raise CLIError('--end must be after --start')
    project = args.project or cloud.session.project_id
    if not project:
        raise CLIError('the token is not scoped to a project; give --project')
    if args.meters:
        return billing.usage_by_meter(cloud, args, project, start, end)
    fmt = '%Y-%m-%dT%H:%M:%S.%f'
    usage = cloud.compute.get(f'/os-simple-tenant-usage/{quote(project, safe="")}',
                              params={'start': start.strftime(fmt),
                                      'end': end.strftime(fmt)}).json()
    usage = usage.get('tenant_usage') or {}
    servers = usage.get('server_usages') or []
    data = {'Project': project,
            'Start': usage.get('start') or start.strftime('%Y-%m-%dT%H:%M:%S'),
            'End': usage.get('stop') or end.strftime('%Y-%m-%dT%H:%M:%S'),
            'Servers': len(servers),
            'CPU Hours': round(float(usage.get('total_vcpus_usage') or 0), 2),
            'RAM MB-Hours': round(float(usage.get('total_memory_mb_usage') or 0), 2),
            'Disk GB-Hours': round(float(usage.get('total_local_gb_usage') or 0), 2),
            'Server Hours': round(float(usage.get('total_hours') or 0), 2)}
    if args.servers:
        output.print_list(args, ['Server', 'Name', 'State', 'Hours', 'VCPUs', 'RAM MB',
                                 'Disk GB', 'Started', 'Ended'],
                          [[s.get('instance_id'), s.get('name'), s.get('state'),
                            round(float(s.get('hours') or 0), 2), s.get('vcpus'),
                            s.get('memory_mb'), s.get('local_gb'), s.get('started_at'),
                            s.get('ended_at')] for s in servers])
    else:
        output.print_dict(args, data)


def register(sub, command):
    p = command(sub, 'flavor', 'flavors')
    ss = p.add_subparsers(dest='action', metavar='ACTION', required=True)
    c = command(ss, 'list', 'list flavors', cmd_flavor_list)
    c.add_argument('--all', action='store_true', help='public and private flavors (admin)')

    p = command(sub, 'keypair', 'SSH key pairs')
    ss = p.add_subparsers(dest='action', metavar='ACTION', required=True)
    c = command(ss, 'create', 'generate a key pair (the private key is returned once)',
                cmd_keypair_create)
    c.add_argument('name')
    c.add_argument('--private-key-file', metavar='FILE',
                   help='write the private key here (mode 0600) instead of printing it')
    c = command(ss, 'import', 'import a public key', cmd_keypair_import)
    c.add_argument('name')
    c.add_argument('--public-key', required=True, metavar='FILE',
                   help='public key file, e.g. ~/.ssh/id_ed25519.pub')
    command(ss, 'list', 'list key pairs', cmd_keypair_list)
    c = command(ss, 'show', 'show a key pair', cmd_keypair_show)
    c.add_argument('name')
    c = command(ss, 'delete', 'delete key pairs', cmd_keypair_delete)
    c.add_argument('name', nargs='+')

    c = command(sub, 'usage', "usage of the project's servers over a period "
                              "(default: the last 4 weeks)", cmd_usage)
    c.add_argument('--start', help='start date, YYYY-MM-DD[THH:MM:SS] UTC')
    c.add_argument('--end', help='end date, YYYY-MM-DD[THH:MM:SS] UTC (default tomorrow)')
    c.add_argument('--project', help="project ID (default: the token's project; others "
                                     "need admin)")
    c.add_argument('--servers', action='store_true', help='one row per server')
    c.add_argument('--meters', action='store_true',
                   help='every billed meter (servers, volumes, images, objects, floating '
                        'IPs, traffic) per day from the rating service; default period: '
                        'this month to now')
    c.add_argument('--by', choices=('day', 'resource'), default='day',
                   help='with --meters: one row per day and meter (default) or per '
                        'resource and meter')
    c.add_argument('--type', dest='resource_type', metavar='RESOURCE_TYPE',
                   help='with --meters: only this resource type (instance, volume, ...)')
