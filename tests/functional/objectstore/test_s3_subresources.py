"""Every S3 subresource AWS defines, with every method, on a bucket and an
object: implemented or refused (501 NotImplemented / 405), and never a
change to stored bytes, metadata or the bucket's contents."""
import hashlib
import socket
import time

import pytest
import requests
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from iaas.api.objectstore.s3.subresources import NI, SUBRESOURCES

TAGGING = (b'<Tagging><TagSet><Tag><Key>k</Key><Value>v</Value></Tag></TagSet>'
           b'</Tagging>')
DATA = b'precious bytes, never to be replaced'

# subresources whose implemented writes legitimately change something
WRITES_OK = {'uploads', 'uploadId', 'delete'}


def signed(store, method, path, body=b'', headers=None):
    req = AWSRequest(method=method, url=store.url + path, data=body, headers=headers or {})
    S3SigV4Auth(Credentials('test:tester', 'testing'), 's3', 'us-east-1').add_auth(req)
    sent = {k: v for k, v in req.headers.items() if k.lower() != 'content-length'}
    return requests.request(method, store.url + path, data=body, headers=sent, timeout=30)


def snapshot(s3):
    listed = s3.list_objects_v2(Bucket='keep').get('Contents', [])
    out = {'keys': sorted((o['Key'], o['ETag'], o['Size']) for o in listed)}
    for o in listed:
        got = s3.get_object(Bucket='keep', Key=o['Key'])
        out[o['Key']] = (got['Body'].read(), got['Metadata'], got['ContentType'])
    out['buckets'] = sorted(b['Name'] for b in s3.list_buckets()['Buckets'])
    return out


def test_every_subresource_and_method_leaves_data_alone(s3, store):
    s3.create_bucket(Bucket='keep')
    s3.put_object(Bucket='keep', Key='obj', Body=DATA, Metadata={'m': '1'},
                  ContentType='text/x-kept')
    before = snapshot(s3)
    assert before['obj'][0] == DATA
    bad = []
    for name, (bucket_ops, object_ops) in SUBRESOURCES.items():
        if name in WRITES_OK:
            continue
        for path, ops in (('/keep', bucket_ops), ('/keep/obj', object_ops)):
            for method in ('PUT', 'POST', 'GET', 'HEAD', 'DELETE'):
                op = ops.get(method)
                if op not in (None, NI) and method != 'GET':
                    continue    # an implemented write: has its own tests
                r = signed(store, method, f'{path}?{name}', TAGGING,
                           {'Content-Type': 'application/xml'})
                if r.status_code >= 500 and r.status_code != 501:
                    bad.append((method, path, name, r.status_code))
                if op in (None, NI) and r.status_code not in (501, 405, 400):
                    bad.append((method, path, name, r.status_code, 'not refused'))
                if op == NI and method != 'HEAD' and r.status_code == 501:
                    assert b'<Code>NotImplemented</Code>' in r.content
        assert snapshot(s3) == before, name
    assert bad == []


@pytest.mark.parametrize('method,query', [
    ('PUT', 'tagging'), ('PUT', 'legal-hold'), ('PUT', 'retention'), ('PUT', 'acl'),
    ('DELETE', 'tagging'), ('POST', 'restore'), ('POST', 'select&select-type=2'),
    ('PUT', 'renameObject')])
def test_unknown_object_writes_never_replace_the_object(s3, store, method, query):
    s3.create_bucket(Bucket='keep')
    s3.put_object(Bucket='keep', Key='obj', Body=DATA)
    r = signed(store, method, f'/keep/obj?{query}', TAGGING)
    assert r.status_code in (200, 204, 501) or (query == 'acl' and r.status_code == 400), \
        r.content
    got = s3.get_object(Bucket='keep', Key='obj')
    assert got['Body'].read() == DATA
    assert got['ETag'] == '"%s"' % hashlib.md5(DATA).hexdigest()


def test_versions_without_versioning(s3, store, monkeypatch):
    monkeypatch.setattr(store.proxy.s3, 'versioning', {})   # the fallbacks alone
    s3.create_bucket(Bucket='nover')
    s3.put_object(Bucket='nover', Key='a', Body=b'1')
    s3.put_object(Bucket='nover', Key='d/b', Body=b'22')
    r = s3.list_object_versions(Bucket='nover')
    assert [(v['Key'], v['VersionId'], v['IsLatest']) for v in r['Versions']] == [
        ('a', 'null', True), ('d/b', 'null', True)]
    assert s3.get_object(Bucket='nover', Key='a', VersionId='null')['Body'].read() == b'1'
    r = signed(store, 'DELETE', '/nover/a?versionId=0123456789')
    assert r.status_code == 501
    r = s3.delete_objects(Bucket='nover', Delete={'Objects': [
        {'Key': 'd/b', 'VersionId': 'someversion'}]})
    assert r['Errors'][0]['Code'] == 'NotImplemented'
    assert s3.get_object(Bucket='nover', Key='d/b')['Body'].read() == b'22'
    s3.delete_object(Bucket='nover', Key='a', VersionId='null')
    assert [v['Key'] for v in s3.list_object_versions(Bucket='nover')['Versions']] == ['d/b']


def test_negative_content_length_is_refused_at_once(store):
    host, port = store.url[len('http://'):].split(':')
    started = time.monotonic()
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b'PUT /neg HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n'
                     b'Authorization: AWS test:tester:x\r\nDate: now\r\n\r\n')
        head = sock.recv(4096)
    assert head.startswith(b'HTTP/1.1 400'), head
    assert time.monotonic() - started < 5


def test_escaped_slash_in_a_key_is_a_slash(s3, store):
    s3.create_bucket(Bucket='slash')
    assert signed(store, 'PUT', '/slash/x%2Fy', b'xy').status_code == 200
    s3.put_object(Bucket='slash', Key='a/b', Body=b'ab')
    r = signed(store, 'GET', '/slash/a%2Fb')
    assert r.status_code == 200 and r.content == b'ab'
    keys = [o['Key'] for o in s3.list_objects_v2(Bucket='slash')['Contents']]
    assert keys == ['a/b', 'x/y']
    assert s3.get_object(Bucket='slash', Key='x/y')['Body'].read() == b'xy'
