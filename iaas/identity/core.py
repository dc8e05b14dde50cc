"""Authentication and token validation: who a token names, cached.

``authenticate()`` checks a ``POST /v3/auth/tokens`` body and issues a
token; ``validate()`` turns a token string into its :class:`Validated`
record with no database round trip once the caches are warm.
"""
import dataclasses
import logging

from iaas.conf import CONF
from iaas.db import identity as db
from iaas.db.app_credentials import get
from iaas.identity import app_credentials, cache, catalog, passwords, revision, tokens
from iaas.identity.revoke import REVOCATIONS

LOG = logging.getLogger(__name__)


class AuthFailed(Exception):
    """401 — the same message whatever part was wrong."""
    def __init__(self, message='The request you have made requires authentication.'):
        super().__init__(message)
        self.message = message


class AuthBadRequest(Exception):
    """400 — a malformed auth request."""


class AuthForbidden(Exception):
    """403 — authenticated but the requested scope is not allowed."""


# --- cached lookups --------------------------------------------------------

def _db():
    return db


def get_user(user_id):
    def load():
        try:
            return _db().user_get(user_id)
        except LookupError:
            return None
    return cache.users.get_or_load(user_id, load)


def get_project(project_id):
    def load():
        try:
            return _db().project_get(project_id)
        except LookupError:
            return None
    return cache.projects.get_or_load(project_id, load)


def get_domain(domain_id):
    def load():
        try:
            return _db().domain_get(domain_id)
        except LookupError:
            return None
    return cache.domains.get_or_load(domain_id, load)


IMPLIED_ROLES = {'admin': 'member', 'member': 'reader'}


def project_roles(user_id, project_id):
    """Roles on the project, with implied ones (admin ⊃ member ⊃ reader)."""
    def load():
        db = _db()
        roles = db.roles_for(user_id, 'project', project_id)
        names = {r['name'] for r in roles}
        for prior in ('admin', 'member'):
            implied = IMPLIED_ROLES[prior]
            if prior in names and implied not in names:
                try:
                    roles.append(db.role_get_by_name(implied))
                    names.add(implied)
                except LookupError:
                    pass
        return [{'id': r['id'], 'name': r['name']} for r in roles]
    return cache.roles.get_or_load((user_id, 'project', project_id), load)


def invalidate(user_id=None, project_id=None, domain_id=None):
    """Drop cached lookups after a change made through this process."""
    if user_id:
        cache.users.pop(user_id)
        cache.roles.drop(lambda k: k[0] == user_id)
        cache.ec2.clear()
    if project_id:
        cache.projects.pop(project_id)
        cache.roles.drop(lambda k: k[2] == project_id)
    if domain_id:
        cache.domains.pop(domain_id)
    if project_id or domain_id:
        cache.ec2.clear()
    cache.validated.clear()
    cache.ec2_state.clear()
    revision.WATCH.touch()


def invalidate_roles():
    """Drop cached role lookups after a role was renamed or deleted."""
    cache.roles.clear()
    cache.validated.clear()
    cache.ec2_state.clear()
    revision.WATCH.touch()


# --- validation ------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Validated:
    token: tokens.TokenData
    user: dict
    user_domain: dict
    project: dict | None
    project_domain: dict | None
    roles: tuple   # ({'id', 'name'}, …)
    app_cred: dict | None = None   # the application credential that issued it

    @property
    def role_names(self):
        return [r['name'] for r in self.roles]


def _resolve(data):
    user = get_user(data.user_id)
    if user is None or not user['enabled']:
        raise AuthFailed('The token is not valid: the user is unknown or disabled.')
    user_domain = get_domain(user['domain_id'])
    if user_domain is None or not user_domain['enabled']:
        raise AuthFailed('The token is not valid: the domain is disabled.')
    project = project_domain = None
    roles = ()
    if data.project_id is not None:
        project = get_project(data.project_id)
        if project is None or not project['enabled']:
            raise AuthFailed('The token is not valid: the project is unknown or disabled.')
        project_domain = get_domain(project['domain_id'])
        if project_domain is None or not project_domain['enabled']:
            raise AuthFailed('The token is not valid: the domain is disabled.')
        roles = tuple(project_roles(user['id'], project['id']))
        if not roles:
            # Never trust a cached "no roles": the grant may be newer.
            cache.roles.pop((user['id'], 'project', project['id']))
            roles = tuple(project_roles(user['id'], project['id']))
        if not roles:
            raise AuthFailed('The token is not valid: no role on the project any more.')
    cred = None
    if data.app_cred_id is not None:
        cred, roles = _app_cred_roles(data, roles)
    return Validated(data, user, user_domain, project, project_domain, roles, cred)


