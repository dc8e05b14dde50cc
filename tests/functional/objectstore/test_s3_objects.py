"""S3 objects: conditional GETs against the S3 ETag (multipart too), boto3's
managed download of a multipart object, ?partNumber=, stored headers."""
import datetime
import hashlib
import os

import botocore
import pytest
from boto3.s3.transfer import TransferConfig

MB = 1024 * 1024


def _status(exc_info):
    return exc_info.value.response['ResponseMetadata']['HTTPStatusCode']


def _multipart(s3, bucket, key, parts):
    up = s3.create_multipart_upload(Bucket=bucket, Key=key)['UploadId']
    done = []
    for i, data in enumerate(parts, 1):
        r = s3.upload_part(Bucket=bucket, Key=key, UploadId=up, PartNumber=i, Body=data)
        done.append({'PartNumber': i, 'ETag': r['ETag']})
    return s3.complete_multipart_upload(Bucket=bucket, Key=key, UploadId=up,
                                        MultipartUpload={'Parts': done})['ETag']


def test_managed_download_of_a_multipart_object(s3, tmp_path):
    s3.create_bucket(Bucket='mpdl')
    data = os.urandom(5 * MB) + os.urandom(MB + 17)
    cfg = TransferConfig(multipart_threshold=MB, multipart_chunksize=MB, max_concurrency=3)
    src = tmp_path / 'src'
    src.write_bytes(data)
    s3.upload_file(str(src), 'mpdl', 'big', Config=cfg)
    assert s3.head_object(Bucket='mpdl', Key='big')['ETag'].endswith('-2"')
    dst = tmp_path / 'dst'
    s3.download_file('mpdl', 'big', str(dst), Config=cfg)
    assert hashlib.md5(dst.read_bytes()).digest() == hashlib.md5(data).digest()


def test_conditional_get_uses_the_s3_etag(s3):
    s3.create_bucket(Bucket='cond')
    etag = _multipart(s3, 'cond', 'mp', [b'a' * (5 * MB), b'tail'])
    assert etag.endswith('-2"')
    r = s3.get_object(Bucket='cond', Key='mp', IfMatch=etag, Range='bytes=0-3')
    assert r['Body'].read() == b'aaaa' and r['ETag'] == etag
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_object(Bucket='cond', Key='mp', IfMatch='"nope"')
    assert _status(e) == 412
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_object(Bucket='cond', Key='mp', IfNoneMatch=etag)
    assert _status(e) == 304
    # If-Match that holds wins over a failing If-Unmodified-Since
    past = datetime.datetime(2000, 1, 1, tzinfo=datetime.timezone.utc)
    assert s3.get_object(Bucket='cond', Key='mp', IfMatch=etag, IfUnmodifiedSince=past,
                         Range='bytes=0-0')['Body'].read() == b'a'
    # If-None-Match that fails to match wins over If-Modified-Since in the future
    future = datetime.datetime(2100, 1, 1, tzinfo=datetime.timezone.utc)
    assert s3.get_object(Bucket='cond', Key='mp', IfNoneMatch='"other"',
                         IfModifiedSince=future, Range='bytes=0-0')['Body'].read() == b'a'


def test_get_part_number(s3):
    s3.create_bucket(Bucket='parts')
    _multipart(s3, 'parts', 'mp', [b'1' * (5 * MB), b'22'])
    r = s3.get_object(Bucket='parts', Key='mp', PartNumber=2)
    assert r['Body'].read() == b'22' and r['PartsCount'] == 2
    assert s3.head_object(Bucket='parts', Key='mp', PartNumber=1)['ContentLength'] == 5 * MB
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_object(Bucket='parts', Key='mp', PartNumber=3)
    assert _status(e) == 416
    s3.put_object(Bucket='parts', Key='plain', Body=b'plain')
    assert s3.get_object(Bucket='parts', Key='plain', PartNumber=1)['Body'].read() == b'plain'


def test_stored_headers(s3):
    s3.create_bucket(Bucket='hdrs')
    s3.put_object(Bucket='hdrs', Key='k', Body=b'x', CacheControl='no-cache',
                  ContentLanguage='de', Expires=datetime.datetime(2030, 1, 1),
                  ContentDisposition='attachment')
    r = s3.head_object(Bucket='hdrs', Key='k')
    assert r['CacheControl'] == 'no-cache' and r['ContentLanguage'] == 'de'
    assert r['ContentDisposition'] == 'attachment' and r['Expires'].year == 2030


