"""Legacy versioned writes (Swift's ``versioned_writes``): a container with
``X-Versions-Location: <c>`` (stack mode) or ``X-History-Location: <c>``
(history mode) keeps every overwritten object in container ``<c>`` under
``'%03x%s/%s' % (len(name), name, timestamp)``.

* PUT / COPY / ``X-Copy-From`` onto an existing object first copies the
  current object (raw: manifests and symlinks stay what they are) into the
  versions container.
* DELETE, stack mode: the newest archived version is copied back and removed
  from the versions container (delete markers of history mode are honoured);
  no archived version: a plain delete.
* DELETE, history mode: the current object is archived, a delete marker
  (``application/x-deleted;swift_versions_deleted=1``) is written, then the
  object is deleted.

The caller is authorized for its own request (the object's container ACLs)
first; the copies to and from the versions container are then made on its
behalf (Swift's pre-authorized subrequests): a user allowed to write the
container need not be allowed into the versions container.

Storage: the location and the mode live in the container's
``X-Versions-Location`` value (``<quoted name>`` for stack mode,
``history/<quoted name>`` for history mode: a container name holds no '/'),
and ``object_versioning`` keeps its own flag there as ``\\x00``-free
``versioning/<state>``; the response headers are translated back here.
"""
import json
import urllib.parse

import webob

from iaas.api.objectstore.auth import Identity
from iaas.api.objectstore.errors import HTTPError, error_response
from iaas.api.objectstore.middleware.common import wsgi_to_str
from iaas.objectstore.utils import MAX_CONTAINER_NAME, normalize_timestamp, split_path

INFO = {'allowed_flags': ['x-versions-location', 'x-history-location']}
DELETE_MARKER = 'application/x-deleted;swift_versions_deleted=1'
SUBREQ = 'iaas.objectstore.subrequest'   # environ mark of this package's own subrequests
HISTORY = 'history/'
OV_PREFIX = 'versioning/'                # object_versioning's flag (its own module)


# --- helpers shared by the versioning and symlink filters ---------------------------------
def parse(req):
    """(account, container, obj) of a /v1 request, else None."""
    path = req.path_info
    if not path.startswith('/v1/'):
        return None
    try:
        _v, a, c, o = split_path(path, 2, 4, True)
    except (ValueError, UnicodeDecodeError):
        return None
    return a, c or None, o or None


def identity(proxy, req):
    ident = req.environ.get('iaas.objectstore.identity')
    if ident is None:
        ident = proxy.auth.identify(req.headers.get('X-Auth-Token')
                                    or req.headers.get('X-Storage-Token'))
        req.environ['iaas.objectstore.identity'] = ident
    return ident


def preauthed(account):
    """The identity of a subrequest made on a caller's behalf once the caller
    has been authorized (Swift's make_pre_authed_request)."""
    return Identity(user='.versioning', account=account, reseller=True)


def path(a, c=None, o=None):
    p = '/v1/' + a
    if c is not None:
        p += '/' + c
        if o is not None:
            p += '/' + o
    return urllib.parse.quote(p)


def subrequest(app, ident, method, a, c=None, o=None, query=None, headers=None, body=None,
               environ=None):
    """Run a Swift request through ``app``; the response (errors as responses)."""
    url = path(a, c, o)
    if query:
        url += '?' + urllib.parse.urlencode(query)
    sub = webob.Request.blank(url, method=method, headers=headers or {})
    sub.environ['iaas.objectstore.identity'] = ident
    sub.environ['iaas.objectstore.internal'] = True
    sub.environ[SUBREQ] = True
    if environ:
        sub.environ.update(environ)
    if body is not None or method in ('PUT', 'POST'):
        sub.body = body or b''
    try:
        return app(sub)
    except HTTPError as e:      # answered as the proxy would (Content-Type, body)
        return error_response(e.status, e.message, e.headers, method)


def plain_errors(handler):
    """Swift's middlewares answer their own errors in text/plain: an
    HTTPError with a message raised by ``handler`` becomes that answer (one
    that names its Content-Type, as the proxy's own HTML errors do, keeps it)."""
    def wrapped(req):
        try:
            return handler(req)
        except HTTPError as e:
            if not e.message or any(k.lower() == 'content-type' for k in e.headers):
                raise
            resp = webob.Response(status=e.status, headers=e.headers, charset=None)
            resp.body = b'' if req.method == 'HEAD' else e.message.encode()
            resp.headers['Content-Type'] = 'text/plain'
            return resp
    return wrapped


