"""The S3 subresource table: every AWS subresource routes to an operation
or NotImplemented, never to a plain object write."""
import pytest

from iaas.api.objectstore import policies
from iaas.api.objectstore.s3.subresources import NI, OPERATIONS, SUBRESOURCES, classify

PLAIN_WRITES = {'PutObject', 'CopyObject', 'DeleteObject', 'CreateBucket', 'DeleteBucket'}


@pytest.mark.parametrize('name', sorted(SUBRESOURCES))
@pytest.mark.parametrize('method', ['GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'PATCH'])
@pytest.mark.parametrize('key', ['', 'k'])
def test_no_subresource_is_a_plain_write(name, method, key):
    op = classify(method, 'b', key, {name: ''}, {})
    assert op in OPERATIONS or op in (NI, 'MethodNotAllowed')
    assert op not in PLAIN_WRITES


@pytest.mark.parametrize('method,key,query,headers,op', [
    ('PUT', 'k', {'tagging': ''}, {}, 'PutObjectTagging'),
    ('PUT', 'k', {'legal-hold': ''}, {}, NI),
    ('DELETE', 'k', {'tagging': ''}, {}, 'DeleteObjectTagging'),
    ('PUT', '', {'cors': ''}, {}, 'PutBucketCors'),
    ('GET', '', {'publicAccessBlock': ''}, {}, 'GetPublicAccessBlock'),
    ('PUT', 'k', {'uploadId': 'u', 'partNumber': '1'}, {'x-amz-copy-source': 'b/s'},
     'UploadPartCopy'),
    ('GET', 'k', {'versionId': 'v'}, {}, 'GetObjectVersion'),
    ('DELETE', 'k', {'versionId': 'v'}, {}, 'DeleteObjectVersion'),
    ('GET', 'k', {'partNumber': '1'}, {}, 'GetObject'),
    ('GET', '', {'versions': ''}, {}, 'ListObjectVersions'),
    ('PUT', '', {'versioning': ''}, {}, 'PutBucketVersioning'),
    ('PUT', '', {'lifecycle': ''}, {}, NI),
    ('PUT', 'k', {'x-id': 'PutObject'}, {}, 'PutObject'),
    ('GET', '', {'list-type': '2'}, {}, 'ListObjects'),
    ('GET', '', {'object-lock': ''}, {}, 'GetObjectLockConfiguration'),
    ('PUT', '', {'object-lock': ''}, {}, NI),
    ('GET', 'k', {'object-lock': ''}, {}, NI),
])
def test_classify(method, key, query, headers, op):
    assert classify(method, 'b', key, query, headers) == op


def test_every_operation_has_a_rule():
    assert set(OPERATIONS) == set(policies.S3)
