"""Rating: usage intervals × the price sheet → invoice lines, in Decimal.

**Exactness.** A duration is summed as an integer number of microseconds
times the meter's value (1, GiB or bytes), a counter as its integer count;
the quantity of a line is that integer divided by the meter's divisor
(µs per hour × scale) in a 50-digit Decimal context: nothing is rounded
before the line's amount.

**Rounding rule** (docs/developers/billing.md): each line's amount =
quantity × unit price, rounded once to the currency's minor unit with
``[billing] rounding`` (ROUND_HALF_EVEN by default, or ROUND_HALF_UP); the
subtotal is the sum of the rounded lines; the discount and the tax are each
rounded once the same way; the total is subtotal − discount − credits + tax.
Quantities are shown with 9 decimals, which changes no amount.

**Lines** are per project, resource, meter, price key and price row: a
price that changes mid-month splits the resource's line at the change; a
resize (another flavor, another price key) gives the resource a line per
flavor.

The functions here are pure (plain tuples and dicts in, dicts out).
:func:`accumulate` takes one interval at a time (datetimes): an invoice,
the usage API. :func:`accumulate_usage` gives the same result for a whole
month of every project (1,000,000 intervals: tools/bench/billing.py) from
times in integer microseconds, summing per resource and price window
before any meter or price is looked at.
"""
import bisect
import datetime
import decimal
import gc

from iaas.billing import meters

CTX = decimal.Context(prec=50)
ROUNDING = {'half_even': decimal.ROUND_HALF_EVEN, 'half_up': decimal.ROUND_HALF_UP}
# ISO 4217 exponents that are not 2
MINOR_UNITS = {'JPY': 0, 'KRW': 0, 'ISK': 0, 'CLP': 0, 'VND': 0, 'BHD': 3, 'KWD': 3,
               'OMR': 3, 'TND': 3, 'JOD': 3, 'IQD': 3, 'LYD': 3}
QUANTITY_PLACES = decimal.Decimal('0.000000001')
ZERO = decimal.Decimal(0)

# interval tuple fields (iaas.db.billing.interval_rows)
RT, RID, PID, KIND, STATE, START, END, KEY, SIZE, REQ, BOUT = range(11)


def minor_unit(currency, extra=None):
    """The quantum of ``currency`` (Decimal('0.01') for EUR)."""
    places = (extra or {}).get(currency, MINOR_UNITS.get(currency, 2))
    return decimal.Decimal(1).scaleb(-int(places))


def round_money(value, quantum, rounding='half_even'):
    return value.quantize(quantum, rounding=ROUNDING[rounding], context=CTX)


_US = datetime.timedelta(microseconds=1)


def _us(a, b):
    d = b - a
    return (d.days * 86400 + d.seconds) * 1_000_000 + d.microseconds


class PriceBook:
    """The price rows of one region and currency, as timelines per meter and key.

    A meter's price for a key is the row of that key in force (the latest
    ``effective_from`` not after the moment), else the ``*`` row's when the
    key has no row at all. Usage before a meter's first price is rated at 0
    (its line shows unit price 0 and ``price_id`` None).
    """

    def __init__(self, rows, region, currency):
        self.region, self.currency = region, currency
        self._rows = {}
        for r in rows:
            if r['region'] != region or r['currency'] != currency:
                continue
            self._rows.setdefault((r['meter'], r['price_key'] or '*'), []).append(
                (r['effective_from'], r['id'], decimal.Decimal(r['unit_price'])))
        for tl in self._rows.values():
            tl.sort()
        self._cache = {}

    def timeline(self, meter, key):
        """[(effective_from, price_id, unit_price)] for the key (or ``*``)."""
        ck = (meter, key)
        tl = self._cache.get(ck)
        if tl is None:
            tl = self._rows.get((meter, key or '*')) or self._rows.get((meter, '*')) or []
            self._cache[ck] = tl
        return tl

    def _dates(self, meter, key):
        ck = ('dates', meter, key)
        dates = self._cache.get(ck)
        if dates is None:
            dates = self._cache[ck] = [t[0] for t in self.timeline(meter, key)]
        return dates

    def at(self, meter, key, when):
        """(price_id, unit_price) in force at ``when``."""
        tl = self.timeline(meter, key)
        i = bisect.bisect_right(self._dates(meter, key), when) - 1
        return (tl[i][1], tl[i][2]) if i >= 0 else (None, ZERO)

    def segments(self, meter, key, a, b):
        """[(start, end, price_id, unit_price)] covering [a, b)."""
        tl = self.timeline(meter, key)
        out = []
        if not tl or a < tl[0][0]:
            e = b if not tl else min(b, tl[0][0])
            if a < e:
                out.append((a, e, None, ZERO))
        for i, (eff, pid, price) in enumerate(tl):
            nxt = tl[i + 1][0] if i + 1 < len(tl) else None
            s = max(a, eff)
            e = b if nxt is None else min(b, nxt)
            if s < e:
                out.append((s, e, pid, price))
        return out

    def changes(self, a, b):
        """Every moment in (a, b) at which some price of the book changes."""
        return sorted({t[0] for tl in self._rows.values() for t in tl if a < t[0] < b})

    def constant(self, meter, key, a, b):
        """(price_id, unit_price) if one price covers all of [a, b), else None."""
        tl = self.timeline(meter, key)
        if not tl or tl[0][0] > a:
            return None if tl and tl[0][0] < b else (None, ZERO)
        i = bisect.bisect_right(self._dates(meter, key), a) - 1
        if i + 1 < len(tl) and tl[i + 1][0] < b:
            return None
        return tl[i][1], tl[i][2]


