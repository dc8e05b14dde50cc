"""EC2-style credentials (S3 today, the EC2 API later): access key →
secret and the :class:`RequestContext` of its user on its project.

A credential is only as good as its user's current state: every request
re-checks (through ``iaas.identity.cache.ec2_state``: at most 1 s, not the
identity caches' ``cache_time``) that the credential still exists, the
user and its domain are enabled, the credential names a project, that
project and its domain are enabled, and the user still has a role on it.

    cred = ec2_auth.lookup(access_key)       # None: unknown key
    verify_signature(cred.secret)            # the caller's protocol
    ctx = cred.context()                     # or CredentialError
"""
import dataclasses
import logging
import time

from iaas.context import RequestContext
from iaas.identity import cache, core, credentials, tokens
from iaas.identity import resources as ident

LOG = logging.getLogger(__name__)

MAX_ACCESS_LEN = 64


class CredentialError(Exception):
    """The credential may not be used; ``code`` is the AWS error code."""

    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message


@dataclasses.dataclass(frozen=True)
class Credential:
    access: str
    secret: str
    user_id: str
    project_id: str | None
    # None when usable, else (code, message) of why not
    refusal: tuple | None
    context_fields: dict

    def context(self, request_id=None):
        """The caller's RequestContext, or CredentialError."""
        if self.refusal is not None:
            raise CredentialError(*self.refusal)
        kw = dict(self.context_fields)
        if request_id is not None:
            kw['request_id'] = request_id
        kw['roles'] = list(kw['roles'])
        return RequestContext(**kw)


def _state_cache():
    # Identity's cache of credential states: dropped with the identity caches
    # after a change in this process and when the shared revision moves.
    return cache.ec2_state


def forget(access=None):
    """Drop cached states (one key, or all)."""
    c = _state_cache()
    if access is None:
        c.clear()
    else:
        c.pop(access)


def lookup(access_key):
    """The :class:`Credential` of an access key, or None when it is unknown."""
    if not access_key or not isinstance(access_key, str) or len(access_key) > MAX_ACCESS_LEN:
        return None
    return _state_cache().get_or_load(access_key, lambda: _load(access_key))


def _get(fn, *args):
    try:
        return fn(*args)
    except LookupError:
        return None


def _load(access):
    try:
        row = credentials.get_ec2_row(access)
    except (ValueError, KeyError, TypeError):
        LOG.warning('EC2 credential %s has an unreadable blob', access)
        return None
    if row is None:
        return None
    secret = row['secret']
    user_id, project_id = row['user_id'], row['project_id']
    fields = {'user_id': user_id, 'project_id': project_id, 'roles': ()}

    def refuse(code, message):
        return Credential(access, secret, user_id, project_id, (code, message), fields)
    if not project_id:
        return refuse('InvalidAccessKeyId', 'The credential is not bound to a project.')
    user = _get(ident.user_get, user_id)
    if user is None or not user['enabled'] or not _domain_enabled(user['domain_id']):
        return refuse('AccessDenied', 'The user is disabled or unknown.')
    project = _get(ident.project_get, project_id)
    if project is None or not project['enabled'] or \
            not _domain_enabled(project['domain_id']):
        return refuse('AccessDenied', 'The project is disabled or unknown.')
    names = {r['name'] for r in ident.roles_for(user_id, 'project', project_id)}
    for prior in ('admin', 'member'):       # admin ⊃ member ⊃ reader
        if prior in names:
            names.add(core.IMPLIED_ROLES[prior])
    if not names:
        return refuse('AccessDenied', 'The user has no role on the project any more.')
    roles = tuple(sorted(names))
    fields = {'user_id': user_id, 'user_name': user['name'], 'project_id': project_id,
              'project_name': project['name'], 'domain_id': user['domain_id'],
              'roles': roles, 'is_admin': 'admin' in names}
    return Credential(access, secret, user_id, project_id, None, fields)


def _domain_enabled(domain_id):
    domain = _get(ident.domain_get, domain_id)
    return domain is not None and bool(domain['enabled'])


def context_for(access_key, request_id=None):
    """RequestContext of an access key (signature checked by the caller).

    Raises CredentialError('InvalidAccessKeyId') for an unknown key.
    """
    cred = lookup(access_key)
    if cred is None:
        raise CredentialError('InvalidAccessKeyId',
                              'The AWS access key Id you provided does not exist in our '
                              'records.')
    return cred.context(request_id)


# Life of the token an EC2 request carries for what the API process asks of
# other services over HTTP on the user's behalf (the image record of
# CreateImage), as Keystone's /v3/ec2tokens would issue it.
ON_BEHALF_LIFE = 300


def on_behalf_token(ctx):
    """A short-lived project token (method ``ec2credential``) of the user of
    ``ctx``; the services that receive it validate the user's current state
    again."""
    token, _data = tokens.issue(ctx.user_id, ['ec2credential'], project_id=ctx.project_id,
                                expires_s=int(time.time()) + ON_BEHALF_LIFE)
    return token
