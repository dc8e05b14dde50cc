"""The proxy: Swift API under /v1, v1.0 auth, /info, and the S3 API.

Requests are checked (names, sizes, metadata), authorized
(:mod:`iaas.api.objectstore.auth`), then sent to the storage nodes the ring
names: writes to every replica in parallel, succeeding on a quorum;
reads from the first healthy replica; handoffs stand in for nodes that
are down.
"""
import json
import logging
import math
import re
import threading
import time
import urllib.parse

import webob

from iaas.api import openapi
from iaas.api.objectstore import large, listing, middleware, objects
from iaas.api.objectstore.auth import AuthError
from iaas.api.objectstore.errors import HTML, HTTPError, error_response
from iaas.objectstore import usage
from iaas.objectstore.cluster import best_status
from iaas.objectstore.utils import (
    MAX_CONTAINER_NAME,
    MAX_OBJECT_NAME,
    check_metadata,
    http_date,
    normalize_timestamp,
    s3_sysmeta,
    split_path,
)

LOG = logging.getLogger(__name__)

class Proxy:
    def __init__(self, ring, cluster, auth, max_file_size=5 * 1024 ** 3,
                 listing_limit=10000, s3_region='us-east-1'):
        self.ring, self.cluster, self.auth = ring, cluster, auth
        self.max_file_size = max_file_size
        self.listing_limit = listing_limit
        self.objects = objects.ObjectController(self)
        self.large = large.LargeObjects(self)
        self._cinfo = {}
        self._aacl = {}
        self._cinfo_lock = threading.Lock()
        self.s3 = None
        try:
            from iaas.api.objectstore.s3 import app as s3api
        except ImportError:
            pass
        else:
            self.s3 = s3api.S3(self, s3_region)
        self.info_sections = {}      # /info sections filters add (info_body)
        self.pipeline = middleware.build(self, self.dispatch)

    # /healthcheck of its port (iaas.common.observe): the object store does
    # not depend on the central database
    health_checks = ('disk',)

    @staticmethod
    def answer_headers(environ):
        """Swift's transaction id on answers the port gives before this
        application (/healthcheck, /metrics: iaas.common.observe)."""
        txid = 'tx' + environ.get('iaas.txid', _txid())
        return [('X-Trans-Id', txid), ('X-Openstack-Request-Id', txid)]

    @staticmethod
    def metrics_route(environ):
        """The route label of a request: the Swift path's shape (S3 paths by
        their bucket/key shape)."""
        path = environ.get('PATH_INFO', '')
        if path in ('/info', '/auth/v1.0', '/crossdomain.xml'):
            return path
        parts = path.lstrip('/').split('/', 3)
        if parts[0] == 'v1' and len(parts) > 1:
            return '/v1' + ''.join(('/{account}', '/{container}', '/{object}')[:len(parts) - 1])
        return ('/', '/{bucket}', '/{bucket}/{key}')[min(len([p for p in parts[:2] if p]), 2)]

    # --- entry ---------------------------------------------------------------------
    def __call__(self, environ, start_response):
        _decode_slashes(environ)
        req = webob.Request(environ)
        try:
            resp = self.handle(req)
        except HTTPError as e:
            resp = error_response(e.status, e.message, e.headers, req.method)
        except AuthError as e:
            resp = error_response(e.code, None, None, req.method)
            if e.code == 401:
                resp.headers['WWW-Authenticate'] = _realm(environ)
        except Exception:
            LOG.exception('%s %r failed', req.method, environ.get('PATH_INFO'))
            resp = error_response(500, 'An error occurred', method=req.method)
        resp.headers.setdefault('X-Trans-Id', 'tx' + environ.get('iaas.txid', _txid()))
        resp.headers.setdefault('X-Openstack-Request-Id', resp.headers['X-Trans-Id'])
        for k in [k for k in resp.headers if k.lower().startswith('x-object-sysmeta-')]:
            del resp.headers[k]
        return usage.traffic.count(environ, resp, resp(environ, start_response))

    def internal_app(self, environ, start_response):
        """For in-process subrequests (S3): no auth headers, sysmeta kept, and
        exceptions other than HTTP errors reach the caller."""
        req = webob.Request(environ)
        try:
            resp = self.handle(req)
        except HTTPError as e:
            resp = error_response(e.status, e.message, e.headers, req.method)
        except AuthError as e:
            resp = error_response(e.code, None, None, req.method)
        return resp(environ, start_response)

    def handle(self, req):
        # Invalid UTF-8 or a NUL is refused before any filter reads the path.
        if _valid_text(req) is None:
            raw = req.environ.get('PATH_INFO', '')
            if self.s3 is not None and not raw.startswith(('/v1/', '/auth/', '/info')):
                return self.s3.bad_uri(req)
            raise HTTPError(412, 'Invalid UTF8 or contains NULL')
        return self.pipeline(req)

    def dispatch(self, req):
        """The innermost handler of the pipeline (:mod:`.middleware`)."""
        path = req.path_info
        if path.startswith('/v1/'):
            return self.swift(req)
        if path == '/v1':
            raise HTTPError(412, 'Bad URL')
        s3_signed = 'Authorization' in req.headers or 'X-Amz-Credential' in req.GET or \
            'AWSAccessKeyId' in req.GET
        if path.startswith('//') and not s3_signed:
            raise HTTPError(404)
        if path.startswith('/auth/v1'):
            return self.v1_auth(req)
        if path.rstrip('/') == '/info' and req.method in ('GET', 'HEAD'):
            return self.info(req)
        if path == '/openapi.json' and req.method == 'GET' and 'Authorization' not in req.headers:
            return webob.Response(json_body=openapi.objectstore_document(req.host_url),
                                  charset=None, content_type='application/json')
        if not s3_signed and ('X-Auth-Token' in req.headers or 'X-Storage-Token' in req.headers):
            # a Swift client's request (Swift's s3api passes it on) outside /v1/
            raise HTTPError(412, 'Bad URL')
        if self.s3 is not None:
            return self.s3.handle(req)
        raise HTTPError(404)

    def info(self, req):
        """Swift's /info: what this proxy serves, no more (clients and test
        suites turn features on from it). Filters add their sections: see
        :meth:`info_body`."""
        return webob.Response(json_body=self.info_body(), charset=None,
                              content_type='application/json')

    def info_body(self):
        """The core sections, then each loaded filter's: ``proxy.info_sections``
        (a filter's make() may fill it), a module's ``swift_info(proxy)`` (dict
        of sections) or its ``INFO`` (its own section; None: not advertised)."""
        body = {'swift': {'version': '2.38.3', 'max_file_size': self.max_file_size,
                          'max_meta_name_length': 128, 'max_meta_value_length': 256,
                          'max_meta_count': 90, 'max_meta_overall_size': 4096,
                          'max_header_size': 8192,
                          'max_object_name_length': MAX_OBJECT_NAME,
                          'container_listing_limit': self.listing_limit,
                          'account_listing_limit': self.listing_limit,
                          'max_account_name_length': 256,
                          'max_container_name_length': MAX_CONTAINER_NAME,
                          'valid_api_versions': ['v1', 'v1.0'],
                          'strict_cors_mode': True, 'allow_account_management': False,
                          'account_autocreate': True,
                          'policies': [{'name': listing.DEFAULT_POLICY,
                                        'aliases': listing.DEFAULT_POLICY,
                                        'default': True}]},
                'slo': {'max_manifest_segments': 1000, 'max_manifest_size': 8 * 1024 * 1024,
                        'min_segment_size': 1, 'yield_frequency': 10,
                        'allow_async_delete': False},
                'dlo': {'max_segments': 10000}, 'tempauth': {'account_acls': True}}
        if self.s3 is not None:
            body['s3api'] = {'max_upload_part_num': 10000, 'max_parts_listing': 1000,
                             'max_bucket_listing': 1000, 'max_multi_delete_objects': 1000,
                             'allow_multipart_uploads': True, 's3_acl': False,
                             'version': '2.38.3'}
        import sys

        for name in middleware.PIPELINE:
            mod = sys.modules.get(f'{middleware.__name__}.{name}')
            if mod is None:
                continue
            fn = getattr(mod, 'swift_info', None)
            if fn is not None:
                body.update(fn(self) or {})
            elif getattr(mod, 'INFO', None) is not None:
                body[name] = mod.INFO
        body.update(self.info_sections)
        return body

    def v1_auth(self, req):
        user = req.headers.get('X-Auth-User') or req.headers.get('X-Storage-User')
        key = req.headers.get('X-Auth-Key') or req.headers.get('X-Storage-Pass')
        token, account, expires = self.auth.v1_auth(user, key)
        url = f'{req.host_url}/v1/{account}'
        return webob.Response(status=200, body=b'', headers={
            'X-Storage-Url': url, 'X-Auth-Token': token, 'X-Storage-Token': token,
            'X-Auth-Token-Expires': str(int(expires - time.time()))})

    # --- Swift ------------------------------------------------------------------------
    def swift(self, req):
        raw = req.path_info
        if _empty_segment(raw):
            raise HTTPError(404)
        try:
            _v, account, container, obj = split_path(raw, 2, 4, True)
        except ValueError:
            raise HTTPError(412, 'Bad URL') from None
        if container is not None and (not container or len(container) > MAX_CONTAINER_NAME):
            if container == '' and obj is None:
                container = None
            elif container and obj is None and req.method == 'PUT':   # Swift's text
                raise HTTPError(400, f'Container name length of {len(container)} '
                                     f'longer than {MAX_CONTAINER_NAME}', dict(HTML))
            else:
                raise HTTPError(400, 'Invalid container name')
        if obj is not None and (not obj or len(obj.encode()) > MAX_OBJECT_NAME):
            if obj == '':
                obj = None
            elif req.method == 'PUT':
                raise HTTPError(400, f'Object name length of {len(obj.encode())} longer '
                                     f'than {MAX_OBJECT_NAME}', {'Content-Type': 'text/plain'})
            else:
                raise HTTPError(400, 'Invalid object name')
        for name in (account, container, obj):
            if name and '\x00' in name:
                raise HTTPError(412, 'Invalid UTF8 or contains NULL')
        ident = req.environ.get('iaas.objectstore.identity')
        if ident is None:
            ident = self.auth.identify(req.headers.get('X-Auth-Token')
                                       or req.headers.get('X-Storage-Token'))
        req.environ['iaas.objectstore.identity'] = ident
        method = req.method
        self.authorize(ident, method, account, container, obj, req.headers.get('Referer'))
        if method in ('PUT', 'COPY') and container is not None:
            refusal = self.auth.budget_refusal(ident, 'containers' if obj is None
                                               else 'objects')
            if refusal:
                raise HTTPError(403, refusal, {'Content-Type': 'text/plain'})
        if obj is not None:
            handler = getattr(self.objects, method, None)
            args = (account, container, obj)
        elif container is not None:
            handler = getattr(self, f'container_{method}', None)
            args = (account, container)
        else:
            handler = getattr(self, f'account_{method}', None)
            args = (account,)
        if handler is None:
            raise HTTPError(405)
        return handler(req, *args)

    def authorize(self, ident, method, account, container=None, obj=None, referer=None):
        """Raise AuthError unless ``ident`` may do ``method`` there: the
        owner/policy rule, else the container's ACLs (objects and listings;
        ``referer`` for their ``.r:`` entries)."""
        if self.auth.is_owner(ident, account, method, container, obj):
            return
        if ident is not None and ident.context is None and ident.scope is None and \
                self._account_acl_allows(ident, method, account, container):
            return
        acls = {}
        if container and (obj is not None or method in ('GET', 'HEAD')):
            info = self.container_info(account, container)
            acls = {'read': info.get('read', ''), 'write': info.get('write', '')}
        self.auth.authorize(ident, method, account, container, obj, acls, referer)

    # --- account ACLs (X-Account-Access-Control, tempauth users) ---------------------------
    def account_acl(self, account):
        """{'admin': [...], 'read-write': [...], 'read-only': [...]} (cached 5 s)."""
        now = time.monotonic()
        hit = self._aacl.get(account)
        if hit and hit[0] > now:
            return hit[1]
        part, nodes = self.ring.get_nodes(account)
        status, hdrs, _ = self.cluster.first(
            part, nodes, 'HEAD', lambda n: f"/acct/{n['device']}/{part}/{account}")
        acl = {}
        if status < 300 and hdrs.get(ACL_SYSMETA):
            try:
                acl = json.loads(hdrs[ACL_SYSMETA])
            except ValueError:
                acl = {}
        if status != 503:
            with self._cinfo_lock:
                if len(self._aacl) > 10000:
                    self._aacl.clear()
                self._aacl[account] = (now + 5.0, acl)
        return acl

    def _account_acl_allows(self, ident, method, account, container):
        acl = self.account_acl(account)
        if not acl:
            return False
        names = {ident.user, ident.user.split(':', 1)[0]}

        def has(level):
            return bool(names & set(acl.get(level) or ()))
        if has('admin'):
            return True
        if has('read-write') and (container is not None or method in ('GET', 'HEAD')):
            return True
        return has('read-only') and method in ('GET', 'HEAD')

    def swift_owner(self, req, account):
        """Is the caller the account's owner (Swift's ``swift_owner``): its
        owner rule, an account-ACL admin, or a subrequest of ours. Only owners
        see and set :data:`OWNER_HEADERS`."""
        if req.environ.get('iaas.objectstore.internal'):
            return True
        ident = req.environ.get('iaas.objectstore.identity')
        if self.auth.is_owner(ident, account, 'POST'):
            return True
        if ident is None or ident.context is not None or ident.scope is not None:
            return False
        admins = self.account_acl(account).get('admin') or ()
        return bool({ident.user, ident.user.split(':', 1)[0]} & set(admins))

    def _owner_only(self, req, account, headers):
        """``headers`` without the owner headers unless the caller owns the account."""
        if self.swift_owner(req, account):
            return headers
        return {k: v for k, v in headers.items() if not _owner_header(k)}

    # --- container info cache -------------------------------------------------------------
    def container_info(self, account, container, fresh=False):
        """{'status', 'read', 'write', 'object_count', 'bytes', 'meta'} (cached 5 s)."""
        key = (account, container)
        now = time.monotonic()
        if not fresh:
            hit = self._cinfo.get(key)
            if hit and hit[0] > now:
                return hit[1]
        part, nodes = self.ring.get_nodes(account, container)
        status, hdrs, _ = self.cluster.first(
            part, nodes, 'HEAD', lambda n: f"/cont/{n['device']}/{part}/{account}/{container}")
        info = {'status': status, 'read': hdrs.get('X-Container-Read', ''),
                'write': hdrs.get('X-Container-Write', ''),
                'object_count': int(hdrs.get('X-Container-Object-Count') or 0),
                'bytes': int(hdrs.get('X-Container-Bytes-Used') or 0),
                'headers': dict(hdrs.items()) if status < 300 else {}}
        if status != 503:
            with self._cinfo_lock:
                if len(self._cinfo) > 50000:
                    self._cinfo.clear()
                self._cinfo[key] = (now + 5.0, info)
        return info

    def forget_container(self, account, container):
        with self._cinfo_lock:
            self._cinfo.pop((account, container), None)

    # --- accounts ----------------------------------------------------------------------------
    def account_GET(self, req, account):
        part, nodes = self.ring.get_nodes(account)
        params = listing.backend_params(req, self.listing_limit)
        status, hdrs, body = self.cluster.first(
            part, nodes, 'GET', lambda n: f"/acct/{n['device']}/{part}/{account}{params}")
        if status == 404:       # accounts are created on first use
            status, body = 200, b'[]'
            hdrs = {'X-Account-Container-Count': '0', 'X-Account-Object-Count': '0',
                    'X-Account-Bytes-Used': '0', 'X-Timestamp': normalize_timestamp()}
        if status >= 300:
            raise HTTPError(status)
        headers = _pass_headers(hdrs, 'x-account-')
        headers['X-Timestamp'] = hdrs.get('X-Timestamp', '')
        if hdrs.get(ACL_SYSMETA):
            headers['X-Account-Access-Control'] = hdrs[ACL_SYSMETA]
        headers = self._owner_only(req, account, headers)
        pol = f'X-Account-Storage-Policy-{listing.DEFAULT_POLICY}-'
        for what in ('Container-Count', 'Object-Count', 'Bytes-Used'):
            headers[pol + what] = headers.get(f'X-Account-{what}', '0')
        return self._listing_response(req, 'account', account, body, headers)

    @staticmethod
    def _listing_response(req, kind, name, body, headers, path=None):
        if req.method == 'HEAD':
            resp = webob.Response(status=204, headers=headers, charset=None)
            resp.headers['Content-Type'] = listing.content_type(req)
            resp.headers['Content-Length'] = '0'
            return resp
        return listing.render(req, kind, name, json.loads(body), headers, path)

    account_HEAD = account_GET

    def _check_merged_metadata(self, req, kind, part, nodes, path):
        """400 when the stored metadata with this request's changes would be
        over the limits (Swift counts the whole, not one request)."""
        err = check_metadata(req.headers, kind)
        if err:
            raise HTTPError(400, err)
        prefix = f'x-{kind}-meta-'
        if not any(k.lower().startswith((prefix, f'x-remove-{kind}-meta-'))
                   for k in req.headers):
            return
        status, hdrs, _ = self.cluster.first(part, nodes, 'HEAD', path)
        merged = {k.lower(): v for k, v in hdrs.items() if k.lower().startswith(prefix)} \
            if status < 300 else {}
        for k, v in req.headers.items():
            lk = k.lower()
            if lk.startswith(prefix):
                merged[lk] = v
            elif lk.startswith(f'x-remove-{kind}-meta-'):
                merged.pop(prefix + lk[len(f'x-remove-{kind}-meta-'):], None)
        err = check_metadata({k: v for k, v in merged.items() if v != ''}, kind)
        if err:
            raise HTTPError(400, err)

    def account_POST(self, req, account):
        part, nodes = self.ring.get_nodes(account)
        self._check_merged_metadata(req, 'account', part, nodes,
                                    lambda n: f"/acct/{n['device']}/{part}/{account}")
        ts = normalize_timestamp()
        headers = self._owner_only(req, account, _meta_from(
            req.headers, 'account', req.environ.get('iaas.objectstore.sysmeta_ok')))
        if 'X-Account-Access-Control' in req.headers:
            headers[ACL_SYSMETA] = _account_acl_value(req.headers['X-Account-Access-Control'])
            with self._cinfo_lock:
                self._aacl.pop(account, None)
        headers['X-Timestamp'] = ts
        results = self.cluster.fanout(part, nodes, 'POST',
                                      lambda n: f"/acct/{n['device']}/{part}/{account}",
                                      lambda i: headers)
        status = best_status([r[0] for r in results], len(nodes))
        if status >= 300:
            raise HTTPError(status)
        # Swift answers an account POST with an empty text/html body
        resp = webob.Response(body=b'', content_type='text/html', charset='UTF-8')
        resp.status = 204       # (webob drops the Content-Type of a Response made as 204)
        return resp

    # --- containers ------------------------------------------------------------------------------
    def container_GET(self, req, account, container):
        part, nodes = self.ring.get_nodes(account, container)
        params = listing.backend_params(req, self.listing_limit)
        status, hdrs, body = self.cluster.first(
            part, nodes, req.method,
            lambda n: f"/cont/{n['device']}/{part}/{account}/{container}{params}")
        if status >= 300:
            raise HTTPError(status)
        headers = _pass_headers(hdrs, 'x-container-')
        for k in ('X-Timestamp', 'X-Versions-Location'):
            if hdrs.get(k):
                headers[k] = hdrs[k]
        headers['X-Storage-Policy'] = listing.DEFAULT_POLICY
        changed = hdrs.get('X-PUT-Timestamp') or hdrs.get('X-Timestamp')
        if changed:
            headers['Last-Modified'] = http_date(math.ceil(float(changed)))
        headers = self._owner_only(req, account, headers)
        return self._listing_response(req, 'container', container, body, headers,
                                      f'/v1/{account}/{container}')

    container_HEAD = container_GET

    def container_PUT(self, req, account, container):
        if '/' in container:
            raise HTTPError(400, 'Container name cannot contain "/"')
        policy = req.headers.get('X-Storage-Policy')
        if policy and policy.strip() and \
                policy.strip().lower() != listing.DEFAULT_POLICY.lower():   # '' = default
            raise HTTPError(400, f'Invalid X-Storage-Policy {policy.strip()!r}')
        err = check_metadata(req.headers, 'container')
        if err:
            raise HTTPError(400, err)
        return self._container_write(req, account, container, 'PUT')

    def container_POST(self, req, account, container):
        part, nodes = self.ring.get_nodes(account, container)
        self._check_merged_metadata(
            req, 'container', part, nodes,
            lambda n: f"/cont/{n['device']}/{part}/{account}/{container}")
        return self._container_write(req, account, container, 'POST')

    def container_DELETE(self, req, account, container):
        return self._container_write(req, account, container, 'DELETE')

    def _container_write(self, req, account, container, method):
        part, nodes = self.ring.get_nodes(account, container)
        headers = self._owner_only(req, account, _meta_from(
            req.headers, 'container', req.environ.get('iaas.objectstore.sysmeta_ok'))) \
            if method != 'DELETE' else {}
        if method != 'DELETE':
            headers.update(s3_sysmeta(req, 'container'))     # the S3 layer's bucket ACL
        headers['X-Timestamp'] = normalize_timestamp()
        results = self.cluster.fanout(
            part, nodes, method,
            lambda n: f"/cont/{n['device']}/{part}/{account}/{container}", lambda i: headers)
        self.forget_container(account, container)
        statuses = [r[0] for r in results]
        if method == 'DELETE' and 409 in statuses:
            raise HTTPError(409)
        status = best_status(statuses, len(nodes))
        if status >= 300:
            raise HTTPError(status)
        if method == 'PUT':
            status = 201 if 201 in statuses else 202
        resp = webob.Response(status=status, body=b'', charset=None)
        resp.headers['Content-Type'] = 'text/html; charset=UTF-8'
        return resp


