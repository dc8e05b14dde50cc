"""POST /v3/signup (an iaas extension): self-service accounts.

Creates a user and a personal project (same name unless one is given) in
``[identity] signup_domain`` and gives the user the ``member`` role there.
The project starts with the configured default quotas (no quota rows are
written: a project without rows gets the defaults).
"""
import re

from iaas import wsgi
from iaas.conf import CONF
from iaas.identity import passwords
from iaas.identity.api.common import body_of, handles_errors

NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._@+-]{1,63}$')
NAME_HELP = ('2-64 characters: letters, digits and . _ @ + -, '
             'starting with a letter or digit')


def _check_name(kind, name):
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise wsgi.BadRequest(f'Invalid {kind} name: {NAME_HELP}.')


@wsgi.public
@handles_errors
def signup(req):
    from iaas.db import identity as db
    from iaas.identity.api.resources import project_view, user_view
    if not CONF.identity.allow_signup:
        raise wsgi.Forbidden('Sign-up is disabled on this cloud.')
    body = req.json()
    u = body_of(req, 'user', {'name': {'type': 'string'}, 'password': {'type': 'string'},
                              'email': {'type': ['string', 'null'], 'maxLength': 255}},
                required=['name', 'password'], body=body)
    _check_name('user', u['name'])
    project_name = u['name']
    if isinstance(body.get('project'), dict) and body['project'].get('name') is not None:
        project_name = body['project']['name']
    _check_name('project', project_name)
    if len(u['password']) < CONF.identity.min_password_length:
        raise wsgi.BadRequest(f'The password must be at least '
                              f'{CONF.identity.min_password_length} characters long.')
    if len(u['password'].encode()) > passwords.MAX_PASSWORD_BYTES:
        raise wsgi.BadRequest('The password is longer than 72 bytes.')
    domain = db.domain_get_by_name(CONF.identity.signup_domain)
    try:
        db.user_get_by_name(u['name'], domain['id'])
        raise wsgi.Conflict(f'The user name {u["name"]} is taken.')
    except LookupError:
        pass
    try:
        db.project_get_by_name(project_name, domain['id'])
        raise wsgi.Conflict(f'The project name {project_name} is taken.')
    except LookupError:
        pass
    member = db.role_get_by_name('member')
    project = db.project_create(project_name, domain['id'],
                                description=f'Personal project of {u["name"]}')
    try:
        user = db.user_create(u['name'], domain['id'], passwords.hash_password(u['password']),
                              email=u.get('email'), default_project_id=project['id'])
    except db.Duplicate:
        db.project_delete(project['id'])
        raise wsgi.Conflict(f'The user name {u["name"]} is taken.') from None
    db.assignment_add(user['id'], 'project', project['id'], member['id'])
    return 201, {'user': user_view(req, user), 'project': project_view(req, project)}


def add_routes(router):
    router.add('POST', '/v3/signup', signup)
