"""Large objects: static manifests (SLO, ``?multipart-manifest=put``) and
dynamic manifests (DLO, ``X-Object-Manifest: container/prefix``).

A GET of a manifest streams its segments in order (ranges included); a
HEAD answers the total size without reading segments (SLO keeps it in
``X-Object-Sysmeta-Slo-Size``).

Segments are read (and, for ``?multipart-manifest=delete``, deleted) as
the requesting user: each segment's container passes the same owner/ACL
checks as a direct request would (403 otherwise, before any byte goes
out). An SLO may list other SLOs (``sub_slo``); one nested deeper than
:data:`MAX_DEPTH` is stored but fails the GET (409), as Swift's; a manifest
that reaches itself is refused at PUT and fails the GET (409). Segments that
are symlinks are read as their targets. A segment that changed since the manifest was
written (size, ETag, or it became a manifest) ends the GET with an error
instead of a short or wrong body. DLO segments are read raw (DLOs do not
nest).
"""
import base64
import hashlib
import json
import urllib.parse
from io import BytesIO
from urllib.parse import urlencode

import webob

from iaas.api.objectstore import listing
from iaas.api.objectstore.auth import AuthError
from iaas.api.objectstore.errors import TITLES, HTTPError
from iaas.api.objectstore.middleware import symlink
from iaas.api.objectstore.middleware.versioned_writes import SUBREQ
from iaas.api.objectstore.objects import conditional_response
from iaas.objectstore import ranges

MAX_MANIFEST = 8 * 1024 * 1024
MAX_SEGMENTS = 1000
MAX_DEPTH = 10           # nested SLOs (Swift's max_manifest_depth)
MAX_SUB_MANIFESTS = 100  # sub-manifests one request may read (bounded work)


class TooDeep(HTTPError):
    """A manifest nested deeper than :data:`MAX_DEPTH` (its GET fails)."""


class Resolver:
    """Expands a manifest into its leaf segments as ``ident`` may read them."""

    def __init__(self, proxy, ident, a, method='GET', referer=None):
        self.p, self.ident, self.a, self.method = proxy, ident, a, method
        self.referer = referer   # the client's Referer (``.r:`` ACLs of segment containers)
        self.allowed = {}
        self.fetches = 0
        self.manifests = []      # (c, o) of every nested manifest met
        self.parts = []          # lengths of the top-level entries (part numbers)

    def authorize(self, c, o, method='GET', account=None):
        account = account or self.a
        key = (account, c, o is None, method)
        if key not in self.allowed:
            self.p.authorize(self.ident, method, account, c, o, self.referer)   # AuthError
            self.allowed[key] = True

    def slo(self, raw, stack, depth=1):
        """The leaves of a SLO manifest body: (c, o, size, etag, offset,
        length) -- bytes [offset, offset+length) of object c/o of ``size``
        bytes -- or (None, data, n, None, 0, n) for an inline data segment."""
        try:
            manifest = json.loads(raw)
            assert isinstance(manifest, list)
        except (ValueError, AssertionError):
            raise HTTPError(409, 'Bad manifest') from None
        segs = []
        if depth == 1:
            self.parts = []          # the length of each top-level entry (part numbers)
        for s in manifest:
            if depth == 1:
                self.parts.append(len(segs))
            if 'data' in s:
                data = base64.b64decode(s['data'])
                segs.append((None, data, len(data), None, 0, len(data)))
                continue
            c, _, o = s['name'].lstrip('/').partition('/')
            self.authorize(c, o)
            size = int(s['bytes'])
            start, stop = range_of(s.get('range'), size)
            if s.get('sub_slo'):
                segs += slice_leaves(self.sub_slo(c, o, s['hash'], stack, depth),
                                     start, stop)
            else:
                segs.append((c, o, size, s['hash'], start, stop - start))
        if depth == 1:       # leaf index of each part → its length
            bounds = self.parts + [len(segs)]
            self.parts = [sum(leaf[5] for leaf in segs[bounds[i]:bounds[i + 1]])
                          for i in range(len(self.parts))]
        return segs

    def sub_slo(self, c, o, etag, stack, depth):
        if (c, o) in stack:
            raise HTTPError(409, f'Manifest cycle: {c}/{o} includes itself')
        if depth >= MAX_DEPTH:
            raise TooDeep(409)      # Swift's plain Conflict page
        self.fetches += 1
        if self.fetches > MAX_SUB_MANIFESTS:
            raise HTTPError(409, 'Too many nested manifests')
        status, bh, it = open_segment(self.p, self.a, c, o, 'GET', None, self.authorize)
        if status != 200 or it is None or not bh.get('X-Static-Large-Object') or \
                (bh.get('X-Object-Sysmeta-Slo-Etag') or '').strip('"') != etag.strip('"'):
            if it is not None:
                it.close()
            raise HTTPError(409, f'Object segment no longer valid: {c}/{o}')
        self.manifests.append((c, o))
        return self.slo(it.read_all(), stack + ((c, o),), depth + 1)

    def dlo(self, bh):
        c, _, prefix = manifest_value(bh['X-Object-Manifest']).partition('/')
        self.authorize(c, None)      # the listing, as Swift's DLO reads it
        rows = self.p.large.list_all(self.a, c, prefix)
        for r in rows[:1]:           # the same container ACL for every segment
            self.authorize(c, r['name'])
        return [(c, r['name'], int(r['size']), r['etag'], 0, int(r['size'])) for r in rows]


