"""/v3/{project_id}/group_types (3.11+): group types and their group specs."""
from iaas import wsgi
from iaas.api.volume import schemas, views
from iaas.api.volume.volumes import GROUPS, ctx_of, list_params
from iaas.volume import groups as groups_api
from iaas.volume import policies as P

SPECS = {**schemas.metadata_obj, 'maxProperties': 64}
TYPE_CREATE = {
    'type': 'object', 'required': ['group_type'], 'additionalProperties': False,
    'properties': {'group_type': {
        'type': 'object', 'required': ['name'], 'additionalProperties': False,
        'properties': {'name': {'type': 'string', 'minLength': 1, 'maxLength': 255},
                       'description': schemas.description, 'is_public': schemas.boolean,
                       'group_specs': {**SPECS, 'type': ['object', 'null']}}}}}
TYPE_UPDATE = {
    'type': 'object', 'required': ['group_type'], 'additionalProperties': False,
    'properties': {'group_type': {
        'type': 'object', 'minProperties': 1, 'additionalProperties': False,
        'properties': {'name': {'type': ['string', 'null'], 'minLength': 1,
                                'maxLength': 255},
                       'description': schemas.description, 'is_public': schemas.boolean}}}}
SPECS_CREATE = {'type': 'object', 'required': ['group_specs'], 'additionalProperties': False,
                'properties': {'group_specs': SPECS}}
SPEC_ITEM = {**SPECS, 'minProperties': 1, 'maxProperties': 1}


def since_311(req):
    if views.version(req) < (3, 11):
        raise wsgi.NotFound('The resource could not be found.')


def view(t, specs):
    """Cinder's group type (group specs: for admins)."""
    out = {'id': t['uuid'], 'name': t['name'], 'description': t['description'],
           'is_public': t['is_public']}
    if specs:
        out['group_specs'] = t['group_specs'] or {}
    return out


def _respond(req, t, status=200):
    return views.respond(req, {'group_type': view(t, GROUPS.is_admin(ctx_of(req)))}, status)


@wsgi.route_policy(P.GROUP_TYPE_GET)
def index(req, project_id=None):
    since_311(req)
    raw = req.GET.get('is_public')
    is_public = True if raw is None else \
        (None if raw.lower() == 'none' else schemas.to_bool(raw))
    sort, _, _, _ = list_params(req, groups_api.TYPE_SORT_KEYS)
    ctx = ctx_of(req)
    rows = GROUPS.list_types(ctx, is_public, sort)
    admin = GROUPS.is_admin(ctx)
    return views.respond(req, {'group_types': [view(t, admin) for t in rows]})


@wsgi.route_policy(P.GROUP_TYPE_GET)
def show_default(req, project_id=None):
    since_311(req)
    return _respond(req, GROUPS.default_type())


@wsgi.route_policy(P.GROUP_TYPE_GET)
def show(req, group_type_id, project_id=None):
    since_311(req)
    return _respond(req, GROUPS.get_type(ctx_of(req), group_type_id))


@wsgi.route_policy(P.GROUP_TYPE_CREATE)
@wsgi.accepts(TYPE_CREATE)
def create(req, project_id=None):
    since_311(req)
    body = req.json()
    wsgi.validate(body, TYPE_CREATE)
    t = body['group_type']
    row = GROUPS.create_type(t['name'].strip(), t.get('description'),
                             schemas.to_bool(t.get('is_public', True)), t.get('group_specs'))
    return _respond(req, row, 202)


@wsgi.route_policy(P.GROUP_TYPE_UPDATE)
@wsgi.accepts(TYPE_UPDATE)
def update(req, group_type_id, project_id=None):
    since_311(req)
    body = req.json()
    wsgi.validate(body, TYPE_UPDATE)
    t = body['group_type']
    values = {k: t[k] for k in ('name', 'description') if t.get(k) is not None}
    if 'is_public' in t:
        values['is_public'] = schemas.to_bool(t['is_public'])
    if 'name' in values:
        values['name'] = values['name'].strip()
    row = GROUPS.update_type(group_type_id, **values) if values else \
        GROUPS.get_type(ctx_of(req), group_type_id)
    return _respond(req, row)


@wsgi.route_policy(P.GROUP_TYPE_DELETE)
def delete(req, group_type_id, project_id=None):
    since_311(req)
    GROUPS.delete_type(group_type_id)
    return views.respond(req, None, 202)


# -- group specs ------------------------------------------------------------------------
def _specs(req, group_type_id):
    return GROUPS.get_type(ctx_of(req), group_type_id)['group_specs'] or {}


@wsgi.route_policy(P.GROUP_TYPE_SPECS_READ)
def specs_index(req, group_type_id, project_id=None):
    since_311(req)
    return views.respond(req, {'group_specs': _specs(req, group_type_id)})


@wsgi.route_policy(P.GROUP_TYPE_SPECS_MANAGE)
@wsgi.accepts(SPECS_CREATE)
def specs_create(req, group_type_id, project_id=None):
    since_311(req)
    body = req.json()
    wsgi.validate(body, SPECS_CREATE)
    GROUPS.set_type_specs(group_type_id, body['group_specs'])
    return views.respond(req, {'group_specs': body['group_specs']}, 202)


def _no_key(group_type_id, key):
    return wsgi.NotFound(f'Group Type {group_type_id} has no specs with key {key[:255]}.')


@wsgi.route_policy(P.GROUP_TYPE_SPECS_READ)
def spec_show(req, group_type_id, key, project_id=None):
    since_311(req)
    specs = _specs(req, group_type_id)
    if key not in specs:
        raise _no_key(group_type_id, key)
    return views.respond(req, {key: specs[key]})


@wsgi.route_policy(P.GROUP_TYPE_SPECS_MANAGE)
@wsgi.accepts(SPEC_ITEM)
def spec_update(req, group_type_id, key, project_id=None):
    since_311(req)
    body = req.json()
    wsgi.validate(body, SPEC_ITEM)
    if key not in body:
        raise wsgi.BadRequest('Request body and URI mismatch')
    GROUPS.set_type_specs(group_type_id, body)
    return views.respond(req, body)


@wsgi.route_policy(P.GROUP_TYPE_SPECS_MANAGE)
def spec_delete(req, group_type_id, key, project_id=None):
    since_311(req)
    if not GROUPS.delete_type_spec(group_type_id, key):
        raise _no_key(group_type_id, key)
    return views.respond(req, None, 202)
