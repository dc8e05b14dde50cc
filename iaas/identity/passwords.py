"""Password hashing (bcrypt) and the failed-login rate limit."""
import bcrypt

from iaas.conf import CONF
from iaas.identity import limits

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


# The failed-password limits live in iaas.identity.limits.
RateLimited = limits.RateLimited


def check_rate_limit(user_key, source=None):
    """Raise RateLimited when ``user_key`` failed too often from ``source``
    (or ``source`` failed too often across users)."""
    limits.check_password_attempts(user_key, source)


def record_failure(user_key, source=None):
    limits.record_password_failure(user_key, source)


def clear_failures(user_key, source=None):
    limits.clear_password_failures(user_key, source)
