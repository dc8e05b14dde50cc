"""Domains, projects, users, roles and role assignments."""
import functools

from iaas import wsgi
from iaas.api.identity.common import (
    BOOL,
    ID,
    NAME,
    OPT_STR,
    allowed,
    body_of,
    body_schema,
    collection,
    collection_links,
    enforce,
    flag,
    handles_errors,
    link,
    list_limit,
)
from iaas.identity import core, passwords
from iaas.identity import resources as ident

ANY = wsgi.ANY


def domain_view(req, d):
    return {'id': d['id'], 'name': d['name'], 'description': d['description'] or '',
            'enabled': d['enabled'], 'tags': [], 'options': {},
            'links': link(req, f"domains/{d['id']}")}


def project_view(req, p):
    return {'id': p['id'], 'name': p['name'], 'domain_id': p['domain_id'],
            'description': p['description'] or '', 'enabled': p['enabled'],
            'parent_id': p['domain_id'], 'is_domain': False, 'tags': [], 'options': {},
            'links': link(req, f"projects/{p['id']}")}


def user_view(req, u):
    out = {'id': u['id'], 'name': u['name'], 'domain_id': u['domain_id'],
           'enabled': u['enabled'], 'password_expires_at': None, 'options': {},
           'links': link(req, f"users/{u['id']}")}
    for k in ('email', 'description', 'default_project_id'):
        if u.get(k):
            out[k] = u[k]
    return out


def role_view(req, r):
    return {'id': r['id'], 'name': r['name'], 'domain_id': None,
            'description': r.get('description'), 'options': {},
            'links': link(req, f"roles/{r['id']}")}


def _domain_id(req, given):
    return ident.domain_of(given, req.context.domain_id or 'default')


# --- domains -----------------------------------------------------------------

DOMAIN_PROPS = {'name': NAME, 'description': OPT_STR, 'enabled': BOOL}
DOMAIN_CREATE = body_schema('domain', DOMAIN_PROPS, required=['name'])
DOMAIN_UPDATE = body_schema('domain', DOMAIN_PROPS)


@wsgi.route_policy('identity:list_domains')
@handles_errors
def domain_list(req):
    limit = list_limit(req)
    rows = ident.domain_list(name=req.GET.get('name'), enabled=flag(req, 'enabled'),
                             limit=limit + 1)
    rows = [d for d in rows if allowed(req, 'identity:get_domain', {'domain_id': d['id']})]
    return collection(req, 'domains', rows, domain_view, limit)


@wsgi.route_policy('identity:create_domain')
@wsgi.accepts(DOMAIN_CREATE)
@handles_errors
def domain_create(req):
    d = body_of(req, 'domain', DOMAIN_CREATE)
    row = ident.domain_create(d['name'], description=d.get('description'),
                              enabled=d.get('enabled', True))
    return 201, {'domain': domain_view(req, row)}


@wsgi.route_policy('identity:get_domain', scope=ANY)
@handles_errors
def domain_get(req, domain_id):
    return {'domain': domain_view(req, ident.domain_get(domain_id))}


@wsgi.route_policy('identity:update_domain')
@wsgi.accepts(DOMAIN_UPDATE)
@handles_errors
def domain_update(req, domain_id):
    d = body_of(req, 'domain', DOMAIN_UPDATE)
    values = {k: d[k] for k in ('name', 'description', 'enabled') if k in d}
    row = ident.domain_update(domain_id, **values)
    return {'domain': domain_view(req, row)}


@wsgi.route_policy('identity:delete_domain')
@handles_errors
def domain_delete(req, domain_id):
    ident.domain_delete(domain_id)
    return wsgi.json_response(None, status=204)


# --- projects ------------------------------------------------------------------

PROJECT_PROPS = {'name': NAME, 'description': OPT_STR, 'enabled': BOOL, 'domain_id': ID,
                 'parent_id': ID, 'is_domain': BOOL}
PROJECT_CREATE = body_schema('project', PROJECT_PROPS, required=['name'])
PROJECT_UPDATE = body_schema('project', PROJECT_PROPS)


