"""S3 bucket versioning on top of Swift's object versioning
(:mod:`iaas.api.objectstore.middleware.object_versioning`): the handlers named
in subresources (see /tmp/s3-versioning-contract in the history) as
``HANDLERS[name](s3, req, ident, bucket, key)``.

Enabled = ``X-Versions-Enabled: true``, Suspended = ``false`` (versions
kept); S3 version ids are the Swift ones, ``null`` for objects written while
versioning was off. Plain PUT/COPY/DELETE go through the normal S3 handlers
(run here with an adapter that sees the Swift answers) so that their answers
carry ``x-amz-version-id`` / ``x-amz-delete-marker``.
"""
import urllib.parse

import webob

from iaas.api.objectstore import listing
from iaas.api.objectstore.middleware.object_versioning import versions_container, vname
from iaas.api.objectstore.middleware.versioned_writes import DELETE_MARKER
from iaas.api.objectstore.s3 import ext as s3ext
from iaas.api.objectstore.s3 import objects as s3object
from iaas.api.objectstore.s3.xmldoc import (
    S3Error,
    add,
    element,
    error_response,
    parse,
    xml_response,
)
from iaas.api.objectstore.s3.xmldoc import max_keys as parse_max_keys


def _time(iso):
    return iso[:23] + 'Z' if iso else ''


def _state(s3, ident, bucket):
    resp = s3.swift(ident, 'HEAD', bucket)
    if resp.status_int == 404:
        raise S3Error('NoSuchBucket', BucketName=bucket)
    if resp.status_int >= 300:
        raise S3Error('ServiceUnavailable')
    value = resp.headers.get('X-Versions-Enabled')
    return None if value is None else value.lower() == 'true'


# --- bucket -----------------------------------------------------------------------------------
def get_bucket_versioning(s3, req, ident, bucket, key=None):
    state = _state(s3, ident, bucket)
    root = element('VersioningConfiguration')
    if state is not None:
        add(root, 'Status', 'Enabled' if state else 'Suspended')
    return xml_response(root)


def put_bucket_versioning(s3, req, ident, bucket, key=None):
    _state(s3, ident, bucket)
    root = parse(req.body_file.read((1 << 16) + 1))
    if root.tag != 'VersioningConfiguration':
        raise S3Error('MalformedXML')
    status = root.findtext('Status')
    if status not in ('Enabled', 'Suspended'):    # missing, blank or unknown (Swift's s3api)
        raise S3Error('MalformedXML')
    resp = s3.swift(ident, 'POST', bucket,
                    headers={'X-Versions-Enabled': 'true' if status == 'Enabled' else 'false'})
    if resp.status_int >= 300:
        raise S3Error('AccessDenied' if resp.status_int in (401, 403) else 'ServiceUnavailable')
    return webob.Response(status=200)


def list_object_versions(s3, req, ident, bucket, key=None):
    q = req.GET
    max_keys = parse_max_keys(q)
    prefix, delimiter = q.get('prefix', ''), q.get('delimiter', '')
    kmarker, vmarker = q.get('key-marker', ''), q.get('version-id-marker', '')
    if vmarker and not kmarker:
        raise S3Error('InvalidArgument', 'A version-id marker cannot be specified without '
                                         'a key marker.')
    query = {'versions': '', 'format': 'json', 'limit': max_keys + 1}
    for k, v in (('prefix', prefix), ('delimiter', delimiter), ('marker', kmarker),
                 ('version_marker', vmarker)):
        if v:
            query[k] = v
    resp = s3.swift(ident, 'GET', bucket, query=query)
    if resp.status_int == 400 and vmarker:
        raise S3Error('InvalidArgument', 'Invalid version id specified')
    rows, truncated, root = s3ext.versions_page(resp, bucket, q, max_keys, kmarker, vmarker)
    if truncated and rows:
        last = rows[-1]
        add(root, 'NextKeyMarker', last.get('name') or last.get('subdir'))
        if 'name' in last:
            add(root, 'NextVersionIdMarker', last['version_id'])
    owner = [('ID', ident.account), ('DisplayName', ident.account)]
    for r in rows:
        if 'subdir' in r:
            continue
        common = [('Key', r['name']), ('VersionId', r['version_id']),
                  ('IsLatest', bool(r['is_latest'])),
                  ('LastModified', _time(r['last_modified']))]
        if r.get('content_type') == DELETE_MARKER:
            add(root, 'DeleteMarker', common + [('Owner', owner)])
        else:
            add(root, 'Version', common + [
                ('ETag', '"%s"' % listing.s3_etag(r)), ('Size', r['bytes']),
                ('Owner', owner), ('StorageClass', 'STANDARD')])
    for r in rows:
        if 'subdir' in r:
            add(root, 'CommonPrefixes', [('Prefix', r['subdir'])])
    return xml_response(root)


