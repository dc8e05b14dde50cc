"""iaas-billing: consumes usage notifications, reconciles, issues invoices,
checks budgets.

Periodic tasks (spacing from ``[billing]``): reconciliation
(``reconcile_interval``), month-end issuing (``invoice_interval``: once a
month is over by ``issue_delay``, every project's invoice of it is issued,
exported as CSV and JSON and sent to the webhook; failed webhook
deliveries are retried) and budget alerts (``budget_interval``). Its RPC
topic ``billing`` answers ``ping``, ``reconcile`` and ``status``.
"""
import datetime
import logging

from iaas import manager, rpc
from iaas.billing import budgets, clock, consumer, export, invoices, reconcile
from iaas.conf import CONF
from iaas.db import billing as db

LOG = logging.getLogger(__name__)
TOPIC = 'billing'
NEVER = 10 ** 9


def _spacing(option):
    return lambda: getattr(CONF.billing, option) or NEVER


class BillingManager(manager.Manager):
    service_name = 'billing'

    def __init__(self, host, transport=None, clock_=None):
        super().__init__(host)
        self.clock = clock_ or clock.get_clock()
        self.transport = transport
        self.consumer = None

    def init_host(self):
        self.consumer = consumer.NotificationConsumer(
            self.transport or rpc.get_transport(), batch=CONF.billing.ingest_batch,
            now=self.clock.now)
        self.consumer.start()

    def wait_ready(self, timeout=30):
        return self.consumer is not None and self.consumer.ready.wait(timeout)

    def cleanup_host(self):
        if self.consumer is not None:
            self.consumer.stop()

    @rpc.expose
    def reconcile(self, context):
        report = reconcile.run(self.clock.now())
        report['corrections'] = len(report['corrections'])
        return report

    @rpc.expose
    def status(self, context):
        return {'host': self.host, 'events': db.event_count(),
                'consumer': dict(self.consumer.stats) if self.consumer else None}

    @manager.periodic_task(spacing=_spacing('reconcile_interval'), run_immediately=True)
    def reconcile_task(self, context):
        if CONF.billing.reconcile_interval:
            reconcile.run(self.clock.now())

    @manager.periodic_task(spacing=_spacing('invoice_interval'), run_immediately=True)
    def invoice_task(self, context):
        if CONF.billing.invoice_interval:
            self.close_months()

    @manager.periodic_task(spacing=_spacing('budget_interval'))
    def budget_task(self, context):
        if CONF.billing.budget_interval:
            budgets.check(self.clock.now())

    def close_months(self, now=None):
        """Issue last month's invoices once it is over by issue_delay; export
        them; (re)send webhooks not delivered yet. Returns those issued."""
        now = now or self.clock.now()
        period = clock.previous_period(clock.period_of(now))
        _start, end = clock.month_bounds(period)
        issued = []
        if now >= end + datetime.timedelta(seconds=CONF.billing.issue_delay):
            issued = invoices.issue_month(period, now)
            if issued:
                all_of_month = [invoices.get_by_id(r['uuid'])
                                for r in db.invoice_list(period=period)]
                export.write_month(period, all_of_month)
        for row in db.invoice_list(state='issued') + db.invoice_list(state='paid'):
            if row['webhook_sent_at'] is None and CONF.billing.webhook_url:
                inv = invoices.get_by_id(row['uuid'])
                if export.post('invoice.issued', export.invoice_payload(inv), now=now):
                    db.invoice_webhook_sent(row['uuid'], now)
        return issued
