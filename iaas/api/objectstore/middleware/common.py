"""Helpers shared by the Swift-style filters: paths, account/container
metadata, identities and in-process subrequests."""
import threading
import time
import weakref

import webob

from iaas.api.objectstore.auth import AuthError
from iaas.api.objectstore.errors import HTTPError, error_response
from iaas.objectstore.utils import (
    INTERNAL,  # noqa: F401 (the filters import it from here)
    wsgi_to_str,  # noqa: F401
)

IDENTITY = 'iaas.objectstore.identity'
GENERATOR = 'iaas.objectstore.content_generator'   # 'staticweb' on its own pages

ACCOUNT_INFO_TTL = 5.0


def is_internal(req):
    return bool(req.environ.get(INTERNAL))


def client_path(req):
    """:func:`swift_path` of a client's request; None for the filters' own
    subrequests (and for any path that is not ``/v1/...``)."""
    return None if is_internal(req) else swift_path(req)


def swift_path(req):
    """(account, container, obj) of a ``/v1/...`` request (container/obj None
    when absent), or None for any other path or one that is not UTF-8."""
    try:
        path = req.path_info
    except UnicodeDecodeError:
        return None
    if not path.startswith('/v1/'):
        return None
    parts = path[4:].split('/', 2)
    if not parts[0]:
        return None
    parts += [None] * (3 - len(parts))
    account, container, obj = parts
    if container == '' and obj is None:
        container = None
    return account, container, obj


def query(req):
    """The query string as a dict (first value wins), {} if not UTF-8."""
    try:
        out = {}
        for k, v in req.GET.items():
            out.setdefault(k, v)
        return out
    except UnicodeDecodeError:
        return {}


def metadata(headers, kind):
    """{'temp-url-key': ...} from X-<kind>-Meta-* headers (names lowercased)."""
    prefix = f'x-{kind}-meta-'
    return {k.lower()[len(prefix):]: wsgi_to_str(v) for k, v in headers.items()
            if k.lower().startswith(prefix)}


def sysmeta(headers, kind):
    prefix = f'x-{kind}-sysmeta-'
    return {k.lower()[len(prefix):]: v for k, v in headers.items()
            if k.lower().startswith(prefix)}


# --- account info (a HEAD on the account's nodes, cached briefly) ----------------
_caches = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _cache(proxy):
    with _lock:
        c = _caches.get(proxy)
        if c is None:
            c = _caches[proxy] = {}
        return c


def account_info(proxy, account, fresh=False):
    """{'status', 'headers', 'meta', 'sysmeta', 'bytes', 'object_count',
    'container_count'} of an account; cached ACCOUNT_INFO_TTL seconds (and
    forgotten when an account write passes the pipeline) unless ``fresh``."""
    cache = _cache(proxy)
    now = time.monotonic()
    hit = cache.get(account)
    if hit and hit[0] > now and not fresh:
        return hit[1]
    part, nodes = proxy.ring.get_nodes(account)
    status, hdrs, _ = proxy.cluster.first(
        part, nodes, 'HEAD', lambda n: f"/acct/{n['device']}/{part}/{account}")
    hdrs = dict(hdrs.items()) if status < 300 else {}
    info = {'status': status, 'headers': hdrs,
            'meta': metadata(hdrs, 'account'), 'sysmeta': sysmeta(hdrs, 'account'),
            'bytes': _int(hdrs.get('X-Account-Bytes-Used')),
            'object_count': _int(hdrs.get('X-Account-Object-Count')),
            'container_count': _int(hdrs.get('X-Account-Container-Count'))}
    if status != 503:
        with _lock:
            if len(cache) > 10000:
                cache.clear()
            cache[account] = (now + ACCOUNT_INFO_TTL, info)
    return info


def forget_account(proxy, account):
    cache = _cache(proxy)
    with _lock:
        cache.pop(account, None)


def container_info(proxy, account, container, fresh=False):
    """The proxy's cached container info plus 'meta' (X-Container-Meta-*)."""
    info = proxy.container_info(account, container, fresh=fresh)
    hdrs = info.get('headers') or {}
    return dict(info, meta=metadata(hdrs, 'container'), sysmeta=sysmeta(hdrs, 'container'))


def _int(v):
    try:
        return int(v or 0)
    except ValueError:
        return 0


# --- identities and subrequests -------------------------------------------------------
def identify(proxy, req):
    """The caller's Identity (None when anonymous); raises AuthError(401) for
    a bad token. Kept in the environ as the proxy does."""
    if IDENTITY in req.environ:
        return req.environ[IDENTITY]
    ident = proxy.auth.identify(req.headers.get('X-Auth-Token')
                                or req.headers.get('X-Storage-Token'))
    req.environ[IDENTITY] = ident
    return ident


def is_owner(proxy, ident, account, method='POST', container=None):
    try:
        return bool(proxy.auth.is_owner(ident, account, method, container))
    except Exception:   # noqa: BLE001 -- a policy engine error is "not the owner"
        return False


def may(proxy, ident, method, account, container=None, obj=None):
    """Would the proxy let ``ident`` do this (owner, policy or ACL)?"""
    try:
        proxy.authorize(ident, method, account, container, obj)
    except (AuthError, HTTPError):
        return False
    return True


def make_request(req, method, path, headers=None, body=None, query_string=''):
    """A subrequest of ``req`` (same caller identity, client-facing: not
    marked internal) to ``path`` (an unquoted /v1/... path)."""
    environ = {k: v for k, v in req.environ.items()
               if k in ('SERVER_NAME', 'SERVER_PORT', 'SERVER_PROTOCOL', 'REMOTE_ADDR',
                        'HTTP_HOST', 'wsgi.url_scheme', IDENTITY, 'iaas.txid')}
    sub = webob.Request.blank('/', environ=environ, method=method)
    sub.environ['PATH_INFO'] = path.encode('utf-8').decode('latin-1')
    sub.environ['QUERY_STRING'] = query_string
    for k, v in (headers or {}).items():
        sub.headers[k] = v
    if body is not None:
        sub.body = body
    return sub


def call(proxy, app, sub):
    """``app(sub)`` with Swift errors turned into their responses."""
    try:
        return app(sub)
    except HTTPError as e:
        return error_response(e.status, e.message, e.headers, sub.method)
    except AuthError as e:
        return error_response(e.code, None, None, sub.method)


def text_response(status, body='', headers=None, method='GET'):
    resp = webob.Response(status=status, charset=None,
                          content_type='text/plain; charset=UTF-8')
    resp.headers.update(headers or {})
    resp.body = b'' if method == 'HEAD' else body.encode()
    return resp
