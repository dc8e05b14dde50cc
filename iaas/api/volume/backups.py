"""/v3/{project_id}/backups: create, list, show, update, delete, restore, actions,
export and import of records (:mod:`iaas.volume.backup_records`)."""
from iaas import wsgi
from iaas.api.volume import schemas, views
from iaas.api.volume.volumes import API, ctx_of, list_params, may
from iaas.exception import InvalidVolume
from iaas.volume import api as volume_api
from iaas.volume import backup_records
from iaas.volume import policies as P

CREATE = {'type': 'object', 'required': ['backup'], 'properties': {
    'backup': {'type': 'object', 'required': ['volume_id'], 'properties': {
        'volume_id': schemas.uuid, 'name': schemas.name, 'description': schemas.description,
        'incremental': schemas.boolean, 'force': schemas.boolean,
        'container': {'type': ['string', 'null'], 'maxLength': 255},
        'snapshot_id': {'type': ['string', 'null'], 'maxLength': 36},
        'metadata': schemas.metadata,
        'availability_zone': {'type': ['string', 'null'], 'maxLength': 255}}}}}
UPDATE = {'type': 'object', 'required': ['backup'], 'properties': {
    'backup': {'type': 'object', 'properties': {
        'name': schemas.name, 'description': schemas.description,
        'metadata': schemas.metadata}, 'additionalProperties': False}}}
IMPORT = {'type': 'object', 'required': ['backup-record'], 'properties': {
    'backup-record': {'type': 'object', 'required': ['backup_service', 'backup_url'],
                      'additionalProperties': False, 'properties': {
                          'backup_service': {'type': 'string', 'maxLength': 255},
                          'backup_url': {'type': 'string', 'minLength': 1,
                                         'maxLength': backup_records.MAX_URL},
                          # iaas: the project to import into (another rule)
                          'project_id': {'type': 'string',
                                         'pattern': '^[A-Za-z0-9_-]{1,64}$'}}}}}
RESTORE = {'type': 'object', 'required': ['restore'], 'properties': {
    'restore': {'type': ['object', 'null'], 'properties': {
        'volume_id': {'type': ['string', 'null'], 'maxLength': 36},
        'name': schemas.name}}}}


def _view(req, b, detail=True):
    base = {'id': b['uuid'], 'name': b['display_name'],
            'links': views.link(req, 'backups', b['uuid'], b['project_id'])}
    if not detail:
        return base
    mv = views.version(req)
    out = dict(base, description=b['display_description'], status=b['status'],
               size=b['size'], volume_id=b['volume_id'], snapshot_id=b['snapshot_id'],
               object_count=b['object_count'], container=b['container'],
               availability_zone=b['availability_zone'],
               created_at=wsgi.isotime(b['created_at'], False) + '.000000',
               updated_at=(wsgi.isotime(b['updated_at'], False) + '.000000'
                           if b['updated_at'] else None),
               data_timestamp=wsgi.isotime(b['data_timestamp'], False),
               is_incremental=bool(b['is_incremental']),
               has_dependent_backups=bool(b['has_dependent_backups']),
               fail_reason=b['fail_reason'])
    if may(req, P.BACKUP_PROJECT_ATTRIBUTE):
        out['os-backup-project-attr:project_id'] = b['project_id']
    if mv >= (3, 43):
        out['metadata'] = b['metadata'] or {}
    if mv >= (3, 56):
        out['user_id'] = b['user_id']
    return out


def _list(req, detail):
    all_tenants = schemas.to_bool(req.GET.get('all_tenants', '0')) and \
        may(req, P.BACKUP_ALL_TENANTS)
    filters = {k: req.GET[k][:255] for k in ('name', 'status', 'volume_id') if k in req.GET}
    sort, limit, marker, offset = list_params(req, volume_api.BACKUP_SORT_KEYS)
    rows = API.list_backups(ctx_of(req), filters, all_tenants, sort, limit, marker, offset)
    body = {'backups': [_view(req, b, detail) for b in rows]}
    if limit and len(rows) == limit:
        body['backups_links'] = [{'rel': 'next', 'href': f'{req.path_url}?limit={limit}'
                                                         f'&marker={rows[-1]["uuid"]}'}]
    return views.respond(req, body)


