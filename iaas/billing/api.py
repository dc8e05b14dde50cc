"""What the rating REST API, the CLI and other services call.

Every function returns plain dicts (Decimals and datetimes inside; the
REST layer renders them, :func:`iaas.billing.invoices.dumps` does it for
JSON). Authorization is the caller's: the REST layer checks its route
rules (a member sees its project, an admin all) before calling; ``context``
is used for who made a change.
"""
import datetime

from iaas.billing import budgets, clock, export, invoices, meters, prices, rating
from iaas.billing import reconcile as _reconcile
from iaas.db import billing as db

BUCKETS = {'hour': datetime.timedelta(hours=1), 'day': datetime.timedelta(days=1)}
InvalidPrice = prices.InvalidPrice
InvalidBudget = budgets.InvalidBudget
InvoiceStateError = invoices.InvoiceStateError
InvoiceExists = invoices.InvoiceExists
MonthNotOver = invoices.MonthNotOver


def _who(context):
    return getattr(context, 'user_id', None) if context is not None else None


# -- usage ----------------------------------------------------------------------

def usage(context, project_id, start, end, resource_type=None, bucket='day', now=None):
    """Quantities per resource, meter and day (or hour) in [start, end),
    up to now: [{resource_type, resource_id, meter, price_key, start, end,
    quantity, unit}]."""
    if bucket not in BUCKETS:
        raise ValueError(f'bucket is one of {", ".join(BUCKETS)}')
    if end <= start or end - start > datetime.timedelta(days=93):
        raise ValueError('a usage range is 1 second to 93 days')
    rows = db.interval_rows(start, end, project_id=project_id, resource_type=resource_type)
    return rating.usage(rows, start, end, clock.now(now), BUCKETS[bucket])


def meter_list(context):
    return meters.describe()


def resources(context, project_id, live_only=True):
    """The resources billing counts for a project, with their billable state."""
    return sorted(db.heads(project_id=project_id, live_only=live_only).values(),
                  key=lambda h: (h['resource_type'], h['resource_id']))


def corrections(context, project_id=None, since=None):
    return db.corrections(project_id=project_id, since=since)


def reconcile(context, now=None):
    """Run a reconciliation now (admin)."""
    return _reconcile.run(now)


# -- prices ---------------------------------------------------------------------

def prices_list(context, region=None, meter=None, at=None, history=True):
    return prices.list_prices(region, meter, at, history)


def price_set(context, meter, unit_price, effective_from=None, price_key='*', region=None,
              currency=None, note=None, now=None):
    return prices.set_price(meter, unit_price, effective_from, price_key, region, currency,
                            _who(context), note, now)


def flavor_hourly_price(context, flavor_name, state='active', at=None):
    return prices.hourly_price(flavor_name, state, at)


def discount_set(context, project_id, percent, effective_from=None, now=None):
    return db.discount_add(project_id, percent, effective_from or clock.now(now))


def credit_add(context, project_id, period, amount, reason='', currency=None):
    return db.credit_add(project_id, period, amount, currency or prices.currency(), reason)


# -- invoices -------------------------------------------------------------------

def invoices_list(context, project_id=None, period=None, now=None):
    """Issued and paid invoices (headers), plus the project's current draft."""
    return invoices.summaries(project_id, period, now)


def invoice_show(context, project_id, period, now=None):
    """The invoice of a project's month: stored when issued, else the draft."""
    return invoices.get(project_id, period, now)


def invoice_get(context, invoice_id):
    """An issued invoice by id (None if there is none)."""
    return invoices.get_by_id(invoice_id)


def invoice_render(context, invoice, fmt):
    """(content type, body bytes) of an invoice as 'json' or 'csv'."""
    if fmt == 'json':
        return 'application/json', export.render_json(invoice)
    if fmt == 'csv':
        return 'text/csv; charset=utf-8', export.render_csv(invoice)
    raise ValueError(f'no {fmt!r} rendering (json, csv)')


def invoice_issue(context, project_id, period, now=None):
    """Issue a month that is over (the daemon does it after issue_delay)."""
    inv = invoices.issue(project_id, period, now)
    _deliver(inv, now)
    return inv


def invoice_set_state(context, invoice_id, state, reference=None, now=None):
    """issued → paid; anything else raises InvoiceStateError."""
    return invoices.set_state(invoice_id, state, reference, now)


def _deliver(inv, now=None):
    if export.post('invoice.issued', export.invoice_payload(inv), now=now):
        db.invoice_webhook_sent(inv['id'], clock.now(now))


# -- budgets --------------------------------------------------------------------

def budget_get(context, project_id, now=None):
    return budgets.get_budget(project_id, now)


def budget_set(context, project_id, amount, enforce=None, currency=None, now=None):
    return budgets.set_budget(project_id, amount, enforce, currency, now)


def budget_delete(context, project_id):
    return budgets.delete_budget(project_id)


def over_budget(project_id, now=None):
    """True if new resources of ``project_id`` should be refused (an
    enforced budget reached 100 % this month)."""
    return budgets.over_budget(project_id, now)