class LargeObjects:
    def __init__(self, proxy):
        self.p = proxy

    @staticmethod
    def is_manifest(bh):
        return bool(bh and (bh.get('X-Static-Large-Object') or bh.get('X-Object-Manifest')))

    # --- reading ---------------------------------------------------------------
    def segments(self, ident, a, c, o, bh, it, resolver=None):
        """[(container, object, size, etag)] (nested SLOs expanded) and the
        manifest's ETag; AuthError/HTTPError when a segment may not be read."""
        resolver = resolver or Resolver(self.p, ident, a)
        if bh.get('X-Static-Large-Object'):
            segs = resolver.slo(it.read_all(), ((c, o),))
            etag = bh.get('X-Object-Sysmeta-Slo-Etag') or _slo_etag(s[3] or '' for s in segs)
            return segs, etag
        if it is not None:
            it.close()
        segs = resolver.dlo(bh)
        return segs, '"' + _slo_etag(s[3] for s in segs) + '"'

    def list_all(self, a, c, prefix):
        part, nodes = self.p.ring.get_nodes(a, c)
        marker, out = '', []
        while True:
            q = urlencode({'prefix': prefix, 'marker': marker, 'limit': 10000})
            status, _, body = self.p.cluster.first(
                part, nodes, 'GET', lambda n, q=q: f"/cont/{n['device']}/{part}/{a}/{c}\x00{q}")
            if status == 404:
                return out
            if status >= 300:
                raise HTTPError(503)
            rows = json.loads(body)
            out += [listing.row_as_listed(r) for r in rows]
            if len(rows) < 10000:
                return out
            marker = rows[-1]['name']

    def stream(self, ident, a, c, o, bh, it, part=None):
        """(length, etag, chunk iterator, headers) of a manifest's whole
        content, or of its part number ``part`` (a SLO's Nth entry)."""
        resolver = Resolver(self.p, ident, a)
        segs, etag = self.segments(ident, a, c, o, bh, it, resolver)
        if part is not None:
            if not part.isdigit() or not 1 <= int(part) <= len(resolver.parts):
                raise HTTPError(416 if part.isdigit() and int(part) else 400,
                                'The requested part number is not satisfiable')
            start = sum(resolver.parts[:int(part) - 1])
            segs = slice_leaves(segs, start, start + resolver.parts[int(part) - 1])
        return sum(s[5] for s in segs), etag, SegmentIter(self.p, a, segs, resolver), bh

    @staticmethod
    def raw_manifest(req, resp):
        """?multipart-manifest=get&format=raw: the manifest as it was PUT
        (path, etag, size_bytes, range, data), ETag its MD5."""
        body = json.dumps(put_form(b''.join(resp.app_iter))).encode()
        resp.app_iter = [body]
        resp.headers['Content-Length'] = str(len(body))
        resp.headers['ETag'] = hashlib.md5(body).hexdigest()
        return resp

    def copy_manifest(self, req, a, c, o, headers, bh, it):
        """A copy of a SLO's manifest (``?multipart-manifest=get``): a
        client's is PUT again as Swift's copy does, every segment checked as
        the copier may read it from the destination's account (400 listing
        the problems); the versioning filters' own copies (archive, restore)
        keep the manifest as it is, as Swift's do."""
        headers = dict(headers, **{k: v for k, v in bh.items()
                                   if k.lower().startswith('x-object-sysmeta-s3-')})
        raw = it.read_all()
        if not req.environ.get(SUBREQ):
            try:
                items = put_form(raw)
            except (ValueError, KeyError, TypeError):
                raise HTTPError(409, 'Bad manifest') from None
            return self._put_manifest(req, a, c, o, headers, json.dumps(items))
        headers['X-Static-Large-Object'] = 'True'
        headers.update({k: v for k, v in bh.items()
                        if k.lower().startswith('x-object-sysmeta-slo-')})
        if bh.get('X-Object-Sysmeta-Slo-Etag') and bh.get('X-Object-Sysmeta-Slo-Size'):
            row = listing_overrides(bh.get('ETag', ''), headers)
            headers.update(row)
            headers.update(listing.version_row(req, row[listing.OVERRIDE_SIZE],
                                               row[listing.OVERRIDE_ETAG]))
        return self.p.objects.put_stream(a, c, o, headers, BytesIO(raw), len(raw))

    def get(self, req, a, c, o, bh, it):
        ident = req.environ.get('iaas.objectstore.identity')
        resolver = Resolver(self.p, ident, a, referer=req.headers.get('Referer'))
        try:
            segs, etag = self.segments(ident, a, c, o, bh, it, resolver)
        except AuthError:
            if not bh.get('X-Static-Large-Object'):
                raise          # DLO: its segment listing answers 403 (Swift)
            # SLO: a segment the caller may not read fails the GET as any
            # unusable segment does (Swift's 409), nothing of it shown
            raise HTTPError(409, 'A segment of this manifest could not be read') from None
        total = sum(s[5] for s in segs)
        headers = {'Content-Type': bh.get('Content-Type', 'application/octet-stream'),
                   'ETag': '"%s"' % etag.strip('"'), 'Accept-Ranges': 'bytes'}
        if bh.get('X-Static-Large-Object'):
            headers['X-Manifest-Etag'] = (bh.get('ETag') or '').strip('"')
        for k, v in bh.items():
            lk = k.lower()
            if lk.startswith(('x-object-meta-', 'x-object-sysmeta-s3-')) or lk in (
                    'last-modified', 'x-timestamp', 'x-object-manifest', 'x-static-large-object',
                    'content-disposition', 'content-encoding', 'x-delete-at',
                    'cache-control', 'content-language', 'expires', 'x-robots-tag'):
                headers[k] = v
        cond = ranges.precondition(req.headers, etag, ranges.last_modified_of(bh), req.method)
        if cond:
            resp = conditional_response(cond, headers)
            resp.headers['ETag'] = headers['ETag']
            return resp
        body = SegmentIter(self.p, a, segs, resolver)
        resp = webob.Response(status=200, headers=headers, charset=None)
        resp.app_iter = body
        resp.content_length = total
        pn = req.GET.get('part-number')
        if pn is not None and bh.get('X-Static-Large-Object'):
            return self._part(req, resp, body, resolver.parts, pn, total)
        spec = ranges.specs(req.headers.get('Range')) if req.method == 'GET' else None
        if spec and len(spec) > 1 and bh.get('X-Object-Manifest'):
            spec = None                        # DLO: several ranges → the whole object
        if spec is None:
            if req.method == 'GET':
                body.check_first(0)
            return resp
        rs = ranges.satisfiable(spec, total)
        if not rs:
            raise HTTPError(416, None, {'Content-Range': f'bytes */{total}'})
        body.check_first(rs[0][0])
        resp.status = 206
        if len(rs) == 1:
            start, stop = rs[0]
            resp.app_iter = body.app_iter_range(start, stop)
            resp.headers['Content-Range'] = ranges.content_range(start, stop, total)
            resp.content_length = stop - start
            return resp
        ctype, length, parts = ranges.multipart(rs, total, headers['Content-Type'],
                                                body.app_iter_range)
        resp.app_iter = parts
        resp.headers['Content-Type'] = ctype
        resp.content_length = length
        return resp

    @staticmethod
    def _part(req, resp, body, parts, pn, total):
        """?part-number=N of a SLO: the bytes of its Nth manifest entry."""
        if not pn.isdigit() or int(pn) < 1:
            raise HTTPError(400, 'Part number must be an integer greater than 0')
        n = int(pn)
        resp.headers['X-Parts-Count'] = str(len(parts))
        if n > len(parts):
            hdrs = {k: v for k, v in resp.headers.items()
                    if k.lower() not in ('content-length', 'content-type')}
            hdrs['Content-Range'] = f'bytes */{total}'
            raise HTTPError(416, 'The requested part number is not satisfiable', hdrs)
        start = sum(parts[:n - 1])
        stop = start + parts[n - 1]
        resp.status = 206
        resp.app_iter = body.app_iter_range(start, stop)
        resp.headers['Content-Range'] = ranges.content_range(start, stop, total)
        resp.content_length = stop - start
        return resp

    # --- writing -------------------------------------------------------------
    def _check_segment(self, ident, a, c, o, item, resolver):
        """The manifest entry of one requested segment, or (None, error).

        A segment the caller may not read answers as a missing one (its
        existence and size stay private)."""
        if isinstance(item, dict) and 'data' in item and 'path' not in item:
            try:
                data = base64.b64decode(item['data'], validate=True)
            except (TypeError, ValueError):
                return None, ('Index', 'Invalid base64 data')
            return {'data': base64.b64encode(data).decode('ascii')}, None
        if not isinstance(item, dict) or not isinstance(item.get('path'), str) or \
                not item['path'].strip('/'):
            return None, ('Index', 'missing path')
        unknown = set(item) - {'path', 'etag', 'size_bytes', 'range'}
        if unknown:
            return None, ('Index', f"extraneous keys {', '.join(sorted(unknown))}")
        path = item['path'].lstrip('/')
        sc, _, so = path.partition('/')
        if not sc or not so:
            return None, (path, 404)
        if (sc, so) == (c, o):
            return None, (path, 'Manifest cannot reference itself')
        try:   # (403 comes from the container's ACL: the object's existence stays private)
            resolver.authorize(sc, so)
            status, bh, _ = open_segment(self.p, a, sc, so, 'HEAD', None, resolver.authorize)
        except AuthError:
            return None, (path, 403)
        if status >= 300:
            return None, (path, status)
        sub = bool(bh.get('X-Static-Large-Object'))
        size = int(bh.get('X-Object-Sysmeta-Slo-Size') or bh['Content-Length'])
        etag = (bh.get('X-Object-Sysmeta-Slo-Etag') or bh['ETag']).strip('"')
        try:
            if item.get('etag') and str(item['etag']).strip('"') != etag:
                return None, (path, 'Etag Mismatch')
            if item.get('size_bytes') is not None and int(item['size_bytes']) != size:
                return None, (path, 'Size Mismatch')
        except (TypeError, ValueError):
            return None, (path, 'Invalid size_bytes')
        entry = {'name': '/' + path, 'hash': etag, 'bytes': size,
                 'content_type': bh.get('Content-Type', ''),
                 'last_modified': _iso(bh.get('Last-Modified'))}
        if item.get('range') is not None:
            rs = ranges.specs('bytes=' + str(item['range']))
            if rs is None or len(rs) != 1:
                return None, (path, 'Invalid range')
            got = ranges.satisfiable(rs, size)
            if not got:
                return None, (path, 'Unsatisfiable Range')
            if got[0] != (0, size):
                entry['range'] = '%d-%d' % (got[0][0], got[0][1] - 1)
        if sub:
            # Deeper than MAX_DEPTH is accepted here and fails the GET (409),
            # as Swift's; the walk for cycles stops at that depth.
            entry['sub_slo'] = True
            entry['depth'] = int(bh.get('X-Object-Sysmeta-Slo-Depth') or 1)
            try:      # a cycle through it (another manifest listing this one)
                leaves = resolver.sub_slo(sc, so, etag, ((c, o),), depth=1)
            except TooDeep:
                leaves = []
            except HTTPError as e:
                return None, (path, e.message)
            except AuthError:
                return None, (path, 403)
            except Exception:
                return None, (path, 404)
            if (c, o) in resolver.manifests + [(x[0], x[1]) for x in leaves]:
                return None, (path, 'Manifest cycle')
        return entry, None

    def put_slo(self, req, a, c, o, headers):
        raw = req.body_file.read(MAX_MANIFEST + 1)
        if len(raw) > MAX_MANIFEST:
            raise HTTPError(413, 'Manifest File > 8388608 bytes')
        if req.GET.get('heartbeat', '').lower() in ('on', 'true', '1', 'yes'):
            return self._heartbeat(req, a, c, o, headers, raw)
        return self._put_manifest(req, a, c, o, headers, raw)

    def _heartbeat(self, req, a, c, o, headers, raw):
        """Swift's ``?heartbeat=on``: 202 at once, a space every few seconds
        while the segments are checked, then the outcome as a report (text, or
        JSON when the caller accepts it): status, ETag, Last Modified, errors."""
        import threading
        box = {}

        def work():
            try:
                box['resp'] = self._put_manifest(req, a, c, o, headers, raw)
            except HTTPError as e:
                box['error'] = e
            except Exception:        # noqa: BLE001 -- reported, never a dropped stream
                box['error'] = HTTPError(503)
        thread = threading.Thread(target=work, daemon=True)
        thread.start()
        fmt = 'json' if 'application/json' in req.headers.get('Accept', '') else 'plain'

        def body():
            yield b' '
            while True:
                thread.join(HEARTBEAT_SECONDS)
                if not thread.is_alive():
                    break
                yield b' '
            yield b'\r\n\r\n' + _heartbeat_report(box, fmt)
        resp = webob.Response(status=202, charset=None)
        resp.headers['Content-Type'] = ('application/json' if fmt == 'json'
                                        else 'text/plain')
        resp.app_iter = body()
        return resp

    def _put_manifest(self, req, a, c, o, headers, raw):
        try:
            items = json.loads(raw)
            assert isinstance(items, list) and items
        except (ValueError, AssertionError, RecursionError):
            raise HTTPError(400, 'Manifest must be valid JSON.') from None
        if len(items) > MAX_SEGMENTS:
            raise HTTPError(413, f'Too many segments; max {MAX_SEGMENTS}')
        ident = req.environ.get('iaas.objectstore.identity')

        def check(item):
            return self._check_segment(ident, a, c, o, item, Resolver(self.p, ident, a))
        results = list(self.p.cluster.executor.map(check, items))
        errors = [e for _, e in results if e]
        if errors:
            raise SegmentErrors(errors)
        manifest = [r for r, _ in results]
        if all('data' in m for m in manifest):
            raise HTTPError(400, 'A manifest must include at least one path segment')
        depth = 1 + max((m.pop('depth', 0) for m in manifest), default=0)
        body = json.dumps(manifest).encode()
        etag = _slo_etag(_etag_piece(m) for m in manifest)
        client_etag = (req.headers.get('ETag') or '').strip('"')
        if client_etag and client_etag != etag:
            raise HTTPError(422, 'Unprocessable Entity')
        headers = dict(headers, **{
            'X-Static-Large-Object': 'True',
            'X-Object-Sysmeta-Slo-Etag': etag,
            'X-Object-Sysmeta-Slo-Depth': str(depth),
            'X-Object-Sysmeta-Slo-Size': str(sum(_entry_length(m) for m in manifest))})
        for k, v in req.headers.items():
            if k.lower().startswith('x-object-sysmeta-s3-') and \
                    req.environ.get('iaas.objectstore.internal'):
                headers[k] = v
        headers.update(listing_overrides(hashlib.md5(body).hexdigest(), headers))
        headers.pop('ETag', None)
        resp = self.p.objects.put_stream(a, c, o, headers, BytesIO(body), len(body))
        resp.headers['ETag'] = f'"{etag}"'
        return resp

    def delete_slo(self, req, a, c, o):
        """The manifest, its segments and nested manifests, each only if the
        caller may delete it (the others are listed as errors)."""
        ident = req.environ.get('iaas.objectstore.identity')
        status, bh, it = self.p.objects.open_get(a, c, o, 'HEAD')
        if status == 404:
            raise HTTPError(404)
        targets = []
        if status < 300 and bh.get('X-Static-Large-Object'):
            status, bh, it = self.p.objects.open_get(a, c, o, 'GET')
        if status < 300 and bh.get('X-Static-Large-Object'):
            resolver = Resolver(self.p, ident, a)
            segs, _ = self.segments(ident, a, c, o, bh, it, resolver)
            targets = [(leaf[0], leaf[1]) for leaf in segs if leaf[0] is not None] + \
                resolver.manifests
        elif it is not None:
            it.close()
        deleted = not_found = 0
        errors = []
        for sc, so in dict.fromkeys(targets):
            try:
                self.p.authorize(ident, 'DELETE', a, sc, so)
            except Exception:      # AuthError
                errors.append([f'/{sc}/{so}', '403 Forbidden'])
                continue
            try:
                self.p.objects.delete(a, sc, so)
                deleted += 1
            except HTTPError:
                not_found += 1
        self.p.objects.delete(a, c, o)
        body = {'Number Deleted': deleted + 1, 'Number Not Found': not_found,
                'Response Status': '400 Bad Request' if errors else '200 OK',
                'Response Body': '', 'Errors': errors}
        return webob.Response(status=200, json_body=body, charset=None,
                              content_type='application/json')


