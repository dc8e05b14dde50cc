"""/servers/{id}/tags (microversion 2.26): Nova's server tags.

A tag is 1 to 60 characters without ',' or '/'; a server has at most 50
(400 beyond). They are kept in the server's system metadata (``tags``, in
the order given) and shown in the server view from 2.26. Before 2.26 the
routes do not exist (404, as Nova).
"""
from urllib.parse import quote

from iaas import wsgi
from iaas.api.compute import microversion as mv
from iaas.api.compute.servers import _ctx, _respond, compute_api
from iaas.compute import policies as P

MAX_TAGS = 50
TAG = {'type': 'string', 'minLength': 1, 'maxLength': 60, 'pattern': '^[^,/]*$'}
TAGS_UPDATE = {'type': 'object', 'required': ['tags'], 'additionalProperties': False,
               'properties': {'tags': {'type': 'array', 'items': TAG}}}


def tags_of(inst):
    return list((inst.get('system_metadata') or {}).get('tags') or [])


def _server(req, server_id, rule):
    if mv.version(req) < (2, 26):
        raise wsgi.NotFound('The resource could not be found.')
    return compute_api.get(_ctx(req), server_id, rule)


def _save(req, inst, tags):
    if len(tags) > MAX_TAGS:
        raise wsgi.BadRequest(f'The number of tags exceeded the per-server limit '
                              f'{MAX_TAGS}')
    compute_api.update(_ctx(req), inst['uuid'],
                       system_metadata={**(inst['system_metadata'] or {}), 'tags': tags})


def _check_tag(tag):
    wsgi.validate(tag, TAG)


@wsgi.route_policy(P.TAGS_INDEX)
def index(req, server_id):
    return _respond(req, {'tags': tags_of(_server(req, server_id, P.TAGS_INDEX))})


@wsgi.route_policy(P.TAGS_UPDATE_ALL)
@wsgi.accepts(TAGS_UPDATE)
def update_all(req, server_id):
    inst = _server(req, server_id, P.TAGS_UPDATE_ALL)
    body = req.json()
    wsgi.validate(body, TAGS_UPDATE)
    tags = list(dict.fromkeys(body['tags']))
    _save(req, inst, tags)
    return _respond(req, {'tags': tags})


@wsgi.route_policy(P.TAGS_DELETE_ALL)
def delete_all(req, server_id):
    inst = _server(req, server_id, P.TAGS_DELETE_ALL)
    if tags_of(inst):
        _save(req, inst, [])
    return _respond(req, None, 204)


@wsgi.route_policy(P.TAGS_SHOW)
def show(req, server_id, tag):
    inst = _server(req, server_id, P.TAGS_SHOW)
    if tag not in tags_of(inst):
        raise wsgi.NotFound(f'Tag {tag[:60]} could not be found.')
    return _respond(req, None, 204)


@wsgi.route_policy(P.TAGS_UPDATE)
def update(req, server_id, tag):
    """201 with the tag's Location when it is new, 204 when it was there."""
    inst = _server(req, server_id, P.TAGS_UPDATE)
    _check_tag(tag)
    tags = tags_of(inst)
    if tag in tags:
        return _respond(req, None, 204)
    _save(req, inst, tags + [tag])
    base = req.host_url.rstrip('/') + req.script_name
    return _respond(req, None, 201,
                    {'Location': f'{base}/v2.1/servers/{inst["uuid"]}/tags/'
                                 f'{quote(tag, safe="")}'})


@wsgi.route_policy(P.TAGS_DELETE)
def delete(req, server_id, tag):
    inst = _server(req, server_id, P.TAGS_DELETE)
    tags = tags_of(inst)
    if tag not in tags:
        raise wsgi.NotFound(f'Tag {tag[:60]} could not be found.')
    _save(req, inst, [t for t in tags if t != tag])
    return _respond(req, None, 204)
