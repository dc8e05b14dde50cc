"""/v3/{project_id}/volumes: create, list, show, update, delete, metadata, actions."""
import json

from iaas import wsgi
from iaas.api.volume import schemas, views
from iaas.exception import InvalidVolume, VolumeNotFound
from iaas.identity import policy
from iaas.volume import api as volume_api
from iaas.volume import groups as groups_api
from iaas.volume import migration as migration_api
from iaas.volume import policies as P
from iaas.volume import states

API = volume_api.API()
GROUPS = groups_api.GroupAPI(API)
MIGRATIONS = migration_api.Migrations(API)
FILTERS = ('name', 'status', 'availability_zone', 'bootable', 'metadata', 'user_id',
           'volume_type_id')


def ctx_of(req):
    return req.context


def may(req, rule):
    ctx = ctx_of(req)
    return policy.check(ctx, rule, {'project_id': ctx.project_id, 'user_id': ctx.user_id})


def list_params(req, sort_keys):
    """(sort, limit, marker, offset) from Cinder's query parameters:
    ``sort=key:dir,…`` or ``sort_key``/``sort_dir``."""
    sort = []
    if req.GET.get('sort'):
        for part in req.GET['sort'].split(',')[:5]:
            key, _, direction = part.strip().partition(':')
            sort.append((key, direction or 'desc'))
    elif req.GET.get('sort_key'):
        sort.append((req.GET['sort_key'], req.GET.get('sort_dir', 'desc')))
    for key, direction in sort:
        if key not in sort_keys or direction not in ('asc', 'desc'):
            raise wsgi.BadRequest(f'Invalid input received: Invalid sort key or direction '
                                  f'{key}:{direction}.')
    offset = wsgi.list_limit(req, name='offset', maximum=10 ** 9)
    return sort or None, wsgi.list_limit(req, maximum=1000), req.GET.get('marker'), offset


def _filters(req):
    out = {}
    for key in FILTERS:
        raw = req.GET.get(key)
        if raw is None:
            continue
        if key == 'metadata':
            try:
                meta = json.loads(raw.replace("'", '"'))
            except ValueError:
                raise wsgi.BadRequest('Invalid input received: metadata filter is not a '
                                      'JSON object.') from None
            if not isinstance(meta, dict):
                raise wsgi.BadRequest('Invalid input received: metadata filter is not a '
                                      'JSON object.')
            out['metadata'] = {str(k): str(v) for k, v in meta.items()}
        elif key == 'bootable':
            out['bootable'] = schemas.to_bool(raw)
        else:
            out[key] = raw[:255]
    return out


def _list(req, detail):
    all_tenants = schemas.to_bool(req.GET.get('all_tenants', '0'))
    if all_tenants and not may(req, P.VOLUME_ALL_TENANTS):
        all_tenants = False      # Cinder ignores it for non-admins
    project = req.GET.get('project_id') if all_tenants else None
    sort, limit, marker, offset = list_params(req, volume_api.VOLUME_SORT_KEYS)
    vols = API.list(ctx_of(req), _filters(req), all_tenants, project, sort, limit, marker,
                    offset)
    if not detail:
        body = {'volumes': [views.volume_summary(req, v) for v in vols]}
    else:
        atts = API.attachments_of([v['uuid'] for v in vols])
        types = API.types_by_id()
        admin = may(req, P.VOLUME_HOST_ATTRIBUTE)
        body = {'volumes': [views.volume(req, v, atts.get(v['uuid'], ()),
                                         types.get(v['volume_type_id']), admin)
                            for v in vols]}
    if limit and len(vols) == limit:
        last = vols[-1]['uuid']
        kind = 'volumes/detail' if detail else 'volumes'
        body['volumes_links'] = [{'rel': 'next', 'href':
                                  f'{req.path_url.rsplit("/volumes", 1)[0]}/{kind}'
                                  f'?limit={limit}&marker={last}'}]
    if views.version(req) >= (3, 45) and schemas.to_bool(req.GET.get('with_count', '0')):
        body['count'] = len(API.list(ctx_of(req), _filters(req), all_tenants, project))
    return views.respond(req, body)


@wsgi.route_policy(P.VOLUME_GET_ALL)
def index(req, project_id=None):
    return _list(req, False)


@wsgi.route_policy(P.VOLUME_GET_ALL)
def detail(req, project_id=None):
    return _list(req, True)


