"""Monthly budgets per project: alerts at 50, 80 and 100 % (once each per
month, on the bus as ``billing.budget.alert`` and through the webhook), and
an optional enforcement flag others ask with :func:`over_budget`.

Spending is the month's draft total to date (tax included). The daemon
checks every ``[billing] budget_interval`` seconds; :func:`over_budget`
reads only the 100 % alert row, so a create request pays one indexed
query, and a project is refused from the check that saw it cross 100 %.
"""
import decimal
import logging
import time
import uuid

from iaas import rpc
from iaas.billing import clock, events, export, invoices, prices
from iaas.conf import CONF
from iaas.db import billing as db

LOG = logging.getLogger(__name__)
LEVELS = (50, 80, 100)
ALERT_EVENT = 'billing.budget.alert'


class InvalidBudget(ValueError):
    pass


def set_budget(project_id, amount, enforce=None, currency_code=None, now=None):
    try:
        amount = decimal.Decimal(str(amount))
    except decimal.InvalidOperation:
        raise InvalidBudget(f'not an amount: {amount!r}') from None
    if not amount.is_finite() or amount <= 0:
        raise InvalidBudget('a budget is an amount > 0')
    expected = prices.currency()
    if (currency_code or expected).upper() != expected:
        raise InvalidBudget(f'budgets here are in {expected}')
    amount = amount.quantize(prices.quantum(expected))
    before = db.budget_get(project_id)
    db.budget_set(project_id, amount, expected, enforce, clock.now(now))
    if before is not None and decimal.Decimal(before['amount']) != amount:
        # this month's alerts were about the old amount: the levels fire
        # again against the new one (and enforcement follows them)
        db.alerts_clear(project_id, clock.period_of(clock.now(now)))
    return get_budget(project_id, now)


def delete_budget(project_id):
    return db.budget_delete(project_id)


def _enforced(row):
    return CONF.billing.budget_enforcement if row['enforce'] is None else row['enforce']


def get_budget(project_id, now=None):
    """The budget with this month's spending and alerts (None: no budget)."""
    row = db.budget_get(project_id)
    if row is None:
        return None
    now = clock.now(now)
    period = clock.period_of(now)
    spent = invoices.compute(project_id, period, now, with_forecast=False)['total']
    amount = decimal.Decimal(row['amount'])
    return {'project_id': project_id, 'amount': amount, 'currency': row['currency'],
            'enforce': _enforced(row), 'period': period, 'spent': spent,
            'percent': (spent * 100 / amount).quantize(decimal.Decimal('0.01')),
            'alerts': [{'level': a['level'], 'fired_at': a['fired_at'], 'spent': a['spent']}
                       for a in db.alerts(project_id, period)],
            'over_budget': _enforced(row) and spent >= amount}


def check(now=None, publish=True):
    """Fire the alert levels each budgeted project crossed this month;
    returns the alerts fired now."""
    now = clock.now(now)
    period = clock.period_of(now)
    fired = []
    for row in db.budgets():
        amount = decimal.Decimal(row['amount'])
        spent = invoices.compute(row['project_id'], period, now, with_forecast=False)['total']
        for level in LEVELS:
            if spent * 100 < amount * level:
                break
            if db.alert_add(row['project_id'], period, level, spent, amount, now):
                alert = {'project_id': row['project_id'], 'period': period, 'level': level,
                         'spent': spent, 'budget': amount, 'currency': row['currency'],
                         'enforce': _enforced(row), 'at': now}
                fired.append(alert)
                if publish:
                    notify(alert)
    return fired


def notify(alert):
    """Publish the alert on the bus and post it to the webhook."""
    try:
        transport = rpc.get_transport()
        body = events.envelope(ALERT_EVENT, _plain(alert), str(uuid.uuid4()), clock.now())
        body['publisher_id'] = f'billing.{CONF.host}'
        transport.publish(body, transport.exchange, events.ROUTING_KEY,
                          time.monotonic() + 10, declare=[transport.exchange])
    except Exception:
        LOG.exception('could not publish the budget alert of %s', alert['project_id'])
    export.post(ALERT_EVENT, _plain(alert))


def _plain(alert):
    return invoices._norm(alert)


def over_budget(project_id, now=None):
    """True when ``project_id`` has an enforced budget and reached 100 % of
    it this month (new resources should then be refused)."""
    row = db.budget_get(project_id)
    if row is None or not _enforced(row):
        return False
    period = clock.period_of(clock.now(now))
    return any(a['level'] >= 100 for a in db.alerts(project_id, period))


