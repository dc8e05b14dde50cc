"""S3 access control lists on buckets and objects.

An ACL is an owner (the S3 user that created the bucket or object, see
:func:`principal`) and
a list of grants ``(kind, grantee, permission)``: kind ``id`` (a user) or
``uri`` (a group: AllUsers, AuthenticatedUsers, LogDelivery). It is kept as
JSON in ``X-Container-Sysmeta-S3-Acl`` / ``X-Object-Sysmeta-S3-Acl`` (only the
S3 layer can set those, see ``utils.s3_sysmeta``).

A signed request's bucket is always looked up in the caller's account
(another account's buckets are never reachable by its users), and Swift's
own checks still apply to every subrequest. An unsigned request is
anonymous (:func:`anonymous`): its bucket is found through the bucket index
(:mod:`.buckets`) and it may do only what grants to AllUsers allow. A
bucket without an ACL (made through Swift, or before ACLs were kept) is
left as it was: every user of the account has full control of it, and
anonymous callers none. A bucket whose PublicAccessBlock says
IgnorePublicAcls is evaluated as if AllUsers / AuthenticatedUsers grants
were absent.
"""
import json

import webob

from iaas.api.objectstore.auth import Identity
from iaas.api.objectstore.s3 import bucketpolicy as s3bucketpolicy
from iaas.api.objectstore.s3 import buckets as s3buckets
from iaas.api.objectstore.s3 import publicaccess as s3publicaccess
from iaas.api.objectstore.s3.xmldoc import S3Error, add, element, parse, xml_response

BUCKET_META = 'X-Container-Sysmeta-S3-Acl'
OBJECT_META = 'X-Object-Sysmeta-S3-Acl'
NEW_OBJECT = 'iaas.s3.acl'     # environ: the ACL header of the object a request writes
XSI = 'http://www.w3.org/2001/XMLSchema-instance'
ALL_USERS = 'http://acs.amazonaws.com/groups/global/AllUsers'
AUTH_USERS = 'http://acs.amazonaws.com/groups/global/AuthenticatedUsers'
LOG_DELIVERY = 'http://acs.amazonaws.com/groups/s3/LogDelivery'
GROUPS = (ALL_USERS, AUTH_USERS, LOG_DELIVERY)
PERMISSIONS = ('FULL_CONTROL', 'READ', 'WRITE', 'READ_ACP', 'WRITE_ACP')
GRANT_HEADERS = {f'x-amz-grant-{p.lower().replace("_", "-")}': p for p in PERMISSIONS}
MAX_GRANTS = 100       # as AWS

# operation → the permission it needs on the bucket (others: the bucket owner only)
BUCKET_PERMISSION = {
    'HeadBucket': 'READ', 'ListObjects': 'READ', 'ListObjectVersions': 'READ',
    'ListMultipartUploads': 'READ', 'GetBucketAcl': 'READ_ACP', 'PutBucketAcl': 'WRITE_ACP',
    'PutObject': 'WRITE', 'CopyObject': 'WRITE', 'DeleteObject': 'WRITE',
    'DeleteObjectVersion': 'WRITE', 'DeleteObjects': 'WRITE', 'CreateMultipartUpload': 'WRITE',
    'UploadPart': 'WRITE', 'UploadPartCopy': 'WRITE', 'CompleteMultipartUpload': 'WRITE',
    'AbortMultipartUpload': 'WRITE', 'ListParts': 'WRITE'}
# operation → the permission it needs on the object instead
OBJECT_PERMISSION = {
    'GetObject': 'READ', 'HeadObject': 'READ', 'GetObjectVersion': 'READ',
    'HeadObjectVersion': 'READ', 'GetObjectAttributes': 'READ',
    'GetObjectAcl': 'READ_ACP', 'PutObjectAcl': 'WRITE_ACP'}
# operations that write an object: the new object's ACL comes with the request
WRITES_OBJECT = ('PutObject', 'CopyObject', 'CreateMultipartUpload')