def _decode_slashes(environ):
    """A Swift path decoded as Swift decodes it: ``%2F`` is a slash
    (``GET /v1/a/c/x%2Fy`` is object ``x/y``). The HTTP server keeps escaped
    slashes, so the path is decoded again from the raw request target."""
    path = environ.get('PATH_INFO', '')
    if not path.startswith('/v1/') or '%2' not in path.upper():
        return
    raw = environ.get('REQUEST_URI') or environ.get('RAW_URI')
    if raw:
        raw = raw.split('?', 1)[0].split('#', 1)[0]
        if not raw.startswith('/'):
            raw = '/' + raw.split('://', 1)[-1].partition('/')[2]
        path = urllib.parse.unquote_to_bytes(raw.encode('latin-1', 'replace')).decode('latin-1')
    else:
        path = re.sub('%2[fF]', '/', path)
    environ['PATH_INFO'] = path


ACL_SYSMETA = 'X-Account-Sysmeta-Core-Access-Control'
ACL_LEVELS = ('admin', 'read-write', 'read-only')
# Swift's swift_owner_headers: only the account's owner sees or sets them (a
# user with read-write access through an ACL gets them dropped, silently)
OWNER_HEADERS = ('x-container-read', 'x-container-write', 'x-container-sync-key',
                 'x-container-sync-to', 'x-account-meta-temp-url-key',
                 'x-account-meta-temp-url-key-2', 'x-container-meta-temp-url-key',
                 'x-container-meta-temp-url-key-2', 'x-account-access-control')


