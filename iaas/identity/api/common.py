"""Helpers shared by the identity API's route modules."""
import functools

from iaas import wsgi
from iaas.api import auth


def handles_errors(func):
    """Turn facade errors into Keystone faults: NotFound 404, Duplicate 409,
    ValueError 400."""
    @functools.wraps(func)
    def wrapper(req, *args, **params):
        from iaas.db import identity as db
        try:
            return func(req, *args, **params)
        except db.Duplicate as exc:
            raise wsgi.Conflict(f'Conflict occurred attempting to store the '
                                f'resource: {exc}.') from None
        except db.NotFound as exc:
            raise wsgi.NotFound(str(exc)) from None
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
    return auth.enforce(req.context, rule, target)


def is_admin(req):
    ctx = req.context
    return bool(ctx and (ctx.is_admin or 'admin' in ctx.roles))


def body_of(req, key, schema_props=None, required=(), body=None):
    """The ``{key: {...}}`` object of a JSON body, type-checked."""
    body = req.json() if body is None else body
    obj = body.get(key)
    if not isinstance(obj, dict):
        raise wsgi.BadRequest(f'Expecting to find "{key}" in the request body.')
    schema = {'type': 'object', 'properties': schema_props or {},
              'required': list(required)}
    wsgi.validate(obj, schema)
    return obj


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
