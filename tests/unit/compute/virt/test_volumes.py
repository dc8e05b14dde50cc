"""The driver-independent volume helpers and the fake driver's volume
bookkeeping (what control-plane tests assert on)."""
import json
import os

import pytest

from iaas.compute.virt import driver
from iaas.compute.virt.fake import FakeDriver

VOL = '6f1b8c1e-2f0a-4d4e-9a51-0d3c5b7e9a10'
FILE_CI = {'driver_volume_type': 'file', 'data': {'path': '/v/vol-1', 'format': 'raw'}}
ISCSI_CI = {'driver_volume_type': 'iscsi',
            'data': {'target_portal': '127.0.0.1:3260', 'target_iqn': 'iqn.2026-01.t:v1',
                     'target_lun': 1, 'auth_method': 'CHAP', 'auth_username': 'u',
                     'auth_password': 'secret-pw'}}


@pytest.mark.parametrize('used,requested,want', [
    (set(), None, 'vdb'),
    ({'vda'}, None, 'vdb'),
    ({'vda', 'vdb', 'vdz'}, None, 'vdc'),
    ({'vda'}, '/dev/vdd', 'vdd'),
    ({'vda'}, 'vde', 'vde'),
    ({'vda'}, '/dev/sdc', 'vdc'),            # every disk is virtio here
    ({'vda', 'vdc'}, '/dev/vdc', 'vdb'),     # taken: the next free one
    ({'/dev/vda', '/dev/vdb'}, '/dev/vdb', 'vdc'),
    ({'vda'}, '/dev/vdaa', 'vdb'),           # not a single-letter name
    ({'vda'}, 'garbage', 'vdb'),
])
def test_pick_device(used, requested, want):
    assert driver.pick_device(used, requested) == want


def test_pick_device_all_taken():
    used = {'vd' + c for c in 'abcdefghijklmnopqrstuvwxyz'}
    with pytest.raises(driver.DriverError, match='no free disk device'):
        driver.pick_device(used)


def test_volume_target_and_unknown_type():
    assert driver.volume_target(FILE_CI) == '/v/vol-1'
    assert driver.volume_target(ISCSI_CI) == 'iscsi:iqn.2026-01.t:v1/1'
    assert driver.volume_target({'driver_volume_type': 'nbd', 'data': {
        'host': 'h', 'port': 1, 'name': 'exp'}}) == 'nbd:exp'
    assert driver.volume_target({'driver_volume_type': 'rbd', 'data': {
        'name': 'pool/img'}}) == 'rbd:pool/img'
    with pytest.raises(driver.DriverError, match="'fibre_channel'"):
        driver.volume_target({'driver_volume_type': 'fibre_channel', 'data': {}})
    with pytest.raises(driver.DriverError, match="'path'"):
        driver.volume_target({'driver_volume_type': 'file', 'data': {}})


def test_mappings():
    bdi = {'root_device_name': '/dev/vda', 'block_device_mapping': [
        {'serial': 'data', 'boot_index': None, 'mount_device': '/dev/vdb'},
        {'serial': 'root', 'boot_index': 0, 'mount_device': '/dev/vda'}]}
    assert driver.root_mapping(bdi)['serial'] == 'root'
    assert [b['serial'] for b in driver.extra_mappings(bdi)] == ['data']
    assert driver.root_mapping(None) is None and driver.extra_mappings({}) == []


@pytest.fixture
def fake(conf):
    conf.set_override('spawn_delay', 0, group='fake_driver')
    d = FakeDriver('fake-host')
    d.init_host()
    yield d
    conf.clear_override('spawn_delay', group='fake_driver')


def inst(uuid='11111111-2222-4333-8444-555555555555'):
    return {'uuid': uuid, 'vcpus': 1, 'memory_mb': 64, 'root_gb': 1, 'image_ref': 'img'}


def saved(conf, host='fake-host'):
    with open(os.path.join(conf.state_path, 'fake-driver', f'{host}.json')) as f:
        return json.load(f)


def test_fake_attach_detach_bookkeeping(fake, conf):
    vm = inst()
    fake.spawn(None, vm, {'id': 'img'})
    assert fake.volume_devices(vm) == []
    assert fake.attach_volume(None, vm, FILE_CI, None, VOL) == '/dev/vdb'
    assert fake.attach_volume(None, vm, ISCSI_CI, '/dev/vdb', 'vol-2') == '/dev/vdc'
    assert fake.volume_devices(vm) == [
        {'serial': VOL, 'device': '/dev/vdb', 'target': '/v/vol-1'},
        {'serial': 'vol-2', 'device': '/dev/vdc', 'target': 'iscsi:iqn.2026-01.t:v1/1'}]
    # the state file shows them, never the connection_info (CHAP password)
    state = saved(conf)
    assert [v['serial'] for v in state['guests'][vm['uuid']]['volumes']] == [VOL, 'vol-2']
    assert 'secret-pw' not in json.dumps(state)
    with pytest.raises(driver.DriverError, match='already attached'):
        fake.attach_volume(None, vm, FILE_CI, None, VOL)
    with pytest.raises(driver.DriverError, match="'lightos'"):
        fake.attach_volume(None, vm, {'driver_volume_type': 'lightos'}, None, 'x')

    fake.extend_volume(None, vm, FILE_CI, 2 << 30, VOL)
    assert saved(conf)['guests'][vm['uuid']]['volumes'][0]['size'] == 2 << 30
    with pytest.raises(driver.DriverError, match='not attached'):
        fake.extend_volume(None, vm, FILE_CI, 1, 'other')

    fake.detach_volume(None, vm, FILE_CI, '/dev/vdb', VOL)
    fake.detach_volume(None, vm, FILE_CI, '/dev/vdb', VOL)        # idempotent
    fake.detach_volume(None, vm, ISCSI_CI, '/dev/vdc', 'not-it')  # wrong serial: kept
    assert [v['serial'] for v in fake.volume_devices(vm)] == ['vol-2']
    # the freed name is used again
    assert fake.attach_volume(None, vm, FILE_CI, None, VOL) == '/dev/vdb'
    with pytest.raises(driver.InstanceNotFoundInDriver):
        fake.attach_volume(None, inst('00000000-0000-4000-8000-000000000000'),
                           FILE_CI, None, VOL)


def test_fake_boot_from_volume(fake, conf):
    vm = dict(inst(), image_ref=None)
    bdi = {'root_device_name': '/dev/vda', 'block_device_mapping': [
        {'connection_info': FILE_CI, 'mount_device': '/dev/vda', 'boot_index': 0,
         'serial': VOL, 'delete_on_termination': False},
        {'connection_info': ISCSI_CI, 'mount_device': None, 'boot_index': None,
         'serial': 'data-vol', 'delete_on_termination': True}]}
    fake.spawn(None, vm, {}, block_device_info=bdi)
    assert fake.volume_devices(vm) == [
        {'serial': VOL, 'device': '/dev/vda', 'target': '/v/vol-1'},
        {'serial': 'data-vol', 'device': '/dev/vdb', 'target': 'iscsi:iqn.2026-01.t:v1/1'}]
    assert fake.guests[vm['uuid']]['boot_from_volume'] is True
    fake.destroy(None, vm)
    assert vm['uuid'] not in saved(conf)['guests']
