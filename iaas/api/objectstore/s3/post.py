"""S3 POST object: a browser form upload (multipart/form-data) to a bucket,
authorized by a signed policy document (SigV2 ``AWSAccessKeyId`` +
``signature`` or SigV4 ``x-amz-credential`` + ``x-amz-signature``). It is
a PutObject: the same policy rule, the same storage path."""
import base64
import binascii
import datetime
import hashlib
import hmac
import json
import urllib.parse

import webob

from iaas.api.objectstore import policies
from iaas.api.objectstore.auth import AuthError
from iaas.api.objectstore.s3 import acl as s3acl
from iaas.api.objectstore.s3 import publicaccess as s3publicaccess
from iaas.api.objectstore.s3 import tagging as s3tagging
from iaas.api.objectstore.s3.objects import META_IGNORED, meta_to_swift
from iaas.api.objectstore.s3.xmldoc import S3Error, element, xml_response

# fields never named by the policy's conditions
EXEMPT = ('file', 'policy', 'signature', 'awsaccesskeyid', 'x-amz-signature')
OBJECT_FIELDS = ('content-type', 'cache-control', 'content-disposition', 'content-encoding',
                 'expires', 'content-language')


def is_post_object(req, bucket, key):
    return req.method == 'POST' and bucket and not key and not req.GET and \
        req.headers.get('Content-Type', '').lower().startswith('multipart/form-data')


def _form(s3, req):
    """(fields lowercased → str, file FieldStorage or None)."""
    if req.content_length is None or req.content_length > s3.proxy.max_file_size + (1 << 20):
        raise S3Error('EntityTooLarge' if req.content_length else 'MissingContentLength')
    fields, upload = {}, None
    try:
        items = list(req.POST.items())
    except Exception:       # a malformed form body
        raise S3Error('MalformedPOSTRequest', 'The body of your POST request is not '
                      'well-formed multipart/form-data.', 400) from None
    for name, value in items:
        lname = name.lower()
        if lname == 'file':
            if upload is None:
                upload = value
            continue
        if hasattr(value, 'file'):
            value = value.value
        if isinstance(value, bytes):
            value = value.decode('utf-8', 'replace')
        fields.setdefault(lname, value)
    return fields, upload


def _bad_policy(message):
    return S3Error('InvalidPolicyDocument', message, 400)


def _policy(raw):
    try:
        doc = json.loads(base64.b64decode(raw, validate=False))
    except (ValueError, binascii.Error):
        raise _bad_policy('Invalid Policy: Invalid JSON.') from None
    if not isinstance(doc, dict) or 'expiration' not in doc:
        raise _bad_policy('Invalid Policy: Policy missing expiration.')
    if not isinstance(doc.get('conditions'), list):
        raise _bad_policy('Invalid Policy: Policy missing conditions.')
    try:
        exp = datetime.datetime.strptime(doc['expiration'].rstrip('Z').split('.')[0],
                                         '%Y-%m-%dT%H:%M:%S')
    except (AttributeError, ValueError):
        raise _bad_policy('Invalid Policy: Invalid \'expiration\' value.') from None
    if exp.replace(tzinfo=datetime.timezone.utc) < datetime.datetime.now(datetime.timezone.utc):
        raise S3Error('AccessDenied', 'Invalid according to Policy: Policy expired.')
    return doc


def _check_conditions(doc, fields, bucket, size):
    covered = set()
    for cond in doc['conditions']:
        if isinstance(cond, dict):
            if len(cond) != 1:
                raise _bad_policy('Invalid Policy: Invalid Simple-Condition.')
            name, want = next(iter(cond.items()))
            name = name.lower()
            have = bucket if name == 'bucket' else fields.get(name)
            if have is None or have != want:
                raise S3Error('AccessDenied', f'Invalid according to Policy: Policy '
                                              f'Condition failed: ["eq", "${name}", "{want}"]')
            covered.add(name)
        elif isinstance(cond, list) and len(cond) == 3:
            op = cond[0].lower() if isinstance(cond[0], str) else cond[0]   # any case
            if op == 'content-length-range':
                try:
                    low, high = int(cond[1]), int(cond[2])
                except (TypeError, ValueError):
                    raise _bad_policy('Invalid Policy: Invalid content-length-range.') \
                        from None
                if low < 0 or high < 0:
                    raise _bad_policy('Invalid Policy: Invalid content-length-range.')
                if size > high:
                    raise S3Error('EntityTooLarge', 'Your proposed upload exceeds the '
                                  'maximum allowed size', 400)
                if size < low:
                    raise S3Error('EntityTooSmall', 'Your proposed upload is smaller than '
                                  'the minimum allowed size', 400)
                continue
            if op not in ('eq', 'starts-with') or not isinstance(cond[1], str) or \
                    not cond[1].startswith('$'):
                raise _bad_policy(f'Invalid Policy: Invalid condition {op!r}.')
            name, want = cond[1][1:].lower(), str(cond[2])
            have = bucket if name == 'bucket' else fields.get(name)
            ok = have is not None and (have == want if op == 'eq' else have.startswith(want))
            if not ok:
                raise S3Error('AccessDenied', 'Invalid according to Policy: Policy '
                              f'Condition failed: ["{op}", "${name}", "{want}"]')
            covered.add(name)
        else:
            raise _bad_policy('Invalid Policy: Invalid condition.')
    for name in fields:
        if name in EXEMPT or name.startswith('x-ignore-') or name in covered:
            continue
        raise S3Error('AccessDenied', 'Invalid according to Policy: Extra input fields: '
                      + name)


