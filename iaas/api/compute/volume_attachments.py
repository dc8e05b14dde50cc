"""/servers/{server_id}/os-volume_attachments: attach, list, show, update, detach."""
from iaas import wsgi
from iaas.api.compute import microversion as mv
from iaas.api.compute.servers import _ctx, _respond, compute_api
from iaas.compute import policies as P
from iaas.compute.volumes import VolumeAttachments

ATTACHMENTS = VolumeAttachments(compute_api)
uuid = {'type': 'string', 'minLength': 1, 'maxLength': 36}
CREATE = {'type': 'object', 'required': ['volumeAttachment'], 'properties': {
    'volumeAttachment': {'type': 'object', 'required': ['volumeId'], 'properties': {
        'volumeId': uuid,
        'device': {'type': ['string', 'null'], 'maxLength': 255,
                   'pattern': '^(/dev/x{0,1}[a-z]{0,1}d{0,1})([a-z]+)[0-9]*$'},
        'tag': {'type': 'string', 'maxLength': 60},
        'delete_on_termination': {'type': 'boolean'}},
        'additionalProperties': False}},
    'additionalProperties': False}
UPDATE = {'type': 'object', 'required': ['volumeAttachment'], 'properties': {
    'volumeAttachment': {'type': 'object', 'required': ['volumeId'], 'properties': {
        'volumeId': uuid, 'delete_on_termination': {'type': 'boolean'},
        'id': uuid, 'serverId': uuid, 'device': {'type': ['string', 'null']},
        'tag': {'type': ['string', 'null']}}}}}


def _view(req, server_id, a):
    v = mv.version(req)
    out = {'device': a['mountpoint'], 'serverId': server_id, 'volumeId': a['volume_id']}
    if v < (2, 89):
        out['id'] = a['volume_id']
    if v >= (2, 70):
        out['tag'] = a.get('tag')
    if v >= (2, 79):
        out['delete_on_termination'] = bool(a['delete_on_termination'])
    if v >= (2, 89):
        out['attachment_id'] = a['uuid']
        out['bdm_uuid'] = a['uuid']
    return out


@wsgi.route_policy(P.VOLUME_ATTACH_INDEX)
def index(req, server_id):
    rows = ATTACHMENTS.list(_ctx(req), server_id)
    limit = wsgi.list_limit(req, maximum=1000)
    offset = wsgi.list_limit(req, name='offset', maximum=10 ** 6) or 0
    rows = rows[offset:offset + limit] if limit is not None else rows[offset:]
    return _respond(req, {'volumeAttachments': [_view(req, server_id, a) for a in rows]})


@wsgi.route_policy(P.VOLUME_ATTACH_SHOW)
def show(req, server_id, volume_id):
    return _respond(req, {'volumeAttachment': _view(
        req, server_id, ATTACHMENTS.get(_ctx(req), server_id, volume_id))})


@wsgi.route_policy(P.VOLUME_ATTACH_CREATE)
@wsgi.accepts(CREATE)
def create(req, server_id):
    body = req.json()
    wsgi.validate(body, CREATE)
    a = body['volumeAttachment']
    v = mv.version(req)
    if 'tag' in a and v < (2, 49):
        raise wsgi.BadRequest("Invalid input for field/attribute volumeAttachment: "
                              "Additional properties are not allowed ('tag' was unexpected)")
    if 'delete_on_termination' in a and v < (2, 79):
        raise wsgi.BadRequest("Invalid input for field/attribute volumeAttachment: "
                              "Additional properties are not allowed "
                              "('delete_on_termination' was unexpected)")
    att = ATTACHMENTS.attach(_ctx(req), server_id, a['volumeId'], a.get('device'),
                             a.get('delete_on_termination', False), a.get('tag'),
                             shelved_ok=v >= (2, 20))
    return _respond(req, {'volumeAttachment': _view(req, server_id, att)})


@wsgi.route_policy(P.VOLUME_ATTACH_UPDATE)
@wsgi.accepts(UPDATE)
def update(req, server_id, volume_id):
    body = req.json()
    wsgi.validate(body, UPDATE)
    a = body['volumeAttachment']
    ATTACHMENTS.get(_ctx(req), server_id, volume_id)      # another project's: 404 first
    if a['volumeId'] != volume_id or mv.version(req) < (2, 85):
        raise wsgi.Fault('Swapping a server\'s volume is not implemented.', code=501)
    ATTACHMENTS.update(_ctx(req), server_id, volume_id, a.get('delete_on_termination', False))
    return _respond(req, None, 202)


@wsgi.route_policy(P.VOLUME_ATTACH_DELETE)
def delete(req, server_id, volume_id):
    ATTACHMENTS.detach(_ctx(req), server_id, volume_id,
                       shelved_ok=mv.version(req) >= (2, 20))
    return _respond(req, None, 202)
