"""Usage and bills (only when the catalog has 'rating'): this month's cost
to date and forecast, the cost per day (the rating API's daily usage rows
priced at the unit prices of the month's invoice lines) and per meter (the
invoice lines' amounts) as server-side SVG charts with their tables, the
invoices, each downloadable as CSV."""
import datetime as dt
import re
from decimal import Decimal
from urllib.parse import quote

import webob

from iaas import wsgi
from iaas.dashboard import charts, render

PERIOD_RE = re.compile(r'^(\d{4})-(0[1-9]|1[0-2])$')
CSV_HEADER = ['Resource type', 'Resource', 'Meter', 'Price key', 'Start', 'End',
              'Quantity', 'Unit', 'Unit price', 'Amount', 'Currency']


def _cloud(req):
    c = render.cloud(req)
    if not c.has('rating'):
        raise wsgi.NotFound('This cloud has no rating service.')
    return c


def _project(req):
    return quote(render.sess(req).get('project_id') or '', safe='')


def check_period(value):
    if not isinstance(value, str) or not PERIOD_RE.match(value):
        raise wsgi.NotFound('Not found: no such month.')
    return value


def _unit_prices(lines):
    """(meter, price key) -> the unit price of its latest invoice line."""
    prices = {}
    for ln in sorted(lines, key=lambda ln: str(ln.get('start_at') or '')):
        prices[(ln.get('meter'), ln.get('price_key'))] = charts.number(ln.get('unit_price'))
    return prices


def daily_cost(usage_rows, lines, first_day, days):
    """[(YYYY-MM-DD, cost)] for ``days`` days from ``first_day``: each usage
    row's quantity × the unit price of its (meter, price key)."""
    prices = _unit_prices(lines)
    by_meter = {}
    for (meter, _key), price in prices.items():
        by_meter.setdefault(meter, price)
    totals = {(first_day + dt.timedelta(days=i)).isoformat(): Decimal(0)
              for i in range(days)}
    for row in usage_rows:
        day = str(row.get('start') or '')[:10]
        if day not in totals:
            continue
        price = prices.get((row.get('meter'), row.get('price_key')),
                           by_meter.get(row.get('meter'), Decimal(0)))
        totals[day] += charts.number(row.get('quantity')) * price
    return [(d, v.quantize(Decimal('0.01'))) for d, v in totals.items()]


def by_meter(lines):
    """[{meter, unit, quantity, amount}] of the invoice lines, largest first."""
    out = {}
    for ln in lines:
        m = out.setdefault(ln.get('meter') or '?', {'meter': ln.get('meter') or '?',
                                                    'unit': ln.get('unit') or '',
                                                    'quantity': Decimal(0),
                                                    'amount': Decimal(0)})
        m['quantity'] += charts.number(ln.get('quantity'))
        m['amount'] += charts.number(ln.get('amount'))
    for m in out.values():
        q = m['quantity'].quantize(Decimal('0.000001'))
        m['quantity_text'] = format(q.normalize(), 'f') if q else '0'
    return sorted(out.values(), key=lambda m: (-m['amount'], m['meter']))


def _usage_rows(c, project, start, end):
    fmt = '%Y-%m-%dT%H:%M:%S'
    params = {'start': start.strftime(fmt), 'end': end.strftime(fmt), 'bucket': 'day',
              'limit': 10000, 'offset': 0}
    rows = []
    for _ in range(20):      # at most 200,000 rows
        body = c.rating.get(f'/v1/projects/{project}/usage', params=params).json()
        rows += body.get('usage') or []
        if body.get('next_offset') is None:
            break
        params['offset'] = body['next_offset']
    return rows


