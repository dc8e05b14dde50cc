"""Hostile input gets a clear 4xx, never a 500, and stores nothing (issue
12, finding 12's object store parts)."""
import botocore
import pytest
import requests

BAD_QUERIES = ['end_marker=%ED%A0%80', 'marker=%ff', 'prefix=%ED%A0%80&format=json',
               'delimiter=%ED%A0%80', 'limit=%ff', 'format=%ff', 'multipart-manifest=%ff',
               'prefix=a%00b']


def test_invalid_utf8_in_swift_paths_and_queries(store):
    tok, url = store.token()
    h = {'X-Auth-Token': tok}
    assert requests.put(url + '/c', headers=h).status_code == 201
    assert requests.put(url + '/c/o', headers=h, data=b'kept').status_code == 201
    for path in ('/c/%ff', '/c%ff', '/c/%ED%A0%80', '/c/a%00b'):
        for method in ('GET', 'HEAD', 'PUT', 'POST', 'DELETE', 'COPY'):
            r = requests.request(method, url + path, headers=h, data=b'x')
            assert r.status_code == 412, (method, path, r.status_code)
    for level in ('', '/c', '/c/o'):
        for q in BAD_QUERIES:
            for method in ('GET', 'HEAD', 'PUT', 'POST', 'DELETE'):
                r = requests.request(method, f'{url}{level}?{q}', headers=h, data=b'x')
                assert r.status_code in (400, 412), (method, level, q, r.status_code)
    assert requests.get(url + '/c/o', headers=h).content == b'kept'
    assert requests.get(url + '/c', headers=h).text == 'o\n'


def test_invalid_utf8_over_s3(store, s3):
    s3.create_bucket(Bucket='bkt')
    for path in ('/%ff', '/bkt/%ff', '/bkt?prefix=%ED%A0%80', '/bkt/k?uploadId=%ff'):
        r = requests.get(store.url + path)
        assert r.status_code == 400 and b'<Code>InvalidURI</Code>' in r.content, path


def _code(call):
    with pytest.raises(botocore.exceptions.ClientError) as e:
        call()
    return e.value.response['Error']['Code'], \
        e.value.response['ResponseMetadata']['HTTPStatusCode']


def test_upload_part_copy_checks_source_and_range(s3):
    s3.create_bucket(Bucket='bkt')
    s3.put_object(Bucket='bkt', Key='src', Body=b'0123456789')
    up = s3.create_multipart_upload(Bucket='bkt', Key='dst')['UploadId']

    def copy(source, rng=None, part=1):
        kw = {'CopySourceRange': rng} if rng else {}
        return s3.upload_part_copy(Bucket='bkt', Key='dst', UploadId=up, PartNumber=part,
                                   CopySource=source, **kw)
    assert _code(lambda: copy({'Bucket': 'bkt', 'Key': 'missing'})) == ('NoSuchKey', 404)
    assert _code(lambda: copy({'Bucket': 'nobucket', 'Key': 'src'}))[1] == 404
    assert _code(lambda: copy({'Bucket': 'bkt', 'Key': 'src'}, 'bytes=5-2')) == \
        ('InvalidArgument', 400)
    assert _code(lambda: copy({'Bucket': 'bkt', 'Key': 'src'}, 'bytes=x-y')) == \
        ('InvalidArgument', 400)
    assert _code(lambda: copy({'Bucket': 'bkt', 'Key': 'src'}, 'bytes=5-10'))[1] in (400, 416)
    assert s3.list_parts(Bucket='bkt', Key='dst', UploadId=up).get('Parts', []) == []
    etag = copy({'Bucket': 'bkt', 'Key': 'src'}, 'bytes=2-5')['CopyPartResult']['ETag']
    etag2 = copy({'Bucket': 'bkt', 'Key': 'src'}, part=2)['CopyPartResult']['ETag']
    parts = s3.list_parts(Bucket='bkt', Key='dst', UploadId=up)['Parts']
    assert [(p['PartNumber'], p['Size']) for p in parts] == [(1, 4), (2, 10)]
    s3.abort_multipart_upload(Bucket='bkt', Key='dst', UploadId=up)
    up = s3.create_multipart_upload(Bucket='bkt', Key='dst')['UploadId']
    copy({'Bucket': 'bkt', 'Key': 'src'})
    s3.complete_multipart_upload(Bucket='bkt', Key='dst', UploadId=up, MultipartUpload={
        'Parts': [{'PartNumber': 1, 'ETag': etag2}]})
    assert s3.get_object(Bucket='bkt', Key='dst')['Body'].read() == b'0123456789'
    assert etag