# --- one version ------------------------------------------------------------------------------
class _Adapter:
    """The S3 object, with Swift subrequests on ``bucket/key`` sent to one
    version (``version``) and the last version id seen kept."""

    def __init__(self, s3, version=None, copy_version=None):
        self._s3, self._version, self._copy_version = s3, version, copy_version
        self.version_id = None

    def __getattr__(self, name):
        return getattr(self._s3, name)

    def swift(self, ident, method, container=None, obj=None, query=None, headers=None,
              **kw):
        if obj is not None and self._version is not None:
            query = dict(query or {}, **{'version-id': self._version})
        if headers and headers.get('X-Copy-From') and self._copy_version not in (None,
                                                                                  'null'):
            src = urllib.parse.unquote(headers['X-Copy-From']).lstrip('/')
            sc, _, so = src.partition('/')
            headers = dict(headers, **{'X-Copy-From': urllib.parse.quote(
                f'/{versions_container(sc)}/{vname(so, self._copy_version)}')})
        resp = self._s3.swift(ident, method, container, obj, query=query, headers=headers,
                              **kw)
        if obj is not None and resp.headers.get('X-Object-Version-Id'):
            self.version_id = resp.headers['X-Object-Version-Id']
        return resp


def _version_id(req):
    vid = req.GET.get('versionId', '')
    if vid != 'null':
        try:
            float(vid)
        except ValueError:
            raise S3Error('InvalidArgument', 'Invalid version id specified') from None
    return vid


def get_object_version(s3, req, ident, bucket, key):
    vid = _version_id(req)
    probe = s3.swift(ident, 'HEAD', bucket, key, query={'version-id': vid})
    if probe.status_int == 404 and _is_marker(s3, ident, bucket, key, vid):
        resp = error_response('MethodNotAllowed', S3Error('MethodNotAllowed').message, 405,
                              '/' + bucket + '/' + key, req.method)
        resp.headers['x-amz-delete-marker'] = 'true'
        resp.headers['x-amz-version-id'] = vid
        return resp
    if probe.status_int == 404:
        s3.check_bucket(ident, bucket)
        raise S3Error('NoSuchVersion', 'The specified version does not exist.', 404,
                      Key=key, VersionId=vid)
    resp = s3object.get_object(_Adapter(s3, vid), req, ident, bucket, key)
    resp.headers['x-amz-version-id'] = vid
    return resp


head_object_version = get_object_version


def _is_marker(s3, ident, bucket, key, vid):
    if vid == 'null':
        return False
    return any(r.get('version_id') == vid and r.get('content_type') == DELETE_MARKER
               for r in _rows(s3, ident, bucket, key))


def current_marker(s3, ident, bucket, key):
    """The version id of the delete marker that is ``key``'s latest version
    in a bucket that has had versioning, else None (S3 answers a GET/HEAD of
    such a key 404 with ``x-amz-delete-marker: true``)."""
    head = s3.swift(ident, 'HEAD', bucket)
    if head.status_int >= 300 or head.headers.get('X-Versions-Enabled') is None:
        return None
    rows = _rows(s3, ident, bucket, key)
    latest = [r for r in rows if r.get('is_latest')]
    if latest and latest[0].get('content_type') == DELETE_MARKER:
        return latest[0].get('version_id')
    return None


def _rows(s3, ident, bucket, key):
    resp = s3.swift(ident, 'GET', bucket, query={'versions': '', 'format': 'json',
                                                 'prefix': key})
    rows = resp.json if resp.status_int == 200 else []
    return [r for r in rows if r.get('name') == key]