@wsgi.route_policy('identity:list_projects', scope=ANY)
@handles_errors
def project_list(req):
    limit = list_limit(req)
    if allowed(req, 'identity:list_projects:all'):
        rows = ident.project_list(domain_id=req.GET.get('domain_id'), name=req.GET.get('name'),
                               enabled=flag(req, 'enabled'), limit=limit + 1)
    else:
        # Everyone else sees the projects it has a role on.
        rows = [p for p in ident.projects_of_user(req.context.user_id, limit=limit + 1)
                if all(req.GET.get(k) in (None, str(p[k])) for k in ('name', 'domain_id'))]
    return collection(req, 'projects', rows, project_view, limit)


@wsgi.route_policy('identity:create_project')
@wsgi.accepts(PROJECT_CREATE)
@handles_errors
def project_create(req):
    p = body_of(req, 'project', PROJECT_CREATE)
    if p.get('is_domain'):
        raise wsgi.BadRequest('Projects acting as domains are not supported.')
    row = ident.project_create(p['name'], _domain_id(req, p.get('domain_id')),
                               description=p.get('description'),
                               enabled=p.get('enabled', True))
    return 201, {'project': project_view(req, row)}


@wsgi.route_policy('identity:get_project')
@handles_errors
def project_get(req, project_id):
    return {'project': project_view(req, ident.project_get(project_id))}


@wsgi.route_policy('identity:update_project')
@wsgi.accepts(PROJECT_UPDATE)
@handles_errors
def project_update(req, project_id):
    p = body_of(req, 'project', PROJECT_UPDATE)
    values = {k: p[k] for k in ('name', 'description', 'enabled') if k in p}
    row = ident.project_update(project_id, **values)
    return {'project': project_view(req, row)}


@wsgi.route_policy('identity:delete_project')
@handles_errors
def project_delete(req, project_id):
    ident.project_delete(project_id)
    return wsgi.json_response(None, status=204)


# --- users -----------------------------------------------------------------------

USER_PROPS = {'name': NAME, 'password': {'type': ['string', 'null'], 'maxLength': 72},
              'email': OPT_STR, 'description': OPT_STR, 'enabled': BOOL, 'domain_id': ID,
              'default_project_id': ID}
USER_CREATE = body_schema('user', USER_PROPS, required=['name'])
USER_UPDATE = body_schema('user', USER_PROPS)
PASSWORD_CHANGE = body_schema('user', {
    'password': {'type': 'string', 'maxLength': 72},
    'original_password': {'type': 'string', 'maxLength': 4096}},
    required=['password', 'original_password'])


@wsgi.route_policy('identity:list_users')
@handles_errors
def user_list(req):
    limit = list_limit(req)
    rows = ident.user_list(domain_id=req.GET.get('domain_id'), name=req.GET.get('name'),
                           enabled=flag(req, 'enabled'), limit=limit + 1)
    return collection(req, 'users', rows, user_view, limit)


@wsgi.route_policy('identity:create_user')
@wsgi.accepts(USER_CREATE)
@handles_errors
def user_create(req):
    u = body_of(req, 'user', USER_CREATE)
    values = {k: u[k] for k in ('email', 'description', 'default_project_id', 'enabled')
              if u.get(k) is not None}
    row = ident.user_create(u['name'], _domain_id(req, u.get('domain_id')),
                            u.get('password'), **values)
    return 201, {'user': user_view(req, row)}


@wsgi.route_policy('identity:get_user', scope=ANY)
@handles_errors
def user_get(req, user_id):
    return {'user': user_view(req, ident.user_get(user_id))}


@wsgi.route_policy('identity:update_user')
@wsgi.accepts(USER_UPDATE)
@handles_errors
def user_update(req, user_id):
    u = body_of(req, 'user', USER_UPDATE)
    values = {k: u[k] for k in ('name', 'email', 'description', 'default_project_id',
                                'enabled') if k in u}
    row = ident.user_update(user_id, password=u.get('password'), **values)
    return {'user': user_view(req, row)}


