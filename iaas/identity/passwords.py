"""Password hashing (bcrypt) and the failed-login rate limit."""
import bcrypt

from iaas.conf import CONF

# bcrypt looks at the first 72 bytes only; longer passwords are refused
# rather than silently truncated.
MAX_PASSWORD_BYTES = 72
_DUMMY_HASH = None


def hash_password(password, rounds=None):
    raw = password.encode()
    if len(raw) > MAX_PASSWORD_BYTES:
        raise ValueError(f'password longer than {MAX_PASSWORD_BYTES} bytes')
    rounds = rounds or CONF.identity.bcrypt_rounds
    return bcrypt.hashpw(raw, bcrypt.gensalt(rounds)).decode()


def check_password(password, hashed):
    """True when ``password`` matches; always spends one hash's time, so
    an unknown user (``hashed`` None) cannot be told from a wrong password."""
    global _DUMMY_HASH
    raw = (password or '').encode()[:MAX_PASSWORD_BYTES + 1]
    if not hashed:
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password('not-a-password')
        bcrypt.checkpw(raw[:MAX_PASSWORD_BYTES], _DUMMY_HASH.encode())
        return False
    if len(raw) > MAX_PASSWORD_BYTES:
        bcrypt.checkpw(b'x', hashed.encode())
        return False
    try:
        return bcrypt.checkpw(raw, hashed.encode())
    except ValueError:
        return False


class RateLimited(Exception):
    def __init__(self, retry_after):
        self.retry_after = retry_after
        super().__init__('too many failed attempts')


def check_rate_limit(user_id):
    """Raise RateLimited when ``user_id`` failed too often in the window."""
    limit = CONF.identity.lockout_failure_attempts
    if not limit or not user_id:
        return
    from iaas.db import identity as db
    window = CONF.identity.lockout_duration
    if db.login_failure_count(user_id, window) >= limit:
        raise RateLimited(window)


def record_failure(user_id):
    if CONF.identity.lockout_failure_attempts and user_id:
        from iaas.db import identity as db
        db.login_failure_add(user_id)


def clear_failures(user_id):
    if CONF.identity.lockout_failure_attempts and user_id:
        from iaas.db import identity as db
        db.login_failure_clear(user_id)