class ACL:
    def __init__(self, owner, grants):
        self.owner, self.grants = owner, [tuple(g) for g in grants]

    def __eq__(self, other):
        return isinstance(other, ACL) and (self.owner, self.grants) == (other.owner,
                                                                       other.grants)

    @classmethod
    def load(cls, value):
        """The ACL of a stored header value, or None (none kept); one that
        cannot be read lets nobody do anything (never fails open)."""
        if not value:
            return None
        try:
            data = json.loads(value)
            return cls(str(data['Owner']), [(k, w, p) for k, w, p in data['Grants']])
        except (ValueError, KeyError, TypeError):
            return cls('', [])

    def dump(self):
        return json.dumps({'Owner': self.owner, 'Grants': [list(g) for g in self.grants]},
                          separators=(',', ':'))

    def allows(self, user, permission, public=True):
        """Whether ``user`` ('' = anonymous) has ``permission``: the owner
        has full control whatever the grants say (as Swift's s3api: an owner
        who revoked every grant can still clean up); anyone else needs a
        grant: to them, to AllUsers, or (signed requests) to
        AuthenticatedUsers. ``public=False``: those two groups' grants are
        ignored (IgnorePublicAcls)."""
        if user and user == self.owner:
            return True
        groups = ((ALL_USERS, AUTH_USERS) if user else (ALL_USERS,)) if public else ()
        for kind, who, perm in self.grants:
            if perm not in (permission, 'FULL_CONTROL'):
                continue
            if (kind == 'id' and user and who == user) or (kind == 'uri' and who in groups):
                return True
        return False

    def xml(self):
        root = element('AccessControlPolicy', [('Owner', [('ID', self.owner),
                                                          ('DisplayName', self.owner)])])
        grants = add(root, 'AccessControlList')
        for kind, who, perm in self.grants:
            grant = add(grants, 'Grant')
            grantee = add(grant, 'Grantee')
            grantee.set('xmlns:xsi', XSI)
            if kind == 'id':
                grantee.set('xsi:type', 'CanonicalUser')
                add(grantee, 'ID', who)
                add(grantee, 'DisplayName', who)
            else:
                grantee.set('xsi:type', 'Group')
                add(grantee, 'URI', who)
            add(grant, 'Permission', perm)
        return root


def canned(name, owner, bucket_owner=None):
    """The ACL of canned ACL ``name`` (grants in the order S3 lists them)."""
    bucket_owner = bucket_owner or owner
    full = ('id', owner, 'FULL_CONTROL')
    grants = {
        'private': [full], 'aws-exec-read': [full],
        'public-read': [('uri', ALL_USERS, 'READ'), full],
        'public-read-write': [('uri', ALL_USERS, 'READ'), ('uri', ALL_USERS, 'WRITE'), full],
        'authenticated-read': [('uri', AUTH_USERS, 'READ'), full],
        'bucket-owner-read': [('id', bucket_owner, 'READ'), full],
        'bucket-owner-full-control': [full, ('id', bucket_owner, 'FULL_CONTROL')],
        'log-delivery-write': [('uri', LOG_DELIVERY, 'WRITE'),
                               ('uri', LOG_DELIVERY, 'READ_ACP'), full],
    }.get(name)
    if grants is None:
        raise S3Error('InvalidArgument', 'Invalid canned ACL', ArgumentName='x-amz-acl',
                      ArgumentValue=name)
    return ACL(owner, grants)


def _grantee(kind, value, source):
    kind = kind.strip().lower()
    if kind == 'id' and value:
        return 'id', value
    if kind == 'uri' and value in GROUPS:
        return 'uri', value
    if kind in ('emailaddress', 'email'):     # no user here has an e-mail address
        raise S3Error('UnresolvableGrantByEmailAddress', 'The e-mail address you provided '
                      'does not match any account on record.', 400, EmailAddress=value)
    raise S3Error('InvalidArgument', 'Invalid grantee', ArgumentName=source,
                  ArgumentValue=value)


def from_headers(req, owner, bucket_owner=None):
    """The ACL that ``x-amz-acl`` or ``x-amz-grant-*`` ask for, or None."""
    name = req.headers.get('x-amz-acl')
    present = [h for h in GRANT_HEADERS if h in req.headers]
    if name is not None and present:
        raise S3Error('InvalidRequest', 'Specifying both Canned ACLs and Header Grants '
                      'is not allowed')
    if name is not None:
        return canned(name.strip(), owner, bucket_owner)
    if not present:
        return None
    grants = []
    for header in present:
        for item in req.headers[header].split(','):
            kind, sep, value = item.partition('=')
            if not sep:
                raise S3Error('InvalidArgument', 'Invalid grant', ArgumentName=header,
                              ArgumentValue=req.headers[header])
            grants.append(_grantee(kind, value.strip().strip('"'), header) +
                          (GRANT_HEADERS[header],))
    if len(grants) > MAX_GRANTS:
        raise S3Error('MalformedACLError')
    return ACL(owner, grants)


def from_xml(body, owner):
    """The ACL of an AccessControlPolicy document; its owner must be ``owner``."""
    root = parse(body)
    owner_id = root.findtext('Owner/ID')
    if root.tag != 'AccessControlPolicy' or owner_id is None:
        raise S3Error('MalformedACLError')
    if owner_id.strip() != owner:
        raise S3Error('AccessDenied')
    grants = []
    for grant in root.findall('AccessControlList/Grant'):
        perm = (grant.findtext('Permission') or '').strip()
        grantee = grant.find('Grantee')
        if perm not in PERMISSIONS or grantee is None:
            raise S3Error('MalformedACLError')
        for tag, kind in (('ID', 'id'), ('URI', 'uri'), ('EmailAddress', 'email')):
            value = grantee.findtext(tag)
            if value is not None:
                grants.append(_grantee(kind, value.strip(), 'Grantee') + (perm,))
                break
        else:
            raise S3Error('MalformedACLError')
    if len(grants) > MAX_GRANTS:
        raise S3Error('MalformedACLError')
    return ACL(owner, grants)


