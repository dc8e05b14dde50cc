"""``iaas invoice …``, ``iaas budget …``, ``iaas cost`` and the prices shown
by ``iaas flavor list``: the rating API (catalog type ``rating``)."""
import datetime as dt
import os
import sys
from decimal import Decimal
from urllib.parse import quote

from iaas.cli import output
from iaas.cli.errors import APIError, CLIError, api_error

FORMATS = ('pdf', 'csv', 'json')


def _project(cloud, args):
    project = getattr(args, 'project', None) or cloud.session.project_id
    if not project:
        raise CLIError('the token is not scoped to a project; give --project')
    return quote(project, safe='')


def _period(value):
    if value is None:
        return dt.datetime.now(dt.timezone.utc).strftime('%Y-%m')
    try:
        dt.datetime.strptime(value, '%Y-%m')
    except ValueError:
        raise CLIError(f'a month is YYYY-MM, got {value!r}') from None
    return value


def flavor_prices(cloud):
    """{flavor name: 'price currency'} of a running hour, or None when the
    cloud has no rating service (or it does not answer)."""
    try:
        rows = cloud.rating.get('/v1/prices', params={
            'meter': 'instance.running', 'history': 'false'}).json()['prices']
    except (CLIError, APIError, KeyError, ValueError):
        return None
    now = dt.datetime.now(dt.timezone.utc).strftime('%Y-%m-%dT%H:%M:%S')
    current = {}
    for r in sorted(rows, key=lambda r: r['effective_from']):
        if r['effective_from'][:19] <= now:
            current[r['price_key']] = f"{r['unit_price']} {r['currency']}"
    return current


def price_of(prices, flavor_name):
    if prices is None:
        return None
    return prices.get(flavor_name) or prices.get('*') or '-'


def cmd_cost(cloud, args):
    """This month's cost to date and forecast, with the budget if any."""
    project = _project(cloud, args)
    period = _period(args.month)
    inv = cloud.rating.get(f'/v1/projects/{project}/invoices/{period}').json()['invoice']
    data = {'Project': inv['project_id'], 'Month': inv['period'], 'State': inv['state'],
            'Currency': inv['currency'], 'Subtotal': inv['subtotal'], 'Tax': inv['tax'],
            'Total': inv['total']}
    if inv.get('forecast'):
        data['Forecast total'] = inv['forecast']['total']
    resp = cloud.rating.get(f'/v1/projects/{project}/budget', expect_error=True)
    if resp.status_code == 200:
        b = resp.json()['budget']
        data['Budget'] = f"{b['amount']} ({b['percent']} % spent"
        data['Budget'] += ', enforced)' if b['enforce'] else ')'
    output.print_dict(args, data)


def _usage_rows(cloud, project, start, end, resource_type):
    fmt = '%Y-%m-%dT%H:%M:%S'
    params = {'start': start.strftime(fmt), 'end': end.strftime(fmt), 'bucket': 'day',
              'limit': 10000, 'offset': 0}
    if resource_type:
        params['resource_type'] = resource_type
    while True:
        body = cloud.rating.get(f'/v1/projects/{quote(project, safe="")}/usage',
                                params=params).json()
        yield from body['usage']
        if body.get('next_offset') is None:
            return
        params['offset'] = body['next_offset']


def usage_by_meter(cloud, args, project, start, end):
    """``iaas usage --meters``: billed quantities per day (or per resource)
    and meter, summed from the rating service's usage rows."""
    if end - start > dt.timedelta(days=93):
        raise CLIError('a usage range is at most 93 days')
    by_resource = args.by == 'resource'
    totals = {}
    for row in _usage_rows(cloud, project, start, end, args.resource_type):
        key = ((row['resource_type'], row['resource_id']) if by_resource
               else (row['start'][:10],)) + (row['meter'], row['unit'])
        totals[key] = totals.get(key, Decimal(0)) + Decimal(str(row['quantity']))
    head = ['Type', 'Resource'] if by_resource else ['Day']
    output.print_list(args, head + ['Meter', 'Quantity', 'Unit'],
                      [[*key[:-1], _qty(q), key[-1]] for key, q in sorted(totals.items())])


def _qty(q):
    """A quantity without trailing zeros beyond 6 decimals (1.5, 24, 0.000278)."""
    q = q.quantize(Decimal('0.000001'))
    return format(q.normalize(), 'f') if q else '0'


def cmd_invoice_list(cloud, args):
    rows = cloud.rating.get(f'/v1/projects/{_project(cloud, args)}/invoices').json()[
        'invoices']
    output.print_list(args, ['ID', 'Month', 'State', 'Currency', 'Total', 'Issued'],
                      [[i.get('id') or '', i['period'], i['state'], i['currency'],
                        i['total'], i.get('issued_at') or ''] for i in rows])


