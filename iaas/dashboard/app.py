"""The dashboard's WSGI application: iaas.wsgi's Router, answering in HTML.

Every request gets its session (the cookie, :mod:`iaas.dashboard.session`)
before its handler runs: a POST needs the session's CSRF token and our own
Origin, a page needs a logged-in session (public pages are marked with
``wsgi.public``). Every response carries the security headers and, when the
session changed, a new cookie. An API's refusal becomes a page: 401 (the
token expired or was revoked) logs out and goes to the login page, 404 is
our 404.
"""
import logging
import threading
from urllib.parse import quote, urlsplit

import webob

from iaas import wsgi
from iaas.cli.errors import APIError, CLIError
from iaas.conf import CONF
from iaas.dashboard import (
    account,
    admin,
    credentials,
    images,
    instances,
    keypairs,
    login,
    network,
    overview,
    render,
    secgroups,
    session,
    static,
    usage,
    volumes,
)
from iaas.dashboard import objects as object_storage

LOG = logging.getLogger(__name__)

SESSION = session.ENVIRON_KEY
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
SECURITY_HEADERS = [('Content-Security-Policy', CSP), ('X-Frame-Options', 'DENY'),
                    ('X-Content-Type-Options', 'nosniff'),
                    ('Referrer-Policy', 'same-origin'),
                    ('Cross-Origin-Opener-Policy', 'same-origin')]
_SECURITY_NAMES = {h.lower() for h, _ in SECURITY_HEADERS}


def security_headers(console_origin=None):
    """SECURITY_HEADERS; on the console page its script may also connect to
    the console proxy (``console_origin``), and xterm.js's own <style>
    elements are allowed there (its DOM renderer themes with them)."""
    if not console_origin:
        return SECURITY_HEADERS
    csp = CSP.replace("connect-src 'self'", f"connect-src 'self' {console_origin}").replace(
        "style-src 'self'", "style-src 'self' 'unsafe-inline'")
    return [('Content-Security-Policy', csp)] + SECURITY_HEADERS[1:]
SAFE_METHODS = ('GET', 'HEAD')


class LoginRequired(wsgi.Fault):
    """No (valid) session: to the login page (a fragment gets 401 + HX-Redirect)."""
    code = 303


class Redirect(wsgi.Fault):
    code = 303


_current = threading.local()


def current_session():
    req = getattr(_current, 'req', None)
    return req.environ.get(SESSION) if req is not None else None


def _login_redirect(req):
    """To the login page, coming back here (to the page, for a fragment) after."""
    fragment = bool(req.headers.get('HX-Request'))
    if fragment:
        parts = urlsplit(req.headers.get('HX-Current-URL') or '')
        target = parts.path + (f'?{parts.query}' if parts.query else '')
    else:
        target = req.path_qs if req.method in SAFE_METHODS else ''
    if target in ('', '/') or not target.startswith('/') or target.startswith('//'):
        target = ''
    url = '/login' + (f'?next={quote(target, safe="")}' if target else '')
    if fragment:
        return LoginRequired('Log in again.', code=401, headers={'HX-Redirect': url})
    return LoginRequired('Log in again.', headers={'Location': url})


def map_api_error(exc):
    """An API's refusal (the CLI's APIError) or unreachable API as a Fault."""
    req = getattr(_current, 'req', None)
    if isinstance(exc, APIError):
        if exc.status == 401 and req is not None:
            sess = req.environ.get(SESSION)
            if sess is not None:
                sess.clear()
                sess.flash('Your session has ended; log in again.', 'error')
            return _login_redirect(req)
        if exc.status == 404:
            return wsgi.NotFound('Not found: it does not exist, or it is not yours.')
        if exc.status in (400, 403, 409, 413, 429):
            return wsgi.Fault(exc.api_message, code=exc.status)
        return wsgi.Fault(f'The cloud answered an error: {exc.api_message}', code=502)
    if isinstance(exc, CLIError):
        LOG.warning('dashboard: API unreachable: %s', exc)
        return wsgi.Fault('A service of the cloud cannot be reached right now; try '
                          'again in a moment.', code=503)
    return None


class Dashboard(wsgi.Router):
    # /healthcheck of its port (iaas.common.observe): it holds no database
    # credentials and reaches the cloud through the public APIs
    health_checks = ('disk',)

    def __init__(self, codec):
        super().__init__(max_body=64 * 1024, request_id_headers=('X-Request-ID',),
                         authorizer=self.authorize)
        self.codec = codec
        self.exception_mappers.append(map_api_error)

    # --- per request --------------------------------------------------------------------
    def authorize(self, req, route, params):
        if getattr(route.handler, 'sessionless', False):
            return     # static files: no cookie read or written
        sess = session.Session(self.codec.decode(req.cookies.get(session.COOKIE)))
        req.environ[SESSION] = sess
        if req.method not in SAFE_METHODS:
            # A streamed upload (``stream_body``: the raw body goes on to an
            # API unread) is not a form: no size limit here, token in a header.
            streamed = getattr(route.handler, 'stream_body', False)
            if not streamed and (req.content_length or 0) > self.max_body:
                raise wsgi.RequestTooLarge(f'A form may carry at most {self.max_body} '
                                           f'bytes.')
            session.check_post(req, sess, header=streamed)
        public = getattr(route.policy, 'scope', None) == wsgi.PUBLIC
        if not public and not sess.logged_in:
            if sess.get('token'):
                sess.clear()
                sess.flash('Your session has expired; log in again.', 'error')
            raise _login_redirect(req)

    def handle(self, req):
        _current.req = req     # for map_api_error (cleared by __call__)
        return super().handle(req)

    def fault_response(self, fault):
        req = getattr(_current, 'req', None)
        if fault.code in (301, 302, 303) and 'Location' in fault.headers:
            resp = webob.Response(status=fault.code)
        elif req is not None and SESSION in req.environ:
            resp = self._framed_error(req, fault)
        else:
            resp = render.error_page(fault.code, fault.title, fault.message)
        for k, v in fault.headers.items():
            resp.headers[k] = v
        return resp

    @staticmethod
    def _framed_error(req, fault):
        """The error in the page frame (nav, project, logout) when we can."""
        try:
            return render.page(req, 'error.html', status=fault.code, code=fault.code,
                               title=fault.title, message=fault.message)
        except Exception:   # the frame itself needs an API that is down
            LOG.warning('dashboard: error page without the frame', exc_info=True)
            return render.error_page(fault.code, fault.title, fault.message)

    def __call__(self, environ, start_response):
        def start(status, headers, exc_info=None):
            headers = [h for h in headers if h[0].lower() not in _SECURITY_NAMES]
            headers += security_headers(environ.get(instances.CONSOLE_ORIGIN))
            sess = environ.get(SESSION)
            if sess is not None and sess.dirty:
                headers.append(('Set-Cookie', session.cookie_header(
                    self.codec.encode(sess.data))))
            return start_response(status, headers, exc_info)
        try:
            return super().__call__(environ, start)
        finally:
            _current.req = None


def build_app(key=None):
    codec = session.Codec(key or session.load_key(), CONF.dashboard.session_lifetime)
    app = Dashboard(codec)
    static.add_routes(app)
    login.add_routes(app)
    overview.add_routes(app)
    instances.add_routes(app)
    images.add_routes(app)
    keypairs.add_routes(app)
    account.add_routes(app)
    admin.add_routes(app)
    volumes.add_routes(app)
    usage.add_routes(app)
    credentials.add_routes(app)
    object_storage.add_routes(app)
    network.add_routes(app)
    secgroups.add_routes(app)
    return app
