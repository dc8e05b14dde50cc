"""S3 tagging: object tag sets (Put/Get/DeleteObjectTagging, ``x-amz-tagging``
on PutObject / CopyObject / CreateMultipartUpload) and bucket tag sets
(Put/Get/DeleteBucketTagging).

An object's tags are its ``X-Object-Sysmeta-S3-Tagging`` (the tag set
URL-encoded, in order: ``k1=v1&k2=v2``), written with the object or by a
POST that re-sends the object's metadata unchanged; a bucket's are its
``Tagging`` document (:mod:`config`). S3's limits: 10 tags per object, 50
per bucket, keys 1–128 and values 0–256 characters, no key twice; a tag set
is kept in key order.
"""
import urllib.parse

import webob

from iaas.api.objectstore.s3 import config as s3config
from iaas.api.objectstore.s3.xmldoc import S3Error, add, element, parse, xml_response

SYSMETA = 'X-Object-Sysmeta-S3-Tagging'
MAX_OBJECT_TAGS = 10
MAX_BUCKET_TAGS = 50
MAX_KEY, MAX_VALUE = 128, 256
MAX_HEADER = 8192
MAX_XML = 64 * 1024
# what a tagging POST re-sends so that the object's metadata stays as it was
KEEP = ('content-type', 'content-disposition', 'content-encoding', 'cache-control',
        'content-language', 'expires', 'x-robots-tag', 'x-delete-at', 'x-object-manifest')


def invalid(message):
    return S3Error('InvalidTag', message, 400)


def check(tags, limit):
    """Refuse a tag set over S3's limits (InvalidTag)."""
    if len(tags) > limit:
        raise invalid('Object tags cannot be greater than %d' % limit)
    seen = set()
    for k, v in tags:
        if not 1 <= len(k) <= MAX_KEY:
            raise invalid('The TagKey you have provided is invalid')
        if len(v) > MAX_VALUE:
            raise invalid('The TagValue you have provided is invalid')
        if k in seen:
            raise invalid('Cannot provide multiple Tags with the same key')
        seen.add(k)
    return sorted(tags)     # kept and answered in key order (as S3 and RGW answer)


def parse_xml(req, limit):
    """[(key, value)] of a <Tagging><TagSet><Tag>… request body."""
    return tags_of(s3config.read_xml(req, MAX_XML), limit)


def tags_of(root, limit):
    """[(key, value)] of a parsed <Tagging> document, checked."""
    tagset = root.find('TagSet')
    if root.tag != 'Tagging' or tagset is None:
        raise S3Error('MalformedXML')
    tags = []
    for tag in tagset:
        if tag.tag != 'Tag' or tag.find('Key') is None:
            raise S3Error('MalformedXML')
        tags.append((tag.findtext('Key') or '', tag.findtext('Value') or ''))
        if len(tags) > limit:
            break       # InvalidTag (check), whatever follows
    return check(tags, limit)


def parse_header(value):
    """[(key, value)] of an x-amz-tagging header (URL query encoded)."""
    if len(value) > MAX_HEADER:
        raise invalid('The header x-amz-tagging is too long')
    try:
        tags = urllib.parse.parse_qsl(value, keep_blank_values=True, errors='strict')
    except (ValueError, UnicodeDecodeError):
        raise invalid('The header x-amz-tagging is invalid') from None
    return check(tags, MAX_OBJECT_TAGS)


def encode(tags):
    return urllib.parse.urlencode(tags, quote_via=urllib.parse.quote)


def decode(value):
    return urllib.parse.parse_qsl(value or '', keep_blank_values=True)


def tagset_response(tags):
    root = element('Tagging')
    tagset = add(root, 'TagSet')
    for k, v in tags:
        add(tagset, 'Tag', [('Key', k), ('Value', v)])
    return xml_response(root)


# --- hooks for the writes ---------------------------------------------------------------
def put_headers(req):
    """The Swift headers storing a PutObject's / CreateMultipartUpload's
    x-amz-tagging (none when it has none)."""
    value = req.headers.get('x-amz-tagging')
    if value is None:
        return {}
    return {SYSMETA: encode(parse_header(value))}


def post_headers(value):
    """The Swift headers storing a POST Object form's ``tagging`` field (a
    <Tagging> document)."""
    if len(value) > MAX_XML:
        raise S3Error('MaxMessageLengthExceeded', 'Your request was too big.', 400)
    return {SYSMETA: encode(tags_of(parse(value.encode()), MAX_OBJECT_TAGS))}


def copy_headers(req):
    """CopyObject: x-amz-tagging-directive COPY (default: the copy keeps the
    source's tags) or REPLACE (the request's x-amz-tagging, or none)."""
    directive = req.headers.get('x-amz-tagging-directive', 'COPY')
    if directive not in ('COPY', 'REPLACE'):
        raise S3Error('InvalidArgument', 'Unknown tagging directive.',
                      ArgumentName='x-amz-tagging-directive', ArgumentValue=directive)
    if directive == 'COPY':
        return {}
    return put_headers(req) or {SYSMETA: ''}


# --- objects ----------------------------------------------------------------------------
def _head(s3, req, ident, bucket, key):
    if req.GET.get('versionId') not in (None, 'null'):
        raise S3Error('NotImplemented', 'Tagging a version other than the current one is '
                                        'not implemented')
    resp = s3.swift(ident, 'HEAD', bucket, key)
    if resp.status_int >= 300:
        s3.object_error(ident, bucket, key, resp.status_int)
    return resp


def get_object_tagging(s3, req, ident, bucket, key):
    head = _head(s3, req, ident, bucket, key)
    return tagset_response(decode(head.headers.get(SYSMETA)))


def _set_object_tags(s3, req, ident, bucket, key, tags):
    head = _head(s3, req, ident, bucket, key)
    headers = {k: v for k, v in head.headers.items()
               if k.lower().startswith('x-object-meta-') or k.lower() in KEEP}
    headers[SYSMETA] = encode(tags)
    resp = s3.swift(ident, 'POST', bucket, key, headers=headers)
    if resp.status_int >= 300:
        s3.object_error(ident, bucket, key, resp.status_int)
    return resp


def put_object_tagging(s3, req, ident, bucket, key):
    tags = parse_xml(req, MAX_OBJECT_TAGS)      # all checked before anything changes
    _set_object_tags(s3, req, ident, bucket, key, tags)
    return webob.Response(status=200)


def delete_object_tagging(s3, req, ident, bucket, key):
    _set_object_tags(s3, req, ident, bucket, key, [])
    return webob.Response(status=204)


# --- buckets ----------------------------------------------------------------------------
def get_bucket_tagging(s3, req, ident, bucket):
    tags = s3config.load(s3, ident.account, bucket, 'Tagging')
    if not tags:
        raise S3Error('NoSuchTagSet', 'The TagSet does not exist', 404, BucketName=bucket)
    return tagset_response([tuple(t) for t in tags])


def put_bucket_tagging(s3, req, ident, bucket):
    s3config.bucket_sysmeta(s3, ident.account, bucket)
    tags = parse_xml(req, MAX_BUCKET_TAGS)
    s3config.store(s3, ident, bucket, 'Tagging', tags or None)
    return webob.Response(status=204)


def delete_bucket_tagging(s3, req, ident, bucket):
    s3config.store(s3, ident, bucket, 'Tagging', None)
    return webob.Response(status=204)
