"""Token format: a Fernet token over a compact JSON payload.

Payload ``[version, user_id, methods, project_id, issued_ms, expires_s,
audit_ids]``, and the application credential's id last for a token issued
by one. Nothing is stored: a token is valid while its signature checks
with one of the repository's keys, it has not expired, and no revocation
event matches it. Padding ``=`` is stripped (as Keystone does), so tokens are
URL-safe base64 without padding.
"""
import base64
import dataclasses
import datetime
import json
import os
import secrets
import time

from cryptography.fernet import InvalidToken

from iaas.conf import CONF
from iaas.identity import fernet

VERSION = 1
METHODS = ('password', 'token', 'application_credential', 'ec2credential')


class TokenInvalid(Exception):
    """Bad signature, malformed, unknown version or expired."""


@dataclasses.dataclass(frozen=True)
class TokenData:
    user_id: str
    methods: tuple
    project_id: str | None
    issued_ms: int
    expires_s: int
    audit_ids: tuple
    app_cred_id: str | None = None

    @property
    def issued_at(self):
        return datetime.datetime.fromtimestamp(self.issued_ms / 1000, datetime.UTC) \
            .replace(tzinfo=None)

    @property
    def expires_at(self):
        return datetime.datetime.fromtimestamp(self.expires_s, datetime.UTC) \
            .replace(tzinfo=None)

    @property
    def audit_id(self):
        return self.audit_ids[0]


_repos = {}


def key_repository(conf=CONF):
    path = conf.identity.key_repository
    repo = _repos.get(path)
    if repo is None:
        repo = _repos[path] = fernet.KeyRepository(
            path, max_active_keys=conf.identity.max_active_keys)
    return repo


def reset():
    _repos.clear()


def new_audit_id():
    return base64.urlsafe_b64encode(os.urandom(16)).rstrip(b'=').decode()


def _methods_mask(methods):
    mask = 0
    for m in methods:
        if m not in METHODS:
            raise ValueError(f'unknown auth method {m}')
        mask |= 1 << METHODS.index(m)
    return mask


def _mask_methods(mask):
    return tuple(m for i, m in enumerate(METHODS) if mask & (1 << i))


def issue(user_id, methods, project_id=None, expires_s=None, parent_audit_id=None,
          now=None, app_cred_id=None):
    """(token string, TokenData) for a new token."""
    now = time.time() if now is None else now
    issued_ms = int(now * 1000)
    if expires_s is None:
        expires_s = int(now) + CONF.identity.token_expiration
    audit_ids = (new_audit_id(),) + ((parent_audit_id,) if parent_audit_id else ())
    data = TokenData(user_id, tuple(methods), project_id, issued_ms, int(expires_s),
                     audit_ids, app_cred_id)
    fields = [VERSION, user_id, _methods_mask(methods), project_id, issued_ms,
              int(expires_s), list(audit_ids)]
    if app_cred_id is not None:
        fields.append(app_cred_id)
    payload = json.dumps(fields, separators=(',', ':')).encode()
    token = key_repository().encrypt(payload).decode().rstrip('=')
    return token, data


def decode(token, now=None):
    """TokenData of a token with a valid signature that has not expired."""
    if not token or len(token) > 1024:
        raise TokenInvalid('malformed token')
    padded = token + '=' * (-len(token) % 4)
    try:
        payload = key_repository().decrypt(padded.encode('ascii'))
        fields = json.loads(payload)
        if len(fields) == 7:
            fields.append(None)
        v, user_id, mask, project_id, issued_ms, expires_s, audit_ids, app_cred = fields
    except (InvalidToken, ValueError, TypeError, UnicodeError):
        raise TokenInvalid('invalid token') from None
    if v != VERSION:
        raise TokenInvalid('unknown token version')
    now = time.time() if now is None else now
    if expires_s <= now:
        raise TokenInvalid('token expired')
    return TokenData(user_id, _mask_methods(mask), project_id, issued_ms, expires_s,
                     tuple(audit_ids), app_cred)


def random_secret(nbytes=20):
    return secrets.token_hex(nbytes)
