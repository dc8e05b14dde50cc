"""The simulated month of tests/functional/billing: events of one project
in March 2025 and the invoice computed by hand."""
import datetime
import decimal
import uuid

from iaas.billing import events

D = decimal.Decimal
PROJECT = 'p-month'
T0 = datetime.datetime(2025, 3, 1)
PERIOD = '2025-03'
GIB = 2 ** 30


def at(day, hour=0, minute=0):
    return datetime.datetime(2025, 3, day, hour, minute)


FLAVORS = {'m1.small': {'flavor_id': '2', 'vcpus': 1, 'memory_mb': 2048, 'root_gb': 20},
           'm1.medium': {'flavor_id': '3', 'vcpus': 2, 'memory_mb': 4096, 'root_gb': 40}}


def env(event_type, rtype, rid, state, when, project=PROJECT, **fields):
    payload = {'resource_type': rtype, 'resource_id': rid, 'project_id': project,
               'user_id': 'u1', 'state': state, 'at': events.format_time(when), **fields}
    return events.envelope(event_type, payload, str(uuid.uuid4()), when,
                           publisher_id='test.host')


def server(event_type, rid, state, when, flavor, project=PROJECT):
    return env(f'compute.instance.{event_type}', 'instance', rid, state, when, project,
               flavor_name=flavor, **FLAVORS[flavor])


PRICES = [  # meter, key, price, from
    ('instance.running', 'm1.small', '0.02', datetime.datetime(2025, 1, 1)),
    ('instance.running', 'm1.small', '0.025', at(16)),      # mid-month change
    ('instance.running', 'm1.medium', '0.04', datetime.datetime(2025, 1, 1)),
    ('instance.stopped', '*', '0.005', datetime.datetime(2025, 1, 1)),
    ('volume.size', '*', '0.0001', datetime.datetime(2025, 1, 1)),
    ('image.size', '*', '0.00005', datetime.datetime(2025, 1, 1)),
    ('object.size', '*', '0.00003', datetime.datetime(2025, 1, 1)),
    ('object.bytes_out', '*', '0.05', datetime.datetime(2025, 1, 1)),
    ('object.requests', '*', '0.004', datetime.datetime(2025, 1, 1)),
    ('floating_ip.hours', '*', '0.005', datetime.datetime(2025, 1, 1)),
]


def set_prices(conf):
    from iaas.billing import prices
    for meter, key, price, when in PRICES:
        prices.set_price(meter, price, when, key, now=datetime.datetime(2025, 1, 1))


def month_events():
    """Every usage event of the month, in the order they happened."""
    return [
        env('volume.create.end', 'volume', 'vol-1', 'available', at(1), size_gb=10,
            volume_type='standard'),
        env('image.upload', 'image', 'img-1', 'active', at(1), size_bytes=2 * GIB),
        env('objectstore.account.usage', 'object_account', 'acct-1', 'present', at(1),
            bytes_used=5 * GIB),
        server('create.end', 'srv-a', 'active', at(1, 10), 'm1.small'),
        server('create.end', 'srv-b', 'active', at(2), 'm1.medium'),
        server('delete.end', 'srv-b', 'deleted', at(3, 12, 30), 'm1.medium'),
        env('floatingip.create.end', 'floating_ip', 'fip-1', 'allocated', at(4),
            floating_ip_address='203.0.113.5', port_id=None),
        server('power_off.end', 'srv-a', 'stopped', at(5, 10), 'm1.small'),
        env('floatingip.update.end', 'floating_ip', 'fip-1', 'allocated', at(5),
            floating_ip_address='203.0.113.5', port_id='port-1'),
        server('power_on.end', 'srv-a', 'active', at(6, 10), 'm1.small'),
        env('floatingip.delete.end', 'floating_ip', 'fip-1', 'deleted', at(7),
            floating_ip_address='203.0.113.5', port_id=None),
        env('objectstore.account.traffic', 'object_account', 'acct-1', 'present', at(10, 1),
            requests=12345, bytes_out=3 * GIB, period_start=events.format_time(at(10)),
            period_end=events.format_time(at(10, 1))),
        env('volume.resize.end', 'volume', 'vol-1', 'available', at(11), size_gb=20,
            volume_type='standard'),
        env('objectstore.account.usage', 'object_account', 'acct-1', 'present', at(15),
            bytes_used=10 * GIB),
        server('resize.confirm.end', 'srv-a', 'active', at(20), 'm1.medium'),
        env('objectstore.account.traffic', 'object_account', 'acct-1', 'present', at(20, 1),
            requests=7655, bytes_out=GIB, period_start=events.format_time(at(20)),
            period_end=events.format_time(at(20, 1))),
    ]


# The invoice by hand (EUR, 2 decimals, half-even; tax 20 %):
EXPECTED_LINES = {
    # (resource, meter, key, unit price): (quantity, amount)
    ('srv-a', 'instance.running', 'm1.small', D('0.02')): (D('326'), D('6.52')),
    # 1 Mar 10:00 → 5 Mar 10:00 (96 h) + 6 Mar 10:00 → 16 Mar 00:00 (230 h)
    ('srv-a', 'instance.running', 'm1.small', D('0.025')): (D('96'), D('2.40')),
    # 16 → 20 Mar: the price change splits the line
    ('srv-a', 'instance.stopped', 'm1.small', D('0.005')): (D('24'), D('0.12')),
    ('srv-a', 'instance.running', 'm1.medium', D('0.04')): (D('288'), D('11.52')),
    ('srv-b', 'instance.running', 'm1.medium', D('0.04')): (D('36.5'), D('1.46')),
    ('vol-1', 'volume.size', 'standard', D('0.0001')): (D('12480'), D('1.25')),
    # 10 GiB × 240 h + 20 GiB × 504 h = 12480 GiB-h → 1.248 → 1.25
    ('img-1', 'image.size', None, D('0.00005')): (D('1488'), D('0.07')),
    ('acct-1', 'object.size', None, D('0.00003')): (D('5760'), D('0.17')),
    # 5 GiB × 336 h + 10 GiB × 408 h
    ('acct-1', 'object.requests', None, D('0.004')): (D('20'), D('0.08')),
    ('acct-1', 'object.bytes_out', None, D('0.05')): (D('4'), D('0.20')),
    ('fip-1', 'floating_ip.hours', None, D('0.005')): (D('72'), D('0.36')),
}
SUBTOTAL = D('24.15')
TAX = D('4.83')
TOTAL = D('28.98')


def line_map(inv):
    return {(ln['resource_id'], ln['meter'], ln['price_key'],
             D(ln['unit_price']).normalize()): (D(ln['quantity']).normalize(),
                                                D(ln['amount']).normalize())
            for ln in inv['lines']}


def expected_map():
    return {(k[0], k[1], k[2], k[3].normalize()): (v[0].normalize(), v[1].normalize())
            for k, v in EXPECTED_LINES.items()}
