"""Invoices: one per project per calendar month (UTC).

* **draft** — the month in progress (or ended and not yet issued): computed
  on each request from the intervals, "to date" (until now) plus a forecast
  to the month's end at the rates in force now; never stored.
* **issued** — made once the month is over: its lines and totals are stored
  and never change (no function updates them; the digest over them is kept
  and :func:`verify` checks it). Rating the month again from the intervals
  gives the same total as long as no late usage arrived for it.
* **paid** — set by an operator or the provider's billing system.
"""
import datetime
import decimal
import hashlib
import json
import logging

from iaas.billing import clock, prices, rating
from iaas.conf import CONF
from iaas.db import billing as db

LOG = logging.getLogger(__name__)
STATES = ('draft', 'issued', 'paid')
InvoiceExists = db.InvoiceExists
InvoiceStateError = db.InvoiceStateError


class MonthNotOver(ValueError):
    """A month is issued only after it has ended."""


def _discount_percent(project_id, end):
    pct = decimal.Decimal(0)
    for d in db.discounts(project_id):
        if d['effective_from'] < end:
            pct = decimal.Decimal(d['percent'])
    return pct


def _credits(project_id, period, currency):
    return sum((decimal.Decimal(c['amount']) for c in db.credits(project_id, period)
                if c['currency'] == currency), decimal.Decimal(0))


def compute(project_id, period, now=None, region_name=None, with_forecast=True):
    """The invoice of ``project_id`` for ``period`` ('YYYY-MM') rated from
    the intervals as of ``now`` (a draft while the month lasts)."""
    now = clock.now(now)
    start, end = clock.month_bounds(period)
    upto = min(now, end)
    region_name = region_name or prices.region()
    book = prices.book(region_name)
    q = prices.quantum(book.currency)
    rnd = CONF.billing.rounding
    tax_rate = decimal.Decimal(CONF.billing.tax_rate)
    if upto >= end:
        # a month that is over (issuing): the lean path month-end rating uses
        # (integer sums per resource and price window; the same lines)
        rows = []
        acc = rating.accumulate_usage(
            db.interval_usage(start, end, project_id=project_id),
            db.interval_rows(start, end, project_id=project_id, kind='counter'),
            start, end, upto, book)
    else:
        rows = db.interval_rows(start, end, project_id=project_id) if upto > start else []
        acc = rating.accumulate(rows, start, end, upto, book)
    lines = rating.lines(acc, q, rnd)
    for ln in lines:
        del ln['project_id']
    pct = _discount_percent(project_id, end)
    credit = _credits(project_id, period, book.currency)
    tot = rating.totals([ln['amount'] for ln in lines], q, rnd, tax_rate, pct, credit)
    inv = {'id': None, 'project_id': project_id, 'period': period, 'region': region_name,
           'currency': book.currency, 'state': 'draft', 'period_start': start,
           'period_end': end, 'as_of': upto, 'rounding': rnd, 'tax_rate': tax_rate,
           'discount_percent': pct, **tot, 'lines': lines,
           'issued_at': None, 'paid_at': None, 'paid_reference': None}
    if with_forecast and upto < end:
        rest = rating.forecast_rest(rows, upto, end, book)
        fsub = rating.round_money(tot['subtotal'] + rest, q, rnd)
        ftot = rating.totals([fsub], q, rnd, tax_rate, pct, credit)
        inv['forecast'] = {'subtotal': ftot['subtotal'], 'total': ftot['total'],
                           'until': end}
    return inv


def digest(inv):
    """SHA-256 of an invoice's lines and totals in a canonical form."""
    body = {k: inv[k] for k in ('project_id', 'period', 'currency', 'subtotal', 'discount',
                                'credits', 'tax', 'total')}
    body['lines'] = [[ln['resource_type'], ln['resource_id'], ln['meter'], ln['price_key'],
                      ln['start_at'], ln['end_at'], ln['quantity'], ln['unit_price'],
                      ln['amount']] for ln in inv['lines']]
    return hashlib.sha256(dumps(body, canon=True).encode()).hexdigest()


# Decimals shown without their trailing zeros (not money: money keeps the
# currency's minor units, 4.80 not 4.8)
TIDY = frozenset({'quantity', 'unit_price', 'percent', 'discount_percent', 'tax_rate',
                  'budget', 'spent'})


def _dec(value, tidy):
    if tidy:
        value = value.normalize()
        if value.as_tuple().exponent > 0:
            value = value.quantize(1)
    return format(value, 'f')


