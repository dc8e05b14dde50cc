"""Shared helpers of the network API: Neutron faults, policy scoping, filters,
pagination, schema-checked bodies."""
import logging
import urllib.parse

from iaas import wsgi
from iaas.api import auth
from iaas.api.network import schemas
from iaas.network import api as netapi

LOG = logging.getLogger(__name__)

NEUTRON_TYPES = {400: 'HTTPBadRequest', 401: 'HTTPUnauthorized', 403: 'HTTPForbidden',
                 404: 'HTTPNotFound', 405: 'HTTPMethodNotAllowed', 409: 'HTTPConflict',
                 413: 'HTTPRequestEntityTooLarge', 415: 'HTTPUnsupportedMediaType',
                 429: 'HTTPTooManyRequests',
                 500: 'HTTPInternalServerError', 503: 'HTTPServiceUnavailable'}


def neutron_fault(fault):
    """Neutron's error body: {"NeutronError": {"type", "message", "detail"}}."""
    return {'NeutronError': {'type': fault.extra.get('type') or
                             NEUTRON_TYPES.get(fault.code, 'HTTPError'),
                             'message': fault.message, 'detail': ''}}


# A project id nobody has: a caller passing a rule on it passes it on every
# project (Neutron's admin).
ANY_PROJECT = '\x00any-project'


def allowed(ctx, rule, target):
    try:
        return auth.enforce(ctx, rule, target)
    except wsgi.Forbidden:
        return False


def scope(req, rule):
    """Project filter of the DB calls for the collection whose read rule is
    ``rule``: ``netapi.ALL_PROJECTS`` when the caller passes it on any
    project (admin), else the caller's own project — never None (403)."""
    ctx = req.context
    if allowed(ctx, rule, {'project_id': ANY_PROJECT, 'shared': False,
                           'router:external': False}):
        return netapi.ALL_PROJECTS
    if not ctx.project_id:
        raise wsgi.Fault('This request requires a project-scoped token.', code=403,
                         type='HTTPForbidden')
    return ctx.project_id


def target_of(item, **extra):
    """Policy target of a loaded resource dict."""
    return {'project_id': item.get('project_id'), 'shared': bool(item.get('shared')),
            'router:external': bool(item.get('router:external', item.get('external'))),
            **extra}


def check_item(req, rule, item, kind, ident):
    """404 (as if missing) unless the caller passes ``rule`` on the resource
    ``item``; 403 when it is the caller's own project's but the rule fails."""
    if allowed(req.context, rule, target_of(item)):
        return item
    if item.get('project_id') == req.context.project_id:
        raise wsgi.Fault(f'rule:{rule} is disallowed by policy', code=403,
                         type='PolicyNotAuthorized')
    raise wsgi.Fault(f'{kind} {ident} could not be found.', code=404,
                     type=f'{kind.replace(" ", "")}NotFound')


def require(req, rule, target):
    """An attribute rule (``create_network:shared``, ``create_port:mac_address``…)."""
    if not allowed(req.context, rule, target):
        raise wsgi.Fault(f'rule:{rule} is disallowed by policy', code=403,
                         type='PolicyNotAuthorized')


def owner(req, body, rule):
    """Project owning a new resource: the caller's, or the body's
    ``project_id``/``tenant_id`` when the caller passes ``rule`` on it."""
    ctx = req.context
    proj = body.get('project_id') or body.get('tenant_id')
    if body.get('project_id') and body.get('tenant_id') and \
            body['project_id'] != body['tenant_id']:
        raise wsgi.Fault('Invalid input for operation: project_id and tenant_id do not '
                         'match.', code=400, type='InvalidInput')
    if proj and proj != ctx.project_id:
        if not allowed(ctx, rule, {'project_id': proj}):
            raise wsgi.Fault('Specifying project_id other than the authenticated project '
                             'in request requires admin privileges', code=403,
                             type='HTTPForbidden')
        return proj
    if not ctx.project_id:
        raise wsgi.Fault('This request requires a project-scoped token.', code=403,
                         type='HTTPForbidden')
    return ctx.project_id


def body_of(req, key, schema, body=None):
    """The resource body ``{key: {...}}`` checked by ``schema``: unknown
    attributes and wrong types are a 400 before any work."""
    body = req.json() if body is None else body
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise wsgi.Fault(f'Resource body required: "{key}"', code=400, type='HTTPBadRequest')
    bad = sorted(set(body[key]) - set(schemas.fields(schema)))
    if bad:
        raise wsgi.Fault(f"Unrecognized attribute(s) '{', '.join(bad)}'", code=400,
                         type='HTTPBadRequest')
    wsgi.validate(body, schema)
    return body[key]