def cmd_invoice_show(cloud, args):
    project, period = _project(cloud, args), _period(args.month)
    inv = cloud.rating.get(f'/v1/projects/{project}/invoices/{period}').json()['invoice']
    if args.lines:
        output.print_list(args, ['Resource', 'Meter', 'Key', 'Start', 'End', 'Quantity',
                                 'Unit', 'Unit price', 'Amount'],
                          [[f"{ln['resource_type']}:{ln['resource_id']}", ln['meter'],
                            ln.get('price_key'), ln['start_at'], ln['end_at'], ln['quantity'],
                            ln['unit'], ln['unit_price'], ln['amount']]
                           for ln in inv['lines']])
        return
    data = {k: inv.get(k) for k in ('id', 'project_id', 'period', 'state', 'currency',
                                    'subtotal', 'discount', 'credits', 'tax', 'total',
                                    'issued_at', 'paid_at')}
    data['lines'] = len(inv['lines'])
    if inv.get('forecast'):
        data['forecast_total'] = inv['forecast']['total']
    output.print_dict(args, data)


def cmd_invoice_download(cloud, args):
    project, period = _project(cloud, args), _period(args.month)
    resp = cloud.rating.get(f'/v1/projects/{project}/invoices/{period}/download',
                            params={'format': args.download_format})
    path = args.file or f'invoice-{period}.{args.download_format}'
    if path == '-':
        sys.stdout.buffer.write(resp.content)
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'wb') as f:
        f.write(resp.content)
    print(f'wrote {path} ({len(resp.content)} bytes)')


def cmd_budget_show(cloud, args):
    resp = cloud.rating.get(f'/v1/projects/{_project(cloud, args)}/budget',
                            expect_error=True)
    if resp.status_code == 404:
        raise CLIError('this project has no budget (iaas budget set AMOUNT)', code=1)
    if resp.status_code >= 400:
        raise api_error(resp)
    b = resp.json()['budget']
    output.print_dict(args, {'Project': b['project_id'], 'Month': b['period'],
                             'Amount': b['amount'], 'Currency': b['currency'],
                             'Spent': b['spent'], 'Percent': b['percent'],
                             'Enforced': b['enforce'], 'Over budget': b['over_budget'],
                             'Alerts': ', '.join(f"{a['level']} %"
                                                 for a in b.get('alerts') or [])})


def cmd_budget_set(cloud, args):
    body = {'budget': {'amount': args.amount}}
    if args.enforce is not None:
        body['budget']['enforce'] = args.enforce
    cloud.rating.put(f'/v1/projects/{_project(cloud, args)}/budget', json=body)
    cmd_budget_show(cloud, args)


def cmd_budget_delete(cloud, args):
    cloud.rating.delete(f'/v1/projects/{_project(cloud, args)}/budget')


def register(sub, command):
    c = command(sub, 'cost', "this month's cost to date, forecast and budget", cmd_cost)
    c.add_argument('--month', help='YYYY-MM (default: this month)')
    c.add_argument('--project', help='another project (admin)')

    p = command(sub, 'invoice', 'invoices (one per project and month)')
    ss = p.add_subparsers(dest='action', metavar='ACTION', required=True)
    c = command(ss, 'list', "the project's invoices", cmd_invoice_list)
    c.add_argument('--project', help='another project (admin)')
    c = command(ss, 'show', 'an invoice (the draft of a month in progress)',
                cmd_invoice_show)
    c.add_argument('month', nargs='?', help='YYYY-MM (default: this month)')
    c.add_argument('--lines', action='store_true', help='its lines instead of its totals')
    c.add_argument('--project', help='another project (admin)')
    c = command(ss, 'download', 'save an invoice as PDF, CSV or JSON',
                cmd_invoice_download)
    c.add_argument('month', nargs='?', help='YYYY-MM (default: this month)')
    c.add_argument('--as', dest='download_format', choices=FORMATS, default='pdf',
                   help='document format (default pdf)')
    c.add_argument('--file', help='where to write it (default invoice-MONTH.EXT; - for '
                                  'standard output)')
    c.add_argument('--project', help='another project (admin)')

    p = command(sub, 'budget', "the project's monthly budget")
    ss = p.add_subparsers(dest='action', metavar='ACTION', required=True)
    c = command(ss, 'show', 'the budget and what is spent of it', cmd_budget_show)
    c.add_argument('--project', help='another project (admin)')
    c = command(ss, 'set', 'set the monthly budget', cmd_budget_set)
    c.add_argument('amount', help='amount in the currency of the region, e.g. 250.00')
    c.add_argument('--enforce', action='store_true', default=None,
                   help='refuse new resources once 100 %% is spent')
    c.add_argument('--no-enforce', dest='enforce', action='store_false',
                   help='only alert (at 50, 80 and 100 %%)')
    c.add_argument('--project', help='another project (admin)')
    c = command(ss, 'delete', 'remove the budget', cmd_budget_delete)
    c.add_argument('--project', help='another project (admin)')
