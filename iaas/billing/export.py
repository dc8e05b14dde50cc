"""Export to a provider's billing system: CSV and JSON of invoices, files
per month, and signed webhooks.

Webhook request: ``POST [billing] webhook_url`` with a JSON body
``{"event": "invoice.issued" | "budget.alert", "delivery": "<uuid>",
"sent_at": "<ISO 8601>", "data": {...}}`` and the headers
``X-Iaas-Event``, ``X-Iaas-Delivery`` and ``X-Iaas-Signature:
sha256=<hex>``: HMAC-SHA256 of the exact body bytes with
``[billing] webhook_secret``. A receiver recomputes it and compares in
constant time (:func:`verify_signature`).
"""
import csv
import hashlib
import hmac
import io
import logging
import os
import urllib.error
import urllib.request
import uuid

from iaas.billing import clock, invoices
from iaas.conf import CONF

LOG = logging.getLogger(__name__)

CSV_COLUMNS = ['invoice_id', 'project_id', 'period', 'state', 'currency', 'line_type',
               'resource_type', 'resource_id', 'meter', 'price_key', 'start', 'end',
               'quantity', 'unit', 'unit_price', 'amount']
TOTAL_ROWS = ('subtotal', 'discount', 'credits', 'tax', 'total')


def sign(body, secret):
    """The X-Iaas-Signature value of ``body`` (bytes)."""
    return 'sha256=' + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body, secret, header):
    return hmac.compare_digest(sign(body, secret), header or '')


def render_json(inv):
    return invoices.dumps(inv, indent=1).encode()


def _csv_rows(inv):
    base = [inv.get('id') or '', inv['project_id'], inv['period'], inv['state'],
            inv['currency']]
    n = invoices._norm
    for ln in inv['lines']:
        yield base + ['usage', ln['resource_type'], ln['resource_id'], ln['meter'],
                      ln['price_key'] or '', n(ln['start_at']), n(ln['end_at']),
                      n(ln['quantity'], 'quantity'), ln['unit'], n(ln['unit_price'], 'unit_price'),
                      n(ln['amount'])]
    for name in TOTAL_ROWS:
        yield base + [name] + [''] * 9 + [n(inv[name])]


def render_csv(inv, header=True):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator='\r\n')
    if header:
        w.writerow(CSV_COLUMNS)
    for row in _csv_rows(inv):
        w.writerow(row)
    return buf.getvalue().encode()


def export_dir(conf=CONF):
    return conf.billing.export_dir or os.path.join(conf.state_path, 'billing-export')


def write_month(period, invs, directory=None):
    """Write ``<dir>/<period>/invoices.csv`` and ``invoices.json`` (every
    invoice of the month), atomically; returns the two paths."""
    directory = os.path.join(directory or export_dir(), period)
    os.makedirs(directory, exist_ok=True)
    paths = []
    csv_body = b''.join(render_csv(inv, header=i == 0) for i, inv in enumerate(invs)) \
        if invs else ','.join(CSV_COLUMNS).encode() + b'\r\n'
    for name, body in (('invoices.csv', csv_body),
                       ('invoices.json', invoices.dumps(invs, indent=1).encode())):
        path = os.path.join(directory, name)
        with open(path + '.tmp', 'wb') as f:
            f.write(body)
        os.replace(path + '.tmp', path)
        paths.append(path)
    return paths


def post(event, data, url=None, secret=None, timeout=None, now=None):
    """Send one signed webhook; True when the receiver answered 2xx."""
    url = url if url is not None else CONF.billing.webhook_url
    if not url:
        return False
    secret = secret if secret is not None else CONF.billing.webhook_secret
    delivery = str(uuid.uuid4())
    body = invoices.dumps({'event': event, 'delivery': delivery,
                           'sent_at': clock.now(now), 'data': data}).encode()
    req = urllib.request.Request(url, data=body, method='POST', headers={
        'Content-Type': 'application/json', 'X-Iaas-Event': event,
        'X-Iaas-Delivery': delivery, 'X-Iaas-Signature': sign(body, secret)})
    try:
        with urllib.request.urlopen(req, timeout=timeout or CONF.billing.webhook_timeout) as r:
            return 200 <= r.status < 300
    except (urllib.error.URLError, OSError) as exc:
        LOG.warning('webhook %s to %s failed: %s', event, url, exc)
        return False


def invoice_payload(inv):
    return {'invoice': inv}