def accumulate(rows, start, end, upto, book):
    """Sum the usage of ``rows`` within [start, min(end, upto)) per line key.

    Returns {(project, resource_type, resource_id, meter, price_key, price_id):
    [integer numerator, first start, last end, unit_price]}.
    """
    stop = min(end, upto)
    acc = {}
    index = {}
    const = {}
    us = _US
    get = acc.get
    for rt, rid, pid_, kind, state, a, b, key0, size, req, bout in rows:
        ms = index.get((rt, kind, state))
        if ms is None:
            ms = index[(rt, kind, state)] = [
                (m.name, m.keyed, m.column) for m in meters.meters_for(rt, kind, state)]
        if not ms:
            continue
        if kind == 'state':
            if a < start:
                a = start
            if b is None or b > stop:
                b = stop
            if a >= b:
                continue
            for name, keyed, column in ms:
                key = key0 if keyed else None
                price = const.get((name, key))
                if price is None:
                    price = const[(name, key)] = book.constant(name, key, start, stop) or False
                value = 1 if column == 'one' else (size or 0)
                if price:
                    lk = (pid_, rt, rid, name, key, price[0])
                    n = value * ((b - a) // us)
                    cur = get(lk)
                    if cur is None:
                        acc[lk] = [n, a, b, price[1]]
                    else:
                        cur[0] += n
                        if a < cur[1]:
                            cur[1] = a
                        if b > cur[2]:
                            cur[2] = b
                    continue
                for sa, sb, pid, unit_price in book.segments(name, key, a, b):
                    lk = (pid_, rt, rid, name, key, pid)
                    n = value * ((sb - sa) // us)
                    cur = get(lk)
                    if cur is None:
                        acc[lk] = [n, sa, sb, unit_price]
                    else:
                        cur[0] += n
                        if sa < cur[1]:
                            cur[1] = sa
                        if sb > cur[2]:
                            cur[2] = sb
        else:
            if not (start <= b < stop):
                continue
            for name, _keyed, column in ms:
                value = (req if column == 'requests' else bout) or 0
                pid, unit_price = book.at(name, None, b)
                lk = (pid_, rt, rid, name, None, pid)
                cur = get(lk)
                a2 = max(a, start)
                if cur is None:
                    acc[lk] = [value, a2, b, unit_price]
                else:
                    cur[0] += value
                    cur[1], cur[2] = min(cur[1], a2), max(cur[2], b)
    return acc


EPOCH = datetime.datetime(1970, 1, 1)


def epoch_us(when):
    """Integer microseconds since 1970-01-01 (the form of
    :func:`iaas.db.billing.interval_usage`)."""
    return _us(EPOCH, when)


def _sum_usage(batches, bounds):
    """Pass 1 of :func:`accumulate_usage`: per (project, type, id, state,
    price key) and price window w (from ``bounds[w]`` to ``bounds[w + 1]``,
    µs) a flat list [µs, size × µs, first start, last end] × windows:
    integers only, one dict look-up per interval."""
    lo, hi, cuts = bounds[0], bounds[-1], bounds[1:-1]
    first, last = (cuts[0], cuts[-1]) if cuts else (hi, lo)
    top = 4 * len(cuts)
    fresh = [0, 0, hi, lo] * (len(cuts) + 1)
    after, before = bisect.bisect_right, bisect.bisect_left
    groups = {}
    get = groups.get
    for batch in batches:
        for row in batch:
            a, b = row[6], row[7]
            if a < lo:
                a = lo
            if b is None or b > hi:
                b = hi
            if a >= b:
                continue
            k = row[:5]
            g = get(k)
            if g is None:
                g = groups[k] = fresh[:]
            # the window of [a, b) if it lies in one
            if b <= first:
                o = 0
            elif a >= last:
                o = top
            else:
                w = after(cuts, a)
                o = 4 * w if w == before(cuts, b) else -1
            if o >= 0:
                d = b - a
                g[o] += d
                if row[5]:
                    g[o + 1] += row[5] * d
                if a < g[o + 2]:
                    g[o + 2] = a
                if b > g[o + 3]:
                    g[o + 3] = b
                continue
            for x in range(w, before(cuts, b) + 1):    # across price changes
                wa, wb = max(a, bounds[x]), min(b, bounds[x + 1])
                o = 4 * x
                g[o] += wb - wa
                if row[5]:
                    g[o + 1] += row[5] * (wb - wa)
                if wa < g[o + 2]:
                    g[o + 2] = wa
                if wb > g[o + 3]:
                    g[o + 3] = wb
    return groups


class _GCPaused:
    """The cyclic garbage collector off while a million tuples are made
    and dropped (none of them in a cycle): its passes over them would cost
    a third of the rating's CPU."""

    def __enter__(self):
        self.was = gc.isenabled()
        gc.disable()

    def __exit__(self, *exc):
        if self.was:
            gc.enable()


def accumulate_usage(batches, counters, start, end, upto, book):
    """:func:`accumulate`, the same result to the microsecond, from
    :func:`iaas.db.billing.interval_usage` batches (state intervals, times
    in integer µs) and ``counters`` (counter rows in the form of
    :func:`iaas.db.billing.interval_rows`).

    The month is cut where any price changes, so that every (meter, key)
    has one price per window; pass 1 sums each resource's clipped
    durations (and size × duration) per state, key and window in plain
    integers, pass 2 maps those sums to meters and price rows: summing
    before multiplying by a meter's value gives the same integers as
    :func:`accumulate`, which multiplies each interval."""
    stop = min(end, upto)
    acc = accumulate(counters, start, end, upto, book)
    if stop <= start:
        for _ in batches:
            pass
        return acc
    bounds = [epoch_us(start)] + [epoch_us(c) for c in book.changes(start, stop)] + [
        epoch_us(stop)]
    with _GCPaused():
        groups = _sum_usage(batches, bounds)
        _lines_of(groups, bounds, book, acc)
    return acc


def _lines_of(groups, bounds, book, acc):
    """Pass 2 of :func:`accumulate_usage`: the groups' sums into ``acc``."""
    plans = {}
    get = acc.get
    for (pid_, rt, rid, state, key0), g in groups.items():
        plan = plans.get((rt, state, key0))
        if plan is None:
            plan = plans[(rt, state, key0)] = _plan(rt, state, key0, bounds, book)
        for name, key, o1, windows in plan:
            for o, price_id, unit_price in windows:
                if not g[o]:
                    continue
                lk = (pid_, rt, rid, name, key, price_id)
                cur = get(lk)
                if cur is None:
                    acc[lk] = [g[o + o1], g[o + 2], g[o + 3], unit_price]
                else:
                    cur[0] += g[o + o1]
                    if g[o + 2] < cur[1]:
                        cur[1] = g[o + 2]
                    if g[o + 3] > cur[2]:
                        cur[2] = g[o + 3]
    times = {x: EPOCH + _US * x for x in bounds}
    for v in acc.values():
        if type(v[1]) is int:
            a, b = v[1], v[2]
            v[1] = times.get(a) or EPOCH + _US * a
            v[2] = times.get(b) or EPOCH + _US * b


def _plan(rt, state, key0, bounds, book):
    """[(meter, price key, offset of its sum, [(window offset, price id,
    unit price)])] for the groups of (rt, state, key0)."""
    plan = []
    for m in meters.meters_for(rt, 'state', state):
        key = key0 if m.keyed else None
        plan.append((m.name, key, 0 if m.column == 'one' else 1, [
            (4 * w, *book.at(m.name, key, EPOCH + _US * bounds[w]))
            for w in range(len(bounds) - 1)]))
    return plan


def line_tuples(acc, quantum, rounding='half_even'):
    """Lines as tuples, sorted: (project_id, resource_type, resource_id,
    meter, price_key, price_id, start, end, quantity, unit_price, amount).
    The lean form month-end rating of every project uses."""
    rnd = ROUNDING[rounding]
    divisors = {m.name: decimal.Decimal(m.divisor) for m in meters.METERS}
    div, mul, quant = CTX.divide, CTX.multiply, decimal.Decimal.quantize
    dec = decimal.Decimal
    out = []
    with _GCPaused():
        for (pid_, rtype, rid, meter, key, price_id), (num, a, b, unit_price) in acc.items():
            quantity = div(dec(num), divisors[meter])
            amount = quant(mul(quantity, unit_price), quantum, rnd, CTX)
            out.append((pid_, rtype, rid, meter, key or '', price_id or 0, a, b,
                        quant(quantity, QUANTITY_PLACES, None, CTX), unit_price, amount))
        out.sort()
    return out


def lines(acc, quantum, rounding='half_even'):
    """Invoice lines (dicts) of an accumulation, sorted, amounts rounded."""
    return [{'project_id': t[0], 'resource_type': t[1], 'resource_id': t[2],
             'meter': t[3], 'price_key': t[4] or None, 'price_id': t[5] or None,
             'start_at': t[6], 'end_at': t[7], 'quantity': t[8],
             'unit': meters.BY_NAME[t[3]].unit, 'unit_price': t[9], 'amount': t[10]}
            for t in line_tuples(acc, quantum, rounding)]


def totals(line_amounts, quantum, rounding, tax_rate, discount_percent=ZERO,
           credits=ZERO):
    """subtotal, discount, credits (as applied), tax, total (Decimal)."""
    subtotal = sum(line_amounts, ZERO)
    discount = round_money(CTX.multiply(subtotal, CTX.divide(
        decimal.Decimal(discount_percent), decimal.Decimal(100))), quantum, rounding)
    applied = round_money(min(max(decimal.Decimal(credits), ZERO),
                              max(subtotal - discount, ZERO)), quantum, rounding)
    taxable = subtotal - discount - applied
    tax = round_money(CTX.multiply(taxable, decimal.Decimal(tax_rate)), quantum, rounding)
    return {'subtotal': subtotal, 'discount': discount, 'credits': applied, 'tax': tax,
            'total': taxable + tax}


def forecast_rest(rows, upto, end, book):
    """Amount (unrounded Decimal) the resources open at ``upto`` would add
    until ``end`` at the prices in force at ``upto``."""
    total = ZERO
    if upto >= end:
        return total
    hours = CTX.divide(decimal.Decimal(_us(upto, end)), decimal.Decimal(meters.US_PER_HOUR))
    # sum of value per (meter, key) first: one multiplication per price
    sums = {}
    for row in rows:
        if row[KIND] != 'state' or row[START] > upto or (row[END] is not None
                                                           and row[END] <= upto):
            continue
        for m in meters.meters_for(row[RT], 'state', row[STATE]):
            k = (m, row[KEY] if m.keyed else None)
            sums[k] = sums.get(k, 0) + (1 if m.column == 'one' else (row[SIZE] or 0))
    for (m, key), value in sums.items():
        _pid, price = book.at(m.name, key, upto)
        total += CTX.multiply(CTX.divide(CTX.multiply(decimal.Decimal(value), hours),
                                         decimal.Decimal(m.scale)), price)
    return total


def usage(rows, start, end, upto, bucket=datetime.timedelta(days=1)):
    """Quantities per (resource_type, resource_id, meter, price_key, bucket
    start) within [start, min(end, upto)), no prices: the usage API."""
    stop = min(end, upto)
    out = {}
    for row in rows:
        for m in meters.meters_for(row[RT], row[KIND], row[STATE]):
            key = row[KEY] if m.keyed else None
            if row[KIND] == 'state':
                a, b = max(row[START], start), min(row[END] or stop, stop)
                value = 1 if m.column == 'one' else (row[SIZE] or 0)
                while a < b:
                    day = start + ((a - start) // bucket) * bucket
                    e = min(b, day + bucket)
                    k = (row[RT], row[RID], m.name, key, day)
                    out[k] = out.get(k, 0) + value * _us(a, e)
                    a = e
            elif start <= row[END] < stop:
                value = row[REQ] if m.column == 'requests' else row[BOUT]
                day = start + ((row[END] - start) // bucket) * bucket
                k = (row[RT], row[RID], m.name, key, day)
                out[k] = out.get(k, 0) + (value or 0)
    return [{'resource_type': k[0], 'resource_id': k[1], 'meter': k[2], 'price_key': k[3],
             'start': k[4], 'end': min(k[4] + bucket, end),
             'quantity': CTX.divide(decimal.Decimal(n), decimal.Decimal(
                 meters.BY_NAME[k[2]].divisor)).quantize(QUANTITY_PLACES, context=CTX),
             'unit': meters.BY_NAME[k[2]].unit}
            for k, n in sorted(out.items())]
