"""/flavors (+ extra specs and project access)."""
from iaas import wsgi
from iaas.api import auth
from iaas.api.compute import microversion as mv
from iaas.api.compute import views
from iaas.api.compute.servers import _ctx, _int, _respond
from iaas.db import flavors as db

CREATE_SCHEMA = {'type': 'object', 'required': ['flavor'], 'properties': {'flavor': {
    'type': 'object', 'required': ['name', 'ram', 'vcpus', 'disk'], 'properties': {
        'name': {'type': 'string', 'minLength': 1, 'maxLength': 255},
        'id': {'type': ['string', 'null'], 'minLength': 1, 'maxLength': 255,
               'pattern': r'^(?! )[a-zA-Z0-9. _-]+(?<! )$'},
        'ram': {'type': ['integer', 'string'], 'pattern': '^[0-9]+$', 'minimum': 1},
        'vcpus': {'type': ['integer', 'string'], 'pattern': '^[0-9]+$', 'minimum': 1},
        'disk': {'type': ['integer', 'string'], 'pattern': '^[0-9]+$', 'minimum': 0},
        'OS-FLV-EXT-DATA:ephemeral': {'type': ['integer', 'string'], 'minimum': 0},
        'swap': {'type': ['integer', 'string'], 'minimum': 0},
        'rxtx_factor': {'type': ['number', 'string'], 'minimum': 0},
        'os-flavor-access:is_public': {'type': ['boolean', 'string']},
        'description': {'type': ['string', 'null'], 'maxLength': 65535}}}}}


def _is_public_filter(req, ctx):
    raw = req.GET.get('is_public')
    if raw is None:
        return True if not ctx.is_admin else True
    if raw.lower() == 'none':
        return None
    return raw.lower() in ('true', '1', 'yes', 't')


def _list(req, brief):
    ctx = _ctx(req)
    v = mv.version(req)
    limit = _int(req.GET['limit'], 'limit') if req.GET.get('limit') else None
    try:
        items = db.list_(ctx.project_id, ctx.is_admin, is_public=_is_public_filter(req, ctx)
                         if ctx.is_admin else None,
                         min_ram=_int(req.GET['minRam'], 'minRam') if req.GET.get('minRam')
                         else None,
                         min_disk=_int(req.GET['minDisk'], 'minDisk')
                         if req.GET.get('minDisk') else None,
                         sort_key=req.GET.get('sort_key', 'flavorid'),
                         sort_dir=req.GET.get('sort_dir', 'asc'), limit=limit,
                         marker=req.GET.get('marker'))
    except db.FlavorNotFound as exc:
        raise wsgi.BadRequest(str(exc)) from None
    return _respond(req, {'flavors': [views.flavor(req, f, v, brief=brief) for f in items]})


def index(req):
    return _list(req, True)


def detail(req):
    return _list(req, False)


def show(req, flavor_id):
    ctx = _ctx(req)
    try:
        f = db.get(flavor_id, ctx.project_id, ctx.is_admin)
    except db.FlavorNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    return _respond(req, {'flavor': views.flavor(req, f, mv.version(req))})


def create(req):
    ctx = _ctx(req)
    auth.enforce(ctx, 'admin_required')
    body = req.json()
    wsgi.validate(body, CREATE_SCHEMA)
    f = body['flavor']
    is_public = f.get('os-flavor-access:is_public', True)
    if isinstance(is_public, str):
        is_public = is_public.lower() in ('true', '1', 'yes', 't')
    try:
        out = db.create(f['name'], int(f['ram']), int(f['vcpus']), int(f['disk']),
                        flavorid=f.get('id'), ephemeral_gb=int(f.get(
                            'OS-FLV-EXT-DATA:ephemeral') or 0),
                        swap=int(f.get('swap') or 0),
                        rxtx_factor=float(f.get('rxtx_factor') or 1.0), is_public=is_public,
                        description=f.get('description'))
    except db.FlavorExists as exc:
        raise wsgi.Conflict(str(exc)) from None
    except ValueError as exc:
        raise wsgi.BadRequest(str(exc)) from None
    return _respond(req, {'flavor': views.flavor(req, out, mv.version(req))})


