"""Who may do what on the object store.

Three ways in, one :class:`Identity`:

* v1.0 auth (tempauth style) for standalone use: users from
  ``[objectstore] tempauth_users`` ("account:user:key[:role…]"),
  ``GET /auth/v1.0`` with ``X-Auth-User: account:user`` / ``X-Auth-Key``
  gives a signed token (nothing stored) and the storage URL
  ``/v1/AUTH_<account>``;
* identity tokens (``iaas.api.auth.validate_token``) when that module is
  present: the account is ``AUTH_<project_id>``; a token without a
  project is refused (403), never given an account;
* S3 credentials: a tempauth pair (access ``account:user``, secret = key)
  or an EC2 credential from identity (:mod:`iaas.api.ec2_auth`: the user,
  project and roles are re-checked on every request).

Tempauth: the account's ``.admin`` users (and resellers) may do anything in
it; its other users only what the container ACLs grant.
Identity: the rules of :mod:`iaas.api.objectstore.policies` decide (project
reader reads, project member writes, admin anything). Others get only what
the container's read/write ACLs grant; a reader-only caller never writes.
"""
import base64
import dataclasses
import hashlib
import hmac
import json
import logging
import os
import secrets
import threading
import time

from iaas.api.objectstore import policies
from iaas.conf import CONF

LOG = logging.getLogger(__name__)


class AuthError(Exception):
    def __init__(self, code, message=''):
        super().__init__(message)
        self.code = code
        self.message = message


@dataclasses.dataclass
class Identity:
    user: str                 # 'account:user' or the identity user id
    account: str              # the account it owns, e.g. AUTH_test
    roles: tuple = ()
    reseller: bool = False
    project_id: str | None = None
    read_only: bool = False   # identity 'reader' role only: GET/HEAD in its account
    context: object = None    # identity's RequestContext (policy checks), else None
    scope: tuple | None = None  # (account, container|None): a tempurl/formpost signature's reach


def _identity_api():
    try:
        from iaas.api import auth
    except ImportError:
        return None
    return auth if hasattr(auth, 'validate_token') else None


TOKEN_CACHE_TTL = 1.0    # revocation, disable, role removal seen within this (+ identity's)


