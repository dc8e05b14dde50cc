"""The object store's route matrix (issue 12, "must be shown"): every Swift
verb at account/container/object level and every S3 operation the S3
dispatcher knows — both enumerated from iaas.api.objectstore.policies, so a new
operation fails here until it is classified — tried by callers who must not
get in; afterwards the victim's containers and objects are unchanged."""
import json

import botocore
import pytest
import requests
from botocore import UNSIGNED
from botocore.config import Config

from iaas.api.objectstore import policies
from iaas.api.objectstore.s3 import app as s3api
from tests.functional.objectstore.conftest import wait_for

BUCKET, KEY = 'victim', 'obj'
WRITE_METHODS = {'PUT', 'POST', 'DELETE', 'COPY'}


def _swift_request(level, method, account_url):
    url = {'account': account_url, 'container': f'{account_url}/{BUCKET}',
           'object': f'{account_url}/{BUCKET}/{KEY}'}[level]
    kind = level if level != 'object' else 'object'
    headers = {f'X-{kind.capitalize()}-Meta-Evil': 'yes'}
    if level == 'container':
        headers.update({'X-Container-Read': '.r:*,.rlistings', 'X-Container-Write': '*:*'})
    if method == 'COPY':
        headers['Destination'] = f'{BUCKET}/copied'
    data = b'evil' if method == 'PUT' else None
    return method, url, headers, data


# S3 operation → a boto3 call on the victim's bucket and key
def _s3_calls(upload_id):
    src = {'Bucket': BUCKET, 'Key': KEY}
    b, k = BUCKET, KEY
    return {
        'ListBuckets': lambda c: c.list_buckets(),
        'HeadBucket': lambda c: c.head_bucket(Bucket=b),
        'GetBucketLocation': lambda c: c.get_bucket_location(Bucket=b),
        'GetBucketVersioning': lambda c: c.get_bucket_versioning(Bucket=b),
        'GetBucketAcl': lambda c: c.get_bucket_acl(Bucket=b),
        'ListObjects': lambda c: c.list_objects_v2(Bucket=b),
        'ListMultipartUploads': lambda c: c.list_multipart_uploads(Bucket=b),
        'DeleteObjects': lambda c: c.delete_objects(Bucket=b, Delete={
            'Objects': [{'Key': k}]}),
        'PutObject': lambda c: c.put_object(Bucket=b, Key=k, Body=b'evil'),
        'CopyObject': lambda c: c.copy_object(Bucket=b, Key='copied', CopySource=src),
        'UploadPart': lambda c: c.upload_part(Bucket=b, Key=k, UploadId=upload_id,
                                              PartNumber=1, Body=b'evil'),
        'UploadPartCopy': lambda c: c.upload_part_copy(Bucket=b, Key=k, UploadId=upload_id,
                                                       PartNumber=2, CopySource=src),
        'CreateMultipartUpload': lambda c: c.create_multipart_upload(Bucket=b, Key=k),
        'CompleteMultipartUpload': lambda c: c.complete_multipart_upload(
            Bucket=b, Key=k, UploadId=upload_id,
            MultipartUpload={'Parts': [{'PartNumber': 1, 'ETag': '"0"'}]}),
        'AbortMultipartUpload': lambda c: c.abort_multipart_upload(Bucket=b, Key=k,
                                                                   UploadId=upload_id),
        'DeleteObject': lambda c: c.delete_object(Bucket=b, Key=k),
        'GetObject': lambda c: c.get_object(Bucket=b, Key=k)['Body'].read(),
        'HeadObject': lambda c: c.head_object(Bucket=b, Key=k),
        'GetObjectAcl': lambda c: c.get_object_acl(Bucket=b, Key=k),
        'ListParts': lambda c: c.list_parts(Bucket=b, Key=k, UploadId=upload_id),
        'PutBucketVersioning': lambda c: c.put_bucket_versioning(
            Bucket=b, VersioningConfiguration={'Status': 'Enabled'}),
        'ListObjectVersions': lambda c: c.list_object_versions(Bucket=b),
        'GetObjectVersion': lambda c: c.get_object(Bucket=b, Key=k, VersionId='null'),
        'HeadObjectVersion': lambda c: c.head_object(Bucket=b, Key=k, VersionId='null'),
        'DeleteObjectVersion': lambda c: c.delete_object(Bucket=b, Key=k, VersionId='null'),
        'PutBucketAcl': lambda c: c.put_bucket_acl(Bucket=b, ACL='private'),
        'PutObjectAcl': lambda c: c.put_object_acl(Bucket=b, Key=k, ACL='private'),
        'GetObjectAttributes': lambda c: c.get_object_attributes(
            Bucket=b, Key=k, ObjectAttributes=['ETag', 'ObjectSize']),
        'GetBucketCors': lambda c: c.get_bucket_cors(Bucket=b),
        'PutBucketCors': lambda c: c.put_bucket_cors(Bucket=b, CORSConfiguration={
            'CORSRules': [{'AllowedMethods': ['GET'], 'AllowedOrigins': ['*']}]}),
        'DeleteBucketCors': lambda c: c.delete_bucket_cors(Bucket=b),
        'GetObjectTagging': lambda c: c.get_object_tagging(Bucket=b, Key=k),
        'PutObjectTagging': lambda c: c.put_object_tagging(Bucket=b, Key=k, Tagging={
            'TagSet': [{'Key': 'evil', 'Value': '1'}]}),
        'DeleteObjectTagging': lambda c: c.delete_object_tagging(Bucket=b, Key=k),
        'GetBucketTagging': lambda c: c.get_bucket_tagging(Bucket=b),
        'PutBucketTagging': lambda c: c.put_bucket_tagging(Bucket=b, Tagging={
            'TagSet': [{'Key': 'evil', 'Value': '1'}]}),
        'DeleteBucketTagging': lambda c: c.delete_bucket_tagging(Bucket=b),
        'GetPublicAccessBlock': lambda c: c.get_public_access_block(Bucket=b),
        'PutPublicAccessBlock': lambda c: c.put_public_access_block(
            Bucket=b, PublicAccessBlockConfiguration={'BlockPublicAcls': True}),
        'DeletePublicAccessBlock': lambda c: c.delete_public_access_block(Bucket=b),
        'PutBucketPolicy': lambda c: c.put_bucket_policy(Bucket=b, Policy=json.dumps({
            'Statement': [{'Effect': 'Allow', 'Principal': '*', 'Action': 's3:*',
                           'Resource': [f'arn:aws:s3:::{b}', f'arn:aws:s3:::{b}/*']}]})),
        'GetBucketPolicy': lambda c: c.get_bucket_policy(Bucket=b),
        'DeleteBucketPolicy': lambda c: c.delete_bucket_policy(Bucket=b),
        'GetObjectLockConfiguration': lambda c: c.get_object_lock_configuration(Bucket=b),
        # last: for another project's key it makes a bucket in its own account
        'DeleteBucket': lambda c: c.delete_bucket(Bucket=b),
        'CreateBucket': lambda c: c.create_bucket(Bucket=b),
    }