def put_form(raw):
    """The entries of a stored manifest as a client PUTs them (path, etag,
    size_bytes, range; data)."""
    out = []
    for e in json.loads(raw):
        if 'data' in e:
            out.append({'data': e['data']})
            continue
        item = {'path': e['name'], 'etag': e['hash'], 'size_bytes': e['bytes']}
        if e.get('range'):
            item['range'] = e['range']
        out.append(item)
    return out


def listing_overrides(manifest_etag, meta):
    """The container update override of a manifest whose own body has MD5
    ``manifest_etag`` and whose sysmeta is ``meta``: its listing row shows
    the total size, the manifest's MD5 as ``hash`` and the SLO (and S3)
    ETag as parameters (Swift's ``slo_etag``)."""
    return {listing.OVERRIDE_SIZE: meta['X-Object-Sysmeta-Slo-Size'],
            listing.OVERRIDE_ETAG: listing.listing_etag(
                manifest_etag, meta['X-Object-Sysmeta-Slo-Etag'],
                meta.get('X-Object-Sysmeta-S3-Etag'))}


def range_of(value, size):
    """(start, stop) of a manifest entry's stored 'range' ("a-b", inclusive)
    within ``size`` bytes; the whole when there is none."""
    if not value:
        return 0, size
    first, _, last = str(value).partition('-')
    start = int(first) if first else max(0, size - int(last))
    stop = size if (not first or not last) else min(int(last) + 1, size)
    return start, stop


