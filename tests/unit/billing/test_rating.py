"""Rating: exact Decimal quantities, rounding once per line (half-even or
half-up), price splits, counters, minor units."""
import datetime
import decimal
import fractions
import random

from iaas.billing import meters, rating
from iaas.db import billing as db
from iaas.db.billing_models import BillingInterval
from iaas.db.engine import transaction

D = decimal.Decimal
T = datetime.datetime(2025, 3, 1)
END = datetime.datetime(2025, 4, 1)
H = datetime.timedelta(hours=1)


def _price(meter, price, when=T, key='*', pid=1):
    return {'id': pid, 'meter': meter, 'price_key': key, 'region': 'R', 'currency': 'EUR',
            'unit_price': D(price), 'effective_from': when}


def _row(rtype, rid, state, start, end, key=None, size=None, kind='state', req=None,
         bout=None):
    return (rtype, rid, 'p', kind, state, start, end, key, size, req, bout)


def _lines(rows, prices, upto=END, rounding='half_even'):
    book = rating.PriceBook(prices, 'R', 'EUR')
    return rating.lines(rating.accumulate(rows, T, END, upto, book), D('0.01'), rounding)


def test_rounding_only_per_line_half_even_and_half_up():
    # 0.125 per hour: 1 h → 0.125: a tie; half-even gives 0.12, half-up 0.13
    rows = [_row('floating_ip', 'f', 'allocated', T, T + H)]
    prices = [_price('floating_ip.hours', '0.125')]
    assert _lines(rows, prices)[0]['amount'] == D('0.12')
    assert _lines(rows, prices, rounding='half_up')[0]['amount'] == D('0.13')
    # three intervals of 20 minutes: summed exactly first (1 h), then rounded once
    third = datetime.timedelta(minutes=20)
    rows = [_row('floating_ip', 'f', 'allocated', T + i * H, T + i * H + third)
            for i in range(3)]
    (line,) = _lines(rows, [_price('floating_ip.hours', '0.035')])
    assert line['quantity'] == D('1') and line['amount'] == D('0.04')   # 0.035 → 0.04


def test_price_change_splits_the_line():
    mid = datetime.datetime(2025, 3, 16)
    rows = [_row('instance', 'i', 'active', T, None, key='m1.small')]
    prices = [_price('instance.running', '0.02', key='m1.small'),
              _price('instance.running', '0.03', mid, key='m1.small', pid=2)]
    a, b = _lines(rows, prices)
    assert (a['start_at'], a['end_at'], a['quantity'], a['amount']) == (
        T, mid, D(360), D('7.20'))
    assert (b['start_at'], b['end_at'], b['quantity'], b['amount']) == (
        mid, END, D(384), D('11.52'))


def test_key_falls_back_to_star_and_unpriced_is_zero():
    rows = [_row('instance', 'i', 'stopped', T, T + 10 * H, key='m1.big'),
            _row('instance', 'j', 'building', T, T + 10 * H, key='m1.big')]
    (line,) = _lines(rows, [_price('instance.stopped', '0.01')])
    assert line['price_key'] == 'm1.big' and line['amount'] == D('0.10')
    (line,) = _lines(rows[:1], [])
    assert line['amount'] == 0 and line['price_id'] is None


