"""The WSGI layer every HTTP port runs its application in
(:class:`iaas.service.WSGIService` wraps each one):

* ``GET /metrics`` — the process's Prometheus registry, for clients from
  ``[metrics] allowed_networks``; anyone else reaches the application,
  which answers 404 as for any unknown path.
* ``GET /healthcheck`` — :mod:`iaas.common.health`.
* every other request: its id (``environ['iaas.request_id']``, which the
  API's router sends back as ``X-OpenStack-Request-ID``) is the current
  request id of the thread while the application runs, so every log line
  of the request carries it (iaas.common.logs); it is counted and timed
  by route template (``environ['iaas.route']``, set by
  :class:`iaas.wsgi.Router`, or the application's ``metrics_route(environ)``),
  method and status.

:class:`MetricsListener` serves the same on a port of its own for daemons
without an HTTP port.
"""
import logging
import time

from iaas.common import health, httpserver, metrics
from iaas.context import new_request_id, request_id_scope

LOG = logging.getLogger(__name__)

METRICS_PATH, HEALTH_PATH = '/metrics', '/healthcheck'
UNMATCHED = '(unmatched)'    # the route label of a request no route took
ROUTE_KEY = 'iaas.route'


class Observed:
    """``app`` served with metrics, health check and request ids."""

    def __init__(self, app, service, health_checks=None):
        self.app = app
        self.service = service
        self.route_of = getattr(app, 'metrics_route', None)
        checks = health_checks or getattr(app, 'health_checks', None) or \
            health.DEFAULT_CHECKS
        self.health = health.HealthCheck(checks)
        # headers the application puts on every answer, ours included (the
        # object store's X-Trans-Id: Tempest's health check test wants it)
        self.answer_headers = getattr(app, 'answer_headers', None)

    def __call__(self, environ, start_response):
        path = environ.get('PATH_INFO', '')
        if path in (METRICS_PATH, HEALTH_PATH) and environ.get('REQUEST_METHOD') in (
                'GET', 'HEAD'):
            answer = self._own(path, environ)
            if answer is not None:
                status, headers, body = answer
                if self.answer_headers is not None:
                    headers = headers + list(self.answer_headers(environ))
                start_response(f'{status} {_REASONS[status]}',
                               headers + [('Content-Length', str(len(body)))])
                return [body]
        rid = environ.get('iaas.request_id') or new_request_id()
        environ['iaas.request_id'] = rid
        seen = []

        def recording_start_response(status, headers, exc_info=None):
            seen[:] = [status]
            return start_response(status, headers, exc_info)

        started = time.monotonic()
        metrics.HTTP_IN_PROGRESS.labels(self.service).inc()
        try:
            with request_id_scope(rid):
                return self.app(environ, recording_start_response)
        finally:
            metrics.HTTP_IN_PROGRESS.labels(self.service).dec()
            # no status: the application raised (500), or answers later, as it streams
            status = seen[0][:3] if seen else '500'
            metrics.http_request(self.service, self._route(environ, status),
                                 environ.get('REQUEST_METHOD', ''), status,
                                 time.monotonic() - started)

    def _own(self, path, environ):
        if path == HEALTH_PATH:
            return health.respond(self.health, environ)
        if metrics.address_allowed(environ.get('REMOTE_ADDR')):
            body, ctype = metrics.render()
            return 200, [('Content-Type', ctype)], body
        return None         # the application's own 404

    def _route(self, environ, status):
        route = environ.get(ROUTE_KEY)
        if route is None and self.route_of is not None:
            try:
                route = self.route_of(environ)
            except Exception:       # a label is not worth a failed request
                route = None
        return route or UNMATCHED


_REASONS = {200: 'OK', 404: 'Not Found', 503: 'Service Unavailable'}


def not_found(environ, start_response):
    body = b'Not Found'
    start_response('404 Not Found', [('Content-Type', 'text/plain'),
                                     ('Content-Length', str(len(body)))])
    return [body]


class MetricsListener:
    """A launcher service serving /metrics and /healthcheck (and 404) on a
    port of its own: daemons without an HTTP port."""

    def __init__(self, name, host, port, health_checks=('bus', 'disk')):
        self.name = name
        self.server = httpserver.HTTPServer(Observed(not_found, name, health_checks),
                                            host, port, name=f'{name}-metrics', threads=2)

    @property
    def port(self):
        return self.server.port

    def start(self):
        self.server.bind()
        self.server.start()
        LOG.info('%s: metrics on http://%s:%s/metrics', self.name, *self.server.bind_addr)

    def wait_ready(self, timeout=30):
        return True

    def stop(self, graceful_timeout=None):
        self.server.stop(1)


def wrap(app, service):
    """``app`` in the observed layer (once: an observed app is returned as is)."""
    return app if isinstance(app, Observed) else Observed(app, service)
