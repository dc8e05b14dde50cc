"""S3 behaviours Swift's own s3api functional tests check: schema order of
listings, bucket-name validation on every bucket call, MethodNotAllowed for
unknown verbs, CreateBucket's Location, XML responses' Content-Type."""
import boto3
import botocore
import pytest
import requests
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

from tests.functional.objectstore.conftest import s3_client


@pytest.fixture
def s3(store):
    c = s3_client(store.url)
    # let invalid bucket names reach the server
    c.meta.events.unregister('before-parameter-build.s3',
                             botocore.handlers.validate_bucket_name)
    return c


def raw(store, method, path, body=b'', headers=None):
    """A SigV4-signed request as sent (no client-side checks)."""
    url = store.url + path
    req = AWSRequest(method=method, url=url, data=body, headers=dict(headers or {}))
    req.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD'
    S3SigV4Auth(Credentials('test:tester', 'testing'), 's3', 'us-east-1').add_auth(req)
    return requests.request(method, url, data=body, headers=dict(req.headers))


def _err(e):
    return e.value.response['Error']['Code'], \
        e.value.response['ResponseMetadata']['HTTPStatusCode']


def test_listing_elements_in_schema_order(store, s3):
    s3.create_bucket(Bucket='order')
    for k in ('a', 'b', 'c'):
        s3.put_object(Bucket='order', Key=k, Body=b'x')
    body = raw(store, 'GET', '/order?max-keys=1').text
    assert body.index('<Marker') < body.index('<NextMarker>') < body.index('<MaxKeys>') \
        < body.index('<IsTruncated>')
    assert body.index('<Size>') < body.index('<Owner>') < body.index('<StorageClass>')
    body = raw(store, 'GET', '/order?list-type=2&max-keys=1&start-after=').text
    assert body.index('<NextContinuationToken>') < body.index('<StartAfter') \
        < body.index('<KeyCount>') < body.index('<MaxKeys>')
    r = s3.list_objects_v2(Bucket='order', StartAfter='', Prefix='')
    assert r['StartAfter'] == ''


def test_invalid_bucket_name_on_every_bucket_call(store, s3):
    s3.create_bucket(Bucket='valid')
    for call in (lambda: s3.list_objects(Bucket='bad+name'),
                 lambda: s3.delete_bucket(Bucket='bad+name'),
                 lambda: s3.create_bucket(Bucket='bad+name'),
                 lambda: s3.put_object(Bucket='Bad_Name', Key='k', Body=b'')):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call()
        assert _err(e) == ('InvalidBucketName', 400)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.head_bucket(Bucket='bad+name')
    assert _err(e) == ('400', 400)
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.create_bucket(Bucket='valid')
    assert _err(e) == ('BucketAlreadyOwnedByYou', 409)


def test_unknown_method_and_unimplemented_subresource(store, s3):
    s3.create_bucket(Bucket='verbs')
    r = raw(store, 'GETPUT', '/verbs')
    assert r.status_code == 405 and '<Code>MethodNotAllowed</Code>' in r.text
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.put_object_lock_configuration(Bucket='verbs', ObjectLockConfiguration={})
    assert _err(e) == ('NotImplemented', 501)
    assert e.value.response['Error']['Message'] == 'The requested resource is not implemented'


def test_create_bucket_location_is_relative(store, s3):
    r = s3.create_bucket(Bucket='where')
    assert r['ResponseMetadata']['HTTPHeaders']['location'] == '/where'


def test_xml_answers_to_post_have_a_content_type(store, s3):
    s3.create_bucket(Bucket='posts')
    s3.put_object(Bucket='posts', Key='k', Body=b'x')
    r = s3.delete_objects(Bucket='posts', Delete={'Objects': [{'Key': 'k'}]})
    assert r['ResponseMetadata']['HTTPHeaders']['content-type'] == 'application/xml'
    r = s3.create_multipart_upload(Bucket='posts', Key='m')
    assert r['ResponseMetadata']['HTTPHeaders']['content-type'] == 'application/xml'


def test_key_too_long(store, s3):
    s3.create_bucket(Bucket='long')
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.put_object(Bucket='long', Key='x' * 1025, Body=b'')
    assert _err(e) == ('KeyTooLongError', 400)