def _norm(value, key=None, canon=False):
    if isinstance(value, decimal.Decimal):
        return _dec(value, canon or key in TIDY)
    if isinstance(value, datetime.datetime):
        return value.strftime('%Y-%m-%dT%H:%M:%S.%fZ')
    if isinstance(value, dict):
        return {k: _norm(v, k, canon) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_norm(v, key, canon) for v in value]
    return value


def dumps(value, canon=False, **kw):
    """JSON of billing data: Decimals as exact strings (money with its minor
    units; ``canon``: every Decimal without trailing zeros, the form digests
    are made of), times as ISO 8601 UTC."""
    return json.dumps(_norm(value, canon=canon), sort_keys=True, **kw)


def issue(project_id, period, now=None, region_name=None):
    """Issue the invoice of a month that is over; returns it (stored)."""
    now = clock.now(now)
    start, end = clock.month_bounds(period)
    if now < end:
        raise MonthNotOver(f'{period} is not over yet')
    inv = compute(project_id, period, end, region_name, with_forecast=False)
    header = {k: inv[k] for k in ('project_id', 'period', 'region', 'currency', 'subtotal',
                                  'discount', 'credits', 'tax_rate', 'tax', 'total',
                                  'rounding')}
    header.update(state='issued', digest=digest(inv), issued_at=now)
    row = db.invoice_insert(header, inv['lines'])
    return _stored(row)


def issue_month(period, now=None, region_name=None):
    """Issue every project's invoice of ``period`` not issued yet; returns them."""
    start, end = clock.month_bounds(period)
    out = []
    for project_id in db.interval_projects(start, end):
        if db.invoice_get(project_id=project_id, period=period):
            continue
        try:
            out.append(issue(project_id, period, now, region_name))
        except InvoiceExists:
            continue
    return out


def _stored(row):
    """An issued invoice as stored, its money in the currency's minor units
    (the columns keep 4 decimal places for any currency)."""
    start, end = clock.month_bounds(row['period'])
    q = prices.quantum(row['currency'])
    money = {k: row[k].quantize(q) for k in ('subtotal', 'discount', 'credits', 'tax',
                                              'total')}
    lines = [dict(ln, amount=ln['amount'].quantize(q)) for ln in db.invoice_lines(row['id'])]
    row = dict(row, **money)
    return {'id': row['uuid'], 'project_id': row['project_id'], 'period': row['period'],
            'region': row['region'], 'currency': row['currency'], 'state': row['state'],
            'period_start': start, 'period_end': end, 'as_of': end,
            'rounding': row['rounding'], 'tax_rate': row['tax_rate'],
            'subtotal': row['subtotal'], 'discount': row['discount'],
            'credits': row['credits'], 'tax': row['tax'], 'total': row['total'],
            'lines': lines, 'digest': row['digest'], 'issued_at': row['issued_at'],
            'paid_at': row['paid_at'], 'paid_reference': row['paid_reference'],
            'webhook_sent_at': row['webhook_sent_at']}


def get(project_id, period, now=None):
    """The stored invoice if issued, else the draft."""
    row = db.invoice_get(project_id=project_id, period=period)
    if row is not None:
        return _stored(row)
    return compute(project_id, period, now)


def get_by_id(invoice_id):
    row = db.invoice_get(uuid=invoice_id)
    return _stored(row) if row else None


def summaries(project_id=None, period=None, now=None):
    """Issued invoices (without lines), and the current month's draft of
    ``project_id`` when one is named."""
    out = [{k: v for k, v in _header(r).items()}
           for r in db.invoice_list(project_id=project_id, period=period)]
    current = clock.period_of(clock.now(now))
    if project_id and (period in (None, current)) and not any(
            r['period'] == current for r in out):
        draft = compute(project_id, current, now)
        draft.pop('lines')
        out.insert(0, draft)
    return out


def _header(row):
    start, end = clock.month_bounds(row['period'])
    return {'id': row['uuid'], 'project_id': row['project_id'], 'period': row['period'],
            'currency': row['currency'], 'state': row['state'], 'subtotal': row['subtotal'],
            'discount': row['discount'], 'credits': row['credits'], 'tax': row['tax'],
            'total': row['total'], 'line_count': row['line_count'],
            'issued_at': row['issued_at'], 'paid_at': row['paid_at'],
            'period_start': start, 'period_end': end}


def set_state(invoice_id, state, reference=None, now=None):
    """The one change an invoice takes: issued → paid."""
    if state != 'paid':
        raise InvoiceStateError(f'an invoice can only be set paid, not {state!r}')
    db.invoice_set_paid(invoice_id, clock.now(now), reference)
    return get_by_id(invoice_id)


def verify(inv):
    """True if a stored invoice's lines and totals still match its digest."""
    return inv.get('digest') == digest(inv)
