"""Every S3 subresource (query parameter that selects an operation) AWS
defines, and per level and method the operation that implements it.

A request carrying one of these parameters is routed by this table only:
an operation name (a key of :data:`OPERATIONS`) when we implement it,
:data:`NI` (answered ``501 NotImplemented`` before any storage is touched)
when AWS defines the call and we do not, and ``MethodNotAllowed`` for a
method AWS does not define on that subresource. A request without any
subresource is one of the plain operations (:func:`classify`).
"""

NI = 'NotImplemented'
ALL = ('GET', 'HEAD', 'PUT', 'POST', 'DELETE')


def _ni(*methods):
    return {m: NI for m in methods}


# name → (bucket level {method: op}, object level {method: op}); order = precedence
SUBRESOURCES = {
    # --- parameters that name a multipart upload / version / part ---------------
    'uploadId': ({}, {'PUT': 'UploadPart', 'GET': 'ListParts', 'HEAD': 'ListParts',
                      'POST': 'CompleteMultipartUpload',
                      'DELETE': 'AbortMultipartUpload'}),
    'uploads': ({'GET': 'ListMultipartUploads'}, {'POST': 'CreateMultipartUpload'}),
    # --- object and bucket subresources ------------------------------------------
    'acl': ({'GET': 'GetBucketAcl', 'PUT': 'PutBucketAcl'},
            {'GET': 'GetObjectAcl', 'PUT': 'PutObjectAcl'}),
    'tagging': ({'GET': 'GetBucketTagging', 'PUT': 'PutBucketTagging',
                 'DELETE': 'DeleteBucketTagging'},
                {'GET': 'GetObjectTagging', 'PUT': 'PutObjectTagging',
                 'DELETE': 'DeleteObjectTagging'}),
    'legal-hold': ({}, _ni('GET', 'PUT')),
    'retention': ({}, _ni('GET', 'PUT')),
    'torrent': ({}, _ni('GET')),
    'restore': ({}, _ni('POST')),
    'select': ({}, _ni('POST')),
    'select-type': ({}, _ni('POST')),
    'attributes': ({}, {'GET': 'GetObjectAttributes'}),
    'renameObject': ({}, _ni('PUT')),
    'versioning': ({'GET': 'GetBucketVersioning', 'PUT': 'PutBucketVersioning'}, {}),
    'versions': ({'GET': 'ListObjectVersions'}, {}),
    'location': ({'GET': 'GetBucketLocation'}, {}),
    'delete': ({'POST': 'DeleteObjects'}, {}),
    'cors': ({'GET': 'GetBucketCors', 'PUT': 'PutBucketCors', 'DELETE': 'DeleteBucketCors'},
             {}),
    'policy': ({'GET': 'GetBucketPolicy', 'PUT': 'PutBucketPolicy',
                'DELETE': 'DeleteBucketPolicy'}, {}),
    'policyStatus': (_ni('GET'), {}),
    'lifecycle': (_ni('GET', 'PUT', 'DELETE'), {}),
    'logging': (_ni('GET', 'PUT'), {}),
    'notification': (_ni('GET', 'PUT'), {}),
    'replication': (_ni('GET', 'PUT', 'DELETE'), {}),
    'website': (_ni('GET', 'PUT', 'DELETE'), {}),
    'encryption': (_ni('GET', 'PUT', 'DELETE'), {}),
    'accelerate': (_ni('GET', 'PUT'), {}),
    'analytics': (_ni('GET', 'PUT', 'DELETE'), {}),
    'inventory': (_ni('GET', 'PUT', 'DELETE'), {}),
    'metrics': (_ni('GET', 'PUT', 'DELETE'), {}),
    'intelligent-tiering': (_ni('GET', 'PUT', 'DELETE'), {}),
    'ownershipControls': (_ni('GET', 'PUT', 'DELETE'), {}),
    'publicAccessBlock': ({'GET': 'GetPublicAccessBlock', 'PUT': 'PutPublicAccessBlock',
                           'DELETE': 'DeletePublicAccessBlock'}, {}),
    'requestPayment': (_ni('GET', 'PUT'), {}),
    'object-lock': ({'GET': 'GetObjectLockConfiguration', 'PUT': NI}, {}),
    'session': (_ni('GET'), {}),
    'metadataTable': (_ni('GET', 'POST', 'DELETE'), {}),
    'metadataConfiguration': (_ni('GET', 'POST', 'DELETE'), {}),
    'metadataJournalTable': (_ni('PUT'), {}),
    'metadataInventoryTable': (_ni('PUT'), {}),
    'abac': (_ni('GET', 'PUT'), {}),
    'append': ({}, _ni('PUT')),          # RGW/S3 Express append: never a plain PUT
    'compose': ({}, _ni('PUT')),
}

# parameters that modify a plain operation (not subresources): AWS ignores
# any other parameter, and so do we
PARAMETERS = {
    'bucket': ('list-type', 'prefix', 'delimiter', 'marker', 'max-keys', 'encoding-type',
               'continuation-token', 'fetch-owner', 'start-after', 'key-marker',
               'version-id-marker', 'max-uploads', 'upload-id-marker', 'x-id'),
    'object': ('partNumber', 'versionId', 'max-parts', 'part-number-marker',
               'response-content-type', 'response-content-language', 'response-expires',
               'response-cache-control', 'response-content-disposition',
               'response-content-encoding', 'x-id'),
}

