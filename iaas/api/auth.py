"""Authentication and policy for every API (the contract other APIs use).

* :func:`validate_token` — token string → :class:`RequestContext`
  (Fernet decrypt + cached revocation list + cached user/project/role
  lookups: no database round trip per request once warm).
* :func:`token_middleware` / :func:`make_token_middleware` — a
  ``wsgi.Router.middleware`` that requires ``X-Auth-Token``.
* :func:`enforce` — policy check raising ``wsgi.Forbidden``
  (rules: ``admin_required``, ``admin_or_owner``, ``project_reader``,
  ``project_member``, ``reader`` and any registered with
  :func:`register_rules`).
"""
import logging

from iaas import wsgi
from iaas.api import ratelimit
from iaas.conf import CONF
from iaas.context import RequestContext
from iaas.identity import core, policy

LOG = logging.getLogger(__name__)

READ_METHODS = frozenset({'GET', 'HEAD', 'OPTIONS'})


def context_from(v, token=None, request_id=None):
    """A RequestContext for a Validated token record."""
    kw = {} if request_id is None else {'request_id': request_id}
    roles = v.role_names
    return RequestContext(
        user_id=v.user['id'], user_name=v.user['name'],
        project_id=v.project['id'] if v.project else None,
        project_name=v.project['name'] if v.project else None,
        domain_id=(v.project or v.user)['domain_id'], roles=roles,
        is_admin=core.user_is_admin(v), auth_token=token, **kw)


def validate_token(token, request_id=None):
    """RequestContext of a valid token; ``wsgi.Unauthorized`` otherwise."""
    if not token or not isinstance(token, str):
        raise wsgi.Unauthorized('The request you have made requires authentication.')
    try:
        v = core.validate(token)
    except core.AuthFailed as exc:
        raise wsgi.Unauthorized(exc.message) from None
    return context_from(v, token, request_id)


def token_is_admin(token):
    """Whether ``token`` is a valid admin's (the detail of /healthcheck,
    iaas.common.health); raises ``wsgi.Unauthorized`` for an invalid one."""
    return validate_token(token).is_admin


def _authenticate(req):
    token = req.headers.get('X-Auth-Token')
    if not token:
        raise wsgi.Unauthorized('The request you have made requires authentication.',
                                headers=_www_authenticate())
    try:
        ctx = validate_token(token, request_id=req.request_id)
    except wsgi.Unauthorized as exc:
        exc.headers.update(_www_authenticate())
        raise
    req.environ['iaas.context'] = ctx
    return ctx


def _www_authenticate():
    return {'WWW-Authenticate':
            f'Keystone uri="http://{CONF.api.public_host}:{CONF.api.identity_port}/v3"'}


def _refuse_reader(req, ctx):
    if req.method not in READ_METHODS and ctx.is_reader_only and not ctx.is_admin:
        raise wsgi.Forbidden('The reader role may only read.')


def authorize(req, route, params):
    """The one authorization layer (``wsgi.Router.authorizer``) of every API.

    By the route handler's declared :class:`wsgi.RoutePolicy`: public
    routes pass; others need a valid token, a project-scoped one where the
    scope says so (403 otherwise), and pass the policy rule with the
    caller's project/user as target (path parameters ``project_id``,
    ``user_id`` and ``domain_id`` name the target instead). A reader-only
    user may not write unless the route allows it. Writes are rate-limited
    per user (429 with Retry-After).
    """
    pol = route.policy
    if pol is None:
        # Every route declares its policy; one that does not is refused, so
        # a new route cannot slip past (tests/functional/security names it).
        LOG.error('route %s has no declared policy: refused', route.template)
        raise wsgi.Forbidden('This route has no policy declared.')
    if pol.scope == wsgi.PUBLIC:
        return None
    ctx = _authenticate(req)
    if pol.scope == wsgi.PROJECT and not ctx.project_id:
        raise wsgi.Forbidden('This action requires a project-scoped token.')
    if not pol.reader_may_write:
        _refuse_reader(req, ctx)
    target = {'project_id': ctx.project_id, 'user_id': ctx.user_id,
              'domain_id': ctx.domain_id}
    for key in ('project_id', 'user_id', 'domain_id'):
        if key in params:
            target[key] = params[key]
    enforce(ctx, pol.rule, target)
    if req.method not in READ_METHODS:
        ratelimit.check_write(ctx.user_id)
    return ctx


def make_token_middleware(public_paths=('/',), reader_read_only=True):
    """A middleware requiring a valid token except on ``public_paths``.

    Kept for WSGI apps that are not a ``wsgi.Router`` with declared route
    policies (tests, benchmarks). With ``reader_read_only`` a reader-only
    user gets 403 on any method other than GET/HEAD/OPTIONS.
    """
    public = frozenset(public_paths)

    def middleware(req):
        path = req.path_info
        if path in public or (path.endswith('/') and path[:-1] in public) \
                or (path + '/') in public:
            return None
        ctx = _authenticate(req)
        if reader_read_only:
            _refuse_reader(req, ctx)
        return None
    return middleware


def token_middleware(req):
    """Middleware: every request needs a valid ``X-Auth-Token``."""
    _refuse_reader(req, _authenticate(req))


def enforce(context, rule, target=None):
    """Raise ``wsgi.Forbidden`` unless ``context`` passes ``rule`` on ``target``.

    ``target`` defaults to the caller's own project.
    """
    if context is None:
        raise wsgi.Unauthorized('The request you have made requires authentication.')
    if target is None:
        target = {'project_id': context.project_id, 'user_id': context.user_id}
    if not policy.check(context, rule, target):
        raise wsgi.Forbidden(f'Policy does not allow {rule} to be performed.')
    return True


def register_rules(rules):
    """Register ``oslo_policy.policy.RuleDefault``s of a service."""
    policy.register_rules(rules)
