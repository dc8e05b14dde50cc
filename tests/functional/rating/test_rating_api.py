"""The rating API over real tokens (identity in this process) and the
billing database: a project's usage, draft and issued invoices (JSON, CSV,
PDF), prices, budgets; members see their project only, readers do not
write, an issued invoice changes through no route but ``paid``."""
import datetime
import decimal
import io
import json

import pytest

from iaas.billing import clock, ingest
from iaas.billing import invoices as billing_invoices
from tests.functional.billing import scenario
from tests.functional.security import cloud as cloud_mod

D = decimal.Decimal


class RatingCloud(cloud_mod.Cloud):
    def __init__(self):
        from iaas.api.identity import app as identity_api
        from iaas.api.rating import app as rating_app
        self.apps = {'identity': identity_api.build_app(), 'rating': rating_app.build_app()}


@pytest.fixture
def rc(conf, db_url):
    from iaas.identity import bootstrap
    conf.set_override('bcrypt_rounds', 4, group='identity')
    conf.set_override('user_write_rate', 0, group='api')
    conf.set_override('tax_rate', '0.20', group='billing')
    conf.set_override('currency', 'EUR', group='billing')
    bootstrap.first_start(cloud_mod.ADMIN_PW)
    c = RatingCloud()
    c.admin = c.token('admin', 'admin', password=cloud_mod.ADMIN_PW)
    c.pid = {'a': c.project('rate-a'), 'b': c.project('rate-b')}
    c.user('alice', c.pid['a'])
    c.user('bob', c.pid['b'])
    c.user('rita', c.pid['a'], role='reader')
    c.tok = {'alice': c.token('alice', 'rate-a'), 'bob': c.token('bob', 'rate-b'),
             'rita': c.token('rita', 'rate-a')}
    fake = clock.FakeClock(datetime.datetime(2025, 3, 1))
    old = clock.set_clock(fake)
    scenario.set_prices(conf)
    evs = [scenario.server('create.end', 'srv-1', 'active', scenario.at(1), 'm1.small',
                           project=c.pid['a']),
           scenario.server('delete.end', 'srv-1', 'deleted', scenario.at(11), 'm1.small',
                           project=c.pid['a'])]
    ingest.ingest(evs, now=scenario.at(11))
    fake.set(datetime.datetime(2025, 3, 21))
    c.clock = fake
    yield c
    clock.set_clock(old)


def _invoice_path(c, who='a', period='2025-03'):
    return f"/v1/projects/{c.pid[who]}/invoices/{period}"


def test_usage_invoice_and_downloads(rc):
    c, alice = rc, rc.tok['alice']
    usage = c.ok('rating', 'GET', f"/v1/projects/{c.pid['a']}/usage?bucket=day",
                 alice).json
    days = [u for u in usage['usage'] if u['resource_id'] == 'srv-1']
    assert len(days) == 10 and sum(D(u['quantity']) for u in days) == 240
    inv = c.ok('rating', 'GET', _invoice_path(c), alice).json['invoice']
    # 240 h of m1.small at 0.02 = 4.80, tax 20 % = 0.96
    assert inv['state'] == 'draft' and D(inv['subtotal']) == D('4.80')
    assert D(inv['total']) == D('5.76') and inv['currency'] == 'EUR'
    r = c.call('rating', 'GET', _invoice_path(c) + '/download?format=csv', alice)
    assert r.status == 200 and r.headers['Content-Type'].startswith('text/csv')
    assert b'srv-1' in r.body and b'4.80' in r.body
    r = c.call('rating', 'GET', _invoice_path(c) + '/download?format=json', alice)
    assert json.loads(r.body)['total'] == inv['total']
    r = c.call('rating', 'GET', _invoice_path(c) + '/download?format=pdf', alice)
    assert r.status == 200 and r.body.startswith(b'%PDF-')
    import pypdf
    text = pypdf.PdfReader(io.BytesIO(r.body)).pages[0].extract_text()
    assert 'srv-1' in text and '5.76' in text
    for bad in ('?format=exe', '?format=' + 'x' * 500):
        assert c.call('rating', 'GET', _invoice_path(c) + '/download' + bad,
                      alice).status == 400
    for period in ('2025-13', '2099-01', 'x' * 300, '2025-3'):
        assert c.call('rating', 'GET', _invoice_path(c, period=period), alice).status == 400
    assert c.call('rating', 'GET', f"/v1/projects/{c.pid['a']}/usage?start=2024-11-01",
                  alice).status == 400                            # more than 93 days


