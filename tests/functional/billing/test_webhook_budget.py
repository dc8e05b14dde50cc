"""The invoice webhook receives a signed payload that verifies; a budget
alert fires at 50 and 80 % (once each); enforcement at 100 %."""
import datetime
import decimal
import http.server
import json
import threading

import pytest

from iaas.billing import api, budgets, export, ingest
from tests.functional.billing import scenario as sc

D = decimal.Decimal
SECRET = 's3cret-key'


@pytest.fixture
def receiver():
    got = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers['Content-Length']))
            got.append((dict(self.headers), body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f'http://127.0.0.1:{srv.server_address[1]}/hook', got
    srv.shutdown()
    srv.server_close()


def test_invoice_webhook_signed(billing, conf, receiver):
    url, got = receiver
    conf.set_override('webhook_url', url, group='billing')
    conf.set_override('webhook_secret', SECRET, group='billing')
    sc.set_prices(billing)
    ingest.ingest(sc.month_events())
    billing.set(datetime.datetime(2025, 4, 1, 2))
    inv = api.invoice_issue(None, sc.PROJECT, sc.PERIOD)
    assert len(got) == 1
    headers, body = got[0]
    assert headers['X-Iaas-Event'] == 'invoice.issued'
    assert export.verify_signature(body, SECRET, headers['X-Iaas-Signature'])
    assert not export.verify_signature(body + b' ', SECRET, headers['X-Iaas-Signature'])
    doc = json.loads(body)
    assert doc['data']['invoice']['id'] == inv['id']
    assert doc['data']['invoice']['total'] == '28.98'
    assert api.invoice_get(None, inv['id'])['webhook_sent_at'] is not None


def test_budget_alerts_and_enforcement(billing, conf, receiver):
    url, got = receiver
    conf.set_override('webhook_url', url, group='billing')
    conf.set_override('webhook_secret', SECRET, group='billing')
    sc.set_prices(billing)
    ingest.ingest(sc.month_events())
    api.budget_set(None, sc.PROJECT, '25.00', enforce=True)
    billing.set(sc.at(10))
    assert budgets.check() == []           # to date: 7.02 of 25
    billing.set(sc.at(25))
    fired = budgets.check()                # to date: 20.44 of 25: 50 % and 80 %
    assert [a['level'] for a in fired] == [50, 80]
    assert budgets.check() == []           # once each per month
    assert [json.loads(b)['data']['level'] for _h, b in got] == [50, 80]
    assert all(export.verify_signature(b, SECRET, h['X-Iaas-Signature']) for h, b in got)
    b = api.budget_get(None, sc.PROJECT)
    assert b['percent'] >= 80 and [a['level'] for a in b['alerts']] == [50, 80]
    assert api.over_budget(sc.PROJECT) is False
    # a new amount: this month's levels fire again against it
    api.budget_set(None, sc.PROJECT, '20.00', enforce=True)
    assert [a['level'] for a in budgets.check()] == [50, 80, 100]
    assert api.over_budget(sc.PROJECT) is True
    api.budget_set(None, sc.PROJECT, '50.00', enforce=True)     # raised: lifted at once
    assert api.over_budget(sc.PROJECT) is False
    assert [a['level'] for a in budgets.check()] == []          # 20.44 of 50: under 50 %
    api.budget_set(None, sc.PROJECT, '20.00', enforce=True)
    assert [a['level'] for a in budgets.check()] == [50, 80, 100]
    api.budget_set(None, sc.PROJECT, '20.00', enforce=False)
    assert api.over_budget(sc.PROJECT) is False
    billing.set(datetime.datetime(2025, 4, 2))   # a new month: nothing spent yet
    api.budget_set(None, sc.PROJECT, '20.00', enforce=True)
    assert api.over_budget(sc.PROJECT) is False
