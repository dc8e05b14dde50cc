"""iaas-image with its data in our own iaas-objectstore (Swift API, and the
S3 API when the object store provides it), driven by unmodified
``openstack image`` commands."""
import hashlib
import importlib.util
import os
import subprocess
import sys
import time

import pytest
import requests

from tests.probe.fixtures import Cloud, free_ports

pytestmark = pytest.mark.slow

OBJECTSTORE = os.path.join(os.path.dirname(sys.executable), 'iaas-objectstore')


def _wait_http(url, proc, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f'iaas-objectstore exited with {proc.returncode}')
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise TimeoutError(url)


@pytest.fixture
def objectstore(tmp_path):
    state = tmp_path / 'objstore'
    state.mkdir()
    port, storage_port = free_ports(2)
    conf = state / 'objectstore.conf'
    conf.write_text('\n'.join([
        '[DEFAULT]', f'state_path = {state}', f'log_dir = {state}/logs', '[objectstore]',
        f'port = {port}', f'storage_port = {storage_port}',
        'tempauth_users = images:glance:glance-key:.admin', 'default_part_power = 6',
        'replicator_interval = 3600', 'auditor_interval = 3600']) + '\n')
    proc = subprocess.Popen([OBJECTSTORE, '--config-file', str(conf)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_http(f'http://127.0.0.1:{port}/info', proc)
        yield f'http://127.0.0.1:{port}'
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _sections(kind, url):
    if kind == 'objectstore':
        return {'image': {'default_store': 'objectstore',
                          'objectstore_auth_url': url + '/auth/v1.0',
                          'objectstore_user': 'images:glance', 'objectstore_key': 'glance-key',
                          'objectstore_segment_size_mb': 2}}
    return {'image': {'default_store': 's3', 's3_store_endpoint': url,
                      's3_store_access_key': 'images:glance',
                      's3_store_secret_key': 'glance-key', 's3_store_bucket': 'glance',
                      's3_store_part_size_mb': 5}}


def _segments(url):
    auth = requests.get(url + '/auth/v1.0', timeout=10, headers={
        'X-Auth-User': 'images:glance', 'X-Auth-Key': 'glance-key'})
    r = requests.get(auth.headers['X-Storage-Url'] + '/images_segments',
                     headers={'X-Auth-Token': auth.headers['X-Auth-Token']}, timeout=10)
    return r.text.split()


@pytest.mark.parametrize('kind', ['objectstore', 's3'])
def test_images_in_our_objectstore(kind, objectstore, tmp_path):
    if kind == 's3' and importlib.util.find_spec('iaas.api.objectstore.s3.app') is None:
        pytest.skip('iaas-objectstore has no S3 API yet')
    c = Cloud.create(tmp_path, sections=_sections(kind, objectstore))
    try:
        c.start('iaas-api')
        c.start('iaas-image', wait_port=c.ports['image'])
        data = os.urandom((7 << 20) + 777)      # several segments / parts
        src = tmp_path / 'disk.raw'
        src.write_bytes(data)
        img = c.openstack('image', 'create', '--file', str(src), '--disk-format', 'raw',
                          '--container-format', 'bare', f'in-{kind}')
        assert img['status'] == 'active', img
        assert img['checksum'] == hashlib.md5(data).hexdigest()
        if kind == 'objectstore':
            listing = _segments(objectstore)
            assert listing == [f'{img["id"]}/{n:08d}' for n in range(1, 5)], listing
        out = tmp_path / 'back.raw'
        c.openstack('image', 'save', '--file', str(out), img['id'], json_out=False)
        assert out.read_bytes() == data
        # an upload of unknown length (chunked) lands there too
        token = c.openstack('token', 'issue')['id']
        base = f'http://127.0.0.1:{c.ports["image"]}/v2/images'
        h = {'X-Auth-Token': token}
        r = requests.post(base, json={'name': 'chunked', 'disk_format': 'raw',
                                      'container_format': 'bare'}, headers=h, timeout=30)
        chunked_id = r.json()['id']
        r = requests.put(f'{base}/{chunked_id}/file', data=iter([data[:5 << 20], data[5 << 20:]]),
                         headers={**h, 'Content-Type': 'application/octet-stream'}, timeout=60)
        assert r.status_code == 204, r.text
        r = requests.get(f'{base}/{chunked_id}/file', headers=h, timeout=60)
        assert r.content == data
        c.openstack('image', 'delete', img['id'], chunked_id, json_out=False)
        assert img['id'] not in {i['ID'] for i in c.openstack('image', 'list')}
        if kind == 'objectstore':
            assert _segments(objectstore) == []
    finally:
        c.stop_all()