def slice_leaves(leaves, start, stop):
    """The leaves covering bytes [start, stop) of the concatenation."""
    out, offset = [], 0
    for c, o, size, etag, off, length in leaves:
        seg_start, seg_end = offset, offset + length
        offset = seg_end
        if seg_end <= start or seg_start >= stop:
            continue
        lo = max(start, seg_start) - seg_start
        hi = min(stop, seg_end) - seg_start
        if c is None:
            data = o[off + lo:off + hi]
            out.append((None, data, len(data), None, 0, len(data)))
        else:
            out.append((c, o, size, etag, off + lo, hi - lo))
    return out


def manifest_value(value):
    """'container/prefix' of an X-Object-Manifest header (URL-quoted UTF-8)."""
    try:
        value = value.encode('latin-1').decode('utf-8')
    except UnicodeError:
        pass
    return urllib.parse.unquote(value).lstrip('/')


def _etag_piece(entry):
    """An entry's part of the SLO ETag (Swift: data md5, "hash:range;", hash)."""
    if 'data' in entry:
        return hashlib.md5(base64.b64decode(entry['data'])).hexdigest()
    if entry.get('range'):
        return '%s:%s;' % (entry['hash'], entry['range'])
    return entry['hash']


def _entry_length(entry):
    if 'data' in entry:
        return len(base64.b64decode(entry['data']))
    start, stop = range_of(entry.get('range'), int(entry['bytes']))
    return stop - start


