"""The fake backend, the interface's shape and the entry points."""
import pytest

from iaas.common import plugins
from iaas.volume.drivers import base, fake
from tests.unit.volume.drivers.helpers import make_conf, new_snapshot, new_volume

DRIVERS = ['fake', 'file', 'iscsi', 'lvm', 'nbd', 'rbd']
METHODS = ['check_setup', 'get_capacity', 'create_volume', 'create_volume_from_image',
           'create_volume_from_snapshot', 'create_cloned_volume', 'delete_volume',
           'extend_volume', 'create_snapshot', 'delete_snapshot', 'initialize_connection',
           'terminate_connection', 'open_volume', 'local_path']


@pytest.mark.parametrize('name', DRIVERS)
def test_every_entry_point_loads_a_volume_driver(name):
    cls = plugins.load('iaas.volume.drivers', name)
    assert issubclass(cls, base.VolumeDriver)
    assert isinstance(cls.protocol, str) and isinstance(cls.options, list)
    for m in METHODS:
        assert callable(getattr(cls, m))
    names = [o.name for o in cls.options]
    assert len(names) == len(set(names))
    # the manager registers these beside its own backend options
    assert not {'volume_driver', 'availability_zone', 'max_over_subscription_ratio',
                'reserved_percentage'} & set(names)


@pytest.fixture
def driver(tmp_path):
    return fake.FakeDriver('fk', make_conf(fake.FakeDriver, tmp_path, fake_total_gb=100.0),
                           'host1')


def test_fake_bookkeeping_and_capacity(driver):
    v = new_volume(10)
    assert driver.create_volume(v) == {'provider_location': f'fake:{v["id"]}'}
    assert driver.get_capacity() == {'total_gb': 100.0, 'free_gb': 90.0,
                                     'provisioned_gb': 10.0, 'thin': True}
    driver.extend_volume(v, 20)
    assert driver.get_capacity()['provisioned_gb'] == 20.0
    s = new_snapshot(v)
    driver.create_snapshot(s, v)
    with pytest.raises(base.DriverError, match='has snapshots'):
        driver.delete_volume(v)
    driver.delete_snapshot(s, v)
    driver.delete_snapshot(s, v)            # idempotent
    driver.delete_volume(v)
    driver.delete_volume(v)
    assert driver.get_capacity()['provisioned_gb'] == 0


def test_fake_data_roundtrip_snapshot_and_clone(driver):
    v = new_volume(1)
    driver.create_volume(v)
    with driver.open_volume(v, 'r+b') as f:
        f.seek((1 << 20) - 3)
        f.write(b'abcdef')
    s = new_snapshot(v)
    driver.create_snapshot(s, v)
    with driver.open_volume(v, 'r+b') as f:
        f.write(b'XY')
    from_snap, clone = new_volume(2), new_volume(1)
    driver.create_volume_from_snapshot(from_snap, s)
    driver.create_cloned_volume(clone, v)
    with driver.open_volume(from_snap) as f:
        assert f.read(2) == b'\0\0'
        f.seek((1 << 20) - 3)
        assert f.read(6) == b'abcdef'
        assert f.seek(0, 2) == 2 << 30
    with driver.open_volume(clone) as f:
        assert f.read(2) == b'XY'
    with pytest.raises(base.DriverError):
        driver.create_volume_from_snapshot(new_volume(0), s)


def test_fake_connections_and_failure_injection(tmp_path):
    d = fake.FakeDriver('fk', make_conf(fake.FakeDriver, tmp_path,
                                        fake_fail_operations=['extend_volume']), 'h')
    v = new_volume(1)
    d.create_volume(v)
    conn = {'host': 'c1', 'ip': '127.0.0.1', 'initiator': None}
    info = d.initialize_connection(v, conn)
    assert info['driver_volume_type'] == 'fake' and d.connections[v['id']] == {'c1': conn}
    d.terminate_connection(v, conn)
    d.terminate_connection(v, conn)
    assert d.connections[v['id']] == {}
    with pytest.raises(base.DriverError, match='fake_fail_operations'):
        d.extend_volume(v, 2)
    with pytest.raises(base.VolumeNotFoundInDriver):
        d.initialize_connection(new_volume(), conn)
    assert ('create_volume', v['id']) in d.calls


def test_fake_from_raw_image(driver, tmp_path):
    img = tmp_path / 'img'
    img.write_bytes(b'\x01' * 4096)
    v = new_volume(1)
    driver.create_volume_from_image(v, str(img), 'raw')
    with driver.open_volume(v) as f:
        assert f.read(4097) == b'\x01' * 4096 + b'\0'
    with pytest.raises(base.DriverError, match='cannot be converted'):
        driver.create_volume_from_image(new_volume(1), str(img), 'docker')


def test_ids_and_sizes_are_checked():
    with pytest.raises(base.DriverError, match='id refused'):
        base.check_id('../etc')
    with pytest.raises(base.DriverError, match='positive integer'):
        base.size_bytes({'size': True})
    assert base.size_bytes({'size': 2}) == 2 << 30
    assert base.qemu_format('vhd') == 'vpc'
