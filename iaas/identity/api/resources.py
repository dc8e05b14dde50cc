"""Domains, projects, users, roles and role assignments."""
from iaas import wsgi
from iaas.identity import core, passwords, revoke
from iaas.identity.api.common import (
    BOOL,
    ID,
    NAME,
    OPT_STR,
    body_of,
    collection_links,
    enforce,
    flag,
    handles_errors,
    is_admin,
    link,
)


def _db():
    from iaas.db import identity as db
    return db


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
    if given:
        _db().domain_get(given)
        return given
    return req.context.domain_id or 'default'


# --- domains -----------------------------------------------------------------

DOMAIN_PROPS = {'name': NAME, 'description': OPT_STR, 'enabled': BOOL}


@handles_errors
def domain_list(req):
    enforce(req, 'reader')
    rows = _db().domain_list(name=req.GET.get('name'), enabled=flag(req, 'enabled'))
    if not is_admin(req):
        rows = [d for d in rows if d['id'] == req.context.domain_id]
    return {'domains': [domain_view(req, d) for d in rows], 'links': collection_links(req)}


@handles_errors
def domain_create(req):
    enforce(req, 'identity:admin')
    d = body_of(req, 'domain', DOMAIN_PROPS, required=['name'])
    row = _db().domain_create(d['name'], description=d.get('description'),
                              enabled=d.get('enabled', True))
    return 201, {'domain': domain_view(req, row)}


@handles_errors
def domain_get(req, domain_id):
    if not is_admin(req) and domain_id != req.context.domain_id:
        raise wsgi.Forbidden('You are not authorized to perform the requested action.')
    return {'domain': domain_view(req, _db().domain_get(domain_id))}


@handles_errors
def domain_update(req, domain_id):
    enforce(req, 'identity:admin')
    d = body_of(req, 'domain', DOMAIN_PROPS)
    values = {k: d[k] for k in ('name', 'description', 'enabled') if k in d}
    row = _db().domain_update(domain_id, **values)
    core.invalidate(domain_id=domain_id)
    return {'domain': domain_view(req, row)}


@handles_errors
def domain_delete(req, domain_id):
    enforce(req, 'identity:admin')
    row = _db().domain_get(domain_id)
    if row['enabled']:
        raise wsgi.Forbidden('Cannot delete a domain that is enabled; disable it first.')
    _db().domain_delete(domain_id)
    core.invalidate(domain_id=domain_id)
    return wsgi.json_response(None, status=204)


# --- projects ------------------------------------------------------------------

PROJECT_PROPS = {'name': NAME, 'description': OPT_STR, 'enabled': BOOL, 'domain_id': ID,
                 'parent_id': ID, 'is_domain': BOOL}


@handles_errors
def project_list(req):
    db = _db()
    if is_admin(req):
        rows = db.project_list(domain_id=req.GET.get('domain_id'), name=req.GET.get('name'),
                               enabled=flag(req, 'enabled'))
    else:
        # A non-admin sees the projects it has a role on.
        rows = [p for p in db.projects_of_user(req.context.user_id)
                if all(req.GET.get(k) in (None, str(p[k])) for k in ('name', 'domain_id'))]
    return {'projects': [project_view(req, p) for p in rows],
            'links': collection_links(req)}


@handles_errors
def project_create(req):
    enforce(req, 'identity:admin')
    p = body_of(req, 'project', PROJECT_PROPS, required=['name'])
    if p.get('is_domain'):
        raise wsgi.BadRequest('Projects acting as domains are not supported.')
    row = _db().project_create(p['name'], _domain_id(req, p.get('domain_id')),
                               description=p.get('description'),
                               enabled=p.get('enabled', True))
    return 201, {'project': project_view(req, row)}


@handles_errors
def project_get(req, project_id):
    enforce(req, 'identity:get_project', {'project_id': project_id})
    return {'project': project_view(req, _db().project_get(project_id))}


@handles_errors
def project_update(req, project_id):
    enforce(req, 'identity:admin')
    p = body_of(req, 'project', PROJECT_PROPS)
    values = {k: p[k] for k in ('name', 'description', 'enabled') if k in p}
    row = _db().project_update(project_id, **values)
    if values.get('enabled') is False:
        revoke.revoke_project(project_id)
    core.invalidate(project_id=project_id)
    return {'project': project_view(req, row)}


