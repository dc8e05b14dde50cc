"""Billing queries: usage events and intervals (ingestion), the price sheet,
discounts and credits, issued invoices, budgets and alerts, corrections.

Ingestion writes in bulk (one INSERT of many rows, one UPDATE executed for
many): the rating and ingestion benchmarks (tools/bench/billing.py) depend
on it. The logic (which intervals an event makes) is the caller's: see
:func:`ingest`.
"""
import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from iaas.db.billing_models import (
    BillingBudget,
    BillingBudgetAlert,
    BillingCorrection,
    BillingCredit,
    BillingDiscount,
    BillingEvent,
    BillingInterval,
    BillingInvoice,
    BillingInvoiceLine,
    BillingPrice,
    BillingResource,
    UTCTime,
)
from iaas.db.engine import transaction
from iaas.db.utils import row_to_dict

CHUNK = 500
EV, IV, RES = BillingEvent.__table__, BillingInterval.__table__, BillingResource.__table__
INTERVAL_COLUMNS = (IV.c.resource_type, IV.c.resource_id, IV.c.project_id, IV.c.kind,
                    IV.c.state, IV.c.start_at, IV.c.end_at, IV.c.price_key, IV.c.size,
                    IV.c.requests, IV.c.bytes_out)


class InvoiceExists(Exception):
    """The project's invoice of that month is already issued."""


class InvoiceStateError(ValueError):
    """An issued invoice's lines and totals never change; only issued → paid."""


def _chunks(items, size=CHUNK):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _head_dict(row):
    return {'id': row.id, 'resource_type': row.resource_type,
            'resource_id': row.resource_id, 'project_id': row.project_id,
            'user_id': row.user_id, 'state': row.state, 'price_key': row.price_key,
            'size': row.size, 'attrs': row.attrs or {}, 'last_at': row.last_at,
            'deleted': row.deleted, 'seen_at': row.seen_at}


def _event_row(ev):
    return {'message_id': ev.message_id, 'event_type': ev.event_type, 'source': ev.source,
            'resource_type': ev.resource_type, 'resource_id': ev.resource_id,
            'project_id': ev.project_id, 'user_id': ev.user_id, 'state': ev.state,
            'at': ev.at, 'payload': ev.payload}


# -- ingestion ----------------------------------------------------------------

def ingest(events, planner, reparse, now, corrections=()):
    """Store ``events`` (parsed, see iaas.billing.events) that are new by
    message id, and the intervals they make, in one transaction.

    ``planner(heads, new_by_key, all_by_key)`` (iaas.billing.intervals.plan)
    says what to write; ``reparse(row)`` makes an event of a stored row
    (for resources derived again). ``corrections``: rows of
    billing_corrections written in the same transaction. Returns the new
    events. Retries once when another billing daemon stored one of them
    first."""
    for attempt in range(3):
        try:
            return _ingest(events, planner, reparse, now, corrections)
        except IntegrityError:
            if attempt == 2:
                raise


def _ingest(events, planner, reparse, now, corrections):
    with transaction() as s:
        conn = s.connection()
        unique = {}
        for ev in events:
            unique.setdefault(ev.message_id, ev)
        known = set()
        for chunk in _chunks(unique):
            known.update(conn.execute(sa.select(EV.c.message_id).where(
                EV.c.message_id.in_(chunk))).scalars())
        new = [ev for mid, ev in unique.items() if mid not in known]
        if not new:
            return []
        conn.execute(EV.insert(), [dict(_event_row(ev), received_at=now) for ev in new])
        counters = [ev for ev in new if ev.kind == 'counter']
        by_key = {}
        for ev in new:
            if ev.kind == 'state':
                by_key.setdefault(ev.key, []).append(ev)
        heads = _heads(conn, by_key, lock=True)
        stale = [k for k, evs in by_key.items() if k in heads
                 and min(e.at for e in evs) <= heads[k]['last_at']]
        all_by_key = _stored_events(conn, stale, reparse)
        closes, rederived, intervals, new_heads = planner(heads, by_key, all_by_key)
        if closes:
            conn.execute(IV.update().where(
                IV.c.resource_type == sa.bindparam('rt'), IV.c.resource_id == sa.bindparam('rid'),
                IV.c.kind == 'state', IV.c.end_at.is_(None)).values(end_at=sa.bindparam('at')),
                [{'rt': k[0], 'rid': k[1], 'at': at} for k, at in closes])
        for rt, rid in rederived:
            conn.execute(IV.delete().where(IV.c.resource_type == rt, IV.c.resource_id == rid,
                                           IV.c.kind == 'state'))
        from_counters = [_counter(ev) for ev in counters]
        if intervals or from_counters:
            conn.execute(IV.insert(), intervals + from_counters)
        _write_heads(conn, new_heads)
        if corrections:
            conn.execute(BillingCorrection.__table__.insert(),
                         [dict(c, created_at=now) for c in corrections])
        return new