# operation → (handler owner, method name); owner 's3' = iaas.api.objectstore.s3.app.S3,
# 'multipart' = its Multipart, 'versioning' = versioning.HANDLERS[name] (501 or the
# fallback method of S3 named third when that module or name is absent),
# 'ext' = iaas.api.objectstore.s3.ext; an owner in MODULES: fn(s3, req, ident, bucket[, key])
# of that module (in iaas.api.objectstore.s3)
MODULES = {'ext': 'ext', 'acl': 'acl', 'cors': 'cors', 'tagging': 'tagging',
           'publicaccess': 'publicaccess', 'bucketpolicy': 'bucketpolicy'}
OPERATIONS = {
    'ListBuckets': ('s3', 'list_buckets'), 'CreateBucket': ('s3', 'create_bucket'),
    'DeleteBucket': ('s3', 'delete_bucket'), 'HeadBucket': ('s3', 'head_bucket'),
    'GetBucketLocation': ('s3', 'bucket_location'),
    'GetBucketVersioning': ('versioning', 'get_bucket_versioning', 'bucket_versioning'),
    'PutBucketVersioning': ('versioning', 'put_bucket_versioning', None),
    'ListObjectVersions': ('versioning', 'list_object_versions', 'list_versions'),
    'GetObjectVersion': ('versioning', 'get_object_version', 'null_version'),
    'HeadObjectVersion': ('versioning', 'head_object_version', 'null_version'),
    'DeleteObjectVersion': ('versioning', 'delete_object_version', 'null_version'),
    'GetBucketAcl': ('acl', 'get_acl'),
    'ListObjects': ('s3', 'list_objects'),
    'ListMultipartUploads': ('multipart', 'list_uploads'),
    'DeleteObjects': ('s3', 'multi_delete'),
    'PutObject': ('versioning', 'put_object', 'put_object'),
    'CopyObject': ('versioning', 'copy_object', 'copy_object'),
    'UploadPart': ('multipart', 'upload_part'),
    'UploadPartCopy': ('multipart', 'upload_part_copy'),
    'CreateMultipartUpload': ('multipart', 'initiate'),
    'CompleteMultipartUpload': ('multipart', 'complete'),
    'AbortMultipartUpload': ('multipart', 'abort'),
    'DeleteObject': ('versioning', 'delete_object', 'delete_object'),
    'GetObject': ('s3', 'get_object'), 'HeadObject': ('s3', 'get_object'),
    'GetObjectAcl': ('acl', 'get_acl'),
    'GetObjectAttributes': ('ext', 'get_attributes'),
    'GetObjectLockConfiguration': ('ext', 'get_object_lock'),
    'PutBucketAcl': ('acl', 'put_acl'), 'PutObjectAcl': ('acl', 'put_acl'),
    'ListParts': ('multipart', 'list_parts'),
    'GetBucketCors': ('cors', 'get_bucket_cors'),
    'PutBucketCors': ('cors', 'put_bucket_cors'),
    'DeleteBucketCors': ('cors', 'delete_bucket_cors'),
    'GetObjectTagging': ('tagging', 'get_object_tagging'),
    'PutObjectTagging': ('tagging', 'put_object_tagging'),
    'DeleteObjectTagging': ('tagging', 'delete_object_tagging'),
    'GetBucketTagging': ('tagging', 'get_bucket_tagging'),
    'PutBucketTagging': ('tagging', 'put_bucket_tagging'),
    'DeleteBucketTagging': ('tagging', 'delete_bucket_tagging'),
    'GetPublicAccessBlock': ('publicaccess', 'get_public_access_block'),
    'PutPublicAccessBlock': ('publicaccess', 'put_public_access_block'),
    'DeletePublicAccessBlock': ('publicaccess', 'delete_public_access_block'),
    'PutBucketPolicy': ('bucketpolicy', 'put_bucket_policy'),
    'GetBucketPolicy': ('bucketpolicy', 'get_bucket_policy'),
    'DeleteBucketPolicy': ('bucketpolicy', 'delete_bucket_policy'),
}


def subresource(q, level):
    """(name, {method: op}) of the first subresource in query ``q`` at
    ``level`` ('bucket' or 'object'), or None."""
    idx = 0 if level == 'bucket' else 1
    for name, levels in SUBRESOURCES.items():
        if name in q:
            return name, levels[idx]
    return None


def classify(method, bucket, key, q, headers):
    """The S3 operation a request is (a key of OPERATIONS), or
    'MethodNotAllowed' / 'NotImplemented'."""
    m = method
    if not bucket:
        return 'ListBuckets' if m in ('GET', 'HEAD') else 'MethodNotAllowed'
    level = 'object' if key else 'bucket'
    sub = subresource(q, level)
    if sub is not None:
        name, ops = sub
        if not ops:   # a subresource of the other level
            return NI
        op = ops.get(m, 'MethodNotAllowed' if m in ALL else NI)
        if op == 'UploadPart' and headers.get('x-amz-copy-source'):
            return 'UploadPartCopy'
        return op
    if not key:
        return {'PUT': 'CreateBucket', 'DELETE': 'DeleteBucket', 'HEAD': 'HeadBucket',
                'GET': 'ListObjects'}.get(m, NI if m not in ALL else 'MethodNotAllowed')
    if 'versionId' in q and m in ('GET', 'HEAD', 'DELETE'):
        return {'GET': 'GetObjectVersion', 'HEAD': 'HeadObjectVersion',
                'DELETE': 'DeleteObjectVersion'}[m]
    if m == 'PUT':
        return 'CopyObject' if headers.get('x-amz-copy-source') else 'PutObject'
    return {'GET': 'GetObject', 'HEAD': 'HeadObject', 'DELETE': 'DeleteObject'}.get(
        m, 'MethodNotAllowed' if m in ALL else NI)
