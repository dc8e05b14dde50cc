"""S3 tagging (objects and buckets), bucket CORS (configuration, preflight,
response headers) and PublicAccessBlock: S3's answers, S3's limits, and bad
input refused with a 4xx that changes nothing."""
import botocore
import pytest
import requests

from tests.functional.objectstore.test_s3_subresources import signed

DATA = b'tagged bytes'


def _err(exc_info):
    r = exc_info.value.response
    return r['ResponseMetadata']['HTTPStatusCode'], r['Error']['Code']


def _tags(n, klen=2, vlen=1):
    return [{'Key': str(i).zfill(2).rjust(klen, 'k'), 'Value': str(i).rjust(vlen, 'v')}
            for i in range(n)]


# --- object tagging ---------------------------------------------------------------------
def test_object_tagging_round_trip_keeps_data_and_metadata(s3):
    s3.create_bucket(Bucket='tags')
    s3.put_object(Bucket='tags', Key='k', Body=DATA, Metadata={'m': '1'},
                  ContentType='text/x-kept', CacheControl='no-cache')
    assert s3.get_object_tagging(Bucket='tags', Key='k')['TagSet'] == []
    s3.put_object_tagging(Bucket='tags', Key='k', Tagging={'TagSet': _tags(10, 128, 256)})
    assert s3.get_object_tagging(Bucket='tags', Key='k')['TagSet'] == _tags(10, 128, 256)
    got = s3.get_object(Bucket='tags', Key='k')
    assert got['Body'].read() == DATA and got['Metadata'] == {'m': '1'}
    assert got['ContentType'] == 'text/x-kept' and got['CacheControl'] == 'no-cache'
    assert got['TagCount'] == 10
    s3.put_object_tagging(Bucket='tags', Key='k', Tagging={'TagSet': _tags(1)})
    assert s3.get_object_tagging(Bucket='tags', Key='k')['TagSet'] == _tags(1)
    assert s3.delete_object_tagging(Bucket='tags', Key='k')[
        'ResponseMetadata']['HTTPStatusCode'] == 204
    assert s3.get_object_tagging(Bucket='tags', Key='k')['TagSet'] == []
    assert s3.get_object(Bucket='tags', Key='k')['Metadata'] == {'m': '1'}


@pytest.mark.parametrize('tagset', [_tags(11), _tags(1, klen=129), _tags(1, vlen=257),
                                    [{'Key': 'a', 'Value': '1'}, {'Key': 'a', 'Value': '2'}]])
def test_object_tagging_limits(s3, tagset):
    s3.create_bucket(Bucket='limits')
    s3.put_object(Bucket='limits', Key='k', Body=DATA)
    s3.put_object_tagging(Bucket='limits', Key='k', Tagging={'TagSet': _tags(2)})
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.put_object_tagging(Bucket='limits', Key='k', Tagging={'TagSet': tagset})
    assert _err(e) == (400, 'InvalidTag')
    assert s3.get_object_tagging(Bucket='limits', Key='k')['TagSet'] == _tags(2)


def test_object_tagging_bad_bodies(s3, store):
    s3.create_bucket(Bucket='badtags')
    s3.put_object(Bucket='badtags', Key='k', Body=DATA)
    for body in (b'', b'<nope', b'<Tagging/>', b'<Other><TagSet/></Other>',
                 b'<Tagging><TagSet><Tag><Value>v</Value></Tag></TagSet></Tagging>'):
        r = signed(store, 'PUT', '/badtags/k?tagging', body)
        assert r.status_code == 400 and b'MalformedXML' in r.content, (body, r.content)
    r = signed(store, 'PUT', '/badtags/k?tagging',
               b'<Tagging><TagSet><Tag><Key></Key><Value>v</Value></Tag></TagSet></Tagging>')
    assert r.status_code == 400 and b'InvalidTag' in r.content
    r = signed(store, 'PUT', '/badtags/k?tagging', b'<Tagging>' + b' ' * (70 * 1024))
    assert r.status_code == 400
    r = signed(store, 'PUT', '/badtags/missing?tagging', b'<Tagging><TagSet/></Tagging>')
    assert r.status_code == 404 and b'NoSuchKey' in r.content
    assert s3.get_object(Bucket='badtags', Key='k')['Body'].read() == DATA