def _counter(ev):
    return {'resource_type': ev.resource_type, 'resource_id': ev.resource_id,
            'project_id': ev.project_id, 'kind': 'counter', 'state': 'traffic',
            'start_at': ev.start, 'end_at': ev.at, 'price_key': None, 'size': None,
            'requests': ev.requests, 'bytes_out': ev.bytes_out,
            'attrs': {'message_id': ev.message_id}}


def _heads(conn, keys, lock=False):
    out = {}
    by_type = {}
    for rt, rid in keys:
        by_type.setdefault(rt, []).append(rid)
    for rt, rids in by_type.items():
        for chunk in _chunks(rids):
            q = sa.select(RES).where(RES.c.resource_type == rt, RES.c.resource_id.in_(chunk))
            if lock and conn.dialect.name != 'sqlite':
                q = q.with_for_update()
            for row in conn.execute(q):
                out[(rt, row.resource_id)] = _head_dict(row)
    return out


def _stored_events(conn, keys, reparse):
    out = {}
    for rt, rid in keys:
        rows = conn.execute(sa.select(EV).where(
            EV.c.resource_type == rt, EV.c.resource_id == rid))
        evs = [ev for ev in (reparse(r) for r in rows) if ev is not None and ev.kind == 'state']
        out[(rt, rid)] = evs
    return out


def _head_row(h):
    return {'resource_type': h['resource_type'], 'resource_id': h['resource_id'],
            'project_id': h['project_id'], 'user_id': h['user_id'], 'state': h['state'],
            'price_key': h['price_key'], 'size': h['size'], 'attrs': h['attrs'] or {},
            'last_at': h['last_at'], 'deleted': bool(h['deleted'])}


def _write_heads(conn, heads):
    inserts = [_head_row(h) for h in heads if not h.get('id')]
    updates = [dict(_head_row(h), hid=h['id']) for h in heads if h.get('id')]
    if inserts:
        conn.execute(RES.insert(), inserts)
    if updates:
        cols = {c: sa.bindparam(c) for c in _head_row(heads[0]) if c not in (
            'resource_type', 'resource_id')}
        conn.execute(RES.update().where(RES.c.id == sa.bindparam('hid')).values(**cols),
                     [{k: v for k, v in u.items() if k not in ('resource_type', 'resource_id')}
                      for u in updates])


def heads(resource_type=None, live_only=True, project_id=None):
    """{(type, id): head} of the resources billing knows."""
    with transaction() as s:
        q = sa.select(RES)
        if resource_type:
            q = q.where(RES.c.resource_type == resource_type)
        if live_only:
            q = q.where(RES.c.deleted == sa.false())
        if project_id:
            q = q.where(RES.c.project_id == project_id)
        return {(r.resource_type, r.resource_id): _head_dict(r)
                for r in s.connection().execute(q)}


def mark_seen(keys, at):
    with transaction() as s:
        conn = s.connection()
        by_type = {}
        for rt, rid in keys:
            by_type.setdefault(rt, []).append(rid)
        for rt, rids in by_type.items():
            for chunk in _chunks(rids):
                conn.execute(RES.update().where(RES.c.resource_type == rt,
                                                RES.c.resource_id.in_(chunk)).values(seen_at=at))


def event_count():
    with transaction() as s:
        return s.scalar(sa.select(sa.func.count()).select_from(EV))


