"""Version discovery and /v3/auth/* (token issue, validate, revoke, catalog)."""
from iaas import wsgi
from iaas.identity import catalog, core, passwords, revoke

VERSION_UPDATED = '2020-04-07T00:00:00Z'


def version_doc(req):
    return {'id': 'v3.14', 'status': 'stable', 'updated': VERSION_UPDATED,
            'links': [{'rel': 'self', 'href': f'{req.host_url}/v3/'}],
            'media-types': [{'base': 'application/json',
                             'type': 'application/vnd.openstack.identity-v3+json'}]}


@wsgi.public
def root(req):
    return 300, {'versions': {'values': [version_doc(req)]}}, \
        {'Location': f'{req.host_url}/v3/'}


@wsgi.public
def v3(req):
    return {'version': version_doc(req)}


def _token_response(v, token, status, req, with_catalog=True):
    body = core.token_body(v, with_catalog=with_catalog)
    return status, body, {'X-Subject-Token': token}


@wsgi.public
def issue(req):
    body = req.json()
    try:
        token, v = core.authenticate(body)
    except core.AuthBadRequest as exc:
        raise wsgi.BadRequest(str(exc)) from None
    except core.AuthFailed as exc:
        raise wsgi.Unauthorized(exc.message) from None
    except core.AuthForbidden as exc:
        raise wsgi.Forbidden(str(exc)) from None
    except passwords.RateLimited as exc:
        raise wsgi.TooManyRequests(
            'Too many failed authentication attempts; try again later.',
            headers={'Retry-After': str(exc.retry_after)}) from None
    return _token_response(v, token, 201, req, with_catalog='nocatalog' not in req.GET)


def _caller_and_subject(req):
    caller_token = req.headers.get('X-Auth-Token')
    if not caller_token:
        raise wsgi.Unauthorized('The request you have made requires authentication.')
    try:
        caller = core.validate(caller_token)
    except core.AuthFailed as exc:
        raise wsgi.Unauthorized(exc.message) from None
    subject_token = req.headers.get('X-Subject-Token')
    if not subject_token:
        raise wsgi.BadRequest('X-Subject-Token header is required.')
    try:
        subject = core.validate(subject_token)
    except core.AuthFailed as exc:
        raise wsgi.NotFound(f'Could not find token: {exc.message}') from None
    if not core.user_is_admin(caller) and caller.user['id'] != subject.user['id']:
        raise wsgi.Forbidden('You are not authorized to perform the requested action.')
    return caller, subject, subject_token


def validate(req):
    _caller, subject, token = _caller_and_subject(req)
    return _token_response(subject, token, 200, req,
                           with_catalog='nocatalog' not in req.GET)


def revoke_token(req):
    _caller, subject, _token = _caller_and_subject(req)
    revoke.revoke_token(subject.token)
    return wsgi.json_response(None, status=204)


def auth_catalog(req):
    ctx = req.context
    if ctx.project_id is None:
        raise wsgi.Forbidden('The catalog needs a project-scoped token.')
    return {'catalog': catalog.for_token(ctx.project_id),
            'links': {'self': req.path_url, 'previous': None, 'next': None}}


def auth_projects(req):
    from iaas.db import identity as db
    from iaas.identity.api.resources import project_view
    return {'projects': [project_view(req, p) for p in db.projects_of_user(
        req.context.user_id) if p['enabled']],
        'links': {'self': req.path_url, 'previous': None, 'next': None}}


def add_routes(router):
    router.add('GET', '/', root)
    router.add('GET', '/v3', v3)
    router.add('POST', '/v3/auth/tokens', issue)
    router.add('GET', '/v3/auth/tokens', validate)
    router.add('DELETE', '/v3/auth/tokens', revoke_token)
    router.add('GET', '/v3/auth/catalog', auth_catalog)
    router.add('GET', '/v3/auth/projects', auth_projects)
