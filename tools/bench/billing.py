#!/usr/bin/env python3
"""Billing benchmark (issue #17 targets).

    tools/bench/billing.py [--db URL] [--transport URL] [--intervals N]
                           [--resources N] [--events N] [--skip rate,invoice,ingest]
                           [--repeat N] [--reference]

1. **rate**: N usage intervals (default 1,000,000) of a month, spread over
   many projects and resource types, read from the database and rated
   (every line of every project, prices with a mid-month change) the way
   rating a whole month does (``rating.accumulate_usage``); ``--repeat`` rates
   the loaded month again, ``--reference`` also with the per-interval
   path and checks the lines are identical. Target ≤ 10 s.
2. **invoice**: the invoice (draft with forecast) of one project with
   10,000 resources. Target ≤ 1 s.
3. **ingest**: usage events published to the notifications queue, then
   consumed and stored by the billing consumer (batches, one transaction
   each). Target ≥ 2,000 events/s over RabbitMQ (127.0.0.1:5672).

The database defaults to a fresh SQLite file (iaas-all's default);
``--db postgresql+psycopg2://…/db`` measures on a server (the database
must exist and be empty or migrated).
"""
import argparse
import datetime
import decimal
import os
import random
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from iaas import rpc  # noqa: E402
from iaas.billing import consumer, events, invoices, prices, rating  # noqa: E402
from iaas.conf import CONF, register_all  # noqa: E402
from iaas.db import billing as db  # noqa: E402
from iaas.db import migration  # noqa: E402
from iaas.db.billing_models import BillingInterval  # noqa: E402
from iaas.db.engine import transaction  # noqa: E402

RABBIT = 'pyamqp://guest:guest@127.0.0.1:5672//'
T0 = datetime.datetime(2025, 3, 1)
END = datetime.datetime(2025, 4, 1)
PERIOD = '2025-03'
FLAVORS = ['m1.tiny', 'm1.small', 'm1.medium', 'm1.large']


def setup(db_url, state):
    register_all(CONF)
    CONF([], project='iaas', default_config_files=[])
    CONF.set_override('state_path', state)
    CONF.set_override('control_exchange', f'bench-billing-{uuid.uuid4().hex[:8]}')
    migration.upgrade(db_url)
    CONF.set_override('connection', db_url, group='database')
    jan = datetime.datetime(2025, 1, 1)
    for f in FLAVORS:
        prices.set_price('instance.running', '0.0%d' % (FLAVORS.index(f) + 1), jan, f)
        prices.set_price('instance.running', '0.0%d5' % (FLAVORS.index(f) + 1),
                         datetime.datetime(2025, 3, 16), f)
    for meter, p in (('instance.stopped', '0.005'), ('volume.size', '0.0001'),
                     ('image.size', '0.00005'), ('floating_ip.hours', '0.005'),
                     ('object.size', '0.00003'), ('object.requests', '0.004'),
                     ('object.bytes_out', '0.05')):
        prices.set_price(meter, p, jan)


def _intervals(project, n_resources, per_resource, rnd):
    """Rows of ``n_resources`` resources with ``per_resource`` intervals each."""
    rows = []
    span = (END - T0) / per_resource
    for r in range(n_resources):
        kind = r % 4
        rid = f'{project}-{r}'
        for k in range(per_resource):
            a = T0 + span * k + datetime.timedelta(seconds=rnd.randint(0, 3600))
            b = T0 + span * (k + 1) if k + 1 < per_resource else None
            if kind == 0 or kind == 1:
                rows.append({'resource_type': 'instance', 'resource_id': rid,
                             'project_id': project, 'kind': 'state',
                             'state': 'active' if k % 3 else 'stopped', 'start_at': a,
                             'end_at': b, 'price_key': FLAVORS[r % 4], 'size': None,
                             'requests': None, 'bytes_out': None, 'attrs': {}})
            elif kind == 2:
                rows.append({'resource_type': 'volume', 'resource_id': rid,
                             'project_id': project, 'kind': 'state', 'state': 'present',
                             'start_at': a, 'end_at': b, 'price_key': 'standard',
                             'size': 10 + k, 'requests': None, 'bytes_out': None,
                             'attrs': {}})
            else:
                rows.append({'resource_type': 'floating_ip', 'resource_id': rid,
                             'project_id': project, 'kind': 'state', 'state': 'allocated',
                             'start_at': a, 'end_at': b, 'price_key': None, 'size': None,
                             'requests': None, 'bytes_out': None, 'attrs': {}})
    return rows


def _insert(rows):
    with transaction() as s:
        s.connection().execute(BillingInterval.__table__.insert(), rows)