def events_of(resource_type, resource_id):
    with transaction() as s:
        return [dict(r._mapping) for r in s.connection().execute(
            sa.select(EV).where(EV.c.resource_type == resource_type,
                                EV.c.resource_id == resource_id).order_by(EV.c.at, EV.c.id))]


# -- intervals ----------------------------------------------------------------

def _start_at(conn, whole_table):
    """``start_at`` to filter on. Over every project, SQLite's index on it
    only excludes the intervals that start after the period (few) and costs
    a lookup per row (3 × the CPU of a plain scan of a million rows): the
    unary ``+`` (a no-op) makes it scan the table instead."""
    if whole_table and conn.dialect.name == 'sqlite':
        return sa.type_coerce(sa.literal_column(f'+{IV.name}.start_at'), IV.c.start_at.type)
    return IV.c.start_at


def interval_rows(start, end, project_id=None, resource_type=None, kind=None):
    """Tuples (resource_type, resource_id, project_id, kind, state, start_at,
    end_at, price_key, size, requests, bytes_out) of every interval that
    overlaps [start, end) (a counter: whose period ends in it); ``kind``
    ('state' or 'counter'): only those."""
    with transaction() as s:
        conn = s.connection()
        sqlite = conn.dialect.name == 'sqlite'
        cols = list(INTERVAL_COLUMNS)
        if sqlite:
            # SQLite keeps times as text: parsed below by fromisoformat (C),
            # 20 times faster than the dialect's regular expression
            cols[5] = sa.type_coerce(IV.c.start_at, sa.String)
            cols[6] = sa.type_coerce(IV.c.end_at, sa.String)
        q = sa.select(*cols).where(
            _start_at(conn, project_id is None and resource_type is None) < end,
            sa.or_(IV.c.end_at.is_(None), IV.c.end_at >= start))
        if project_id is not None:
            q = q.where(IV.c.project_id == project_id)
        if resource_type is not None:
            q = q.where(IV.c.resource_type == resource_type)
        if kind is not None:
            q = q.where(IV.c.kind == kind)
        # the driver's tuples: no Row objects (a million rows are read at once);
        # no column here needs a result processor but SQLite's times
        rows = conn.execute(q).cursor.fetchall()
    if not sqlite:
        return rows
    iso = datetime.datetime.fromisoformat
    return [(r[0], r[1], r[2], r[3], r[4], iso(r[5]), iso(r[6]) if r[6] else None, r[7],
             r[8], r[9], r[10]) for r in rows]


EPOCH = datetime.datetime(1970, 1, 1)
USAGE_BATCH = 50_000


def _epoch_us(conn, col):
    """Exact integer microseconds since 1970-01-01 of a UTC time column
    (NULL stays NULL), computed by the database."""
    name = conn.dialect.name
    if name == 'sqlite':
        # text 'YYYY-MM-DD HH:MM:SS.ffffff': whole seconds, then the six digits
        # of the fraction ('' → 0 if a value has none)
        secs = (sa.func.unixepoch(col) if conn.dialect.dbapi.sqlite_version_info >= (3, 38)
                else sa.cast(sa.func.strftime('%s', col), sa.BigInteger))
        return secs * 1_000_000 + sa.cast(sa.func.substr(col, 21, 6), sa.BigInteger)
    if name == 'postgresql':
        # EXTRACT is numeric (exact) since PostgreSQL 14 (≤ 13: a double, whose
        # error the cast's rounding removes for dates before ≈ 2040)
        return sa.cast(sa.extract('epoch', col) * 1_000_000, sa.BigInteger)
    # MySQL / MariaDB: DATETIME(6) difference, exact and independent of time_zone
    return sa.func.timestampdiff(sa.literal_column('MICROSECOND'),
                                 sa.literal(EPOCH, UTCTime), col)


