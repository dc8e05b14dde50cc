"""/v3/{project_id}/types: volume types, their extra specs and project access."""
from iaas import wsgi
from iaas.api.volume import schemas, views
from iaas.api.volume.volumes import ctx_of, may
from iaas.exception import VolumeTypeNotFound
from iaas.volume import api as volume_api
from iaas.volume import policies as P
from iaas.volume import types


def _visible(req, type_id):
    """The type if the caller may see it (private types: admins and the
    projects given access), else 404."""
    ctx = ctx_of(req)
    if type_id == 'default':
        return volume_api.default_type()
    t = types.get(type_id)
    if t['is_public'] or ctx.project_id in t['projects'] or may(req, P.TYPE_ACCESS):
        return t
    raise VolumeTypeNotFound(type_id)


@wsgi.route_policy(P.TYPE_GET_ALL)
def index(req, project_id=None):
    volume_api.default_type()
    admin = may(req, P.TYPE_ACCESS)
    is_public = req.GET.get('is_public')
    flag = None if (is_public is None or is_public.lower() == 'none') else \
        schemas.to_bool(is_public)
    rows = types.list_(ctx_of(req).project_id, is_public=flag if admin else None,
                       include_private=admin and flag is not True)
    specs = may(req, P.TYPE_EXTRA_SPECS)
    return views.respond(req, {'volume_types': [views.volume_type(t, specs) for t in rows]})


@wsgi.route_policy(P.TYPE_GET)
def show(req, type_id, project_id=None):
    return views.respond(req, {'volume_type': views.volume_type(
        _visible(req, type_id), may(req, P.TYPE_EXTRA_SPECS))})


@wsgi.route_policy(P.TYPE_MANAGE)
@wsgi.accepts(schemas.TYPE_CREATE)
def create(req, project_id=None):
    body = req.json()
    wsgi.validate(body, schemas.TYPE_CREATE)
    t = body['volume_type']
    public = t.get('os-volume-type-access:is_public', t.get('is_public', True))
    row = types.create(t['name'].strip(), t.get('description'), schemas.to_bool(public),
                       t.get('extra_specs'))
    return views.respond(req, {'volume_type': views.volume_type(row, kind='create')})


@wsgi.route_policy(P.TYPE_MANAGE)
@wsgi.accepts(schemas.TYPE_UPDATE)
def update(req, type_id, project_id=None):
    body = req.json()
    wsgi.validate(body, schemas.TYPE_UPDATE)
    t = body['volume_type']
    values = {k: t[k] for k in ('name', 'description') if k in t}
    if 'is_public' in t:
        values['is_public'] = schemas.to_bool(t['is_public'])
    row = types.update(type_id, **values) if values else types.get(type_id)
    return views.respond(req, {'volume_type': views.volume_type(row, kind='update')})


@wsgi.route_policy(P.TYPE_MANAGE)
def delete(req, type_id, project_id=None):
    types.delete(type_id)
    return views.respond(req, None, 202)


@wsgi.route_policy(P.TYPE_EXTRA_SPECS)
def extra_specs_index(req, type_id, project_id=None):
    return views.respond(req, {'extra_specs': types.get(type_id)['extra_specs'] or {}})


@wsgi.route_policy(P.TYPE_MANAGE)
@wsgi.accepts(schemas.EXTRA_SPECS)
def extra_specs_create(req, type_id, project_id=None):
    body = req.json()
    wsgi.validate(body, schemas.EXTRA_SPECS)
    types.set_extra_specs(type_id, body['extra_specs'])
    return views.respond(req, {'extra_specs': body['extra_specs']})


@wsgi.route_policy(P.TYPE_EXTRA_SPECS)
def extra_spec_show(req, type_id, key, project_id=None):
    specs = types.get(type_id)['extra_specs'] or {}
    if key not in specs:
        raise wsgi.NotFound(f'Volume Type {type_id} has no extra specs with key {key}.')
    return views.respond(req, {key: specs[key]})


@wsgi.route_policy(P.TYPE_MANAGE)
@wsgi.accepts(schemas.EXTRA_SPEC_ITEM)
def extra_spec_update(req, type_id, key, project_id=None):
    body = req.json()
    wsgi.validate(body, schemas.EXTRA_SPEC_ITEM)
    if key not in body:
        raise wsgi.BadRequest('Request body and URI mismatch')
    types.set_extra_specs(type_id, body)
    return views.respond(req, body)


@wsgi.route_policy(P.TYPE_MANAGE)
def extra_spec_delete(req, type_id, key, project_id=None):
    try:
        types.delete_extra_spec(type_id, key)
    except VolumeTypeNotFound:
        raise wsgi.NotFound(f'Volume Type {type_id} has no extra specs with key '
                            f'{key}.') from None
    return views.respond(req, None, 202)


@wsgi.route_policy(P.TYPE_ACCESS)
def access_index(req, type_id, project_id=None):
    t = types.get(type_id)
    if t['is_public']:
        raise wsgi.NotFound('Access list not available for public volume types.')
    return views.respond(req, {'volume_type_access': [
        {'volume_type_id': t['uuid'], 'project_id': p} for p in t['projects']]})


@wsgi.route_policy(P.TYPE_ACCESS)
@wsgi.accepts(schemas.ACTION)
def action(req, type_id, project_id=None):
    body = req.json()
    wsgi.validate(body, schemas.ACTION)
    name, arg = next(iter(body.items()))
    if name not in ('addProjectAccess', 'removeProjectAccess'):
        raise wsgi.BadRequest(f'There is no such action: {name[:64]}')
    wsgi.validate(arg, schemas.TYPE_ACCESS)
    if name == 'addProjectAccess':
        types.add_access(type_id, arg['project'])
    else:
        types.remove_access(type_id, arg['project'])
    return views.respond(req, None, 202)
