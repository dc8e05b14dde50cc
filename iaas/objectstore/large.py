"""Large objects: static manifests (SLO, ``?multipart-manifest=put``) and
dynamic manifests (DLO, ``X-Object-Manifest: container/prefix``).

A GET of a manifest streams its segments in order (ranges included); a
HEAD answers the total size without reading segments (SLO keeps it in
``X-Object-Sysmeta-Slo-Size``).
"""
import hashlib
import json

import webob

from iaas.objectstore.proxy import HTTPError
from iaas.objectstore.utils import failed_precondition

MAX_MANIFEST = 8 * 1024 * 1024
MAX_SEGMENTS = 1000


class LargeObjects:
    def __init__(self, proxy):
        self.p = proxy

    @staticmethod
    def is_manifest(bh):
        return bool(bh and (bh.get('X-Static-Large-Object') or bh.get('X-Object-Manifest')))

    # --- reading ---------------------------------------------------------------
    def segments(self, a, bh, it):
        """[(container, object, size, etag)] and the manifest's ETag."""
        if bh.get('X-Static-Large-Object'):
            try:
                manifest = json.loads(it.read_all())
            except ValueError:
                raise HTTPError(500, 'Bad manifest') from None
            segs = []
            for s in manifest:
                c, _, o = s['name'].lstrip('/').partition('/')
                segs.append((c, o, int(s['bytes']), s['hash']))
            etag = bh.get('X-Object-Sysmeta-Slo-Etag') or _slo_etag(s[3] for s in segs)
            return segs, etag
        if it is not None:
            it.close()
        c, _, prefix = bh['X-Object-Manifest'].partition('/')
        segs = [(c, r['name'], int(r['size']), r['etag'])
                for r in self.list_all(a, c, prefix)]
        return segs, '"' + _slo_etag(s[3] for s in segs) + '"'

    def list_all(self, a, c, prefix):
        part, nodes = self.p.ring.get_nodes(a, c)
        marker, out = '', []
        from urllib.parse import urlencode
        while True:
            q = urlencode({'prefix': prefix, 'marker': marker, 'limit': 10000})
            status, _, body = self.p.cluster.first(
                part, nodes, 'GET', lambda n, q=q: f"/cont/{n['device']}/{part}/{a}/{c}\x00{q}")
            if status == 404:
                return out
            if status >= 300:
                raise HTTPError(503)
            rows = json.loads(body)
            out += rows
            if len(rows) < 10000:
                return out
            marker = rows[-1]['name']

    def stream(self, a, bh, it):
        """(length, etag, chunk iterator, headers) of a manifest's whole content."""
        segs, etag = self.segments(a, bh, it)
        return sum(s[2] for s in segs), etag, SegmentIter(self.p, a, segs), bh

    def get(self, req, a, c, o, bh, it):
        segs, etag = self.segments(a, bh, it)
        total = sum(s[2] for s in segs)
        resp = webob.Response(conditional_response=True, charset=None)
        resp.app_iter = SegmentIter(self.p, a, segs)
        resp.content_length = total
        resp.headers['Content-Type'] = bh.get('Content-Type', 'application/octet-stream')
        resp.etag = etag.strip('"')
        if bh.get('X-Object-Manifest'):
            resp.headers['ETag'] = etag
        for k, v in bh.items():
            lk = k.lower()
            if lk.startswith(('x-object-meta-', 'x-object-sysmeta-s3-')) or lk in (
                    'last-modified', 'x-timestamp', 'x-object-manifest', 'x-static-large-object',
                    'content-disposition', 'content-encoding', 'x-delete-at'):
                resp.headers[k] = v
        resp.headers['Accept-Ranges'] = 'bytes'
        lm = resp.last_modified.timestamp() if resp.last_modified else 0
        if failed_precondition(req, resp.etag, lm):
            raise HTTPError(412)
        return resp

    # --- writing -------------------------------------------------------------
    def put_slo(self, req, a, c, o, headers):
        raw = req.body_file.read(MAX_MANIFEST + 1)
        if len(raw) > MAX_MANIFEST:
            raise HTTPError(413, 'Manifest File > 8388608 bytes')
        try:
            items = json.loads(raw)
            assert isinstance(items, list) and items
        except (ValueError, AssertionError):
            raise HTTPError(400, 'Manifest must be valid JSON.') from None
        if len(items) > MAX_SEGMENTS:
            raise HTTPError(413, f'Too many segments; max {MAX_SEGMENTS}')

        def check(item):
            if not isinstance(item, dict) or not item.get('path'):
                return None, 'Index: missing path'
            path = item['path'].lstrip('/')
            sc, _, so = path.partition('/')
            status, bh, _ = self.p.objects.open_get(a, sc, so, 'HEAD')
            if status >= 300:
                return None, f'{path}: {status}'
            size = int(bh.get('X-Object-Sysmeta-Slo-Size') or bh['Content-Length'])
            etag = (bh.get('X-Object-Sysmeta-Slo-Etag') or bh['ETag']).strip('"')
            if item.get('etag') and item['etag'].strip('"') != etag:
                return None, f'{path}: Etag Mismatch'
            if item.get('size_bytes') is not None and int(item['size_bytes']) != size:
                return None, f'{path}: Size Mismatch'
            return {'name': '/' + path, 'hash': etag, 'bytes': size,
                    'content_type': bh.get('Content-Type', ''),
                    'last_modified': bh.get('Last-Modified', '')}, None
        results = list(self.p.cluster.executor.map(check, items))
        errors = [e for _, e in results if e]
        if errors:
            raise HTTPError(400, 'Errors: ' + '; '.join(errors[:20]))
        manifest = [r for r, _ in results]
        body = json.dumps(manifest).encode()
        etag = _slo_etag(m['hash'] for m in manifest)
        headers = dict(headers, **{
            'X-Static-Large-Object': 'True',
            'X-Object-Sysmeta-Slo-Etag': etag,
            'X-Object-Sysmeta-Slo-Size': str(sum(m['bytes'] for m in manifest))})
        for k, v in req.headers.items():
            if k.lower().startswith('x-object-sysmeta-s3-') and \
                    req.environ.get('iaas.objectstore.internal'):
                headers[k] = v
        headers['X-Object-Sysmeta-Container-Update-Override-Size'] = \
            headers['X-Object-Sysmeta-Slo-Size']
        headers['X-Object-Sysmeta-Container-Update-Override-Etag'] = \
            headers.get('X-Object-Sysmeta-S3-Etag', etag)
        headers.pop('ETag', None)
        from io import BytesIO
        resp = self.p.objects.put_stream(a, c, o, headers, BytesIO(body), len(body))
        resp.headers['ETag'] = f'"{etag}"'
        return resp

    def delete_slo(self, req, a, c, o):
        status, bh, it = self.p.objects.open_get(a, c, o, 'HEAD')
        if status == 404:
            raise HTTPError(404)
        deleted = not_found = 0
        if status < 300 and bh.get('X-Static-Large-Object'):
            status, bh, it = self.p.objects.open_get(a, c, o, 'GET')
        if status < 300 and bh.get('X-Static-Large-Object'):
            segs, _ = self.segments(a, bh, it)
            for sc, so, _size, _etag in segs:
                try:
                    self.p.objects.delete(a, sc, so)
                    deleted += 1
                except HTTPError:
                    not_found += 1
        elif it is not None:
            it.close()
        self.p.objects.delete(a, c, o)
        body = {'Number Deleted': deleted + 1, 'Number Not Found': not_found,
                'Response Status': '200 OK', 'Response Body': '', 'Errors': []}
        return webob.Response(status=200, json_body=body, charset=None,
                              content_type='application/json')


