"""The session: an encrypted and signed (Fernet) cookie, and the CSRF checks.

The dashboard keeps no session state: the cookie carries the user's tokens
(project-scoped, and the unscoped one that rescoping to another project
needs), the token's expiry, the user's and project's ids and names, a CSRF
secret and pending flash messages. Nobody can read or forge it without the
key in ``[dashboard] secret_key_file``.

A POST is accepted only with the form field ``csrf_token`` equal (compared in
constant time) to the session's CSRF secret, and with an ``Origin`` (or,
without one, a ``Referer``) of the dashboard's own origin.
"""
import base64
import datetime as dt
import hmac
import json
import logging
import os
import secrets
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken

from iaas import wsgi
from iaas.conf import CONF

LOG = logging.getLogger(__name__)

COOKIE = 'iaas_session'
ENVIRON_KEY = 'iaas.dashboard.session'   # the request's Session
CSRF_FIELD = 'csrf_token'
CSRF_HEADER = 'X-CSRF-Token'   # streamed bodies (uploads) carry the token here
MAX_FLASHES = 5
# Browsers keep at most 4096 bytes per cookie.
MAX_COOKIE = 4000


def key_path():
    return CONF.dashboard.secret_key_file or os.path.join(CONF.state_path,
                                                          'dashboard-secret.key')


def load_key(path=None):
    """The Fernet key in ``path``; a new one is written (0600) when the file
    does not exist yet (two processes starting at once agree on one)."""
    path = path or key_path()
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path) or '.', exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, 'wb') as f:
                f.write(Fernet.generate_key() + b'\n')
            LOG.info('dashboard: new session key in %s', path)
    with open(path, 'rb') as f:
        key = f.read().strip()
    Fernet(key)   # a broken key file fails the start, not every request
    return key


class Codec:
    """Cookie value <-> session dict."""

    def __init__(self, key, ttl):
        self.fernet = Fernet(key)
        self.ttl = ttl

    def encode(self, data):
        raw = json.dumps(data, separators=(',', ':')).encode()
        return self.fernet.encrypt(raw).decode('ascii')

    def decode(self, value):
        if not value or len(value) > MAX_COOKIE:
            return None
        try:
            raw = self.fernet.decrypt(value.encode('ascii'), ttl=self.ttl)
            data = json.loads(raw)
        except (InvalidToken, ValueError, UnicodeError):
            return None
        return data if isinstance(data, dict) else None


class Session:
    """The decoded cookie of one request; ``dirty`` when it must be sent again."""

    def __init__(self, data=None):
        self.data = dict(data or {})
        self.dirty = False
        if not isinstance(self.data.get('csrf'), str):
            self.data = {'csrf': new_secret()}
            self.dirty = True

    @property
    def csrf(self):
        return self.data['csrf']

    @property
    def logged_in(self):
        return bool(self.data.get('token')) and not self.expired

    @property
    def expired(self):
        try:
            expires = dt.datetime.fromisoformat(self.data.get('expires_at') or '')
        except ValueError:
            return True
        if expires.tzinfo is None:
            expires = expires.replace(tzinfo=dt.timezone.utc)
        return expires <= dt.datetime.now(dt.timezone.utc)

    def get(self, key, default=None):
        return self.data.get(key, default)

    def login(self, **fields):
        """A fresh session for a logged-in user (a new CSRF secret too)."""
        flashes = self.data.get('flash') or []
        self.data = {'csrf': new_secret(), **fields}
        if flashes:
            self.data['flash'] = flashes
        self.dirty = True

    def update(self, **fields):
        self.data.update(fields)
        self.dirty = True

    def clear(self):
        """Logged out: keep only a new CSRF secret (and pending messages)."""
        self.login()

    def flash(self, text, level='info'):
        msgs = (self.data.get('flash') or [])[-(MAX_FLASHES - 1):]
        msgs.append([level, str(text)[:300]])
        self.data['flash'] = msgs
        self.dirty = True

    def pop_flashes(self):
        msgs = self.data.pop('flash', None) or []
        if msgs:
            self.dirty = True
        return msgs


def new_secret():
    return base64.urlsafe_b64encode(secrets.token_bytes(24)).decode('ascii')


def cookie_header(value, secure=None):
    """The Set-Cookie value: HttpOnly, SameSite=Strict, Path=/, Secure by option."""
    secure = CONF.dashboard.secure_cookies if secure is None else secure
    parts = [f'{COOKIE}={value}', 'Path=/', 'HttpOnly', 'SameSite=Strict']
    if secure:
        parts.append('Secure')
    return '; '.join(parts)


def own_origin(req):
    """scheme://host[:port] users reach the dashboard at."""
    if CONF.dashboard.public_url:
        parts = urlsplit(CONF.dashboard.public_url)
        return f'{parts.scheme}://{parts.netloc}'.lower()
    return req.host_url.lower()


def _origin_of(url):
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return None
    return f'{parts.scheme}://{parts.netloc}'.lower()


def check_post(req, session, header=False):
    """403 unless the POST comes from one of our own pages: same origin, and
    the form's CSRF token is the session's (with ``header``, a streamed
    upload's: the token is in the X-CSRF-Token header, the body untouched)."""
    origin = req.headers.get('Origin')
    source = origin if origin and origin != 'null' else req.headers.get('Referer')
    if not source or _origin_of(source) != own_origin(req):
        raise wsgi.Forbidden('This form was not sent from a page of this dashboard '
                             '(Origin/Referer mismatch).')
    try:
        given = (req.headers.get(CSRF_HEADER) if header else req.POST.get(CSRF_FIELD)) or ''
    except (UnicodeDecodeError, ValueError):
        given = ''
    if not isinstance(given, str) or not hmac.compare_digest(
            given.encode('utf-8', 'replace'), session.csrf.encode('ascii')):
        raise wsgi.Forbidden('The form has expired or is not valid (CSRF token); '
                             'reload the page and try again.')