class Auth:
    def __init__(self, users=(), secret=None, token_life=86400, reseller_prefix='AUTH_',
                 operator_roles=('admin', 'ResellerAdmin'), use_identity=True):
        self.users = {}
        for spec in users:
            bits = spec.split(':')
            if len(bits) < 3:
                raise ValueError(f'bad tempauth user "{spec}": want account:user:key[:role]')
            acct, user, key, roles = bits[0], bits[1], bits[2], tuple(bits[3:])
            self.users[f'{acct}:{user}'] = (key, roles)
        self.secret = (secret or secrets.token_hex(32)).encode()
        self.token_life = token_life
        self.prefix = reseller_prefix
        self.operator_roles = set(operator_roles)
        self._identity_api = _identity_api() if use_identity else None
        self._identity_seen = False
        self._cache = {}
        self._lock = threading.Lock()

    @property
    def identity_api(self):
        """Identity's API, or None: use_identity off, or no identity database
        (a standalone object store never creates or queries one)."""
        api = self._identity_api
        if api is None or self._identity_seen:
            return api
        if not identity_database_present():
            return None
        self._identity_seen = True
        return api

    @identity_api.setter
    def identity_api(self, api):
        self._identity_api, self._identity_seen = api, False

    @classmethod
    def from_conf(cls, conf):
        oc = conf.objectstore
        secret = oc.auth_secret
        if not secret:
            path = os.path.join(os.path.dirname(os.path.abspath(oc.ring_path)), 'auth_secret')
            try:
                with open(path) as f:
                    secret = f.read().strip()
            except FileNotFoundError:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                secret = secrets.token_hex(32)
                try:
                    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
                    with os.fdopen(fd, 'w') as f:
                        f.write(secret)
                except FileExistsError:
                    with open(path) as f:
                        secret = f.read().strip()
        return cls(oc.tempauth_users, secret, oc.token_life, oc.reseller_prefix,
                   oc.operator_roles, use_identity=oc.use_identity)

    # --- v1.0 -----------------------------------------------------------------
    def v1_auth(self, user, key):
        """(token, account, expires) or raise AuthError(401)."""
        entry = self.users.get(user or '')
        if entry is None or not hmac.compare_digest(entry[0].encode(), (key or '').encode()):
            raise AuthError(401, 'Unauthorized')
        acct = user.split(':', 1)[0]
        expires = int(time.time()) + self.token_life
        payload = base64.urlsafe_b64encode(json.dumps(
            {'u': user, 'e': expires}).encode()).decode().rstrip('=')
        sig = hmac.new(self.secret, payload.encode(), hashlib.sha256).hexdigest()
        return f'AUTH_tk{payload}.{sig}', self.prefix + acct, expires

    def _tempauth_identity(self, user):
        key, roles = self.users[user]
        return Identity(user=user, account=self.prefix + user.split(':', 1)[0],
                        roles=roles, reseller='.reseller_admin' in roles)

    def identify(self, token):
        """The Identity of a token; None without one; AuthError(401) if invalid."""
        if not token:
            return None
        if token.startswith('AUTH_tk'):
            payload, _, sig = token[7:].partition('.')
            good = hmac.new(self.secret, payload.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(good, sig):
                raise AuthError(401, 'Invalid token')
            try:
                data = json.loads(base64.urlsafe_b64decode(payload + '=' * (-len(payload) % 4)))
            except ValueError:
                raise AuthError(401, 'Invalid token') from None
            if data['e'] < time.time() or data['u'] not in self.users:
                raise AuthError(401, 'Token expired')
            return self._tempauth_identity(data['u'])
        if self.identity_api is None:
            raise AuthError(401, 'Invalid token')
        now = time.monotonic()
        hit = self._cache.get(token)
        if hit and hit[0] > now:
            return hit[1]
        try:
            ctx = self.identity_api.validate_token(token)
        except Exception as exc:
            if type(exc).__name__ in ('Unauthorized', 'Forbidden', 'NotFound'):
                raise AuthError(401, 'Invalid token') from None
            LOG.exception('token validation failed')
            raise AuthError(503, 'Identity is not available') from None
        ident = self._context_identity(ctx)
        with self._lock:
            if len(self._cache) > 10000:
                self._cache.clear()
            self._cache[token] = (now + TOKEN_CACHE_TTL, ident)
        return ident

    def _context_identity(self, ctx):
        """The Identity of an identity RequestContext; 403 without a project."""
        if not ctx.project_id:
            # An unscoped token owns no account (not even a shared 'AUTH_').
            raise AuthError(403, 'A project-scoped token is required')
        roles = set(ctx.roles or ())
        return Identity(user=ctx.user_id, account=self.prefix + ctx.project_id,
                        roles=tuple(roles), project_id=ctx.project_id,
                        reseller=bool(roles & self.operator_roles),
                        read_only=bool(roles) and roles <= {'reader'}, context=ctx)

    # --- S3 -------------------------------------------------------------------------
    def s3_credential(self, access_key):
        """(secret, resolve) for an S3 access key, or None when it is unknown.

        ``resolve()`` gives the Identity once the signature is good, or
        raises AuthError(403, aws_code) when the credential may not be used
        (user or project disabled, no role left, no project).
        """
        entry = self.users.get(access_key)
        if entry is not None:
            ident = self._tempauth_identity(access_key)
            return entry[0], lambda: ident
        if self.identity_api is None:
            return None
        from iaas.api import ec2_auth
        try:
            cred = ec2_auth.lookup(access_key)
        except Exception:
            LOG.exception('EC2 credential lookup failed')
            raise AuthError(503, 'ServiceUnavailable') from None
        if cred is None:
            return None

        def resolve():
            try:
                return self._context_identity(cred.context())
            except ec2_auth.CredentialError as exc:
                raise AuthError(403, exc.code) from None
            except AuthError:
                raise AuthError(403, 'InvalidAccessKeyId') from None
        return cred.secret, resolve

    # --- authorization --------------------------------------------------------------
    def budget_refusal(self, ident, what):
        """The message refusing new ``what`` (containers, objects) of an
        identity project over its enforced monthly budget (see
        :mod:`iaas.billing.enforcement`), else None. Reads, deletes and
        metadata changes are never refused; a standalone store (no identity
        database) has no budgets."""
        if ident is None or not ident.project_id or self.identity_api is None:
            return None
        from iaas.billing import enforcement
        from iaas.exception import BudgetExceeded
        try:
            enforcement.check(ident.project_id, what)
        except BudgetExceeded as e:
            return str(e)
        except Exception:  # noqa: BLE001 - no budget table, DB down: billing never blocks
            LOG.exception('budget check of project %s failed; allowing', ident.project_id)
        return None

    def is_owner(self, ident, account, method='GET', container=None, obj=None):
        """May ``ident`` do ``method`` on this account (container, object) as
        its owner: tempauth's owner rule, or identity's policy rule."""
        if ident is None:
            return False
        if ident.scope is not None:
            acct, cont = ident.scope
            return account == acct and container is not None and (
                cont is None or container == cont)
        if ident.context is not None:
            return self.policy_allows(ident, policies.swift_rule(container, obj, method),
                                      account)
        if ident.reseller:
            return True
        if ident.read_only and method not in ('GET', 'HEAD'):
            return False
        if ident.project_id is None and '.admin' not in ident.roles:
            # tempauth: only the account's .admin users own it; the others
            # get what the container ACLs grant (Swift's tempauth)
            return False
        return ident.account == account

    def policy_allows(self, ident, rule, account):
        """``rule`` for an identity caller on ``account`` (tempauth: owner rule)."""
        if rule is None:
            return False
        if ident.context is None:
            write = rule.rsplit(':', 1)[1] not in ('get', 'head')
            return self.is_owner(ident, account, 'PUT' if write else 'GET')
        from iaas.identity import policy
        project = account[len(self.prefix):] if account.startswith(self.prefix) else None
        return bool(policy.check(ident.context, rule, {'project_id': project or None}))

    def authorize(self, ident, method, account, container, obj, acls, referer=None):
        """None when allowed; raise AuthError(401 if anonymous, else 403).
        ``referer``: the request's Referer, for ``.r:`` ACL entries."""
        if self.is_owner(ident, account, method, container, obj):
            return
        if container:
            read = method in ('GET', 'HEAD')
            acl = _parse_acl(acls.get('read' if read else 'write', ''))
            if read and referrer_allowed(referer, acl) and (
                    obj is not None or '.rlistings' in acl):
                return
            if ident is not None and (read or not ident.read_only):
                names = {ident.user, ident.account, ident.account[len(self.prefix):]}
                if ident.project_id:
                    names |= {ident.project_id, f'{ident.project_id}:{ident.user}',
                              f'{ident.project_id}:*'}
                if '*' in ident.user:
                    names.discard(ident.user)
                if acl & names or f'{ident.user.split(":")[0]}:*' in acl:
                    return
        raise AuthError(403 if ident else 401, 'Forbidden' if ident else 'Unauthorized')


def identity_database_present(conf=None):
    """False when the identity database is an SQLite file that does not exist
    (opening it would create an empty one); True for any other database."""
    conf = conf or CONF
    url = conf.database.connection
    if not url:
        path = os.path.join(conf.state_path, 'iaas.sqlite')
    elif url.startswith('sqlite:///') and len(url) > len('sqlite:///'):
        path = url[len('sqlite:///'):].split('?', 1)[0]
    else:
        return True
    return os.path.exists(path)


def referrer_allowed(referer, acl):
    """True when the ``.r:`` entries of a read ACL let a request from
    ``referer`` in (Swift's referrer_allowed): ``.r:*`` anyone,
    ``.r:host`` / ``.r:*.domain`` / ``.r:.domain`` that host or domain,
    ``.r:-host`` refuses it again (a refusal wins over any grant)."""
    import urllib.parse
    try:
        host = urllib.parse.urlparse(referer or '').hostname or 'unknown'
    except ValueError:
        host = 'unknown'
    allow = deny_any = False
    for entry in acl:
        if not entry.startswith('.r:'):
            continue
        want = entry[3:]
        deny = want.startswith('-')
        want = want.lstrip('-')
        if want != '*' and want.startswith('*'):
            want = want[1:]
        if want in ('*', host) or (want.startswith('.') and host.endswith(want)):
            deny_any, allow = deny_any or deny, allow or not deny
    return allow and not deny_any


def _parse_acl(value):
    return {v.strip() for v in (value or '').split(',') if v.strip()}
