"""S3 operations beyond the basic bucket/object calls: functions
``fn(s3, req, ident, bucket[, key])`` named in s3subresources.OPERATIONS
(owner 'ext'), ``s3`` being the :class:`iaas.objectstore.s3api.S3`."""
import webob

from iaas.objectstore import listing
from iaas.objectstore.s3xml import S3Error, add, element, xml_response
from iaas.objectstore.s3xml import max_keys as parse_max_keys


def _s3_time(iso):
    from iaas.objectstore.s3api import s3_time
    return s3_time(iso)


# --- versions without versioning (see s3versioning for the real thing) -------------
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
    if resp.status_int == 404:
        raise S3Error('NoSuchBucket', BucketName=bucket)
    if resp.status_int >= 300:
        raise S3Error('ServiceUnavailable')
    rows = resp.json if resp.status_int == 200 else []
    truncated = len(rows) > max_keys
    rows = rows[:max_keys]
    root = element('ListVersionsResult', [
        ('Name', bucket), ('Prefix', prefix), ('KeyMarker', marker),
        ('VersionIdMarker', q.get('version-id-marker', '')), ('MaxKeys', max_keys)])
    if 'delimiter' in q:    # even when blank (Swift's s3api, unlike ListObjects)
        add(root, 'Delimiter', delimiter)
    add(root, 'IsTruncated', truncated)
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


# --- ACLs: the owner's FULL_CONTROL, and on buckets public read/write --------------
CANNED = ('private', 'public-read', 'public-read-write', 'authenticated-read',
          'aws-exec-read', 'bucket-owner-read', 'bucket-owner-full-control',
          'log-delivery-write')
# a bucket's canned ACL as its container's Swift ACLs (X-Container-Read,
# X-Container-Write), as Swift's s3api translates them; '' removes one
PUBLIC_READ = '.r:*,.rlistings'
SWIFT_ACLS = {'private': ('', ''), 'bucket-owner-full-control': ('', ''),
              'bucket-owner-read': ('', ''), 'public-read': (PUBLIC_READ, ''),
              'public-read-write': (PUBLIC_READ, '.r:*')}
ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers'
XSI_TYPE = '{http://www.w3.org/2001/XMLSchema-instance}type'


def _canned_of(ident, root):
    """The canned ACL an AccessControlPolicy document amounts to: the
    owner's FULL_CONTROL plus AllUsers READ (and WRITE); anything else is
    not implemented."""
    perms = set()
    for g in root.findall('AccessControlList/Grant'):
        grantee, perm = g.find('Grantee'), g.findtext('Permission')
        kind = grantee.get(XSI_TYPE) if grantee is not None else None
        if kind == 'CanonicalUser' and grantee.findtext('ID') == ident.user and \
                perm == 'FULL_CONTROL':
            perms.add('owner')
        elif kind == 'Group' and grantee.findtext('URI') == ALL_USERS and \
                perm in ('READ', 'WRITE'):
            perms.add(perm)
        else:
            raise S3Error('NotImplemented')
    if 'owner' not in perms:
        raise S3Error('NotImplemented')
    return 'public-read-write' if 'WRITE' in perms else \
        'public-read' if 'READ' in perms else 'private'


def put_acl(s3, req, ident, bucket, key=None):
    """PutBucketAcl / PutObjectAcl: a bucket's private / public-read /
    public-read-write become its container's Swift ACLs (as Swift's s3api);
    an object keeps its owner's FULL_CONTROL only (private accepted as a
    no-op). Any other grant is not implemented (501), nothing is changed."""
    from iaas.objectstore.s3xml import parse
    s3.check_bucket(ident, bucket)
    if key is not None:
        head = s3.swift(ident, 'HEAD', bucket, key)
        if head.status_int >= 300:
            s3.object_error(ident, bucket, key, head.status_int)
    canned = req.headers.get('x-amz-acl')
    grants = [h for h in req.headers if h.lower().startswith('x-amz-grant-')]
    body = req.body_file.read((1 << 16) + 1)
    if canned is not None and canned not in CANNED:
        raise S3Error('InvalidArgument', 'Invalid canned ACL', ArgumentName='x-amz-acl',
                      ArgumentValue=canned)
    if (canned is not None) + bool(grants) + bool(body.strip()) > 1:
        raise S3Error('InvalidRequest', 'Specifying both Canned ACLs and Header Grants '
                      'or an ACL body is not allowed')
    from iaas.objectstore import s3publicaccess
    s3publicaccess.deny_public_acl(s3, ident.account, bucket, canned,
                                   [req.headers[h] for h in grants])
    if grants:
        raise S3Error('NotImplemented')
    if body.strip():
        canned = _canned_of(ident, parse(body))
    elif canned is None:
        raise S3Error('MissingSecurityHeader', 'Your request was missing a required header',
                      400, MissingHeaderName='x-amz-acl')
    if canned not in SWIFT_ACLS or (key is not None and canned != 'private'):
        raise S3Error('NotImplemented')
    if key is None:
        read, write = SWIFT_ACLS[canned]
        resp = s3.swift(ident, 'POST', bucket,
                        headers={'X-Container-Read': read, 'X-Container-Write': write})
        if resp.status_int >= 300:
            raise S3Error('AccessDenied' if resp.status_int in (401, 403)
                          else 'ServiceUnavailable')
    return webob.Response(status=200)


def public_grants(info):
    """[permission] AllUsers has on a bucket, from its container's ACLs."""
    def public(value):
        return '.r:*' in {v.strip() for v in (value or '').split(',')}
    return [p for p, acl in (('READ', info.get('read')), ('WRITE', info.get('write')))
            if public(acl)]


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

    from iaas.objectstore.s3object import s3_etag
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
