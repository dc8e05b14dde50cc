"""The object store's policy rules (oslo.policy, defaults in code).

Every Swift request (verb × account/container/object) and every S3
operation the S3 dispatcher knows maps to one rule in :data:`SWIFT` /
:data:`S3`; the proxy and the S3 layer check it with the caller's
identity context against the target account's project
(``{'project_id': <project of AUTH_<project>>}``). A caller that fails the
rule may still be let in by the container's Swift ACLs (read/write), as
Swift's keystoneauth does; a reader-only caller never writes.

Tempauth users of a standalone object store (no identity) keep their own
owner rule (:meth:`iaas.api.objectstore.auth.Auth.is_owner`).
"""

from iaas.policies import documented

READ = 'rule:project_reader or role:ResellerAdmin'
WRITE = 'rule:project_member or role:ResellerAdmin'


_rule = documented


ACCT, CONT, OBJ = '/v1/{account}', '/v1/{account}/{container}', \
    '/v1/{account}/{container}/{object}'

RULES = [
    _rule('objectstore:account:get', READ, 'List an account\'s containers or read its '
          'metadata.', [('GET', ACCT), ('HEAD', ACCT)]),
    _rule('objectstore:account:post', WRITE, 'Set an account\'s metadata.',
          [('POST', ACCT)]),
    _rule('objectstore:container:get', READ, 'List a container or read its metadata.',
          [('GET', CONT), ('HEAD', CONT)]),
    _rule('objectstore:container:put', WRITE, 'Create a container.', [('PUT', CONT)]),
    _rule('objectstore:container:post', WRITE, 'Set a container\'s metadata and ACLs.',
          [('POST', CONT)]),
    _rule('objectstore:container:delete', WRITE, 'Delete an empty container.',
          [('DELETE', CONT)]),
    _rule('objectstore:object:get', READ, 'Read an object or its metadata.',
          [('GET', OBJ), ('HEAD', OBJ)]),
    _rule('objectstore:object:put', WRITE, 'Write (or copy into) an object.',
          [('PUT', OBJ), ('COPY', OBJ)]),
    _rule('objectstore:object:post', WRITE, 'Set an object\'s metadata.', [('POST', OBJ)]),
    _rule('objectstore:object:delete', WRITE, 'Delete an object.', [('DELETE', OBJ)]),
]

# (level, method) of a Swift request → rule. OPTIONS is not served (405).
SWIFT = {
    ('account', 'GET'): 'objectstore:account:get',
    ('account', 'HEAD'): 'objectstore:account:get',
    ('account', 'POST'): 'objectstore:account:post',
    ('container', 'GET'): 'objectstore:container:get',
    ('container', 'HEAD'): 'objectstore:container:get',
    ('container', 'PUT'): 'objectstore:container:put',
    ('container', 'POST'): 'objectstore:container:post',
    ('container', 'DELETE'): 'objectstore:container:delete',
    ('object', 'GET'): 'objectstore:object:get',
    ('object', 'HEAD'): 'objectstore:object:get',
    ('object', 'PUT'): 'objectstore:object:put',
    ('object', 'COPY'): 'objectstore:object:put',
    ('object', 'POST'): 'objectstore:object:post',
    ('object', 'DELETE'): 'objectstore:object:delete',
}

# S3 operation (as iaas.api.objectstore.s3.app.classify names it) → rule.
S3 = {
    'ListBuckets': 'objectstore:account:get',
    'CreateBucket': 'objectstore:container:put',
    'DeleteBucket': 'objectstore:container:delete',
    'HeadBucket': 'objectstore:container:get',
    'GetBucketLocation': 'objectstore:container:get',
    'GetBucketVersioning': 'objectstore:container:get',
    'GetBucketAcl': 'objectstore:container:get',
    'ListObjects': 'objectstore:container:get',
    'ListMultipartUploads': 'objectstore:container:get',
    'DeleteObjects': 'objectstore:object:delete',
    'PutObject': 'objectstore:object:put',
    'CopyObject': 'objectstore:object:put',
    'UploadPart': 'objectstore:object:put',
    'UploadPartCopy': 'objectstore:object:put',
    'CreateMultipartUpload': 'objectstore:object:put',
    'CompleteMultipartUpload': 'objectstore:object:put',
    'AbortMultipartUpload': 'objectstore:object:delete',
    'DeleteObject': 'objectstore:object:delete',
    'GetObject': 'objectstore:object:get',
    'HeadObject': 'objectstore:object:get',
    'GetObjectAcl': 'objectstore:object:get',
    'ListParts': 'objectstore:object:get',
    'PutBucketVersioning': 'objectstore:container:post',
    'ListObjectVersions': 'objectstore:container:get',
    'GetObjectVersion': 'objectstore:object:get',
    'HeadObjectVersion': 'objectstore:object:get',
    'DeleteObjectVersion': 'objectstore:object:delete',
    'PutBucketAcl': 'objectstore:container:post',
    'PutObjectAcl': 'objectstore:object:post',
    'GetObjectAttributes': 'objectstore:object:get',
    'GetBucketCors': 'objectstore:container:get',
    'PutBucketCors': 'objectstore:container:post',
    'DeleteBucketCors': 'objectstore:container:post',
    'GetObjectTagging': 'objectstore:object:get',
    'PutObjectTagging': 'objectstore:object:post',
    'DeleteObjectTagging': 'objectstore:object:post',
    'GetBucketTagging': 'objectstore:container:get',
    'PutBucketTagging': 'objectstore:container:post',
    'DeleteBucketTagging': 'objectstore:container:post',
    'GetPublicAccessBlock': 'objectstore:container:get',
    'PutPublicAccessBlock': 'objectstore:container:post',
    'DeletePublicAccessBlock': 'objectstore:container:post',
    'PutBucketPolicy': 'objectstore:container:post',
    'GetBucketPolicy': 'objectstore:container:get',
    'DeleteBucketPolicy': 'objectstore:container:post',
    'GetObjectLockConfiguration': 'objectstore:container:get',
}


def swift_rule(container, obj, method):
    level = 'account' if container is None else 'container' if obj is None else 'object'
    return SWIFT.get((level, method))


def list_rules():
    return list(RULES)