def _owner_header(name):
    name = name.lower()
    if name.startswith('x-remove-'):
        name = 'x-' + name[len('x-remove-'):]
    return name in OWNER_HEADERS


def _account_acl_value(value):
    """The stored form of an X-Account-Access-Control header (JSON, Swift's
    version 2 ACL); 400 when it is not one. '' removes the ACL."""
    if len(value) > 8192:
        raise HTTPError(400, 'Header value too long')
    if not value.strip():
        return ''
    try:
        acl = json.loads(value)
    except ValueError:
        raise HTTPError(400, 'Invalid JSON in X-Account-Access-Control') from None
    if not isinstance(acl, dict) or set(acl) - set(ACL_LEVELS) or not all(
            isinstance(v, list) and all(isinstance(n, str) for n in v)
            for v in acl.values()):
        raise HTTPError(400, 'Invalid X-Account-Access-Control')
    return json.dumps({k: v for k, v in acl.items() if v}, separators=(',', ':')) \
        if any(acl.values()) else ''


def _empty_segment(path):
    """True for /v1//c/o or /v1/a//o: an empty account or container."""
    parts = path.split('/', 4)
    return (len(parts) > 3 and parts[2] == '') or (len(parts) > 4 and parts[3] == '')


def _realm(environ):
    """WWW-Authenticate of a 401: the account of the path, quoted (Swift)."""
    parts = environ.get('PATH_INFO', '').split('/')
    account = parts[2] if len(parts) > 2 and parts[1] == 'v1' and parts[2] else 'unknown'
    try:
        account = account.encode('latin-1').decode('utf-8')
    except UnicodeError:
        account = 'unknown'
    return 'Swift realm="%s"' % urllib.parse.quote(account)