@wsgi.route_policy(P.VOLUME_GET_ALL)
def summary(req, project_id=None):
    """GET /volumes/summary (3.12): count and GiB of the volumes the caller
    may list (with the same filters as the list); 3.36 adds the metadata
    values each key has among them."""
    if views.version(req) < (3, 12):
        raise VolumeNotFound('summary')
    all_tenants = schemas.to_bool(req.GET.get('all_tenants', '0')) and \
        may(req, P.VOLUME_ALL_TENANTS)
    vols = API.list(ctx_of(req), _filters(req), all_tenants,
                    req.GET.get('project_id') if all_tenants else None)
    out = {'total_size': sum(v['size'] or 0 for v in vols), 'total_count': len(vols)}
    if views.version(req) >= (3, 36):
        meta = {}
        for v in vols:
            for key, value in (v['metadata'] or {}).items():
                if value not in meta.setdefault(key, []):
                    meta[key].append(value)
        out['metadata'] = meta
    return views.respond(req, {'volume-summary': out})


def show_volume(req, vol, status=200, extended=True):
    """The volume's detail view; create and update answer without the
    extension attributes (``extended``), as Cinder does."""
    atts = API.attachments_of([vol['uuid']])[vol['uuid']]
    vtype = API.types_by_id().get(vol['volume_type_id'])
    return views.respond(req, {'volume': views.volume(
        req, vol, atts, vtype, may(req, P.VOLUME_HOST_ATTRIBUTE), extended)}, status)


@wsgi.route_policy(P.VOLUME_GET)
def show(req, volume_id, project_id=None):
    return show_volume(req, API.get(ctx_of(req), volume_id))


@wsgi.route_policy(P.VOLUME_CREATE)
@wsgi.accepts(schemas.VOLUME_CREATE)
def create(req, project_id=None):
    body = req.json()
    wsgi.validate(body, schemas.VOLUME_CREATE)
    v = body['volume']
    backup = API.get_backup(ctx_of(req), v['backup_id'], P.BACKUP_RESTORE) \
        if v.get('backup_id') else None
    image = v.get('imageRef') or v.get('image_id')
    group = _group(req, v.get('group_id'))
    vol = API.create(
        ctx_of(req), size=schemas.to_int(v.get('size')),
        name=v.get('name', v.get('display_name')),
        description=v.get('description', v.get('display_description')),
        volume_type=v.get('volume_type'), metadata=v.get('metadata'),
        availability_zone=v.get('availability_zone'), snapshot_id=v.get('snapshot_id'),
        source_volid=v.get('source_volid'), image_ref=image,
        multiattach=schemas.to_bool(v.get('multiattach', False)), restore_from=backup,
        group=group)
    return show_volume(req, vol, 202, extended=False)


def _group(req, group_id):
    """The group a new volume joins (``group_id``, 3.13+)."""
    if not group_id or views.version(req) < (3, 13):
        return None
    return GROUPS.group_for_volume(ctx_of(req), group_id)


@wsgi.route_policy(P.VOLUME_UPDATE)
@wsgi.accepts(schemas.VOLUME_UPDATE)
def update(req, volume_id, project_id=None):
    body = req.json()
    wsgi.validate(body, schemas.VOLUME_UPDATE)
    v = body['volume']
    values = {}
    for key, field in (('name', 'display_name'), ('display_name', 'display_name'),
                       ('description', 'display_description'),
                       ('display_description', 'display_description')):
        if key in v:
            values[field] = v[key]
    ctx = ctx_of(req)
    if v.get('metadata') is not None:
        API.set_metadata(ctx, volume_id, v['metadata'], replace=True)
    vol = API.update(ctx, volume_id, **values) if values else API.get(ctx, volume_id)
    return show_volume(req, vol, extended=False)


@wsgi.route_policy(P.VOLUME_DELETE)
def delete(req, volume_id, project_id=None):
    API.delete(ctx_of(req), volume_id, cascade=schemas.to_bool(req.GET.get('cascade', '0')),
               force=schemas.to_bool(req.GET.get('force', '0')))
    return views.respond(req, None, 202)


# -- metadata ---------------------------------------------------------------------------
@wsgi.route_policy(P.VOLUME_GET)
def metadata_index(req, volume_id, project_id=None):
    return views.respond(req, {'metadata': API.get(ctx_of(req), volume_id)['metadata'] or {}})


