"""The HTTP mechanics every API shares: routing, JSON bodies, faults,
request ids, body limits.

An API builds a :class:`Router`, adds routes whose handlers take a
:class:`Request` and the path parameters, and return a ``webob.Response``,
a ``dict`` (sent as JSON with 200) or ``(status, dict)``. Handlers signal
errors by raising :class:`Fault` (or a subclass); the router renders them
in the API's own format through its ``fault_formatter``. Anything else
that escapes a handler is logged with its traceback and answered with a
plain 500 that reveals nothing of it.
"""
import json
import logging
import re
import time

import jsonschema
import webob
import webob.exc

from iaas.context import new_request_id

LOG = logging.getLogger(__name__)

HTTP_TITLES = {400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden',
               404: 'Not Found', 405: 'Method Not Allowed', 406: 'Not Acceptable',
               409: 'Conflict', 410: 'Gone', 411: 'Length Required',
               412: 'Precondition Failed', 413: 'Request Entity Too Large',
               415: 'Unsupported Media Type', 416: 'Requested Range Not Satisfiable',
               422: 'Unprocessable Entity', 429: 'Too Many Requests',
               500: 'Internal Server Error', 501: 'Not Implemented',
               503: 'Service Unavailable'}


class Fault(Exception):
    """An HTTP error with a message meant for the client."""
    code = 500

    def __init__(self, message=None, code=None, headers=None, **extra):
        self.code = code or self.code
        self.message = message or HTTP_TITLES.get(self.code, 'Error')
        self.headers = headers or {}
        self.extra = extra
        super().__init__(self.message)

    @property
    def title(self):
        return HTTP_TITLES.get(self.code, 'Error')


class BadRequest(Fault):
    code = 400


class Unauthorized(Fault):
    code = 401


class Forbidden(Fault):
    code = 403


class NotFound(Fault):
    code = 404


class MethodNotAllowed(Fault):
    code = 405


class Conflict(Fault):
    code = 409


class RequestTooLarge(Fault):
    code = 413


class UnsupportedMediaType(Fault):
    code = 415


class TooManyRequests(Fault):
    code = 429


def keystone_fault(fault):
    """Keystone's error body: {"error": {"code", "message", "title"}}."""
    return {'error': {'code': fault.code, 'message': fault.message, 'title': fault.title}}


NOVA_FAULT_NAMES = {400: 'badRequest', 401: 'unauthorized', 403: 'forbidden',
                    404: 'itemNotFound', 405: 'badMethod', 409: 'conflictingRequest',
                    413: 'overLimit', 415: 'badMediaType', 429: 'overLimit',
                    501: 'notImplemented', 503: 'serviceUnavailable'}


def nova_fault(fault):
    """Nova's error body: {"itemNotFound": {"code": 404, "message": …}}."""
    name = NOVA_FAULT_NAMES.get(fault.code, 'computeFault')
    return {name: {'code': fault.code, 'message': fault.message, **fault.extra}}


class Request(webob.Request):
    """A webob request with the API's limits and helpers."""

    max_body = 1 << 20

    @property
    def request_id(self):
        rid = self.environ.get('iaas.request_id')
        if rid is None:
            rid = self.environ['iaas.request_id'] = new_request_id()
        return rid

    @property
    def context(self):
        """The RequestContext the auth middleware put on the request."""
        return self.environ.get('iaas.context')

    def json(self, required=True):
        """The JSON body as a dict; 400 when it is not JSON, 413 when too big."""
        length = self.content_length
        if length is not None and length > self.max_body:
            raise RequestTooLarge(f'Request body is larger than {self.max_body} bytes')
        raw = self.body_file.read(self.max_body + 1)
        if len(raw) > self.max_body:
            raise RequestTooLarge(f'Request body is larger than {self.max_body} bytes')
        if not raw.strip():
            if required:
                raise BadRequest('A JSON request body is required')
            return {}
        try:
            body = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise BadRequest(f'Malformed JSON in request body: {exc}') from None
        if not isinstance(body, dict):
            raise BadRequest('The request body must be a JSON object')
        return body