def bench_rate(n, repeat=1, reference=False):
    rnd = random.Random(1)
    per_project, per_resource = 100, 4
    projects = max(1, n // (per_project * per_resource))
    t = time.monotonic()
    batch = []
    for p in range(projects):
        batch += _intervals(f'proj{p:05d}', per_project, per_resource, rnd)
        if len(batch) >= 50_000:
            _insert(batch)
            batch = []
    if batch:
        _insert(batch)
    print(f'  (loaded {projects * per_project * per_resource:,} intervals in '
          f'{time.monotonic() - t:.1f} s)')
    for _ in range(repeat):
        took = _rate_once('rate', _rate_fast)
        if reference:
            ref = _rate_once('  reference (per-interval accumulate)', _rate_reference)
            same = ref[1] == took[1]
            print(f'  reference: lines identical: {same}')
            if not same:
                raise SystemExit('the fast path and the reference differ')
    return took[0]


def _rate_fast(book):
    """Rating a whole month: integer sums per resource and price window
    (iaas.billing.rating.accumulate_usage) from the lean interval read."""
    n = [0]

    def counted(batches):
        for b in batches:
            n[0] += len(b)
            yield b
    acc = rating.accumulate_usage(counted(db.interval_usage(T0, END)),
                                  db.interval_rows(T0, END, kind='counter'),
                                  T0, END, END, book)
    return n[0], rating.line_tuples(acc, decimal.Decimal('0.01'))


def _rate_reference(book):
    """The per-interval path (what an invoice of one project uses)."""
    rows = db.interval_rows(T0, END)
    return len(rows), rating.line_tuples(rating.accumulate(rows, T0, END, END, book),
                                         decimal.Decimal('0.01'))


def _rate_once(label, how):
    load = os.getloadavg()[0]
    t, cpu = time.monotonic(), time.process_time()
    book = prices.book()
    n, lines = how(book)
    per_project = {}
    for ln in lines:
        per_project[ln[0]] = per_project.get(ln[0], 0) + ln[-1]
    total = sum(per_project.values(), decimal.Decimal(0))
    took, cpu = time.monotonic() - t, time.process_time() - cpu
    print(f'{label} {n:,} intervals: {took:.2f} s (CPU of this process {cpu:.2f} s; '
          f'load average {load:.1f} → {os.getloadavg()[0]:.1f}), {len(lines):,} lines of '
          f'{len(per_project):,} projects, total {total} — target ≤ 10 s: ratio '
          f'{took / 10:.2f}')
    return took, lines


def bench_invoice(n_resources):
    rnd = random.Random(2)
    _insert(_intervals('bigproject', n_resources, 2, rnd))
    invoices.compute('bigproject', PERIOD, datetime.datetime(2025, 3, 20))   # warm
    t, cpu = time.monotonic(), time.process_time()
    inv = invoices.compute('bigproject', PERIOD, datetime.datetime(2025, 3, 20))
    took, cpu = time.monotonic() - t, time.process_time() - cpu
    print(f'invoice of {n_resources:,} resources: {took:.3f} s (CPU {cpu:.3f} s), '
          f'{len(inv["lines"]):,} lines,'
          f' total {inv["total"]} (forecast {inv["forecast"]["total"]}) — '
          f'target ≤ 1 s: ratio {took:.2f}')
    return took


def _events(n):
    out = []
    states = ['active', 'stopped', 'active', 'deleted']
    for i in range(n):
        rid, step = f'bench-srv-{i // 4}', i % 4
        when = T0 + datetime.timedelta(minutes=i)
        out.append(events.envelope(
            'compute.instance.update',
            {'resource_type': 'instance', 'resource_id': rid, 'project_id': f'bp{i % 50}',
             'user_id': 'u', 'state': states[step], 'at': events.format_time(when),
             'flavor_name': 'm1.small', 'flavor_id': '2', 'vcpus': 1, 'memory_mb': 2048,
             'root_gb': 20}, str(uuid.uuid4()), when, publisher_id='bench.host'))
    return out


def bench_ingest(url, n):
    CONF.set_override('transport_url', url)
    transport = rpc.get_transport()
    queue = consumer.notifications_queue(transport)
    bodies = _events(n)
    t = time.monotonic()
    deadline = time.monotonic() + 600
    for b in bodies:
        transport.publish(b, transport.exchange, events.ROUTING_KEY, deadline,
                          declare=[transport.exchange, queue])
    pub = time.monotonic() - t
    before = db.event_count()
    c = consumer.NotificationConsumer(transport, batch=500)
    t = time.monotonic()
    c.start()
    while db.event_count() - before < n and time.monotonic() - t < 300:
        time.sleep(0.05)
    took = time.monotonic() - t
    c.stop()
    stored = db.event_count() - before
    rate = stored / took
    print(f'ingest {stored:,}/{n:,} events over {url.split("@")[-1]}: {took:.2f} s = '
          f'{rate:,.0f} events/s (published at {n / pub:,.0f}/s) — target ≥ 2,000/s: '
          f'ratio {rate / 2000:.2f}')
    try:
        with transport.connection() as conn:
            conn.ensure_connection(max_retries=1)
            queue(conn.channel()).delete()
    except Exception:
        pass
    rpc.cleanup()
    return rate


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--db', default=None)
    ap.add_argument('--transport', default=RABBIT)
    ap.add_argument('--intervals', type=int, default=1_000_000)
    ap.add_argument('--resources', type=int, default=10_000)
    ap.add_argument('--events', type=int, default=20_000)
    ap.add_argument('--skip', default='')
    ap.add_argument('--repeat', type=int, default=1,
                    help='rate the loaded month this many times (one load)')
    ap.add_argument('--reference', action='store_true',
                    help='also rate with the per-interval path; check identical lines')
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(',')))
    with tempfile.TemporaryDirectory(prefix='bench-billing-') as state:
        url = args.db or f'sqlite:///{state}/billing.sqlite'
        setup(url, state)
        print(f'database {url.split("@")[-1]}; load average {os.getloadavg()[0]:.1f} on '
          f'{os.cpu_count()} CPUs')
        if 'rate' not in skip:
            bench_rate(args.intervals, args.repeat, args.reference)
        if 'invoice' not in skip:
            bench_invoice(args.resources)
        if 'ingest' not in skip:
            bench_ingest(args.transport, args.events)


if __name__ == '__main__':
    main()
