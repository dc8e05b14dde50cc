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
from iaas.exception import IdentityConflict
from iaas.identity import limits, passwords
from iaas.identity import resources as ident

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
    ident.check_password_policy(u['password'])
    if len(u['password'].encode()) > passwords.MAX_PASSWORD_BYTES:
        raise wsgi.BadRequest('The password is longer than 72 bytes.')
    try:
        limits.check_signup(req.remote_addr)
    except limits.RateLimited as exc:
        raise wsgi.TooManyRequests('Too many sign-ups from this address; try again later.',
                                   headers={'Retry-After': str(exc.retry_after)}) from None
    try:
        user, project = ident.sign_up(u['name'], u['password'], project_name,
                                      CONF.identity.signup_domain, email=u.get('email'))
    except IdentityConflict as exc:
        raise wsgi.Conflict(str(exc)) from None
    return 201, {'user': user_view(req, user), 'project': project_view(req, project)}


def add_routes(router):
    router.add('POST', '/v3/signup', signup)
