"""The libvirt driver's half of a cold migration: the source flattens the
guest's disk into the shared staging directory, the destination takes it as
its own disk, grows it to the flavor and defines + starts the guest (the
privileged qemu-img calls and libvirt itself replaced)."""
import os
import shutil

import pytest

from iaas.compute.virt import driver
from iaas.privileged import instances as priv

UUID = '6d3c1f7e-8a4b-4c2d-9e0f-112233445566'


@pytest.fixture
def hosts(conf, tmp_path, monkeypatch):
    from iaas.compute.virt.libvirt.driver import LibvirtDriver
    conf.set_override('migration_staging_dir', str(tmp_path / 'staging'), group='libvirt')
    made = {}
    for name in ('h1', 'h2'):
        conf.set_override('instances_path', str(tmp_path / name), group='compute')
        d = LibvirtDriver(name)
        d.calls = []
        monkeypatch.setattr(d, 'power_off', lambda inst, t=0, d=d: d.calls.append('off'))
        monkeypatch.setattr(d, '_define_and_start',
                            lambda inst, ni, bdi, t0, start=True, d=d:
                            d.calls.append(('define', bool(bdi), start)))
        made[name] = d
    conf.clear_override('instances_path', group='compute')
    grown = []

    def snapshot_disk(uuid, target):     # qemu-img convert of h1's overlay
        d = made['h1']._dir(uuid)
        shutil.copyfile(os.path.join(d, 'disk'), os.path.join(d, target))

    monkeypatch.setattr(priv, 'snapshot_disk', snapshot_disk)
    monkeypatch.setattr(priv, 'grow_disk', lambda uuid, size: grown.append((uuid, size)))
    made['grown'] = grown
    return made


def _guest_disk(drv, data):
    os.makedirs(drv._dir(UUID), exist_ok=True)
    with open(drv._paths(UUID)['disk'], 'wb') as f:
        f.write(data)


def test_disk_goes_from_source_to_destination(hosts):
    src, dst = hosts['h1'], hosts['h2']
    _guest_disk(src, b'flattened qcow2')
    info = src.migrate_disk_and_power_off(None, {'uuid': UUID}, 'h2')
    assert src.calls == ['off']
    assert info['source'] == 'h1' and info['format'] == 'qcow2'
    assert os.path.dirname(info['path']).endswith('staging')
    assert [n for n in os.listdir(src._dir(UUID)) if n.startswith('.snap')] == []
    assert os.path.exists(src._paths(UUID)['disk'])      # kept until confirmed

    inst = {'uuid': UUID, 'root_gb': 2, 'image_ref': 'img-1'}
    dst.finish_migration(None, inst, info, {'id': 'img-1'}, network_info=[],
                         power_on=False)
    with open(dst._paths(UUID)['disk'], 'rb') as f:
        assert f.read() == b'flattened qcow2'
    with open(dst._paths(UUID)['image']) as f:
        assert f.read() == 'img-1'
    assert not os.path.exists(info['path'])
    assert hosts['grown'] == [(UUID, 2 << 30)]
    assert dst.calls == [('define', False, False)]


def test_a_disk_not_in_a_shared_staging_directory_is_refused(hosts):
    with pytest.raises(driver.DriverError, match='migration_staging_dir'):
        hosts['h2'].finish_migration(None, {'uuid': UUID}, {'path': '/nowhere/x.qcow2'}, {})
    assert hosts['h2'].calls == []


def test_volume_backed_guest_has_no_disk_to_copy(hosts):
    src, dst = hosts['h1'], hosts['h2']
    assert src.migrate_disk_and_power_off(None, {'uuid': UUID}, 'h2') == {'source': 'h1'}
    bdi = {'block_device_mapping': [{'boot_index': 0, 'connection_info': {}}]}
    dst.finish_migration(None, {'uuid': UUID}, {'source': 'h1'}, {}, block_device_info=bdi)
    assert dst.calls == [('define', True, True)] and hosts['grown'] == []
    with pytest.raises(driver.DriverError, match='no root volume'):
        dst.finish_migration(None, {'uuid': UUID}, {'source': 'h1'}, {})