def test_conditional_put(s3):
    s3.create_bucket(Bucket='cput')
    etag = s3.put_object(Bucket='cput', Key='k', Body=b'one')['ETag']
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.put_object(Bucket='cput', Key='k', Body=b'two', IfNoneMatch='*')
    assert _status(e) == 412
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.put_object(Bucket='cput', Key='k', Body=b'two', IfMatch='"abc"')
    assert _status(e) == 412
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.put_object(Bucket='cput', Key='new', Body=b'two', IfMatch=etag)
    assert _status(e) == 404
    s3.put_object(Bucket='cput', Key='k', Body=b'two', IfMatch=etag)
    s3.put_object(Bucket='cput', Key='new', Body=b'new', IfNoneMatch='*')
    assert s3.get_object(Bucket='cput', Key='k')['Body'].read() == b'two'


@pytest.mark.parametrize('headers', [
    {'IfNoneMatch': '"0123456789abcdef0123456789abcdef"'},   # only '*' is S3's
    {'IfMatch': '*'},
])
def test_conditions_s3_does_not_have_are_not_implemented_and_store_nothing(s3, headers):
    """As S3 and Swift's s3api (its functests): 501, for a new key and an
    existing one, and nothing written."""
    s3.create_bucket(Bucket='cput-ni')
    s3.put_object(Bucket='cput-ni', Key='k', Body=b'one')
    for key in ('k', 'absent'):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            s3.put_object(Bucket='cput-ni', Key=key, Body=b'two', **headers)
        assert _status(e) == 501
        assert e.value.response['Error']['Code'] == 'NotImplemented'
    assert s3.get_object(Bucket='cput-ni', Key='k')['Body'].read() == b'one'
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.head_object(Bucket='cput-ni', Key='absent')
    assert _status(e) == 404


@pytest.mark.parametrize('header', ['If-Modified-Since', 'If-Unmodified-Since'])
def test_time_conditions_on_a_put_are_not_implemented(s3, header):
    s3.create_bucket(Bucket='cput-time')

    def add(request, **_kw):
        request.headers[header] = 'Sat, 27 Jun 2015 00:00:00 GMT'
    s3.meta.events.register_first('before-sign.s3.PutObject', add)
    try:
        with pytest.raises(botocore.exceptions.ClientError) as e:
            s3.put_object(Bucket='cput-time', Key='t', Body=b'x')
    finally:
        s3.meta.events.unregister('before-sign.s3.PutObject', add)
    assert _status(e) == 501
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.head_object(Bucket='cput-time', Key='t')
    assert _status(e) == 404


def test_complete_twice_and_listing_details(s3):
    s3.create_bucket(Bucket='twice')
    up = s3.create_multipart_upload(Bucket='twice', Key='a+b')['UploadId']
    etag = s3.upload_part(Bucket='twice', Key='a+b', UploadId=up, PartNumber=1,
                          Body=b'x')['ETag']
    parts = {'Parts': [{'PartNumber': 1, 'ETag': etag}]}
    first = s3.complete_multipart_upload(Bucket='twice', Key='a+b', UploadId=up,
                                         MultipartUpload=parts)['ETag']
    again = s3.complete_multipart_upload(Bucket='twice', Key='a+b', UploadId=up,
                                         MultipartUpload=parts)['ETag']
    assert first == again
    assert s3.list_multipart_uploads(Bucket='twice').get('Uploads', []) == []
    with pytest.raises(botocore.exceptions.ClientError):
        s3.abort_multipart_upload(Bucket='twice', Key='a+b', UploadId=up)
    r = s3.list_objects(Bucket='twice', EncodingType='url')
    assert r['Contents'][0]['Key'] in ('a+b', 'a%2Bb')   # botocore may decode it
    r = s3.list_objects_v2(Bucket='twice', MaxKeys=0)
    assert not r['IsTruncated'] and r['KeyCount'] == 0
    head = s3.head_object(Bucket='twice', Key='a+b')
    listed = s3.list_objects_v2(Bucket='twice')['Contents'][0]
    assert listed['LastModified'] == head['LastModified']


