"""Unmodified boto3 against the S3 API of the in-process object store."""
import hashlib
import os

import boto3
import botocore
import pytest
import requests
from botocore.config import Config


def _code(exc_info):
    return exc_info.value.response['Error']['Code']


def test_buckets_and_objects(s3):
    s3.create_bucket(Bucket='photos')
    assert 'photos' in [b['Name'] for b in s3.list_buckets()['Buckets']]
    assert s3.get_bucket_location(Bucket='photos')['LocationConstraint'] is None
    with pytest.raises(botocore.exceptions.ClientError) as e:   # as Swift's s3api
        s3.create_bucket(Bucket='photos')
    assert _code(e) == 'BucketAlreadyOwnedByYou'
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.create_bucket(Bucket='Bad_Name')
    assert _code(e) == 'InvalidBucketName'
    data = os.urandom(100000)
    r = s3.put_object(Bucket='photos', Key='dir/a.bin', Body=data, Metadata={'k': 'v'},
                      ContentType='image/x-test')
    assert r['ETag'] == '"%s"' % hashlib.md5(data).hexdigest()
    got = s3.get_object(Bucket='photos', Key='dir/a.bin')
    assert got['Body'].read() == data and got['Metadata'] == {'k': 'v'}
    assert got['ContentType'] == 'image/x-test'
    part = s3.get_object(Bucket='photos', Key='dir/a.bin', Range='bytes=100-199')
    assert part['Body'].read() == data[100:200] and part['ContentRange'].startswith('bytes 100-199/')
    head = s3.head_object(Bucket='photos', Key='dir/a.bin')
    assert head['ContentLength'] == len(data)
    s3.copy_object(Bucket='photos', Key='copy.bin', CopySource={'Bucket': 'photos',
                                                                'Key': 'dir/a.bin'})
    assert s3.get_object(Bucket='photos', Key='copy.bin')['Body'].read() == data
    for i in range(5):
        s3.put_object(Bucket='photos', Key=f'list/{i}', Body=b'x')
    r = s3.list_objects_v2(Bucket='photos', Prefix='list/', MaxKeys=3)
    assert [o['Key'] for o in r['Contents']] == ['list/0', 'list/1', 'list/2']
    assert r['IsTruncated']
    r = s3.list_objects_v2(Bucket='photos', Prefix='list/',
                           ContinuationToken=r['NextContinuationToken'])
    assert [o['Key'] for o in r['Contents']] == ['list/3', 'list/4']
    r = s3.list_objects_v2(Bucket='photos', Delimiter='/')
    assert [p['Prefix'] for p in r['CommonPrefixes']] == ['dir/', 'list/']
    assert [o['Key'] for o in r['Contents']] == ['copy.bin']
    r = s3.list_objects(Bucket='photos', Prefix='dir/')
    assert r['Contents'][0]['Size'] == len(data)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_object(Bucket='photos', Key='missing')
    assert _code(e) == 'NoSuchKey'
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_object(Bucket='nobucket', Key='x')
    assert _code(e) == 'NoSuchBucket'
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.delete_bucket(Bucket='photos')
    assert _code(e) == 'BucketNotEmpty'
    r = s3.delete_objects(Bucket='photos', Delete={'Objects': [
        {'Key': f'list/{i}'} for i in range(5)] + [{'Key': 'dir/a.bin'}, {'Key': 'copy.bin'}]})
    assert len(r['Deleted']) == 7
    s3.delete_object(Bucket='photos', Key='not-there')
    assert s3.list_objects_v2(Bucket='photos')['KeyCount'] == 0
    s3.delete_bucket(Bucket='photos')


def test_multipart_upload(s3):
    s3.create_bucket(Bucket='mpu')
    up = s3.create_multipart_upload(Bucket='mpu', Key='big', ContentType='video/x-test')
    uid = up['UploadId']
    p1 = os.urandom(5 * 1024 * 1024)
    p2 = os.urandom(1234)
    e1 = s3.upload_part(Bucket='mpu', Key='big', UploadId=uid, PartNumber=1, Body=p1)['ETag']
    e2 = s3.upload_part(Bucket='mpu', Key='big', UploadId=uid, PartNumber=2, Body=p2)['ETag']
    parts = s3.list_parts(Bucket='mpu', Key='big', UploadId=uid)['Parts']
    assert [(p['PartNumber'], p['Size']) for p in parts] == [(1, len(p1)), (2, len(p2))]
    assert [u['UploadId'] for u in s3.list_multipart_uploads(Bucket='mpu')['Uploads']] == [uid]
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.complete_multipart_upload(Bucket='mpu', Key='big', UploadId=uid, MultipartUpload={
            'Parts': [{'PartNumber': 1, 'ETag': e2}]})
    assert _code(e) == 'InvalidPart'
    r = s3.complete_multipart_upload(Bucket='mpu', Key='big', UploadId=uid, MultipartUpload={
        'Parts': [{'PartNumber': 1, 'ETag': e1}, {'PartNumber': 2, 'ETag': e2}]})
    want = hashlib.md5(hashlib.md5(p1).digest() + hashlib.md5(p2).digest()).hexdigest() + '-2'
    assert r['ETag'] == f'"{want}"'
    got = s3.get_object(Bucket='mpu', Key='big')
    assert got['Body'].read() == p1 + p2 and got['ETag'] == f'"{want}"'
    assert got['ContentType'] == 'video/x-test'
    rng = s3.get_object(Bucket='mpu', Key='big', Range=f'bytes={len(p1) - 2}-{len(p1) + 1}')
    assert rng['Body'].read() == p1[-2:] + p2[:2]
    listed = s3.list_objects_v2(Bucket='mpu')['Contents']
    assert listed[0]['Size'] == len(p1) + len(p2) and listed[0]['ETag'] == f'"{want}"'
    # abort
    uid2 = s3.create_multipart_upload(Bucket='mpu', Key='gone')['UploadId']
    s3.upload_part(Bucket='mpu', Key='gone', UploadId=uid2, PartNumber=1, Body=b'abc')
    s3.abort_multipart_upload(Bucket='mpu', Key='gone', UploadId=uid2)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.list_parts(Bucket='mpu', Key='gone', UploadId=uid2)
    assert _code(e) == 'NoSuchUpload'
    s3.delete_object(Bucket='mpu', Key='big')
    assert s3.list_objects_v2(Bucket='mpu')['KeyCount'] == 0


