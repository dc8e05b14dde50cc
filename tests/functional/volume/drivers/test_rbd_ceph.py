"""The rbd backend against a real single-node Ceph cluster (Debian's Ceph
16.2 Pacific: 1 mon, 1 mgr, 1 BlueStore OSD on a sparse file, cephx) started
privately for this module on 127.0.0.1 (see ceph_cluster.py): volumes,
extend, snapshots, copy-on-write volumes from snapshots, full clones, the
data path through librbd, qemu-img writing an image into RBD, the
connection info and the pool's capacity; the image layout checked with the
``rbd`` CLI."""
import json
import subprocess

import pytest

from iaas.volume.drivers import base, rbd
from tests.functional.volume.drivers.ceph_cluster import (
    CephCluster,
    load_bindings,
    missing_binaries,
)
from tests.unit.volume.drivers.helpers import make_conf, new_snapshot, new_volume

GiB = 1 << 30
POOL, USER = 'volumes', 'cinder'
SECRET = '0c2f6f0e-1d1a-4c34-9d6c-3b1f0f6f0a11'

_missing = missing_binaries()
_bindings = None if _missing else load_bindings()
pytestmark = [
    pytest.mark.skipif(bool(_missing), reason='Ceph not installed (apt ceph-mon ceph-mgr '
                       f'ceph-osd ceph-common): missing {", ".join(_missing)}'),
    pytest.mark.skipif(not _missing and _bindings is None,
                       reason='Debian python3-rados/python3-rbd not loadable by this Python'),
]


@pytest.fixture(scope='module')
def cluster(tmp_path_factory):
    c = CephCluster(tmp_path_factory.mktemp('ceph'))
    try:
        c.start()
        c.create_rbd_pool(POOL, USER)
        yield c
    finally:
        c.stop()


def make_driver(cluster, tmp_path, **overrides):
    d = rbd.RBDDriver('ceph', make_conf(rbd.RBDDriver, tmp_path, rbd_pool=POOL,
                                        rbd_user=USER, rbd_ceph_conf=cluster.conf,
                                        rbd_secret_uuid=SECRET, rbd_connect_timeout=20,
                                        **overrides),
                      'h1', bindings=_bindings)
    d.check_setup()
    return d


@pytest.fixture
def driver(cluster, tmp_path):
    """``(driver, made)``: volumes appended to ``made`` are deleted afterwards."""
    d, made = make_driver(cluster, tmp_path), []
    yield d, made
    for v in reversed(made):                     # children before parents
        try:
            d.delete_volume(v)
        except base.DriverError:
            pass


def info(cluster, name):
    return json.loads(cluster.rbd('info', f'{POOL}/{name}', '--format', 'json'))


def images(cluster):
    return sorted(json.loads(cluster.rbd('ls', POOL, '--format', 'json')))


def vname(v):
    return f'volume-{v["id"]}'


def read_at(d, v, off, n):
    with d.open_volume(v) as f:
        f.seek(off)
        return f.read(n)


def write_at(d, v, off, data):
    with d.open_volume(v, 'r+b') as f:
        f.seek(off)
        assert f.write(data) == len(data)


PATTERN = bytes(range(256)) * 256 * 4           # 256 KiB, crosses no object edge at 4 MiB-64K


def test_create_extend_snapshot_clone_and_delete(cluster, driver):
    d, made = driver
    v = new_volume(1)
    made.append(v)
    assert d.create_volume(v) == {'provider_location': f'{POOL}/{vname(v)}'}
    i = info(cluster, vname(v))
    assert i['size'] == GiB and i['features'] == ['layering'] and i['format'] == 2

    # data path through librbd, across an object boundary (4 MiB objects)
    off = (4 << 20) - 4096
    write_at(d, v, off, PATTERN)
    assert read_at(d, v, off, len(PATTERN)) == PATTERN
    assert read_at(d, v, 0, 4096) == b'\0' * 4096         # thin: unwritten reads zero
    with d.open_volume(v) as f:
        assert f.seek(0, 2) == GiB
        assert f.read(10) == b''
        with pytest.raises(OSError):
            f.write(b'x')
    with d.open_volume(v, 'r+b') as f, pytest.raises(base.DriverError, match='beyond'):
        f.seek(GiB - 1)
        f.write(b'ab')

    d.extend_volume(v, 2)
    assert info(cluster, vname(v))['size'] == 2 * GiB
    d.extend_volume(v, 1)                                  # never shrinks
    assert info(cluster, vname(v))['size'] == 2 * GiB
    write_at(d, v, 2 * GiB - 4096, b'\xee' * 4096)         # the new end is writable

    # a snapshot is protected; a volume from it is a copy-on-write clone
    s = new_snapshot(v)
    assert d.create_snapshot(s, v) == {
        'provider_location': f'{POOL}/{vname(v)}@snapshot-{s["id"]}'}
    snaps = json.loads(cluster.rbd('snap', 'ls', f'{POOL}/{vname(v)}', '--format', 'json'))
    assert [x['name'] for x in snaps] == [f'snapshot-{s["id"]}']
    assert info(cluster, f'{vname(v)}@snapshot-{s["id"]}')['protected'] == 'true'
    write_at(d, v, off, b'\x55' * len(PATTERN))           # after the snapshot

    child = new_volume(3)
    made.append(child)
    assert d.create_volume_from_snapshot(child, s) == {
        'provider_location': f'{POOL}/{vname(child)}'}
    ci = info(cluster, vname(child))
    assert ci['size'] == 3 * GiB
    assert ci['parent'] == {**ci['parent'], 'pool': POOL, 'image': vname(v),
                            'snapshot': f'snapshot-{s["id"]}'}
    assert read_at(d, child, off, len(PATTERN)) == PATTERN     # the snapshot's data
    assert read_at(d, v, off, 16) == b'\x55' * 16               # the source moved on
    write_at(d, child, 0, b'child')
    assert read_at(d, v, 0, 5) == b'\0' * 5

    # a full clone: independent, no parent, its temporary snapshot gone
    full = new_volume(2)
    made.append(full)
    d.create_cloned_volume(full, child)
    fi = info(cluster, vname(full))
    assert 'parent' not in fi and fi['size'] == 3 * GiB        # never smaller than the source
    assert read_at(d, full, off, len(PATTERN)) == PATTERN
    assert read_at(d, full, 0, 5) == b'child'
    assert json.loads(cluster.rbd('snap', 'ls', f'{POOL}/{vname(child)}',
                                  '--format', 'json')) == []

    # the source volume cannot go while a volume is cloned from its snapshot
    with pytest.raises(base.DriverError, match='cloned from it'):
        d.delete_volume(v)
    assert vname(v) in images(cluster)
    assert read_at(d, child, off, 16) == PATTERN[:16]          # nothing was broken
    # deleting the snapshot flattens the clone first
    d.delete_snapshot(s, v)
    assert 'parent' not in info(cluster, vname(child))
    assert read_at(d, child, off, len(PATTERN)) == PATTERN
    assert json.loads(cluster.rbd('snap', 'ls', f'{POOL}/{vname(v)}',
                                  '--format', 'json')) == []
    d.delete_snapshot(s, v)                                     # idempotent

    d.delete_volume(v)
    d.delete_volume(v)                                          # idempotent
    assert vname(v) not in images(cluster)
    for x in (child, full):
        d.delete_volume(x)
    assert images(cluster) == []