def test_sizes_and_counters():
    gib = meters.GIB
    rows = [_row('image', 'im', 'active', T, T + 3 * H, size=gib // 2),
            _row('volume', 'v', 'present', T - 10 * H, T + 2 * H, key='fast', size=7),
            _row('object_account', 'a', 'traffic', T, T + H, kind='counter', req=1500,
                 bout=3 * gib),
            _row('object_account', 'a', 'traffic', END - H, END, kind='counter', req=1,
                 bout=1)]          # ends on the next month's first instant: not this month
    prices = [_price('image.size', '1'), _price('volume.size', '0.5'),
              _price('object.requests', '0.01'), _price('object.bytes_out', '0.1')]
    got = {ln['meter']: (ln['quantity'], ln['amount']) for ln in _lines(rows, prices)}
    assert got == {'image.size': (D('1.5'), D('1.50')),
                   'volume.size': (D('14'), D('7.00')),      # clipped to the month
                   'object.requests': (D('1.5'), D('0.02')),  # 0.015 → 0.02 (half-even)
                   'object.bytes_out': (D('3'), D('0.30'))}


def test_totals_discount_credits_tax():
    q = D('0.01')
    tot = rating.totals([D('10.00'), D('5.55')], q, 'half_even', D('0.2'), D('10'), D('1'))
    # subtotal 15.55, discount 1.555 → 1.56 (half-even), credits 1, tax 20 % of 12.99
    assert tot == {'subtotal': D('15.55'), 'discount': D('1.56'), 'credits': D('1'),
                   'tax': D('2.60'), 'total': D('15.59')}
    # credits never take a total below zero
    assert rating.totals([D('1')], q, 'half_up', D('0'), 0, D('5'))['total'] == 0


def test_minor_units():
    assert rating.minor_unit('EUR') == D('0.01')
    assert rating.minor_unit('JPY') == D('1')
    assert rating.minor_unit('KWD') == D('0.001')
    assert rating.minor_unit('XAU', {'XAU': '4'}) == D('0.0001')


def test_to_date_and_forecast():
    now = datetime.datetime(2025, 3, 11)
    rows = [_row('floating_ip', 'f', 'allocated', T, None)]
    book = rating.PriceBook([_price('floating_ip.hours', '0.01')], 'R', 'EUR')
    (line,) = rating.lines(rating.accumulate(rows, T, END, now, book), D('0.01'))
    assert line['quantity'] == 240 and line['amount'] == D('2.40')
    assert rating.forecast_rest(rows, now, END, book) == D('5.04')   # 504 h more


# -- the month path (accumulate_usage) against references ------------------------

FLAVORS = ['m1.tiny', 'm1.small', None]
STATES = {'instance': ['active', 'stopped', 'paused', 'suspended', 'shelved', 'building',
                       'error'],
          'volume': ['present'], 'snapshot': ['present'], 'image': ['active'],
          'floating_ip': ['allocated'], 'object_account': ['present']}


def _random_prices(rnd):
    """A sheet with changes before, at and inside the month (two rows at one
    instant too), keys with their own rows and keys falling back to ``*``,
    and meters without a price before some date."""
    moments = [T - 5 * 24 * H, T, T + 3 * H, datetime.datetime(2025, 3, 16),
               datetime.datetime(2025, 3, 16), T + 400 * H + datetime.timedelta(microseconds=7),
               END - H, END + H]
    rows, pid = [], 0
    for m in meters.METERS:
        keys = ['m1.tiny', '*'] if m.keyed else ['*']
        for key in keys:
            for when in rnd.sample(moments, rnd.randint(0, 3)):
                pid += 1
                # no price a multiple of 3: an exact amount is then never a
                # tie the 50-digit quotient would round away (the reference is exact)
                price = D(rnd.choice([1, 2, 4, 5, 7, 8, 10, 11, 125])) / D(10) ** rnd.randint(1, 5)
                rows.append(_price(m.name, str(price), when, key, pid))
    return rows


def _random_rows(rnd, n_resources=40, project='p'):
    """Rows in the form of iaas.db.billing.interval_rows: intervals before,
    across and after the month, open ones, empty ones, bounds on price
    changes, microseconds, sizes from None to terabytes in bytes."""
    rows = []
    edges = [T, datetime.datetime(2025, 3, 16), T + 3 * H, END]
    for r in range(n_resources):
        rt = rnd.choice(sorted(STATES))
        rid = f'{rt}-{r}'
        pid_ = rnd.choice([project, project + '2'])
        t = T + datetime.timedelta(hours=rnd.randint(-100, 700))
        for _k in range(rnd.randint(1, 6)):
            span = datetime.timedelta(microseconds=rnd.randint(0, 200 * 3600 * 10 ** 6))
            a = t if rnd.random() < 0.8 else rnd.choice(edges)
            b = a + span if rnd.random() < 0.85 else None
            size = rnd.choice([None, 0, 1, 10, 3 * meters.GIB + 5, 7 * 10 ** 12])
            rows.append((rt, rid, pid_, 'state', rnd.choice(STATES[rt]), a, b,
                         rnd.choice(FLAVORS), size, None, None))
            if b is None:
                break
            t = b
        if rt == 'object_account':
            for _k in range(rnd.randint(0, 3)):
                b = T + datetime.timedelta(hours=rnd.randint(-5, 760))
                rows.append((rt, rid, pid_, 'counter', 'traffic', b - H, b, None, None,
                             rnd.randint(0, 10 ** 6), rnd.randint(0, 10 ** 12)))
    return rows


def _usage_form(rows):
    """State rows as iaas.db.billing.interval_usage gives them."""
    return [(r[2], r[0], r[1], r[4], r[7], r[8], rating.epoch_us(r[5]),
             None if r[6] is None else rating.epoch_us(r[6]))
            for r in rows if r[3] == 'state']


def _reference(rows, prices, start, end, upto, quantum=D('0.01')):
    """Straightforward: every interval, every meter, every minute boundary of
    the price sheet walked with exact fractions; the amount rounded once
    per line (half even). [(project, type, id, meter, key, price id, start,
    end, quantity (9 places), unit price, amount)], sorted."""
    stop = min(end, upto)
    sheet = {}
    for p in prices:
        sheet.setdefault((p['meter'], p['price_key']), []).append(p)

    def price_at(meter, key, when):
        tl = sheet.get((meter, key or '*')) or sheet.get((meter, '*')) or []
        best = None
        for p in sorted(tl, key=lambda p: (p['effective_from'], p['id'])):
            if p['effective_from'] <= when:
                best = p
        return (best['id'], best['unit_price']) if best else (None, D(0))

    lines = {}
    for rt, rid, pid_, kind, state, a, b, key0, size, req, bout in rows:
        for m in meters.meters_for(rt, kind, state):
            key = key0 if m.keyed else None
            if kind == 'counter':
                if start <= b < stop:
                    price_id, price = price_at(m.name, None, b)
                    n = (req if m.column == 'requests' else bout) or 0
                    pieces = [(max(a, start), b, price_id, price, n)]
                else:
                    pieces = []
            else:
                lo, hi = max(a, start), min(b or stop, stop)
                cuts = sorted({p['effective_from'] for p in prices
                               if p['meter'] == m.name and lo < p['effective_from'] < hi})
                pieces = []
                for s, e in zip([lo] + cuts, cuts + [hi], strict=True):
                    if s < e:
                        price_id, price = price_at(m.name, key, s)
                        value = 1 if m.column == 'one' else (size or 0)
                        us = (e - s) // datetime.timedelta(microseconds=1)
                        pieces.append((s, e, price_id, price, value * us))
            for s, e, price_id, price, n in pieces:
                line = lines.setdefault((pid_, rt, rid, m.name, key, price_id),
                                        [0, s, e, price])
                line[0] += n
                line[1], line[2] = min(line[1], s), max(line[2], e)
    out = []
    for (pid_, rt, rid, name, key, price_id), (n, s, e, price) in lines.items():
        q = fractions.Fraction(n, meters.BY_NAME[name].divisor)
        amount = q * fractions.Fraction(price)
        cents = round(amount / fractions.Fraction(quantum))      # half even, exact
        out.append((pid_, rt, rid, name, key or '', price_id or 0, s, e,
                    D(round(q * 10 ** 9)).scaleb(-9), price, D(cents) * quantum))
    return sorted(out)


def _fast(rows, book, start=T, end=END, upto=END):
    counters = [r for r in rows if r[3] == 'counter']
    batches = [_usage_form(rows)[i:i + 7] for i in range(0, len(rows), 7)]   # batches
    return rating.line_tuples(rating.accumulate_usage(iter(batches), counters, start, end,
                                                      upto, book), D('0.01'))


def test_month_path_equals_references_randomized():
    seen = set()
    for seed in range(40):
        rnd = random.Random(seed)
        prices = _random_prices(rnd)
        book = rating.PriceBook(prices, 'R', 'EUR')
        rows = _random_rows(rnd)
        upto = rnd.choice([END, END + H, datetime.datetime(2025, 3, 16) + 7 * H,
                           T + datetime.timedelta(microseconds=1), T, T - H])
        fast = _fast(rows, book, upto=upto)
        slow = rating.line_tuples(rating.accumulate(rows, T, END, upto, book), D('0.01'))
        ref = _reference(rows, prices, T, END, upto)
        assert fast == slow, seed
        # the reference: same lines, quantities, prices and amounts to the cent
        assert [(t[:8], t[8], t[9], t[10]) for t in fast] == [
            (t[:8], t[8].quantize(D('0.000000001')), t[9], t[10]) for t in ref], seed
        seen.update((t[1], t[3], bool(t[5])) for t in fast)
    # every meter was rated, priced and unpriced
    assert {(m.resource_type, m.name, p) for m in meters.METERS for p in (True, False)
            } <= seen


def test_month_path_splits_at_price_change_and_sums_states():
    mid = datetime.datetime(2025, 3, 16)
    prices = [_price('instance.running', '0.02', key='m1.small'),
              _price('instance.running', '0.03', mid, key='m1.small', pid=2),
              _price('instance.suspended', '0.01', pid=3)]
    book = rating.PriceBook(prices, 'R', 'EUR')
    rows = [_row('instance', 'i', 'active', T - H, mid + H, key='m1.small'),
            _row('instance', 'i', 'paused', mid + H, mid + 2 * H, key='m1.small'),
            _row('instance', 'i', 'suspended', mid + 2 * H, mid + 4 * H, key='m1.small'),
            _row('instance', 'i', 'active', mid + 4 * H, None, key='m1.small')]
    got = [(t[3], t[5], t[6], t[7], t[8], t[10]) for t in _fast(rows, book)]
    assert got == [('instance.running', 1, T, mid, D(360), D('7.20')),
                   ('instance.running', 2, mid, END, D(381), D('11.43')),
                   ('instance.suspended', 3, mid + H, mid + 4 * H, D(3), D('0.03'))]
    assert _fast(rows, book, upto=T) == []


def test_month_path_from_the_database(db_url):
    """iaas.db.billing.interval_usage's integer microseconds (computed by
    SQLite, PostgreSQL, MariaDB) rate like interval_rows' datetimes."""
    rnd = random.Random(7)
    prices = _random_prices(rnd)
    book = rating.PriceBook(prices, 'R', 'EUR')
    rows = _random_rows(rnd, 60) + _random_rows(rnd, 20, project='q')
    cols = ('resource_type', 'resource_id', 'project_id', 'kind', 'state', 'start_at',
            'end_at', 'price_key', 'size', 'requests', 'bytes_out')
    with transaction() as s:
        s.connection().execute(BillingInterval.__table__.insert(),
                               [dict(zip(cols, r, strict=True), attrs={}) for r in rows])
    for upto, project in ((END, None), (datetime.datetime(2025, 3, 20, 1, 2, 3, 4), None),
                          (END, 'q')):
        acc = rating.accumulate_usage(
            db.interval_usage(T, min(END, upto), project_id=project),
            db.interval_rows(T, END, project_id=project, kind='counter'), T, END, upto, book)
        got = rating.line_tuples(acc, D('0.01'))
        mine = [r for r in rows if project is None or r[2] == project]
        assert got == _reference(mine, prices, T, END, upto)
        assert got == rating.line_tuples(rating.accumulate(
            db.interval_rows(T, END, project_id=project), T, END, upto, book), D('0.01'))
    # every time to the microsecond, open ends None
    lo, hi = T - 1000 * H, END + 1000 * H
    want = [r for r in _usage_form(rows) if r[6] < rating.epoch_us(hi) and (
        r[7] is None or r[7] > rating.epoch_us(lo))]
    assert sorted(want, key=repr) == sorted(
        (tuple(r) for b in db.interval_usage(lo, hi) for r in b), key=repr)