def anonymous(account):
    """The identity of an unsigned request on a bucket of ``account``: no
    user (see :func:`is_anonymous`); its subrequests reach that account's
    containers only, and only after the ACLs allowed the operation."""
    return Identity(user='', account=account, scope=(account, None))


def is_anonymous(ident):
    return not ident.user


def check_grantees(s3, acl):
    """InvalidArgument when a grant names a user id nobody has: a tempauth
    user ``account:user``, or (identity) a project's account."""
    auth = s3.proxy.auth
    for kind, who, _perm in acl.grants:
        if kind != 'id' or who == acl.owner or who in auth.users or (
                auth.identity_api is not None and who.startswith(auth.prefix)):
            continue
        raise S3Error('InvalidArgument', 'Invalid id', ArgumentName='CanonicalUser/ID',
                      ArgumentValue=who)


def principal(ident):
    """The S3 user an identity acts as (owner and grantee ids): a tempauth
    user on its own, an identity (keystone-style) user as its project, the
    way IAM users of one AWS account share its canonical user, so that a
    project's members keep sharing its buckets."""
    return ident.account if ident.project_id else ident.user


# --- where ACLs are kept ------------------------------------------------------------------
def bucket_acl(s3, ident, bucket, fresh=False):
    """(container info, the bucket's ACL or None)."""
    info = s3.proxy.container_info(ident.account, bucket, fresh=fresh)
    if info['status'] >= 300:
        return info, None
    return info, ACL.load(info['headers'].get(BUCKET_META))


def object_acl(s3, ident, bucket, key, owner, version=None):
    """(HEAD status, the ACL of the object or of its version ``version``);
    an object without one is the bucket owner's, private."""
    query = {'version-id': version} if version else None
    resp = s3.swift(ident, 'HEAD', bucket, key, query=query)
    acl = ACL.load(resp.headers.get(OBJECT_META)) if resp.status_int < 300 else None
    return resp.status_int, acl or canned('private', owner)


def enforce(s3, req, ident, op, bucket, key):
    """AccessDenied unless the caller's grants allow ``op``; for an operation
    that writes an object, the new object's ACL header is left in the
    environ (:data:`NEW_OBJECT`) for the write to store."""
    info, bacl = bucket_acl(s3, ident, bucket)
    user = principal(ident)
    owner = bacl.owner if bacl else user
    # the bucket policy first: an explicit Deny refuses, an Allow grants
    verdict = s3bucketpolicy.evaluate(s3, req, ident, op, bucket, key, owner, user) \
        if info['status'] < 300 else None
    if verdict == 'Deny' or (bacl is None and is_anonymous(ident) and verdict is None):
        raise S3Error('AccessDenied')
    _expected_owner(req, 'x-amz-expected-bucket-owner', bacl, user)
    if op in WRITES_OBJECT:
        # an anonymous writer's object is the bucket owner's
        writer = user or owner or ident.account
        new = from_headers(req, writer, owner or writer) or canned('private', writer)
        check_grantees(s3, new)
        req.environ[NEW_OBJECT] = {OBJECT_META: new.dump()}
    if bacl is None or verdict == 'Allow':
        if op in ('CopyObject', 'UploadPartCopy') and verdict == 'Allow':
            _copy_source_readable(s3, req, ident)
        return       # no ACL kept (or no bucket: the handler answers), or allowed
    public = not s3publicaccess.ignore_public_acls(s3, ident.account, bucket)
    if op in OBJECT_PERMISSION:
        _check_object(s3, ident, bucket, key, bacl, OBJECT_PERMISSION[op],
                      req.GET.get('versionId'), public)
    elif op in BUCKET_PERMISSION:
        if not bacl.allows(user, BUCKET_PERMISSION[op], public):
            raise S3Error('AccessDenied')
    elif not user or user != bacl.owner:
        raise S3Error('AccessDenied')
    if op in ('CopyObject', 'UploadPartCopy'):
        _copy_source_readable(s3, req, ident)


def _check_object(s3, ident, bucket, key, bacl, permission, version=None, public=True):
    """AccessDenied unless the object's ACL grants ``permission``; when there
    is no such object (or it cannot be read) the bucket's READ is needed: no
    telling what exists without it."""
    status, oacl = object_acl(s3, ident, bucket, key, bacl.owner, version)
    user = principal(ident)
    if not (oacl.allows(user, permission, public) if status < 300
            else bacl.allows(user, 'READ', public)):
        raise S3Error('AccessDenied')