@wsgi.route_policy(P.VOLUME_UPDATE)
@wsgi.accepts(schemas.METADATA)
def metadata_update(req, volume_id, project_id=None):
    body = req.json()
    wsgi.validate(body, schemas.METADATA)
    return views.respond(req, {'metadata': API.set_metadata(ctx_of(req), volume_id,
                                                            body['metadata'])})


@wsgi.route_policy(P.VOLUME_UPDATE)
@wsgi.accepts(schemas.METADATA)
def metadata_replace(req, volume_id, project_id=None):
    body = req.json()
    wsgi.validate(body, schemas.METADATA)
    return views.respond(req, {'metadata': API.set_metadata(
        ctx_of(req), volume_id, body['metadata'], replace=True)})


@wsgi.route_policy(P.VOLUME_GET)
def metadata_show(req, volume_id, key, project_id=None):
    meta = API.get(ctx_of(req), volume_id)['metadata'] or {}
    if key not in meta:
        raise wsgi.NotFound(f'Metadata item was not found for volume {volume_id}.')
    return views.respond(req, {'meta': {key: meta[key]}})


@wsgi.route_policy(P.VOLUME_UPDATE)
@wsgi.accepts(schemas.META_ITEM)
def metadata_put(req, volume_id, key, project_id=None):
    body = req.json()
    wsgi.validate(body, schemas.META_ITEM)
    if key not in body['meta']:
        raise wsgi.BadRequest('Request body and URI mismatch')
    API.set_metadata(ctx_of(req), volume_id, body['meta'])
    return views.respond(req, {'meta': body['meta']})


@wsgi.route_policy(P.VOLUME_UPDATE)
def metadata_delete(req, volume_id, key, project_id=None):
    API.delete_metadata(ctx_of(req), volume_id, key)
    return views.respond(req, None, 200)


# -- actions ------------------------------------------------------------------------------
def _extend(req, volume_id, arg):
    wsgi.validate(arg, schemas.EXTEND)
    API.extend(ctx_of(req), volume_id, int(arg['new_size']))


def _reset_status(req, volume_id, arg):
    wsgi.validate(arg, schemas.RESET_STATUS)
    status = arg.get('status')
    if status is not None and status not in states.VOLUME_STATUSES:
        raise InvalidVolume(f'Invalid input received: Invalid status {status}.')
    API.reset_status(ctx_of(req), volume_id, status, arg.get('attach_status'),
                     arg.get('migration_status'))


def _set_image_metadata(req, volume_id, arg):
    wsgi.validate(arg, schemas.IMAGE_METADATA)
    return {'metadata': API.set_image_metadata(ctx_of(req), volume_id, arg['metadata'])}


def _unset_image_metadata(req, volume_id, arg):
    wsgi.validate(arg, schemas.UNSET_IMAGE_METADATA)
    API.unset_image_metadata(ctx_of(req), volume_id, arg['key'])


def _show_image_metadata(req, volume_id, arg):
    return {'metadata': API.get(ctx_of(req), volume_id)['image_metadata'] or {}}


def _set_bootable(req, volume_id, arg):
    wsgi.validate(arg, schemas.BOOTABLE)
    API.set_bootable(ctx_of(req), volume_id, schemas.to_bool(arg['bootable']))


UPLOAD = {'type': 'object', 'required': ['image_name'], 'properties': {
    'image_name': {'type': 'string', 'minLength': 1, 'maxLength': 255},
    'force': schemas.boolean,
    'disk_format': {'type': 'string', 'maxLength': 32},
    'container_format': {'type': 'string', 'enum': ['bare', 'ovf']},
    'visibility': {'type': 'string', 'enum': ['public', 'private', 'shared', 'community']},
    'protected': schemas.boolean}}


def _upload(req, volume_id, arg):
    wsgi.validate(arg, UPLOAD)
    vol, image_id = API.upload_to_image(
        ctx_of(req), volume_id, arg['image_name'], schemas.to_bool(arg.get('force', False)),
        arg.get('disk_format', 'raw'), arg.get('container_format', 'bare'),
        arg.get('visibility', 'private'), schemas.to_bool(arg.get('protected', False)))
    return {'os-volume_upload_image': {
        'id': vol['uuid'], 'updated_at': vol['updated_at'], 'status': vol['status'],
        'display_description': vol['display_description'], 'size': vol['size'],
        'volume_type': None, 'image_id': image_id,
        'container_format': arg.get('container_format', 'bare'),
        'disk_format': arg.get('disk_format', 'raw'), 'image_name': arg['image_name'],
        'visibility': arg.get('visibility', 'private'),
        'protected': schemas.to_bool(arg.get('protected', False))}}