def _app_cred_roles(data, roles):
    """(credential, the roles it leaves the token) of an application
    credential's token: the credential must still exist, for this user and
    project, and the user still hold each role it carries."""
    try:
        cred = get(data.app_cred_id)
    except LookupError:
        raise AuthFailed('The token is not valid: its application credential is '
                         'gone.') from None
    if cred['user_id'] != data.user_id or cred['project_id'] != data.project_id:
        raise AuthFailed('The token is not valid.')
    kept = app_credentials.restrict(cred, roles)
    if kept is None:
        raise AuthFailed('The token is not valid: the user no longer holds the '
                         'application credential\'s roles.')
    return cred, kept


def validate(token):
    """A valid, unrevoked token's :class:`Validated` record, or AuthFailed."""
    hit = cache.validated.get(token)
    if hit is None:
        generation = revision.WATCH.generation
        try:
            data = tokens.decode(token)
        except tokens.TokenInvalid as exc:
            raise AuthFailed(f'The token is not valid: {exc}.') from None
        hit = _resolve(data)
        cache.validated.put(token, hit, generation)
    elif hit.token.expires_s <= _now():
        cache.validated.pop(token)
        raise AuthFailed('The token is not valid: token expired.')
    if REVOCATIONS.is_revoked(hit.token):
        raise AuthFailed('The token is not valid: token has been revoked.')
    return hit


def _now():
    import time
    return time.time()


# --- authentication ----------------------------------------------------------

def _find_domain(ref):
    if not isinstance(ref, dict) or not (ref.get('id') or ref.get('name')):
        raise AuthBadRequest('A domain needs an id or a name.')
    db = _db()
    try:
        if ref.get('id'):
            return db.domain_get(ref['id'])
        return db.domain_get_by_name(ref['name'])
    except LookupError:
        return None


def _find_user(ref):
    db = _db()
    if not isinstance(ref, dict):
        raise AuthBadRequest('password.user must be an object.')
    try:
        if ref.get('id'):
            return db.user_get(ref['id'])
        if not ref.get('name'):
            raise AuthBadRequest('A user needs an id, or a name and a domain.')
        if 'domain' not in ref:
            raise AuthBadRequest('A user given by name needs a domain.')
        domain = _find_domain(ref['domain'])
        if domain is None:
            return None
        return db.user_get_by_name(ref['name'], domain['id'])
    except LookupError:
        return None


def _password_user(body, source=None):
    pw = body.get('password')
    if not isinstance(pw, dict) or 'user' not in pw:
        raise AuthBadRequest('The password method needs "password": {"user": …}.')
    ref = pw['user']
    user = _find_user(ref)
    secret = ref.get('password')
    if not isinstance(secret, str):
        raise AuthBadRequest('password.user.password must be a string.')
    # Unknown users are rate-limited too (by the name asked for), so a 429
    # does not tell which accounts exist.
    # Keyed by user and source address: failures from one address never
    # lock the user out from another (see iaas.identity.limits).
    key = user['id'] if user else _unknown_key(ref)
    passwords.check_rate_limit(key, source)
    ok = passwords.check_password(secret, user['password_hash'] if user else None)
    if not ok or not user['enabled']:
        passwords.record_failure(key, source)
        LOG.info('password authentication failed for %s',
                 user['id'] if user else 'an unknown user')
        raise AuthFailed()
    domain = get_domain(user['domain_id'])
    if domain is None or not domain['enabled']:
        raise AuthFailed()
    passwords.clear_failures(key, source)
    return user


def _unknown_key(ref):
    import hashlib
    import json
    raw = json.dumps([ref.get('id'), ref.get('name'), ref.get('domain')], sort_keys=True,
                     default=str)
    return 'unknown-' + hashlib.sha256(raw.encode()).hexdigest()[:40]


def _default_project(user):
    """Keystone: with no scope, a user's default project if it has a role there."""
    pid = user.get('default_project_id')
    if not pid:
        return None
    try:
        project = _db().project_get(pid)
    except LookupError:
        return None
    if not project['enabled'] or not _db().roles_for(user['id'], 'project', pid):
        return None
    return project


def _scope_project(scope):
    if scope is None or scope == {}:
        return None
    if not isinstance(scope, dict):
        raise AuthBadRequest('scope must be an object.')
    if 'project' not in scope:
        if 'domain' in scope or 'system' in scope:
            raise AuthBadRequest('Only project scope (or none) is supported.')
        raise AuthBadRequest('scope needs "project".')
    ref = scope['project']
    if not isinstance(ref, dict):
        raise AuthBadRequest('scope.project must be an object.')
    db = _db()
    try:
        if ref.get('id'):
            return db.project_get(ref['id'])
        if ref.get('name') and 'domain' in ref:
            domain = _find_domain(ref['domain'])
            if domain is None:
                raise AuthFailed()
            return db.project_get_by_name(ref['name'], domain['id'])
    except LookupError:
        raise AuthFailed() from None
    raise AuthBadRequest('scope.project needs an id, or a name and a domain.')


