"""S3 bucket policies: Put/Get/DeleteBucketPolicy and their evaluation.

The policy is kept as the bucket's ``Policy`` document (:mod:`config`),
the text exactly as it was put (GetBucketPolicy answers it unchanged).
:func:`evaluate` is called by the ACL code for every operation on a
bucket: an explicit Deny of a matching statement refuses the request, an
Allow grants it whatever the ACLs say, neither leaves it to the ACLs.

What a statement may say (anything else is refused when the policy is put,
so that nothing in a stored policy is silently ignored):

* Effect Allow / Deny; Principal / NotPrincipal ``*``, ``{"AWS": ...}``
  naming S3 user ids (``account:user``, an identity project's account) or
  ARNs whose account part or last path element is one;
* Action / NotAction ``s3:<Action>`` with ``*`` / ``?`` wildcards (each
  operation's action: :data:`ACTIONS`, else ``s3:<operation>``);
* Resource / NotResource ``arn:aws:s3:::bucket[/key]`` with wildcards;
* Condition operators String(Not)Equals, String(Not)Like (with
  ``IfExists``) on the keys of :func:`_context`.

The bucket owner may always get, put and delete the policy (as AWS lets
the owning account's root user). With the PublicAccessBlock's
BlockPublicPolicy a public policy cannot be put; with
RestrictPublicBuckets a bucket whose policy is public refuses anonymous
callers.
"""
import functools
import json
import re

import webob

from iaas.api.objectstore.s3 import config as s3config
from iaas.api.objectstore.s3 import publicaccess as s3publicaccess
from iaas.api.objectstore.s3.xmldoc import S3Error

NAME = 'Policy'
MAX_POLICY = 20 * 1024      # S3's limit of a bucket policy
OWNER_ALWAYS = ('GetBucketPolicy', 'PutBucketPolicy', 'DeleteBucketPolicy')
# operation → the IAM action S3 checks for it (others: s3:<operation>)
ACTIONS = {
    'ListObjects': 'ListBucket', 'HeadBucket': 'ListBucket',
    'ListObjectVersions': 'ListBucketVersions',
    'ListMultipartUploads': 'ListBucketMultipartUploads',
    'HeadObject': 'GetObject', 'GetObjectAttributes': 'GetObject',
    'GetObjectVersion': 'GetObjectVersion', 'HeadObjectVersion': 'GetObjectVersion',
    'CopyObject': 'PutObject', 'CreateMultipartUpload': 'PutObject',
    'UploadPart': 'PutObject', 'UploadPartCopy': 'PutObject',
    'CompleteMultipartUpload': 'PutObject', 'DeleteObjects': 'DeleteObject',
    'ListParts': 'ListMultipartUploadParts',
    'GetBucketCors': 'GetBucketCORS', 'PutBucketCors': 'PutBucketCORS',
    'DeleteBucketCors': 'PutBucketCORS', 'DeleteBucketTagging': 'PutBucketTagging',
    'GetPublicAccessBlock': 'GetBucketPublicAccessBlock',
    'PutPublicAccessBlock': 'PutBucketPublicAccessBlock',
    'DeletePublicAccessBlock': 'PutBucketPublicAccessBlock',
    'GetObjectLockConfiguration': 'GetBucketObjectLockConfiguration',
}
OPERATORS = ('StringEquals', 'StringNotEquals', 'StringLike', 'StringNotLike',
             'StringEqualsIgnoreCase', 'StringNotEqualsIgnoreCase')
KEYS = ('s3:prefix', 's3:delimiter', 's3:max-keys', 's3:x-amz-acl', 's3:versionid',
        's3:x-amz-copy-source', 's3:x-amz-metadata-directive', 's3:x-amz-content-sha256',
        'aws:referer', 'aws:useragent', 'aws:username', 'aws:userid', 'aws:principaltype',
        'aws:securetransport')
ARN = 'arn:aws:s3:::'


def _malformed(message):
    return S3Error('MalformedPolicy', message, 400)


def _list(value):
    return value if isinstance(value, list) else [value]


