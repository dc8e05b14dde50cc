"""The S3 API on the proxy: each S3 request is authenticated (SigV4/V2),
then turned into Swift requests on the owner's account (``AUTH_…``), run
in-process through the proxy, and the answer turned back into S3's.

Buckets are containers; multipart uploads keep their parts in the
``<bucket>+segments`` container and complete into a static large object.
"""
import base64
import binascii
import importlib
import json
import logging
import math
import re
import time
import urllib.parse
import uuid

import webob

from iaas.api.objectstore import listing, policies
from iaas.api.objectstore.auth import AuthError
from iaas.api.objectstore.s3 import acl as s3acl
from iaas.api.objectstore.s3 import body as s3body
from iaas.api.objectstore.s3 import buckets as s3buckets
from iaas.api.objectstore.s3 import cors as s3cors
from iaas.api.objectstore.s3 import multipart as s3multipart
from iaas.api.objectstore.s3 import objects as s3object
from iaas.api.objectstore.s3 import post as s3post
from iaas.api.objectstore.s3 import publicaccess as s3publicaccess
from iaas.api.objectstore.s3 import sig as s3sig
from iaas.api.objectstore.s3 import tagging as s3tagging
from iaas.api.objectstore.s3.common import SEGMENTS, _quote_etag, _status_code, s3_time
from iaas.api.objectstore.s3.objects import META_IGNORED, meta_to_swift
from iaas.api.objectstore.s3.subresources import ALL as ALL_METHODS
from iaas.api.objectstore.s3.subresources import MODULES, OPERATIONS, classify  # noqa: F401
from iaas.api.objectstore.s3.xmldoc import (
    S3Error,
    add,
    element,
    error_response,
    parse,
    xml_response,
)
from iaas.api.objectstore.s3.xmldoc import max_keys as parse_max_keys
from iaas.objectstore.utils import MAX_OBJECT_NAME, S3_SUBREQUEST

LOG = logging.getLogger(__name__)
BUCKET_RE = re.compile(r'^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$')
IP_RE = re.compile(r'^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$')


def valid_bucket_name(name):
    """S3's (DNS-compliant) bucket naming rules, as Swift's s3api checks
    them on every bucket request."""
    return bool(BUCKET_RE.match(name)) and not IP_RE.match(name) and not any(
        s in name for s in ('..', '.-', '-.'))



def _creates(req, bucket):
    """Whether the request makes a new bucket, object or part (PutObject,
    CopyObject, CreateBucket, UploadPart, CreateMultipartUpload): what an
    enforced budget refuses. Subresource PUTs (ACLs, tags, configuration),
    deletes and completions are not new resources."""
    if not bucket:
        return False
    if req.method == 'PUT':
        return set(req.GET.keys()) <= {'partNumber', 'uploadId'}
    return req.method == 'POST' and 'uploads' in req.GET