def _is_write(rule):
    return not rule.endswith(':get')


def _snapshot(cloud, project):
    """Every container (metadata, ACLs, listing) and object (bytes, metadata)."""
    h = {'X-Auth-Token': cloud.token('admin')}
    acct = cloud.account(project)
    r = requests.get(acct + '?format=json', headers=h)
    out = {'account': sorted((k, v) for k, v in r.headers.items()
                             if k.lower().startswith('x-account-meta-'))}
    for c in r.json():
        cr = requests.get(f"{acct}/{c['name']}?format=json", headers=h)
        out[c['name']] = (sorted((k, v) for k, v in cr.headers.items()
                                 if k.lower().startswith(('x-container-meta-',
                                                          'x-container-read',
                                                          'x-container-write'))),
                          [(o['name'], o['hash'], o['bytes']) for o in cr.json()])
        for o in cr.json():
            orr = requests.get(f"{acct}/{c['name']}/{o['name']}?multipart-manifest=get",
                               headers=h)
            out[(c['name'], o['name'])] = (orr.content, sorted(
                (k, v) for k, v in orr.headers.items()
                if k.lower().startswith('x-object-meta-')))
    return out


@pytest.fixture
def matrix(cloud):
    """The victim's data (A, and C for the disabled project), the callers'
    tokens and keys taken while they were still good, then the changes."""
    alice = cloud.s3(cloud.ec2('alice'))
    alice.create_bucket(Bucket=BUCKET)
    alice.put_object(Bucket=BUCKET, Key=KEY, Body=b'precious', Metadata={'k': 'v'})
    upload_id = alice.create_multipart_upload(Bucket=BUCKET, Key=KEY)['UploadId']
    alice.upload_part(Bucket=BUCKET, Key=KEY, UploadId=upload_id, PartNumber=1,
                      Body=b'part one')
    carol = cloud.s3(cloud.ec2('carol', 'C'))
    carol.create_bucket(Bucket=BUCKET)
    carol.put_object(Bucket=BUCKET, Key=KEY, Body=b'carol data')
    revoked = cloud.token('alice')
    a, c = cloud.account('A'), cloud.account('C')
    swift = {   # name → (token or None, account it targets, reads too?)
        'no token': (None, a, True),
        'unscoped token': (cloud.token('bob', project=None), a, True),
        'other project': (cloud.token('bob', 'B'), a, True),
        'reader': (cloud.token('rita'), a, False),
        'disabled user': (cloud.token('dave'), a, True),
        'disabled project': (cloud.token('carol', 'C'), c, True),
        'role removed': (cloud.token('frank'), a, True),
        'revoked token': (revoked, a, True),
    }
    s3 = {
        'no credentials': (None, True),
        'key without project': (cloud.ec2('bob', project=None), True),
        'other project': (cloud.ec2('bob', 'B'), True),
        'reader': (cloud.ec2('rita'), False),
        'disabled user': (cloud.ec2('dave'), True),
        'disabled project': (cloud.ec2('carol', 'C'), True),
        'role removed': (cloud.ec2('frank'), True),
    }
    for tok, acct, _ in swift.values():     # active callers: caches are warm
        if tok:
            requests.head(acct, headers={'X-Auth-Token': tok})
    for cred, _ in s3.values():
        if cred:
            try:
                cloud.s3(cred).list_buckets()
            except botocore.exceptions.ClientError:
                pass
    cloud.disable_user('dave')
    cloud.disable_project('C')
    cloud.remove_roles('frank')
    cloud.revoke(revoked)
    for name in ('disabled user', 'disabled project', 'role removed', 'revoked token'):
        tok, acct, _ = swift[name]
        wait_for(lambda tok=tok, acct=acct: requests.head(
            acct, headers={'X-Auth-Token': tok}).status_code in (401, 403), 3)
    before = {'A': _snapshot(cloud, 'A'), 'C': _snapshot(cloud, 'C')}
    assert before['A'][(BUCKET, KEY)][0] == b'precious'
    return {'swift': swift, 's3': s3, 'upload_id': upload_id, 'before': before}


