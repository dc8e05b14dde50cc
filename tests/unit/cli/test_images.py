"""``iaas image …``: streamed upload, list, delete by name, Glance errors."""
import hashlib
import json
import os
import tracemalloc

from iaas.cli import images


def test_upload_streams_file_with_content_length(fake, osenv, run, tmp_path):
    data = os.urandom(24 << 20)
    src = tmp_path / 'disk.qcow2'
    src.write_bytes(b'QFI\xfb' + data)
    size = src.stat().st_size
    del data
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
    (up,) = fake.uploads
    assert up['content_length'] == str(size) and not up['chunked']
    # the file never sat whole in memory (client and fake server share the process)
    assert peak < size // 4, peak
    (put,) = fake.calls('PUT', '/image/v2/images/')
    assert put[3]['Content-Type'] == 'application/octet-stream'
    assert put[3]['X-OpenStack-Image-Size'] == str(size)


def test_upload_options_and_raw_detection(fake, osenv, run, tmp_path):
    src = tmp_path / 'disk.img'
    src.write_bytes(b'\0' * 4096)
    rc, out, err = run('image', 'upload', 'r1', str(src), '--property', 'os_distro=cirros',
                       '--min-disk', '1', '-f', 'json')
    assert rc == 0, err
    (post,) = fake.calls('POST', '/image/v2/images')
    assert post[4] == {'name': 'r1', 'disk_format': 'raw', 'container_format': 'bare',
                       'min_disk': 1, 'os_distro': 'cirros'}
    rc, out, err = run('image', 'upload', 'r2', str(src), '--disk-format', 'qcow2')
    assert rc == 0, err
    assert fake.calls('POST', '/image/v2/images')[1][4]['disk_format'] == 'qcow2'


def test_upload_missing_file(fake, osenv, run, tmp_path):
    rc, _, err = run('image', 'upload', 'x', str(tmp_path / 'nope'))
    assert rc == 1 and 'cannot read' in err and 'No such file' in err
    assert not fake.calls('POST', '/image/v2/images')


def test_detect_disk_format(tmp_path):
    iso = tmp_path / 'a.iso'
    iso.write_bytes(b'\0' * 0x8001 + b'CD001' + b'\0' * 100)
    assert images.detect_disk_format(iso) == 'iso'
    q = tmp_path / 'a.qcow2'
    q.write_bytes(b'QFI\xfb' + b'\0' * 10)
    assert images.detect_disk_format(q) == 'qcow2'


def test_list_and_delete_by_name(fake, osenv, run, tmp_path):
    src = tmp_path / 'd'
    src.write_bytes(b'x' * 10)
    for name in ('a', 'b', 'c'):
        assert run('image', 'upload', name, str(src))[0] == 0
    fake.page_size = 1     # follows Glance's "next"
    rc, out, err = run('image', 'list', '-f', 'json')
    assert rc == 0, err
    assert sorted(i['Name'] for i in json.loads(out)) == ['a', 'b', 'c']
    rc, _, err = run('image', 'delete', 'b')
    assert rc == 0, err
    assert sorted(i['name'] for i in fake.images.values()) == ['a', 'c']
    rc, _, err = run('image', 'delete', 'b')
    assert rc == 1 and "No image with a name or ID of 'b' exists." in err


def test_glance_error_message(fake, osenv, run):
    rc, _, err = run('image', 'show', '00000000-0000-0000-0000-000000000000')
    assert rc == 1 and "No image with a name or ID of" in err