def _slo_etag(hashes):
    md5 = hashlib.md5()
    for h in hashes:
        md5.update(h.strip('"').encode())
    return md5.hexdigest()


class SegmentIter:
    """The concatenated segments; app_iter_range for Range requests."""

    def __init__(self, proxy, account, segs):
        self.p, self.a, self.segs = proxy, account, segs

    def __iter__(self):
        return self.app_iter_range(0, None)

    def app_iter_range(self, start, stop):
        total = sum(s[2] for s in self.segs)
        stop = total if stop is None else min(stop, total)
        return self._gen(start, stop)

    def _gen(self, start, stop):
        offset = 0
        for c, o, size, _etag in self.segs:
            seg_start, seg_end = offset, offset + size
            offset = seg_end
            if seg_end <= start or size == 0:
                continue
            if seg_start >= stop:
                break
            lo = max(start, seg_start) - seg_start
            hi = min(stop, seg_end) - seg_start
            headers = {} if (lo, hi) == (0, size) else {'Range': f'bytes={lo}-{hi - 1}'}
            status, _, it = self.p.objects.open_get(self.a, c, o, 'GET', headers)
            if status not in (200, 206) or it is None:
                raise HTTPError(409, f'segment {c}/{o} unavailable ({status})')
            yield from it

    def close(self):
        pass
