"""What the rating API's handlers share: the caller's context, JSON
answers of billing data (Decimals as exact strings, times ISO 8601 UTC),
and bounded parsing of query parameters."""
import datetime
import re

import webob

from iaas import wsgi
from iaas.billing import clock
from iaas.billing import invoices as billing_invoices

PERIOD = re.compile(r'^\d{4}-(0[1-9]|1[0-2])$')
UUIDISH = re.compile(r'^[0-9a-fA-F-]{32,36}$')
MONEY = {'type': 'string', 'pattern': r'^-?\d{1,12}(\.\d{1,9})?$'}
TIME = {'type': 'string', 'minLength': 10, 'maxLength': 32}


def ctx_of(req):
    return req.environ['iaas.context']


def respond(body, status=200, headers=None):
    """A JSON answer of billing data."""
    resp = webob.Response(status=status, content_type='application/json', charset=None)
    resp.body = billing_invoices.dumps(body).encode()
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def json_body(req, schema):
    body = req.json()
    wsgi.validate(body, schema)
    return body


def period(value, name='period'):
    """A 'YYYY-MM' month that has begun."""
    if not isinstance(value, str) or not PERIOD.match(value):
        raise wsgi.BadRequest(f'{name} must be a month as YYYY-MM.')
    if value > clock.period_of(clock.now()):
        raise wsgi.BadRequest(f'{name} {value} has not begun.')
    return value


def when(value, name):
    """A UTC datetime from ISO 8601 (a date means its midnight)."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > 32:
        raise wsgi.BadRequest(f'{name} must be an ISO 8601 time.')
    try:
        t = datetime.datetime.fromisoformat(value.replace('Z', '+00:00'))
    except ValueError:
        raise wsgi.BadRequest(f'{name} must be an ISO 8601 time.') from None
    if t.tzinfo is not None:
        t = t.astimezone(datetime.UTC).replace(tzinfo=None)
    if not datetime.datetime(2000, 1, 1) <= t <= datetime.datetime(2200, 1, 1):
        raise wsgi.BadRequest(f'{name} is out of range.')
    return t


def flag(req, name, default=False):
    raw = req.GET.get(name)
    if raw is None:
        return default
    if raw.lower() in ('1', 'true', 'yes'):
        return True
    if raw.lower() in ('0', 'false', 'no'):
        return False
    raise wsgi.BadRequest(f'{name} must be true or false.')


def text(req, name, max_len=255, pattern=None):
    raw = req.GET.get(name)
    if raw is None:
        return None
    if len(raw) > max_len or (pattern is not None and not re.fullmatch(pattern, raw)):
        raise wsgi.BadRequest(f'Invalid {name}.')
    return raw