@handles_errors
def project_delete(req, project_id):
    enforce(req, 'identity:admin')
    _db().project_delete(project_id)
    revoke.revoke_project(project_id)
    core.invalidate(project_id=project_id)
    return wsgi.json_response(None, status=204)


# --- users -----------------------------------------------------------------------

USER_PROPS = {'name': NAME, 'password': {'type': ['string', 'null'], 'maxLength': 72},
              'email': OPT_STR, 'description': OPT_STR, 'enabled': BOOL, 'domain_id': ID,
              'default_project_id': ID}


def _check_password_policy(password):
    from iaas.conf import CONF
    if len(password) < CONF.identity.min_password_length:
        raise wsgi.BadRequest(f'The password must be at least '
                              f'{CONF.identity.min_password_length} characters long.')


@handles_errors
def user_list(req):
    enforce(req, 'identity:admin')
    rows = _db().user_list(domain_id=req.GET.get('domain_id'), name=req.GET.get('name'),
                           enabled=flag(req, 'enabled'))
    return {'users': [user_view(req, u) for u in rows], 'links': collection_links(req)}


@handles_errors
def user_create(req):
    enforce(req, 'identity:admin')
    u = body_of(req, 'user', USER_PROPS, required=['name'])
    pw = u.get('password')
    values = {k: u[k] for k in ('email', 'description', 'default_project_id', 'enabled')
              if u.get(k) is not None}
    row = _db().user_create(u['name'], _domain_id(req, u.get('domain_id')),
                            passwords.hash_password(pw) if pw else None, **values)
    return 201, {'user': user_view(req, row)}


@handles_errors
def user_get(req, user_id):
    enforce(req, 'identity:get_user', {'user_id': user_id})
    return {'user': user_view(req, _db().user_get(user_id))}


@handles_errors
def user_update(req, user_id):
    enforce(req, 'identity:admin')
    u = body_of(req, 'user', USER_PROPS)
    values = {k: u[k] for k in ('name', 'email', 'description', 'default_project_id',
                                'enabled') if k in u}
    if u.get('password'):
        values['password_hash'] = passwords.hash_password(u['password'])
        values['password_changed_at'] = _utcnow()
    row = _db().user_update(user_id, **values)
    if 'password_hash' in values or values.get('enabled') is False:
        revoke.revoke_user(user_id)
    core.invalidate(user_id=user_id)
    return {'user': user_view(req, row)}


def _utcnow():
    from iaas.db.base import utcnow
    return utcnow()


@handles_errors
def user_delete(req, user_id):
    enforce(req, 'identity:admin')
    _db().user_delete(user_id)
    revoke.revoke_user(user_id)
    core.invalidate(user_id=user_id)
    return wsgi.json_response(None, status=204)


@handles_errors
def user_change_password(req, user_id):
    enforce(req, 'identity:change_password', {'user_id': user_id})
    u = body_of(req, 'user', {'password': {'type': 'string', 'maxLength': 72},
                              'original_password': {'type': 'string'}},
                required=['password', 'original_password'])
    user = _db().user_get(user_id)
    if not passwords.check_password(u['original_password'], user['password_hash']):
        raise wsgi.Unauthorized('The request you have made requires authentication.')
    _check_password_policy(u['password'])
    _db().user_update(user_id, password_hash=passwords.hash_password(u['password']),
                      password_changed_at=_utcnow())
    revoke.revoke_user(user_id)
    core.invalidate(user_id=user_id)
    return wsgi.json_response(None, status=204)


@handles_errors
def user_projects(req, user_id):
    enforce(req, 'identity:list_user_projects', {'user_id': user_id})
    _db().user_get(user_id)
    return {'projects': [project_view(req, p) for p in _db().projects_of_user(user_id)],
            'links': collection_links(req)}


# --- roles and assignments ---------------------------------------------------------

ROLE_PROPS = {'name': NAME, 'description': OPT_STR}


@handles_errors
def role_list(req):
    enforce(req, 'identity:list_roles')
    return {'roles': [role_view(req, r) for r in _db().role_list(name=req.GET.get('name'))],
            'links': collection_links(req)}


@handles_errors
def role_create(req):
    enforce(req, 'identity:admin')
    r = body_of(req, 'role', ROLE_PROPS, required=['name'])
    return 201, {'role': role_view(req, _db().role_create(r['name'], r.get('description')))}


@handles_errors
def role_get(req, role_id):
    enforce(req, 'identity:get_role')
    return {'role': role_view(req, _db().role_get(role_id))}