def _delete_version(s3, ident, bucket, key, vid):
    """(status, was a delete marker). As in S3, deleting the latest version
    makes the newest remaining one (unless a delete marker) current again."""
    rows = _rows(s3, ident, bucket, key)
    mine = [r for r in rows if r.get('version_id') == vid]
    marker = bool(mine) and mine[0].get('content_type') == DELETE_MARKER
    resp = s3.swift(ident, 'DELETE', bucket, key, query={'version-id': vid})
    if mine and mine[0].get('is_latest') and vid != 'null':
        rest = [r for r in rows if r.get('version_id') != vid]
        if rest and rest[0].get('content_type') != DELETE_MARKER and \
                rest[0].get('version_id') != 'null':
            s3.swift(ident, 'PUT', bucket, key, query={'version-id': rest[0]['version_id']})
    return resp.status_int, marker


def delete_object_version(s3, req, ident, bucket, key):
    vid = _version_id(req)
    s3.check_bucket(ident, bucket)
    status, marker = _delete_version(s3, ident, bucket, key, vid)
    if status >= 300 and status != 404:
        raise S3Error('AccessDenied' if status in (401, 403) else 'ServiceUnavailable')
    out = webob.Response(status=204)
    out.headers['x-amz-version-id'] = vid
    if marker:
        out.headers['x-amz-delete-marker'] = 'true'
    return out


def delete_object(s3, req, ident, bucket, key):
    state = _state(s3, ident, bucket)
    if state is None:
        return s3.delete_object(req, ident, bucket, key)
    resp = s3.swift(ident, 'DELETE', bucket, key)
    if resp.status_int >= 300 and resp.status_int != 404:
        raise S3Error('AccessDenied' if resp.status_int in (401, 403) else 'ServiceUnavailable')
    out = webob.Response(status=204)
    if state:
        out.headers['x-amz-delete-marker'] = 'true'
        out.headers['x-amz-version-id'] = resp.headers.get('X-Object-Version-Id', '')
    return out


def multi_delete_entry(s3, ident, bucket, key, version):
    if version:
        status, marker = _delete_version(s3, ident, bucket, key, version)
        return {'status': 204 if status == 404 else status, 'DeleteMarker': marker or None,
                'DeleteMarkerVersionId': version if marker else None}
    state = _state(s3, ident, bucket)
    if state is None:
        return {'status': s3._delete(ident, bucket, key)}
    resp = s3.swift(ident, 'DELETE', bucket, key)
    status = 204 if resp.status_int == 404 else resp.status_int
    if state:
        return {'status': status, 'DeleteMarker': True,
                'DeleteMarkerVersionId': resp.headers.get('X-Object-Version-Id')}
    return {'status': status}


def put_object(s3, req, ident, bucket, key):
    adapter = _Adapter(s3)
    resp = type(s3).put_object(adapter, req, ident, bucket, key)
    if adapter.version_id and adapter.version_id != 'null':
        resp.headers['x-amz-version-id'] = adapter.version_id
    return resp


def copy_object(s3, req, ident, bucket, key):
    src = urllib.parse.unquote(req.headers.get('x-amz-copy-source', ''))
    src_version = None
    if '?' in src:
        src_version = urllib.parse.parse_qs(src.split('?', 1)[1]).get('versionId', [None])[0]
    adapter = _Adapter(s3, copy_version=src_version)
    resp = type(s3).copy_object(adapter, req, ident, bucket, key)
    if adapter.version_id and adapter.version_id != 'null':
        resp.headers['x-amz-version-id'] = adapter.version_id
    if src_version:
        resp.headers['x-amz-copy-source-version-id'] = src_version
    return resp


HANDLERS = {
    'get_bucket_versioning': get_bucket_versioning,
    'put_bucket_versioning': put_bucket_versioning,
    'list_object_versions': list_object_versions,
    'get_object_version': get_object_version,
    'head_object_version': head_object_version,
    'delete_object_version': delete_object_version,
    'delete_object': delete_object,
    'put_object': put_object,
    'copy_object': copy_object,
    'multi_delete_entry': multi_delete_entry,
}