def test_expiry_headers(store, s3):
    import time
    s3.create_bucket(Bucket='expiry')
    for name, value, msg in (('X-Delete-At', str(int(time.time()) - 140), 'X-Delete-At in past'),
                             ('X-Delete-At', 'test', 'Non-integer X-Delete-At'),
                             ('X-Delete-After', '-140', 'X-Delete-After in past')):
        r = raw(store, 'PUT', '/expiry/o', b'data', {name: value})
        assert r.status_code == 400 and '<Code>InvalidArgument</Code>' in r.text
        assert f'<Message>{msg}</Message>' in r.text
    assert raw(store, 'HEAD', '/expiry/o').status_code == 404
    at = int(time.time()) + 3600
    assert raw(store, 'PUT', '/expiry/o', b'data', {'X-Delete-At': str(at)}).status_code == 200
    want = 'expiry-date="%s", rule-id="swift-object-expiration"' % time.strftime(
        '%a, %d %b %Y %H:%M:%S GMT', time.gmtime(at))
    for method in ('HEAD', 'GET'):
        assert raw(store, method, '/expiry/o').headers['x-amz-expiration'] == want


def test_copy_source_parameters_and_directive(store, s3):
    s3.create_bucket(Bucket='copysrc')
    s3.put_object(Bucket='copysrc', Key='src', Body=b'content', Metadata={'test': 'src'})
    for src in ('/copysrc/src?nonsense', '/copysrc/src?versionId=null&nonsense'):
        r = raw(store, 'PUT', '/copysrc/dst', headers={'x-amz-copy-source': src})
        assert r.status_code == 400 and '<Code>InvalidArgument</Code>' in r.text
    r = raw(store, 'PUT', '/copysrc/dst', headers={'x-amz-copy-source': '/copysrc/src',
                                                  'x-amz-metadata-directive': 'BAD'})
    assert r.status_code == 400 and '<Code>InvalidArgument</Code>' in r.text
    r = raw(store, 'PUT', '/copysrc/dst',
            headers={'x-amz-copy-source': '/copysrc/src?versionId=null'})
    assert r.status_code == 200
    got = s3.get_object(Bucket='copysrc', Key='dst')
    assert got['Body'].read() == b'content' and got['Metadata'] == {'test': 'src'}


def test_ranged_head(store, s3):
    s3.create_bucket(Bucket='rhead')
    s3.put_object(Bucket='rhead', Key='o', Body=b'abcdefghij')
    for rng in ('bytes=1-5', 'bytes=5-', 'bytes=-5'):
        r = raw(store, 'HEAD', '/rhead/o', headers={'Range': rng})
        assert r.status_code == 206 and r.headers['content-length'] == '5'
        assert 'accept-ranges' in r.headers


def test_plain_body_labelled_aws_chunked(store, s3):
    s3.create_bucket(Bucket='chunky')
    body = b'abcd' * 8192
    s3.put_object(Bucket='chunky', Key='o', Body=body, ContentEncoding='aws-chunked')
    assert s3.get_object(Bucket='chunky', Key='o')['Body'].read() == body
    s3.put_object(Bucket='chunky', Key='s', Body=body, ContentEncoding='aws-chunked',
                  ChecksumAlgorithm='SHA256')
    assert s3.get_object(Bucket='chunky', Key='s')['Body'].read() == body


def test_error_bodies_echo_no_resource(store, s3):
    r = raw(store, 'PUT', '/no-such-xxe-bucket/k', b'x')
    assert r.status_code == 404 and '<Resource>' not in r.text


def test_presigned_expiry_limits(store, s3):
    s3.create_bucket(Bucket='presign')
    v4 = boto3.client('s3', endpoint_url=store.url, region_name='us-east-1',
                      aws_access_key_id='test:tester', aws_secret_access_key='testing',
                      config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}))
    for expires, msg in ((-1, 'X-Amz-Expires must be non-negative'),
                         (604801, 'X-Amz-Expires must be less than 604800 seconds'),
                         (2 ** 63, 'X-Amz-Expires should be a number')):
        url = v4.generate_presigned_url('list_objects', Params={'Bucket': 'presign'},
                                        ExpiresIn=3600)
        assert 'X-Amz-Expires=3600' in url
        url = url.replace('X-Amz-Expires=3600', f'X-Amz-Expires={expires}')
        r = requests.get(url)
        assert r.status_code == 400 and 'AuthorizationQueryParametersError' in r.text
        assert msg in r.text
    # 0 is a valid value that has always expired (403, as Swift's s3api)
    r = requests.get(v4.generate_presigned_url('list_objects', Params={'Bucket': 'presign'},
                                               ExpiresIn=0))
    assert r.status_code == 403 and 'Request has expired' in r.text
    v2 = boto3.client('s3', endpoint_url=store.url, region_name='us-east-1',
                      aws_access_key_id='test:tester', aws_secret_access_key='testing',
                      config=Config(signature_version='s3', s3={'addressing_style': 'path'}))
    r = requests.get(v2.generate_presigned_url('list_objects', Params={'Bucket': 'presign'},
                                               ExpiresIn=2 ** 32))
    assert r.status_code == 403 and 'should be seconds since epoch' in r.text