def _iso(http_date):
    """Swift's manifest last_modified (2026-12-04T02:40:01.000000)."""
    import email.utils
    try:
        dt = email.utils.parsedate_to_datetime(http_date)
    except (TypeError, ValueError, IndexError):
        return ''
    return dt.strftime('%Y-%m-%dT%H:%M:%S.%f')


def _slo_etag(hashes):
    md5 = hashlib.md5()
    for h in hashes:
        md5.update(h.strip('"').encode())
    return md5.hexdigest()


def open_segment(proxy, a, c, o, method='GET', headers=None, authorize=None):
    """open_get of a segment, following symlinks as a client's GET would
    (Swift's SLO reads segments through the symlink filter): a segment that
    is a link reads as its target, which ``authorize(c, o, account=…)``
    checks first."""
    for _ in range(symlink.SYMLOOP_MAX + 1):
        status, bh, it = proxy.objects.open_get(a, c, o, method, headers)
        if status == 416 and headers:     # a link has no bytes: is it one?
            status, bh, it = proxy.objects.open_get(a, c, o, 'HEAD')
            if status >= 300 or not symlink.split_type(bh.get('Content-Type', ''))[1]:
                return 416, bh, None
        link = symlink.split_type(bh.get('Content-Type', ''))[1] if status < 300 else {}
        if not link:
            return status, bh, it
        if it is not None:
            it.close()
        a = link.get('symlink_target_account', a)
        c, _, o = link['symlink_target'].partition('/')
        if authorize is not None:
            authorize(c, o, account=a)
    return 409, {}, None


