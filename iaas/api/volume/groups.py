"""/v3/{project_id}/groups (3.13+) and /v3/{project_id}/group_snapshots
(3.14+): generic volume groups and their snapshots."""
from iaas import wsgi
from iaas.api.volume import schemas, views
from iaas.api.volume.volumes import GROUPS, ctx_of, list_params
from iaas.volume import groups as groups_api
from iaas.volume import policies as P

MAX_MEMBERS = 100
_ids = {'type': ['string', 'null'], 'maxLength': MAX_MEMBERS * 37}
GROUP_CREATE = {
    'type': 'object', 'required': ['group'], 'additionalProperties': False,
    'properties': {'group': {
        'type': 'object', 'required': ['group_type', 'volume_types'],
        'additionalProperties': False,
        'properties': {'group_type': {'type': 'string', 'minLength': 1, 'maxLength': 255},
                       'volume_types': {'type': 'array', 'minItems': 1, 'maxItems': 32,
                                        'items': {'type': 'string', 'minLength': 1,
                                                  'maxLength': 255}},
                       'name': schemas.name, 'description': schemas.description,
                       'availability_zone': {'type': ['string', 'null'],
                                             'maxLength': 255}}}}}
GROUP_FROM_SRC = {
    'type': 'object', 'required': ['create-from-src'], 'additionalProperties': False,
    'properties': {'create-from-src': {
        'type': 'object', 'additionalProperties': False,
        'properties': {'group_snapshot_id': {**schemas.uuid, 'type': ['string', 'null']},
                       'source_group_id': {**schemas.uuid, 'type': ['string', 'null']},
                       'name': schemas.name, 'description': schemas.description}}}}
GROUP_UPDATE = {
    'type': 'object', 'required': ['group'], 'additionalProperties': False,
    'properties': {'group': {
        'type': 'object', 'additionalProperties': False,
        'properties': {'name': schemas.name, 'description': schemas.description,
                       'add_volumes': _ids, 'remove_volumes': _ids}}}}
GROUP_DELETE = {'type': 'object', 'additionalProperties': False,
                'properties': {'delete-volumes': schemas.boolean}}
RESET_STATUS = {'type': 'object', 'required': ['status'], 'additionalProperties': False,
                'properties': {'status': {'type': 'string', 'minLength': 1,
                                          'maxLength': 64}}}
SNAPSHOT_CREATE = {
    'type': 'object', 'required': ['group_snapshot'], 'additionalProperties': False,
    'properties': {'group_snapshot': {
        'type': 'object', 'required': ['group_id'], 'additionalProperties': False,
        'properties': {'group_id': schemas.uuid, 'name': schemas.name,
                       'description': schemas.description}}}}


def since(req, minimum):
    """A route (or action) of a later microversion is not found before it."""
    if views.version(req) < minimum:
        raise wsgi.NotFound('The resource could not be found.')


def _time(value):
    return wsgi.isotime(value, False) + '.000000' if value else None


def group_view(req, g, volume_ids=None):
    """Cinder's detail view of a group, by microversion."""
    mv = views.version(req)
    out = {'id': g['uuid'], 'status': g['status'], 'availability_zone': g['availability_zone'],
           'created_at': _time(g['created_at']), 'name': g['display_name'],
           'description': g['display_description'], 'group_type': g['group_type_id'],
           'volume_types': list(g['volume_type_ids'] or ())}
    if mv >= (3, 14):
        out['group_snapshot_id'] = g['group_snapshot_id']
        out['source_group_id'] = g['source_group_id']
    if mv >= (3, 25) and volume_ids is not None:
        out['volumes'] = volume_ids
    if mv >= (3, 38):
        out['replication_status'] = 'disabled'
    if mv >= (3, 58):
        out['project_id'] = g['project_id']
    return out


def snapshot_view(req, s):
    out = {'id': s['uuid'], 'group_id': s['group_id'], 'status': s['status'],
           'created_at': _time(s['created_at']), 'name': s['display_name'],
           'description': s['display_description'], 'group_type_id': s['group_type_id']}
    if views.version(req) >= (3, 58):
        out['project_id'] = s['project_id']
    return out


