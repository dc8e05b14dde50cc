"""S3 operations beyond the basic bucket/object calls: functions
``fn(s3, req, ident, bucket[, key])`` named in subresources.OPERATIONS
(owner 'ext'), ``s3`` being the :class:`iaas.api.objectstore.s3.app.S3`."""

from iaas.api.objectstore import listing
from iaas.api.objectstore.s3.common import s3_etag, s3_time
from iaas.api.objectstore.s3.xmldoc import S3Error, add, element, xml_response
from iaas.api.objectstore.s3.xmldoc import max_keys as parse_max_keys


def _s3_time(iso):
    return s3_time(iso)


def versions_page(resp, bucket, q, max_keys, kmarker, vmarker=None):
    """(rows, truncated, ListVersionsResult root with its head elements) of
    a ListObjectVersions page from the Swift listing answer ``resp``."""
    if resp.status_int == 404:
        raise S3Error('NoSuchBucket', BucketName=bucket)
    if resp.status_int >= 300:
        raise S3Error('ServiceUnavailable')
    rows = resp.json if resp.status_int == 200 else []
    truncated = len(rows) > max_keys
    rows = rows[:max_keys]
    root = element('ListVersionsResult', [
        ('Name', bucket), ('Prefix', q.get('prefix', '')), ('KeyMarker', kmarker),
        ('VersionIdMarker', q.get('version-id-marker', '') if vmarker is None else vmarker),
        ('MaxKeys', max_keys)])
    if 'delimiter' in q:    # even when blank (Swift's s3api, unlike ListObjects)
        add(root, 'Delimiter', q.get('delimiter', ''))
    add(root, 'IsTruncated', truncated)
    return rows, truncated, root


# --- versions without versioning (see versioning for the real thing) -------------
def list_versions(s3, req, ident, bucket):
    """ListObjectVersions of a bucket that never had versioning: each
    current object is its only ("null") version."""
    q = req.GET
    max_keys = parse_max_keys(q)
    prefix, delimiter = q.get('prefix', ''), q.get('delimiter', '')
    marker = q.get('key-marker', '')
    query = {'format': 'json', 'limit': max_keys + 1}
    for k, v in (('prefix', prefix), ('delimiter', delimiter), ('marker', marker)):
        if v:
            query[k] = v
    resp = s3.swift(ident, 'GET', bucket, query=query)
    rows, truncated, root = versions_page(resp, bucket, q, max_keys, marker)
    if truncated and rows:
        add(root, 'NextKeyMarker', rows[-1].get('name') or rows[-1].get('subdir'))
        add(root, 'NextVersionIdMarker', 'null')
    owner = [('ID', ident.user), ('DisplayName', ident.user)]
    for r in rows:
        if 'subdir' in r:
            continue
        add(root, 'Version', [
            ('Key', r['name']), ('VersionId', 'null'), ('IsLatest', True),
            ('LastModified', _s3_time(r['last_modified'])),
            ('ETag', '"%s"' % listing.s3_etag(r)), ('Size', r['bytes']),
            ('Owner', owner), ('StorageClass', 'STANDARD')])
    for r in rows:
        if 'subdir' in r:
            add(root, 'CommonPrefixes', [('Prefix', r['subdir'])])
    return xml_response(root)


def null_version(s3, req, ident, bucket, key):
    """GET/HEAD/DELETE ?versionId=null of a bucket without versioning: the
    current object; any other version id is not implemented here."""
    if req.GET.get('versionId') != 'null':
        raise S3Error('NotImplemented')
    if req.method == 'DELETE':
        return s3.delete_object(req, ident, bucket, key)
    return s3.get_object(req, ident, bucket, key)


# --- object lock ---------------------------------------------------------------------
def get_object_lock(s3, req, ident, bucket):
    """GetObjectLockConfiguration: no bucket here has object lock (Swift's
    s3api answers the same; PutObjectLockConfiguration is 501)."""
    s3.check_bucket(ident, bucket)
    raise S3Error('ObjectLockConfigurationNotFoundError', BucketName=bucket)


# --- GetObjectAttributes -------------------------------------------------------------
ATTRIBUTES = ('ETag', 'Checksum', 'ObjectParts', 'StorageClass', 'ObjectSize')


def get_attributes(s3, req, ident, bucket, key):
    import json

    wanted = [a.strip() for a in req.headers.get('x-amz-object-attributes', '').split(',')
              if a.strip()]
    if not wanted or any(a not in ATTRIBUTES for a in wanted):
        raise S3Error('InvalidArgument', 'Invalid attribute name specified.')
    try:
        max_parts = min(int(req.headers.get('x-amz-max-parts', 1000)), 1000)
        marker = int(req.headers.get('x-amz-part-number-marker', 0))
    except ValueError:
        raise S3Error('InvalidArgument', 'max-parts and part-number-marker must be '
                                         'integers') from None
    resp = s3.swift(ident, 'GET', bucket, key, query={'multipart-manifest': 'get'})
    if resp.status_int >= 300:
        s3.object_error(ident, bucket, key, resp.status_int)
    head = s3.swift(ident, 'HEAD', bucket, key)
    if head.status_int >= 300:
        s3.object_error(ident, bucket, key, head.status_int)
    root = element('GetObjectAttributesResponse')
    if 'ETag' in wanted:
        add(root, 'ETag', s3_etag(head.headers))
    if 'ObjectParts' in wanted and resp.headers.get('X-Static-Large-Object'):
        try:
            segments = json.loads(resp.body)
        except ValueError:
            segments = []
        parts = [(n, int(s.get('bytes', 0))) for n, s in enumerate(segments, 1) if n > marker]
        shown = parts[:max_parts]
        fields = [('PartsCount', len(segments)), ('PartNumberMarker', marker)]
        if shown:
            fields.append(('NextPartNumberMarker', shown[-1][0]))
        fields += [('MaxParts', max_parts), ('IsTruncated', len(parts) > max_parts)]
        fields += [('Part', [('PartNumber', n), ('Size', size)]) for n, size in shown]
        add(root, 'ObjectParts', fields)
    if 'StorageClass' in wanted:
        add(root, 'StorageClass', 'STANDARD')
    if 'ObjectSize' in wanted:
        add(root, 'ObjectSize', head.headers.get('Content-Length', '0'))
    out = xml_response(root)
    if 'Last-Modified' in head.headers:
        out.headers['Last-Modified'] = head.headers['Last-Modified']
    return out
