"""S3 GetObject/HeadObject: S3's conditional headers (compared with the
S3 ETag, ``"<md5>-N"`` for multipart objects), ``?partNumber=`` and the
stored headers S3 keeps beside the content."""
import json
import time

import webob

from iaas.api.objectstore.s3 import versioning as s3versioning
from iaas.api.objectstore.s3.common import s3_etag
from iaas.api.objectstore.s3.xmldoc import S3Error, error_response

# headers S3 stores with an object and returns on GET/HEAD (Swift's object
# server allowed_headers): passed to Swift as they are
STORED = ('Cache-Control', 'Expires', 'Content-Language', 'X-Robots-Tag')
PASS = ('Content-Length', 'Content-Type', 'Content-Range', 'Last-Modified',
        'Content-Disposition', 'Content-Encoding', 'Accept-Ranges') + STORED
OVERRIDES = (('response-content-type', 'Content-Type'),
             ('response-content-language', 'Content-Language'),
             ('response-content-disposition', 'Content-Disposition'),
             ('response-content-encoding', 'Content-Encoding'),
             ('response-cache-control', 'Cache-Control'),
             ('response-expires', 'Expires'))


# AWS ignores user metadata whose name holds one of these (so does Swift's s3api)
META_IGNORED = ' "),/;<=>?@[\\]{}'


def meta_to_swift(name):
    """A user metadata name as stored: '_' as '=5F' (WSGI cannot tell it
    from '-'; Swift's s3api does the same, see :func:`meta_from_swift`)."""
    return name.replace('_', '=5F')


def meta_from_swift(name):
    return name.lower().replace('=5f', '_')


def etag_matches(condition, etag):
    """Whether an If-Match / If-None-Match value names ``etag`` (or is *)."""
    etag = etag.strip('"')
    for tag in condition.split(','):
        tag = tag.strip()
        if tag.startswith('W/'):
            tag = tag[2:]
        if tag == '*' or tag.strip('"') == etag:
            return True
    return False


def _part_range(s3, ident, bucket, key, number):
    """(Range header value or None, parts count) of part ``number``."""
    try:
        n = int(number)
    except ValueError:
        n = 0
    if not 1 <= n <= 10000:
        raise S3Error('InvalidArgument', 'Part number must be an integer between 1 and '
                                         '10000, inclusive', ArgumentName='partNumber')
    resp = s3.swift(ident, 'GET', bucket, key, query={'multipart-manifest': 'get'})
    if resp.status_int >= 300:
        s3.object_error(ident, bucket, key, resp.status_int)
    if not resp.headers.get('X-Static-Large-Object'):
        if n != 1:
            raise S3Error('InvalidPartNumber', 'The requested partnumber is not '
                          'satisfiable', 416)
        return None, None, None
    try:
        segments = json.loads(resp.body)
    except ValueError:
        segments = []
    if n > len(segments):
        raise S3Error('InvalidPartNumber', 'The requested partnumber is not satisfiable', 416)
    start = sum(int(s.get('bytes', 0)) for s in segments[:n - 1])
    size = int(segments[n - 1].get('bytes', 0))
    if size == 0:
        return None, len(segments), None
    return f'bytes={start}-{start + size - 1}', len(segments), (start, size)


