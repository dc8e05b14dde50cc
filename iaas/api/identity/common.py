"""Helpers shared by the identity API's route modules."""
import functools

from iaas import wsgi
from iaas.api import auth
from iaas.exception import IdentityConflict, IdentityForbidden, IdentityNotFound
from iaas.identity import policy

# Lists answer at most this many entries (``?limit=`` may ask for fewer);
# a cut list says ``"truncated": true`` as Keystone's list_limit does.
LIST_LIMIT = 1000


def handles_errors(func):
    """Turn the identity service's errors into Keystone faults: not found
    404, conflict 409, forbidden 403, ValueError 400."""
    @functools.wraps(func)
    def wrapper(req, *args, **params):
        try:
            return func(req, *args, **params)
        except IdentityConflict as exc:
            raise wsgi.Conflict(f'Conflict occurred attempting to store the '
                                f'resource: {exc}.') from None
        except IdentityNotFound as exc:
            raise wsgi.NotFound(str(exc)) from None
        except IdentityForbidden as exc:
            raise wsgi.Forbidden(str(exc)) from None
        except ValueError as exc:
            raise wsgi.BadRequest(str(exc)) from None
    return wrapper


def base_url(req):
    return req.host_url


def link(req, path):
    return {'self': f'{base_url(req)}/v3/{path}'}


def collection_links(req):
    return {'self': req.path_url, 'previous': None, 'next': None}


def enforce(req, rule, target=None):
    """403 unless the caller passes ``rule`` on ``target``."""
    return auth.enforce(req.context, rule, target)


def allowed(req, rule, target=None):
    """Whether the caller passes ``rule`` on ``target`` (default: its own
    project, user and domain), without raising."""
    ctx = req.context
    if ctx is None:
        return False
    if target is None:
        target = {'project_id': ctx.project_id, 'user_id': ctx.user_id,
                  'domain_id': ctx.domain_id}
    return policy.check(ctx, rule, target)


def list_limit(req):
    """The number of entries a list may answer (``?limit=``, capped)."""
    return wsgi.list_limit(req, default=LIST_LIMIT, maximum=LIST_LIMIT)


def collection(req, key, rows, view, limit):
    """A Keystone list body of at most ``limit`` rows (``rows`` may hold one
    more, which marks the list as truncated)."""
    body = {key: [view(req, r) for r in rows[:limit]], 'links': collection_links(req)}
    if len(rows) > limit:
        body['truncated'] = True
    return body


def body_schema(key, props, required=(), additional=True):
    """A Keystone request body schema: ``{key: {props…}}``."""
    inner = {'type': 'object', 'properties': props, 'required': list(required),
             'additionalProperties': additional}
    return {'type': 'object', 'properties': {key: inner}, 'required': [key]}


def body_of(req, key, schema):
    """The ``{key: {...}}`` object of the JSON body, checked by ``schema``
    (the one the handler declares with ``@wsgi.accepts``)."""
    body = req.json()
    if not isinstance(body.get(key), dict):
        raise wsgi.BadRequest(f'Expecting to find {key} in request body.')
    wsgi.validate(body, schema)
    return body[key]


NAME = {'type': 'string', 'minLength': 1, 'maxLength': 255}
OPT_STR = {'type': ['string', 'null'], 'maxLength': 65535}
BOOL = {'type': 'boolean'}
ID = {'type': ['string', 'null'], 'maxLength': 64}


def flag(req, name):
    """Query flag as a bool, or None if absent."""
    v = req.GET.get(name)
    if v is None:
        return None
    return v.lower() not in ('0', 'false', 'no', 'off')