def test_presigned_and_bad_signatures(s3, store):
    s3.create_bucket(Bucket='pub')
    s3.put_object(Bucket='pub', Key='f.txt', Body=b'presigned body')
    url = s3.generate_presigned_url('get_object', Params={'Bucket': 'pub', 'Key': 'f.txt'},
                                    ExpiresIn=60)
    r = requests.get(url)
    assert r.status_code == 200 and r.content == b'presigned body'
    r = requests.get(url.replace('Signature=', 'Signature=0'))
    assert r.status_code == 403 and b'SignatureDoesNotMatch' in r.content
    bad = boto3.client('s3', endpoint_url=store.url, region_name='us-east-1',
                       aws_access_key_id='test:tester', aws_secret_access_key='wrong',
                       config=Config(s3={'addressing_style': 'path'},
                                     retries={'max_attempts': 1}))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        bad.list_buckets()
    assert _code(e) == 'SignatureDoesNotMatch'
    unknown = boto3.client('s3', endpoint_url=store.url, region_name='us-east-1',
                           aws_access_key_id='nobody', aws_secret_access_key='x',
                           config=Config(retries={'max_attempts': 1}))
    with pytest.raises(botocore.exceptions.ClientError) as e:
        unknown.list_buckets()
    assert _code(e) == 'InvalidAccessKeyId'
    assert requests.get(store.url + '/pub/f.txt').status_code == 403
    put_url = s3.generate_presigned_url('put_object', Params={'Bucket': 'pub', 'Key': 'up.txt'},
                                        ExpiresIn=60)
    assert requests.put(put_url, data=b'uploaded by url').status_code == 200
    assert s3.get_object(Bucket='pub', Key='up.txt')['Body'].read() == b'uploaded by url'
    acl = s3.get_object_acl(Bucket='pub', Key='up.txt')
    assert acl['Grants'][0]['Permission'] == 'FULL_CONTROL'
    assert s3.get_bucket_acl(Bucket='pub')['Owner']['ID'] == 'test:tester'


def test_signature_v2(store):
    v2 = boto3.client('s3', endpoint_url=store.url, region_name='us-east-1',
                      aws_access_key_id='test:tester', aws_secret_access_key='testing',
                      config=Config(signature_version='s3', s3={'addressing_style': 'path'}))
    v2.create_bucket(Bucket='v2bucket')
    v2.put_object(Bucket='v2bucket', Key='a b+c', Body=b'v2')
    assert v2.get_object(Bucket='v2bucket', Key='a b+c')['Body'].read() == b'v2'
    url = v2.generate_presigned_url('get_object', Params={'Bucket': 'v2bucket',
                                                          'Key': 'a b+c'}, ExpiresIn=60)
    assert requests.get(url).content == b'v2'


def _signed(store, method, path, body, headers, signed_body=None):
    from botocore.auth import S3SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    req = AWSRequest(method=method, url=store.url + path,
                     data=body if signed_body is None else signed_body, headers=headers)
    S3SigV4Auth(Credentials('test:tester', 'testing'), 's3', 'us-east-1').add_auth(req)
    sent = {k: v for k, v in req.headers.items() if k.lower() != 'content-length'}
    return requests.request(method, store.url + path, data=body, headers=sent)


def test_payload_hash_and_aws_chunked(s3, store):
    s3.create_bucket(Bucket='raw')
    body = b'hello payload'
    r = _signed(store, 'PUT', '/raw/bad', body, {}, signed_body=b'other')
    assert r.status_code == 400 and b'XAmzContentSHA256Mismatch' in r.content
    with pytest.raises(botocore.exceptions.ClientError):
        s3.head_object(Bucket='raw', Key='bad')
    chunked = b'5;chunk-signature=abc\r\nhello\r\n8;chunk-signature=def\r\n payload\r\n' \
              b'0;chunk-signature=0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n'
    r = _signed(store, 'PUT', '/raw/chunked', chunked, {
        'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER',
        'x-amz-decoded-content-length': str(len(body)), 'Content-Encoding': 'aws-chunked'})
    assert r.status_code == 200, r.content
    got = s3.get_object(Bucket='raw', Key='chunked')
    assert got['Body'].read() == body and 'ContentEncoding' not in got