def interval_usage(start, stop, project_id=None):
    """The state intervals overlapping [start, stop), in batches (lists) of
    tuples (project_id, resource_type, resource_id, state, price_key, size,
    start_us, end_us): times as integer microseconds since 1970-01-01,
    ``end_us`` None while open. The lean form month rating reads
    (:func:`iaas.billing.rating.accumulate_usage`): no datetime objects, no
    Row objects, a batch at a time."""
    with transaction() as s:
        conn = s.connection()
        q = sa.select(IV.c.project_id, IV.c.resource_type, IV.c.resource_id, IV.c.state,
                      IV.c.price_key, IV.c.size, _epoch_us(conn, IV.c.start_at),
                      _epoch_us(conn, IV.c.end_at)).where(
            IV.c.kind == 'state', _start_at(conn, project_id is None) < stop,
            sa.or_(IV.c.end_at.is_(None), IV.c.end_at > start))
        if project_id is not None:
            q = q.where(IV.c.project_id == project_id)
        # the driver's cursor: every column is a plain int or str already
        cursor = conn.execute(q).cursor
        while True:
            batch = cursor.fetchmany(USAGE_BATCH)
            if not batch:
                break
            yield batch


def interval_projects(start, end):
    """Projects with usage overlapping [start, end)."""
    with transaction() as s:
        return sorted(s.connection().execute(sa.select(IV.c.project_id).distinct().where(
            IV.c.start_at < end, sa.or_(IV.c.end_at.is_(None), IV.c.end_at >= start)
        )).scalars())


def intervals_of(resource_type, resource_id):
    with transaction() as s:
        return [dict(r._mapping) for r in s.connection().execute(
            sa.select(IV).where(IV.c.resource_type == resource_type,
                                IV.c.resource_id == resource_id).order_by(IV.c.start_at,
                                                                          IV.c.id))]


def corrections(project_id=None, since=None, limit=1000):
    with transaction() as s:
        q = sa.select(BillingCorrection).order_by(BillingCorrection.id.desc()).limit(limit)
        if project_id:
            q = q.where(BillingCorrection.project_id == project_id)
        if since:
            q = q.where(BillingCorrection.created_at >= since)
        return [row_to_dict(r) for r in s.scalars(q)]


# -- price sheet, discounts, credits -------------------------------------------

def price_add(meter, price_key, region, currency, unit_price, effective_from,
              created_by=None, note=None, now=None):
    with transaction() as s:
        row = BillingPrice(meter=meter, price_key=price_key or '*', region=region,
                           currency=currency, unit_price=unit_price,
                           effective_from=effective_from, created_by=created_by, note=note,
                           **({'created_at': now} if now else {}))
        s.add(row)
        s.flush()
        return row_to_dict(row)


def prices(region=None, meter=None):
    """Every price row (the history), oldest effective date first."""
    with transaction() as s:
        q = sa.select(BillingPrice).order_by(BillingPrice.meter, BillingPrice.price_key,
                                             BillingPrice.effective_from, BillingPrice.id)
        if region:
            q = q.where(BillingPrice.region == region)
        if meter:
            q = q.where(BillingPrice.meter == meter)
        return [row_to_dict(r) for r in s.scalars(q)]


def discount_add(project_id, percent, effective_from):
    with transaction() as s:
        row = BillingDiscount(project_id=project_id, percent=percent,
                              effective_from=effective_from)
        s.add(row)
        s.flush()
        return row_to_dict(row)


def discounts(project_id):
    with transaction() as s:
        return [row_to_dict(r) for r in s.scalars(sa.select(BillingDiscount).where(
            BillingDiscount.project_id == project_id).order_by(
            BillingDiscount.effective_from, BillingDiscount.id))]


def credit_add(project_id, period, amount, currency, reason=''):
    with transaction() as s:
        row = BillingCredit(project_id=project_id, period=period, amount=amount,
                            currency=currency, reason=reason)
        s.add(row)
        s.flush()
        return row_to_dict(row)


def credits(project_id, period):
    with transaction() as s:
        return [row_to_dict(r) for r in s.scalars(sa.select(BillingCredit).where(
            BillingCredit.project_id == project_id, BillingCredit.period == period).order_by(
            BillingCredit.id))]


# -- invoices -----------------------------------------------------------------

LINE_FIELDS = ('resource_type', 'resource_id', 'meter', 'price_key', 'start_at', 'end_at',
               'quantity', 'unit', 'unit_price', 'amount')


