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
import dataclasses
import json
import logging
import re
import time

import jsonschema
import webob
import webob.exc

from iaas.context import new_request_id
from iaas.exception import ServiceError

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
    extra = {k: v for k, v in fault.extra.items() if k != 'type'}   # Neutron's, not Nova's
    return {name: {'code': fault.code, 'message': fault.message, **extra}}


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
        """The JSON body as a dict; 400 when it is not JSON, 413 when too big.

        Bounded before and after parsing: at most ``max_body`` bytes are
        read, nesting deeper than :data:`MAX_JSON_DEPTH` and strings that
        are not valid Unicode (lone surrogates such as ``"\\ud800"``) are
        refused with 400, so no handler ever sees them.
        """
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
        body = parse_json(raw)
        if not isinstance(body, dict):
            raise BadRequest('The request body must be a JSON object')
        return body


MAX_JSON_DEPTH = 32


def parse_json(raw, max_depth=MAX_JSON_DEPTH):
    """``json.loads`` that answers 400 for anything a handler should not see:
    malformed JSON, nesting deeper than ``max_depth``, lone surrogates,
    NaN/Infinity."""
    try:
        body = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise BadRequest(f'JSON nested deeper than {max_depth} levels') from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(f'Malformed JSON in request body: {exc}') from None
    # Lone surrogates come from \\u escapes, from surrogate code points
    # encoded as UTF-8 bytes (json decodes with surrogatepass) or from
    # UTF-16/32 bodies; nesting deeper than max_depth needs more than
    # max_depth brackets. Without any of these there is nothing to walk.
    if not isinstance(raw, bytes) or _MAY_HIDE_SURROGATES.search(raw) \
            or raw.count(b'[') + raw.count(b'{') > max_depth:
        check_json_value(body, max_depth)
    return body


_MAY_HIDE_SURROGATES = re.compile(rb'\\u|\xed[\xa0-\xbf]|^\xff\xfe|^\xfe\xff|^[^\x00]{0,3}\x00')


def _refuse_constant(name):
    raise ValueError(f'{name} is not valid JSON')


def check_json_value(value, max_depth=MAX_JSON_DEPTH):
    """400 unless ``value`` nests at most ``max_depth`` deep and every string
    (keys too) is valid Unicode. Iterative: no recursion on hostile input."""
    stack = [(value, 1)]
    while stack:
        v, depth = stack.pop()
        if isinstance(v, str):
            _check_text(v)
        elif isinstance(v, (dict, list)):
            if depth > max_depth:
                raise BadRequest(f'JSON nested deeper than {max_depth} levels')
            if isinstance(v, dict):
                for k, item in v.items():
                    _check_text(k)
                    stack.append((item, depth + 1))
            else:
                stack.extend((item, depth + 1) for item in v)


def _check_text(s):
    if not s.isascii():
        try:
            s.encode('utf-8')
        except UnicodeEncodeError:
            raise BadRequest('Strings must be valid Unicode (no lone surrogates)') from None


def list_limit(req, default=None, maximum=1000, name='limit'):
    """The ``limit`` query parameter as an int in [0, maximum]; 400 when it
    is not a non-negative integer. Absent → ``default`` (capped too)."""
    raw = req.GET.get(name)
    if raw is None or raw == '':
        return None if default is None else min(default, maximum)
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest(f'Invalid {name}: {raw!r} is not an integer') from None
    if value < 0:
        raise BadRequest(f'Invalid {name}: must be 0 or more')
    return min(value, maximum)


def _size_check(kind, what, limit_ok):
    """A size keyword whose error names the limit, not the instance (the
    stock ones put ``repr(instance)`` in the message: milliseconds for a
    hostile 2,000-item list, before anything is refused)."""
    def check(validator, limit, instance, schema):
        if validator.is_type(instance, kind) and not limit_ok(len(instance), limit):
            yield jsonschema.ValidationError(what.format(limit))
    return check


_SIZE_KEYWORDS = {
    'maxItems': _size_check('array', 'more than {} items', int.__le__),
    'minItems': _size_check('array', 'fewer than {} items', int.__ge__),
    'maxLength': _size_check('string', 'longer than {} characters', int.__le__),
    'maxProperties': _size_check('object', 'more than {} properties', int.__le__),
}
_validators = {}     # id(schema) -> (schema, validator): schemas are module constants
MAX_MESSAGE = 300


def _validator(schema):
    hit = _validators.get(id(schema))
    if hit is None or hit[0] is not schema:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        cls = jsonschema.validators.extend(cls, _SIZE_KEYWORDS)
        hit = _validators[id(schema)] = (schema, cls(schema))
    return hit[1]


def validate(body, schema):
    """Check ``body`` against a JSON schema; 400 naming the first problem.

    The validator is built (and the schema checked) once per schema; the
    check stops at the first error, and the message is cut short, so a
    hostile body (2,000 list items, megabytes of text) costs little more
    than reading it."""
    exc = next(_validator(schema).iter_errors(body), None)
    if exc is None:
        return
    where = '/'.join(str(p) for p in exc.absolute_path)
    text = exc.message if len(exc.message) <= MAX_MESSAGE \
        else exc.message[:MAX_MESSAGE] + '…'
    msg = f"Invalid input for field/attribute {where}: {text}" if where \
        else f'Invalid input: {text}'
    raise BadRequest(msg)


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


