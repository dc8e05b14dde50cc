"""``iaas-manage price …`` and ``iaas-manage billing …`` (loaded by
iaas/cmd/manage.py through EXTRA_COMMAND_MODULES).

    iaas-manage price list [--meter M] [--current] [--region R]
    iaas-manage price set METER PRICE [--key FLAVOR|TYPE] [--from 2025-07-01T00:00:00]
                          [--region R] [--note TEXT]
    iaas-manage price meters
    iaas-manage billing reconcile
    iaas-manage billing issue PERIOD [--project P]
"""
import sys

from iaas.billing import invoices, meters, prices, reconcile


def _table(headers, rows, out=None):
    out = out or sys.stdout
    rows = [[('' if v is None else str(v)) for v in r] for r in rows]
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]
    line = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'
    print(line, file=out)
    print('| ' + ' | '.join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + ' |', file=out)
    print(line, file=out)
    for r in rows:
        print('| ' + ' | '.join(v.ljust(w) for v, w in zip(r, widths, strict=True)) + ' |', file=out)
    print(line, file=out)


def price_list(args):
    """List the price sheet (its whole history unless --current)."""
    rows = prices.list_prices(args.region, args.meter, history=not args.current)
    _table(['id', 'meter', 'key', 'region', 'currency', 'unit price', 'unit',
            'effective from', 'created by', 'note'],
           [[r['id'], r['meter'], r['price_key'], r['region'], r['currency'], r['unit_price'],
             r['unit'], r['effective_from'], r['created_by'], r['note']] for r in rows])


def price_set(args):
    """Add a price row effective from a date (default now); history is kept."""
    row = prices.set_price(args.meter, args.price, args.effective_from, args.key or '*',
                           args.region, args.currency, 'iaas-manage', args.note)
    print(f"price {row['id']}: {row['meter']} [{row['price_key']}] = {row['unit_price']} "
          f"{row['currency']} per {row['unit']} from {row['effective_from']}")


def price_meters(_args):
    """List the meters a price can be set for."""
    _table(['meter', 'resource', 'unit', 'states', 'keyed by'],
           [[m['name'], m['resource_type'], m['unit'], ','.join(m['states']),
             'flavor/type' if m['keyed'] else '*'] for m in meters.describe()])


def billing_reconcile(_args):
    """Compare usage intervals with the database once and correct them."""
    report = reconcile.run()
    for c in report['corrections']:
        print(f"{c['action']} {c['resource_type']} {c['resource_id']} {c['state']} "
              f"at {c['at']}: {c['reason']}")
    print(f"opened {report['opened']}, changed {report['changed']}, "
          f"closed {report['closed']}")


def billing_issue(args):
    """Issue the invoices of a month that is over (all projects, or one)."""
    if args.project:
        issued = [invoices.issue(args.project, args.period)]
    else:
        issued = invoices.issue_month(args.period)
    for inv in issued:
        print(f"{inv['id']} {inv['project_id']} {inv['period']} {inv['total']} "
              f"{inv['currency']}")


MANAGE_COMMANDS = {
    'price': {
        'list': (price_list, [(['--meter'], {}), (['--region'], {}),
                              (['--current'], {'action': 'store_true'})]),
        'set': (price_set, [(['meter'], {'metavar': 'METER'}),
                            (['price'], {'metavar': 'PRICE'}),
                            (['--key'], {'default': '*'}),
                            (['--from'], {'dest': 'effective_from', 'default': None}),
                            (['--region'], {}), (['--currency'], {}), (['--note'], {})]),
        'meters': (price_meters, []),
    },
    'billing': {
        'reconcile': (billing_reconcile, []),
        'issue': (billing_issue, [(['period'], {'metavar': 'YYYY-MM'}),
                                  (['--project'], {})]),
    },
}
