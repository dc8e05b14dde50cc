"""``iaas image …``: streamed upload, list, delete by name, Glance errors,
against the real image and identity APIs in this process
(tests/unit/cli/real_cloud.py)."""
import hashlib
import json
import os
import subprocess
import tracemalloc

import pytest

from iaas.cli import images

IMAGES = '/v2/images'


def qcow2(path, size):
    """A qcow2 file of ``size`` bytes: qemu-img's header, then data."""
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', str(path), '1G'], check=True)
    with open(path, 'ab') as f:
        f.truncate(size)
        f.seek(size - (4 << 20))
        f.write(os.urandom(4 << 20))


def test_upload_streams_file_with_content_length(real, real_user, run, tmp_path):
    src = tmp_path / 'disk.qcow2'
    qcow2(src, 24 << 20)
    size = src.stat().st_size
    tracemalloc.start()
    try:
        rc, out, err = run('image', 'upload', 'big', str(src), '-f', 'json')
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rc == 0, err
    img = json.loads(out)
    assert img['status'] == 'active' and img['size'] == size
    assert img['checksum'] == hashlib.md5(src.read_bytes()).hexdigest()
    assert img['disk_format'] == 'qcow2' and img['container_format'] == 'bare'
    # the file never sat whole in memory (client and image API share the
    # process; threads left by earlier tests allocate too, hence the margin)
    assert peak < size // 2, peak
    (put,) = real.calls('image', 'PUT', IMAGES + '/')
    assert put[2] == f"{IMAGES}/{img['id']}/file"
    headers = put[4]
    assert headers['Content-Type'] == 'application/octet-stream'
    assert headers['Content-Length'] == str(size) and 'Transfer-Encoding' not in headers
    assert headers['X-OpenStack-Image-Size'] == str(size)


def test_upload_options_and_raw_detection(real, real_user, run, tmp_path):
    src = tmp_path / 'disk.img'
    src.write_bytes(b'\0' * 4096)
    rc, out, err = run('image', 'upload', 'r1', str(src), '--property', 'os_distro=cirros',
                       '--min-disk', '1', '-f', 'json')
    assert rc == 0, err
    (post,) = real.calls('image', 'POST', IMAGES)
    assert post[5] == {'name': 'r1', 'disk_format': 'raw', 'container_format': 'bare',
                       'min_disk': 1, 'os_distro': 'cirros'}
    shown = json.loads(out)
    assert (shown['os_distro'], shown['min_disk'], shown['status']) == ('cirros', 1, 'active')
    # a format the data does not have: the image API refuses the data
    rc, out, err = run('image', 'upload', 'r2', str(src), '--disk-format', 'qcow2')
    assert real.calls('image', 'POST', IMAGES)[1][5]['disk_format'] == 'qcow2'
    assert rc == 1 and '(HTTP 400)' in err, (out, err)


def test_upload_missing_file(real, real_user, run, tmp_path):
    rc, _, err = run('image', 'upload', 'x', str(tmp_path / 'nope'))
    assert rc == 1 and 'cannot read' in err and 'No such file' in err
    assert not real.calls('image', 'POST', IMAGES)


def test_detect_disk_format(tmp_path):
    iso = tmp_path / 'a.iso'
    iso.write_bytes(b'\0' * 0x8001 + b'CD001' + b'\0' * 100)
    assert images.detect_disk_format(iso) == 'iso'
    q = tmp_path / 'a.qcow2'
    q.write_bytes(b'QFI\xfb' + b'\0' * 10)
    assert images.detect_disk_format(q) == 'qcow2'


@pytest.fixture
def one_per_page(real):
    real.conf.set_override('api_limit_max', 1, group='image')
    yield
    real.conf.clear_override('api_limit_max', group='image')


def test_list_and_delete_by_name(real, real_user, run, tmp_path, one_per_page):
    src = tmp_path / 'd'
    src.write_bytes(b'x' * 10)
    for name in ('a', 'b', 'c'):
        assert run('image', 'upload', name, str(src))[0] == 0
    rc, out, err = run('image', 'list', '-f', 'json')
    assert rc == 0, err
    assert sorted(i['Name'] for i in json.loads(out)) == ['a', 'b', 'c']
    lists = [c for c in real.calls('image', 'GET', IMAGES) if c[2] == IMAGES]
    assert len(lists) >= 3          # one image a page: the CLI followed "next"
    rc, _, err = run('image', 'delete', 'b')
    assert rc == 0, err
    rc, out, _ = run('image', 'list', '-f', 'json')
    assert sorted(i['Name'] for i in json.loads(out)) == ['a', 'c']
    rc, _, err = run('image', 'delete', 'b')
    assert rc == 1 and "No image with a name or ID of 'b' exists." in err


def test_glance_error_message(real, real_user, run):
    rc, _, err = run('image', 'show', '00000000-0000-0000-0000-000000000000')
    assert rc == 1 and "No image with a name or ID of" in err
