"""Uploads that must not become images, and leave nothing behind."""
import base64
import hashlib
import os
import socket
import threading
import time
import urllib.parse

import pytest

from tests.unit.image.test_format_inspector import (
    GOOD_DESC,
    QCOW2_INCOMPAT_DATA_FILE,
    qcow2_header,
    vmdk_file,
)


def store_files(conf):
    d = conf.image.filesystem_store_datadir
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def wait_for(predicate, timeout=10):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def status(client, iid):
    return client.get(f'/v2/images/{iid}').json()['status']


def test_client_disconnect_mid_upload(client, image_conf):
    img = client.create(name='cut')
    u = urllib.parse.urlparse(client.base)
    total = 8 << 20
    with socket.create_connection((u.hostname, u.port)) as s:
        s.sendall((f'PUT /v2/images/{img["id"]}/file HTTP/1.1\r\nHost: x\r\n'
                   f'X-Test-Project: proj-a\r\nContent-Type: application/octet-stream\r\n'
                   f'Content-Length: {total}\r\n\r\n').encode())
        s.sendall(b'\0' * (3 << 20))
        # the server is now saving the image
        assert wait_for(lambda: status(client, img['id']) == 'saving')
    assert wait_for(lambda: status(client, img['id']) == 'queued'), status(client, img['id'])
    assert store_files(image_conf) == []
    # and the image can still be uploaded afterwards
    assert client.upload(img['id'], b'\0' * 1000).status_code == 204
    assert store_files(image_conf) == [img['id']]


def test_size_header_mismatch(client, image_conf):
    img = client.create(name='m')
    r = client.upload(img['id'], b'x' * 100, **{'X-OpenStack-Image-Size': '99'})
    assert r.status_code == 400
    assert status(client, img['id']) == 'queued' and store_files(image_conf) == []


def test_chunked_upload_shorter_than_announced(client, image_conf):
    img = client.create(name='m')
    r = client.upload(img['id'], iter([b'x' * 100]), **{'X-OpenStack-Image-Size': '200'})
    assert r.status_code == 400
    assert status(client, img['id']) == 'queued' and store_files(image_conf) == []
    r = client.upload(img['id'], iter([b'x' * 300]), **{'X-OpenStack-Image-Size': '200'})
    assert r.status_code == 400
    assert status(client, img['id']) == 'queued' and store_files(image_conf) == []


def test_chunked_upload_without_size(client):
    img = client.create(name='c')
    data = os.urandom(3 << 20)
    r = client.upload(img['id'], iter([data[:1000], data[1000:]]))
    assert r.status_code == 204, r.text
    got = client.get(f'/v2/images/{img["id"]}').json()
    assert got['size'] == len(data) and got['checksum'] == hashlib.md5(data).hexdigest()


def test_content_md5(client, image_conf):
    img = client.create(name='md5')
    data = b'hello' * 1000
    r = client.upload(img['id'], data, **{'Content-MD5': hashlib.md5(b'other').hexdigest()})
    assert r.status_code == 400 and 'Checksum mismatch' in r.json()['error']['message']
    assert status(client, img['id']) == 'queued' and store_files(image_conf) == []
    good = base64.b64encode(hashlib.md5(data).digest()).decode()
    assert client.upload(img['id'], data, **{'Content-MD5': good}).status_code == 204


def test_wrong_content_type(client):
    img = client.create(name='ct')
    r = client.put(f'/v2/images/{img["id"]}/file', data=b'x',
                   headers={'Content-Type': 'text/plain'})
    assert r.status_code == 415


def test_format_mismatch_refused(client, image_conf):
    img = client.create(name='liar', disk_format='raw')
    r = client.upload(img['id'], qcow2_header() + b'\0' * 10000)
    assert r.status_code == 400 and 'qcow2' in r.json()['error']['message']
    assert status(client, img['id']) == 'queued' and store_files(image_conf) == []
    img = client.create(name='liar2', disk_format='qcow2')
    assert client.upload(img['id'], b'\0' * 10000).status_code == 400


def test_backing_file_and_data_file_refused(client, image_conf):
    for hdr in (qcow2_header(backing=True),
                qcow2_header(data_file_ext=True, incompat=QCOW2_INCOMPAT_DATA_FILE)):
        img = client.create(name='evil', disk_format='qcow2')
        r = client.upload(img['id'], hdr + b'\0' * (2 << 20))
        assert r.status_code == 400, r.text
        assert status(client, img['id']) == 'queued'
    bad_vmdk = vmdk_file(GOOD_DESC.replace('"disk.vmdk"', '"/etc/shadow"'))
    img = client.create(name='evil-vmdk', disk_format='vmdk')
    assert client.upload(img['id'], bad_vmdk).status_code == 400
    assert store_files(image_conf) == []
    img = client.create(name='ok', disk_format='qcow2')
    assert client.upload(img['id'], qcow2_header(size=1 << 20)).status_code == 204
    assert client.get(f'/v2/images/{img["id"]}').json()['virtual_size'] == 1 << 20


