"""/v3/users/{user_id}/application_credentials (Keystone's): create, list,
show, delete. The secret is in the create response only."""
import datetime

from iaas import wsgi
from iaas.api.identity.common import (
    BOOL,
    NAME,
    body_of,
    body_schema,
    collection,
    enforce,
    handles_errors,
    link,
    list_limit,
)
from iaas.identity import app_credentials, core
from iaas.identity import resources as ident

COLLECTION = '/v3/users/{user_id}/application_credentials'
ITEM = COLLECTION + '/{application_credential_id}'

_ROLE_REF = {'type': 'object', 'properties': {
    'id': {'type': 'string', 'maxLength': 64}, 'name': {'type': 'string', 'maxLength': 255}},
    'minProperties': 1}
NO_NUL = '^[^\x00]*$'      # PostgreSQL cannot store NUL
CREATE_SCHEMA = body_schema('application_credential', {
    'name': dict(NAME, pattern=NO_NUL),
    'description': {'type': ['string', 'null'], 'maxLength': 65535, 'pattern': NO_NUL},
    'secret': {'type': ['string', 'null'], 'minLength': 1,
               'maxLength': app_credentials.MAX_SECRET},
    'expires_at': {'type': ['string', 'null'], 'maxLength': 64},
    'roles': {'type': 'array', 'items': _ROLE_REF, 'maxItems': 64},
    'unrestricted': BOOL,
    'access_rules': {'type': 'array', 'maxItems': 0},
    'system': {'type': ['string', 'null'], 'maxLength': 64},
}, required=['name'])


def _iso(dt):
    # Keystone's form: always six fraction digits, no zone (UTC).
    return None if dt is None else dt.strftime('%Y-%m-%dT%H:%M:%S.%f')


def view(req, c):
    return {'id': c['id'], 'name': c['name'], 'description': c['description'],
            'user_id': c['user_id'], 'project_id': c['project_id'],
            'roles': [{'id': r['id'], 'name': r['name'], 'domain_id': None}
                      for r in c['roles']],
            'expires_at': _iso(c['expires_at']), 'unrestricted': c['unrestricted'],
            'system': None, 'access_rules': [],
            'links': link(req, f"users/{c['user_id']}/application_credentials/{c['id']}")}


def _caller(req):
    """The caller's validated token (its roles, and its application
    credential if one issued it)."""
    try:
        return core.validate(req.context.auth_token)
    except core.AuthFailed as exc:
        raise wsgi.Unauthorized(exc.message) from None


def _refuse_restricted(v):
    if v.app_cred is not None and not v.app_cred['unrestricted']:
        raise wsgi.Forbidden('Using method \'application_credential\' is not allowed for '
                             'managing additional application credentials.')


def _expires_at(raw):
    if raw is None:
        return None
    try:
        when = datetime.datetime.fromisoformat(raw)
    except ValueError:
        raise wsgi.BadRequest(f'Invalid expires_at {raw[:64]!r}: an ISO 8601 time is '
                              'expected.') from None
    if when.tzinfo is not None:
        when = when.astimezone(datetime.UTC).replace(tzinfo=None)
    if when <= datetime.datetime.now(datetime.UTC).replace(tzinfo=None):
        raise wsgi.BadRequest('Invalid application credential: the expiration time is '
                              'in the past.')
    return when


def _roles(asked, held, user_id, project_id):
    """The roles asked for (all the token's when none), each one the token
    holds; 404 for another (Keystone: no such role assignment)."""
    if not asked:
        return [{'id': r['id'], 'name': r['name']} for r in held]
    out = []
    for ref in asked:
        match = [r for r in held if ('id' not in ref or r['id'] == ref['id'])
                 and ('name' not in ref or r['name'] == ref['name'])]
        if not match:
            raise wsgi.NotFound(f'Could not find role assignment with role: '
                                f'{ref.get("id") or ref.get("name")}, user or group: '
                                f'{user_id}, project, domain, or system: {project_id}.')
        if match[0]['id'] not in {r['id'] for r in out}:
            out.append({'id': match[0]['id'], 'name': match[0]['name']})
    return out


@wsgi.route_policy('identity:create_application_credential', reader_may_write=True)
@wsgi.accepts(CREATE_SCHEMA)
@handles_errors
def create(req, user_id):
    body = body_of(req, 'application_credential', CREATE_SCHEMA)
    v = _caller(req)
    _refuse_restricted(v)
    if body.get('system'):
        raise wsgi.BadRequest('System-scoped application credentials are not supported.')
    project_id = req.context.project_id
    expires_at = _expires_at(body.get('expires_at'))
    roles = _roles(body.get('roles'), v.roles, user_id, project_id)
    cred, secret = ident.app_credential_create(
        user_id, project_id, body['name'], roles, secret=body.get('secret'),
        description=body.get('description'), unrestricted=body.get('unrestricted', False),
        expires_at=expires_at)
    out = view(req, cred)
    out['secret'] = secret
    return 201, {'application_credential': out}


@wsgi.route_policy('identity:list_application_credentials', scope=wsgi.ANY)
@handles_errors
def index(req, user_id):
    limit = list_limit(req)
    name = req.GET.get('name')
    if '\x00' in user_id or (name is not None and '\x00' in name):
        return collection(req, 'application_credentials', [], view, limit)
    rows = ident.app_credentials_of_user(user_id, name=name, limit=limit + 1)
    return collection(req, 'application_credentials', rows, view, limit)


def _load(user_id, application_credential_id):
    cred = ident.app_credential_of_user(user_id, application_credential_id)
    if cred is None:
        raise wsgi.NotFound(f'Could not find application credential: '
                            f'{application_credential_id[:64]}.')
    return cred


@wsgi.route_policy('identity:get_application_credential', scope=wsgi.ANY)
def show(req, user_id, application_credential_id):
    return {'application_credential': view(req, _load(user_id, application_credential_id))}


@wsgi.route_policy('identity:delete_application_credential', scope=wsgi.ANY,
                   reader_may_write=True)
@handles_errors
def delete(req, user_id, application_credential_id):
    cred = _load(user_id, application_credential_id)
    _refuse_restricted(_caller(req))
    enforce(req, 'identity:delete_application_credential', {'user_id': cred['user_id']})
    ident.app_credential_delete(cred)
    return wsgi.json_response(None, status=204)


def add_routes(router):
    router.add('POST', COLLECTION, create)
    router.add('GET', COLLECTION, index)
    router.add('GET', ITEM, show)
    router.add('DELETE', ITEM, delete)