def test_tagging_on_put_copy_and_multipart(s3):
    s3.create_bucket(Bucket='wtags')
    s3.put_object(Bucket='wtags', Key='src', Body=DATA, Tagging='foo=bar&bar')
    assert s3.get_object_tagging(Bucket='wtags', Key='src')['TagSet'] == [   # key order
        {'Key': 'bar', 'Value': ''}, {'Key': 'foo', 'Value': 'bar'}]
    s3.copy_object(Bucket='wtags', Key='copy', CopySource='wtags/src')
    assert len(s3.get_object_tagging(Bucket='wtags', Key='copy')['TagSet']) == 2
    s3.copy_object(Bucket='wtags', Key='repl', CopySource='wtags/src',
                   TaggingDirective='REPLACE', Tagging='a=b')
    assert s3.get_object_tagging(Bucket='wtags', Key='repl')['TagSet'] == [
        {'Key': 'a', 'Value': 'b'}]
    up = s3.create_multipart_upload(Bucket='wtags', Key='mp', Tagging='x=1&y=2')['UploadId']
    etag = s3.upload_part(Bucket='wtags', Key='mp', UploadId=up, PartNumber=1,
                          Body=b'p')['ETag']
    s3.complete_multipart_upload(Bucket='wtags', Key='mp', UploadId=up, MultipartUpload={
        'Parts': [{'PartNumber': 1, 'ETag': etag}]})
    assert [t['Key'] for t in s3.get_object_tagging(Bucket='wtags', Key='mp')['TagSet']] == \
        ['x', 'y']
    s3.put_object_tagging(Bucket='wtags', Key='mp', Tagging={'TagSet': _tags(3)})
    got = s3.get_object(Bucket='wtags', Key='mp')     # still the multipart object
    assert got['Body'].read() == b'p' and got['ETag'].endswith('-1"')
    assert got['TagCount'] == 3
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.put_object(Bucket='wtags', Key='many', Body=DATA,
                      Tagging='&'.join(f'k{i}=v' for i in range(11)))
    assert _err(e) == (400, 'InvalidTag')
    with pytest.raises(botocore.exceptions.ClientError):
        s3.head_object(Bucket='wtags', Key='many')


def test_tags_are_not_swift_metadata(s3, store):
    s3.create_bucket(Bucket='hidden')
    s3.put_object(Bucket='hidden', Key='k', Body=DATA, Tagging='a=b')
    r = signed(store, 'HEAD', '/hidden/k')
    assert not any('sysmeta' in h.lower() for h in r.headers)
    # a Swift client can not set them
    tok = requests.get(store.url + '/auth/v1.0', headers={
        'X-Auth-User': 'test:tester', 'X-Auth-Key': 'testing'}, timeout=10)
    hdrs = {'X-Auth-Token': tok.headers['X-Auth-Token'],
            'X-Object-Sysmeta-S3-Tagging': 'evil=1'}
    requests.put(tok.headers['X-Storage-Url'] + '/hidden/k2', data=b'x', headers=hdrs,
                 timeout=10)
    assert s3.get_object_tagging(Bucket='hidden', Key='k2')['TagSet'] == []


# --- bucket tagging ---------------------------------------------------------------------
def test_bucket_tagging(s3):
    s3.create_bucket(Bucket='btags')
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_bucket_tagging(Bucket='btags')
    assert _err(e) == (404, 'NoSuchTagSet')
    s3.put_bucket_tagging(Bucket='btags', Tagging={'TagSet': _tags(50)})
    assert s3.get_bucket_tagging(Bucket='btags')['TagSet'] == _tags(50)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.put_bucket_tagging(Bucket='btags', Tagging={'TagSet': _tags(51)})
    assert _err(e) == (400, 'InvalidTag')
    assert s3.get_bucket_tagging(Bucket='btags')['TagSet'] == _tags(50)
    s3.delete_bucket_tagging(Bucket='btags')
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_bucket_tagging(Bucket='btags')
    assert _err(e) == (404, 'NoSuchTagSet')
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_bucket_tagging(Bucket='nosuchbucket')
    assert _err(e) == (404, 'NoSuchBucket')


# --- CORS -------------------------------------------------------------------------------
RULES = [{'AllowedMethods': ['GET'], 'AllowedOrigins': ['*suffix'], 'MaxAgeSeconds': 60},
         {'AllowedMethods': ['PUT', 'GET'], 'AllowedOrigins': ['start*end'],
          'AllowedHeaders': ['x-amz-*'], 'ExposeHeaders': ['ETag']}]


def test_cors_configuration(s3, store):
    s3.create_bucket(Bucket='corsb')
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_bucket_cors(Bucket='corsb')
    assert _err(e) == (404, 'NoSuchCORSConfiguration')
    s3.put_bucket_cors(Bucket='corsb', CORSConfiguration={'CORSRules': RULES})
    assert s3.get_bucket_cors(Bucket='corsb')['CORSRules'] == RULES
    for bad in ([{'AllowedMethods': ['PATCH'], 'AllowedOrigins': ['*']}],
                [{'AllowedMethods': ['GET'], 'AllowedOrigins': ['*a*']}]):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            s3.put_bucket_cors(Bucket='corsb', CORSConfiguration={'CORSRules': bad})
        assert _err(e)[0] == 400
    r = signed(store, 'PUT', '/corsb?cors', b'<CORSConfiguration/>')
    assert r.status_code == 400 and b'MalformedXML' in r.content
    assert s3.get_bucket_cors(Bucket='corsb')['CORSRules'] == RULES
    s3.delete_bucket_cors(Bucket='corsb')
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_bucket_cors(Bucket='corsb')
    assert _err(e) == (404, 'NoSuchCORSConfiguration')


