"""S3's PublicAccessBlock of a bucket (Put/Get/DeletePublicAccessBlock),
kept as the bucket's ``PublicAccessBlock`` document (:mod:`config`).

Enforcement hooks:

* :func:`deny_public_acl` — BlockPublicAcls: a request that would grant a
  public ACL (canned ``public-read``, ``public-read-write``,
  ``authenticated-read`` or an ``x-amz-grant-*`` naming AllUsers /
  AuthenticatedUsers) is refused with AccessDenied. Called by PutObject,
  CopyObject, CreateMultipartUpload and Put{Bucket,Object}Acl before
  anything is stored; the ACL code calls it with the ACL body it parsed.
* :func:`ignore_public_acls` — IgnorePublicAcls: whether the ACL code must
  evaluate the bucket's and its objects' ACLs as if their public grants were
  absent.
* BlockPublicPolicy — a public bucket policy (:func:`is_public_policy`) is
  refused with AccessDenied by PutBucketPolicy; RestrictPublicBuckets — a
  bucket whose policy is public refuses anonymous callers (both in
  :mod:`.bucketpolicy`).
"""
import webob

from iaas.api.objectstore.s3 import config as s3config
from iaas.api.objectstore.s3.xmldoc import S3Error, add, element, xml_response

NAME = 'PublicAccessBlock'
FIELDS = ('BlockPublicAcls', 'IgnorePublicAcls', 'BlockPublicPolicy', 'RestrictPublicBuckets')
PUBLIC_CANNED = ('public-read', 'public-read-write', 'authenticated-read')
PUBLIC_GROUPS = ('http://acs.amazonaws.com/groups/global/AllUsers',
                 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers')


def configuration(s3, account, bucket):
    """{field: bool} of the bucket, or None when it has none."""
    doc = s3config.load(s3, account, bucket, NAME)
    if not isinstance(doc, dict):
        return None
    return {f: bool(doc.get(f)) for f in FIELDS}


def put_public_access_block(s3, req, ident, bucket):
    s3config.bucket_sysmeta(s3, ident.account, bucket)
    root = s3config.read_xml(req, 4096)
    if root.tag != 'PublicAccessBlockConfiguration' or \
            any(child.tag not in FIELDS for child in root):
        raise S3Error('MalformedXML')
    doc = {f: s3config.flag(root.findtext(f)) for f in FIELDS}
    s3config.store(s3, ident, bucket, NAME, doc)
    return webob.Response(status=200)


def get_public_access_block(s3, req, ident, bucket):
    conf = configuration(s3, ident.account, bucket)
    if conf is None:
        raise S3Error('NoSuchPublicAccessBlockConfiguration',
                      'The public access block configuration was not found', 404,
                      BucketName=bucket)
    root = element('PublicAccessBlockConfiguration')
    for f in FIELDS:
        add(root, f, conf[f])
    return xml_response(root)


def delete_public_access_block(s3, req, ident, bucket):
    s3config.store(s3, ident, bucket, NAME, None)
    return webob.Response(status=204)


# --- enforcement ------------------------------------------------------------------------
def is_public_acl(canned=None, grants=()):
    """Whether a canned ACL or grants (``[(permission, grantee URI or id)]``
    or ``x-amz-grant-*`` header values) make something public."""
    if canned in PUBLIC_CANNED:
        return True
    return any(group in str(g) for g in grants for group in PUBLIC_GROUPS)


def request_acl(req):
    """(canned, grant header values) of a request's ACL headers."""
    grants = [v for k, v in req.headers.items() if k.lower().startswith('x-amz-grant-')]
    return req.headers.get('x-amz-acl'), grants


def deny_public_acl(s3, account, bucket, canned=None, grants=()):
    """AccessDenied when the bucket blocks public ACLs (BlockPublicAcls) and
    this ACL is public; nothing when it is not public or not blocked."""
    if not is_public_acl(canned, grants):
        return
    conf = configuration(s3, account, bucket)
    if conf and conf['BlockPublicAcls']:
        raise S3Error('AccessDenied')


def deny_public_request_acl(s3, req, account, bucket):
    """:func:`deny_public_acl` of a write request's x-amz-acl / x-amz-grant-*."""
    canned, grants = request_acl(req)
    deny_public_acl(s3, account, bucket, canned, grants)


def ignore_public_acls(s3, account, bucket):
    """Whether public grants of this bucket and its objects are to be ignored
    when ACLs are evaluated (IgnorePublicAcls)."""
    conf = configuration(s3, account, bucket)
    return bool(conf and conf['IgnorePublicAcls'])



# --- bucket policies (s3/bucketpolicy.py) ---------------------------------------------
def is_public_policy(doc):
    """Whether a policy document allows anyone: an Allow statement whose
    Principal is ``*`` or ``{"AWS": "*"}`` (or a list holding ``*``) and
    that has no Condition."""
    statements = doc.get('Statement', []) if isinstance(doc, dict) else []
    if isinstance(statements, dict):
        statements = [statements]
    for st in statements if isinstance(statements, list) else []:
        if not isinstance(st, dict) or st.get('Effect') != 'Allow' or st.get('Condition'):
            continue
        principal = st.get('Principal')
        if isinstance(principal, dict):
            principal = principal.get('AWS')
        if principal == '*' or (isinstance(principal, list) and '*' in principal):
            return True
    return False