def invoice_insert(header, lines):
    """Store an issued invoice and its lines; InvoiceExists if the project's
    invoice of that period is already there."""
    try:
        with transaction() as s:
            row = BillingInvoice(**header, line_count=len(lines))
            s.add(row)
            s.flush()
            if lines:
                s.connection().execute(BillingInvoiceLine.__table__.insert(), [
                    dict({f: ln[f] for f in LINE_FIELDS}, invoice_id=row.id) for ln in lines])
            return row_to_dict(row)
    except IntegrityError:
        raise InvoiceExists(f"{header['project_id']} {header['period']}") from None


def invoice_get(uuid=None, project_id=None, period=None):
    with transaction() as s:
        q = sa.select(BillingInvoice)
        if uuid:
            q = q.where(BillingInvoice.uuid == uuid)
        else:
            q = q.where(BillingInvoice.project_id == project_id, BillingInvoice.period == period)
        row = s.scalars(q).first()
        return row_to_dict(row) if row else None


def invoice_lines(invoice_id):
    with transaction() as s:
        return [{f: getattr(r, f) for f in LINE_FIELDS} for r in s.scalars(
            sa.select(BillingInvoiceLine).where(BillingInvoiceLine.invoice_id == invoice_id)
            .order_by(BillingInvoiceLine.id))]


def invoice_list(project_id=None, period=None, state=None):
    with transaction() as s:
        q = sa.select(BillingInvoice).order_by(BillingInvoice.period.desc(),
                                               BillingInvoice.project_id)
        if project_id:
            q = q.where(BillingInvoice.project_id == project_id)
        if period:
            q = q.where(BillingInvoice.period == period)
        if state:
            q = q.where(BillingInvoice.state == state)
        return [row_to_dict(r) for r in s.scalars(q)]


def invoice_set_paid(uuid, paid_at, reference=None):
    """issued → paid (a compare-and-swap); nothing else of an invoice changes."""
    with transaction() as s:
        n = s.execute(sa.update(BillingInvoice).where(
            BillingInvoice.uuid == uuid, BillingInvoice.state == 'issued').values(
            state='paid', paid_at=paid_at, paid_reference=reference)).rowcount
        if n != 1:
            raise InvoiceStateError(f'invoice {uuid} is not issued (only issued → paid)')


def invoice_webhook_sent(uuid, at):
    with transaction() as s:
        s.execute(sa.update(BillingInvoice).where(BillingInvoice.uuid == uuid).values(
            webhook_sent_at=at))


# -- budgets --------------------------------------------------------------------

def budget_set(project_id, amount, currency, enforce, now):
    with transaction() as s:
        row = s.scalars(sa.select(BillingBudget).where(
            BillingBudget.project_id == project_id)).first()
        if row is None:
            row = BillingBudget(project_id=project_id)
            s.add(row)
        row.amount, row.currency, row.enforce, row.updated_at = amount, currency, enforce, now
        s.flush()
        return row_to_dict(row)


def budget_delete(project_id):
    with transaction() as s:
        return s.execute(sa.delete(BillingBudget).where(
            BillingBudget.project_id == project_id)).rowcount > 0


def budget_get(project_id):
    with transaction() as s:
        row = s.scalars(sa.select(BillingBudget).where(
            BillingBudget.project_id == project_id)).first()
        return row_to_dict(row) if row else None


def budgets():
    with transaction() as s:
        return [row_to_dict(r) for r in s.scalars(sa.select(BillingBudget).order_by(
            BillingBudget.project_id))]


def alert_add(project_id, period, level, spent, budget, at):
    """Record that ``level`` % was reached; False if it was already."""
    try:
        with transaction() as s:
            s.add(BillingBudgetAlert(project_id=project_id, period=period, level=level,
                                     spent=spent, budget=budget, fired_at=at))
        return True
    except IntegrityError:
        return False


def alerts_clear(project_id, period):
    """Forget a month's alerts (they were about a budget amount since changed)."""
    with transaction() as s:
        s.execute(sa.delete(BillingBudgetAlert).where(
            BillingBudgetAlert.project_id == project_id, BillingBudgetAlert.period == period))


def alerts(project_id, period=None):
    with transaction() as s:
        q = sa.select(BillingBudgetAlert).where(
            BillingBudgetAlert.project_id == project_id).order_by(BillingBudgetAlert.level)
        if period:
            q = q.where(BillingBudgetAlert.period == period)
        return [row_to_dict(r) for r in s.scalars(q)]