def _authenticate(s3, fields, bucket):
    """The identity that signed the form's policy; a form that names no
    access key is anonymous (:meth:`S3.anonymous`)."""
    v4 = 'x-amz-credential' in fields
    if v4:
        cred = fields['x-amz-credential'].split('/')
        access, scope = '/'.join(cred[:-4]), cred[-4:]
        signature = fields.get('x-amz-signature')
    else:
        access, signature = fields.get('awsaccesskeyid'), fields.get('signature')
    if access is None:
        return s3.anonymous(bucket)
    if 'policy' not in fields:
        raise S3Error('InvalidArgument', 'Bucket POST must contain a field named policy',
                      400)
    if not signature:
        raise S3Error('InvalidArgument', 'Bucket POST must contain a field named '
                      "'Signature'" if not v4 else "'X-Amz-Signature'", 400)
    try:
        cred = s3.proxy.auth.s3_credential(access)
    except AuthError:
        raise S3Error('ServiceUnavailable') from None
    if cred is None:
        raise S3Error('InvalidAccessKeyId')
    secret, resolve = cred
    policy = fields['policy'].encode()
    if v4:
        if len(scope) != 4:
            raise S3Error('InvalidArgument', 'Bad x-amz-credential', 400)
        key = ('AWS4' + secret).encode()
        for part in scope:
            key = hmac.new(key, part.encode(), hashlib.sha256).digest()
        good = hmac.new(key, policy, hashlib.sha256).hexdigest()
    else:
        good = base64.b64encode(hmac.new(secret.encode(), policy, hashlib.sha1)
                                .digest()).decode()
    if not hmac.compare_digest(good, signature):
        raise S3Error('SignatureDoesNotMatch', 'The request signature we calculated does '
                      'not match the signature you provided.', 403)
    try:
        return resolve()
    except AuthError:
        raise S3Error('AccessDenied') from None


def post_object(s3, req, bucket):
    fields, upload = _form(s3, req)
    ident = _authenticate(s3, fields, bucket)
    anonymous = s3acl.is_anonymous(ident)
    if not anonymous and \
            not s3.proxy.auth.policy_allows(ident, policies.S3['PutObject'], ident.account):
        raise S3Error('AccessDenied')
    if upload is None or not hasattr(upload, 'file'):
        raise S3Error('InvalidArgument', 'POST requires exactly one file upload per '
                      'request.', 400)
    key = fields.get('key')
    if not key:
        raise S3Error('InvalidArgument', 'Bucket POST must contain a field named key', 400)
    # the conditions see the key with ${filename} replaced, as S3 stores it
    key = fields['key'] = key.replace('${filename}', upload.filename or '')
    f = upload.file
    f.seek(0, 2)
    size = f.tell()
    f.seek(0)
    if 'policy' in fields:      # (an anonymous form need not have one)
        _check_conditions(_policy(fields['policy']), fields, bucket, size)
    headers = {}
    for name, value in fields.items():
        if name in OBJECT_FIELDS:
            headers[name.title()] = value
        elif name.startswith('x-amz-meta-') and not any(c in name for c in META_IGNORED):
            headers['X-Object-Meta-' + meta_to_swift(name[11:])] = value
    if fields.get('tagging'):
        headers.update(s3tagging.post_headers(fields['tagging']))
    # the bucket's ACL as for a PutObject; the new object's ACL from the
    # (policy-checked) acl field only, never from an unsigned request header
    acl_req = webob.Request.blank('/', headers={'x-amz-acl': fields['acl']}
                                  if 'acl' in fields else {})
    s3acl.enforce(s3, acl_req, ident, 'PutObject', bucket, key)
    headers.update(s3acl.new_object_headers(acl_req))
    s3.check_bucket(ident, bucket)
    s3publicaccess.deny_public_acl(s3, ident.account, bucket, fields.get('acl'))
    resp = s3.swift(ident, 'PUT', bucket, key, headers=headers, reader=f, length=size)
    if resp.status_int != 201:
        s3.object_error(ident, bucket, key, resp.status_int)
    etag = '"%s"' % resp.headers.get('ETag', '').strip('"')
    redirect = fields.get('success_action_redirect') or fields.get('redirect')
    if redirect:
        q = urllib.parse.urlencode({'bucket': bucket, 'key': key, 'etag': etag})
        sep = '&' if '?' in redirect else '?'
        return webob.Response(status=303, headers={'Location': redirect + sep + q,
                                                   'ETag': etag})
    status = fields.get('success_action_status')
    location = f'{req.host_url}/{bucket}/{urllib.parse.quote(key)}'
    if status == '201':
        return xml_response(element('PostResponse', [     # (S3's has no namespace)
            ('Location', location), ('Bucket', bucket), ('Key', key), ('ETag', etag)],
            ns=False),
            status=201, headers={'ETag': etag, 'Location': location})
    return webob.Response(status=200 if status == '200' else 204,
                          headers={'ETag': etag, 'Location': location})
