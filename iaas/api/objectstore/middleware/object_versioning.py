"""Object versioning (Swift's new-style ``object_versioning``).

``X-Versions-Enabled: true`` on a container keeps every version of every
object: ``?versions`` lists them (``version_id``, ``is_latest``),
``?version-id=`` reads or deletes one, a DELETE writes a delete marker
(``application/x-deleted;swift_versions_deleted=1``), answers carry
``X-Object-Version-Id``. Objects written while versioning is off (or before
it was turned on) are the ``null`` version.

Layout: every version lives in a hidden container ``\\x01versions\\x01<c>``
as ``<object>\\x01<inverted version id>`` (newest first within a name); the
container itself holds a copy of the current version, so plain reads,
ranges and large objects need nothing from here. The current copy carries
its version id in :data:`VERSION_META` (hidden from every answer), and its
listing row is that of Swift's version symlink (``listing.version_row``: no
bytes of its own, the version's bytes and hash, ``version_symlink``,
``symlink_path``); a versioned container's bytes add its versions'. The
container's state is kept in ``X-Versions-Location`` as
``versioning/true|false`` (see :mod:`.versioned_writes`).
"""
import json
import urllib.parse

import webob
import webob.acceptparse

from iaas.api.objectstore.errors import HTTPError
from iaas.api.objectstore.listing import VERSION_COPY
from iaas.api.objectstore.middleware.common import wsgi_to_str
from iaas.api.objectstore.middleware.versioned_writes import (
    DELETE_MARKER,
    OV_PREFIX,
    container_header,
    identity,
    parse,
    plain_errors,
    preauthed,
    subrequest,
)
from iaas.objectstore.utils import S3_SUBREQUEST, iso_ms, normalize_timestamp, s3_sysmeta

INFO = {}
HIDDEN = '\x01versions\x01'
SEP = '\x01'
VERSION_META = 'X-Object-Meta-Iaas-Version-Id'
MAX_ID = 999999999999999
RAW = {'multipart-manifest': 'get', 'symlink': 'get'}
PAGE = 10000


def versions_container(c):
    return HIDDEN + c


def inv(version_id):
    n = round(float(version_id) * 100000)
    return '%015d' % (MAX_ID - n)


def uninv(text):
    n = MAX_ID - int(text)
    return '%010d.%05d' % divmod(n, 100000)


def vname(o, version_id):
    return o + SEP + inv(version_id)


def split_vname(name):
    o, _, i = name.rpartition(SEP)
    try:
        return o, uninv(i)
    except ValueError:
        return None, None


def valid_id(value):
    if value == 'null':
        return value
    try:
        f = float(value)
    except ValueError:
        raise HTTPError(400, 'Invalid version-id') from None
    if not 0 <= f < 10000000000:
        raise HTTPError(400, 'Invalid version-id')
    return normalize_timestamp(f)


def make(proxy, app):
    return plain_errors(ObjectVersioning(proxy, app))