def _brief(req, kind, row, extra=None):
    return views.respond(req, {kind: {'id': row['uuid'], 'name': row['display_name'],
                                      **(extra or {})}}, 202)


def _list_args(req):
    filters = {k: req.GET[k][:255] for k in ('name', 'status', 'group_id') if k in req.GET}
    return (filters, *list_params(req, groups_api.SORT_KEYS))


def _links(req, body, key, rows, limit):
    if limit and len(rows) == limit:
        body[f'{key}_links'] = [{'rel': 'next', 'href': f'{req.path_url}?limit={limit}'
                                                        f'&marker={rows[-1]["uuid"]}'}]
    return views.respond(req, body)


# -- groups -----------------------------------------------------------------------------
def _list(req, detail):
    since(req, (3, 13))
    filters, sort, limit, marker, offset = _list_args(req)
    rows = GROUPS.list(ctx_of(req), filters, sort, limit, marker, offset)
    if not detail:
        out = [{'id': g['uuid'], 'name': g['display_name']} for g in rows]
    else:
        vols = GROUPS.volume_ids([g['uuid'] for g in rows]) if _with_volumes(req) else {}
        out = [group_view(req, g, vols.get(g['uuid'])) for g in rows]
    return _links(req, {'groups': out}, 'groups', rows, limit)


def _with_volumes(req):
    return views.version(req) >= (3, 25) and \
        schemas.to_bool(req.GET.get('list_volume', 'false'))


@wsgi.route_policy(P.GROUP_GET_ALL)
def index(req, project_id=None):
    return _list(req, False)


@wsgi.route_policy(P.GROUP_GET_ALL)
def detail(req, project_id=None):
    return _list(req, True)


@wsgi.route_policy(P.GROUP_GET)
def show(req, group_id, project_id=None):
    since(req, (3, 13))
    g = GROUPS.get(ctx_of(req), group_id)
    vols = GROUPS.volume_ids([g['uuid']])[g['uuid']] if _with_volumes(req) else None
    return views.respond(req, {'group': group_view(req, g, vols)})


@wsgi.route_policy(P.GROUP_CREATE)
@wsgi.accepts(GROUP_CREATE)
def create(req, project_id=None):
    since(req, (3, 13))
    body = req.json()
    wsgi.validate(body, GROUP_CREATE)
    g = body['group']
    row = GROUPS.create(ctx_of(req), g['group_type'], g['volume_types'], g.get('name'),
                        g.get('description'), g.get('availability_zone'))
    return _brief(req, 'group', row)


@wsgi.route_policy(P.GROUP_CREATE)
@wsgi.accepts(GROUP_FROM_SRC)
def create_from_src(req, project_id=None):
    """POST /groups/action {"create-from-src": …} (3.14)."""
    since(req, (3, 14))
    body = req.json()
    wsgi.validate(body, GROUP_FROM_SRC)
    src = body['create-from-src']
    row = GROUPS.create_from_src(ctx_of(req), src.get('name'), src.get('description'),
                                 src.get('group_snapshot_id'), src.get('source_group_id'))
    return _brief(req, 'group', row)


def _id_list(raw):
    ids = [i.strip() for i in (raw or '').split(',') if i.strip()]
    if len(ids) > MAX_MEMBERS:
        raise wsgi.BadRequest(f'Invalid input received: at most {MAX_MEMBERS} volumes per '
                              f'update.')
    return list(dict.fromkeys(ids))


@wsgi.route_policy(P.GROUP_UPDATE)
@wsgi.accepts(GROUP_UPDATE)
def update(req, group_id, project_id=None):
    since(req, (3, 13))
    body = req.json()
    wsgi.validate(body, GROUP_UPDATE)
    g = body['group']
    ctx = ctx_of(req)
    current = GROUPS.get(ctx, group_id)
    rename = 'name' in g or 'description' in g
    GROUPS.update(ctx, group_id, g.get('name', current['display_name']),
                  g.get('description', current['display_description']),
                  _id_list(g.get('add_volumes')), _id_list(g.get('remove_volumes')), rename)
    return views.respond(req, None, 202)