def delete(req, flavor_id):
    auth.enforce(_ctx(req), 'admin_required')
    try:
        db.delete(flavor_id)
    except db.FlavorNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    return _respond(req, None, 202)


def update(req, flavor_id):
    auth.enforce(_ctx(req), 'admin_required')
    body = req.json()
    desc = (body.get('flavor') or {}).get('description', ...)
    if desc is ...:
        raise wsgi.BadRequest('Only the description of a flavor can be updated')
    try:
        f = db.update(flavor_id, description=desc)
    except db.FlavorNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    return _respond(req, {'flavor': views.flavor(req, f, mv.version(req))})


def _flavor_or_404(req, flavor_id):
    ctx = _ctx(req)
    try:
        return db.get(flavor_id, ctx.project_id, ctx.is_admin)
    except db.FlavorNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None


def extra_specs_index(req, flavor_id):
    return _respond(req, {'extra_specs': _flavor_or_404(req, flavor_id)['extra_specs']})


def extra_specs_create(req, flavor_id):
    auth.enforce(_ctx(req), 'admin_required')
    body = req.json()
    specs = body.get('extra_specs')
    if not isinstance(specs, dict) or not all(
            isinstance(k, str) and isinstance(v, (str, int, float, bool))
            for k, v in specs.items()):
        raise wsgi.BadRequest('extra_specs must be an object of strings')
    _flavor_or_404(req, flavor_id)
    out = db.set_extra_specs(flavor_id, {k: str(v) for k, v in specs.items()})
    return _respond(req, {'extra_specs': out})


def extra_spec_show(req, flavor_id, key):
    specs = _flavor_or_404(req, flavor_id)['extra_specs']
    if key not in specs:
        raise wsgi.NotFound(f'Flavor {flavor_id} has no extra specs with key {key}.')
    return _respond(req, {key: specs[key]})


def extra_spec_update(req, flavor_id, key):
    auth.enforce(_ctx(req), 'admin_required')
    body = req.json()
    if list(body) != [key]:
        raise wsgi.BadRequest('Request body and URI mismatch')
    _flavor_or_404(req, flavor_id)
    db.set_extra_specs(flavor_id, {key: str(body[key])})
    return _respond(req, {key: str(body[key])})


def extra_spec_delete(req, flavor_id, key):
    auth.enforce(_ctx(req), 'admin_required')
    try:
        db.delete_extra_spec(flavor_id, key)
    except db.FlavorNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    return _respond(req, None, 202)


def access_index(req, flavor_id):
    auth.enforce(_ctx(req), 'admin_required')
    f = _flavor_or_404(req, flavor_id)
    if f['is_public']:
        raise wsgi.NotFound('Access list not available for public flavors.')
    return _respond(req, {'flavor_access': [{'flavor_id': flavor_id, 'tenant_id': p}
                                            for p in db.access_list(flavor_id)]})


def action(req, flavor_id):
    auth.enforce(_ctx(req), 'admin_required')
    body = req.json()
    f = _flavor_or_404(req, flavor_id)
    try:
        if 'addTenantAccess' in body:
            if f['is_public']:
                raise wsgi.Conflict('Can not add access to a public flavor.')
            projects = db.access_add(flavor_id, body['addTenantAccess']['tenant'])
        elif 'removeTenantAccess' in body:
            projects = db.access_remove(flavor_id, body['removeTenantAccess']['tenant'])
        else:
            raise wsgi.BadRequest('Unknown flavor action')
    except (KeyError, TypeError):
        raise wsgi.BadRequest('tenant is required') from None
    except db.FlavorAccessExists as exc:
        raise wsgi.Conflict(str(exc)) from None
    except db.FlavorNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    return _respond(req, {'flavor_access': [{'flavor_id': flavor_id, 'tenant_id': p}
                                            for p in projects]})
