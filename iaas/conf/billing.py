"""[billing] options: currency, tax, rounding, reconciliation, webhooks and
budgets of iaas-billing (metering, rating and invoices)."""
from oslo_config import cfg

billing_group = cfg.OptGroup(
    'billing', title='Billing options',
    help='iaas-billing stores the usage events every service emits, keeps usage '
         'intervals per resource, reconciles them with the database, prices them '
         'with the price sheet (iaas-manage price) and issues monthly invoices.')

billing_opts = [
    cfg.StrOpt('region', default='',
               help='The region whose price sheet rates usage here (each region runs '
                    'its own iaas-billing). Empty: [identity] region.'),
    cfg.StrOpt('currency', default='EUR',
               help='ISO 4217 code of the invoices of a region that '
                    '"region_currencies" does not name.'),
    cfg.DictOpt('region_currencies', default={},
                help='Currency per region, e.g. "RegionOne:EUR,us-east:USD". A price '
                     'row in another currency than its region\'s is ignored.'),
    cfg.DictOpt('minor_units', default={},
                help='Decimal places of currencies, added to the built-in ISO 4217 '
                     'table (2 unless listed: JPY and KRW 0, BHD, KWD, OMR, TND 3), '
                     'e.g. "XAU:4".'),
    cfg.StrOpt('tax_rate', default='0',
               help='Tax rate applied to the invoice subtotal after discount and '
                    'credits, as a decimal fraction ("0.20" for 20 %).'),
    cfg.StrOpt('rounding', default='half_even', choices=['half_even', 'half_up'],
               help='How an invoice line, the discount and the tax are rounded to the '
                    'currency\'s minor unit: half_even (banker\'s rounding) or '
                    'half_up. Quantities and sums are exact until then.'),
    cfg.IntOpt('reconcile_interval', default=600, min=0,
               help='Seconds between reconciliation runs, which compare the usage '
                    'intervals with every instance, volume, snapshot, image and '
                    'floating IP in the database and correct them (0: never).'),
    cfg.IntOpt('invoice_interval', default=3600, min=0,
               help='Seconds between checks for months to close: once a calendar '
                    'month (UTC) has ended plus "issue_delay", its invoices are '
                    'issued (0: never; issue them with the API).'),
    cfg.IntOpt('issue_delay', default=3600, min=0,
               help='Seconds after the end of a month before its invoices are issued, '
                    'so late events and the reconciliation that follows the month '
                    'end are counted.'),
    cfg.IntOpt('budget_interval', default=300, min=0,
               help='Seconds between budget checks (alerts at 50, 80 and 100 %% of a '
                    'project\'s monthly budget; 0: never).'),
    cfg.BoolOpt('budget_enforcement', default=False,
                help='Default of a budget\'s enforcement flag: refuse new resources of '
                     'a project that has spent 100 %% of its budget this month '
                     '(running ones are untouched). A budget may set its own.'),
    cfg.IntOpt('enforcement_cache', default=10, min=0,
               help='Seconds the compute, volume, image and network APIs keep a '
                    'project\'s "over its enforced budget" answer before asking the '
                    'database again (0: ask on every create).'),
    cfg.StrOpt('webhook_url', default='',
               help='URL that receives a POST for every issued invoice and budget '
                    'alert (JSON, signed with webhook_secret). Empty: none.'),
    cfg.StrOpt('webhook_secret', default='', secret=True,
               help='Key of the HMAC-SHA256 signature sent in the X-Iaas-Signature '
                    'header ("sha256=<hex>") of every webhook request.'),
    cfg.IntOpt('webhook_timeout', default=10, min=1,
               help='Seconds a webhook request may take.'),
    cfg.IntOpt('ingest_batch', default=500, min=1,
               help='Events the consumer stores in one transaction at most.'),
    cfg.StrOpt('export_dir', default='',
               help='Directory where the CSV and JSON export of each issued invoice '
                    'is written (empty: $state_path/billing-export).'),
]


def register_opts(conf):
    conf.register_group(billing_group)
    conf.register_opts(billing_opts, group=billing_group)


def list_opts():
    return {billing_group: billing_opts}