# --- validation ----------------------------------------------------------------------------
def parse(text):
    """The statements of a policy document; MalformedPolicy (or
    NotImplemented for a condition this evaluator cannot decide)."""
    try:
        doc = json.loads(text)
    except ValueError:
        raise _malformed('Policies must be valid JSON') from None
    if not isinstance(doc, dict) or 'Statement' not in doc:
        raise _malformed('Missing required field Statement')
    statements = _list(doc['Statement'])
    if not statements:
        raise _malformed('Could not parse the policy: Statement is empty!')
    for st in statements:
        _check_statement(st)
    return statements


def _check_statement(st):
    if not isinstance(st, dict) or st.get('Effect') not in ('Allow', 'Deny'):
        raise _malformed('Invalid effect')
    for a, b, what in (('Principal', 'NotPrincipal', 'principal'),
                       ('Action', 'NotAction', 'action'),
                       ('Resource', 'NotResource', 'resource')):
        if (a in st) == (b in st):
            raise _malformed(f'Missing required field {a}')
        value = st.get(a, st.get(b))
        if what == 'principal':
            if isinstance(value, dict):
                if set(value) - {'AWS', 'CanonicalUser'}:
                    raise _malformed('Invalid principal in policy')
            elif value != '*':
                raise _malformed('Invalid principal in policy')
            continue
        if not all(isinstance(v, str) and v for v in _list(value)):
            raise _malformed(f'Policy has an invalid {what}')
        if what == 'resource' and not all(v.startswith(ARN) or v == '*'
                                          for v in _list(value)):
            raise _malformed('Policy has invalid resource')
        if what == 'action' and not all(v == '*' or v.lower().startswith('s3:')
                                        for v in _list(value)):
            raise _malformed('Policy has invalid action')
    cond = st.get('Condition', {})
    if not isinstance(cond, dict):
        raise _malformed('Invalid Condition')
    for op, pairs in cond.items():
        if op.removesuffix('IfExists') not in OPERATORS:
            raise S3Error('NotImplemented', f'Condition operator {op} is not implemented')
        if not isinstance(pairs, dict):
            raise _malformed('Invalid Condition')
        for key in pairs:
            if key.lower() not in KEYS:
                raise S3Error('NotImplemented', f'Condition key {key} is not implemented')


def is_public(statements):
    return s3publicaccess.is_public_policy({'Statement': statements})


# --- evaluation ----------------------------------------------------------------------------
@functools.lru_cache(maxsize=1024)
def _glob(pattern, case):
    """The regex of a policy pattern: ``*`` any run, ``?`` any one character."""
    rx = re.escape(pattern).replace(r'\*', '.*').replace(r'\?', '.')
    return re.compile(rx, re.DOTALL | (0 if case else re.IGNORECASE))


def _like(pattern, value, case=True):
    return _glob(pattern, case).fullmatch(value) is not None


def _matches(patterns, value, case=True):
    return any(p == '*' or _like(p, value, case) for p in _list(patterns))


def _principal_matches(value, user):
    if value == '*':
        return True
    ids = []
    for v in value.values():
        ids += _list(v)
    for v in ids:
        if v == '*':
            return True
        if not user or not isinstance(v, str):
            continue
        if v == user:
            return True
        if v.startswith('arn:'):
            parts = v.split(':', 5)
            account = parts[4] if len(parts) > 4 else ''
            last = v.rsplit('/', 1)[-1]
            if user in (last, account) or user.split(':', 1)[0] == account:
                return True
    return False


def _context(req, ident, user):
    q, h = req.GET, req.headers
    out = {'aws:referer': h.get('Referer'), 'aws:useragent': h.get('User-Agent'),
           'aws:securetransport': 'true' if req.scheme == 'https' else 'false',
           'aws:principaltype': 'Anonymous' if not user else 'User',
           'aws:username': user or None, 'aws:userid': user or None}
    for name in ('prefix', 'delimiter', 'max-keys'):
        out['s3:' + name] = q.get(name)
    out['s3:versionid'] = q.get('versionId')
    for name in ('x-amz-acl', 'x-amz-copy-source', 'x-amz-metadata-directive',
                 'x-amz-content-sha256'):
        out['s3:' + name] = h.get(name)
    return out


