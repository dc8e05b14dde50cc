"""Image cache: one download per image, format checks, refusals, sweep."""
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import threading
import time

import pytest

from iaas.compute.virt import driver
from iaas.compute.virt.libvirt import imagecache
from iaas.image import fetch


def qcow2(path, size='16M', backing=None):
    args = ['qemu-img', 'create', '-q', '-f', 'qcow2']
    if backing:
        args += ['-b', backing, '-F', 'raw']
    subprocess.run(args + [str(path), size], check=True)
    return path


def local_fetcher(src, disk_format, calls=None):
    def fetcher(image_id, dest):
        if calls is not None:
            calls.append(image_id)
        shutil.copy(src, dest)
        return {'id': image_id, 'disk_format': disk_format}
    return fetcher


def test_download_once_and_overlay(tmp_path):
    src = qcow2(tmp_path / 'src.qcow2')
    calls = []
    cache = imagecache.ImageCache(str(tmp_path / '_base'), local_fetcher(src, 'qcow2', calls))
    p1, fmt = cache.ensure('img-a')
    p2, _ = cache.ensure('img-a')
    assert p1 == p2 == str(tmp_path / '_base' / 'img-a') and fmt == 'qcow2'
    assert calls == ['img-a'] and cache.downloads == 1
    ov = tmp_path / 'disk'
    cache.create_overlay(p1, fmt, str(ov), size_gb=1)
    info = imagecache.qemu_img_info(str(ov), 'qcow2')
    assert info['backing-filename'] == p1
    assert info['backing-filename-format'] == 'qcow2'
    assert info['virtual-size'] == 1 << 30
    assert cache.cached() == ['img-a']


def test_raw_image_cached_as_raw(tmp_path):
    src = tmp_path / 'src.raw'
    src.write_bytes(b'\0' * 65536)
    cache = imagecache.ImageCache(str(tmp_path / '_base'), local_fetcher(src, 'raw'))
    assert cache.ensure('img-r')[1] == 'raw'


@pytest.mark.parametrize('declared,kind,message', [
    ('raw', 'qcow2', 'Image data is qcow2, but disk_format is raw'),
    ('qcow2', 'raw', 'Image data is raw, but disk_format is qcow2'),
    ('qcow2', 'backing', 'backing file'),
    ('iso', 'raw', 'cannot be booted'),
])
def test_refusals_leave_nothing(tmp_path, declared, kind, message):
    if kind == 'qcow2':
        src = qcow2(tmp_path / 'src')
    elif kind == 'backing':
        secret = tmp_path / 'host-secret'
        secret.write_bytes(b'host data\n' * 100)
        src = qcow2(tmp_path / 'src', backing=str(secret))
    else:
        src = tmp_path / 'src'
        src.write_bytes(b'\0' * 65536)
    cache = imagecache.ImageCache(str(tmp_path / '_base'), local_fetcher(src, declared))
    with pytest.raises(imagecache.ImageRefused, match=message):
        cache.ensure('bad')
    assert os.listdir(tmp_path / '_base') == ['.bad.lock']


def test_data_file_refused(tmp_path):
    src = tmp_path / 'src'
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', '-o',
                    f'data_file={tmp_path / "data"}', str(src), '1M'], check=True)
    cache = imagecache.ImageCache(str(tmp_path / '_base'), local_fetcher(src, 'qcow2'))
    with pytest.raises(imagecache.ImageRefused, match='data file'):
        cache.ensure('df')


def test_bad_image_id(tmp_path):
    cache = imagecache.ImageCache(str(tmp_path / '_base'), None)
    for bad in ('', '../etc', '.hidden'):
        with pytest.raises(driver.DriverError):
            cache.ensure(bad)


class _ImageServer:
    """Serves one image record and its (possibly corrupted) data over HTTP."""

    def __init__(self, data, record_data=None):
        good = record_data if record_data is not None else data
        record = {'id': 'img-h', 'status': 'active', 'disk_format': 'qcow2',
                  'size': len(good), 'checksum': hashlib.md5(good).hexdigest(),
                  'os_hash_algo': 'sha512', 'os_hash_value': hashlib.sha512(good).hexdigest()}

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = data if self.path.endswith('/file') else json.dumps(record).encode()
                self.send_response(200)
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass
        self.httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f'http://127.0.0.1:{self.httpd.server_address[1]}'

    def fetcher(self, image_id, dest):
        return fetch.fetch_image(self.url, image_id, dest)

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def test_corrupted_download_rejected(tmp_path):
    good = qcow2(tmp_path / 'src').read_bytes()
    bad = bytearray(good)
    bad[-1] ^= 0xff
    srv = _ImageServer(bytes(bad), record_data=good)
    try:
        cache = imagecache.ImageCache(str(tmp_path / '_base'), srv.fetcher)
        with pytest.raises(driver.DriverError, match='does not match'):
            cache.ensure('img-h')
        assert cache.cached() == [] and cache.downloads == 0
        assert not [n for n in os.listdir(tmp_path / '_base') if not n.endswith('.lock')]
    finally:
        srv.close()
    srv = _ImageServer(good)
    try:
        cache = imagecache.ImageCache(str(tmp_path / '_base'), srv.fetcher)
        path, fmt = cache.ensure('img-h')
        with open(path, 'rb') as f:
            assert f.read() == good
    finally:
        srv.close()


def test_sweep_removes_only_old_unused(tmp_path):
    src = qcow2(tmp_path / 'src')
    cache = imagecache.ImageCache(str(tmp_path / '_base'), local_fetcher(src, 'qcow2'))
    for i in ('old-unused', 'old-used', 'new-unused'):
        cache.ensure(i)
    past = time.time() - 1000
    for i in ('old-unused', 'old-used'):
        os.utime(cache.path(i), (past, past))
    assert cache.sweep({'old-used'}, max_age=500) == ['old-unused']
    assert cache.cached() == ['new-unused', 'old-used']
    assert not os.path.exists(cache.path('old-unused') + '.format')