def _delete(req, group_id, arg):
    wsgi.validate(arg, GROUP_DELETE)
    GROUPS.delete(ctx_of(req), group_id, schemas.to_bool(arg.get('delete-volumes', False)))


def _reset_status(req, group_id, arg):
    since(req, (3, 20))
    wsgi.validate(arg, RESET_STATUS)
    GROUPS.reset_status(ctx_of(req), group_id, arg['status'])


GROUP_ACTIONS = {'delete': _delete, 'reset_status': _reset_status}


@wsgi.route_policy(P.GROUP_DELETE)
@wsgi.accepts(schemas.ACTION)
def action(req, group_id, project_id=None):
    """POST /groups/{id}/action: ``delete`` (3.13), ``reset_status`` (3.20);
    each checks its own rule on the group."""
    since(req, (3, 13))
    body = req.json()
    wsgi.validate(body, schemas.ACTION)
    name, arg = next(iter(body.items()))
    if name not in GROUP_ACTIONS:
        raise wsgi.BadRequest(f'There is no such action: {name[:64]}')
    GROUP_ACTIONS[name](req, group_id, arg if isinstance(arg, dict) else {})
    return views.respond(req, None, 202)


# -- group snapshots --------------------------------------------------------------------
def _snapshot_list(req, detail):
    since(req, (3, 14))
    filters, sort, limit, marker, offset = _list_args(req)
    rows = GROUPS.list_snapshots(ctx_of(req), filters, sort, limit, marker, offset)
    out = [snapshot_view(req, s) if detail else {'id': s['uuid'], 'name': s['display_name']}
           for s in rows]
    return _links(req, {'group_snapshots': out}, 'group_snapshots', rows, limit)


@wsgi.route_policy(P.GROUP_SNAPSHOT_GET_ALL)
def snapshot_index(req, project_id=None):
    return _snapshot_list(req, False)


@wsgi.route_policy(P.GROUP_SNAPSHOT_GET_ALL)
def snapshot_detail(req, project_id=None):
    return _snapshot_list(req, True)


@wsgi.route_policy(P.GROUP_SNAPSHOT_GET)
def snapshot_show(req, group_snapshot_id, project_id=None):
    since(req, (3, 14))
    return views.respond(req, {'group_snapshot': snapshot_view(
        req, GROUPS.get_snapshot(ctx_of(req), group_snapshot_id))})


@wsgi.route_policy(P.GROUP_SNAPSHOT_CREATE)
@wsgi.accepts(SNAPSHOT_CREATE)
def snapshot_create(req, project_id=None):
    since(req, (3, 14))
    body = req.json()
    wsgi.validate(body, SNAPSHOT_CREATE)
    s = body['group_snapshot']
    row = GROUPS.create_snapshot(ctx_of(req), s['group_id'], s.get('name'),
                                 s.get('description'))
    return _brief(req, 'group_snapshot', row, {'group_type_id': row['group_type_id']})


@wsgi.route_policy(P.GROUP_SNAPSHOT_DELETE)
def snapshot_delete(req, group_snapshot_id, project_id=None):
    since(req, (3, 14))
    GROUPS.delete_snapshot(ctx_of(req), group_snapshot_id)
    return views.respond(req, None, 202)


@wsgi.route_policy(P.GROUP_SNAPSHOT_RESET_STATUS)
@wsgi.accepts(schemas.ACTION)
def snapshot_action(req, group_snapshot_id, project_id=None):
    """POST /group_snapshots/{id}/action: ``reset_status`` (3.19)."""
    since(req, (3, 19))
    body = req.json()
    wsgi.validate(body, schemas.ACTION)
    name, arg = next(iter(body.items()))
    if name != 'reset_status':
        raise wsgi.BadRequest(f'There is no such action: {name[:64]}')
    wsgi.validate(arg, RESET_STATUS)
    GROUPS.reset_snapshot_status(ctx_of(req), group_snapshot_id, arg['status'])
    return views.respond(req, None, 202)