class SegmentIter:
    """The concatenated segments; app_iter_range for Range requests.

    Each segment must still be what the manifest says (not a manifest, same
    size and ETag); otherwise the body ends with an error, never short. A
    segment that is a symlink reads as its target (checked by ``resolver``:
    one the reader may not read fails as a changed segment does)."""

    def __init__(self, proxy, account, segs, resolver=None):
        self.p, self.a, self.segs = proxy, account, segs
        self.resolver = resolver

    def _open(self, c, o, method, headers=None):
        try:
            return open_segment(self.p, self.a, c, o, method, headers,
                                self.resolver and self.resolver.authorize)
        except AuthError:
            raise HTTPError(409, f'segment {c}/{o} may not be read') from None

    def __iter__(self):
        return self.app_iter_range(0, None)

    def app_iter_range(self, start, stop):
        total = sum(s[5] for s in self.segs)
        stop = total if stop is None else min(stop, total)
        return self._gen(start, stop)

    def _gen(self, start, stop):
        offset = 0
        for c, o, size, etag, off, length in self.segs:
            seg_start, seg_end = offset, offset + length
            offset = seg_end
            if seg_end <= start or length == 0:
                continue
            if seg_start >= stop:
                break
            lo = max(start, seg_start) - seg_start + off
            hi = min(stop, seg_end) - seg_start + off
            if c is None:                 # inline data
                yield o[lo:hi]
                continue
            headers = {} if (lo, hi) == (0, size) else {'Range': f'bytes={lo}-{hi - 1}'}
            status, bh, it = self._open(c, o, 'GET', headers)
            if status not in (200, 206) or it is None or not _segment_ok(bh, size, etag):
                if it is not None:
                    it.close()
                raise HTTPError(409, f'segment {c}/{o} unavailable or changed ({status})')
            sent = 0
            for chunk in it:
                sent += len(chunk)
                yield chunk
            if sent != hi - lo:
                raise HTTPError(409, f'segment {c}/{o} was short')

    def check_first(self, start):
        """409 now (before the response starts) when the segment holding
        byte ``start`` is missing or not what the manifest says."""
        offset = 0
        for c, o, size, etag, _off, length in self.segs:
            offset += length
            if length == 0 or offset <= start:
                continue
            if c is None:
                return
            status, bh, _ = self._open(c, o, 'HEAD')
            if status != 200 or not _segment_ok(bh, size, etag):
                raise HTTPError(409, f'segment {c}/{o} unavailable or changed ({status})')
            return

    def close(self):
        pass


