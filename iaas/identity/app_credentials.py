"""Application credentials: creating them, authenticating with them, and
re-checking the tokens they issue.

An application credential is a user's secret for one project with a
subset of the user's roles there (Keystone's). Its tokens carry its id; on
validation (:func:`restrict`) the credential must still exist and the user
must still hold every role it carries, and the token gets only those roles.
A restricted one (``unrestricted`` false, the default) cannot create or
delete application credentials.

The secret is shown once, at creation. Only a bcrypt hash of its SHA-256 is
stored (a generated secret is longer than bcrypt's 72 bytes).
"""
import base64
import datetime
import hashlib
import secrets as _secrets

from iaas.db import app_credentials
from iaas.db.base import utcnow
from iaas.exception import IdentityNotFound as NotFound
from iaas.identity import passwords

SECRET_BYTES = 64          # a generated secret: 86 URL-safe characters
MAX_SECRET = 4096


class Refused(Exception):
    """Authentication with an application credential failed (401)."""


def _digest(secret):
    return base64.b64encode(hashlib.sha256(secret.encode('utf-8')).digest()).decode()


def hash_secret(secret):
    return passwords.hash_password(_digest(secret))


def check_secret(secret, hashed):
    return passwords.check_password(_digest(secret), hashed)


def new_secret():
    return _secrets.token_urlsafe(SECRET_BYTES)


def _db():
    return app_credentials



def _now():
    return utcnow()


def expired(cred, now=None):
    return cred['expires_at'] is not None and cred['expires_at'] <= (now or _now())


def expires_s(cred):
    """The credential's expiry as a Unix time, or None."""
    if cred['expires_at'] is None:
        return None
    return int(cred['expires_at'].replace(tzinfo=datetime.UTC).timestamp())


def restrict(cred, current_roles):
    """The roles a token of ``cred`` carries, given the user's current roles
    on the project; None when the user lost one of them."""
    have = {r['id'] for r in current_roles}
    if not cred['roles'] or any(r['id'] not in have for r in cred['roles']):
        return None
    wanted = {r['id'] for r in cred['roles']}
    return tuple(r for r in current_roles if r['id'] in wanted)


# --- authentication ----------------------------------------------------------

def find(ref, find_user):
    """The credential an ``application_credential`` auth object names: by
    ``id``, or by ``name`` and its ``user`` (id, or name and domain)."""
    if any('\x00' in v for v in (ref.get('id'), ref.get('name')) if isinstance(v, str)):
        return None             # PostgreSQL cannot compare with NUL
    try:
        if ref.get('id'):
            if not isinstance(ref['id'], str):
                return None
            return _db().get(ref['id'])
        if not isinstance(ref.get('name'), str) or not isinstance(ref.get('user'), dict):
            raise ValueError('An application credential needs an id, or a name and a '
                             'user.')
        user = find_user(ref['user'])
        if user is None:
            return None
        return _db().get_by_name(user['id'], ref['name'])
    except NotFound:
        return None


def _key(ref):
    """The failed-attempt limit's key of an unknown credential reference."""
    import json
    raw = json.dumps(ref, sort_keys=True, default=str)
    return 'appcred-' + hashlib.sha256(raw.encode()).hexdigest()[:40]


def authenticate(ref, find_user, source=None):
    """The credential of a valid ``{"id"|"name"+"user", "secret"}``; Refused
    otherwise (rate-limited like passwords, by credential and address)."""
    if not isinstance(ref, dict):
        raise ValueError('The application_credential method needs '
                         '"application_credential": {…}.')
    secret = ref.get('secret')
    if not isinstance(secret, str) or not secret or len(secret) > MAX_SECRET:
        raise ValueError('application_credential.secret must be a non-empty string.')
    cred = find(ref, find_user)
    key = cred['id'] if cred else _key({k: ref.get(k) for k in ('id', 'name', 'user')})
    passwords.check_rate_limit(key, source)
    ok = passwords.check_password(_digest(secret), cred['secret_hash'] if cred else None)
    if not ok:
        passwords.record_failure(key, source)
        raise Refused('Invalid application credential.')
    if expired(cred):
        raise Refused('The application credential has expired.')
    passwords.clear_failures(key, source)
    return cred