def test_copy_time_matches_listing_and_304_has_accept_ranges(store, s3):
    s3.create_bucket(Bucket='ctime')
    s3.put_object(Bucket='ctime', Key='src', Body=b'x')
    r = raw(store, 'PUT', '/ctime/dst', headers={'x-amz-copy-source': '/ctime/src'})
    stamp = r.text.split('<LastModified>')[1].split('<')[0]
    listed = [o for o in s3.list_objects(Bucket='ctime')['Contents'] if o['Key'] == 'dst']
    assert listed[0]['LastModified'].strftime('%Y-%m-%dT%H:%M:%S.000Z') == stamp
    etag = s3.head_object(Bucket='ctime', Key='src')['ETag']
    r = raw(store, 'GET', '/ctime/src', headers={'If-None-Match': etag})
    assert r.status_code == 304 and r.headers['accept-ranges'] == 'bytes'


def test_multi_delete_without_objects_is_malformed(store, s3):
    s3.create_bucket(Bucket='mdel')
    body = b'<Delete><Quiet>true</Quiet></Delete>'
    import base64
    import hashlib
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    r = raw(store, 'POST', '/mdel?delete', body, {'Content-MD5': md5})
    assert r.status_code == 400 and '<Code>MalformedXML</Code>' in r.text


def test_upload_listings_in_schema_order(store, s3):
    s3.create_bucket(Bucket='mpl')
    ids = [s3.create_multipart_upload(Bucket='mpl', Key=k)['UploadId'] for k in ('b', 'a')]
    s3.upload_part(Bucket='mpl', Key='b', UploadId=ids[0], PartNumber=1, Body=b'x')
    body = raw(store, 'GET', '/mpl?uploads').text
    order = ['<Bucket>', '<KeyMarker', '<UploadIdMarker', '<NextKeyMarker>',
             '<NextUploadIdMarker>', '<MaxUploads>', '<IsTruncated>', '<Upload>']
    assert [body.index(t) for t in order] == sorted(body.index(t) for t in order)
    r = s3.list_multipart_uploads(Bucket='mpl')
    assert [u['Key'] for u in r['Uploads']] == ['a', 'b'] and r['NextKeyMarker'] == 'b'
    assert r['Uploads'][0]['Initiator']['ID'] == 'test:tester'
    body = raw(store, 'GET', f'/mpl/b?uploadId={ids[0]}').text
    order = ['<Initiator>', '<Owner>', '<StorageClass>', '<PartNumberMarker>',
             '<NextPartNumberMarker>', '<MaxParts>', '<IsTruncated>', '<Part>']
    assert [body.index(t) for t in order] == sorted(body.index(t) for t in order)


def test_bodiless_answers_have_swifts_content_type(store, s3):
    s3.create_bucket(Bucket='ctype')
    up = s3.create_multipart_upload(Bucket='ctype', Key='k')['UploadId']
    r = raw(store, 'PUT', f'/ctype/k?partNumber=1&uploadId={up}', b'x')
    assert r.status_code == 200 and r.headers['content-type'] == 'text/html; charset=UTF-8'
    assert r.headers['last-modified'].endswith(' GMT')
    r = raw(store, 'DELETE', f'/ctype/k?uploadId={up}')
    assert r.status_code == 204 and r.headers['content-type'] == 'text/html; charset=UTF-8'
    assert r.headers['content-length'] == '0'


def test_upload_of_another_key_is_no_such_upload(store, s3):
    s3.create_bucket(Bucket='other')
    up = s3.create_multipart_upload(Bucket='other', Key='k')['UploadId']
    for call in (lambda: s3.abort_multipart_upload(Bucket='other', Key='x', UploadId=up),
                 lambda: s3.list_parts(Bucket='other', Key='x', UploadId=up)):
        with pytest.raises(botocore.exceptions.ClientError) as e:
            call()
        assert _err(e) == ('NoSuchUpload', 404)
    assert s3.list_parts(Bucket='other', Key='k', UploadId=up)['UploadId'] == up


def test_multi_delete_blank_key(store, s3):
    s3.create_bucket(Bucket='blank')
    body = b'<Delete><Object><Key></Key></Object></Delete>'
    import base64
    import hashlib
    md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
    r = raw(store, 'POST', '/blank?delete', body, {'Content-MD5': md5})
    assert r.status_code == 400 and '<Code>UserKeyMustBeSpecified</Code>' in r.text