@wsgi.route_policy('identity:delete_user')
@handles_errors
def user_delete(req, user_id):
    ident.user_delete(user_id)
    return wsgi.json_response(None, status=204)


@wsgi.route_policy('identity:change_password', scope=ANY, reader_may_write=True)
@wsgi.accepts(PASSWORD_CHANGE)
@handles_errors
def user_change_password(req, user_id):
    u = body_of(req, 'user', PASSWORD_CHANGE)
    try:
        ident.change_password(user_id, u['original_password'], u['password'],
                              source=req.remote_addr)
    except passwords.RateLimited as exc:
        raise too_many_attempts(exc) from None
    except core.AuthFailed as exc:
        raise wsgi.Unauthorized(exc.message) from None
    return wsgi.json_response(None, status=204)


def too_many_attempts(exc):
    return wsgi.TooManyRequests('Too many failed authentication attempts; try again later.',
                                headers={'Retry-After': str(exc.retry_after)})


@wsgi.route_policy('identity:list_user_projects', scope=ANY)
@handles_errors
def user_projects(req, user_id):
    ident.user_get(user_id)
    limit = list_limit(req)
    return collection(req, 'projects', ident.projects_of_user(user_id, limit=limit + 1),
                      project_view, limit)


# --- roles and assignments ---------------------------------------------------------

ROLE_PROPS = {'name': NAME, 'description': OPT_STR}
ROLE_CREATE = body_schema('role', ROLE_PROPS, required=['name'])
ROLE_UPDATE = body_schema('role', ROLE_PROPS)


@wsgi.route_policy('identity:list_roles')
@handles_errors
def role_list(req):
    limit = list_limit(req)
    return collection(req, 'roles', ident.role_list(name=req.GET.get('name'),
                                                    limit=limit + 1), role_view, limit)


@wsgi.route_policy('identity:create_role')
@wsgi.accepts(ROLE_CREATE)
@handles_errors
def role_create(req):
    r = body_of(req, 'role', ROLE_CREATE)
    return 201, {'role': role_view(req, ident.role_create(r['name'], r.get('description')))}


@wsgi.route_policy('identity:get_role')
@handles_errors
def role_get(req, role_id):
    return {'role': role_view(req, ident.role_get(role_id))}


@wsgi.route_policy('identity:update_role')
@wsgi.accepts(ROLE_UPDATE)
@handles_errors
def role_update(req, role_id):
    r = body_of(req, 'role', ROLE_UPDATE)
    row = ident.role_update(role_id, **{k: r[k] for k in ('name', 'description') if k in r})
    return {'role': role_view(req, row)}


@wsgi.route_policy('identity:delete_role')
@handles_errors
def role_delete(req, role_id):
    ident.role_delete(role_id)
    return wsgi.json_response(None, status=204)


@wsgi.route_policy('identity:create_grant')
@handles_errors
def grant(req, target_type, target_id, user_id, role_id):
    ident.grant(user_id, target_type, target_id, role_id)
    return wsgi.json_response(None, status=204)


@wsgi.route_policy('identity:check_grant')
@handles_errors
def check_grant(req, target_type, target_id, user_id, role_id):
    ident.check_grant(user_id, target_type, target_id, role_id)
    return wsgi.json_response(None, status=204)


@wsgi.route_policy('identity:revoke_grant')
@handles_errors
def revoke_grant(req, target_type, target_id, user_id, role_id):
    ident.revoke_grant(user_id, target_type, target_id, role_id)
    return wsgi.json_response(None, status=204)


@wsgi.route_policy('identity:list_grants', scope=ANY)
@handles_errors
def list_grants(req, target_type, target_id, user_id):
    roles = ident.roles_for(user_id, target_type, target_id)
    return {'roles': [role_view(req, ident.role_get(r['id'])) for r in roles],
            'links': collection_links(req)}


