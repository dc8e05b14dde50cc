"""Version discovery, meters, prices, usage, resources, corrections and
reconciliation."""
import datetime

from iaas import wsgi
from iaas.api.rating import common
from iaas.billing import api as billing
from iaas.billing import clock, meters
from iaas.billing import policies as P

VERSION = {'id': 'v1', 'status': 'CURRENT', 'updated': '2026-12-05T00:00:00Z'}
RESOURCE_TYPES = sorted({m.resource_type for m in meters.METERS})
PRICE = {'type': 'object', 'required': ['price'], 'additionalProperties': False,
         'properties': {'price': {
             'type': 'object', 'required': ['meter', 'unit_price'],
             'additionalProperties': False, 'properties': {
                 'meter': {'type': 'string', 'minLength': 1, 'maxLength': 64},
                 'unit_price': common.MONEY,
                 'price_key': {'type': 'string', 'minLength': 1, 'maxLength': 255},
                 'effective_from': common.TIME,
                 'region': {'type': 'string', 'minLength': 1, 'maxLength': 64},
                 'currency': {'type': 'string', 'pattern': '^[A-Z]{3}$'},
                 'note': {'type': 'string', 'maxLength': 255}}}}}


def _links(req, path):
    return [{'rel': 'self', 'href': f'{req.host_url}{path}'}]


@wsgi.public
def root(req):
    return common.respond({'versions': [{**VERSION, 'links': _links(req, '/v1')}]}, 300)


@wsgi.public
def v1(req):
    return common.respond({'version': {**VERSION, 'links': _links(req, '/v1')}})


@wsgi.route_policy(P.METERS_LIST, scope=wsgi.ANY)
def meter_list(req):
    return common.respond({'meters': billing.meter_list(common.ctx_of(req))})


@wsgi.route_policy(P.PRICES_LIST, scope=wsgi.ANY)
def price_list(req):
    at = common.when(req.GET.get('at'), 'at')
    rows = billing.prices_list(common.ctx_of(req), region=common.text(req, 'region', 64),
                               meter=common.text(req, 'meter', 64), at=at,
                               history=common.flag(req, 'history', at is None))
    return common.respond({'prices': rows})


@wsgi.route_policy(P.PRICES_SET, scope=wsgi.ANY)
@wsgi.accepts(PRICE)
def price_set(req):
    p = common.json_body(req, PRICE)['price']
    try:
        row = billing.price_set(common.ctx_of(req), p['meter'], p['unit_price'],
                                effective_from=common.when(p.get('effective_from'),
                                                           'effective_from'),
                                price_key=p.get('price_key', '*'), region=p.get('region'),
                                currency=p.get('currency'), note=p.get('note'))
    except (billing.InvalidPrice, ValueError) as exc:
        raise wsgi.BadRequest(str(exc)) from None
    return common.respond({'price': row}, 201)


def _range(req):
    now = clock.now()
    start = common.when(req.GET.get('start'), 'start') or \
        clock.month_bounds(clock.period_of(now))[0]
    end = common.when(req.GET.get('end'), 'end') or now
    if end <= start:
        raise wsgi.BadRequest('end must be after start.')
    if end - start > datetime.timedelta(days=93):
        raise wsgi.BadRequest('A usage range is at most 93 days.')
    return start, end


@wsgi.route_policy(P.USAGE_GET)
def usage(req, project_id):
    start, end = _range(req)
    rtype = common.text(req, 'resource_type', 32)
    if rtype is not None and rtype not in RESOURCE_TYPES:
        raise wsgi.BadRequest(f'resource_type is one of {", ".join(RESOURCE_TYPES)}.')
    bucket = common.text(req, 'bucket', 8) or 'day'
    if bucket not in billing.BUCKETS:
        raise wsgi.BadRequest(f'bucket is one of {", ".join(billing.BUCKETS)}.')
    limit = wsgi.list_limit(req, default=1000, maximum=10000)
    offset = int(common.text(req, 'offset', 9, r'\d+') or 0)
    rows = billing.usage(common.ctx_of(req), project_id, start, end, resource_type=rtype,
                         bucket=bucket)
    body = {'usage': rows[offset:offset + limit], 'start': start, 'end': end,
            'bucket': bucket}
    if offset + limit < len(rows):
        body['next_offset'] = offset + limit
    return common.respond(body)


@wsgi.route_policy(P.RESOURCES_GET)
def resources(req, project_id):
    rows = billing.resources(common.ctx_of(req), project_id,
                             live_only=not common.flag(req, 'all'))
    limit = wsgi.list_limit(req, default=1000, maximum=10000)
    return common.respond({'resources': rows[:limit], 'truncated': len(rows) > limit})


@wsgi.route_policy(P.CORRECTIONS_LIST, scope=wsgi.ANY)
def corrections(req):
    pid = common.text(req, 'project_id', 64)
    rows = billing.corrections(common.ctx_of(req), project_id=pid,
                               since=common.when(req.GET.get('since'), 'since'))
    limit = wsgi.list_limit(req, default=1000, maximum=10000)
    return common.respond({'corrections': rows[-limit:]})


EMPTY = {'type': 'object', 'additionalProperties': False}


@wsgi.route_policy(P.RECONCILE, scope=wsgi.ANY)
@wsgi.accepts(EMPTY)
def reconcile(req):
    if req.body:
        common.json_body(req, EMPTY)
    return common.respond({'reconciliation': billing.reconcile(common.ctx_of(req))})
