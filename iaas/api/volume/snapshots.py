"""/v3/{project_id}/snapshots: create, list, show, update, delete, metadata, actions."""
from iaas import wsgi
from iaas.api.volume import schemas, views
from iaas.api.volume.volumes import API, ctx_of, list_params, may
from iaas.exception import InvalidVolume
from iaas.volume import api as volume_api
from iaas.volume import policies as P


def _list(req, detail):
    all_tenants = schemas.to_bool(req.GET.get('all_tenants', '0')) and \
        may(req, P.SNAPSHOT_ALL_TENANTS)
    filters = {k: req.GET[k][:255] for k in ('name', 'status', 'volume_id') if k in req.GET}
    sort, limit, marker, offset = list_params(req, volume_api.SNAPSHOT_SORT_KEYS)
    snaps = API.list_snapshots(ctx_of(req), filters, all_tenants, sort, limit, marker, offset)
    if detail:
        body = {'snapshots': [views.snapshot(req, s) for s in snaps]}
    else:
        body = {'snapshots': [views.snapshot(req, s, extended=False) for s in snaps]}
    if limit and len(snaps) == limit:
        body['snapshots_links'] = [{'rel': 'next', 'href': f'{req.path_url}?limit={limit}'
                                                           f'&marker={snaps[-1]["uuid"]}'}]
    return views.respond(req, body)


@wsgi.route_policy(P.SNAPSHOT_GET_ALL)
def index(req, project_id=None):
    return _list(req, False)


@wsgi.route_policy(P.SNAPSHOT_GET_ALL)
def detail(req, project_id=None):
    return _list(req, True)


@wsgi.route_policy(P.SNAPSHOT_GET)
def show(req, snapshot_id, project_id=None):
    return views.respond(req, {'snapshot': views.snapshot(
        req, API.get_snapshot(ctx_of(req), snapshot_id))})


@wsgi.route_policy(P.SNAPSHOT_CREATE)
@wsgi.accepts(schemas.SNAPSHOT_CREATE)
def create(req, project_id=None):
    body = req.json()
    wsgi.validate(body, schemas.SNAPSHOT_CREATE)
    s = body['snapshot']
    snap = API.create_snapshot(
        ctx_of(req), s['volume_id'], name=s.get('name', s.get('display_name')),
        description=s.get('description', s.get('display_description')),
        metadata=s.get('metadata'), force=schemas.to_bool(s.get('force', False)))
    return views.respond(req, {'snapshot': views.snapshot(req, snap, extended=False)}, 202)


@wsgi.route_policy(P.SNAPSHOT_UPDATE)
@wsgi.accepts(schemas.SNAPSHOT_UPDATE)
def update(req, snapshot_id, project_id=None):
    body = req.json()
    wsgi.validate(body, schemas.SNAPSHOT_UPDATE)
    s = body['snapshot']
    values = {}
    for key, field in (('name', 'display_name'), ('display_name', 'display_name'),
                       ('description', 'display_description'),
                       ('display_description', 'display_description')):
        if key in s:
            values[field] = s[key]
    ctx = ctx_of(req)
    snap = API.update_snapshot(ctx, snapshot_id, **values) if values else \
        API.get_snapshot(ctx, snapshot_id, P.SNAPSHOT_UPDATE)
    return views.respond(req, {'snapshot': views.snapshot(req, snap, extended=False)})


@wsgi.route_policy(P.SNAPSHOT_DELETE)
def delete(req, snapshot_id, project_id=None):
    API.delete_snapshot(ctx_of(req), snapshot_id)
    return views.respond(req, None, 202)


@wsgi.route_policy(P.SNAPSHOT_GET)
def metadata_index(req, snapshot_id, project_id=None):
    return views.respond(req, {'metadata': API.get_snapshot(ctx_of(req), snapshot_id)
                               ['metadata'] or {}})


@wsgi.route_policy(P.SNAPSHOT_UPDATE)
@wsgi.accepts(schemas.METADATA)
def metadata_update(req, snapshot_id, project_id=None):
    body = req.json()
    wsgi.validate(body, schemas.METADATA)
    return views.respond(req, {'metadata': API.set_snapshot_metadata(
        ctx_of(req), snapshot_id, body['metadata'])})


@wsgi.route_policy(P.SNAPSHOT_UPDATE)
@wsgi.accepts(schemas.METADATA)
def metadata_replace(req, snapshot_id, project_id=None):
    body = req.json()
    wsgi.validate(body, schemas.METADATA)
    return views.respond(req, {'metadata': API.set_snapshot_metadata(
        ctx_of(req), snapshot_id, body['metadata'], replace=True)})


@wsgi.route_policy(P.SNAPSHOT_GET)
def metadata_show(req, snapshot_id, key, project_id=None):
    meta = API.get_snapshot(ctx_of(req), snapshot_id)['metadata'] or {}
    if key not in meta:
        raise wsgi.NotFound(f'Metadata item was not found for snapshot {snapshot_id}.')
    return views.respond(req, {'meta': {key: meta[key]}})


@wsgi.route_policy(P.SNAPSHOT_UPDATE)
@wsgi.accepts(schemas.META_ITEM)
def metadata_put(req, snapshot_id, key, project_id=None):
    body = req.json()
    wsgi.validate(body, schemas.META_ITEM)
    if key not in body['meta']:
        raise wsgi.BadRequest('Request body and URI mismatch')
    API.set_snapshot_metadata(ctx_of(req), snapshot_id, body['meta'])
    return views.respond(req, {'meta': body['meta']})


@wsgi.route_policy(P.SNAPSHOT_UPDATE)
def metadata_delete(req, snapshot_id, key, project_id=None):
    API.delete_snapshot_metadata(ctx_of(req), snapshot_id, key)
    return views.respond(req, None, 200)


UPDATE_STATUS = {'type': 'object', 'required': ['status'], 'properties': {
    'status': {'type': 'string', 'maxLength': 32},
    'progress': {'type': 'string', 'pattern': '^[0-9]{1,3}%$'}}}


@wsgi.route_policy(P.SNAPSHOT_ACTION)
@wsgi.accepts(schemas.ACTION)
def action(req, snapshot_id, project_id=None):
    body = req.json()
    wsgi.validate(body, schemas.ACTION)
    name, arg = next(iter(body.items()))
    if name == 'os-force_delete':
        API.delete_snapshot(ctx_of(req), snapshot_id, force=True)
        return views.respond(req, None, 202)
    if name == 'os-update_snapshot_status':
        wsgi.validate(arg, UPDATE_STATUS)
        API.update_snapshot_status(ctx_of(req), snapshot_id, arg['status'],
                                   arg.get('progress'))
        return views.respond(req, None, 202)
    if name != 'os-reset_status':
        raise wsgi.BadRequest(f'There is no such action: {name[:64]}')
    wsgi.validate(arg, schemas.RESET_STATUS)
    if not arg.get('status'):
        raise InvalidVolume('Invalid input received: status is required.')
    API.reset_snapshot_status(ctx_of(req), snapshot_id, arg['status'])
    return views.respond(req, None, 202)