def _expected_owner(req, header, bacl, user):
    """AccessDenied when the request names (``header``) a bucket owner
    other than the bucket's (a bucket without an ACL is its caller's)."""
    expected = req.headers.get(header)
    if expected is not None and expected.strip() != (bacl.owner if bacl else user):
        raise S3Error('AccessDenied')


def _copy_source_readable(s3, req, ident):
    sb, sk = s3.copy_source(req)
    _info, bacl = bucket_acl(s3, ident, sb)
    if bacl is None and is_anonymous(ident):
        raise S3Error('AccessDenied')
    _expected_owner(req, 'x-amz-source-expected-bucket-owner', bacl, principal(ident))
    if bacl is not None:
        _check_object(s3, ident, sb, sk, bacl, 'READ', s3.copy_source_version(req),
                      not s3publicaccess.ignore_public_acls(s3, ident.account, sb))


def new_object_headers(req):
    """The sysmeta header of the ACL of the object this request writes."""
    return dict(req.environ.get(NEW_OBJECT) or {})


def can_list(s3, ident, name):
    """Whether ListBuckets shows bucket ``name`` to the caller: buckets it
    owns (and those without an ACL), as S3 lists only the caller's own."""
    info, acl = bucket_acl(s3, ident, name)
    return info['status'] < 300 and (acl is None or acl.owner == principal(ident))


# --- the ?acl operations ------------------------------------------------------------------
def get_acl(s3, req, ident, bucket, key=None):
    s3.check_bucket(ident, bucket)
    _info, bacl = bucket_acl(s3, ident, bucket)
    owner = bacl.owner if bacl else principal(ident)
    if key is None:
        return xml_response((bacl or canned('private', owner)).xml())
    status, oacl = object_acl(s3, ident, bucket, key, owner, req.GET.get('versionId'))
    if status >= 300:
        s3.object_error(ident, bucket, key, status)
    return xml_response(oacl.xml())


def put_acl(s3, req, ident, bucket, key=None):
    """PutBucketAcl / PutObjectAcl: a canned ACL, grant headers or an
    AccessControlPolicy body (exactly one); the owner stays who it was."""
    s3.check_bucket(ident, bucket)
    _info, bacl = bucket_acl(s3, ident, bucket)
    bucket_owner = bacl.owner if bacl else principal(ident)
    head = None
    owner = bucket_owner
    if key is not None and 'versionId' in req.GET:
        # an old version's metadata is not changed here (a POST is the current's)
        raise S3Error('NotImplemented', 'Setting the ACL of one version is not implemented')
    if key is not None:
        head = s3.swift(ident, 'HEAD', bucket, key)
        if head.status_int >= 300:
            s3.object_error(ident, bucket, key, head.status_int)
        oacl = ACL.load(head.headers.get(OBJECT_META))
        owner = oacl.owner if oacl else bucket_owner
    body = req.body_file.read((1 << 16) + 1)
    acl = from_headers(req, owner, bucket_owner)
    if acl is not None and body.strip():
        raise S3Error('UnexpectedContent', 'This request does not support content')
    if acl is None:
        if not body.strip():
            raise S3Error('MissingSecurityHeader', 'Your request was missing a required '
                          'header', 400, MissingHeaderName='x-amz-acl')
        acl = from_xml(body, owner)
    check_grantees(s3, acl)
    # BlockPublicAcls refuses a public ACL (AllUsers / AuthenticatedUsers grants)
    s3publicaccess.deny_public_acl(s3, ident.account, bucket, grants=acl.grants)
    if key is None:
        resp = s3.swift(ident, 'POST', bucket, headers={BUCKET_META: acl.dump()})
        if resp.status_int < 300:     # (a bucket made before the index joins it)
            s3buckets.claim(s3, ident.account, bucket)
    else:
        resp = s3.swift(ident, 'POST', bucket, key, headers=dict(
            _kept_metadata(head.headers), **{OBJECT_META: acl.dump()}))
    if resp.status_int >= 300 and key is not None:
        s3.object_error(ident, bucket, key, resp.status_int)
    if resp.status_int >= 300:
        raise S3Error('NoSuchBucket' if resp.status_int == 404 else 'ServiceUnavailable',
                      BucketName=bucket)
    return webob.Response(status=200)


KEPT = ('content-type', 'content-disposition', 'content-encoding', 'cache-control',
        'content-language', 'expires', 'x-robots-tag', 'x-delete-at', 'x-object-manifest')


def _kept_metadata(headers):
    """What an object POST would otherwise drop: the object's user metadata
    and the headers a POST sets (an ACL change leaves them as they were)."""
    return {k: v for k, v in headers.items()
            if k.lower().startswith('x-object-meta-') or k.lower() in KEPT}