def test_cors_preflight_and_response_headers(s3, store):
    s3.create_bucket(Bucket='corsp')
    s3.put_object(Bucket='corsp', Key='k', Body=DATA)
    url = s3.generate_presigned_url('get_object', Params={'Bucket': 'corsp', 'Key': 'k'})
    assert requests.options(url, timeout=10).status_code == 400          # no Origin
    pre = {'Origin': 'a.suffix', 'Access-Control-Request-Method': 'GET'}
    assert requests.options(url, headers=pre, timeout=10).status_code == 403   # no rules
    s3.put_bucket_cors(Bucket='corsp', CORSConfiguration={'CORSRules': RULES})
    r = requests.options(url, headers=pre, timeout=10)
    assert r.status_code == 200
    assert r.headers['Access-Control-Allow-Origin'] == 'a.suffix'
    assert r.headers['Access-Control-Allow-Methods'] == 'GET'
    assert r.headers['Access-Control-Max-Age'] == '60'
    for origin, method, asked, status in (('a.suffix', 'PUT', '', 403),
                                          ('x.other', 'GET', '', 403),
                                          ('start1end', 'PUT', 'x-amz-meta-a', 200),
                                          ('start1end', 'PUT', 'content-md5', 403)):
        hdrs = {'Origin': origin, 'Access-Control-Request-Method': method}
        if asked:
            hdrs['Access-Control-Request-Headers'] = asked
        assert requests.options(url, headers=hdrs, timeout=10).status_code == status, origin
    # anonymous, no key named: the bucket index names the account
    r = requests.options(store.url + '/corsp/k', headers=pre, timeout=10)
    assert r.status_code == 200 and r.headers['Access-Control-Allow-Origin'] == 'a.suffix'
    assert requests.options(store.url + '/nobucket/k', headers=pre,
                            timeout=10).status_code == 403
    r = signed(store, 'GET', '/corsp/k', headers={'Origin': 'start12end'})
    assert r.status_code == 200 and r.content == DATA
    assert r.headers['Access-Control-Allow-Origin'] == 'start12end'
    assert r.headers['Access-Control-Expose-Headers'] == 'ETag'
    r = signed(store, 'GET', '/corsp/k', headers={'Origin': 'nomatch'})
    assert 'Access-Control-Allow-Origin' not in r.headers


# --- PublicAccessBlock ------------------------------------------------------------------
def test_public_access_block(s3, store):
    s3.create_bucket(Bucket='pab')
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_public_access_block(Bucket='pab')
    assert _err(e) == (404, 'NoSuchPublicAccessBlockConfiguration')
    conf = {'BlockPublicAcls': True, 'IgnorePublicAcls': False, 'BlockPublicPolicy': True,
            'RestrictPublicBuckets': False}
    s3.put_public_access_block(Bucket='pab', PublicAccessBlockConfiguration=conf)
    assert s3.get_public_access_block(Bucket='pab')['PublicAccessBlockConfiguration'] == conf
    r = signed(store, 'PUT', '/pab?publicAccessBlock',
               b'<PublicAccessBlockConfiguration><BlockPublicAcls>maybe</BlockPublicAcls>'
               b'</PublicAccessBlockConfiguration>')
    assert r.status_code == 400 and b'MalformedXML' in r.content
    assert s3.get_public_access_block(Bucket='pab')['PublicAccessBlockConfiguration'] == conf
    for acl in ('public-read', 'public-read-write', 'authenticated-read'):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            s3.put_object(Bucket='pab', Key='k', Body=DATA, ACL=acl)
        assert _err(e) == (403, 'AccessDenied')
        with pytest.raises(botocore.exceptions.ClientError) as e:
            s3.put_bucket_acl(Bucket='pab', ACL=acl)
        assert _err(e) == (403, 'AccessDenied')
    with pytest.raises(botocore.exceptions.ClientError):
        s3.head_object(Bucket='pab', Key='k')
    s3.put_object(Bucket='pab', Key='k', Body=DATA, ACL='private')
    assert s3.delete_public_access_block(Bucket='pab')[
        'ResponseMetadata']['HTTPStatusCode'] == 204
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_public_access_block(Bucket='pab')
    assert _err(e) == (404, 'NoSuchPublicAccessBlockConfiguration')