# Token scopes a route may require (see :class:`RoutePolicy`).
PUBLIC = 'public'     # no token: discovery, sign-up, POST /v3/auth/tokens
ANY = 'any'           # any valid token, scoped or not
PROJECT = 'project'   # a token scoped to a project (403 otherwise, as Nova)
SCOPES = (PUBLIC, ANY, PROJECT)


@dataclasses.dataclass(frozen=True)
class RoutePolicy:
    """Who may call a handler, declared once on the handler.

    ``rule`` is an oslo.policy rule name (registered by the service's
    ``policies.py``); the router checks it before the handler runs, with
    the caller's own project and user as the target, overridden by path
    parameters named ``project_id``, ``user_id`` or ``domain_id``.
    Handlers check rules on the resources they load themselves (another
    project's resource is a 404). ``reader_may_write`` lets a reader-only
    user call a non-GET method (its own password, its own token).
    """
    rule: str | None
    scope: str = PROJECT
    reader_may_write: bool = False

    def __post_init__(self):
        if self.scope not in SCOPES:
            raise ValueError(f'unknown scope {self.scope!r}; one of {SCOPES}')
        if self.rule is None and self.scope != PUBLIC:
            raise ValueError('only a public route may go without a policy rule')


def route_policy(rule, scope=PROJECT, reader_may_write=False):
    """Decorator declaring a handler's :class:`RoutePolicy`."""
    pol = RoutePolicy(rule, scope, reader_may_write)

    def decorate(fn):
        fn.route_policy = pol
        return fn
    return decorate


def public(fn):
    """Decorator: the handler needs no token (discovery, sign-up, login)."""
    fn.route_policy = RoutePolicy(None, PUBLIC)
    return fn


def accepts(schema):
    """Decorator recording the JSON schema of a handler's request body (for
    the API's OpenAPI document; the handler still validates)."""
    def decorate(fn):
        fn.body_schema = schema
        return fn
    return decorate


@dataclasses.dataclass(frozen=True)
class Route:
    template: str
    regex: re.Pattern
    methods: frozenset
    handler: object

    @property
    def policy(self):
        return getattr(self.handler, 'route_policy', None)

    @property
    def body_schema(self):
        return getattr(self.handler, 'body_schema', None)


class Router:
    """Maps (method, path template) to handlers; authorizes each request by
    the handler's declared :class:`RoutePolicy`; renders faults in one format.
    """

    def __init__(self, fault_formatter=keystone_fault, max_body=1 << 20,
                 request_id_headers=('X-OpenStack-Request-ID',), authorizer=None):
        self.routes = []
        self.fault_formatter = fault_formatter
        self.max_body = max_body
        self.request_id_headers = request_id_headers
        self.middleware = []   # callables (req) -> None | Response, run in order
        # callables (exc) -> Fault | None: turn a service's own exceptions
        # into HTTP faults before the generic 500.
        self.exception_mappers = []
        # callable (req, route, params) -> None: authenticates and enforces
        # route.policy (iaas.api.auth.authorize); raises a Fault to refuse.
        self.authorizer = authorizer

    def add(self, methods, template, handler):
        if isinstance(methods, str):
            methods = [methods]
        methods = {m.upper() for m in methods}
        if 'GET' in methods:
            methods.add('HEAD')
        self.routes.append(Route(template, compile_template(template), frozenset(methods),
                                 handler))

    def match(self, path, method):
        """(route, path params) for a request; 404/405 otherwise."""
        allowed = set()
        for route in self.routes:
            m = route.regex.match(path)
            if m:
                if method in route.methods:
                    return route, m.groupdict()
                allowed |= route.methods
        if allowed:
            raise MethodNotAllowed(headers={'Allow': ', '.join(sorted(allowed))})
        raise NotFound('The resource could not be found.')

    def fault_response(self, fault):
        body = self.fault_formatter(fault)
        resp = json_response(body, status=fault.code, headers=fault.headers)
        return resp

    def handle(self, req):
        try:
            path = req.path_info
        except UnicodeDecodeError:
            raise BadRequest('The request path is not valid UTF-8.') from None
        try:
            _ = req.GET   # parsed once here (webob caches it); refused if not UTF-8
        except UnicodeDecodeError:
            raise BadRequest('The query string is not valid UTF-8.') from None
        for mw in self.middleware:
            resp = mw(req)
            if resp is not None:
                return resp
        route, params = self.match(path, req.method)
        req.environ['iaas.route'] = route.template     # the metrics' label (iaas.common.observe)
        if self.authorizer is not None:
            self.authorizer(req, route, params)
        result = route.handler(req, **params)
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
            if fault is None and isinstance(exc, ServiceError):
                fault = Fault(str(exc), code=exc.code,
                              **({'type': exc.type} if exc.type else {}))
            if fault is not None:
                resp = self.fault_response(fault)
            else:
                LOG.exception('%s %s %s failed', req.request_id, req.method,
                              req.environ.get('PATH_INFO'))
                resp = self.fault_response(Fault(
                    'The server has either erred or is incapable of performing the '
                    'requested operation.', code=500))
        for h in self.request_id_headers:
            resp.headers[h] = req.request_id
        LOG.info('%s "%s %s" %s %.1f ms', req.request_id, req.method,
                 req.environ.get('PATH_INFO', ''),
                 resp.status_int, (time.monotonic() - started) * 1000)
        return resp(environ, start_response)