@wsgi.route_policy('identity:list_role_assignments', scope=ANY)
@handles_errors
def role_assignments(req):
    user_id = req.GET.get('user.id')
    if user_id != req.context.user_id:
        # Everyone's, or another user's.
        enforce(req, 'identity:list_role_assignments', {'user_id': user_id})
    project_id, domain_id = req.GET.get('scope.project.id'), req.GET.get('scope.domain.id')
    target_type = 'project' if project_id else ('domain' if domain_id else None)
    limit = list_limit(req)
    rows = ident.assignment_list(user_id=user_id, target_type=target_type,
                                 target_id=project_id or domain_id,
                                 role_id=req.GET.get('role.id'), limit=limit + 1)
    names = flag(req, 'include_names')

    def view(req, a):
        role, user = {'id': a['role_id']}, {'id': a['user_id']}
        scope = {'id': a['target_id']}
        if names:
            _add_names(role, user, scope, a)
        return {'role': role, 'user': user, 'scope': {a['target_type']: scope},
                'links': {'assignment': link(req, f"{a['target_type']}s/{a['target_id']}"
                                                  f"/users/{a['user_id']}/roles/"
                                                  f"{a['role_id']}")['self']}}
    return collection(req, 'role_assignments', rows, view, limit)


def _add_names(role, user, scope, a):
    def domain_ref(domain_id):
        d = core.get_domain(domain_id)
        return {'id': domain_id, 'name': d['name'] if d else None}
    role['name'] = ident.role_get(a['role_id'])['name']
    u = ident.user_get(a['user_id'])
    user.update(name=u['name'], domain=domain_ref(u['domain_id']))
    if a['target_type'] == 'project':
        p = ident.project_get(a['target_id'])
        scope.update(name=p['name'], domain=domain_ref(p['domain_id']))
    else:
        scope['name'] = domain_ref(a['target_id'])['name']


def _grant_routes(router, target_type):
    base = f'/v3/{target_type}s/{{target_id}}/users/{{user_id}}/roles'

    def bind(fn):
        # wraps copies fn's __dict__: the declared route policy comes along.
        @functools.wraps(fn)
        def bound(req, **kw):
            return fn(req, target_type, **kw)
        return bound
    router.add('GET', base, bind(list_grants))
    router.add('PUT', base + '/{role_id}', bind(grant))
    router.add('HEAD', base + '/{role_id}', bind(check_grant))
    router.add('GET', base + '/{role_id}', bind(check_grant))
    router.add('DELETE', base + '/{role_id}', bind(revoke_grant))


def add_routes(router):
    router.add('GET', '/v3/domains', domain_list)
    router.add('POST', '/v3/domains', domain_create)
    router.add('GET', '/v3/domains/{domain_id}', domain_get)
    router.add('PATCH', '/v3/domains/{domain_id}', domain_update)
    router.add('DELETE', '/v3/domains/{domain_id}', domain_delete)
    router.add('GET', '/v3/projects', project_list)
    router.add('POST', '/v3/projects', project_create)
    router.add('GET', '/v3/projects/{project_id}', project_get)
    router.add('PATCH', '/v3/projects/{project_id}', project_update)
    router.add('DELETE', '/v3/projects/{project_id}', project_delete)
    router.add('GET', '/v3/users', user_list)
    router.add('POST', '/v3/users', user_create)
    router.add('GET', '/v3/users/{user_id}', user_get)
    router.add('PATCH', '/v3/users/{user_id}', user_update)
    router.add('DELETE', '/v3/users/{user_id}', user_delete)
    router.add('POST', '/v3/users/{user_id}/password', user_change_password)
    router.add('GET', '/v3/users/{user_id}/projects', user_projects)
    router.add('GET', '/v3/roles', role_list)
    router.add('POST', '/v3/roles', role_create)
    router.add('GET', '/v3/roles/{role_id}', role_get)
    router.add('PATCH', '/v3/roles/{role_id}', role_update)
    router.add('DELETE', '/v3/roles/{role_id}', role_delete)
    router.add('GET', '/v3/role_assignments', role_assignments)
    _grant_routes(router, 'project')
    _grant_routes(router, 'domain')