class ObjectVersioning:
    def __init__(self, proxy, app):
        self.p, self.app = proxy, app

    def state(self, a, c):
        """None (never versioned), True (enabled) or False (off, versions kept)."""
        value = container_header(self.p, a, c, 'X-Versions-Location') or ''
        if not value.startswith(OV_PREFIX):
            return None
        return value[len(OV_PREFIX):] == 'true'

    def __call__(self, req):
        where = parse(req)
        if where is None:
            return self.app(req)
        a, c, o = where
        internal = req.environ.get('iaas.objectstore.internal')
        if c is None:
            if req.method == 'GET' and not req.environ.get('iaas.objectstore.subrequest'):
                return self.account_listing(req)
            return self.app(req)
        if c.startswith(HIDDEN) and not internal:
            raise HTTPError(400, 'Invalid container name')
        if o is None:
            return self.container(req, a, c)
        if req.environ.get('iaas.objectstore.subrequest') and 'version-id' not in req.GET:
            return self.strip(self.app(req), mark=False)
        if req.method == 'COPY' and self.copy_as_put(req, a, c, o):
            return self(req)
        state = self.state(a, c)
        m = req.method
        if state is None:
            if 'version-id' in req.GET:
                return self.unversioned_version(req, a, c, o)
            req.headers.pop(VERSION_META, None)
            return self.strip(self.app(req), mark=False)
        vid = valid_id(req.GET['version-id']) if 'version-id' in req.GET else None
        req.headers.pop(VERSION_META, None)
        if vid is not None:
            self.p.authorize(identity(self.p, req), m, a, c, o)
            self.require_owner(req, a, c, o)
        if m in ('GET', 'HEAD'):
            return self.read(req, a, c, o, vid)
        if m == 'PUT':
            if vid is not None:
                return self.make_latest(req, a, c, o, vid)
            return self.put(req, a, c, o, state)
        if m == 'DELETE':
            return self.delete(req, a, c, o, vid, state)
        if m == 'POST':
            return self.post(req, a, c, o)
        return self.strip(self.app(req))

    # --- containers -----------------------------------------------------------------------
    def container(self, req, a, c):
        m = req.method
        if m in ('PUT', 'POST') and 'X-Versions-Enabled' in req.headers:
            value = req.headers.pop('X-Versions-Enabled').strip().lower()
            on = value in ('true', '1', 'yes', 'on', 't', 'y')
            current = container_header(self.p, a, c, 'X-Versions-Location') or ''
            legacy = req.headers.get('X-Versions-Location') or (
                current if not current.startswith(OV_PREFIX) else '')
            if legacy and on:
                raise HTTPError(400, 'Cannot enable object versioning on a container that '
                                     'uses legacy versioned writes')
            if not legacy:
                req.headers['X-Versions-Location'] = OV_PREFIX + ('true' if on else 'false')
                if on:
                    self.p.authorize(identity(self.p, req), m, a, c)
                    resp = subrequest(self.app, preauthed(a), 'PUT', a, versions_container(c))
                    if resp.status_int >= 300:
                        raise HTTPError(503)
        elif m in ('PUT', 'POST') and req.headers.get('X-Versions-Location') \
                and not req.headers['X-Versions-Location'].startswith(OV_PREFIX) \
                and self.state(a, c):
            raise HTTPError(400, 'Cannot set legacy versioned writes on a container with '
                                 'object versioning enabled')
        if m == 'GET' and 'versions' in req.GET:
            return self.list_versions(req, a, c)
        if m == 'DELETE' and self.state(a, c) is not None:
            self.p.authorize(identity(self.p, req), m, a, c)
            # a listing, not the (maybe not yet updated) object count
            kept = subrequest(self.app, preauthed(a), 'GET', a, versions_container(c),
                              query={'format': 'json', 'limit': '1'})
            if kept.status_int == 200 and kept.json:
                raise HTTPError(409, 'There was a conflict when trying to complete your '
                                     'request.')
            resp = self.app(req)
            if resp.status_int < 300:
                subrequest(self.app, preauthed(a), 'DELETE', a, versions_container(c))
            return resp
        resp = self.app(req)
        if m in ('GET', 'HEAD') and resp.status_int < 300:
            value = resp.headers.get('X-Versions-Location') or ''
            if value.startswith(OV_PREFIX):
                resp.headers['X-Versions-Enabled'] = \
                    'True' if value[len(OV_PREFIX):] == 'true' else 'False'
                self.add_versions_bytes(resp, a, c)
        return resp

    def add_versions_bytes(self, resp, a, c):
        """A versioned container's bytes are its own objects' (its current
        versions count none) and its versions' (Swift's)."""
        used = resp.headers.get('X-Container-Bytes-Used')
        if used is None or not used.isdigit():
            return
        head = subrequest(self.app, preauthed(a), 'HEAD', a, versions_container(c))
        more = head.headers.get('X-Container-Bytes-Used') if head.status_int < 300 else None
        if more and more.isdigit():
            resp.headers['X-Container-Bytes-Used'] = str(int(used) + int(more))

    def account_listing(self, req):
        """Hide the versions containers (they sort first: names start with \\x01)."""
        q = req.GET
        if not q.get('reverse') and q.get('marker', '') < SEP + '\uffff' and \
                not q.get('prefix', '').startswith(SEP):
            req.GET['marker'] = SEP + '\uffff'
        resp = self.app(req)
        if resp.status_int != 200:
            return resp
        ctype = resp.headers.get('Content-Type', '')
        if ctype.startswith('application/json'):
            rows = [r for r in json.loads(resp.body)
                    if not (r.get('name') or r.get('subdir') or '').startswith(SEP)]
            resp.body = json.dumps(rows).encode()
        elif ctype.startswith('text/plain'):
            lines = [x for x in resp.body.decode().splitlines() if not x.startswith(SEP)]
            if not lines:
                resp.status = 204
                resp.body = b''
                return resp
            resp.body = ''.join(x + '\n' for x in lines).encode()
        return resp

    # --- objects -------------------------------------------------------------------------
    @staticmethod
    def strip(resp, version_id=None, mark=True):
        current = resp.headers.pop(VERSION_META, None)
        if not mark:
            return resp
        if version_id is not None:
            resp.headers['X-Object-Version-Id'] = version_id
        elif current is not None or resp.status_int < 300:
            resp.headers['X-Object-Version-Id'] = current or 'null'
        return resp

    def copy_as_put(self, req, a, c, o):
        """A COPY whose source is a version or whose destination is versioned
        becomes the PUT with X-Copy-From it means (Swift's copy filter runs
        before versioning), so the new copy is a new version."""
        dest = req.headers.get('Destination')
        if not dest:
            return False
        dc, do = _split(wsgi_to_str(dest))
        da = urllib.parse.unquote(wsgi_to_str(req.headers.get('Destination-Account') or a))
        if not dc or not do or '/' in da:
            return False
        if 'version-id' not in req.GET and self.state(da, dc) is None:
            return False
        sc, so = c, o
        if 'version-id' in req.GET:
            vid = valid_id(req.GET['version-id'])
            req.method = 'GET'
            self.p.authorize(identity(self.p, req), 'GET', a, c, o)
            self.require_owner(req, a, c, o)
            if vid != 'null':
                if self.state(a, c) is None:
                    raise HTTPError(404)
                sc, so = versions_container(c), vname(o, vid)
                head = self.head_raw(a, sc, so)
                if head is None or head.headers.get('Content-Type') == DELETE_MARKER:
                    raise HTTPError(404, headers={'X-Object-Version-Id': vid})
            req.GET.pop('version-id')
        req.method = 'PUT'
        for k in ('Destination', 'Destination-Account'):
            req.headers.pop(k, None)
        req.headers['X-Copy-From'] = urllib.parse.quote(f'/{sc}/{so}')
        if da != a:
            req.headers['X-Copy-From-Account'] = urllib.parse.quote(a)
        req.path_info = f'/v1/{da}/{dc}/{do}'
        req.body = b''
        return True

    def require_owner(self, req, a, c, o=None):
        """Versions (listings, ``?version-id=`` requests) are the account
        owner's only: container ACLs do not reach them (Swift's versions
        container has none)."""
        if req.environ.get('iaas.objectstore.internal'):
            return
        ident = identity(self.p, req)
        if not self.p.auth.is_owner(ident, a, req.method, c, o):
            raise HTTPError(401 if ident is None else 403)

    def head_raw(self, a, c, o):
        resp = subrequest(self.app, preauthed(a), 'HEAD', a, c, o, query=RAW)
        return resp if resp.status_int < 300 else None

    def unversioned_version(self, req, a, c, o):
        vid = valid_id(req.GET['version-id'])
        if vid != 'null':
            if req.method == 'DELETE':
                self.p.authorize(identity(self.p, req), 'DELETE', a, c, o)
                return webob.Response(status=204)
            raise HTTPError(404)
        return self.strip(self.app(req), 'null')

    def read(self, req, a, c, o, vid):
        if vid is None:
            resp = self.app(req)
            current = resp.headers.get(VERSION_META)
            if current and resp.status_int < 300 and 'Content-Location' not in resp.headers:
                resp.headers['Content-Location'] = urllib.parse.quote(
                    f'/v1/{a}/{c}/{o}') + '?version-id=' + current
            return self.strip(resp)
        ident = identity(self.p, req)
        if vid == 'null':
            head = self.head_raw(a, c, o)
            if head is None or head.headers.get(VERSION_META):
                self.p.authorize(ident, req.method, a, c, o)
                raise HTTPError(404, headers={'X-Object-Version-Id': 'null'})
            return self.strip(self.app(req), 'null')
        self.p.authorize(ident, req.method, a, c, o)
        query = {k: v for k, v in req.GET.items() if k != 'version-id'}
        headers = {k: v for k, v in req.headers.items()
                   if k in ('Range', 'If-Match', 'If-None-Match', 'If-Modified-Since',
                            'If-Unmodified-Since')}
        resp = subrequest(self.app, preauthed(a), req.method, a, versions_container(c),
                          vname(o, vid), query=query, headers=headers)
        if resp.status_int == 404:
            raise HTTPError(404, headers={'X-Object-Version-Id': vid})
        if resp.headers.get('Content-Type') == DELETE_MARKER:
            resp.app_iter = []
            out = webob.Response(status=404, charset=None)
            out.headers['Content-Type'] = DELETE_MARKER
            out.headers['X-Object-Version-Id'] = vid
            return out
        return self.strip(resp, vid)

    def archive_null(self, a, c, o, head):
        """A null version about to be replaced becomes an ordinary version."""
        if head is None or head.headers.get(VERSION_META):
            return
        vid = normalize_timestamp(head.headers.get('X-Timestamp') or '0')
        self.copy(a, c, o, versions_container(c), vname(o, vid), head, {VERSION_META: vid})

    def copy(self, a, sc, so, dc, do, head, extra=None, current=None):
        """Copy ``sc/so`` raw to ``dc/do``; ``current``: the copy is the
        current version of that id (its listing row: see ``listing.version_row``)."""
        headers = {'X-Copy-From': urllib.parse.quote(f'/{sc}/{so}')}
        if head.headers.get('X-Object-Manifest'):
            headers['X-Object-Manifest'] = head.headers['X-Object-Manifest']
        headers.update(extra or {})
        resp = subrequest(self.app, preauthed(a), 'PUT', a, dc, do, query=RAW, headers=headers,
                          environ={VERSION_COPY: current} if current else None)
        if resp.status_int >= 300:
            raise HTTPError(503 if resp.status_int >= 500 else resp.status_int)
        return resp

    def put(self, req, a, c, o, enabled):
        if not enabled:           # versioning off: a null version, no version id
            return self.strip(self.app(req), mark=False)
        ident = identity(self.p, req)
        self.p.authorize(ident, 'PUT', a, c, o)
        if req.headers.get('X-Copy-From'):   # from this container: the source as it is now
            self.p.authorize(ident, 'GET', a, *_split(req.headers['X-Copy-From']))
        self.check_quota(req, a, c)
        self.archive_null(a, c, o, self.head_raw(a, c, o))
        vid = normalize_timestamp()
        vc, vn = versions_container(c), vname(o, vid)
        expiry = {k: req.headers.pop(k) for k in ('X-Delete-At', 'X-Delete-After')
                  if k in req.headers}
        req.headers[VERSION_META] = vid
        req.path_info = f'/v1/{a}/{vc}/{vn}'
        req.environ['iaas.objectstore.identity'] = preauthed(a)
        resp = self.app(req)
        if resp.status_int >= 300:
            return self.strip(resp, vid)
        head = self.head_raw(a, vc, vn)
        if head is not None:
            self.copy(a, vc, vn, c, o, head, dict(expiry, **{VERSION_META: vid}), vid)
        return self.strip(resp, vid)

    def check_quota(self, req, a, c):
        """A container's byte quota counts its versions too (as Swift's does)."""
        quota = container_header(self.p, a, c, 'X-Container-Meta-Quota-Bytes')
        if not quota or not quota.isdigit() or req.content_length is None:
            return
        used = self.p.container_info(a, c, fresh=True).get('bytes', 0) + \
            self.p.container_info(a, versions_container(c), fresh=True).get('bytes', 0)
        if used + req.content_length > int(quota):
            raise HTTPError(413, 'Upload exceeds quota.')

    def delete(self, req, a, c, o, vid, enabled):
        ident = identity(self.p, req)
        self.p.authorize(ident, 'DELETE', a, c, o)
        me = preauthed(a)
        if vid == 'null' or (vid is None and not enabled):
            # the current copy goes, whatever it is; the versions stay (Swift)
            req.GET.pop('version-id', None)
            return self.strip(self.app(req), 'null')
        vc = versions_container(c)
        head = self.head_raw(a, c, o)
        if vid is None:
            self.archive_null(a, c, o, head)
            marker = normalize_timestamp()
            resp = subrequest(self.app, me, 'PUT', a, vc, vname(o, marker),
                              headers={'Content-Type': DELETE_MARKER})
            if resp.status_int >= 300:
                raise HTTPError(503)
            if head is not None:
                subrequest(self.app, me, 'DELETE', a, c, o)
            out = webob.Response(status=204 if head is not None else 404)
            out.headers['X-Object-Version-Id'] = marker
            return out
        current = head.headers.get(VERSION_META) if head is not None else None
        if req.GET.get('multipart-manifest') == 'delete':
            # the version and its segments, each as the caller may (SLO's answer)
            out = subrequest(self.app, ident, 'DELETE', a, vc, vname(o, vid),
                             query={'multipart-manifest': 'delete'},
                             headers={'Accept': req.headers.get('Accept', '')})
        else:
            out = subrequest(self.app, me, 'DELETE', a, vc, vname(o, vid))
            if out.status_int >= 300 and out.status_int != 404:
                raise HTTPError(503)
            out = webob.Response(status=204)
        if current == vid and out.status_int < 300:
            # no older version comes back (Swift; S3 restores itself)
            subrequest(self.app, me, 'DELETE', a, c, o)
        out.headers['X-Object-Version-Id'] = vid
        return out

    def make_latest(self, req, a, c, o, vid):
        """PUT ?version-id=X: version X becomes the current one again."""
        if vid == 'null':
            raise HTTPError(400, 'Invalid version-id')
        self.p.authorize(identity(self.p, req), 'PUT', a, c, o)
        vc, vn = versions_container(c), vname(o, vid)
        head = self.head_raw(a, vc, vn)
        if head is None or head.headers.get('Content-Type') == DELETE_MARKER:
            raise HTTPError(404, headers={'X-Object-Version-Id': vid})
        resp = self.copy(a, vc, vn, c, o, head, {VERSION_META: vid}, vid)
        out = webob.Response(status=201, charset=None, content_type='text/html')
        out.headers['ETag'] = resp.headers.get('ETag', '')
        out.headers['X-Object-Version-Id'] = vid
        return out

    def post(self, req, a, c, o):
        head = self.head_raw(a, c, o)
        vid = head.headers.get(VERSION_META) if head is not None else None
        if not vid:
            return self.strip(self.app(req))
        self.p.authorize(identity(self.p, req), 'POST', a, c, o)
        if not req.headers.get('Content-Type'):
            req.headers['Content-Type'] = head.headers.get('Content-Type') or \
                'application/octet-stream'
        headers = {k: v for k, v in req.headers.items()
                   if k.lower().startswith('x-object-meta-') or k.lower() in (
                       'content-type', 'content-disposition', 'content-encoding')}
        headers.update(s3_sysmeta(req, 'object'))    # an S3 ACL change: the version's too
        headers[VERSION_META] = vid
        req.headers[VERSION_META] = vid
        resp = self.app(req)
        if resp.status_int < 300:
            subrequest(self.app, preauthed(a), 'POST', a, versions_container(c), vname(o, vid),
                       headers=headers, environ={S3_SUBREQUEST: req.environ.get(S3_SUBREQUEST)})
        return self.strip(resp, vid)

    # --- ?versions listings -----------------------------------------------------------------
    def _all(self, a, c, prefix):
        rows, marker = [], ''
        while True:
            q = {'format': 'json', 'limit': str(PAGE)}
            if prefix:
                q['prefix'] = prefix
            if marker:
                q['marker'] = marker
            resp = subrequest(self.app, preauthed(a), 'GET', a, c, query=q)
            if resp.status_int != 200:
                return rows
            page = resp.json
            rows += page
            if len(page) < PAGE:
                return rows
            marker = page[-1]['name']

    def list_versions(self, req, a, c):
        ident = identity(self.p, req)
        self.p.authorize(ident, 'GET', a, c)
        self.require_owner(req, a, c)
        if not acceptable(req):
            raise HTTPError(406)
        q = req.GET
        resp = subrequest(self.app, preauthed(a), 'HEAD', a, c)
        if resp.status_int >= 300:
            raise HTTPError(resp.status_int)
        headers = {k: v for k, v in resp.headers.items()
                   if k.lower().startswith('x-container-') or k in (
                       'X-Timestamp', 'X-Versions-Enabled', 'Last-Modified')}
        try:
            limit = int(q.get('limit', self.p.listing_limit))
        except ValueError:
            raise HTTPError(412, 'Value of limit must be a positive integer') from None
        if limit < 0:
            raise HTTPError(412, 'Value of limit must be a positive integer')
        limit = min(limit, self.p.listing_limit)
        prefix = q.get('prefix', '')
        entries = self.merged(a, c, prefix)
        reverse = q.get('reverse', '').lower() in ('1', 'true', 'yes', 'on', 't', 'y')
        if reverse:
            entries.reverse()
        marker, vmarker = q.get('marker', ''), q.get('version_marker', '')
        if vmarker and not marker:
            raise HTTPError(400, 'version_marker param requires marker')
        if marker:
            entries = _after(entries, marker, vmarker, reverse)
            if not req.environ.get(S3_SUBREQUEST):     # S3's IsLatest is right
                entries = _latest_unseen(entries, marker)
        end = q.get('end_marker')
        if end:
            entries = [e for e in entries if (e['name'] > end if reverse else e['name'] < end)]
        delimiter = q.get('delimiter')
        if delimiter:
            entries = _subdirs(entries, prefix, delimiter)
        entries = entries[:limit]
        return _render(req, c, entries, headers)

    def merged(self, a, c, prefix):
        """Every version under ``prefix``: names ascending, newest first."""
        current = {r['name']: r for r in self._all(a, c, prefix) if 'name' in r}
        by_name = {}
        vprefix = prefix if prefix else ''
        for r in self._all(a, versions_container(c), vprefix):
            o, vid = split_vname(r.get('name', ''))
            if o is None or not o.startswith(prefix):
                continue
            by_name.setdefault(o, []).append(dict(r, name=o, version_id=vid))
        entries = []
        for name in sorted(set(current) | set(by_name)):
            versions = by_name.get(name, [])
            cur_id = None
            if name in current:
                head = self.head_raw(a, c, name) if versions else None
                if versions and head is None:      # expired meanwhile: versions only
                    current.pop(name)
                cur_id = head.headers.get(VERSION_META) if head is not None else None
                if not cur_id and name in current:
                    entries.append(_entry(current[name], 'null', True))
            latest_marker = name not in current
            for i, v in enumerate(versions):
                is_latest = (cur_id is not None and v['version_id'] == cur_id) or (
                    i == 0 and latest_marker and v.get('content_type') == DELETE_MARKER)
                entries.append(_entry(v, v['version_id'], is_latest))
        return entries


