"""S3 multipart uploads over Swift: the upload is a small marker object
``<bucket>+segments/<upload_id>`` (JSON: key, content type, metadata),
parts are ``<bucket>+segments/<upload_id>/<part:05d>``, and completing
writes a static large object at the key with the S3 multipart ETag."""
import binascii
import hashlib
import json
import re
import urllib.parse
import uuid

import webob

from iaas.api.objectstore.objects import IterReader
from iaas.api.objectstore.s3 import body as s3body
from iaas.api.objectstore.s3 import publicaccess as s3publicaccess
from iaas.api.objectstore.s3 import tagging as s3tagging
from iaas.api.objectstore.s3.common import SEGMENTS, _quote_etag, _status_code, s3_time
from iaas.api.objectstore.s3.xmldoc import S3Error, add, element, parse, xml_response
from iaas.objectstore.utils import iso_ms

MIN_PART = 5 * 1024 * 1024
MAX_PARTS = 10000
DONE_KEPT = 86400      # seconds a completed upload's marker answers a repeated Complete


class Multipart:
    def __init__(self, s3):
        self.s3 = s3

    def _marker(self, ident, bucket, upload_id, done_ok=False):
        if not upload_id or not all(c in '0123456789abcdef' for c in upload_id):
            raise S3Error('NoSuchUpload', UploadId=upload_id)
        resp = self.s3.swift(ident, 'GET', bucket + SEGMENTS, upload_id)
        if resp.status_int != 200:
            self.s3.check_bucket(ident, bucket)
            raise S3Error('NoSuchUpload', UploadId=upload_id)
        marker = json.loads(resp.body)
        if marker.get('done') and not done_ok:
            raise S3Error('NoSuchUpload', UploadId=upload_id)
        return marker

    def _parts(self, ident, bucket, upload_id):
        rows, marker = [], ''
        while True:
            resp = self.s3.swift(ident, 'GET', bucket + SEGMENTS, query={
                'format': 'json', 'prefix': upload_id + '/', 'marker': marker})
            batch = resp.json if resp.status_int == 200 else []
            rows += batch
            if len(batch) < 10000:
                return rows
            marker = batch[-1]['name']

    def initiate(self, req, ident, bucket, key):
        self.s3.check_bucket(ident, bucket)
        tag_headers = s3tagging.put_headers(req)
        s3publicaccess.deny_public_request_acl(self.s3, req, ident.account, bucket)
        resp = self.s3.swift(ident, 'PUT', bucket + SEGMENTS)
        if resp.status_int >= 300:
            raise S3Error(_status_code(resp.status_int))
        upload_id = uuid.uuid4().hex
        headers = dict(self.s3._put_headers(req), **tag_headers)
        marker = {'key': key, 'headers': headers, 'initiator': ident.user}
        resp = self.s3.swift(ident, 'PUT', bucket + SEGMENTS, upload_id,
                             body=json.dumps(marker).encode(),
                             headers={'Content-Type': 'application/json'})
        if resp.status_int != 201:
            raise S3Error(_status_code(resp.status_int))
        return xml_response(element('InitiateMultipartUploadResult', [
            ('Bucket', bucket), ('Key', key), ('UploadId', upload_id)]))

    def _part_target(self, req, ident, bucket, key):
        """(upload_id, part number) of an UploadPart(Copy), the upload checked."""
        try:
            number = int(req.GET.get('partNumber', ''))
        except ValueError:
            number = 0
        if not 1 <= number <= MAX_PARTS:
            raise S3Error('InvalidArgument', 'Part number must be an integer between 1 and '
                                             '10000, inclusive')
        upload_id = req.GET['uploadId']
        if self._marker(ident, bucket, upload_id)['key'] != key:
            raise S3Error('NoSuchUpload', UploadId=upload_id)
        return upload_id, number

    def upload_part(self, req, ident, bucket, key):
        upload_id, number = self._part_target(req, ident, bucket, key)
        reader, length = s3body.request_body(req)
        if length > self.s3.proxy.max_file_size:
            raise S3Error('EntityTooLarge')
        headers = {'Content-Type': 'application/octet-stream'}
        if req.headers.get('Content-MD5'):
            import base64
            try:
                headers['ETag'] = binascii.hexlify(base64.b64decode(
                    req.headers['Content-MD5'], validate=True)).decode()
            except (ValueError, binascii.Error):
                raise S3Error('InvalidDigest') from None
        resp = self.s3.swift(ident, 'PUT', bucket + SEGMENTS, f'{upload_id}/{number:05d}',
                             headers=headers, reader=reader, length=length)
        if resp.status_int != 201:
            raise S3Error(_status_code(resp.status_int))
        out = webob.Response(status=200, headers={'ETag': _quote_etag(resp.headers['ETag'])})
        if 'Last-Modified' in resp.headers:    # the part's, as Swift's s3api answers
            out.headers['Last-Modified'] = resp.headers['Last-Modified']
        return out

    def upload_part_copy(self, req, ident, bucket, key):
        """A part copied from (a byte range of) an object the caller may read."""
        upload_id, number = self._part_target(req, ident, bucket, key)
        sb, sk = self.s3.copy_source(req)
        version = self.s3.copy_source_version(req)
        # the version the source names, not the current one
        query = {'version-id': version} if version else None
        wanted = _copy_range(req.headers.get('x-amz-copy-source-range'))
        head = self.s3.swift(ident, 'HEAD', sb, sk, query=query)
        if head.status_int >= 300:
            self.s3.object_error(ident, sb, sk, head.status_int)
        size = int(head.headers.get('Content-Length') or 0)
        headers = {}
        if wanted is not None:
            first, last = wanted
            if last >= size:
                raise S3Error('InvalidRange', 'The requested range is not satisfiable',
                              ActualObjectSize=size)
            headers['Range'] = f'bytes={first}-{last}'
            length = last - first + 1
        else:
            length = size
        if length > self.s3.proxy.max_file_size:
            raise S3Error('EntityTooLarge')
        src = self.s3.swift(ident, 'GET', sb, sk, query=query, headers=headers)
        if src.status_int not in (200, 206) or int(src.headers.get('Content-Length', -1)) \
                != length:
            src.app_iter = []
            self.s3.object_error(ident, sb, sk, src.status_int if src.status_int >= 300
                                 else 409)
        resp = self.s3.swift(ident, 'PUT', bucket + SEGMENTS, f'{upload_id}/{number:05d}',
                             headers={'Content-Type': 'application/octet-stream'},
                             reader=IterReader(src.app_iter), length=length)
        if resp.status_int != 201:
            raise S3Error(_status_code(resp.status_int))
        out = xml_response(element('CopyPartResult', [
            ('LastModified', s3_time(resp.headers.get('X-Timestamp') and _iso(
                resp.headers['X-Timestamp']))),
            ('ETag', _quote_etag(resp.headers['ETag']))]))
        if version:
            out.headers['x-amz-copy-source-version-id'] = version
        return out

    def list_parts(self, req, ident, bucket, key):
        upload_id = req.GET['uploadId']
        marker = self._marker(ident, bucket, upload_id)
        if marker['key'] != key:
            raise S3Error('NoSuchUpload', UploadId=upload_id)
        try:
            max_parts = min(int(req.GET.get('max-parts', 1000)), 1000)
            after = int(req.GET.get('part-number-marker', 0))
        except ValueError:
            raise S3Error('InvalidArgument') from None
        parts = [p for p in self._parts(ident, bucket, upload_id)
                 if int(p['name'].rsplit('/', 1)[1]) > after]
        truncated = len(parts) > max_parts
        parts = parts[:max_parts]
        user = _initiator(marker, ident)
        # in the order of S3's schema (Swift's s3api validates it)
        root = element('ListPartsResult', [
            ('Bucket', bucket), ('Key', key), ('UploadId', upload_id),
            ('Initiator', user), ('Owner', user), ('StorageClass', 'STANDARD'),
            ('PartNumberMarker', after),
            ('NextPartNumberMarker',
             int(parts[-1]['name'].rsplit('/', 1)[1]) if parts else after),
            ('MaxParts', max_parts), ('IsTruncated', truncated)])
        for p in parts:
            add(root, 'Part', [('PartNumber', int(p['name'].rsplit('/', 1)[1])),
                               ('LastModified', s3_time(p['last_modified'])),
                               ('ETag', _quote_etag(p['hash'])), ('Size', p['bytes'])])
        return xml_response(root)

    def list_uploads(self, req, ident, bucket):
        self.s3.check_bucket(ident, bucket)
        resp = self.s3.swift(ident, 'GET', bucket + SEGMENTS, query={
            'format': 'json', 'delimiter': '/'})
        rows = resp.json if resp.status_int == 200 else []
        q = req.GET
        uploads = []
        for r in rows:
            if 'name' not in r:
                continue
            marker = self.s3.swift(ident, 'GET', bucket + SEGMENTS, r['name'])
            if marker.status_int != 200:
                continue
            info = json.loads(marker.body)
            if info.get('done'):
                continue
            key = info['key']
            if req.GET.get('prefix') and not key.startswith(req.GET['prefix']):
                continue
            user = _initiator(info, ident)
            uploads.append([('Key', key), ('UploadId', r['name']), ('Initiator', user),
                            ('Owner', user), ('StorageClass', 'STANDARD'),
                            ('Initiated', s3_time(r['last_modified']))])
        uploads.sort(key=lambda u: (u[0][1], u[5][1]))    # by key, then initiation
        last = uploads[-1] if len(uploads) > 1 else None   # (as Swift's s3api)
        # in the order of S3's schema (Swift's s3api validates it)
        root = element('ListMultipartUploadsResult', [
            ('Bucket', bucket), ('KeyMarker', q.get('key-marker', '')),
            ('UploadIdMarker', q.get('upload-id-marker', '')),
            ('NextKeyMarker', last[0][1] if last else ''),
            ('NextUploadIdMarker', last[1][1] if last else '')])
        if q.get('prefix'):
            add(root, 'Prefix', q['prefix'])
        add(root, 'MaxUploads', 1000)
        add(root, 'IsTruncated', False)
        for fields in uploads:
            add(root, 'Upload', fields)
        return xml_response(root)

    def complete(self, req, ident, bucket, key):
        upload_id = req.GET['uploadId']
        marker = self._marker(ident, bucket, upload_id, done_ok=True)
        if marker['key'] != key:
            raise S3Error('NoSuchUpload', UploadId=upload_id)
        if_none = _complete_conditions(req)
        if marker.get('done'):      # completed before: the same answer again
            return self._completed(req, bucket, key, marker['done'])
        if if_none and self.s3.swift(ident, 'HEAD', bucket, key).status_int < 300:
            raise S3Error('PreconditionFailed', Condition='If-None-Match')
        root = parse(req.body_file.read((1 << 20) + 1))
        wanted = []
        for p in root.findall('Part'):
            try:
                wanted.append((int(p.findtext('PartNumber')),
                               (p.findtext('ETag') or '').strip().strip('"')))
            except (TypeError, ValueError):
                raise S3Error('MalformedXML') from None
        if not wanted:
            raise S3Error('MalformedXML')
        if [n for n, _ in wanted] != sorted({n for n, _ in wanted}):
            raise S3Error('InvalidPartOrder')
        have = {int(p['name'].rsplit('/', 1)[1]): p
                for p in self._parts(ident, bucket, upload_id)}
        manifest, md5s = [], []
        for i, (n, etag) in enumerate(wanted):
            p = have.get(n)
            if p is None or p['hash'] != etag:
                raise S3Error('InvalidPart', PartNumber=n)
            if p['bytes'] < MIN_PART and i < len(wanted) - 1:
                raise S3Error('EntityTooSmall', ProposedSize=p['bytes'], MinSizeAllowed=MIN_PART)
            manifest.append({'path': f'/{bucket}{SEGMENTS}/{upload_id}/{n:05d}',
                             'etag': etag, 'size_bytes': p['bytes']})
            md5s.append(binascii.unhexlify(etag))
        s3_etag = hashlib.md5(b''.join(md5s)).hexdigest() + f'-{len(wanted)}'
        headers = dict(marker['headers'], **{'X-Object-Sysmeta-S3-Etag': s3_etag})
        resp = self.s3.swift(ident, 'PUT', bucket, key, query={'multipart-manifest': 'put'},
                             headers=headers, body=json.dumps(manifest).encode())
        if resp.status_int != 201:
            raise S3Error(_status_code(resp.status_int))
        used = {n for n, _ in wanted}
        for n in set(have) - used:
            self.s3.swift(ident, 'DELETE', bucket + SEGMENTS, f'{upload_id}/{n:05d}')
        # the marker stays a day as "done": completing again answers the same
        self.s3.swift(ident, 'PUT', bucket + SEGMENTS, upload_id,
                      body=json.dumps({'key': key, 'done': s3_etag}).encode(),
                      headers={'Content-Type': 'application/json',
                               'X-Delete-After': str(DONE_KEPT)})
        return self._completed(req, bucket, key, s3_etag)

    @staticmethod
    def _completed(req, bucket, key, s3_etag):
        return xml_response(element('CompleteMultipartUploadResult', [
            ('Location', req.host_url + urllib.parse.quote(f'/{bucket}/{key}')), ('Bucket', bucket), ('Key', key),
            ('ETag', _quote_etag(s3_etag))]))

    def abort(self, req, ident, bucket, key):
        upload_id = req.GET['uploadId']
        if self._marker(ident, bucket, upload_id)['key'] != key:   # another key's upload
            raise S3Error('NoSuchUpload', UploadId=upload_id)
        for p in self._parts(ident, bucket, upload_id):
            self.s3.swift(ident, 'DELETE', bucket + SEGMENTS, p['name'])
        self.s3.swift(ident, 'DELETE', bucket + SEGMENTS, upload_id)
        return webob.Response(status=204)


