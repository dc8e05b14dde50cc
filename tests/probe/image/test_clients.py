"""Unmodified ``openstack image …`` and ``glance …`` against real iaas-api
(identity) and iaas-image daemons."""
import hashlib
import json
import os
import subprocess

import pytest

from tests.probe.fixtures import BIN, Cloud

pytestmark = pytest.mark.slow


@pytest.fixture
def image_cloud(tmp_path):
    c = Cloud.create(tmp_path)
    c.start('iaas-api')
    c.start('iaas-image', wait_port=c.ports['image'])
    yield c
    c.stop_all()


def glance(cloud, *args, env=None, check=True):
    r = subprocess.run([os.path.join(BIN, 'glance'), *args], env=env or cloud.env(),
                       capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    if not check:
        return r
    assert r.returncode == 0, f'glance {args} failed:\n{r.stdout}\n{r.stderr[-3000:]}'
    return r.stdout


def add_user(cloud, name, password='pw-secret-1'):
    cloud.openstack('project', 'create', name)
    cloud.openstack('user', 'create', '--password', password, '--project', name, name)
    cloud.openstack('role', 'add', '--user', name, '--project', name, 'member', json_out=False)
    return cloud.env(username=name, password=password, project=name)


def test_openstack_image_lifecycle(image_cloud, tmp_path):
    c = image_cloud
    data = os.urandom(5 << 20) + b'tail'
    src = tmp_path / 'disk.raw'
    src.write_bytes(data)
    img = c.openstack('image', 'create', '--file', str(src), '--disk-format', 'raw',
                      '--container-format', 'bare', 'probe-img')
    assert img['status'] == 'active'
    assert img['checksum'] == hashlib.md5(data).hexdigest()
    assert img['size'] == len(data)
    listed = c.openstack('image', 'list')
    assert [i['Name'] for i in listed if i['ID'] == img['id']] == ['probe-img']
    shown = c.openstack('image', 'show', 'probe-img')
    assert shown['id'] == img['id'] and shown['size'] == len(data)
    out = tmp_path / 'saved.raw'
    c.openstack('image', 'save', '--file', str(out), 'probe-img', json_out=False)
    assert out.read_bytes() == data
    c.openstack('image', 'set', '--property', 'hw_disk_bus=virtio', '--property', 'foo=bar',
                'probe-img', json_out=False)
    props = c.openstack('image', 'show', 'probe-img')['properties']
    assert props['hw_disk_bus'] == 'virtio' and props['foo'] == 'bar'
    c.openstack('image', 'delete', 'probe-img', json_out=False)
    assert img['id'] not in {i['ID'] for i in c.openstack('image', 'list')}
    r = c.openstack('image', 'show', img['id'], check=False)
    assert r.returncode != 0


def test_glance_create_and_download(image_cloud, tmp_path):
    c = image_cloud
    data = os.urandom(3 << 20)
    src = tmp_path / 'g.raw'
    src.write_bytes(data)
    out = glance(c, '--os-image-api-version', '2', 'image-create', '--name', 'g-img',
                 '--disk-format', 'raw', '--container-format', 'bare', '--file', str(src),
                 '--progress')
    image_id = next(line.split('|')[2].strip() for line in out.splitlines()
                    if line.startswith('| id '))
    dl = tmp_path / 'g.out'
    glance(c, 'image-download', '--file', str(dl), image_id)
    assert dl.read_bytes() == data
    shown = c.openstack('image', 'show', image_id)
    assert shown['checksum'] == hashlib.md5(data).hexdigest()
    # data that is not what disk_format claims: refused, with a readable message
    r = glance(c, 'image-create', '--name', 'liar', '--disk-format', 'qcow2',
               '--container-format', 'bare', '--file', str(src), check=False)
    assert r.returncode != 0 and 'Image data is raw, but disk_format is qcow2' in r.stderr
    r = c.openstack('image', 'create', '--disk-format', 'vmdk', '--file', str(src), 'liar2',
                    check=False)
    assert r.returncode != 0 and 'Image data is raw, but disk_format is vmdk' in r.stderr


def test_two_projects_visibility(image_cloud, tmp_path):
    c = image_cloud
    env1 = add_user(c, 'alice')
    env2 = add_user(c, 'bob')
    src = tmp_path / 'p.raw'
    src.write_bytes(b'private bytes' * 100)
    priv = c.openstack('image', 'create', '--private', '--file', str(src), 'alice-private',
                       env=env1)
    shared = c.openstack('image', 'create', '--shared', '--file', str(src), 'alice-shared',
                         env=env1)
    names2 = {i['Name'] for i in c.openstack('image', 'list', env=env2)}
    assert 'alice-private' not in names2 and 'alice-shared' not in names2
    assert c.openstack('image', 'show', priv['id'], env=env2, check=False).returncode != 0
    r = c.openstack('image', 'create', '--public', 'nope', env=env1, check=False)
    assert r.returncode != 0 and '403' in r.stderr + r.stdout
    # share with bob; bob accepts; now he lists it and can download it
    bob_project = c.openstack('project', 'show', 'bob')['id']
    # (``openstack image add project`` looks the project up in identity first,
    # which a non-admin may not do for another project; glance does not.)
    glance(c, 'member-create', shared['id'], bob_project, env=env1)
    c.openstack('image', 'set', '--accept', shared['id'], env=env2, json_out=False)
    names2 = {i['Name'] for i in c.openstack('image', 'list', env=env2)}
    assert 'alice-shared' in names2 and 'alice-private' not in names2
    out = tmp_path / 'bob.raw'
    c.openstack('image', 'save', '--file', str(out), shared['id'], env=env2, json_out=False)
    assert out.read_bytes() == src.read_bytes()
    # the admin sees everything
    admin_names = {i['Name'] for i in c.openstack('image', 'list')}
    assert {'alice-private', 'alice-shared'} <= admin_names
    # bob cannot delete alice's image
    assert c.openstack('image', 'delete', shared['id'], env=env2,
                       check=False, json_out=False).returncode != 0
    assert json.loads(json.dumps(priv))['visibility'] == 'private'