def test_uninspectable_disk_format_refused(client, image_conf):
    """Finding 13: disk_format ploop skipped inspection, so a qcow2 with
    backing file /etc/passwd went active. A format the inspector cannot
    check is refused, whatever the data and the format-match setting."""
    evil = qcow2_header(backing=True) + b'\0' * (2 << 20)
    image_conf.set_override('disk_formats', ['raw', 'qcow2', 'ploop'], group='image')
    for require in (True, False):
        image_conf.set_override('require_image_format_match', require, group='image')
        for data in (evil, b'\0' * 10000):
            img = client.create(name='ploop', disk_format='ploop')
            r = client.upload(img['id'], data)
            assert r.status_code == 400, r.text
            assert 'cannot be inspected' in r.json()['error']['message']
            assert status(client, img['id']) == 'queued'
        # the backing file is refused even when the format match is off
        img = client.create(name='raw-liar', disk_format='raw')
        r = client.upload(img['id'], evil)
        assert r.status_code == 400 and 'backing file' in r.json()['error']['message']
    assert store_files(image_conf) == []


def test_lower_case_vmdk_extent_refused(client, image_conf):
    """Finding 13: an extent line in lower case passed the old check."""
    for desc in (GOOD_DESC + 'rw 2048 FLAT "/etc/passwd" 0\n',
                 GOOD_DESC.replace('RW 2048 SPARSE "disk.vmdk"', 'rw 2048 flat "/etc/passwd" 0')):
        img = client.create(name='lc-vmdk', disk_format='vmdk')
        r = client.upload(img['id'], vmdk_file(desc))
        assert r.status_code == 400, r.text
        assert status(client, img['id']) == 'queued'
    assert store_files(image_conf) == []
    img = client.create(name='ok-vmdk', disk_format='vmdk')
    assert client.upload(img['id'], vmdk_file(GOOD_DESC)).status_code == 204


def test_quota(client, client_b, image_conf):
    image_conf.set_override('user_storage_quota', 10000, group='image')
    a = client.create(name='a')
    r = client.upload(a['id'], b'x' * 10001)
    assert r.status_code == 413
    assert status(client, a['id']) == 'queued' and store_files(image_conf) == []
    # unknown length: refused while streaming
    r = client.upload(a['id'], iter([b'x' * 6000, b'x' * 6000]))
    assert r.status_code == 413
    assert status(client, a['id']) == 'queued' and store_files(image_conf) == []
    assert client.upload(a['id'], b'x' * 6000).status_code == 204
    b = client.create(name='b')
    assert client.upload(b['id'], b'x' * 5000).status_code == 413
    assert client.upload(b['id'], b'x' * 4000).status_code == 204
    # another project has its own quota
    c = client_b.create(name='c')
    assert client_b.upload(c['id'], b'x' * 9000).status_code == 204
    # deleting frees quota
    assert client.delete(f'/v2/images/{a["id"]}').status_code == 204
    d = client.create(name='d')
    assert client.upload(d['id'], b'x' * 6000).status_code == 204


@pytest.mark.parametrize('sized', [True, False])
def test_quota_under_concurrency(client, image_conf, sized):
    image_conf.set_override('user_storage_quota', 1 << 20, group='image')
    ids = [client.create(name=f'c{i}')['id'] for i in range(4)]
    results = {}

    def up(iid):
        def body():
            for _ in range(6):
                yield b'x' * (100 << 10)
                time.sleep(0.02)
        headers = {'X-OpenStack-Image-Size': str(600 << 10)} if sized else {}
        results[iid] = client.upload(iid, body(), **headers).status_code

    threads = [threading.Thread(target=up, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results.values()).count(204) <= 1, results
    assert set(results.values()) <= {204, 413}
    active = [i for i in ids if status(client, i) == 'active']
    assert len(active) == list(results.values()).count(204)


def test_upload_into_deleted_image_cleans_up(client, image_conf):
    img = client.create(name='gone')
    started = threading.Event()

    def body():
        yield b'\0' * (1 << 20)
        started.set()
        time.sleep(0.5)
        yield b'\0' * (1 << 20)

    res = {}
    t = threading.Thread(target=lambda: res.setdefault('r', client.upload(img['id'], body())))
    t.start()
    assert started.wait(10)
    assert wait_for(lambda: status(client, img['id']) == 'saving')
    assert client.delete(f'/v2/images/{img["id"]}').status_code == 204
    t.join(30)
    assert res['r'].status_code == 410
    assert store_files(image_conf) == []


def test_second_upload_while_saving_is_409(client, image_conf):
    img = client.create(name='race')
    started = threading.Event()
    release = threading.Event()

    def body():
        yield b'\0' * (1 << 20)
        started.set()
        release.wait(10)
        yield b'\0' * 10

    res = {}
    t = threading.Thread(target=lambda: res.setdefault('r', client.upload(img['id'], body())))
    t.start()
    assert started.wait(10)
    assert wait_for(lambda: status(client, img['id']) == 'saving')
    r = client.upload(img['id'], b'other')
    assert r.status_code == 409
    release.set()
    t.join(30)
    assert res['r'].status_code == 204
    got = client.get(f'/v2/images/{img["id"]}').json()
    assert got['size'] == (1 << 20) + 10
    assert store_files(image_conf) == [img['id']]