def _complete_conditions(req):
    """Whether CompleteMultipartUpload carries ``If-None-Match: *`` (the
    one condition Swift's s3api implements there; others are 501)."""
    for name in ('If-Match', 'If-Modified-Since', 'If-Unmodified-Since'):
        if name in req.headers:
            raise S3Error('NotImplemented')
    value = req.headers.get('If-None-Match')
    if value is not None and value.strip() != '*':
        raise S3Error('NotImplemented')
    return value is not None


def _copy_range(value):
    """(first, last) of x-amz-copy-source-range, None without one; a bad or
    reversed range is InvalidArgument (400)."""
    if value is None:
        return None
    m = re.fullmatch(r'bytes=(\d{1,19})-(\d{1,19})', value.strip())
    if not m or int(m.group(1)) > int(m.group(2)):
        raise S3Error('InvalidArgument', 'The x-amz-copy-source-range value must be of the '
                      'form bytes=first-last where first and last are the zero-based offsets '
                      'of the first and last bytes to copy')
    return int(m.group(1)), int(m.group(2))


def _iso(ts):
    return iso_ms(ts)


def _initiator(marker, ident):
    """ID / DisplayName of who started an upload (an upload started before
    this was kept: the caller)."""
    user = marker.get('initiator', ident.user)
    return [('ID', user), ('DisplayName', user)]
