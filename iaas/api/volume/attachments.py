"""/v3/{project_id}/attachments: Cinder's attachment API (microversion
3.27; os-complete 3.44; the attach mode 3.54).

Below 3.27 every route is 404, as Cinder's VersionNotFoundForAPIMethod.
The logic is :mod:`iaas.volume.attachments`; the records are those of
Nova's os-volume_attachments too.
"""
from iaas import wsgi
from iaas.api.volume import schemas, views
from iaas.api.volume.volumes import ctx_of, list_params, may
from iaas.volume import attachments as attachment_service
from iaas.volume import policies as P

API = attachment_service.Attachments()
NEW_ATTACH = (3, 27)
NEW_ATTACH_COMPLETION = (3, 44)
ATTACHMENT_CREATE_MODE_ARG = (3, 54)
# query parameter → filter of the records
FILTERS = {'volume_id': 'volume_id', 'instance_id': 'instance_uuid',
           'instance_uuid': 'instance_uuid', 'status': 'attach_status',
           'attach_status': 'attach_status'}


def require(req, minimum):
    v = views.version(req)
    if v < minimum:
        raise wsgi.NotFound(f'API version {views.microversion_fmt(v)} is not supported on '
                            f'this method.')


def _filters(req):
    return {column: req.GET[key][:255] for key, column in FILTERS.items()
            if req.GET.get(key) is not None}


def _list(req, detail):
    require(req, NEW_ATTACH)
    all_tenants = schemas.to_bool(req.GET.get('all_tenants', '0')) and \
        may(req, P.VOLUME_ALL_TENANTS)     # ignored for others, as Cinder
    project = req.GET.get('project_id') if all_tenants else None
    sort, limit, marker, offset = list_params(req, attachment_service.SORT_KEYS)
    atts = API.list(ctx_of(req), _filters(req), all_tenants, project, sort, limit, marker,
                    offset)
    body = {'attachments': [views.cinder_attachment(a, detail) for a in atts]}
    if limit and len(atts) == limit:
        kind = 'attachments/detail' if detail else 'attachments'
        body['attachments_links'] = [{'rel': 'next', 'href':
                                      f'{req.path_url.rsplit("/attachments", 1)[0]}/{kind}'
                                      f'?limit={limit}&marker={atts[-1]["uuid"]}'}]
    return views.respond(req, body)


@wsgi.route_policy(P.VOLUME_GET_ALL)
def index(req, project_id=None):
    return _list(req, False)


@wsgi.route_policy(P.VOLUME_GET_ALL)
def detail(req, project_id=None):
    return _list(req, True)


@wsgi.route_policy(P.VOLUME_GET)
def show(req, attachment_id, project_id=None):
    require(req, NEW_ATTACH)
    att, _ = API.get(ctx_of(req), attachment_id)
    return views.respond(req, {'attachment': views.cinder_attachment(att)})


@wsgi.route_policy(P.ATTACHMENT_CREATE)
@wsgi.accepts(schemas.ATTACHMENT_CREATE_354)
def create(req, project_id=None):
    """Reserve the volume for the server (``instance_uuid``, optional);
    with a connector also export it and answer the connection_info."""
    require(req, NEW_ATTACH)
    body = req.json()
    with_mode = views.version(req) >= ATTACHMENT_CREATE_MODE_ARG
    wsgi.validate(body, schemas.ATTACHMENT_CREATE_354 if with_mode
                  else schemas.ATTACHMENT_CREATE)
    a = body['attachment']
    att = API.create(ctx_of(req), a['volume_uuid'], a.get('instance_uuid'),
                     a.get('connector'), a.get('mode'))
    return views.respond(req, {'attachment': views.cinder_attachment(att)})


@wsgi.route_policy(P.ATTACHMENT_UPDATE)
@wsgi.accepts(schemas.ATTACHMENT_UPDATE)
def update(req, attachment_id, project_id=None):
    """Export the volume to the connector; answer the connection_info."""
    require(req, NEW_ATTACH)
    body = req.json()
    wsgi.validate(body, schemas.ATTACHMENT_UPDATE)
    att = API.update(ctx_of(req), attachment_id, body['attachment']['connector'])
    return views.respond(req, {'attachment': views.cinder_attachment(att)})


@wsgi.route_policy(P.ATTACHMENT_DELETE)
def delete(req, attachment_id, project_id=None):
    """Answers the volume's remaining attachments (Cinder's "attachments
    sharing this connection")."""
    require(req, NEW_ATTACH)
    left = API.delete(ctx_of(req), attachment_id)
    return views.respond(req, {'attachments': [views.cinder_attachment(a, False)
                                               for a in left]})


def _complete(req, attachment_id, arg):
    require(req, NEW_ATTACH_COMPLETION)
    API.complete(ctx_of(req), attachment_id)


# action → (handler, status of success)
ACTIONS = {'os-complete': (_complete, 204)}


@wsgi.route_policy(P.ATTACHMENT_COMPLETE)
@wsgi.accepts(schemas.ACTION)
def action(req, attachment_id, project_id=None):
    """One body key names the action (only os-complete, 3.44, as Cinder);
    another name is 400 ("There is no such action")."""
    require(req, NEW_ATTACH)
    body = req.json()
    wsgi.validate(body, schemas.ACTION)
    name, arg = next(iter(body.items()))
    if name not in ACTIONS:
        raise wsgi.BadRequest(f'There is no such action: {name[:64]}')
    handler, status = ACTIONS[name]
    handler(req, attachment_id, arg)
    return views.respond(req, None, status)