def authenticate(body, source=None):
    """(token string, Validated) for an ``{"auth": …}`` request body;
    ``source`` is the client's address (failed-password limits)."""
    auth = body.get('auth') if isinstance(body, dict) else None
    if not isinstance(auth, dict) or not isinstance(auth.get('identity'), dict):
        raise AuthBadRequest('Expecting to find "auth": {"identity": …} in the request.')
    identity = auth['identity']
    methods = identity.get('methods')
    if not isinstance(methods, list) or not methods:
        raise AuthBadRequest('identity.methods must be a non-empty list.')
    scope = auth.get('scope')
    parent_audit = expires_s = app_cred_id = None
    if methods == ['application_credential']:
        return _app_cred_token(identity, scope, source)
    if methods == ['password']:
        user = _password_user(identity, source)
        token_methods = ['password']
    elif methods == ['token']:
        ref = identity.get('token')
        if not isinstance(ref, dict) or not isinstance(ref.get('id'), str):
            raise AuthBadRequest('The token method needs "token": {"id": …}.')
        old = validate(ref['id'])
        user = old.user
        token_methods = list(dict.fromkeys(list(old.token.methods) + ['token']))
        expires_s = old.token.expires_s
        parent_audit = old.token.audit_id
        app_cred_id = old.token.app_cred_id    # keeps its restrictions
        if old.project is not None and scope is not None:
            # Keystone: a scoped token cannot be rescoped to another project.
            want = _scope_project(scope)
            if want and want['id'] != old.project['id']:
                raise AuthForbidden('A project-scoped token cannot be rescoped.')
    else:
        raise AuthBadRequest(f'Unsupported authentication methods {methods}.')
    project = _scope_project(scope)
    if app_cred_id is not None:
        # An application credential's token stays on the credential's project.
        project = old.project
    if project is None and scope is None and methods == ['password']:
        project = _default_project(user)
    if project is not None:
        if not project['enabled']:
            raise AuthFailed()
        if not _db().roles_for(user['id'], 'project', project['id']):
            raise AuthFailed('The user has no role on the requested project.')
    token, data = tokens.issue(user['id'], token_methods,
                               project['id'] if project else None,
                               expires_s=expires_s, parent_audit_id=parent_audit,
                               app_cred_id=app_cred_id)
    invalidate(user_id=user['id'])
    return token, _resolve(data)


def _app_cred_token(identity, scope, source):
    """A token of the ``application_credential`` method: always scoped to
    the credential's project, never longer-lived than the credential."""
    import time

    if scope:
        raise AuthFailed('Application credentials cannot request a scope.')
    try:
        cred = app_credentials.authenticate(identity.get('application_credential'),
                                            _find_user, source)
    except ValueError as exc:
        raise AuthBadRequest(str(exc)) from None
    except app_credentials.Refused as exc:
        LOG.info('application credential authentication failed')
        raise AuthFailed(str(exc)) from None
    user = get_user(cred['user_id'])
    domain = get_domain(user['domain_id']) if user else None
    project = get_project(cred['project_id'])
    if user is None or not user['enabled'] or domain is None or not domain['enabled'] \
            or project is None or not project['enabled']:
        raise AuthFailed()
    expires_s = int(time.time()) + CONF.identity.token_expiration
    until = app_credentials.expires_s(cred)
    if until is not None:
        expires_s = min(expires_s, until)
    token, data = tokens.issue(user['id'], ['application_credential'], project['id'],
                               expires_s=expires_s, app_cred_id=cred['id'])
    return token, _resolve(data)


def token_body(v, with_catalog=True):
    """The Keystone ``{"token": …}`` document for a Validated record."""
    data = v.token
    body = {
        'methods': list(data.methods),
        'user': {'id': v.user['id'], 'name': v.user['name'],
                 'domain': {'id': v.user_domain['id'], 'name': v.user_domain['name']},
                 'password_expires_at': None},
        'audit_ids': list(data.audit_ids),
        'expires_at': data.expires_at.strftime('%Y-%m-%dT%H:%M:%S.000000Z'),
        'issued_at': data.issued_at.strftime('%Y-%m-%dT%H:%M:%S.%fZ'),
    }
    if v.project is not None:
        body['project'] = {'id': v.project['id'], 'name': v.project['name'],
                           'domain': {'id': v.project_domain['id'],
                                      'name': v.project_domain['name']}}
        body['is_domain'] = False
        body['roles'] = [dict(r) for r in v.roles]
    if v.app_cred is not None:
        body['application_credential'] = {'id': v.app_cred['id'],
                                          'name': v.app_cred['name'],
                                          'restricted': not v.app_cred['unrestricted']}
    if with_catalog:
        body['catalog'] = catalog.for_token(v.project['id'] if v.project else None)
    return {'token': body}


def user_is_admin(v):
    return 'admin' in v.role_names