@wsgi.route_policy(P.BACKUP_GET_ALL)
def index(req, project_id=None):
    return _list(req, False)


@wsgi.route_policy(P.BACKUP_GET_ALL)
def detail(req, project_id=None):
    return _list(req, True)


@wsgi.route_policy(P.BACKUP_GET)
def show(req, backup_id, project_id=None):
    return views.respond(req, {'backup': _view(req, API.get_backup(ctx_of(req), backup_id))})


@wsgi.route_policy(P.BACKUP_CREATE)
@wsgi.accepts(CREATE)
def create(req, project_id=None):
    body = req.json()
    wsgi.validate(body, CREATE)
    b = body['backup']
    if b.get('snapshot_id'):
        API.get(ctx_of(req), b['volume_id'])           # another project's: 404 first
        raise InvalidVolume('Invalid input received: backing up a snapshot is not '
                            'supported here; back up the volume (force for in-use).')
    backup = API.create_backup(ctx_of(req), b['volume_id'], b.get('name'),
                               b.get('description'),
                               schemas.to_bool(b.get('incremental', False)),
                               schemas.to_bool(b.get('force', False)), b.get('metadata'))
    return views.respond(req, {'backup': _view(req, backup, detail=False)}, 202)


@wsgi.route_policy(P.BACKUP_UPDATE)
@wsgi.accepts(UPDATE)
def update(req, backup_id, project_id=None):
    body = req.json()
    wsgi.validate(body, UPDATE)
    b = body['backup']
    values = {field: b[key] for key, field in (('name', 'display_name'),
                                               ('description', 'display_description'),
                                               ('metadata', 'metadata'))
              if key in b and b[key] is not None}
    ctx = ctx_of(req)
    row = API.update_backup(ctx, backup_id, **values) if values else \
        API.get_backup(ctx, backup_id, P.BACKUP_UPDATE)
    return views.respond(req, {'backup': _view(req, row, detail=False)})   # Cinder's summary


@wsgi.route_policy(P.BACKUP_DELETE)
def delete(req, backup_id, project_id=None):
    API.delete_backup(ctx_of(req), backup_id)
    return views.respond(req, None, 202)


@wsgi.route_policy(P.BACKUP_RESTORE)
@wsgi.accepts(RESTORE)
def restore(req, backup_id, project_id=None):
    body = req.json()
    wsgi.validate(body, RESTORE)
    r = body['restore'] or {}
    backup, vol = API.restore_backup(ctx_of(req), backup_id, r.get('volume_id'),
                                     r.get('name'))
    return views.respond(req, {'restore': {'backup_id': backup['uuid'],
                                           'volume_id': vol['uuid'],
                                           'volume_name': vol['display_name']}}, 202)


@wsgi.route_policy(P.BACKUP_ACTION)
@wsgi.accepts(schemas.ACTION)
def action(req, backup_id, project_id=None):
    body = req.json()
    wsgi.validate(body, schemas.ACTION)
    name, arg = next(iter(body.items()))
    ctx = ctx_of(req)
    if name == 'os-reset_status':
        wsgi.validate(arg, schemas.RESET_STATUS)
        if not arg.get('status'):
            raise InvalidVolume('Invalid input received: status is required.')
        API.reset_backup_status(ctx, backup_id, arg['status'])
    elif name == 'os-force_delete':
        API.delete_backup(ctx, backup_id, force=True)
    else:
        raise wsgi.BadRequest(f'There is no such action: {name[:64]}')
    return views.respond(req, None, 202)


@wsgi.route_policy(P.BACKUP_EXPORT)
def export_record(req, backup_id, project_id=None):
    return views.respond(req, {'backup-record': backup_records.export_record(
        ctx_of(req), backup_id)})


@wsgi.route_policy(P.BACKUP_IMPORT)
@wsgi.accepts(IMPORT)
def import_record(req, project_id=None):
    body = req.json()
    wsgi.validate(body, IMPORT)
    r = body['backup-record']
    backup = backup_records.import_record(ctx_of(req), r['backup_service'], r['backup_url'],
                                          r.get('project_id'))
    return views.respond(req, {'backup': _view(req, backup, detail=False)}, 201)
