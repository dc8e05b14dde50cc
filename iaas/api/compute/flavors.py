"""/flavors (+ extra specs and project access).

Who sees a private flavor is a policy decision
(``os_compute_api:os-flavor-access``: admin by default); others see the
public flavors and the private ones their project was given access to.
"""
from iaas import wsgi
from iaas.api import auth
from iaas.api.compute import microversion as mv
from iaas.api.compute import schemas, views
from iaas.api.compute.servers import _ctx, _may, _respond
from iaas.compute import flavors
from iaas.compute import policies as P
from iaas.exception import FlavorAccessExists, FlavorExists, FlavorNotFound

CREATE_SCHEMA = schemas.FLAVOR_CREATE
SORT_KEYS = ('flavorid', 'name', 'memory_mb', 'vcpus', 'root_gb', 'id', 'created_at')


def _is_public_filter(req):
    raw = req.GET.get('is_public')
    if raw is None:
        return True
    if raw.lower() == 'none':
        return None
    return raw.lower() in ('true', '1', 'yes', 't')


def _list(req, brief):
    ctx = _ctx(req)
    v = mv.version(req)
    see_all = _may(ctx, P.FLAVOR_ACCESS)
    limit = wsgi.list_limit(req, default=1000)
    sort_key = req.GET.get('sort_key', 'flavorid')
    sort_dir = req.GET.get('sort_dir', 'asc')
    if sort_key not in SORT_KEYS:
        raise wsgi.BadRequest(f'Invalid sort key: {sort_key[:64]}')
    if sort_dir not in ('asc', 'desc'):
        raise wsgi.BadRequest(f'Invalid sort direction: {sort_dir[:64]}')
    min_ram = schemas.query_int(req, 'minRam')
    min_disk = schemas.query_int(req, 'minDisk')
    if limit == 0:
        return _respond(req, {'flavors': []})
    try:
        items = flavors.list_(ctx.project_id, include_private=see_all,
                         is_public=_is_public_filter(req) if see_all else None,
                         min_ram=min_ram, min_disk=min_disk, sort_key=sort_key,
                         sort_dir=sort_dir, limit=limit, marker=req.GET.get('marker'))
    except FlavorNotFound as exc:
        raise wsgi.BadRequest(str(exc)) from None
    return _respond(req, {'flavors': [views.flavor(req, f, v, brief=brief) for f in items]})


@wsgi.route_policy(P.FLAVORS_INDEX)
def index(req):
    return _list(req, True)


@wsgi.route_policy(P.FLAVORS_INDEX)
def detail(req):
    return _list(req, False)


def _flavor_or_404(req, flavor_id):
    ctx = _ctx(req)
    try:
        return flavors.get(flavor_id, ctx.project_id, include_private=_may(ctx, P.FLAVOR_ACCESS))
    except FlavorNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None


@wsgi.route_policy(P.FLAVORS_SHOW)
def show(req, flavor_id):
    f = _flavor_or_404(req, flavor_id)
    return _respond(req, {'flavor': views.flavor(req, f, mv.version(req))})


@wsgi.route_policy(P.FLAVOR_CREATE)
@wsgi.accepts(schemas.FLAVOR_CREATE)
def create(req):
    body = req.json()
    wsgi.validate(body, schemas.FLAVOR_CREATE)
    f = body['flavor']
    is_public = schemas.truthy(f.get('os-flavor-access:is_public', True))
    ram = schemas.int_in(f['ram'], 'ram', 1)
    vcpus = schemas.int_in(f['vcpus'], 'vcpus', 1)
    disk = schemas.int_in(f['disk'], 'disk', 0)
    ephemeral = schemas.int_in(f.get('OS-FLV-EXT-DATA:ephemeral', 0), 'ephemeral', 0)
    swap = schemas.int_in(f.get('swap', 0), 'swap', 0)
    try:
        rxtx = float(f.get('rxtx_factor', 1.0))
    except ValueError:
        raise wsgi.BadRequest('Invalid input for field/attribute rxtx_factor') from None
    if not 0 < rxtx <= schemas.MAX_FLOAT:
        raise wsgi.BadRequest('Invalid input for field/attribute rxtx_factor: must be '
                              f'greater than 0 and at most {schemas.MAX_FLOAT}')
    try:
        out = flavors.create(f['name'], ram, vcpus, disk, flavorid=f.get('id'),
                        ephemeral_gb=ephemeral, swap=swap, rxtx_factor=rxtx,
                        is_public=is_public, description=f.get('description'))
    except FlavorExists as exc:
        raise wsgi.Conflict(str(exc)) from None
    return _respond(req, {'flavor': views.flavor(req, out, mv.version(req))})


