"""The price sheet: effective-dated rows per meter, price key and region.

A row is never changed: setting a price adds a row that applies from its
``effective_from`` on, so the sheet is its own history and a month rated
again later uses the prices that were in force. Each region has one
currency (``[billing] region_currencies``, else ``[billing] currency``).
"""
import datetime
import decimal

from iaas.billing import clock, meters, rating
from iaas.conf import CONF
from iaas.db import billing as db


class InvalidPrice(ValueError):
    """A price row that cannot be: unknown meter, negative price, bad currency."""


def region(conf=CONF):
    return conf.billing.region or conf.identity.region


def currency(region_name=None, conf=CONF):
    return conf.billing.region_currencies.get(region_name or region(conf),
                                              conf.billing.currency)


def quantum(currency_code, conf=CONF):
    return rating.minor_unit(currency_code, conf.billing.minor_units)


def book(region_name=None):
    """The PriceBook of a region (all its rows, the history included)."""
    region_name = region_name or region()
    return rating.PriceBook(db.prices(region=region_name), region_name,
                            currency(region_name))


def _decimal(value, what):
    try:
        out = decimal.Decimal(str(value))
    except (decimal.InvalidOperation, ValueError):
        raise InvalidPrice(f'{what} is not a number: {value!r}') from None
    if not out.is_finite() or out < 0:
        raise InvalidPrice(f'{what} must be a finite number ≥ 0')
    return out


def set_price(meter, unit_price, effective_from=None, price_key='*', region_name=None,
              currency_code=None, created_by=None, note=None, now=None):
    """Add a price row; returns it. ``effective_from`` defaults to now."""
    if meter not in meters.BY_NAME:
        raise InvalidPrice(f'unknown meter {meter!r}; meters: {", ".join(meters.BY_NAME)}')
    price = _decimal(unit_price, 'unit price')
    if price != price.quantize(decimal.Decimal('1e-10')):
        raise InvalidPrice('a unit price has at most 10 decimals')
    region_name = region_name or region()
    expected = currency(region_name)
    currency_code = (currency_code or expected).upper()
    if currency_code != expected:
        raise InvalidPrice(f'region {region_name} bills in {expected}, not {currency_code}')
    if not meters.BY_NAME[meter].keyed and price_key not in (None, '', '*'):
        raise InvalidPrice(f'meter {meter} has one price for all resources (key "*")')
    when = clock.now(now)
    effective_from = effective_from or when
    if isinstance(effective_from, str):
        effective_from = datetime.datetime.fromisoformat(effective_from.replace('Z', ''))
    return _view(db.price_add(meter, price_key or '*', region_name, currency_code, price,
                              effective_from, created_by, note, now=when))


def _view(row):
    return {'id': row['id'], 'meter': row['meter'], 'price_key': row['price_key'],
            'region': row['region'], 'currency': row['currency'],
            'unit_price': str(row['unit_price'].quantize(decimal.Decimal('1e-10'))
                              .normalize()) if row['unit_price'] is not None else None,
            'unit': meters.BY_NAME[row['meter']].unit if row['meter'] in meters.BY_NAME
            else None,
            'effective_from': row['effective_from'], 'created_at': row['created_at'],
            'created_by': row['created_by'], 'note': row['note']}


def list_prices(region_name=None, meter=None, at=None, history=True):
    """Price rows; with ``history=False`` only those in force at ``at``
    (default now) and those that start later."""
    rows = db.prices(region=region_name or region(), meter=meter)
    if not history:
        at = clock.now(at)
        current = {}
        for r in rows:
            k = (r['meter'], r['price_key'])
            if r['effective_from'] <= at:
                current[k] = r
        rows = [r for r in rows if r['effective_from'] > at or current.get(
            (r['meter'], r['price_key'])) is r]
    return [_view(r) for r in rows]


def hourly_price(flavor_name, state='active', at=None, region_name=None):
    """The price of one hour of a flavor in ``state`` (for `iaas flavor list`)."""
    state_meter = {'active': 'instance.running', 'stopped': 'instance.stopped',
                   'paused': 'instance.suspended', 'suspended': 'instance.suspended',
                   'shelved': 'instance.shelved'}[state]
    b = book(region_name)
    _pid, price = b.at(state_meter, flavor_name, clock.now(at))
    return {'flavor': flavor_name, 'state': state, 'meter': state_meter,
            'unit_price': str(price), 'currency': b.currency}
