"""A token and endpoints for service-to-service calls (``[service_user]``),
through a keystoneauth1 session.

    client = service_auth.get_client()
    url = client.endpoint('image')          # from the token's catalog
    requests.get(url + '/v2/images', headers=client.headers())

keystoneauth1 caches the token and fetches a new one shortly before it
expires.
"""
import os
import threading

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from iaas.conf import CONF

TIMEOUT = 30


class ServiceAuthError(Exception):
    pass


def _password():
    su = CONF.service_user
    if su.password:
        return su.password
    if CONF.identity.admin_password:
        return CONF.identity.admin_password
    path = os.path.join(CONF.state_path, 'admin-password')
    if os.path.exists(path):
        with open(path) as f:
            return f.read().strip()
    raise ServiceAuthError('no [service_user] password configured')


def _auth_url():
    return CONF.service_user.auth_url or \
        f'http://{CONF.api.public_host}:{CONF.api.identity_port}/v3'


class ServiceClient:
    """The service account's keystoneauth1 session; ``session`` is its
    ``requests.Session`` for the calls themselves."""

    def __init__(self):
        self._lock = threading.Lock()
        self._ks = None

    def _keystone(self):
        # Built on first use: the password may be written after the daemon starts.
        with self._lock:
            if self._ks is None:
                su = CONF.service_user
                auth = v3.Password(auth_url=_auth_url(), username=su.username,
                                   password=_password(), user_domain_name=su.user_domain_name,
                                   project_name=su.project_name,
                                   project_domain_name=su.project_domain_name)
                self._ks = ks_session.Session(auth=auth, timeout=TIMEOUT)
            return self._ks

    @property
    def session(self):
        return self._keystone().session

    def token(self):
        try:
            return self._keystone().get_token()
        except ks_exc.ClientException as exc:
            raise ServiceAuthError(f'service login failed: {exc}') from exc

    def headers(self, extra=None):
        return {'X-Auth-Token': self.token(), **(extra or {})}

    def endpoint(self, service_type):
        su = CONF.service_user
        try:
            url = self._keystone().get_endpoint(
                service_type=service_type, interface=[su.interface, 'public'],
                region_name=su.region_name)
        except ks_exc.EndpointNotFound:
            url = None
        except ks_exc.ClientException as exc:
            raise ServiceAuthError(f'service login failed: {exc}') from exc
        if not url:
            raise ServiceAuthError(f'no {service_type} endpoint in the catalog')
        return url.rstrip('/')


_client = None
_client_lock = threading.Lock()


def get_client():
    global _client
    with _client_lock:
        if _client is None:
            _client = ServiceClient()
        return _client