def _condition_holds(cond, ctx):
    for op, pairs in (cond or {}).items():
        if_exists = op.endswith('IfExists')
        base = op.removesuffix('IfExists')
        negate = 'Not' in base
        like = base.endswith('Like')
        nocase = base.endswith('IgnoreCase')
        for key, wanted in pairs.items():
            have = ctx.get(key.lower())
            if have is None:
                if if_exists or negate:
                    continue
                return False
            wanted = [str(w) for w in _list(wanted)]
            if like:
                hit = any(_like(w, have) for w in wanted)
            elif nocase:
                hit = have.lower() in [w.lower() for w in wanted]
            else:
                hit = have in wanted
            if hit == negate:
                return False
    return True


def _statement_matches(st, action, resource, user, ctx):
    if 'Principal' in st:
        if not _principal_matches(st['Principal'], user):
            return False
    elif _principal_matches(st['NotPrincipal'], user):
        return False
    if 'Action' in st:
        if not _matches(st['Action'], action, case=False):
            return False
    elif _matches(st['NotAction'], action, case=False):
        return False
    if 'Resource' in st:
        if not _matches(st['Resource'], resource):
            return False
    elif _matches(st['NotResource'], resource):
        return False
    return _condition_holds(st.get('Condition'), ctx)


def statements(s3, account, bucket):
    doc = s3config.load(s3, account, bucket, NAME)
    if not isinstance(doc, dict) or not isinstance(doc.get('text'), str):
        return None
    try:
        return parse(doc['text'])
    except S3Error:          # (stored ones were checked when put)
        return [{'Effect': 'Deny', 'Principal': '*', 'Action': '*', 'Resource': '*'}]


def evaluate(s3, req, ident, op, bucket, key, owner, user):
    """'Deny', 'Allow' or None (the policy says nothing) for ``op`` by
    ``user`` ('' = anonymous) on the bucket (object ``key``) of ``owner``."""
    if user and user == owner and op in OWNER_ALWAYS:
        return None
    sts = statements(s3, ident.account, bucket)
    if not sts:
        return None
    if not user and is_public(sts):
        conf = s3publicaccess.configuration(s3, ident.account, bucket)
        if conf and conf['RestrictPublicBuckets']:
            return 'Deny'
    action = 's3:' + ACTIONS.get(op, op)
    resource = ARN + bucket + ('/' + key if key is not None else '')
    ctx = _context(req, ident, user)
    verdict = None
    for st in sts:
        if _statement_matches(st, action, resource, user, ctx):
            if st['Effect'] == 'Deny':
                return 'Deny'
            verdict = 'Allow'
    return verdict


# --- the ?policy operations ----------------------------------------------------------------
def put_bucket_policy(s3, req, ident, bucket):
    s3config.bucket_sysmeta(s3, ident.account, bucket)
    if req.content_length is not None and req.content_length > MAX_POLICY:
        raise S3Error('PolicyTooLarge', 'Policies must be no more than 20 KB', 400)
    body = req.body_file.read(MAX_POLICY + 1)
    if len(body) > MAX_POLICY:
        raise S3Error('PolicyTooLarge', 'Policies must be no more than 20 KB', 400)
    try:
        text = body.decode('utf-8')
    except UnicodeDecodeError:
        raise _malformed('Policies must be valid JSON') from None
    sts = parse(text)
    conf = s3publicaccess.configuration(s3, ident.account, bucket)
    if conf and conf['BlockPublicPolicy'] and is_public(sts):
        raise S3Error('AccessDenied')
    s3config.store(s3, ident, bucket, NAME, {'text': text})
    return webob.Response(status=204)


def get_bucket_policy(s3, req, ident, bucket):
    doc = s3config.load(s3, ident.account, bucket, NAME)
    if not isinstance(doc, dict) or 'text' not in doc:
        raise S3Error('NoSuchBucketPolicy', 'The bucket policy does not exist', 404,
                      BucketName=bucket)
    return webob.Response(status=200, body=doc['text'].encode('utf-8'), charset=None,
                          content_type='application/json')


def delete_bucket_policy(s3, req, ident, bucket):
    s3config.store(s3, ident, bucket, NAME, None)
    return webob.Response(status=204)

