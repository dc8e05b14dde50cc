"""The same upload/download test against each store: file (a directory),
s3 (a local moto S3 server via boto3), objectstore (the Swift-API stub in
swift_stub.py, segmented for large images)."""
import hashlib
import os

import pytest

from tests.functional.image.swift_stub import SwiftStub


@pytest.fixture
def moto_s3():
    from moto.server import ThreadedMotoServer
    server = ThreadedMotoServer(ip_address='127.0.0.1', port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f'http://{host}:{port}'
    server.stop()


@pytest.fixture
def swift_stub():
    from iaas.service import WSGIService
    stub = SwiftStub()
    svc = WSGIService('swift-stub', stub, '127.0.0.1', 0, threads=4)
    svc.start()
    stub.url = f'http://127.0.0.1:{svc.port}'
    yield stub
    svc.stop()


def _configure(conf, kind, request):
    """Point [image] at the store ``kind``; return a function listing its objects."""
    from iaas.image import stores
    stores.reset()
    conf.set_override('default_store', kind, group='image')
    if kind == 'file':
        d = conf.image.filesystem_store_datadir
        return lambda: set(os.listdir(d)) if os.path.isdir(d) else set()
    if kind == 's3':
        import boto3
        url = request.getfixturevalue('moto_s3')
        for k, v in {'s3_store_endpoint': url, 's3_store_access_key': 'testing',
                     's3_store_secret_key': 'testing', 's3_store_bucket': 'glance',
                     's3_store_part_size_mb': 5}.items():
            conf.set_override(k, v, group='image')
        s3 = boto3.client('s3', endpoint_url=url, region_name='us-east-1',
                          aws_access_key_id='testing', aws_secret_access_key='testing')

        def list_s3():
            try:
                objs = s3.list_objects_v2(Bucket='glance').get('Contents', [])
                ups = s3.list_multipart_uploads(Bucket='glance').get('Uploads', [])
            except s3.exceptions.NoSuchBucket:
                return set()
            return {o['Key'] for o in objs} | {'upload:' + u['Key'] for u in ups}
        return list_s3
    stub = request.getfixturevalue('swift_stub')
    for k, v in {'objectstore_auth_url': stub.url + '/auth/v1.0',
                 'objectstore_user': 'test:tester', 'objectstore_key': 'testing',
                 'objectstore_segment_size_mb': 1}.items():
        conf.set_override(k, v, group='image')
    return stub.all_objects


STORES = ['file', 's3', 'objectstore']


@pytest.mark.parametrize('kind', STORES)
def test_upload_download_each_store(kind, client, image_conf, request):
    listing = _configure(image_conf, kind, request)
    # > one S3 part (5 MiB) and > one Swift segment (1 MiB), not a multiple of either
    data = os.urandom((11 << 20) + 12345)
    img = client.create(name=f'on-{kind}')
    r = client.upload(img['id'], data)
    assert r.status_code == 204, r.text
    got = client.get(f'/v2/images/{img["id"]}').json()
    assert got['status'] == 'active' and got['size'] == len(data)
    assert got['checksum'] == hashlib.md5(data).hexdigest()
    assert got['os_hash_value'] == hashlib.sha512(data).hexdigest()
    assert got['stores'] == kind
    assert listing(), 'the store holds nothing'
    if kind == 'objectstore':
        segs = {k for k in listing() if k.startswith('images_segments/')}
        assert len(segs) == 12, segs
    r = client.get(f'/v2/images/{img["id"]}/file')
    assert r.status_code == 200 and r.content == data
    # a range across a segment / part boundary
    start = (5 << 20) - 100
    r = client.get(f'/v2/images/{img["id"]}/file',
                   headers={'Range': f'bytes={start}-{start + (2 << 20)}'})
    assert r.status_code == 206 and r.content == data[start:start + (2 << 20) + 1]
    # small images (one object / one part) too, and chunked uploads
    small = client.create(name='small')
    assert client.upload(small['id'], iter([b'a' * 1000, b'b' * 1000])).status_code == 204
    assert client.get(f'/v2/images/{small["id"]}/file').content == b'a' * 1000 + b'b' * 1000
    # a refused upload leaves nothing behind
    before = listing()
    bad = client.create(name='bad')
    r = client.upload(bad['id'], data, **{'Content-MD5': hashlib.md5(b'x').hexdigest()})
    assert r.status_code == 400
    assert listing() == before
    assert client.get(f'/v2/images/{bad["id"]}').json()['status'] == 'queued'
    # … also when it fits in one object / one part, sized or chunked
    for body in (b'x' * 3000, iter([b'x' * 3000])):
        r = client.upload(bad['id'], body, **{'Content-MD5': hashlib.md5(b'x').hexdigest()})
        assert r.status_code == 400
        assert listing() == before
    # delete removes the data
    assert client.delete(f'/v2/images/{img["id"]}').status_code == 204
    assert client.delete(f'/v2/images/{small["id"]}').status_code == 204
    assert listing() == set()


@pytest.mark.parametrize('kind', ['s3', 'objectstore'])
def test_changing_default_store_keeps_old_images(kind, client, image_conf, request):
    old = client.create(name='old')
    assert client.upload(old['id'], b'old-data' * 1000).status_code == 204
    listing = _configure(image_conf, kind, request)
    new = client.create(name='new')
    assert client.upload(new['id'], b'new-data' * 1000).status_code == 204
    assert client.get(f'/v2/images/{old["id"]}').json()['stores'] == 'file'
    assert client.get(f'/v2/images/{new["id"]}').json()['stores'] == kind
    assert client.get(f'/v2/images/{old["id"]}/file').content == b'old-data' * 1000
    assert client.get(f'/v2/images/{new["id"]}/file').content == b'new-data' * 1000
    assert len(listing()) >= 1


def test_unknown_store_name_fails_clearly(image_conf):
    from iaas.image import stores
    with pytest.raises(stores.UnknownStore, match="unknown image store 'ftp'; known: file, objectstore, s3"):
        stores.get_store('ftp')


def test_objectstore_reauthenticates_once_after_401(image_conf, request, monkeypatch):
    from iaas.image import stores
    from tests.functional.image import swift_stub
    stub = request.getfixturevalue('swift_stub')
    _configure(image_conf, 'objectstore', request)
    store = stores.get_store('objectstore')
    url, meta = store.add('img-1', iter([b'x' * 100]), 100)
    logins = sum(1 for r in stub.requests if r[1] == '/auth/v1.0')
    monkeypatch.setattr(swift_stub, 'TOKEN', 'AUTH_tk_rotated')    # the old token expires
    assert b''.join(store.get(url, meta)) == b'x' * 100
    assert sum(1 for r in stub.requests if r[1] == '/auth/v1.0') == logins + 1


def test_objectstore_fixed_storage_url_and_token(image_conf, request):
    from iaas.image import stores
    from tests.functional.image import swift_stub
    stub = request.getfixturevalue('swift_stub')
    image_conf.set_override('default_store', 'objectstore', group='image')
    image_conf.set_override('objectstore_storage_url', stub.url + '/v1/AUTH_test', group='image')
    image_conf.set_override('objectstore_token', swift_stub.TOKEN, group='image')
    store = stores.get_store('objectstore')
    url, meta = store.add('img-2', iter([b'y' * 10]), 10)
    assert b''.join(store.get(url, meta)) == b'y' * 10
    assert not any(r[1] == '/auth/v1.0' for r in stub.requests)