def index(req):
    _cloud(req)
    project = _project(req)
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0, tzinfo=None)
    period = now.strftime('%Y-%m')
    first = now.date().replace(day=1)
    start = dt.datetime.combine(first, dt.time())
    end = max(now, start + dt.timedelta(seconds=1))
    # the three rating calls do not depend on each other
    inv, usage_rows, invoices = render.fetch_parallel(
        req,
        lambda c: c.rating.get(f'/v1/projects/{project}/invoices/{period}').json()['invoice'],
        lambda c: _usage_rows(c, project, start, end),
        lambda c: c.rating.get(f'/v1/projects/{project}/invoices').json()['invoices'])
    lines = inv.get('lines') or []
    days = daily_cost(usage_rows, lines, first, now.day)
    meters = by_meter(lines)
    currency = inv.get('currency') or ''
    day_chart = charts.bar_chart(
        'chart-days', f'Cost per day in {period}',
        f'Bar chart of the estimated cost per day from {first.isoformat()} to today, '
        f'in {currency}; the table below has the same numbers.', days, currency)
    meter_chart = charts.bar_chart(
        'chart-meters', f'Cost per meter in {period}',
        f'Bar chart of the cost of each meter this month, in {currency}; the table '
        f'below has the same numbers.', [(m['meter'], m['amount']) for m in meters],
        currency, horizontal=True)
    if not any(i.get('period') == period for i in invoices):
        invoices.insert(0, {'period': period, 'state': inv.get('state') or 'draft',
                            'currency': currency, 'total': inv.get('total')})
    cost = {'period': period, 'currency': currency, 'total': inv.get('total'),
            'forecast': (inv.get('forecast') or {}).get('total')}
    return render.page(req, 'usage.html', cost=cost, days=days, meters=meters,
                       day_chart=day_chart, meter_chart=meter_chart,
                       invoices=sorted(invoices, key=lambda i: i.get('period') or '',
                                       reverse=True))


def invoice_csv(inv):
    """The invoice's lines as CSV (every cell safe for a spreadsheet)."""
    cur = inv.get('currency') or ''
    rows = [[ln.get('resource_type'), ln.get('resource_id'), ln.get('meter'),
             ln.get('price_key'), ln.get('start_at'), ln.get('end_at'), ln.get('quantity'),
             ln.get('unit'), ln.get('unit_price'), ln.get('amount'), cur]
            for ln in inv.get('lines') or []]
    for label in ('subtotal', 'discount', 'credits', 'tax', 'total'):
        if inv.get(label) is not None:
            rows.append(['', '', label.capitalize(), '', '', '', '', '', '',
                         inv.get(label), cur])
    return charts.to_csv(CSV_HEADER, rows)


def _invoice_period(req, c, project, period):
    """``period`` if the project has (or is in) that month's invoice, else 404."""
    period = check_period(period)
    current = dt.datetime.now(dt.timezone.utc).strftime('%Y-%m')
    if period != current and not any(
            i.get('period') == period for i in
            c.rating.get(f'/v1/projects/{project}/invoices').json()['invoices']):
        raise wsgi.NotFound('Not found: this project has no invoice for that month.')
    return period


def _attachment(body, content_type, filename):
    resp = webob.Response(body=body, status=200)
    resp.headers['Content-Type'] = content_type
    resp.headers['Content-Disposition'] = f'attachment; filename="{filename}"'
    resp.headers['Cache-Control'] = 'no-store'
    return resp


def download(req, period):
    c = _cloud(req)
    project = _project(req)
    period = _invoice_period(req, c, project, period)
    inv = c.rating.get(f'/v1/projects/{project}/invoices/{period}').json()['invoice']
    return _attachment(invoice_csv(inv).encode('utf-8'), 'text/csv; charset=utf-8',
                       f'invoice-{period}.csv')


def download_pdf(req, period):
    """The invoice as the rating API renders it in PDF."""
    c = _cloud(req)
    project = _project(req)
    period = _invoice_period(req, c, project, period)
    body = c.rating.get(f'/v1/projects/{project}/invoices/{period}/download?format=pdf'
                        ).content
    return _attachment(body, 'application/pdf', f'invoice-{period}.pdf')


def add_routes(router):
    router.add('GET', '/usage', index)
    router.add('GET', '/usage/invoices/{period}.csv', download)
    router.add('GET', '/usage/invoices/{period}.pdf', download_pdf)