@wsgi.route_policy(P.FLAVOR_DELETE)
def delete(req, flavor_id):
    try:
        flavors.delete(flavor_id)
    except FlavorNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    return _respond(req, None, 202)


@wsgi.route_policy(P.FLAVOR_UPDATE)
@wsgi.accepts(schemas.FLAVOR_UPDATE)
def update(req, flavor_id):
    if mv.version(req) < (2, 55):
        raise wsgi.NotFound('Flavor update (a description) is microversion 2.55 and later.')
    body = req.json()
    wsgi.validate(body, schemas.FLAVOR_UPDATE)
    try:
        f = flavors.update(flavor_id, description=body['flavor']['description'])
    except FlavorNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    return _respond(req, {'flavor': views.flavor(req, f, mv.version(req))})


@wsgi.route_policy(P.EXTRA_SPECS_INDEX)
def extra_specs_index(req, flavor_id):
    return _respond(req, {'extra_specs': _flavor_or_404(req, flavor_id)['extra_specs']})


@wsgi.route_policy(P.EXTRA_SPECS_CREATE)
@wsgi.accepts(schemas.EXTRA_SPECS)
def extra_specs_create(req, flavor_id):
    body = req.json()
    wsgi.validate(body, schemas.EXTRA_SPECS)
    specs = body['extra_specs']
    _flavor_or_404(req, flavor_id)
    out = flavors.set_extra_specs(flavor_id, {k: _spec_str(v) for k, v in specs.items()})
    return _respond(req, {'extra_specs': out})


def _spec_str(v):
    return str(v).lower() if isinstance(v, bool) else str(v)


@wsgi.route_policy(P.EXTRA_SPECS_SHOW)
def extra_spec_show(req, flavor_id, key):
    specs = _flavor_or_404(req, flavor_id)['extra_specs']
    if key not in specs:
        raise wsgi.NotFound(f'Flavor {flavor_id} has no extra specs with key {key}.')
    return _respond(req, {key: specs[key]})


@wsgi.route_policy(P.EXTRA_SPECS_UPDATE)
@wsgi.accepts(schemas.EXTRA_SPEC_ITEM)
def extra_spec_update(req, flavor_id, key):
    body = req.json()
    wsgi.validate(body, schemas.EXTRA_SPEC_ITEM)
    if list(body) != [key]:
        raise wsgi.BadRequest('Request body and URI mismatch')
    _flavor_or_404(req, flavor_id)
    value = _spec_str(body[key])
    flavors.set_extra_specs(flavor_id, {key: value})
    return _respond(req, {key: value})


@wsgi.route_policy(P.EXTRA_SPECS_DELETE)
def extra_spec_delete(req, flavor_id, key):
    try:
        flavors.delete_extra_spec(flavor_id, key)
    except FlavorNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    return _respond(req, None, 202)


@wsgi.route_policy(P.FLAVOR_ACCESS)
def access_index(req, flavor_id):
    f = _flavor_or_404(req, flavor_id)
    if f['is_public']:
        raise wsgi.NotFound('Access list not available for public flavors.')
    return _respond(req, {'flavor_access': [{'flavor_id': flavor_id, 'tenant_id': p}
                                            for p in flavors.access_list(flavor_id)]})


@wsgi.route_policy(P.FLAVOR_ACTION)
@wsgi.accepts(schemas.FLAVOR_ACTION)
def action(req, flavor_id):
    body = req.json()
    wsgi.validate(body, schemas.FLAVOR_ACTION)
    name, arg = next(iter(body.items()))
    auth.enforce(_ctx(req), P.FLAVOR_ACCESS_ADD if name == 'addTenantAccess'
                 else P.FLAVOR_ACCESS_REMOVE)
    f = _flavor_or_404(req, flavor_id)
    try:
        if name == 'addTenantAccess':
            if f['is_public']:
                raise wsgi.Conflict('Can not add access to a public flavor.')
            projects = flavors.access_add(flavor_id, arg['tenant'])
        else:
            projects = flavors.access_remove(flavor_id, arg['tenant'])
    except FlavorAccessExists as exc:
        raise wsgi.Conflict(str(exc)) from None
    except FlavorNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    return _respond(req, {'flavor_access': [{'flavor_id': flavor_id, 'tenant_id': p}
                                            for p in projects]})