class S3:
    def __init__(self, proxy, region='us-east-1'):
        self.proxy, self.region = proxy, region
        self.multipart = s3multipart.Multipart(self)
        self.versioning = _versioning_handlers()

    # --- entry ------------------------------------------------------------------
    def handle(self, req):
        resource = urllib.parse.unquote(req.path_info)
        request_id = 'tx' + uuid.uuid4().hex[:21]
        bucket = ''
        try:
            _check_content_length(req)
            _decode_path(req.environ)
            bucket, _, key = req.path_info.lstrip('/').partition('/')
            if s3post.is_post_object(req, bucket, key):
                resp = s3post.post_object(self, req, bucket)
            elif req.method == 'OPTIONS' and bucket:     # a CORS preflight: anonymous
                resp = s3cors.preflight(self, req, bucket)
            else:
                ident = self.authenticate(req) or self.anonymous(bucket)
                req.environ['iaas.s3.account'] = ident.account
                if _creates(req, bucket):
                    refusal = self.proxy.auth.budget_refusal(
                        ident, 'objects' if key else 'buckets')
                    if refusal:
                        raise S3Error('AccessDenied', refusal)
                resp = self.dispatch(req, ident)
        except S3Error as e:
            resp = error_response(e.code, e.message, e.status, resource, req.method,
                                  e.extra, request_id)
        except s3sig.S3AuthError as e:
            resp = error_response(e.code, e.message, e.status, resource, req.method,
                                  request_id=request_id)
        except Exception:
            LOG.exception('S3 %s %s failed', req.method, req.path)
            resp = error_response('InternalError', S3Error('InternalError').message, 500,
                                  resource, req.method, request_id=request_id)
        if req.headers.get('Origin') and req.environ.get('iaas.s3.account'):
            path = req.environ.get('iaas.s3.path', req.path_info)
            resp = s3cors.decorate(self, req, resp, req.environ['iaas.s3.account'],
                                   path.lstrip('/').partition('/')[0])
        if 'Content-Type' not in resp.headers and resp.status_int != 304:
            # Swift's default for answers without a body (UploadPart, abort, …)
            resp.headers['Content-Type'] = 'text/html; charset=UTF-8'
        if resp.status_int in (204, 304):     # (Swift's s3api says so on a 304 too)
            resp.headers['Content-Length'] = '0'
        resp.headers['x-amz-request-id'] = request_id
        resp.headers['x-amz-id-2'] = request_id
        return resp

    @staticmethod
    def bad_uri(req):
        """400 InvalidURI for a path or query that is not valid UTF-8."""
        return error_response('InvalidURI', 'Could not parse the specified URI.', 400, '',
                              req.method)

    def authenticate(self, req):
        """The identity that signed the request, None when it is unsigned."""
        sig = s3sig.parse(req)
        if sig is None:
            return None
        try:
            cred = self.proxy.auth.s3_credential(sig.access_key)
        except AuthError:
            raise S3Error('ServiceUnavailable') from None
        if cred is None:
            raise S3Error('InvalidAccessKeyId')
        secret, resolve = cred
        sig.check(secret, self.region)
        req.environ['iaas.s3.sig'] = sig
        try:
            return resolve()
        except AuthError as e:
            code = e.message if e.message in ('InvalidAccessKeyId', 'AccessDenied') \
                else 'AccessDenied'
            raise S3Error(code) from None

    def anonymous(self, bucket):
        """The identity of an unsigned request on ``bucket``: anonymous
        (:func:`s3acl.anonymous`) in the account the bucket index names;
        no bucket named is AccessDenied, one not indexed NoSuchBucket."""
        if not bucket:
            raise S3Error('AccessDenied', 'Anonymous access is not allowed')
        account = s3buckets.lookup(self, bucket)
        if account is None:
            raise S3Error('NoSuchBucket', BucketName=bucket)
        return s3acl.anonymous(account)

    def dispatch(self, req, ident):
        path = req.environ.get('iaas.s3.path', req.path_info).lstrip('/')
        bucket, _, key = path.partition('/')
        op = classify(req.method, bucket, key, req.GET, req.headers)
        # both before any storage is touched; a verb S3 does not have is not
        # allowed (as Swift's s3api answers it)
        if op == 'MethodNotAllowed' or req.method not in ALL_METHODS:
            raise S3Error('MethodNotAllowed')
        if op == 'NotImplemented':
            raise S3Error(op, 'The requested resource is not implemented')
        if bucket and not valid_bucket_name(bucket):
            raise S3Error('InvalidBucketName', BucketName=bucket)
        if op in ('PutObject', 'CopyObject', 'CreateMultipartUpload') and \
                len(key.encode()) > MAX_OBJECT_NAME:
            raise S3Error('KeyTooLongError', 'Your key is too long.')
        # the operation's policy rule on the caller's own account; an
        # anonymous caller has nothing but what the ACLs grant AllUsers
        if s3acl.is_anonymous(ident):
            if op in ('CreateBucket', 'ListBuckets'):
                raise S3Error('AccessDenied')
        elif not self.proxy.auth.policy_allows(ident, policies.S3[op], ident.account):
            raise S3Error('AccessDenied')
        if bucket and op != 'CreateBucket':
            s3acl.enforce(self, req, ident, op, bucket, key or None)
        handler = self.handler(op)
        if op == 'ListBuckets':
            return handler(req, ident)
        if not key:
            return handler(req, ident, bucket)
        return handler(req, ident, bucket, key)

    def handler(self, op):
        """The callable of an operation (see subresources.OPERATIONS)."""
        owner, name, *fallback = OPERATIONS[op]
        if owner == 'multipart':
            return getattr(self.multipart, name)
        if owner in MODULES:
            fn = getattr(importlib.import_module(f'{__package__}.{MODULES[owner]}'), name)
            return lambda *args: fn(self, *args)
        if owner == 'versioning':
            fn = self.versioning.get(name)
            if fn is not None:
                return lambda req, ident, bucket, key=None: fn(self, req, ident, bucket, key)
            if not fallback or fallback[0] is None:
                raise S3Error('NotImplemented')
            name = fallback[0]
            s3ext = importlib.import_module('iaas.api.objectstore.s3.ext')
            if hasattr(s3ext, name):
                return lambda *args: getattr(s3ext, name)(self, *args)
        return getattr(self, name)

    def head_bucket(self, req, ident, bucket):
        self.check_bucket(ident, bucket)
        return webob.Response(status=200)

    def bucket_location(self, req, ident, bucket):
        self.check_bucket(ident, bucket)
        el = element('LocationConstraint')
        el.text = None if self.region == 'us-east-1' else self.region
        return xml_response(el)

    def bucket_versioning(self, req, ident, bucket):
        self.check_bucket(ident, bucket)
        return xml_response(element('VersioningConfiguration'))

    # --- Swift subrequests ----------------------------------------------------------
    def swift(self, ident, method, container=None, obj=None, query=None, headers=None,
              body=None, reader=None, length=None):
        path = '/v1/' + ident.account
        if container is not None:
            path += '/' + container
            if obj is not None:
                path += '/' + obj
        url = urllib.parse.quote(path)
        if query:
            url += '?' + urllib.parse.urlencode(query)
        sub = webob.Request.blank(url, method=method, headers=headers or {})
        sub.environ['iaas.objectstore.identity'] = ident
        sub.environ['iaas.objectstore.internal'] = True
        sub.environ['iaas.objectstore.sysmeta_ok'] = True   # headers built here only
        sub.environ[S3_SUBREQUEST] = True
        if body is not None:
            sub.body = body
        elif reader is not None:
            sub.environ['wsgi.input'] = reader
            sub.content_length = length
            if length is None:
                sub.headers['Transfer-Encoding'] = 'chunked'
        elif method in ('PUT', 'POST'):
            sub.body = b''
        return sub.get_response(self.proxy.internal_app)

    def check_bucket(self, ident, bucket):
        info = self.proxy.container_info(ident.account, bucket)
        if info['status'] == 404:
            raise S3Error('NoSuchBucket', BucketName=bucket)
        if info['status'] >= 300:
            raise S3Error('ServiceUnavailable')
        return info

    def object_error(self, ident, bucket, key, status):
        if status == 404:
            self.check_bucket(ident, bucket)
            raise S3Error('NoSuchKey', Key=key)
        raise S3Error(_status_code(status))

    # --- buckets ------------------------------------------------------------------------
    def list_buckets(self, req, ident):
        q = req.GET
        try:
            max_buckets = int(q.get('max-buckets', 10000))
        except ValueError:
            max_buckets = 0
        if not 1 <= max_buckets <= 10000:
            raise S3Error('InvalidArgument', 'max-buckets must be between 1 and 10000')
        query = {'format': 'json'}
        token = q.get('continuation-token')
        if token:
            try:
                query['marker'] = base64.urlsafe_b64decode(token.encode()).decode()
            except (ValueError, binascii.Error):
                raise S3Error('InvalidArgument', 'Invalid continuation token') from None
        if q.get('prefix'):
            query['prefix'] = q['prefix']
        resp = self.swift(ident, 'GET', query=query)
        rows = [r for r in (resp.json if resp.status_int == 200 else [])
                if not r['name'].endswith(SEGMENTS)]
        rows = _own_buckets(self, ident, rows, max_buckets + 1)
        more, rows = len(rows) > max_buckets, rows[:max_buckets]
        root = element('ListAllMyBucketsResult')
        add(root, 'Owner', [('ID', ident.user), ('DisplayName', ident.user)])
        buckets = add(root, 'Buckets')
        for r in rows:
            add(buckets, 'Bucket', [('Name', r['name']),
                                    ('CreationDate', s3_time(r['last_modified']))])
        if more:
            add(root, 'ContinuationToken',
                base64.urlsafe_b64encode(rows[-1]['name'].encode()).decode())
        if q.get('prefix'):
            add(root, 'Prefix', q['prefix'])
        return xml_response(root)

    def create_bucket(self, req, ident, bucket):
        if not valid_bucket_name(bucket):
            raise S3Error('InvalidBucketName', BucketName=bucket)
        body = req.body_file.read(1 << 16)
        if body.strip():
            loc = parse(body).find('LocationConstraint')
            if loc is not None and loc.text and loc.text != self.region:
                raise S3Error('InvalidLocationConstraint',
                              'The specified location-constraint is not valid', 400)
        info, acl = s3acl.bucket_acl(self, ident, bucket, fresh=True)
        if info['status'] < 300:
            if acl is not None and acl.owner != s3acl.principal(ident):
                raise S3Error('BucketAlreadyExists', BucketName=bucket)
            raise S3Error('BucketAlreadyOwnedByYou', BucketName=bucket)
        me = s3acl.principal(ident)
        acl = s3acl.from_headers(req, me) or s3acl.canned('private', me)
        s3acl.check_grantees(self, acl)
        resp = self.swift(ident, 'PUT', bucket, headers={s3acl.BUCKET_META: acl.dump()})
        if resp.status_int == 202:      # as Swift's s3api (in every region)
            raise S3Error('BucketAlreadyOwnedByYou', BucketName=bucket)
        if resp.status_int >= 300:
            raise S3Error(_status_code(resp.status_int))
        s3buckets.claim(self, ident.account, bucket)    # for anonymous requests
        return RelativeLocation(status=200, headers={'Location': '/' + bucket})

    def delete_bucket(self, req, ident, bucket):
        resp = self.swift(ident, 'DELETE', bucket)
        if resp.status_int == 404:
            raise S3Error('NoSuchBucket', BucketName=bucket)
        if resp.status_int == 409:
            raise S3Error('BucketNotEmpty', BucketName=bucket)
        if resp.status_int >= 300:
            raise S3Error(_status_code(resp.status_int))
        self.swift(ident, 'DELETE', bucket + SEGMENTS)
        s3buckets.release(self, ident.account, bucket)
        return webob.Response(status=204)

    def list_objects(self, req, ident, bucket):
        q = req.GET
        v2 = q.get('list-type') == '2'
        max_keys = parse_max_keys(q)
        prefix, delimiter = q.get('prefix', ''), q.get('delimiter', '')
        encoding = q.get('encoding-type')
        if encoding is not None and encoding != 'url':
            raise S3Error('InvalidArgument', 'Invalid Encoding Method specified in Request')

        def enc(value):
            return urllib.parse.quote(value, safe='/') if encoding else value
        if v2:
            token = q.get('continuation-token')
            if token:
                try:
                    marker = base64.urlsafe_b64decode(token.encode()).decode()
                except (ValueError, binascii.Error):
                    raise S3Error('InvalidArgument', 'Invalid continuation token') from None
            else:
                marker = q.get('start-after', '')
        else:
            marker = q.get('marker', '')
        query = {'format': 'json', 'limit': max_keys + 1}
        for k, v in (('prefix', prefix), ('delimiter', delimiter), ('marker', marker)):
            if v:
                query[k] = v
        resp = self.swift(ident, 'GET', bucket, query=query)
        if resp.status_int == 404:
            raise S3Error('NoSuchBucket', BucketName=bucket)
        if resp.status_int >= 300:
            raise S3Error(_status_code(resp.status_int))
        rows = resp.json if resp.status_int == 200 else []
        truncated = len(rows) > max_keys > 0
        rows = rows[:max_keys]
        root = element('ListBucketResult')
        add(root, 'Name', bucket)
        add(root, 'Prefix', enc(prefix) if v2 else prefix)   # as botocore decodes them
        last = (rows[-1].get('name') or rows[-1].get('subdir')) if truncated and rows else None
        # the elements in the order of S3's schema (Swift validates it)
        if v2:
            if last is not None:
                add(root, 'NextContinuationToken',
                    base64.urlsafe_b64encode(last.encode()).decode())
            if 'continuation-token' in q:
                add(root, 'ContinuationToken', q['continuation-token'])
            if 'start-after' in q:
                add(root, 'StartAfter', enc(q['start-after']))
            add(root, 'KeyCount', len(rows))
        else:
            add(root, 'Marker', enc(marker))
            if last is not None:
                add(root, 'NextMarker', enc(last))
        add(root, 'MaxKeys', max_keys)
        if delimiter:
            add(root, 'Delimiter', enc(delimiter))
        if encoding:
            add(root, 'EncodingType', encoding)
        add(root, 'IsTruncated', truncated)
        for r in rows:
            if 'subdir' in r:
                continue
            fields = [('Key', enc(r['name'])), ('LastModified', s3_time(r['last_modified'])),
                      ('ETag', _quote_etag(listing.s3_etag(r))), ('Size', r['bytes'])]
            if not v2 or q.get('fetch-owner') == 'true':
                fields.append(('Owner', [('ID', ident.user),
                                         ('DisplayName', ident.user)]))
            fields.append(('StorageClass', 'STANDARD'))
            add(root, 'Contents', fields)
        for r in rows:
            if 'subdir' in r:
                add(root, 'CommonPrefixes', [('Prefix', enc(r['subdir']))])
        return xml_response(root)

    def multi_delete(self, req, ident, bucket):
        self.check_bucket(ident, bucket)
        root = parse(req.body_file.read((1 << 20) + 1))
        quiet = (root.findtext('Quiet') or '').lower() == 'true'
        entries = [(o.findtext('Key'), o.findtext('VersionId'))
                   for o in root.findall('Object')]
        if not entries or len(entries) > 1000 or any(k is None for k, _ in entries):
            raise S3Error('MalformedXML')
        if any(k == '' for k, _ in entries):
            raise S3Error('UserKeyMustBeSpecified', 'The request was well-formed but did not '
                          'include a key for one of the objects.')
        versioned = self.versioning.get('multi_delete_entry')
        out = element('DeleteResult')
        for key, version in entries:
            extra = []
            if versioned is not None:
                result = dict(versioned(self, ident, bucket, key, version))
                status = result.pop('status')
                extra = [(k, v) for k, v in result.items() if v not in (None, False)]
            elif version not in (None, 'null'):
                status = 501       # no versions here: never the current object
            else:
                status = self._delete(ident, bucket, key)
            if status in (200, 204, 404):
                if not quiet:
                    fields = [('Key', key)] + ([('VersionId', version)] if version else [])
                    add(out, 'Deleted', fields + extra)
            else:
                code = 'NotImplemented' if status == 501 else _status_code(status)
                add(out, 'Error', [('Key', key)] + (
                    [('VersionId', version)] if version else []) + [
                    ('Code', code), ('Message', S3Error(code).message)])
        return xml_response(out)

    # --- objects -------------------------------------------------------------------------
    def _put_headers(self, req):
        headers = {}
        for k, v in list(req.headers.items()) + s3sig.underscored(req.environ):
            lk = k.lower()
            if lk.startswith('x-amz-meta-'):
                if not any(c in k for c in META_IGNORED):
                    headers['X-Object-Meta-' + meta_to_swift(k[11:])] = v
            elif lk in ('content-type', 'content-disposition', 'content-encoding'):
                if lk == 'content-encoding':
                    v = ','.join(p for p in v.split(',') if p.strip() != 'aws-chunked')
                    if not v:
                        continue
                headers[k] = v
            elif lk in ('cache-control', 'expires', 'content-language', 'x-robots-tag'):
                headers[k] = v     # stored where Swift stores them (allowed_headers)
            elif lk in ('x-delete-at', 'x-delete-after'):
                headers[k] = v     # Swift's expiry, passed on as Swift's s3api does
        headers.update(s3acl.new_object_headers(req))    # the new object's ACL
        return headers

    def put_object(self, req, ident, bucket, key):
        headers = self._put_headers(req)
        md5 = req.headers.get('Content-MD5')
        if md5 is not None:
            try:
                headers['ETag'] = binascii.hexlify(base64.b64decode(md5, validate=True)).decode()
            except (ValueError, binascii.Error):
                raise S3Error('InvalidDigest') from None
            if len(headers['ETag']) != 32:
                raise S3Error('InvalidDigest')
        headers.update(s3tagging.put_headers(req))
        s3publicaccess.deny_public_request_acl(self, req, ident.account, bucket)
        s3object.check_write_conditions(self, req, ident, bucket, key)
        reader, length = s3body.request_body(req)
        if length is not None and length > self.proxy.max_file_size:
            raise S3Error('EntityTooLarge')
        resp = self.swift(ident, 'PUT', bucket, key, headers=headers, reader=reader,
                          length=length)
        if resp.status_int == 404:
            raise S3Error('NoSuchBucket', BucketName=bucket)
        if resp.status_int == 400:
            raise bad_request(req, resp)
        if resp.status_int != 201:
            raise S3Error(_status_code(resp.status_int))
        return webob.Response(status=200, headers={'ETag': _quote_etag(resp.headers['ETag'])})

    @staticmethod
    def copy_source(req):
        """(bucket, key) of x-amz-copy-source."""
        # the value is URL-encoded: a '?' starts its query (versionId), '%3F' is in the key
        value = req.headers['x-amz-copy-source']
        path, sep, qs = value.partition('?')
        if sep:     # only ?versionId=… (as Swift's s3api)
            params = urllib.parse.parse_qsl(qs, keep_blank_values=True)
            if len(params) != 1 or params[0][0] != 'versionId':
                raise S3Error('InvalidArgument', 'Unsupported copy source parameter.',
                              ArgumentName='x-amz-copy-source', ArgumentValue=value)
        src = urllib.parse.unquote(path)
        sb, _, sk = src.lstrip('/').partition('/')
        if not sb or not sk:
            raise S3Error('InvalidArgument', 'Copy Source must mention the source bucket '
                                             'and key: sourcebucket/sourcekey')
        return sb, sk

    @staticmethod
    def copy_source_version(req):
        """The versionId x-amz-copy-source names (after its '?'), else None."""
        _path, sep, qs = req.headers['x-amz-copy-source'].partition('?')
        return dict(urllib.parse.parse_qsl(qs, keep_blank_values=True)).get('versionId') \
            if sep else None

    def copy_object(self, req, ident, bucket, key):
        sb, sk = self.copy_source(req)
        self.check_bucket(ident, bucket)
        headers = {'X-Copy-From': urllib.parse.quote(f'/{sb}/{sk}')}
        directive = req.headers.get('x-amz-metadata-directive', 'COPY')
        if directive not in ('COPY', 'REPLACE'):
            raise S3Error('InvalidArgument', 'Unknown metadata directive.',
                          ArgumentName='x-amz-metadata-directive', ArgumentValue=directive)
        if directive == 'REPLACE':
            headers['X-Fresh-Metadata'] = 'true'
            headers.update(self._put_headers(req))
        elif sb == bucket and sk == key and \
                req.headers.get('x-amz-tagging-directive') != 'REPLACE':
            raise S3Error('InvalidRequest', 'This copy request is illegal because it is trying '
                          'to copy an object to itself without changing the metadata.')
        headers.update(s3tagging.copy_headers(req))
        s3publicaccess.deny_public_request_acl(self, req, ident.account, bucket)
        headers.update(s3acl.new_object_headers(req))
        resp = self.swift(ident, 'PUT', bucket, key, headers=headers, body=b'')
        if resp.status_int == 404:
            self.check_bucket(ident, sb)
            raise S3Error('NoSuchKey', Key=sk)
        if resp.status_int != 201:
            raise S3Error(_status_code(resp.status_int))
        stamp = math.ceil(float(resp.headers.get('X-Timestamp', time.time())))
        root = element('CopyObjectResult', [   # rounded up, as listings and HEAD are
            ('LastModified', time.strftime('%Y-%m-%dT%H:%M:%S.000Z', time.gmtime(stamp))),
            ('ETag', _quote_etag(resp.headers['ETag']))])
        return xml_response(root)

    def get_object(self, req, ident, bucket, key):
        return s3object.get_object(self, req, ident, bucket, key)

    def _delete(self, ident, bucket, key):
        resp = self.swift(ident, 'DELETE', bucket, key, query={'multipart-manifest': 'delete'})
        return resp.status_int if resp.status_int != 200 else 204

    def delete_object(self, req, ident, bucket, key):
        status = self._delete(ident, bucket, key)
        if status == 404:
            self.check_bucket(ident, bucket)
        elif status >= 300:
            raise S3Error(_status_code(status))
        return webob.Response(status=204)