def _split(value):
    value = urllib.parse.unquote(value).lstrip('/')
    c, _, o = value.partition('/')
    return c, o


def _entry(row, vid, latest):
    return {'name': row['name'], 'bytes': row.get('bytes', 0), 'hash': row.get('hash', ''),
            'content_type': row.get('content_type', ''),
            'last_modified': row.get('last_modified') or iso_ms(row.get('created_at', '0')),
            'version_id': vid, 'is_latest': latest}


def _after(entries, marker, vmarker, reverse):
    """The entries after (marker, version_marker) in listing order (within a
    name: null first, then newest first; reversed when ``reverse``)."""
    out = []
    for e in entries:
        name, vid = e['name'], e['version_id']
        if name != marker:
            keep = name < marker if reverse else name > marker
        elif not vmarker:
            keep = False
        elif reverse:
            keep = vmarker != 'null' and (vid == 'null' or vid > vmarker)
        elif vmarker == 'null':
            keep = vid != 'null'
        else:
            keep = vid != 'null' and vid < vmarker
        if keep:
            out.append(e)
    return out


def _latest_unseen(entries, marker):
    """Swift lists the versions of ``marker`` (the name a page starts in)
    without that name's current version, which its listing of the container
    itself leaves out, so none of them is the latest but for a delete marker
    (Swift's is_latest rule when no current version is seen; its bug 2147042)."""
    seen = False
    for e in entries:
        if e['name'] == marker:
            e['is_latest'] = not seen and e['content_type'] == DELETE_MARKER
            seen = seen or e['is_latest']
    return entries


def _subdirs(entries, prefix, delimiter):
    out, seen = [], set()
    for e in entries:
        i = e['name'].find(delimiter, len(prefix))
        if i < 0:
            out.append(e)
            continue
        sub = e['name'][:i + len(delimiter)]
        if sub not in seen:
            seen.add(sub)
            out.append({'subdir': sub})
    return out


def _render(req, c, entries, headers):
    """Versions listings are JSON only (Swift: 406 for any other format)."""
    body = json.dumps(entries).encode()
    resp = webob.Response(status=200, headers=headers, body=body, charset=None)
    resp.headers['Content-Type'] = 'application/json; charset=utf-8'
    return resp


def acceptable(req):
    """JSON acceptable to the caller (``format=`` overrides Accept, as Swift's
    listing_formats does)?"""
    fmt = req.GET.get('format', '').lower()
    if fmt:
        return fmt == 'json'
    accept = req.headers.get('Accept')
    if not accept:
        return True
    return webob.acceptparse.create_accept_header(accept).best_match(
        ['application/json']) is not None
