"""Version discovery and /v3/auth/* (token issue, validate, revoke, catalog)."""
from iaas import wsgi
from iaas.api import auth
from iaas.api.identity import common
from iaas.api.identity.resources import project_view
from iaas.identity import catalog, core, passwords, revoke
from iaas.identity import resources as ident

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


# The shape Keystone's schema checks; core.authenticate checks the rest.
_ID = {'type': 'string', 'maxLength': 64}
_NAME = {'type': 'string', 'maxLength': 255}
_DOMAIN_REF = {'type': 'object', 'properties': {'id': _ID, 'name': _NAME}}
AUTH_SCHEMA = {
    'type': 'object', 'required': ['auth'],
    'properties': {'auth': {
        'type': 'object', 'required': ['identity'],
        'properties': {
            'identity': {
                'type': 'object', 'required': ['methods'],
                'properties': {
                    'methods': {'type': 'array', 'minItems': 1, 'maxItems': 8,
                                'items': {'type': 'string', 'maxLength': 64}},
                    'password': {'type': 'object', 'properties': {'user': {
                        'type': 'object', 'properties': {
                            'id': _ID, 'name': _NAME, 'domain': _DOMAIN_REF,
                            'password': {'type': 'string', 'maxLength': 4096}}}}},
                    'token': {'type': 'object', 'properties': {
                        'id': {'type': 'string', 'maxLength': 1024}}},
                    'application_credential': {'type': 'object', 'properties': {
                        'id': _ID, 'name': _NAME,
                        'secret': {'type': 'string', 'maxLength': 4096},
                        'user': {'type': 'object', 'properties': {
                            'id': _ID, 'name': _NAME, 'domain': _DOMAIN_REF}}}}}},
            'scope': {'type': ['object', 'null'], 'properties': {
                'project': {'type': 'object', 'properties': {
                    'id': _ID, 'name': _NAME, 'domain': _DOMAIN_REF}},
                'domain': _DOMAIN_REF}}}}}}


@wsgi.public
@wsgi.accepts(AUTH_SCHEMA)
def issue(req):
    body = req.json()
    try:
        wsgi.validate(body, AUTH_SCHEMA)
    except wsgi.BadRequest as exc:
        # Keystone's own words for the commonest mistake.
        if not isinstance(body.get('auth'), dict) or \
                not isinstance(body['auth'].get('identity'), dict):
            raise wsgi.BadRequest('Expecting to find "auth": {"identity": …} in the '
                                  'request.') from None
        raise exc from None
    try:
        token, v = core.authenticate(body, source=req.remote_addr)
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


def _subject(req, rule):
    """The X-Subject-Token's record, once the caller passes ``rule`` on it
    (the router authenticated the caller)."""
    subject_token = req.headers.get('X-Subject-Token')
    if not subject_token:
        raise wsgi.BadRequest('X-Subject-Token header is required.')
    try:
        subject = core.validate(subject_token)
    except core.AuthFailed as exc:
        raise wsgi.NotFound(f'Could not find token: {exc.message}') from None
    auth.enforce(req.context, rule, {'user_id': subject.user['id']})
    return subject, subject_token


@wsgi.route_policy('identity:validate_token', scope=wsgi.ANY)
def validate(req):
    subject, token = _subject(req, 'identity:validate_token')
    return _token_response(subject, token, 200, req,
                           with_catalog='nocatalog' not in req.GET)


@wsgi.route_policy('identity:revoke_token', scope=wsgi.ANY, reader_may_write=True)
def revoke_token(req):
    subject, _token = _subject(req, 'identity:revoke_token')
    revoke.revoke_token(subject.token)
    return wsgi.json_response(None, status=204)


@wsgi.route_policy('identity:get_auth_catalog', scope=wsgi.ANY)
def auth_catalog(req):
    ctx = req.context
    if ctx.project_id is None:
        raise wsgi.Forbidden('A project-scoped token is required to produce a service '
                             'catalog.')
    return {'catalog': catalog.for_token(ctx.project_id),
            'links': {'self': req.path_url, 'previous': None, 'next': None}}


@wsgi.route_policy('identity:get_auth_projects', scope=wsgi.ANY)
def auth_projects(req):
    return {'projects': [project_view(req, p) for p in ident.projects_of_user(
        req.context.user_id, limit=common.LIST_LIMIT) if p['enabled']],
        'links': {'self': req.path_url, 'previous': None, 'next': None}}


def add_routes(router):
    router.add('GET', '/', root)
    router.add('GET', '/v3', v3)
    router.add('POST', '/v3/auth/tokens', issue)
    router.add('GET', '/v3/auth/tokens', validate)
    router.add('DELETE', '/v3/auth/tokens', revoke_token)
    router.add('GET', '/v3/auth/catalog', auth_catalog)
    router.add('GET', '/v3/auth/projects', auth_projects)
