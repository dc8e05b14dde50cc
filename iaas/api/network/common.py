"""Shared helpers of the network API: Neutron faults, scoping, filters, bodies."""
from iaas import wsgi
from iaas.network import api as netapi

NEUTRON_TYPES = {400: 'HTTPBadRequest', 401: 'HTTPUnauthorized', 403: 'HTTPForbidden',
                 404: 'HTTPNotFound', 405: 'HTTPMethodNotAllowed', 409: 'HTTPConflict',
                 413: 'HTTPRequestEntityTooLarge', 415: 'HTTPUnsupportedMediaType',
                 500: 'HTTPInternalServerError', 503: 'HTTPServiceUnavailable'}


def neutron_fault(fault):
    """Neutron's error body: {"NeutronError": {"type", "message", "detail"}}."""
    return {'NeutronError': {'type': fault.extra.get('type') or
                             NEUTRON_TYPES.get(fault.code, 'HTTPError'),
                             'message': fault.message, 'detail': ''}}


def map_exception(exc):
    if isinstance(exc, netapi.NetworkError):
        return wsgi.Fault(str(exc), code=exc.code, type=exc.type)
    return None


def scope(req):
    """Project filter of queries: None for admin (sees every project)."""
    ctx = req.context
    return None if ctx.is_admin else ctx.project_id


def owner(req, body):
    """Project owning a new resource: the caller's, or any for an admin."""
    ctx = req.context
    proj = body.get('project_id') or body.get('tenant_id')
    if proj and proj != ctx.project_id:
        if not ctx.is_admin:
            raise wsgi.Fault('Specifying project_id other than the authenticated project '
                             'in request requires admin privileges', code=403,
                             type='HTTPForbidden')
        return proj
    return ctx.project_id


def require_admin(req, what):
    if not req.context.is_admin:
        raise wsgi.Fault(f'Only admins may set {what}.', code=403, type='PolicyNotAuthorized')


def body_of(req, key, required=True):
    body = req.json()
    if not isinstance(body, dict) or not isinstance(body.get(key), dict):
        raise wsgi.Fault(f'Resource body required: "{key}"', code=400, type='HTTPBadRequest')
    return body[key]


def check_fields(obj, allowed, key):
    bad = sorted(set(obj) - set(allowed))
    if bad:
        raise wsgi.Fault(f"Unrecognized attribute(s) '{', '.join(bad)}'", code=400,
                         type='HTTPBadRequest')


def _match(value, wanted):
    if isinstance(value, bool):
        return str(value).lower() in [w.lower() for w in wanted]
    if isinstance(value, list):
        return any(str(v) in wanted for v in value)
    return str(value) in wanted if value is not None else ('' in wanted or
                                                           'None' in wanted)


SKIP_PARAMS = {'fields', 'limit', 'marker', 'sort_key', 'sort_dir', 'page_reverse'}


def listing(req, items, key):
    """Apply Neutron query filters (?field=value, repeated = any of) and
    ``fields`` to a list of resource dicts; returns {key: [...]}."""
    params = req.GET
    out = []
    for item in items:
        ok = True
        for name in set(params.keys()) - SKIP_PARAMS:
            field = 'project_id' if name == 'tenant_id' else name
            if field == 'fixed_ips':
                wanted = params.getall(name)
                ips = [f'ip_address={x["ip_address"]}' for x in item.get('fixed_ips', [])]
                subs = [f'subnet_id={x["subnet_id"]}' for x in item.get('fixed_ips', [])]
                ok = all(w in ips or w in subs for w in wanted)
            elif field in item:
                ok = _match(item[field], params.getall(name))
            if not ok:
                break
        if ok:
            out.append(select_fields(req, item))
    return {key: out}


def select_fields(req, item):
    fields = req.GET.getall('fields')
    if not fields:
        return item
    return {k: v for k, v in item.items() if k in fields}
