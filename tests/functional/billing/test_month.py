"""A simulated month for one project, from events: the invoice equals the
total computed by hand (scenario.py), to the cent, whatever the order and
number of deliveries."""
import datetime
import decimal
import random

import pytest

from iaas.billing import api, ingest, invoices
from iaas.db import billing as db
from tests.functional.billing import scenario as sc

D = decimal.Decimal
APRIL = datetime.datetime(2025, 4, 1, 2)


def _check(inv):
    assert sc.line_map(inv) == sc.expected_map()
    assert (inv['subtotal'], inv['tax'], inv['total']) == (sc.SUBTOTAL, sc.TAX, sc.TOTAL)


def test_month_in_order(billing):
    sc.set_prices(billing)
    out = ingest.ingest(sc.month_events())
    assert out == {'stored': 16, 'duplicates': 0, 'invalid': 0, 'ignored': 0}
    billing.set(APRIL)
    draft = api.invoice_show(None, sc.PROJECT, sc.PERIOD)
    assert draft['state'] == 'draft'
    _check(draft)
    inv = api.invoice_issue(None, sc.PROJECT, sc.PERIOD)
    assert inv['state'] == 'issued' and inv['id']
    _check(inv)
    # the price change split srv-a's running line at 16 March 00:00
    small = sorted((ln['start_at'], ln['end_at']) for ln in inv['lines']
                   if ln['resource_id'] == 'srv-a' and ln['price_key'] == 'm1.small'
                   and ln['meter'] == 'instance.running')
    assert small[0][1] == small[1][0] == sc.at(16)


def test_month_twice_and_shuffled(billing):
    """Every event delivered twice, in random order, in random batches."""
    sc.set_prices(billing)
    evs = sc.month_events()
    deliveries = evs + [dict(e) for e in evs]
    random.Random(17).shuffle(deliveries)
    stored = dup = 0
    i = 0
    rnd = random.Random(5)
    while i < len(deliveries):
        n = rnd.randint(1, 6)
        out = ingest.ingest(deliveries[i:i + n])
        stored, dup = stored + out['stored'], dup + out['duplicates']
        i += n
    assert (stored, dup) == (16, 16)
    assert db.event_count() == 16
    billing.set(APRIL)
    _check(api.invoice_show(None, sc.PROJECT, sc.PERIOD))


def test_reverse_order_same_intervals(billing):
    sc.set_prices(billing)
    for e in reversed(sc.month_events()):
        ingest.ingest([e])
    billing.set(APRIL)
    _check(api.invoice_show(None, sc.PROJECT, sc.PERIOD))
    ivs = db.intervals_of('instance', 'srv-a')
    assert [(i['state'], i['price_key'], i['start_at'], i['end_at']) for i in ivs] == [
        ('active', 'm1.small', sc.at(1, 10), sc.at(5, 10)),
        ('stopped', 'm1.small', sc.at(5, 10), sc.at(6, 10)),
        ('active', 'm1.small', sc.at(6, 10), sc.at(20)),
        ('active', 'm1.medium', sc.at(20), None)]


def test_draft_forecast_and_issued_immutable(billing):
    sc.set_prices(billing)
    ingest.ingest(sc.month_events())
    billing.set(sc.at(25))
    draft = api.invoice_show(None, sc.PROJECT, sc.PERIOD)
    # to date: srv-a on m1.medium 5 days (120 h × 0.04 = 4.80) instead of 12
    assert draft['lines'] and draft['subtotal'] < sc.SUBTOTAL
    assert draft['forecast']['until'] == datetime.datetime(2025, 4, 1)
    with pytest.raises(invoices.MonthNotOver):
        api.invoice_issue(None, sc.PROJECT, sc.PERIOD)
    billing.set(APRIL)
    inv = api.invoice_issue(None, sc.PROJECT, sc.PERIOD)
    # the forecast made on the 25th saw everything that stayed till the end
    assert draft['forecast']['subtotal'] == inv['subtotal']
    assert invoices.verify(api.invoice_get(None, inv['id']))
    with pytest.raises(api.InvoiceExists):
        api.invoice_issue(None, sc.PROJECT, sc.PERIOD)
    with pytest.raises(api.InvoiceStateError):
        api.invoice_set_state(None, inv['id'], 'draft')
    # late usage for the closed month changes nothing of the issued invoice
    ingest.ingest([sc.server('create.end', 'srv-late', 'active', sc.at(30), 'm1.small')])
    again = api.invoice_show(None, sc.PROJECT, sc.PERIOD)
    assert again['total'] == sc.TOTAL and again['id'] == inv['id']
    paid = api.invoice_set_state(None, inv['id'], 'paid', reference='bank-42')
    assert paid['state'] == 'paid' and paid['total'] == sc.TOTAL
    with pytest.raises(api.InvoiceStateError):
        api.invoice_set_state(None, inv['id'], 'paid')
    # re-rating the closed month (without the late server) reproduces the total
    rerated = invoices.compute(sc.PROJECT, sc.PERIOD, APRIL)
    late = sum((ln['amount'] for ln in rerated['lines'] if ln['resource_id'] == 'srv-late'),
               D(0))
    assert rerated['subtotal'] - late == inv['subtotal']


def test_csv_json_export(billing):
    sc.set_prices(billing)
    ingest.ingest(sc.month_events())
    billing.set(APRIL)
    inv = api.invoice_issue(None, sc.PROJECT, sc.PERIOD)
    ctype, body = api.invoice_render(None, inv, 'csv')
    rows = body.decode().splitlines()
    assert ctype.startswith('text/csv') and rows[0].startswith('invoice_id,')
    assert rows[-1].endswith(',28.98') and len(rows) == 1 + 11 + 5
    ctype, body = api.invoice_render(None, inv, 'json')
    import json
    doc = json.loads(body)
    assert doc['total'] == '28.98' and len(doc['lines']) == 11


def test_usage_by_day(billing):
    sc.set_prices(billing)
    ingest.ingest(sc.month_events())
    billing.set(APRIL)
    rows = api.usage(None, sc.PROJECT, sc.at(5), sc.at(7), resource_type='instance')
    got = {(r['resource_id'], r['meter'], r['start'].day): r['quantity'] for r in rows}
    assert got == {('srv-a', 'instance.running', 5): D('10'),
                   ('srv-a', 'instance.stopped', 5): D('14'),
                   ('srv-a', 'instance.stopped', 6): D('10'),
                   ('srv-a', 'instance.running', 6): D('14')}


def test_discount_and_credits(billing):
    sc.set_prices(billing)
    ingest.ingest(sc.month_events())
    api.discount_set(None, sc.PROJECT, D('10'), datetime.datetime(2025, 2, 1))
    api.credit_add(None, sc.PROJECT, sc.PERIOD, D('1.00'), reason='goodwill')
    billing.set(APRIL)
    inv = api.invoice_issue(None, sc.PROJECT, sc.PERIOD)
    # 24.15 − 2.42 (10 %: 2.415, half-even) − 1.00 = 20.73; tax 4.146 → 4.15
    assert (inv['subtotal'], inv['discount'], inv['credits'], inv['tax'], inv['total']) == (
        D('24.15'), D('2.42'), D('1.00'), D('4.15'), D('24.88'))