def test_issued_invoice_is_immutable_and_only_marked_paid(rc):
    c, admin = rc, rc.admin
    c.clock.set(datetime.datetime(2025, 4, 2))
    body = {'invoice': {'project_id': c.pid['a'], 'period': '2025-03'}}
    assert c.call('rating', 'POST', '/v1/invoices', c.tok['alice'], body).status == 403
    inv = c.ok('rating', 'POST', '/v1/invoices', admin, body, status=201).json['invoice']
    assert inv['state'] == 'issued' and D(inv['total']) == D('5.76')
    assert c.call('rating', 'POST', '/v1/invoices', admin, body).status == 409
    # a price change after issue does not change the issued invoice
    c.ok('rating', 'POST', '/v1/prices', admin, {'price': {
        'meter': 'instance.running', 'price_key': 'm1.small', 'unit_price': '9.99',
        'effective_from': '2025-03-01T00:00:00Z'}}, status=201)
    again = c.ok('rating', 'GET', _invoice_path(c), c.tok['alice']).json['invoice']
    assert again['total'] == inv['total'] and again['id'] == inv['id']
    assert billing_invoices.verify(billing_invoices.get(c.pid['a'], '2025-03'))
    path = f"/v1/invoices/{inv['id']}"
    for body in ({'invoice': {'state': 'draft'}}, {'invoice': {'state': 'issued'}},
                 {'invoice': {'state': 'paid', 'total': '0'}}, {'invoice': {}}):
        assert c.call('rating', 'PUT', path, admin, body).status == 400
    assert c.call('rating', 'PUT', path, c.tok['alice'],
                  {'invoice': {'state': 'paid'}}).status == 403
    paid = c.ok('rating', 'PUT', path, admin, {'invoice': {
        'state': 'paid', 'reference': 'bank-42'}}).json['invoice']
    assert paid['state'] == 'paid' and paid['total'] == inv['total']
    assert c.call('rating', 'PUT', path, admin, {'invoice': {'state': 'paid'}}).status == 409
    assert c.call('rating', 'PUT', '/v1/invoices/not-an-id', admin,
                  {'invoice': {'state': 'paid'}}).status == 404
    listed = c.ok('rating', 'GET', f"/v1/projects/{c.pid['a']}/invoices",
                  c.tok['rita']).json['invoices']
    assert [i['state'] for i in listed if i['period'] == '2025-03'] == ['paid']


def test_budget_set_show_delete(rc):
    c, alice = rc, rc.tok['alice']
    path = f"/v1/projects/{c.pid['a']}/budget"
    assert c.call('rating', 'GET', path, alice).status == 404
    b = c.ok('rating', 'PUT', path, alice, {'budget': {'amount': '10.00',
                                                       'enforce': True}}).json['budget']
    assert D(b['amount']) == D('10.00') and b['enforce'] is True
    assert c.call('rating', 'PUT', path, c.tok['rita'],
                  {'budget': {'amount': '1'}}).status == 403
    assert c.call('rating', 'PUT', path, alice, {'budget': {'amount': 'lots'}}).status == 400
    assert c.call('rating', 'PUT', path, alice, {'budget': {'amount': '-5'}}).status == 400
    assert c.ok('rating', 'GET', path, c.tok['rita']).json['budget']['amount']
    assert c.call('rating', 'DELETE', path, alice).status == 204
    assert c.call('rating', 'DELETE', path, alice).status == 404


def test_another_project_sees_and_changes_nothing(rc):
    c, bob = rc, rc.tok['bob']
    a = f"/v1/projects/{c.pid['a']}"
    for method, path, body in (
            ('GET', a + '/usage', None), ('GET', a + '/resources', None),
            ('GET', a + '/invoices', None), ('GET', a + '/invoices/2025-03', None),
            ('GET', a + '/invoices/2025-03/download?format=pdf', None),
            ('GET', a + '/budget', None), ('PUT', a + '/budget', {'budget': {'amount': '1'}}),
            ('DELETE', a + '/budget', None),
            ('POST', a + '/credits', {'credit': {'period': '2025-03', 'amount': '100'}}),
            ('POST', a + '/discounts', {'discount': {'percent': '100'}}),
            ('GET', '/v1/invoices', None), ('GET', '/v1/corrections', None),
            ('POST', '/v1/reconcile', None),
            ('POST', '/v1/prices', {'price': {'meter': 'instance.running',
                                              'unit_price': '0'}})):
        r = c.call('rating', method, path, bob, body)
        assert r.status in (403, 404), (method, path, r)
    mine = c.ok('rating', 'GET', f"/v1/projects/{c.pid['b']}/usage", bob).json
    assert mine['usage'] == []
    assert c.ok('rating', 'GET', '/v1/prices', bob).json['prices']
    assert c.ok('rating', 'GET', '/v1/meters', bob).json['meters']