def validate(body, schema):
    """Check ``body`` against a JSON schema; 400 naming the first problem."""
    try:
        jsonschema.validate(body, schema)
    except jsonschema.ValidationError as exc:
        where = '/'.join(str(p) for p in exc.absolute_path)
        msg = f"Invalid input for field/attribute {where}: {exc.message}" if where \
            else f'Invalid input: {exc.message}'
        raise BadRequest(msg) from None


def json_response(body, status=200, headers=None):
    resp = webob.Response(status=status, content_type='application/json', charset=None)
    if body is not None:
        resp.body = json.dumps(body, default=_json_default).encode()
    else:
        resp.body = b''
        resp.content_type = None
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def _json_default(obj):
    if hasattr(obj, 'isoformat'):
        return isotime(obj)
    raise TypeError(f'{type(obj).__name__} is not JSON serializable')


def isotime(dt, z=True):
    """ISO 8601 without microseconds, UTC, e.g. 2026-11-26T22:18:57Z."""
    if dt is None:
        return None
    s = dt.replace(microsecond=0, tzinfo=None).isoformat()
    return s + 'Z' if z else s


_PARAM = re.compile(r'\{(\w+)\}')


def compile_template(template):
    """'/v3/users/{user_id}' → a regex with named groups (no '/' in params)."""
    pattern, pos = '', 0
    for m in _PARAM.finditer(template):
        pattern += re.escape(template[pos:m.start()]) + f'(?P<{m.group(1)}>[^/]+)'
        pos = m.end()
    pattern += re.escape(template[pos:])
    return re.compile('^' + pattern + '/?$')


class Router:
    """Maps (method, path template) to handlers; renders faults in one format."""

    def __init__(self, fault_formatter=keystone_fault, max_body=1 << 20,
                 request_id_headers=('X-OpenStack-Request-ID',)):
        self.routes = []
        self.fault_formatter = fault_formatter
        self.max_body = max_body
        self.request_id_headers = request_id_headers
        self.middleware = []   # callables (req) -> None | Response, run in order
        # callables (exc) -> Fault | None: turn a service's own exceptions
        # into HTTP faults before the generic 500.
        self.exception_mappers = []

    def add(self, methods, template, handler):
        if isinstance(methods, str):
            methods = [methods]
        methods = {m.upper() for m in methods}
        if 'GET' in methods:
            methods.add('HEAD')
        self.routes.append((compile_template(template), methods, handler))

    def match(self, path, method):
        allowed = set()
        for regex, methods, handler in self.routes:
            m = regex.match(path)
            if m:
                if method in methods:
                    return handler, m.groupdict()
                allowed |= methods
        if allowed:
            raise MethodNotAllowed(headers={'Allow': ', '.join(sorted(allowed))})
        raise NotFound('The resource could not be found.')

    def fault_response(self, fault):
        body = self.fault_formatter(fault)
        resp = json_response(body, status=fault.code, headers=fault.headers)
        return resp

    def handle(self, req):
        for mw in self.middleware:
            resp = mw(req)
            if resp is not None:
                return resp
        handler, params = self.match(req.path_info, req.method)
        result = handler(req, **params)
        if isinstance(result, webob.Response):
            return result
        if isinstance(result, tuple):
            status, body = result[0], result[1]
            headers = result[2] if len(result) > 2 else None
            return json_response(body, status=status, headers=headers)
        return json_response(result)

    def __call__(self, environ, start_response):
        req = Request(environ)
        req.max_body = self.max_body
        started = time.monotonic()
        try:
            resp = self.handle(req)
        except Fault as fault:
            resp = self.fault_response(fault)
        except webob.exc.HTTPException as exc:
            resp = self.fault_response(Fault(exc.explanation or exc.title, code=exc.code))
        except Exception as exc:
            fault = next((f for f in (m(exc) for m in self.exception_mappers) if f), None)
            if fault is not None:
                resp = self.fault_response(fault)
            else:
                LOG.exception('%s %s %s failed', req.request_id, req.method, req.path)
                resp = self.fault_response(Fault(
                    'The server has either erred or is incapable of performing the '
                    'requested operation.', code=500))
        for h in self.request_id_headers:
            resp.headers[h] = req.request_id
        LOG.info('%s "%s %s" %s %.1f ms', req.request_id, req.method, req.path_qs,
                 resp.status_int, (time.monotonic() - started) * 1000)
        return resp(environ, start_response)