FORCE_DETACH = {'type': 'object', 'properties': {
    'attachment_id': {'type': ['string', 'null'], 'maxLength': 36},
    'connector': {'type': ['object', 'null']}}}


def _force_detach(req, volume_id, arg):
    wsgi.validate(arg, FORCE_DETACH)
    API.force_detach(ctx_of(req), volume_id, arg.get('attachment_id'))


RETYPE = {'type': 'object', 'required': ['new_type'], 'properties': {
    'new_type': {'type': 'string', 'minLength': 1, 'maxLength': 255},
    'migration_policy': {'type': ['string', 'null'], 'enum': ['never', 'on-demand', None]}}}


def _retype(req, volume_id, arg):
    wsgi.validate(arg, RETYPE)
    API.retype(ctx_of(req), volume_id, arg['new_type'], arg.get('migration_policy') or 'never')


def _migrate(req, volume_id, arg):
    wsgi.validate(arg, schemas.MIGRATE)
    if arg.get('cluster'):
        raise wsgi.BadRequest('Invalid input received: volume clusters are not supported; '
                              'name a host.')
    if not arg.get('host'):
        raise wsgi.BadRequest('Invalid input received: host is required.')
    MIGRATIONS.migrate(ctx_of(req), volume_id, arg['host'],
                       schemas.to_bool(arg.get('force_host_copy', False)),
                       schemas.to_bool(arg.get('lock_volume', False)))


def _migrate_completion(req, volume_id, arg):
    wsgi.validate(arg, schemas.MIGRATE_COMPLETION)
    kept = MIGRATIONS.complete(ctx_of(req), volume_id, arg['new_volume'],
                               schemas.to_bool(arg.get('error', False)))
    return {'save_volume_id': kept}


def _force_delete(req, volume_id, arg):
    API.delete(ctx_of(req), volume_id, force=True)


def _reserve(req, volume_id, arg):
    API.reserve(ctx_of(req), volume_id)


def _unreserve(req, volume_id, arg):
    API.unreserve(ctx_of(req), volume_id)


# Cinder's actions this API does not serve (the attach/detach flow is Nova's
# os-volume_attachments here): 404 for a volume the caller cannot see, as
# Cinder, else 501; nothing is changed.
NOT_SERVED = frozenset({
    'os-attach', 'os-detach', 'os-begin_detaching', 'os-roll_detaching',
    'os-initialize_connection', 'os-terminate_connection', 'os-update_readonly_flag',
    'os-reimage',
    'os-unmanage', 'os-reset_status_attachments', 'revert'})

# action → (handler, status of success)
ACTIONS = {
    'os-extend': (_extend, 202),
    'os-reset_status': (_reset_status, 202),
    'os-set_image_metadata': (_set_image_metadata, 200),
    'os-unset_image_metadata': (_unset_image_metadata, 200),
    'os-show_image_metadata': (_show_image_metadata, 200),
    'os-set_bootable': (_set_bootable, 200),
    'os-force_delete': (_force_delete, 202),
    'os-force_detach': (_force_detach, 202),
    'os-volume_upload_image': (_upload, 202),
    'os-reserve': (_reserve, 202),
    'os-unreserve': (_unreserve, 202),
    'os-retype': (_retype, 202),
    'os-migrate_volume': (_migrate, 202),
    'os-migrate_volume_completion': (_migrate_completion, 200),
}


@wsgi.route_policy(P.VOLUME_ACTION)
@wsgi.accepts(schemas.ACTION)
def action(req, volume_id, project_id=None):
    """One body key names the action. A name Cinder does not have is 400
    ("There is no such action", Cinder's answer); a Cinder action this API
    does not serve is 404 when the volume is not the caller's to see, else
    501; nothing is changed either way."""
    body = req.json()
    wsgi.validate(body, schemas.ACTION)
    name, arg = next(iter(body.items()))
    if name not in ACTIONS:
        if name not in NOT_SERVED:     # not a Cinder action at all (Cinder's 400)
            raise wsgi.BadRequest(f'There is no such action: {name[:64]}')
        API.get(ctx_of(req), volume_id)
        raise wsgi.Fault(f'Volume action {name[:64]} is not implemented.', code=501)
    handler, status = ACTIONS[name]
    out = handler(req, volume_id, arg if isinstance(arg, dict) else {})
    return views.respond(req, out, status)
