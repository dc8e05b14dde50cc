"""S3 bucket policies (iaas/api/objectstore/s3/bucketpolicy.py): kept as
put, evaluated before the ACLs (an explicit Deny refuses, an Allow
grants), refused when they say what cannot be evaluated, and their
PublicAccessBlock options (BlockPublicPolicy, RestrictPublicBuckets)."""
import json

import botocore.exceptions
import pytest
import requests

from tests.functional.objectstore.conftest import s3_client
from tests.functional.objectstore.test_s3_subresources import signed


@pytest.fixture
def alt(store):
    return s3_client(store.url, 'test:alt', 'altpass')


def policy(*statements):
    return json.dumps({'Version': '2012-10-17', 'Statement': list(statements)})


def stmt(effect, action, resource, principal='*', **extra):
    return dict({'Effect': effect, 'Principal': principal, 'Action': action,
                 'Resource': resource}, **extra)


def code(call, **kw):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call(**kw)
    return e.value.response['ResponseMetadata']['HTTPStatusCode'], \
        e.value.response['Error']['Code']


def test_put_get_delete(s3):
    s3.create_bucket(Bucket='pol')
    assert code(s3.get_bucket_policy, Bucket='pol') == (404, 'NoSuchBucketPolicy')
    text = policy(stmt('Allow', 's3:ListBucket', ['arn:aws:s3:::pol', 'arn:aws:s3:::pol/*']))
    assert s3.put_bucket_policy(Bucket='pol', Policy=text)['ResponseMetadata'][
        'HTTPStatusCode'] == 204
    assert s3.get_bucket_policy(Bucket='pol')['Policy'] == text     # as it was put
    s3.delete_bucket_policy(Bucket='pol')
    assert code(s3.get_bucket_policy, Bucket='pol') == (404, 'NoSuchBucketPolicy')
    assert code(s3.get_bucket_policy, Bucket='nopol') == (404, 'NoSuchBucket')


@pytest.mark.parametrize('body, status', [
    (b'{nope', 400),
    (b' ' * (21 * 1024), 400),
    (b'{"Statement": []}', 400),
    (policy({'Effect': 'Maybe', 'Principal': '*', 'Action': 's3:*',
             'Resource': '*'}).encode(), 400),
    (policy({'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}).encode(), 400),
    (policy(stmt('Allow', 'iam:CreateUser', '*')).encode(), 400),
    (policy(stmt('Allow', 's3:GetObject', 'arn:aws:sqs:::q')).encode(), 400),
    # what cannot be evaluated is refused, never stored and ignored
    (policy(stmt('Deny', 's3:*', '*', Condition={
        'IpAddress': {'aws:SourceIp': '10.0.0.0/8'}})).encode(), 501),
    (policy(stmt('Deny', 's3:*', '*', Condition={
        'StringEquals': {'s3:ExistingObjectTag/x': 'y'}})).encode(), 501),
])
def test_bad_policies_are_refused_and_store_nothing(s3, store, body, status):
    s3.create_bucket(Bucket='pol')
    r = signed(store, 'PUT', '/pol?policy', body)
    assert r.status_code == status, r.content
    assert code(s3.get_bucket_policy, Bucket='pol') == (404, 'NoSuchBucketPolicy')


def test_allow_grants_and_deny_refuses_whatever_the_acls_say(s3, alt, store):
    s3.create_bucket(Bucket='pol')
    s3.put_object(Bucket='pol', Key='a/k', Body=b'x')
    assert code(alt.list_objects, Bucket='pol')[0] == 403
    s3.put_bucket_policy(Bucket='pol', Policy=policy(
        stmt('Allow', 's3:ListBucket', 'arn:aws:s3:::pol'),
        stmt('Allow', 's3:Get*', 'arn:aws:s3:::pol/a/*', principal={'AWS': ['test:alt']})))
    assert [o['Key'] for o in alt.list_objects(Bucket='pol')['Contents']] == ['a/k']
    assert requests.get(store.url + '/pol').status_code == 200       # Principal *
    assert alt.get_object(Bucket='pol', Key='a/k')['Body'].read() == b'x'
    assert requests.get(store.url + '/pol/a/k').status_code == 403   # not anonymous
    assert code(alt.put_object, Bucket='pol', Key='a/n', Body=b'y')[0] == 403
    # an explicit Deny wins over an ACL grant
    s3.put_bucket_acl(Bucket='pol', ACL='public-read')
    s3.put_bucket_policy(Bucket='pol', Policy=policy(
        stmt('Deny', 's3:ListBucket', 'arn:aws:s3:::pol', Condition={
            'StringNotEquals': {'s3:prefix': 'a/'}})))
    assert code(alt.list_objects, Bucket='pol') == (403, 'AccessDenied')
    assert alt.list_objects(Bucket='pol', Prefix='a/')['Contents']
    # the owner is denied too, but can always change the policy
    assert code(s3.list_objects, Bucket='pol')[0] == 403
    s3.put_bucket_policy(Bucket='pol', Policy=policy(stmt('Deny', 's3:*', 'arn:aws:s3:::*')))
    assert code(s3.get_object, Bucket='pol', Key='a/k')[0] == 403
    assert s3.get_bucket_policy(Bucket='pol')['Policy']
    s3.delete_bucket_policy(Bucket='pol')
    assert s3.get_object(Bucket='pol', Key='a/k')['Body'].read() == b'x'


def test_public_policy_and_the_public_access_block(s3, store):
    s3.create_bucket(Bucket='pol')
    s3.put_object(Bucket='pol', Key='k', Body=b'bar')
    public = policy(stmt('Allow', 's3:GetObject', 'arn:aws:s3:::pol/*', {'AWS': '*'}))
    s3.put_bucket_policy(Bucket='pol', Policy=public)
    assert requests.get(store.url + '/pol/k').content == b'bar'
    assert requests.put(store.url + '/pol/new', data=b'x').status_code == 403
    s3.put_public_access_block(Bucket='pol', PublicAccessBlockConfiguration={
        'RestrictPublicBuckets': True})
    assert requests.get(store.url + '/pol/k').status_code == 403
    assert s3.get_object(Bucket='pol', Key='k')['Body'].read() == b'bar'
    s3.delete_bucket_policy(Bucket='pol')
    s3.put_public_access_block(Bucket='pol', PublicAccessBlockConfiguration={
        'BlockPublicPolicy': True})
    r = signed(store, 'PUT', '/pol?policy', public.encode())
    assert r.status_code == 403 and b'AccessDenied' in r.content
    assert code(s3.get_bucket_policy, Bucket='pol') == (404, 'NoSuchBucketPolicy')
    s3.put_bucket_policy(Bucket='pol', Policy=policy(
        stmt('Allow', 's3:GetObject', 'arn:aws:s3:::pol/*', {'AWS': 'test:alt'})))


def test_only_the_owner_manages_the_policy(s3, alt, store):
    s3.create_bucket(Bucket='pol', ACL='public-read-write')
    text = policy(stmt('Allow', 's3:*', 'arn:aws:s3:::pol/*'))
    for call, kw in ((alt.put_bucket_policy, {'Policy': text}),
                     (alt.get_bucket_policy, {}), (alt.delete_bucket_policy, {})):
        assert code(call, Bucket='pol', **kw)[0] == 403
    assert requests.put(store.url + '/pol?policy', data=text).status_code == 403
    assert code(s3.get_bucket_policy, Bucket='pol') == (404, 'NoSuchBucketPolicy')