def test_complete_conditions(store, s3):
    s3.create_bucket(Bucket='ccond')
    xml = '<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>{}</ETag></Part>' \
          '</CompleteMultipartUpload>'

    def upload():
        up = s3.create_multipart_upload(Bucket='ccond', Key='k')['UploadId']
        etag = s3.upload_part(Bucket='ccond', Key='k', UploadId=up, PartNumber=1,
                              Body=b'x')['ETag']
        return up, xml.format(etag).encode()
    up, body = upload()
    for h in ({'If-Match': '*'}, {'If-None-Match': '"abc"'},
              {'If-Modified-Since': 'Wed, 21 Oct 2015 07:28:00 GMT'}):
        r = raw(store, 'POST', f'/ccond/k?uploadId={up}', body, h)
        assert r.status_code == 501, h
    r = raw(store, 'POST', f'/ccond/k?uploadId={up}', body, {'If-None-Match': '*'})
    assert r.status_code == 200
    up, body = upload()
    r = raw(store, 'POST', f'/ccond/k?uploadId={up}', body, {'If-None-Match': '*'})
    assert r.status_code == 412 and '<Code>PreconditionFailed</Code>' in r.text


def test_complete_location_is_quoted(store, s3):
    s3.create_bucket(Bucket='loc')
    key = 'obj1\N{SNOWMAN}'
    up = s3.create_multipart_upload(Bucket='loc', Key=key)['UploadId']
    etag = s3.upload_part(Bucket='loc', Key=key, UploadId=up, PartNumber=1, Body=b'x')['ETag']
    r = s3.complete_multipart_upload(Bucket='loc', Key=key, UploadId=up, MultipartUpload={
        'Parts': [{'PartNumber': 1, 'ETag': etag}]})
    assert r['Location'] == store.url + '/loc/obj1%E2%98%83'


def test_object_lock_configuration_is_never_there(store, s3):
    s3.create_bucket(Bucket='locks')
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_object_lock_configuration(Bucket='locks')
    assert _err(e) == ('ObjectLockConfigurationNotFoundError', 404)
    assert e.value.response['Error']['Message'] == \
        'Object Lock configuration does not exist for this bucket'
    with pytest.raises(botocore.exceptions.ClientError) as e:
        s3.get_object_lock_configuration(Bucket='nolocks')
    assert _err(e) == ('NoSuchBucket', 404)
    # an object's ?object-lock is not ours: 501 before anything is read or written
    r = raw(store, 'PUT', '/locks/k?object-lock', body=b'x')
    assert r.status_code == 501
    assert s3.list_objects(Bucket='locks').get('Contents') is None


def test_blank_delimiter_of_a_versions_listing_is_echoed(store, s3):
    s3.create_bucket(Bucket='blank')
    s3.put_object(Bucket='blank', Key='k', Body=b'x')
    r = s3.list_object_versions(Bucket='blank', Delimiter='', KeyMarker='', Prefix='')
    assert (r['Delimiter'], r['KeyMarker'], r['Prefix']) == ('', '', '')
    assert 'Delimiter' not in s3.list_objects(Bucket='blank', Delimiter='')
    r = s3.list_object_versions(Bucket='blank')
    assert 'Delimiter' not in r


def test_canned_bucket_acls_show_as_grants(store, s3):
    """S3 ACLs are S3's (iaas/api/objectstore/s3/acl.py): the grants show; the Swift API's
    anonymous access is not opened by them (S3 ACLs never reach beyond
    the account's own S3 callers)."""
    s3.create_bucket(Bucket='pub')
    s3.put_object(Bucket='pub', Key='k', Body=b'x')
    anon = store.url + '/v1/AUTH_test/pub'
    assert requests.get(anon + '/k').status_code == 401

    def grants():
        return sorted((g['Grantee']['Type'], g['Permission'])
                      for g in s3.get_bucket_acl(Bucket='pub')['Grants'])
    assert grants() == [('CanonicalUser', 'FULL_CONTROL')]
    s3.put_bucket_acl(Bucket='pub', ACL='public-read')
    assert grants() == [('CanonicalUser', 'FULL_CONTROL'), ('Group', 'READ')]
    assert requests.get(anon + '/k').status_code == 401
    s3.put_bucket_acl(Bucket='pub', ACL='public-read-write')
    assert grants() == [('CanonicalUser', 'FULL_CONTROL'), ('Group', 'READ'),
                        ('Group', 'WRITE')]
    assert requests.put(anon + '/new', data=b'y').status_code == 401   # never public writes
    s3.put_bucket_acl(Bucket='pub', ACL='private')
    assert grants() == [('CanonicalUser', 'FULL_CONTROL')]
    # an ACL document: owner FULL_CONTROL + AllUsers READ
    owner = s3.get_bucket_acl(Bucket='pub')['Owner']
    policy = {'Owner': owner, 'Grants': [
        {'Grantee': {'Type': 'CanonicalUser', 'ID': owner['ID']}, 'Permission': 'FULL_CONTROL'},
        {'Grantee': {'Type': 'Group', 'URI': 'http://acs.amazonaws.com/groups/global/AllUsers'},
         'Permission': 'READ'}]}
    s3.put_bucket_acl(Bucket='pub', AccessControlPolicy=policy)
    assert grants() == [('CanonicalUser', 'FULL_CONTROL'), ('Group', 'READ')]
    assert requests.get(anon + '/k').status_code == 401


