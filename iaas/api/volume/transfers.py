"""Cinder's volume transfers: /v3/{project_id}/os-volume-transfer (every
microversion) and /v3/{project_id}/volume-transfers (3.55+, where create
takes ``no_snapshots``; below 3.55 its routes are 404, as Cinder's
VersionNotFoundForAPIMethod). From 3.55 the views show ``no_snapshots``,
from 3.57 ``source_project_id``, ``destination_project_id`` and
``accepted``, on either path.

The logic is :mod:`iaas.volume.transfers`: create, accept (by id from any
project, with the key) and delete answer 202.
"""
from iaas import wsgi
from iaas.api.volume import schemas, views
from iaas.api.volume.attachments import require
from iaas.api.volume.volumes import ctx_of, list_params, may
from iaas.volume import policies as P
from iaas.volume import transfers as transfer_service

API = transfer_service.Transfers()
NEW_API = (3, 55)       # the volume-transfers routes, no_snapshots
HISTORY = (3, 57)       # source/destination project, accepted
NEW_PATH = 'volume-transfers'
LEGACY_PATH = 'os-volume-transfer'

CREATE = {'type': 'object', 'required': ['transfer'], 'additionalProperties': False,
          'properties': {'transfer': {
              'type': 'object', 'required': ['volume_id'], 'additionalProperties': False,
              'properties': {'volume_id': schemas.uuid, 'name': schemas.name}}}}
CREATE_355 = {**CREATE, 'properties': {'transfer': {
    **CREATE['properties']['transfer'],
    'properties': {**CREATE['properties']['transfer']['properties'],
                   'no_snapshots': schemas.boolean}}}}
ACCEPT = {'type': 'object', 'required': ['accept'], 'additionalProperties': False,
          'properties': {'accept': {
              'type': 'object', 'required': ['auth_key'], 'additionalProperties': False,
              'properties': {'auth_key': {'type': ['string', 'integer'], 'maxLength': 255,
                                          'minimum': 0, 'maximum': schemas.MAX_INT}}}}}


def _path(req):
    """The collection the request names (its links name it too)."""
    return NEW_PATH if f'/{NEW_PATH}' in req.path_info else LEGACY_PATH


def _check_version(req):
    if _path(req) == NEW_PATH:
        require(req, NEW_API)


def _view(req, t, detail=True):
    out = {'id': t['uuid'], 'name': t['display_name'], 'volume_id': t['volume_id'],
           'links': views.link(req, _path(req), t['uuid'], t['project_id'])}
    if not detail:
        return out
    out['created_at'] = views._time(t['created_at'])
    mv = views.version(req)
    if mv >= NEW_API:
        out['no_snapshots'] = bool(t['no_snapshots'])
    if mv >= HISTORY:
        out.update(source_project_id=t['project_id'],
                   destination_project_id=t['destination_project_id'],
                   accepted=bool(t['accepted']))
    return out


def _list(req, detail):
    _check_version(req)
    all_tenants = schemas.to_bool(req.GET.get('all_tenants', '0')) and \
        may(req, P.TRANSFER_ALL_TENANTS)     # ignored for others, as Cinder
    filters = {k: req.GET[k][:255] for k in ('name', 'volume_id') if k in req.GET}
    sort, limit, marker, offset = list_params(req, transfer_service.SORT_KEYS)
    rows = API.list(ctx_of(req), filters, all_tenants, sort, limit, marker, offset)
    body = {'transfers': [_view(req, t, detail) for t in rows]}
    if limit and len(rows) == limit:
        body['transfers_links'] = [{'rel': 'next', 'href': f'{req.path_url}?limit={limit}'
                                                           f'&marker={rows[-1]["uuid"]}'}]
    return views.respond(req, body)


@wsgi.route_policy(P.TRANSFER_GET_ALL)
def index(req, project_id=None):
    return _list(req, False)


@wsgi.route_policy(P.TRANSFER_GET_ALL)
def detail(req, project_id=None):
    return _list(req, True)


@wsgi.route_policy(P.TRANSFER_GET)
def show(req, transfer_id, project_id=None):
    _check_version(req)
    return views.respond(req, {'transfer': _view(req, API.get(ctx_of(req), transfer_id))})


@wsgi.route_policy(P.TRANSFER_CREATE)
@wsgi.accepts(CREATE_355)
def create(req, project_id=None):
    _check_version(req)
    schema = CREATE_355 if _path(req) == NEW_PATH else CREATE
    body = req.json()
    wsgi.validate(body, schema)
    t = body['transfer']
    transfer = API.create(ctx_of(req), t['volume_id'], t.get('name'),
                          schemas.to_bool(t.get('no_snapshots', False)))
    return views.respond(req, {'transfer': dict(_view(req, transfer),
                                                auth_key=transfer['auth_key'])}, 202)


@wsgi.route_policy(P.TRANSFER_ACCEPT)
@wsgi.accepts(ACCEPT)
def accept(req, transfer_id, project_id=None):
    _check_version(req)
    body = req.json()
    wsgi.validate(body, ACCEPT)
    transfer, _ = API.accept(ctx_of(req), transfer_id, body['accept']['auth_key'])
    return views.respond(req, {'transfer': _view(req, transfer, detail=False)}, 202)


@wsgi.route_policy(P.TRANSFER_DELETE)
def delete(req, transfer_id, project_id=None):
    _check_version(req)
    API.delete(ctx_of(req), transfer_id)
    return views.respond(req, None, 202)