def container_header(proxy, a, c, name):
    info = proxy.container_info(a, c)
    if info.get('status', 404) >= 300:
        return None
    lname = name.lower()
    for k, v in (info.get('headers') or {}).items():
        if k.lower() == lname:
            return v
    return None


def check_container_name(value):
    name = urllib.parse.unquote(wsgi_to_str(value))     # raw UTF-8 or quoted
    if '/' in name:
        raise HTTPError(412, 'Container name cannot contain "/"')
    if not name or len(name) > MAX_CONTAINER_NAME:
        raise HTTPError(412, 'Invalid container name')
    return name


def version_prefix(obj):
    return '%03x%s/' % (len(obj.encode()), obj)


# --- the filter ------------------------------------------------------------------------------
def make(proxy, app):
    return plain_errors(VersionedWrites(proxy, app))


class VersionedWrites:
    def __init__(self, proxy, app):
        self.p, self.app = proxy, app

    def __call__(self, req):
        where = parse(req)
        if where is None or req.environ.get(SUBREQ):
            return self.app(req)
        a, c, o = where
        if c is not None and o is None:
            if req.method in ('PUT', 'POST'):
                self.container_write(req)
            return self.translate(self.app(req))
        if o is None:
            return self.app(req)
        if req.method == 'PUT':
            loc = self.location(a, c)
            if loc:
                return self.put(req, a, c, o, loc[0])
        elif req.method == 'COPY':
            dest = self.copy_destination(req, a)
            if dest:
                return self.put(req, *dest)
        elif req.method == 'DELETE':
            loc = self.location(a, c)
            if loc:
                return self.delete(req, a, c, o, *loc)
        return self.app(req)

    # --- containers ------------------------------------------------------------------
    def container_write(self, req):
        h = req.headers
        vl, hl = h.get('X-Versions-Location'), h.get('X-History-Location')
        if vl is not None and hl is not None:
            if not hl:
                hl = None
            elif vl:
                raise HTTPError(400, 'Only one of X-Versions-Location or X-History-Location '
                                     'may be specified')
            else:
                vl = None
        h.pop('X-History-Location', None)
        if vl is not None or hl is not None:
            mode = 'stack' if vl is not None else 'history'
            value = vl if vl is not None else hl
            if value:
                name = check_container_name(value)
                stored = urllib.parse.quote(name)
                h['X-Versions-Location'] = stored if mode == 'stack' else HISTORY + stored
                h.pop('X-Remove-Versions-Location', None)
                h.pop('X-Remove-History-Location', None)
                return
            h['X-Versions-Location'] = ''
        if h.pop('X-Remove-Versions-Location', None) or h.pop('X-Remove-History-Location',
                                                               None):
            h['X-Versions-Location'] = ''
        elif 'X-Versions-Location' not in h:
            return
        # clearing must not drop object_versioning's flag
        where = parse(req)
        if where and (container_header(self.p, where[0], where[1], 'X-Versions-Location')
                      or '').startswith(OV_PREFIX):
            del h['X-Versions-Location']

    @staticmethod
    def translate(resp):
        value = resp.headers.get('X-Versions-Location')
        if value is None:
            return resp
        del resp.headers['X-Versions-Location']
        if value.startswith(HISTORY):
            resp.headers['X-History-Location'] = value[len(HISTORY):]
        elif not value.startswith(OV_PREFIX) and value:
            resp.headers['X-Versions-Location'] = value
        return resp

    def location(self, a, c):
        """(versions container, mode) of a container with versioned writes, else None."""
        value = container_header(self.p, a, c, 'X-Versions-Location')
        if not value or value.startswith(OV_PREFIX):
            return None
        mode = 'stack'
        if value.startswith(HISTORY):
            value, mode = value[len(HISTORY):], 'history'
        name = urllib.parse.unquote(value).split('/')[0]
        return (name, mode) if name else None

    def copy_destination(self, req, a):
        dest = req.headers.get('Destination')
        if not dest:
            return None
        value = urllib.parse.unquote(wsgi_to_str(dest)).lstrip('/')
        dc, _, do = value.partition('/')
        if not dc or not do:
            return None
        da = req.headers.get('Destination-Account', a)
        loc = self.location(da, dc)
        return (da, dc, do, loc[0]) if loc else None

    # --- objects ------------------------------------------------------------------------
    def authorize(self, req, method, a, c, o):
        self.p.authorize(identity(self.p, req), method, a, c, o)

    def archive(self, a, c, o, vc):
        """Copy the current object (if any) into the versions container."""
        me = preauthed(a)
        raw = {'multipart-manifest': 'get', 'symlink': 'get'}
        head = subrequest(self.app, me, 'HEAD', a, c, o, query=raw)
        if head.status_int == 404:
            return
        check(head)
        ts = head.headers.get('X-Timestamp') or '0'
        headers = {'X-Copy-From': urllib.parse.quote(f'/{c}/{o}')}
        if head.headers.get('X-Object-Manifest'):
            headers['X-Object-Manifest'] = head.headers['X-Object-Manifest']
        resp = subrequest(self.app, me, 'PUT', a, vc, version_prefix(o) + ts, query=raw,
                          headers=headers)
        check(resp)

    def put(self, req, a, c, o, vc):
        self.authorize(req, 'PUT', a, c, o)
        self.archive(a, c, o, vc)
        return self.app(req)

    def delete(self, req, a, c, o, vc, mode):
        self.authorize(req, 'DELETE', a, c, o)
        me = preauthed(a)
        if mode == 'history':
            self.archive(a, c, o, vc)
            check(subrequest(self.app, me, 'PUT', a, vc, version_prefix(o) + normalize_timestamp(),
                             headers={'Content-Type': DELETE_MARKER}))
            return self.app(req)
        versions = self.versions(a, vc, o)
        for i, item in enumerate(versions):
            if item.get('content_type') == DELETE_MARKER:
                head = subrequest(self.app, me, 'HEAD', a, c, o,
                                  query={'multipart-manifest': 'get', 'symlink': 'get'})
                if head.status_int != 404:
                    check(head)
                    break          # an object over a marker: delete it, back to the marker
                for older in versions[i + 1:]:
                    if older.get('content_type') == DELETE_MARKER:
                        break
                    if self.restore(a, c, o, vc, older['name']):
                        resp = subrequest(self.app, me, 'DELETE', a, vc, older['name'])
                        if resp.status_int != 404:
                            check(resp)
                        break
                return subrequest(self.app, me, 'DELETE', a, vc, item['name'])
            if self.restore(a, c, o, vc, item['name']):
                resp = subrequest(self.app, me, 'DELETE', a, vc, item['name'])
                if resp.status_int == 404:
                    resp.status = 204
                return resp
        return self.app(req)

    def versions(self, a, vc, o):
        """The archived versions of ``o``, newest first."""
        resp = subrequest(self.app, preauthed(a), 'GET', a, vc, query={
            'format': 'json', 'prefix': version_prefix(o), 'reverse': 'true'})
        if resp.status_int == 404:
            return []
        if resp.status_int == 204:
            return []
        check(resp)
        return json.loads(resp.body)

    def restore(self, a, c, o, vc, name):
        """Copy version ``name`` back over the object; False if it is gone."""
        me = preauthed(a)
        raw = {'multipart-manifest': 'get', 'symlink': 'get'}
        head = subrequest(self.app, me, 'HEAD', a, vc, name, query=raw)
        if head.status_int == 404:
            return False
        check(head)
        headers = {'X-Copy-From': urllib.parse.quote(f'/{vc}/{name}')}
        if head.headers.get('X-Object-Manifest'):
            headers['X-Object-Manifest'] = head.headers['X-Object-Manifest']
        resp = subrequest(self.app, me, 'PUT', a, c, o, query=raw, headers=headers)
        if resp.status_int == 404:
            return False
        check(resp)
        return True


def check(resp):
    """Swift's answer when a versioning subrequest fails: 412 for a client
    error (e.g. no versions container), else 503."""
    status = resp.status_int
    if status < 300:
        return
    if 400 <= status < 500:
        raise HTTPError(412)
    raise HTTPError(503)