class RelativeLocation(webob.Response):
    """A response whose Location stays as given ('/bucket', as S3 and
    Swift's s3api answer CreateBucket); webob would make it absolute."""

    def _abs_headerlist(self, environ):
        return list(self._headerlist)


def _own_buckets(s3, ident, rows, limit):
    """The first ``limit`` of the listing ``rows`` that the caller owns."""
    out = []
    for r in rows:
        if len(out) >= limit:
            break
        if s3acl.can_list(s3, ident, r['name']):
            out.append(r)
    return out


def bad_request(req, resp):
    """The S3 error of Swift's 400 to a write (as Swift's s3api maps it)."""
    text = resp.text.strip()[:512]
    for name in ('X-Delete-At', 'X-Delete-After'):
        if name in text:
            return S3Error('InvalidArgument', text, ArgumentName=name,
                           ArgumentValue=req.headers.get(name, ''))
    return S3Error('InvalidRequest', text or None)


def manifest_json(parts):
    return json.dumps(parts).encode()


def _versioning_handlers():
    """versioning.HANDLERS when that module exists (see subresources)."""
    import importlib
    try:
        s3versioning = importlib.import_module('iaas.api.objectstore.s3.versioning')
    except ModuleNotFoundError as e:
        if e.name != 'iaas.api.objectstore.s3.versioning':
            raise
        return {}
    return dict(getattr(s3versioning, 'HANDLERS', {}))


