"""POST /v3/signup (an iaas extension): self-service accounts.

Creates a user and a personal project (same name unless one is given) in
``[identity] signup_domain`` and gives the user the ``member`` role there.
The project starts with the configured default quotas (no quota rows are
written: a project without rows gets the defaults).
"""
import re

from iaas import wsgi
from iaas.api.identity.common import handles_errors
from iaas.api.identity.resources import project_view, user_view
from iaas.conf import CONF
from iaas.db import identity as db
from iaas.identity import limits, passwords

NAME_RE = re.compile(r'^[A-Za-z0-9][A-Za-z0-9._@+-]{1,63}$')
NAME_HELP = ('2-64 characters: letters, digits and . _ @ + -, '
             'starting with a letter or digit')
SIGNUP_SCHEMA = {
    'type': 'object', 'required': ['user'],
    'properties': {
        'user': {'type': 'object', 'required': ['name', 'password'], 'properties': {
            'name': {'type': 'string', 'maxLength': 64},
            'password': {'type': 'string', 'maxLength': 72},
            'email': {'type': ['string', 'null'], 'maxLength': 255}}},
        'project': {'type': ['object', 'null'], 'properties': {
            'name': {'type': ['string', 'null'], 'maxLength': 64}}}}}


def _check_name(kind, name):
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise wsgi.BadRequest(f'Invalid {kind} name: {NAME_HELP}.')


@wsgi.public
@wsgi.accepts(SIGNUP_SCHEMA)
@handles_errors
def signup(req):
    if not CONF.identity.allow_signup:
        raise wsgi.Forbidden('Sign-up is disabled on this cloud.')
    body = req.json()
    if not isinstance(body.get('user'), dict):
        raise wsgi.BadRequest('Expecting to find user in request body.')
    wsgi.validate(body, SIGNUP_SCHEMA)
    u = body['user']
    _check_name('user', u['name'])
    project_name = (body.get('project') or {}).get('name') or u['name']
    _check_name('project', project_name)
    if len(u['password']) < CONF.identity.min_password_length:
        raise wsgi.BadRequest(f'The password must be at least '
                              f'{CONF.identity.min_password_length} characters long.')
    if len(u['password'].encode()) > passwords.MAX_PASSWORD_BYTES:
        raise wsgi.BadRequest('The password is longer than 72 bytes.')
    try:
        limits.check_signup(req.remote_addr)
    except limits.RateLimited as exc:
        raise wsgi.TooManyRequests('Too many sign-ups from this address; try again later.',
                                   headers={'Retry-After': str(exc.retry_after)}) from None
    domain = db.domain_get_by_name(CONF.identity.signup_domain)
    # Names differing only in case (Admin beside admin) would pass for one
    # another: taken is taken, whatever the case.
    if db.user_name_taken(u['name'], domain['id']):
        raise wsgi.Conflict(f'The user name {u["name"]} is taken.')
    if db.project_name_taken(project_name, domain['id']):
        raise wsgi.Conflict(f'The project name {project_name} is taken.')
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