@handles_errors
def role_update(req, role_id):
    enforce(req, 'identity:admin')
    r = body_of(req, 'role', ROLE_PROPS)
    row = _db().role_update(role_id, **{k: r[k] for k in ('name', 'description') if k in r})
    core.invalidate()
    from iaas.identity import cache
    cache.roles.clear()
    return {'role': role_view(req, row)}


@handles_errors
def role_delete(req, role_id):
    enforce(req, 'identity:admin')
    _db().role_delete(role_id)
    from iaas.identity import cache
    cache.roles.clear()
    core.invalidate()
    return wsgi.json_response(None, status=204)


def _check_target(target_type, target_id, user_id, role_id):
    db = _db()
    (db.project_get if target_type == 'project' else db.domain_get)(target_id)
    db.user_get(user_id)
    db.role_get(role_id)


@handles_errors
def grant(req, target_type, target_id, user_id, role_id):
    enforce(req, 'identity:admin')
    _check_target(target_type, target_id, user_id, role_id)
    _db().assignment_add(user_id, target_type, target_id, role_id)
    core.invalidate(user_id=user_id)
    return wsgi.json_response(None, status=204)


@handles_errors
def check_grant(req, target_type, target_id, user_id, role_id):
    enforce(req, 'identity:admin')
    _check_target(target_type, target_id, user_id, role_id)
    if not _db().assignment_list(user_id=user_id, target_type=target_type,
                                 target_id=target_id, role_id=role_id):
        raise wsgi.NotFound('Could not find role assignment.')
    return wsgi.json_response(None, status=204)


@handles_errors
def revoke_grant(req, target_type, target_id, user_id, role_id):
    enforce(req, 'identity:admin')
    _db().assignment_remove(user_id, target_type, target_id, role_id)
    if target_type == 'project':
        revoke.revoke_user_project(user_id, target_id)
    core.invalidate(user_id=user_id)
    return wsgi.json_response(None, status=204)


@handles_errors
def list_grants(req, target_type, target_id, user_id):
    if not is_admin(req) and user_id != req.context.user_id:
        raise wsgi.Forbidden('You are not authorized to perform the requested action.')
    roles = _db().roles_for(user_id, target_type, target_id)
    return {'roles': [role_view(req, _db().role_get(r['id'])) for r in roles],
            'links': collection_links(req)}


@handles_errors
def role_assignments(req):
    user_id = req.GET.get('user.id')
    if not is_admin(req):
        if user_id != req.context.user_id:
            raise wsgi.Forbidden('You are not authorized to perform the requested action.')
    project_id, domain_id = req.GET.get('scope.project.id'), req.GET.get('scope.domain.id')
    target_type = 'project' if project_id else ('domain' if domain_id else None)
    rows = _db().assignment_list(user_id=user_id, target_type=target_type,
                                 target_id=project_id or domain_id,
                                 role_id=req.GET.get('role.id'))
    names = flag(req, 'include_names')
    out = []
    for a in rows:
        role, user = {'id': a['role_id']}, {'id': a['user_id']}
        scope = {'id': a['target_id']}
        if names:
            _add_names(role, user, scope, a)
        out.append({'role': role, 'user': user, 'scope': {a['target_type']: scope},
                    'links': {'assignment': link(req, f"{a['target_type']}s/{a['target_id']}"
                                                      f"/users/{a['user_id']}/roles/"
                                                      f"{a['role_id']}")['self']}})
    return {'role_assignments': out, 'links': collection_links(req)}


def _add_names(role, user, scope, a):
    db = _db()

    def domain_ref(domain_id):
        d = core.get_domain(domain_id)
        return {'id': domain_id, 'name': d['name'] if d else None}
    role['name'] = db.role_get(a['role_id'])['name']
    u = db.user_get(a['user_id'])
    user.update(name=u['name'], domain=domain_ref(u['domain_id']))
    if a['target_type'] == 'project':
        p = db.project_get(a['target_id'])
        scope.update(name=p['name'], domain=domain_ref(p['domain_id']))
    else:
        scope['name'] = domain_ref(a['target_id'])['name']


def _grant_routes(router, target_type):
    base = f'/v3/{target_type}s/{{target_id}}/users/{{user_id}}/roles'

    def bind(fn):
        return lambda req, **kw: fn(req, target_type, **kw)
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
