"""Compute API microversions: 2.1 up to MAX_VERSION.

Clients ask with ``OpenStack-API-Version: compute 2.x`` or the legacy
``X-OpenStack-Nova-API-Version: 2.x`` ('latest' means MAX_VERSION); no
header means 2.1. Every response says which version it used.
"""
from iaas import wsgi

MIN_VERSION = (2, 1)
MAX_VERSION = (2, 96)


def fmt(v):
    return f'{v[0]}.{v[1]}'


def parse(req):
    raw = None
    header = req.headers.get('OpenStack-API-Version')
    if header:
        parts = header.strip().split()
        if len(parts) == 2 and parts[0].lower() == 'compute':
            raw = parts[1]
    if raw is None:
        raw = req.headers.get('X-OpenStack-Nova-API-Version')
    if raw is None:
        return MIN_VERSION
    raw = raw.strip()
    if raw.lower() == 'latest':
        return MAX_VERSION
    try:
        major, minor = (int(x) for x in raw.split('.'))
    except ValueError:
        raise wsgi.BadRequest(f'API Version String {raw} is of invalid format. Must be of '
                              'format MajorNum.MinorNum.') from None
    v = (major, minor)
    if not MIN_VERSION <= v <= MAX_VERSION:
        raise wsgi.Fault(f'Version {raw} is not supported by the API. Minimum is '
                         f'{fmt(MIN_VERSION)} and maximum is {fmt(MAX_VERSION)}.', code=406)
    return v


def middleware(req):
    req.environ['iaas.compute.version'] = parse(req)


def version(req):
    return req.environ.get('iaas.compute.version', MIN_VERSION)


def headers(v):
    return {'OpenStack-API-Version': f'compute {fmt(v)}',
            'X-OpenStack-Nova-API-Version': fmt(v),
            'Vary': 'OpenStack-API-Version, X-OpenStack-Nova-API-Version'}
