"""A token and endpoints for service-to-service calls (``[service_user]``).

    client = service_auth.get_client()
    url = client.endpoint('image')          # from the token's catalog
    requests.get(url + '/v2/images', headers=client.headers())

The token is cached and renewed five minutes before it expires.
"""
import datetime
import os
import threading

import requests

from iaas.conf import CONF


class ServiceAuthError(Exception):
    pass


def _password():
    su = CONF.service_user
    if su.password:
        return su.password
    pw = getattr(getattr(CONF, 'identity', None), 'admin_password', None)
    if pw:
        return pw
    path = os.path.join(CONF.state_path, 'admin-password')
    if os.path.exists(path):
        with open(path) as f:
            return f.read().strip()
    raise ServiceAuthError('no [service_user] password configured')


class ServiceClient:
    def __init__(self):
        self._lock = threading.Lock()
        self._token = None
        self._expires = None
        self._catalog = []
        self.session = requests.Session()

    def _auth_url(self):
        return CONF.service_user.auth_url or \
            f'http://{CONF.api.public_host}:{CONF.api.identity_port}/v3'

    def _authenticate(self):
        su = CONF.service_user
        body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
            'name': su.username, 'password': _password(),
            'domain': {'name': su.user_domain_name}}}},
            'scope': {'project': {'name': su.project_name,
                                  'domain': {'name': su.project_domain_name}}}}}
        try:
            r = self.session.post(self._auth_url().rstrip('/') + '/auth/tokens', json=body,
                                  timeout=30)
        except requests.RequestException as exc:
            raise ServiceAuthError(f'identity unreachable: {exc}') from exc
        if r.status_code != 201:
            raise ServiceAuthError(f'service login failed: {r.status_code} {r.text[:200]}')
        tok = r.json()['token']
        self._token = r.headers['X-Subject-Token']
        self._expires = datetime.datetime.fromisoformat(tok['expires_at'].replace('Z', '+00:00'))
        self._catalog = tok.get('catalog', [])

    def token(self):
        with self._lock:
            now = datetime.datetime.now(datetime.UTC)
            if self._token is None or self._expires - now < datetime.timedelta(minutes=5):
                self._authenticate()
            return self._token

    def headers(self, extra=None):
        return {'X-Auth-Token': self.token(), **(extra or {})}

    def endpoint(self, service_type):
        self.token()
        su = CONF.service_user
        for svc in self._catalog:
            if svc.get('type') != service_type:
                continue
            eps = svc.get('endpoints', [])
            for want in (su.interface, 'public'):
                for ep in eps:
                    if ep.get('interface') == want and \
                            ep.get('region_id', ep.get('region')) in (su.region_name, None):
                        return ep['url'].rstrip('/')
        raise ServiceAuthError(f'no {service_type} endpoint in the catalog')


_client = None
_client_lock = threading.Lock()


def get_client():
    global _client
    with _client_lock:
        if _client is None:
            _client = ServiceClient()
        return _client