def get_object(s3, req, ident, bucket, key):
    if_match, if_none = req.headers.get('If-Match'), req.headers.get('If-None-Match')
    headers = {}
    if 'Range' in req.headers:
        headers['Range'] = req.headers['Range']
    # If-Match decides alone when given; so does If-None-Match (as S3 does)
    if if_match is None and 'If-Unmodified-Since' in req.headers:
        headers['If-Unmodified-Since'] = req.headers['If-Unmodified-Since']
    if if_none is None and 'If-Modified-Since' in req.headers:
        headers['If-Modified-Since'] = req.headers['If-Modified-Since']
    parts = span = None
    if req.GET.get('partNumber') is not None:
        if 'Range' in req.headers:
            raise S3Error('InvalidRequest', 'Cannot specify both Range header and '
                          'partNumber query parameter')
        rng, parts, span = _part_range(s3, ident, bucket, key, req.GET['partNumber'])
        if rng:
            headers['Range'] = rng
    # a ranged HEAD answers as the ranged GET would (Swift's HEAD ignores Range)
    ranged_head = req.method == 'HEAD' and 'Range' in headers
    resp = s3.swift(ident, 'GET' if ranged_head else req.method, bucket, key, headers=headers)
    if ranged_head:
        _close(resp)
    status = resp.status_int
    if status == 304:
        return webob.Response(status=304, headers={'ETag': '"%s"' % s3_etag(resp.headers),
                                                   'Accept-Ranges': 'bytes'})
    if status == 404 and req.GET.get('versionId') is None:
        resp.app_iter = []
        marker = s3versioning.current_marker(s3, ident, bucket, key)
        if marker is not None:
            out = error_response('NoSuchKey', S3Error('NoSuchKey').message, 404,
                                 method=req.method, extra={'Key': key})
            out.headers['x-amz-delete-marker'] = 'true'
            out.headers['x-amz-version-id'] = marker
            return out
    if status >= 300:
        resp.app_iter = []
        s3.object_error(ident, bucket, key, status)
    etag = s3_etag(resp.headers)
    if if_match is not None and not etag_matches(if_match, etag):
        _close(resp)
        raise S3Error('PreconditionFailed', Condition='If-Match')
    if if_none is not None and etag_matches(if_none, etag):
        _close(resp)
        out = webob.Response(status=304, headers={'ETag': f'"{etag}"', 'Accept-Ranges': 'bytes'})
        if 'Last-Modified' in resp.headers:
            out.headers['Last-Modified'] = resp.headers['Last-Modified']
        return out
    out = webob.Response(status=status, charset=None)
    out.app_iter = resp.app_iter
    for k in PASS:
        if k in resp.headers:
            out.headers[k] = resp.headers[k]
    out.headers['ETag'] = f'"{etag}"'
    if parts is not None:
        out.headers['x-amz-mp-parts-count'] = str(parts)
        if span is not None and req.method == 'HEAD' and status == 200:
            total = out.headers.get('Content-Length', '*')
            out.status = 206
            out.headers['Content-Range'] = f'bytes {span[0]}-{sum(span) - 1}/{total}'
            out.headers['Content-Length'] = str(span[1])
    for k, v in resp.headers.items():
        lk = k.lower()
        if lk.startswith('x-object-meta-'):
            out.headers['x-amz-meta-' + meta_from_swift(k[14:])] = v
        elif lk == 'x-object-sysmeta-s3-tagging' and v:
            out.headers['x-amz-tagging-count'] = str(len(v.split('&')))
        elif lk == 'x-object-version-id' and v:     # a versioned bucket's (Swift's s3api)
            out.headers['x-amz-version-id'] = v
    if ranged_head:     # no body; the ranged GET's Content-Length kept
        length = out.headers.get('Content-Length')
        out.app_iter = []
        if length is not None:
            out.headers['Content-Length'] = length
    expiry = expiration(resp.headers.get('X-Delete-At'))
    if expiry:
        out.headers['x-amz-expiration'] = expiry
    for p, h in OVERRIDES:
        if req.GET.get(p):
            out.headers[h] = req.GET[p]
    return out


def expiration(delete_at):
    """x-amz-expiration of an object Swift expires at ``delete_at``."""
    try:
        when = int(delete_at)
    except (TypeError, ValueError):
        return None
    return 'expiry-date="%s", rule-id="swift-object-expiration"' % time.strftime(
        '%a, %d %b %Y %H:%M:%S GMT', time.gmtime(when))


def _close(resp):
    close = getattr(resp.app_iter, 'close', None)
    if close is not None:
        close()


def check_write_conditions(s3, req, ident, bucket, key):
    """If-Match / If-None-Match on a PUT (S3 conditional writes): 412
    PreconditionFailed when they do not hold, 404 NoSuchKey for If-Match on a
    missing key. S3 takes ``If-None-Match: *`` and ``If-Match: <ETag>``
    only; any other condition on a write is 501 NotImplemented, answered
    before anything is stored (as S3 and Swift's s3api answer it)."""
    if_match, if_none = req.headers.get('If-Match'), req.headers.get('If-None-Match')
    if 'If-Modified-Since' in req.headers or 'If-Unmodified-Since' in req.headers or \
            (if_none is not None and if_none.strip() != '*') or \
            (if_match is not None and if_match.strip() == '*'):
        raise S3Error('NotImplemented')
    if if_match is None and if_none is None:
        return
    head = s3.swift(ident, 'HEAD', bucket, key)
    if head.status_int == 404:
        if if_match is not None:
            s3.object_error(ident, bucket, key, 404)
        s3.check_bucket(ident, bucket)
        return
    if head.status_int >= 300:
        s3.object_error(ident, bucket, key, head.status_int)
    etag = s3_etag(head.headers)
    if if_match is not None and not etag_matches(if_match, etag):
        raise S3Error('PreconditionFailed', Condition='If-Match')
    if if_none is not None and etag_matches(if_none, etag):
        raise S3Error('PreconditionFailed', Condition='If-None-Match')