def _valid_text(req):
    """The request's path, or None when it or its query string is not valid
    UTF-8 (a lone surrogate, %ff…) or holds a NUL (allowed in a Swift
    listing's markers, as Swift does: ``marker=b1%00`` starts just after b1)."""
    try:
        path = req.path_info
        query = req.GET.items()
    except UnicodeDecodeError:
        return None
    markers = ('marker', 'end_marker') if path.startswith('/v1/') else ()
    if '\x00' in path or any('\x00' in k or ('\x00' in v and k not in markers)
                             for k, v in query):
        return None
    return path


def _txid():
    import uuid
    return uuid.uuid4().hex[:21] + '-' + format(int(time.time()), '010x')   # Swift's


def _pass_headers(hdrs, prefix):
    return {k: v for k, v in hdrs.items()
            if k.lower().startswith(prefix) and not k.lower().startswith(
                prefix + 'sysmeta-')}


def _meta_from(headers, kind, sysmeta=False):
    """The metadata headers a client may set; sysmeta only when a filter
    vouches for it (environ ``iaas.objectstore.sysmeta_ok``, never a header)."""
    out = {}
    for k, v in headers.items():
        lk = k.lower()
        if lk.startswith((f'x-{kind}-meta-', f'x-remove-{kind}-meta-')) or lk in (
                'x-container-read', 'x-container-write', 'x-remove-container-read',
                'x-remove-container-write', 'x-versions-location',
                'x-container-sync-key', 'x-remove-container-sync-key'):
            out[k] = v
        elif sysmeta and lk.startswith(f'x-{kind}-sysmeta-'):
            out[k] = v
        elif sysmeta and lk.startswith(f'x-remove-{kind}-sysmeta-'):
            out[f'X-{kind.capitalize()}-Sysmeta-' + k[len(f'x-remove-{kind}-sysmeta-'):]] = ''
    return out
