"""The public APIs as the logged-in user: the CLI's transport, session and
service clients (iaas.cli), fed with the token from the session cookie.

Identity calls the CLI has no client for (unscoped password tokens,
rescoping, the user's projects, revocation, sign-up) are here, over the
same transport. The catalog of a token is fetched once and kept in this
process for a few minutes (the cookie stays small).
"""
import collections
import hashlib
import threading
import time

from iaas.cli import client
from iaas.cli.auth import Session as APISession
from iaas.cli.errors import APIError, CLIError
from iaas.cli.http import Transport
from iaas.conf import CONF

USER_AGENT = 'iaas-dashboard/0.1'
CATALOG_TTL = 300.0
PROJECTS_TTL = 60.0
CATALOG_CACHE = 1000

_local = threading.local()
_lock = threading.Lock()
_catalogs = collections.OrderedDict()   # sha256(token) -> (catalog, fetched at), …
_compute_version = []                  # the negotiated microversion, once known

__all__ = ['APIError', 'CLIError', 'Cloud', 'identity_url', 'transport']


def transport():
    """This thread's HTTP transport (a requests.Session per thread)."""
    t = getattr(_local, 'transport', None)
    if t is None:
        t = _local.transport = Transport(timeout=(5, CONF.dashboard.api_timeout))
        t.session.headers['User-Agent'] = USER_AGENT
    return t


def identity_url():
    url = CONF.dashboard.identity_url or \
        f'http://{CONF.api.public_host}:{CONF.api.identity_port}/v3'
    url = url.rstrip('/')
    return url if url.endswith('/v3') else url + '/v3'


# --- identity ---------------------------------------------------------------------------

def _token_of(resp):
    body = resp.json()['token']
    return resp.headers['X-Subject-Token'], body


def password_token(username, password, domain):
    """An unscoped token (``scope: {}``: not the default project's), so the
    user can later rescope to any project they have a role on."""
    body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': username, 'domain': {'name': domain or 'Default'}, 'password': password}}},
        'scope': {}}}
    return _token_of(transport().request('POST', identity_url() + '/auth/tokens?nocatalog',
                                         json=body))


def project_token(unscoped, project_id):
    """A token of ``project_id`` from the user's unscoped token."""
    body = {'auth': {'identity': {'methods': ['token'], 'token': {'id': unscoped}},
                     'scope': {'project': {'id': project_id}}}}
    token, data = _token_of(transport().request('POST', identity_url() + '/auth/tokens',
                                                json=body))
    _remember_catalog(token, data.get('catalog') or [])
    return token, data


def user_projects(token):
    resp = transport().request('GET', identity_url() + '/auth/projects',
                               headers={'X-Auth-Token': token})
    return sorted(resp.json().get('projects', []), key=lambda p: p.get('name') or '')


def cached_projects(unscoped):
    """user_projects(), kept a minute per token (the switcher on every page)."""
    k = 'projects:' + _key(unscoped or '')
    with _lock:
        hit = _catalogs.get(k)
    if hit and time.monotonic() - hit[1] < PROJECTS_TTL:
        return hit[0]
    projects = [{'id': p['id'], 'name': p.get('name') or p['id']}
                for p in user_projects(unscoped)]
    _remember(k, projects)
    return projects


def revoke(token, subject=None):
    """Revoke ``subject`` (default: ``token`` itself); errors are ignored (an
    expired token is as good as revoked)."""
    try:
        transport().request('DELETE', identity_url() + '/auth/tokens', expect_error=True,
                            headers={'X-Auth-Token': token,
                                     'X-Subject-Token': subject or token})
    except CLIError:
        pass
    with _lock:
        _catalogs.pop(_key(subject or token), None)


def signup(name, password, email=None, project=None):
    body = {'user': {'name': name, 'password': password}}
    if email:
        body['user']['email'] = email
    if project:
        body['project'] = {'name': project}
    return transport().request('POST', identity_url() + '/signup', json=body).json()


_signup = []   # (available, checked at)


def signup_available():
    """Whether the identity API serves sign-up (it answers 403 when it is
    disabled, 400 to this empty body when it is not); asked once a minute."""
    if _signup and time.monotonic() - _signup[1] < 60:
        return _signup[0]
    try:
        resp = transport().request('POST', identity_url() + '/signup', json={},
                                   expect_error=True, timeout=(5, 5))
        available = resp.status_code not in (403, 404, 405)
    except CLIError:
        available = False
    _signup[:] = [available, time.monotonic()]
    return available


# --- catalog ----------------------------------------------------------------------------

def _key(token):
    return hashlib.sha256(token.encode()).hexdigest()


def _remember_catalog(token, catalog):
    _remember(_key(token), catalog)


def _remember(k, value):
    with _lock:
        _catalogs[k] = (value, time.monotonic())
        while len(_catalogs) > CATALOG_CACHE:
            _catalogs.popitem(last=False)


def catalog(token):
    k = _key(token)
    with _lock:
        hit = _catalogs.get(k)
    if hit and time.monotonic() - hit[1] < CATALOG_TTL:
        return hit[0]
    resp = transport().request('GET', identity_url() + '/auth/catalog',
                               headers={'X-Auth-Token': token})
    cat = resp.json().get('catalog') or []
    _remember_catalog(token, cat)
    return cat


class Volume(client.Service):
    """Block storage v3 (the catalog URL carries the project id)."""
    service_type = 'volumev3'


class Cloud:
    """What a page uses: ``session`` and the clients ``compute``, ``image``,
    ``network``, ``volume``, ``rating`` (the attributes of the CLI's Cloud, so
    helpers of iaas.cli such as ``billing.flavor_prices`` take it too)."""

    def __init__(self, sess):
        tokinfo = {'token': sess.get('token'), 'expires_at': sess.get('expires_at'),
                   'catalog': catalog(sess.get('token')),
                   'token_project_id': sess.get('project_id'),
                   'token_project_name': sess.get('project_name'),
                   'token_user_id': sess.get('user_id')}
        self.session = APISession(transport(), tokinfo, CONF.dashboard.region or None,
                                  CONF.dashboard.interface)
        self._clients = {}

    def _client(self, cls):
        c = self._clients.get(cls)
        if c is None:
            c = self._clients[cls] = cls(self.session)
        return c

    @property
    def compute(self):
        c = self._client(client.Compute)
        if c._version is None and _compute_version:
            c._version = _compute_version[0]
        elif c._version is None:
            _compute_version[:] = [c.version]
        return c

    @property
    def image(self):
        return self._client(client.Image)

    @property
    def network(self):
        return self._client(client.Network)

    @property
    def volume(self):
        return self._client(Volume)

    @property
    def rating(self):
        return self._client(client.Rating)

    def has(self, service_type):
        return self.session.has_service(service_type)