def _check_content_length(req):
    """A Content-Length that is not a decimal number is refused at once
    (it would otherwise wait for a body that never ends)."""
    value = req.environ.get('CONTENT_LENGTH')
    if value not in (None, '') and not value.strip().isdigit():
        raise S3Error('InvalidArgument', 'Invalid Content-Length', 400)


def raw_path(environ):
    """The request target's path as the client sent it (escapes kept), or
    None when the server did not pass it on."""
    raw = environ.get('REQUEST_URI') or environ.get('RAW_URI')
    if not raw:
        return None
    raw = raw.split('?', 1)[0].split('#', 1)[0]
    if not raw.startswith('/'):           # absolute form: http://host/path
        raw = '/' + raw.split('://', 1)[-1].partition('/')[2]
    return raw


def _decode_path(environ):
    """PATH_INFO with ``%2F`` decoded as S3 decodes it (key ``a%2Fb`` is
    ``a/b``); the HTTP server may keep escaped slashes in PATH_INFO."""
    path = environ.get('PATH_INFO', '')
    if '%' not in path:
        return
    raw = raw_path(environ)
    if raw is not None:
        path = urllib.parse.unquote_to_bytes(raw.encode('latin-1', 'replace')).decode('latin-1')
    else:
        path = re.sub('%2[fF]', '/', path)
    environ['PATH_INFO'] = path