def _segment_ok(bh, size, etag):
    if bh.get('X-Static-Large-Object'):
        return False
    if etag and (bh.get('ETag') or '').strip('"') != etag.strip('"'):
        return False
    rng = bh.get('Content-Range')
    total = int(rng.rsplit('/', 1)[1]) if rng and rng.rsplit('/', 1)[1].isdigit() else \
        int(bh.get('Content-Length') or -1)
    return total == size


class SegmentErrors(HTTPError):
    """The 400 of a manifest whose segments are not usable: each one's
    (path, problem) listed as Swift's SLO lists them (``403 Forbidden``,
    ``404 Not Found``, ``Etag Mismatch``, ...)."""

    def __init__(self, problems):
        self.problems = [(path, status_text(why)) for path, why in problems]
        super().__init__(400, 'Errors:\n' + ''.join(f'{path}, {why}\n'
                                                    for path, why in self.problems[:1000]),
                         {'Content-Type': 'text/plain'})


def status_text(why):
    """'404 Not Found' of a status number; other problems as they are."""
    if isinstance(why, int):
        return f'{why} {TITLES.get(why, "Error")}'
    return why


HEARTBEAT_SECONDS = 10
STATUS_TEXT = {201: '201 Created', 400: '400 Bad Request', 404: '404 Not Found',
               403: '403 Forbidden', 413: '413 Request Entity Too Large',
               422: '422 Unprocessable Entity', 503: '503 Service Unavailable'}


def _heartbeat_report(box, fmt):
    """The body Swift's SLO ends a heartbeating PUT with."""
    errors = []
    if 'resp' in box:
        resp = box['resp']
        data = {'Response Status': '201 Created', 'Response Body': '',
                'Etag': resp.headers.get('ETag', ''),
                'Last Modified': resp.headers.get('Last-Modified', '')}
    else:
        e = box['error']
        status = STATUS_TEXT.get(e.status, str(e.status))
        body = status.partition(' ')[2]
        if e.status == 400:     # Swift's text of a 400
            body += ('\nThe server could not comply with the request since it is either '
                     'malformed or otherwise incorrect.')
        elif e.status == 422:
            body += '\nUnable to process the contained instructions'
        data = {'Response Status': status, 'Response Body': body}
        msg = e.message or ''
        if isinstance(e, SegmentErrors):
            errors = [list(problem) for problem in e.problems]
        elif msg and msg != status.partition(' ')[2]:
            data['Response Body'] = msg
    if fmt == 'json':
        return json.dumps(dict(data, Errors=errors)).encode()
    out = [f'{k}: {v}\n' for k, v in data.items()] + ['Errors:\n']
    out += [f'{path}, {why}\n' for path, why in errors]
    return ''.join(out).encode()
