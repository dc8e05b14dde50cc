"""The rbd backend against in-memory rados/rbd bindings (fakeceph)."""
import pytest

from iaas.volume.drivers import base, rbd
from tests.unit.volume.drivers.fakeceph import make_modules
from tests.unit.volume.drivers.helpers import make_conf, new_snapshot, new_volume

GiB = 1 << 30


@pytest.fixture
def driver(tmp_path):
    d = rbd.RBDDriver('ceph', make_conf(rbd.RBDDriver, tmp_path,
                                        rbd_secret_uuid='5c5c7d3e-0000-4000-8000-00000000abcd'),
                      'h1', bindings=make_modules())
    d.cluster = d.rados.cluster
    yield d
    assert d.cluster.open == 0, 'a connection or ioctx was left open'


def images(d):
    return d.cluster.pools['volumes']


def test_bindings_missing_is_a_clear_setup_error(tmp_path, monkeypatch):
    d = rbd.RBDDriver('ceph', make_conf(rbd.RBDDriver, tmp_path), 'h1')
    monkeypatch.setitem(__import__('sys').modules, 'rados', None)
    with pytest.raises(base.DriverError, match='python3-rados'):
        d.check_setup()


def test_create_snapshot_clone_and_delete(driver):
    v = new_volume(1)
    assert driver.create_volume(v) == {'provider_location': f'volumes/volume-{v["id"]}'}
    assert driver.cluster.connects[-1] == {'conffile': '/etc/ceph/ceph.conf',
                                           'rados_id': 'cinder', 'clustername': 'ceph'}
    with driver.open_volume(v, 'r+b') as f:
        f.seek(100)
        f.write(b'snap')
    s = new_snapshot(v)
    assert driver.create_snapshot(s, v) == {
        'provider_location': f'volumes/volume-{v["id"]}@snapshot-{s["id"]}'}
    assert images(driver)[f'volume-{v["id"]}'].snaps[f'snapshot-{s["id"]}']['protected']
    with driver.open_volume(v, 'r+b') as f:
        f.seek(100)
        f.write(b'live')
    child = new_volume(2)
    driver.create_volume_from_snapshot(child, s)
    st = images(driver)[f'volume-{child["id"]}']
    assert st.parent == ('volumes', f'volume-{v["id"]}', f'snapshot-{s["id"]}')
    assert st.size == 2 * GiB
    with driver.open_volume(child) as f:
        f.seek(100)
        assert f.read(4) == b'snap'
    # the parent volume cannot go while a volume is cloned from its snapshot
    with pytest.raises(base.DriverError, match='cloned from it'):
        driver.delete_volume(v)
    # deleting the snapshot flattens the clone first
    driver.delete_snapshot(s, v)
    assert st.parent is None and not images(driver)[f'volume-{v["id"]}'].snaps
    with driver.open_volume(child) as f:
        f.seek(100)
        assert f.read(4) == b'snap'
    driver.delete_snapshot(s, v)                # idempotent
    driver.delete_volume(v)
    driver.delete_volume(v)
    assert list(images(driver)) == [f'volume-{child["id"]}']


def test_clone_is_an_independent_copy(driver):
    src, dst = new_volume(1), new_volume(3)
    driver.create_volume(src)
    with driver.open_volume(src, 'r+b') as f:
        f.write(b'abc')
    driver.create_cloned_volume(dst, src)
    st = images(driver)[f'volume-{dst["id"]}']
    assert st.parent is None and st.size == 3 * GiB
    assert not images(driver)[f'volume-{src["id"]}'].snaps
    with driver.open_volume(dst) as f:
        assert f.read(3) == b'abc'


def test_delete_volume_drops_plain_snapshots_and_refuses_busy(driver):
    v = new_volume(1)
    driver.create_volume(v)
    driver.create_snapshot(new_snapshot(v), v)
    images(driver)[f'volume-{v["id"]}'].watchers = 1
    with pytest.raises(base.DriverError, match='in use'):
        driver.delete_volume(v)
    images(driver)[f'volume-{v["id"]}'].watchers = 0
    driver.delete_volume(v)
    assert images(driver) == {}


def test_connection_info_capacity_and_extend(driver):
    v = new_volume(1)
    driver.create_volume(v)
    info = driver.initialize_connection(v, {'host': 'c', 'ip': '1.2.3.4', 'initiator': None})
    assert info == {'driver_volume_type': 'rbd', 'data': {
        'name': f'volumes/volume-{v["id"]}', 'hosts': ['127.0.0.1', '::1'],
        'ports': ['6789', '6790'], 'cluster_name': 'ceph', 'auth_enabled': True,
        'auth_username': 'cinder', 'secret_type': 'ceph',
        'secret_uuid': '5c5c7d3e-0000-4000-8000-00000000abcd', 'volume_id': v['id'],
        'discard': True}}
    driver.terminate_connection(v, {})
    driver.extend_volume(v, 4)
    assert driver.get_capacity() == {'total_gb': 40.0, 'free_gb': 30.0,
                                     'provisioned_gb': 4.0, 'thin': True}
    with pytest.raises(base.VolumeNotFoundInDriver):
        driver.initialize_connection(new_volume(), {})
    with pytest.raises(base.VolumeNotFoundInDriver):
        driver.extend_volume(new_volume(), 2)


def test_from_image_converts_into_rbd(driver, tmp_path, monkeypatch):
    ran = []
    monkeypatch.setattr(driver, '_execute', lambda argv, **kw: ran.append(argv) or '')
    img = tmp_path / 'img'
    img.write_bytes(b'\0' * 512)
    v = new_volume(1)
    driver.create_volume_from_image(v, str(img), 'raw')
    assert ran == [['qemu-img', 'convert', '-n', '-f', 'raw', '-O', 'raw', str(img),
                    f'rbd:volumes/volume-{v["id"]}:id=cinder:conf=/etc/ceph/ceph.conf']]
    assert images(driver)[f'volume-{v["id"]}'].size == GiB