def test_delete_volume_drops_its_snapshots_and_flattened_volume_from_snapshot(
        cluster, driver, tmp_path):
    d, made = driver
    flat = make_driver(cluster, tmp_path, rbd_flatten_volume_from_snapshot=True)
    v = new_volume(1)
    made.append(v)
    d.create_volume(v)
    write_at(d, v, 512, b'flat')
    s1, s2 = new_snapshot(v), new_snapshot(v)
    d.create_snapshot(s1, v)
    d.create_snapshot(s2, v)
    child = new_volume(1)
    made.append(child)
    flat.create_volume_from_snapshot(child, s2)
    assert 'parent' not in info(cluster, vname(child))
    assert read_at(d, child, 512, 4) == b'flat'
    d.delete_volume(v)                         # unprotects and removes both snapshots
    assert images(cluster) == [vname(child)]
    d.delete_volume(child)
    assert images(cluster) == []


def test_from_image_connection_info_and_capacity(cluster, driver, tmp_path):
    d, made = driver
    src = tmp_path / 'img.qcow2'
    raw = tmp_path / 'img.raw'
    raw.write_bytes(b'\0' * (1 << 20))
    with open(raw, 'r+b') as f:
        f.seek(65536)
        f.write(PATTERN)
    subprocess.run(['qemu-img', 'convert', '-f', 'raw', '-O', 'qcow2', str(raw), str(src)],
                   check=True, capture_output=True, timeout=60)
    v = new_volume(1)
    made.append(v)
    assert d.create_volume_from_image(v, str(src), 'qcow2') == {
        'provider_location': f'{POOL}/{vname(v)}'}
    assert read_at(d, v, 65536, len(PATTERN)) == PATTERN
    assert info(cluster, vname(v))['size'] == GiB

    conn = d.initialize_connection(v, {'host': 'c1', 'ip': '127.0.0.1', 'initiator': None})
    v2, v1 = cluster.mon_ports
    assert conn == {'driver_volume_type': 'rbd', 'data': {
        'name': f'{POOL}/{vname(v)}', 'hosts': ['127.0.0.1'], 'ports': [str(v1)],
        'cluster_name': 'ceph', 'auth_enabled': True, 'auth_username': USER,
        'secret_type': 'ceph', 'secret_uuid': SECRET, 'volume_id': v['id'],
        'discard': True}}
    d.terminate_connection(v, {})
    # a client reaching the cluster with just that data (what libvirt/qemu does)
    r = subprocess.run(['qemu-io', '-f', 'raw', '-c', 'read -P 0 0 64k',
                        f'rbd:{conn["data"]["name"]}:id={USER}:mon_host=127.0.0.1\\:{v1}'
                        f':keyring={cluster.dir}/keyring'],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and 'read 65536/65536' in r.stdout, (r.stdout, r.stderr)

    with pytest.raises(base.VolumeNotFoundInDriver):
        d.initialize_connection(new_volume(), {})
    with pytest.raises(base.VolumeNotFoundInDriver):
        d.extend_volume(new_volume(), 2)
    with pytest.raises(base.VolumeNotFoundInDriver):
        with d.open_volume(new_volume()):
            pass

    other = new_volume(4)
    made.append(other)
    d.create_volume(other)
    cap = d.get_capacity()
    assert cap['thin'] is True and cap['provisioned_gb'] == 5.0
    # the pool's share of the 10 GiB OSD file (ceph df: stored + max_avail)
    assert 5 < cap['total_gb'] <= 10 and 0 < cap['free_gb'] <= cap['total_gb'], cap
