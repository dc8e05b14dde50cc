"""/v3/{project_id}/messages: Cinder's user messages (microversion 3.3;
filters, sort and paging as the other lists). Below 3.3 every route is
404, as Cinder. The logic is :mod:`iaas.volume.messages`."""
from iaas import wsgi
from iaas.api.volume import views
from iaas.api.volume.attachments import require
from iaas.api.volume.volumes import ctx_of, list_params
from iaas.volume import messages as message_service
from iaas.volume import policies as P

API = message_service.Messages()
MESSAGES = (3, 3)
# query parameters that are not filters
PAGING = frozenset({'sort', 'sort_key', 'sort_dir', 'limit', 'marker', 'offset'})


def _view(req, m):
    out = {'id': m['uuid'], 'event_id': m['event_id'],
           'user_message': message_service.user_message(m),
           'message_level': m['message_level'], 'created_at': views._time(m['created_at']),
           'guaranteed_until': views._time(m['expires_at']), 'request_id': m['request_id'],
           'links': views.link(req, 'messages', m['uuid'], m['project_id'])}
    for key in ('resource_type', 'resource_uuid'):
        if m[key]:
            out[key] = m[key]
    return out


def _filters(req):
    """Cinder's message filters; another query parameter is 400, as its
    ``Invalid filter keys``."""
    bad = sorted(k for k in req.GET if k not in PAGING and k not in message_service.FILTERS)
    if bad:
        raise wsgi.BadRequest(f'Invalid input received: Invalid filter keys: '
                              f'{", ".join(k[:64] for k in bad[:10])}')
    return {k: req.GET[k][:255] for k in message_service.FILTERS if k in req.GET}


@wsgi.route_policy(P.MESSAGE_GET_ALL)
def index(req, project_id=None):
    require(req, MESSAGES)
    filters = _filters(req)
    sort, limit, marker, offset = list_params(req, message_service.SORT_KEYS)
    rows = API.list(ctx_of(req), filters, sort, limit, marker, offset)
    body = {'messages': [_view(req, m) for m in rows]}
    if limit and len(rows) == limit:
        body['messages_links'] = [{'rel': 'next', 'href': f'{req.path_url}?limit={limit}'
                                                          f'&marker={rows[-1]["uuid"]}'}]
    return views.respond(req, body)


@wsgi.route_policy(P.MESSAGE_GET)
def show(req, message_id, project_id=None):
    require(req, MESSAGES)
    return views.respond(req, {'message': _view(req, API.get(ctx_of(req), message_id))})


@wsgi.route_policy(P.MESSAGE_DELETE)
def delete(req, message_id, project_id=None):
    require(req, MESSAGES)
    API.delete(ctx_of(req), message_id)
    return views.respond(req, None, 204)
