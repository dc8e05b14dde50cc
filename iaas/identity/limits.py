"""Attempt limits counted in the database, so they hold across API processes.

Each attempt is a row of ``identity_login_failures`` under a key (a hash,
so user names and addresses are not stored in clear):

* failed password checks per user *and* source address (logins and
  password changes): ``[identity] lockout_failure_attempts`` within
  ``lockout_duration``. Never a lock of the user as such: failures from
  one address do not lock the user out from another one;
* failed password checks per source address across all users
  (``lockout_source_attempts``): one address cannot try many users;
* sign-ups per source address (``signup_rate_limit`` within
  ``signup_rate_window``).

Over a limit: :class:`RateLimited` (the APIs answer 429 with Retry-After).
"""
import hashlib

from iaas.conf import CONF
from iaas.db import identity as db


class RateLimited(Exception):
    def __init__(self, retry_after):
        self.retry_after = retry_after
        super().__init__('too many attempts')


def key(kind, *parts):
    """The row key of ``parts`` (user id, source address…) for ``kind``."""
    raw = '\0'.join('' if p is None else str(p) for p in parts)
    return f'{kind}:' + hashlib.sha256(raw.encode('utf-8', 'replace')).hexdigest()[:48]


def _db():
    return db


def check(k, limit, window):
    """RateLimited when ``k`` has ``limit`` attempts within ``window`` s
    (Retry-After: the window, an upper bound of the wait)."""
    if not limit:
        return
    if _db().login_failure_count(k, window) >= limit:
        raise RateLimited(window)


def record(k):
    _db().login_failure_add(k)


def clear(k):
    _db().login_failure_clear(k)


# --- failed passwords ----------------------------------------------------------

def _password_keys(user_key, source):
    return key('pw', user_key, source), (key('src', source) if source else None)


def check_password_attempts(user_key, source=None):
    """RateLimited when this user failed too often from this source, or this
    source failed too often across users."""
    ident = CONF.identity
    if not user_key:
        return
    pair, src = _password_keys(user_key, source)
    check(pair, ident.lockout_failure_attempts, ident.lockout_duration)
    if src:
        check(src, ident.lockout_source_attempts, ident.lockout_duration)


def record_password_failure(user_key, source=None):
    ident = CONF.identity
    if not user_key:
        return
    pair, src = _password_keys(user_key, source)
    if ident.lockout_failure_attempts:
        record(pair)
    if src and ident.lockout_source_attempts:
        record(src)


def clear_password_failures(user_key, source=None):
    """After a success: this user's failures from this source are forgiven
    (the source's count across users is not)."""
    if user_key and CONF.identity.lockout_failure_attempts:
        clear(_password_keys(user_key, source)[0])


# --- sign-up -------------------------------------------------------------------

def check_signup(source):
    """Count one sign-up attempt of ``source``; RateLimited when over."""
    ident = CONF.identity
    if not ident.signup_rate_limit:
        return
    k = key('signup', source)
    check(k, ident.signup_rate_limit, ident.signup_rate_window)
    record(k)