def test_every_operation_is_classified():
    levels = {'account': ('GET', 'HEAD', 'POST'),
              'container': ('GET', 'HEAD', 'PUT', 'POST', 'DELETE'),
              'object': ('GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'COPY')}
    assert set(policies.SWIFT) == {(lv, m) for lv, ms in levels.items() for m in ms}
    assert set(policies.S3) == set(s3api.OPERATIONS)
    assert set(_s3_calls('x')) == set(policies.S3), 'classify the new S3 operation here'
    names = {r.name for r in policies.list_rules()}
    assert set(policies.SWIFT.values()) | set(policies.S3.values()) <= names


def test_swift_route_matrix(cloud, matrix):
    failures = []
    for name, (tok, acct, reads) in matrix['swift'].items():
        headers = {'X-Auth-Token': tok} if tok else {}
        for (level, method), rule in sorted(policies.SWIFT.items()):
            if not reads and not _is_write(rule):
                continue
            m, url, extra, data = _swift_request(level, method, acct)
            r = requests.request(m, url, headers=dict(extra, **headers), data=data)
            if r.status_code not in (401, 403, 404):
                failures.append((name, level, method, r.status_code))
    assert failures == []
    assert _snapshot(cloud, 'A') == matrix['before']['A']
    assert _snapshot(cloud, 'C') == matrix['before']['C']


def test_s3_operation_matrix(cloud, matrix):
    calls = _s3_calls(matrix['upload_id'])
    failures = []
    for name, (cred, reads) in matrix['s3'].items():
        if cred is None:
            client = botocore.session.get_session().create_client(
                's3', endpoint_url=cloud.url, region_name='us-east-1',
                config=Config(signature_version=UNSIGNED, s3={'addressing_style': 'path'},
                              retries={'max_attempts': 1}))
        else:
            client = cloud.s3(cred)
        for op, call in calls.items():
            if not reads and not _is_write(policies.S3[op]):
                continue
            try:
                result = call(client)
            except botocore.exceptions.ClientError as e:
                status = e.response['ResponseMetadata']['HTTPStatusCode']
                if status not in (401, 403, 404, 501):    # 501: not implemented, no effect
                    failures.append((name, op, status, e.response['Error'].get('Code')))
                continue
            if name == 'other project' and op in ('CreateBucket', 'ListBuckets'):
                continue          # its own account: allowed, and not the victim's
            failures.append((name, op, 'succeeded', str(result)[:80]))
    assert failures == []
    assert _snapshot(cloud, 'A') == matrix['before']['A']
    assert _snapshot(cloud, 'C') == matrix['before']['C']
    # the bucket configurations and tags (system metadata, not in the snapshot)
    owner = cloud.s3(cloud.ec2('alice'))
    assert owner.get_object_tagging(Bucket=BUCKET, Key=KEY)['TagSet'] == []
    for call in (owner.get_bucket_cors, owner.get_bucket_tagging,
                 owner.get_public_access_block, owner.get_bucket_policy):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call(Bucket=BUCKET)
        assert e.value.response['ResponseMetadata']['HTTPStatusCode'] == 404