# Most resources one bulk create may carry (each is checked before any is made).
MAX_BULK = 100


def bodies_of(req, key, plural, schema):
    """The resources of a create: ``{key: {...}}`` (one) or Neutron's bulk
    ``{plural: [{...}, ...]}``; each checked by ``schema`` before any work.
    Returns (items, bulk)."""
    body = req.json()
    if isinstance(body, dict) and plural in body and key not in body:
        items = body[plural]
        if not isinstance(items, list) or not items:
            raise wsgi.Fault('Resources required', code=400, type='HTTPBadRequest')
        if len(items) > MAX_BULK:
            raise wsgi.Fault(f'Invalid input: at most {MAX_BULK} {plural} in one request',
                             code=400, type='HTTPBadRequest')
        if len(body) > 1:
            extra = ', '.join(sorted(set(body) - {plural}))
            raise wsgi.Fault(f"Unrecognized attribute(s) '{extra}'", code=400,
                             type='HTTPBadRequest')
        return [body_of(req, key, schema, {key: x}) for x in items], True
    return [body_of(req, key, schema, body)], False


def create_all(items, bulk, key, plural, make, undo):
    """``make`` each item; all or nothing: when one fails, the ones made are
    removed again with ``undo`` (Neutron's emulated bulk) and the error is
    answered. Returns the create response (201)."""
    made = []
    try:
        for item in items:
            made.append(make(item))
    except BaseException:
        for x in reversed(made):
            try:
                undo(x)
            except Exception:
                LOG.warning('bulk create: could not remove %s %s', key, x.get('id'),
                            exc_info=True)
        raise
    return 201, ({plural: made} if bulk else {key: made[0]})


def to_bool(value, default=False):
    """A schema-checked boolean (true/false or their strings)."""
    if value is None:
        return default
    if isinstance(value, str):
        return value.lower() == 'true'
    return bool(value)


def _match(value, wanted):
    if isinstance(value, bool):
        return str(value).lower() in [w.lower() for w in wanted]
    if isinstance(value, list):
        return any(str(v) in wanted for v in value)
    return str(value) in wanted if value is not None else ('' in wanted or
                                                           'None' in wanted)


SKIP_PARAMS = {'fields', 'limit', 'marker', 'sort_key', 'sort_dir', 'page_reverse'}


def listing(req, items, key):
    """Apply Neutron query filters (?field=value, repeated = any of),
    ``fields`` and pagination (``limit`` capped at 1,000, ``marker`` = the id
    of the last item seen; a ``<key>_links`` next link when more remain) to a
    list of resource dicts; returns {key: [...]}."""
    params = req.GET
    limit = wsgi.list_limit(req, default=1000)
    marker = params.get('marker')
    out, more, started = [], False, marker is None
    for item in items:
        if not started:
            started = item.get('id') == marker
            continue
        if not _wanted(params, item):
            continue
        if len(out) >= limit:
            more = True
            break
        out.append(item)
    if not started:
        raise wsgi.Fault(f'Marker {marker} could not be found.', code=400,
                         type='HTTPBadRequest')
    body = {key: [select_fields(req, x) for x in out]}
    if more and out:
        query = [(k, v) for k, v in params.items() if k != 'marker'] + \
            [('marker', out[-1]['id'])]
        body[f'{key}_links'] = [{'rel': 'next', 'href': req.path_url + '?' +
                                 urllib.parse.urlencode(query)}]
    return body


def _wanted(params, item):
    for name in set(params.keys()) - SKIP_PARAMS:
        field = 'project_id' if name == 'tenant_id' else name
        if field == 'fixed_ips':
            wanted = params.getall(name)
            ips = [f'ip_address={x["ip_address"]}' for x in item.get('fixed_ips', [])]
            subs = [f'subnet_id={x["subnet_id"]}' for x in item.get('fixed_ips', [])]
            addrs = [x['ip_address'] for x in item.get('fixed_ips', [])]
            if not all(w in ips or w in subs or (   # ip-substring-filtering
                    w.startswith('ip_address_substr=') and
                    any(w.split('=', 1)[1] in a for a in addrs)) for w in wanted):
                return False
        elif field in item and not _match(item[field], params.getall(name)):
            return False
    return True


def select_fields(req, item):
    fields = req.GET.getall('fields')
    if not fields:
        return item
    return {k: v for k, v in item.items() if k in fields}