def test_versions_and_content_headers_on_heads(store, s3):
    s3.create_bucket(Bucket='heads')
    up = s3.create_multipart_upload(Bucket='heads', Key='mpu', ContentType='foo/bar',
                                    ContentLanguage='en-US', CacheControl='no-cache',
                                    Expires='Thu, 01 Dec 1994 16:00:00 GMT')['UploadId']
    etag = s3.upload_part(Bucket='heads', Key='mpu', UploadId=up, PartNumber=1,
                          Body=b'x' * 10)['ETag']
    s3.complete_multipart_upload(Bucket='heads', Key='mpu', UploadId=up, MultipartUpload={
        'Parts': [{'PartNumber': 1, 'ETag': etag}]})
    h = s3.head_object(Bucket='heads', Key='mpu')['ResponseMetadata']['HTTPHeaders']
    assert (h['content-language'], h['cache-control'], h['expires']) == \
        ('en-US', 'no-cache', 'Thu, 01 Dec 1994 16:00:00 GMT')
    assert 'x-amz-version-id' not in h
    r = raw(store, 'HEAD', '/heads/mpu', headers={'If-None-Match': h['etag']})
    assert r.status_code == 304 and r.headers['Content-Length'] == '0'
    s3.put_bucket_versioning(Bucket='heads', VersioningConfiguration={'Status': 'Enabled'})
    vid = s3.put_object(Bucket='heads', Key='v', Body=b'v')['VersionId']
    assert s3.head_object(Bucket='heads', Key='v')['VersionId'] == vid
    assert s3.get_object(Bucket='heads', Key='v')['VersionId'] == vid
    for status in ('...', ''):
        r = raw(store, 'PUT', '/heads?versioning', body=(
            '<VersioningConfiguration><Status>%s</Status></VersioningConfiguration>'
            % status).encode())
        assert r.status_code == 400 and '<Code>MalformedXML</Code>' in r.text
    assert s3.get_bucket_versioning(Bucket='heads')['Status'] == 'Enabled'


@pytest.mark.parametrize('signature', ['s3', 's3v4'])
def test_metadata_names_with_underscores_and_separators(store, signature):
    c = boto3.client('s3', endpoint_url=store.url, region_name='us-east-1',
                     aws_access_key_id='test:tester', aws_secret_access_key='testing',
                     config=Config(s3={'addressing_style': 'path'}, signature_version=signature,
                                   retries={'max_attempts': 1}))
    c.create_bucket(Bucket='meta')
    weird = '!"#$%&\'()*+-./<=>?@[\\]^`{|}~'
    md = dict({'foo-bar': 'baz', 'foo_bar': 'also baz'}, **{ch: ch for ch in weird})
    c.put_object(Bucket='meta', Key='k', Body=b'x', Metadata=md)
    kept = '!#$%&\'(*+-.^`|~'        # AWS (and Swift's s3api) ignore the others
    want = dict({'foo-bar': 'baz', 'foo_bar': 'also baz'}, **{ch: ch for ch in kept})
    assert c.head_object(Bucket='meta', Key='k')['Metadata'] == want
    # the underscore is stored as Swift's s3api stores it
    tok, url = store.token()
    h = requests.head(url + '/meta/k', headers={'X-Auth-Token': tok}).headers
    assert h['X-Object-Meta-Foo=5Fbar'] == 'also baz' and h['X-Object-Meta-Foo-Bar'] == 'baz'
    # a copy keeps them
    c.copy_object(Bucket='meta', Key='k2', CopySource={'Bucket': 'meta', 'Key': 'k'})
    assert c.head_object(Bucket='meta', Key='k2')['Metadata'] == want
