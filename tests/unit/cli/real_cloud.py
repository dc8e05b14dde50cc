"""The real iaas APIs for CLI tests, in this process: identity, compute,
image and network applications served over HTTP (iaas.service.WSGIService
on free ports of 127.0.0.1, listed in the catalog bootstrap writes), over
one SQLite database (``api_env``); the compute and network hosts are the
``hosts`` fixture's (tests/unit/conftest.py).

Every request an application answers is recorded in ``cloud.requests`` as
(service, method, path, query dict, headers, json body or None), so tests
can check what the CLI sent; :meth:`RealCloud.fail` makes the next requests
for a path answer 503 (a restarting API). This replaces the hand-written
fake cloud the CLI tests used before."""
import json
import urllib.parse

from requests.structures import CaseInsensitiveDict

from iaas.api.compute import app as compute_app
from iaas.api.identity import app as identity_api
from iaas.api.image import app as image_app
from iaas.api.network import app as network_app
from iaas.api.rating import app as rating_app
from iaas.common import service_auth
from iaas.service import WSGIService
from tests.functional.identity import helpers

APIS = ('identity', 'compute', 'image', 'network', 'rating')


class Recorder:
    """WSGI middleware: record each request's shape, then call ``app``."""

    def __init__(self, cloud, service, app):
        self.cloud, self.service, self.app = cloud, service, app

    def __call__(self, environ, start_response):
        length = int(environ.get('CONTENT_LENGTH') or 0)
        body = None
        if length and 'json' in environ.get('CONTENT_TYPE', ''):
            raw = environ['wsgi.input'].read(length)
            environ['wsgi.input'] = _Replay(raw)
            try:
                body = json.loads(raw)
            except ValueError:
                body = raw
        query = urllib.parse.parse_qs(environ.get('QUERY_STRING', ''), keep_blank_values=True)
        method, path = environ['REQUEST_METHOD'], environ['PATH_INFO']
        self.cloud.requests.append((self.service, method, path, query, _headers(environ),
                                    body))
        fault = self.cloud.injected(self.service, method, path)
        if fault is not None:
            out = json.dumps({'computeFault': {'code': 503, 'message': fault}}).encode()
            start_response('503 Service Unavailable', [('Content-Type', 'application/json'),
                                                       ('Content-Length', str(len(out)))])
            return [out]
        return self.app(environ, start_response)


def _headers(environ):
    """The request's header fields, by case-insensitive name."""
    out = CaseInsensitiveDict({k[5:].replace('_', '-'): v for k, v in environ.items()
                               if k.startswith('HTTP_')})
    for key in ('CONTENT_TYPE', 'CONTENT_LENGTH'):
        if environ.get(key):
            out[key.replace('_', '-')] = environ[key]
    return out


class _Replay:
    def __init__(self, data):
        self.data, self.pos = data, 0

    def read(self, n=-1):
        end = len(self.data) if n is None or n < 0 else self.pos + n
        out, self.pos = self.data[self.pos:end], min(end, len(self.data))
        return out

    def readline(self, n=-1):
        return self.read(n)


def forget_service_client():
    """Drop the process's cached service client (its token and catalog
    are another cloud's, or made with another password)."""
    with service_auth._client_lock:
        service_auth._client = None


class RealCloud:
    def __init__(self, conf):
        self.conf = conf
        self.requests = []
        self.faults = []
        apps = {'identity': identity_api.build_app(), 'compute': compute_app.build_app(),
                'image': image_app.build_app(), 'network': network_app.build_app(),
                'rating': rating_app.build_app()}
        self.http = {name: WSGIService(f'cli-test-{name}', Recorder(self, name, app),
                                       '127.0.0.1', 0, threads=4)
                     for name, app in apps.items()}

    def start(self):
        """Serve the APIs, then bootstrap (the catalog names their ports)."""
        for svc in self.http.values():
            svc.start()
        ports = {name: svc.port for name, svc in self.http.items()}
        self.conf.set_override('public_host', '127.0.0.1', group='api')
        self.conf.set_override('identity_port', ports['identity'], group='api')
        self.conf.set_override('compute_port', ports['compute'], group='api')
        self.conf.set_override('network_port', ports['network'], group='api')
        self.conf.set_override('rating_port', ports['rating'], group='api')
        self.conf.set_override('port', ports['image'], group='image')
        self.conf.set_override('catalog_services', list(APIS), group='identity')
        # the compute host uploads snapshots to the image API as the admin
        self.conf.set_override('password', helpers.ADMIN_PW, group='service_user')
        forget_service_client()
        self.identity = helpers.admin_client(helpers.ADMIN_PW)
        self.admin = self.identity.admin
        return self

    def stop(self):
        for svc in self.http.values():
            svc.stop(2)
        forget_service_client()     # its token and catalog name servers that are gone

    @property
    def auth_url(self):
        return f"http://127.0.0.1:{self.http['identity'].port}/v3"

    def member(self, name, project):
        """A new user with the member role on ``project`` (made if new):
        {'id', 'project_id', 'token', …} (tests/functional/identity/helpers)."""
        return helpers.new_member(self.identity, name, project=project)

    def fail(self, service, method, path, times, message='restarting'):
        """Answer the next ``times`` ``method`` requests for exactly ``path``
        with a 503 carrying ``message`` (a restarting API, as the CLI may meet)."""
        self.faults.append({'key': (service, method, path), 'left': times,
                            'message': message})

    def injected(self, service, method, path):
        for fault in self.faults:
            if fault['key'] == (service, method, path) and fault['left'] > 0:
                fault['left'] -= 1
                return fault['message']
        return None

    def calls(self, service, method, path_prefix):
        return [r for r in self.requests
                if r[0] == service and r[1] == method and r[2].startswith(path_prefix)]

    def api(self, service, method, path, token, body=None):
        """A call to ``service``'s app in this process (no HTTP, not recorded)."""
        app = self.http[service].app.app
        return helpers.Client(app).call(method, path, body, token)