def test_put_acl_keeps_the_object(s3):
    s3.create_bucket(Bucket='acls')
    s3.put_object(Bucket='acls', Key='k', Body=b'kept')
    s3.put_bucket_acl(Bucket='acls', ACL='private')
    s3.put_object_acl(Bucket='acls', Key='k', ACL='private')
    s3.put_object_acl(Bucket='acls', Key='k', ACL='public-read')
    assert len(s3.get_object_acl(Bucket='acls', Key='k')['Grants']) == 2
    assert s3.get_object(Bucket='acls', Key='k')['Body'].read() == b'kept'


def test_put_with_chunked_transfer_encoding(s3, store):
    import requests
    from botocore.auth import HmacV1Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    s3.create_bucket(Bucket='chunky')
    url = store.url + '/chunky/k'
    req = AWSRequest(method='PUT', url=url, headers={'Transfer-Encoding': 'chunked'})
    HmacV1Auth(Credentials('test:tester', 'testing')).add_auth(req)
    r = requests.put(url, data=iter([b'abc', b'defg']), headers=dict(req.headers.items()))
    assert r.status_code == 200, r.content
    assert s3.get_object(Bucket='chunky', Key='k')['Body'].read() == b'abcdefg'


def test_get_object_attributes(s3):
    s3.create_bucket(Bucket='attrs')
    etag = s3.put_object(Bucket='attrs', Key='plain', Body=b'foo')['ETag'].strip('"')
    r = s3.get_object_attributes(Bucket='attrs', Key='plain',
                                 ObjectAttributes=['ETag', 'ObjectParts', 'StorageClass',
                                                   'ObjectSize'])
    assert (r['ETag'], r['ObjectSize'], r['StorageClass']) == (etag, 3, 'STANDARD')
    assert 'ObjectParts' not in r
    mp = _multipart(s3, 'attrs', 'mp', [b'a' * (5 * MB), b'b' * (5 * MB), b'c'])
    r = s3.get_object_attributes(Bucket='attrs', Key='mp', MaxParts=1, PartNumberMarker=1,
                                 ObjectAttributes=['ETag', 'ObjectParts', 'ObjectSize'])
    assert r['ETag'] == mp.strip('"') and r['ObjectSize'] == 10 * MB + 1
    p = r['ObjectParts']
    assert (p['TotalPartsCount'], p['IsTruncated'], p['NextPartNumberMarker']) == (3, True, 2)
    assert [(x['PartNumber'], x['Size']) for x in p['Parts']] == [(2, 5 * MB)]


def test_copy_source_with_question_mark_in_the_key(s3):
    s3.create_bucket(Bucket='qmark')
    s3.put_object(Bucket='qmark', Key='?versionId', Body=b'odd')
    s3.copy_object(Bucket='qmark', Key='copy', CopySource={'Bucket': 'qmark',
                                                           'Key': '?versionId'})
    assert s3.get_object(Bucket='qmark', Key='copy')['Body'].read() == b'odd'


def test_v2_date_before_the_epoch_is_access_denied(store):
    import requests
    r = requests.put(store.url + '/epoch', headers={
        'x-amz-date': 'Tue, 07 Jul 1950 21:53:04 GMT', 'Authorization': 'AWS test:tester:x'})
    assert r.status_code == 403 and b'<Code>AccessDenied</Code>' in r.content


def test_list_buckets_paginated(s3):
    for name in ('pg-a', 'pg-b', 'pg-c'):
        s3.create_bucket(Bucket=name)
    s3.create_multipart_upload(Bucket='pg-a', Key='k')     # makes pg-a+segments
    r = s3.list_buckets(MaxBuckets=2)
    assert [b['Name'] for b in r['Buckets']] == ['pg-a', 'pg-b']
    r = s3.list_buckets(MaxBuckets=2, ContinuationToken=r['ContinuationToken'])
    assert [b['Name'] for b in r['Buckets']] == ['pg-c'] and 'ContinuationToken' not in r
    assert [b['Name'] for b in s3.list_buckets(Prefix='pg-b')['Buckets']] == ['pg-b']


def test_listing_with_an_unreadable_prefix(s3):
    s3.create_bucket(Bucket='unread')
    s3.put_object(Bucket='unread', Key='foo/bar', Body=b'x')
    for listing in (s3.list_objects, s3.list_objects_v2):
        r = listing(Bucket='unread', Prefix='\x0a')
        assert r['Prefix'] == '\x0a' and 'Contents' not in r
