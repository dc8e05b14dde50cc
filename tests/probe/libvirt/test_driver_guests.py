"""The libvirt driver on its own (no cloud around it) against the real
libvirtd: every power operation checked on the real domain, snapshot
booted again, one cached base shared by two guests, a libvirtd restart
survived. At most two guests run at once."""
import os
import shutil
import uuid

import pytest

from iaas import states
from iaas.compute.virt import driver as virt_driver
from tests.probe.libvirt.conftest import libvirt, marker_lines, restart_libvirtd, wait_for

pytestmark = pytest.mark.slow
BOOT = 120   # seconds a TCG boot may take on a loaded 2-core machine


@pytest.fixture
def drv(conf, guest_env, test_image):
    from iaas.compute.virt.libvirt.driver import LibvirtDriver
    conf.set_override('instances_path', guest_env.instances_path, group='compute')
    conf.set_override('domain_prefix', guest_env.prefix, group='libvirt')
    d = LibvirtDriver('probe-host')
    images = {'img-busybox': test_image}

    def fetcher(image_id, dest):
        shutil.copy(images[image_id], dest)
        return {'id': image_id, 'disk_format': 'qcow2'}
    d.cache.fetcher = fetcher
    d.images = images
    d.init_host()
    yield d
    d.cleanup_host()
    conf.clear_override('instances_path', group='compute')
    conf.clear_override('domain_prefix', group='libvirt')


def instance(name):
    return {'uuid': str(uuid.uuid4()), 'display_name': name, 'hostname': name,
            'vcpus': 1, 'memory_mb': 128, 'root_gb': 1, 'project_id': 'p', 'user_id': 'u',
            'image_ref': 'img-busybox', 'flavor': {'name': 'probe.nano'}}


def wait_markers(drv, inst, count):
    """Until the console shows ``count`` boot markers; returns them."""
    def check():
        lines = marker_lines(drv.get_console_output(None, inst))
        return lines if len(lines) >= count else None
    return wait_for(check, BOOT, what=f'{count} boot markers of {inst["uuid"]}')


def test_life_cycle_on_real_domain(drv, guest_env, tmp_path):
    vm = instance('vm-life')
    uid = vm['uuid']
    drv.spawn(None, vm, {'id': 'img-busybox'})
    first = wait_markers(drv, vm, 1)[0]
    assert first == f'IAAS-TEST-IMAGE-BOOTED uuid={uid} hostname=vm-life boot=1'
    dom = guest_env.domain(uid)
    assert dom.name() == guest_env.prefix + uid
    assert '<acpi/>' in dom.XMLDesc() and "type='qemu'" in dom.XMLDesc()
    assert guest_env.state(uid) == libvirt.VIR_DOMAIN_RUNNING
    assert drv.get_info(vm)['power_state'] == states.RUNNING
    assert drv.list_instances() == [uid]

    # stop: ACPI, the guest powers itself off cleanly
    drv.power_off(vm, timeout=60)
    assert guest_env.state(uid) == libvirt.VIR_DOMAIN_SHUTOFF
    assert 'IAAS-TEST-IMAGE-POWEROFF' in drv.get_console_output(None, vm)
    assert drv.get_info(vm)['power_state'] == states.SHUTDOWN

    drv.power_on(None, vm)
    assert guest_env.state(uid) == libvirt.VIR_DOMAIN_RUNNING
    assert wait_markers(drv, vm, 2)[1].endswith('boot=2')

    drv.reboot(None, vm, 'SOFT')
    assert wait_markers(drv, vm, 3)[2].endswith('boot=3')
    drv.reboot(None, vm, 'HARD')
    assert wait_markers(drv, vm, 4)[3].endswith('boot=4')

    drv.pause(vm)
    assert guest_env.state(uid) == libvirt.VIR_DOMAIN_PAUSED
    assert drv.get_info(vm)['power_state'] == states.PAUSED_POWER
    drv.unpause(vm)
    assert guest_env.state(uid) == libvirt.VIR_DOMAIN_RUNNING

    drv.suspend(None, vm)
    assert guest_env.state(uid) == libvirt.VIR_DOMAIN_SHUTOFF
    assert guest_env.domain(uid).hasManagedSaveImage()
    assert drv.get_info(vm)['power_state'] == states.SUSPENDED_POWER
    drv.resume(None, vm)
    assert guest_env.state(uid) == libvirt.VIR_DOMAIN_RUNNING
    assert not guest_env.domain(uid).hasManagedSaveImage()
    assert len(marker_lines(drv.get_console_output(None, vm))) == 4   # restored, not booted

    # snapshot: the overlay becomes a standalone qcow2; the guest carries on
    snap = tmp_path / 'snap.qcow2'
    formats = []

    def upload(chunks, disk_format):
        formats.append(disk_format)
        with open(snap, 'wb') as f:
            for c in chunks:
                f.write(c)
    drv.snapshot(None, vm, 'snap-1', upload)
    assert formats == ['qcow2']
    assert guest_env.state(uid) == libvirt.VIR_DOMAIN_RUNNING
    from iaas.compute.virt.libvirt import imagecache
    info = imagecache.qemu_img_info(str(snap), 'qcow2')
    assert 'backing-filename' not in info
    assert not [n for n in os.listdir(os.path.join(guest_env.instances_path, uid))
                if n.startswith('.snap')]

    # the snapshot boots, and carries the root disk (boot count 4 -> 5)
    drv.images['img-snap'] = str(snap)
    vm2 = instance('vm-from-snap')
    drv.spawn(None, vm2, {'id': 'img-snap'})
    assert wait_markers(drv, vm2, 1)[0] == \
        f'IAAS-TEST-IMAGE-BOOTED uuid={vm2["uuid"]} hostname=vm-from-snap boot=5'

    # destroy leaves no domain, disk, config drive or console log
    for v in (vm, vm2):
        drv.destroy(None, v)
        assert not os.path.exists(os.path.join(guest_env.instances_path, v['uuid']))
        with pytest.raises(virt_driver.InstanceNotFoundInDriver):
            drv.get_info(v)
        drv.destroy(None, v)   # idempotent
    assert guest_env.domains() == {} and drv.list_instances() == []


def test_two_guests_share_one_base(drv, guest_env, conf):
    # boot_wait_pattern: spawn returns only once the guest printed its marker
    conf.set_override('boot_wait_pattern', 'IAAS-TEST-IMAGE-BOOTED', group='libvirt')
    vms = [instance('vm-a'), instance('vm-b')]
    try:
        for vm in vms:
            drv.spawn(None, vm, {'id': 'img-busybox'})
            assert marker_lines(drv.get_console_output(None, vm))
    finally:
        conf.clear_override('boot_wait_pattern', group='libvirt')
    base = os.path.join(guest_env.instances_path, '_base', 'img-busybox')
    from iaas.compute.virt.libvirt import imagecache
    for vm in vms:
        disk = os.path.join(guest_env.instances_path, vm['uuid'], 'disk')
        assert imagecache.qemu_img_info(disk, 'qcow2', True)['backing-filename'] == base
        assert wait_markers(drv, vm, 1)[0].startswith(
            f'IAAS-TEST-IMAGE-BOOTED uuid={vm["uuid"]}')
    assert drv.cache.downloads == 1
    assert drv.cache.cached() == ['img-busybox']
    # in use: never swept, however old
    os.utime(base, (0, 0))
    assert drv._maybe_sweep(force=True) == []
    for vm in vms:
        drv.destroy(None, vm)
    assert drv._maybe_sweep(force=True) == ['img-busybox']
    assert not os.path.exists(base)


def test_libvirtd_restart_while_guest_runs(drv, guest_env):
    vm = instance('vm-restart')
    drv.spawn(None, vm, {'id': 'img-busybox'})
    wait_markers(drv, vm, 1)
    qemu_pid = int(open(f'/run/libvirt/qemu/{guest_env.prefix}{vm["uuid"]}.pid').read())
    restart_libvirtd()
    assert os.path.exists(f'/proc/{qemu_pid}')           # the guest kept running
    assert drv.get_info(vm)['power_state'] == states.RUNNING   # reconnected
    assert drv.conn.reconnects >= 1
    assert drv.list_instances() == [vm['uuid']]
    drv.power_off(vm, timeout=60)                         # and still managed
    guest_env.reconnect()
    assert guest_env.state(vm['uuid']) == libvirt.VIR_DOMAIN_SHUTOFF
    drv.destroy(None, vm)
    assert guest_env.domains() == {}


def test_resize_and_lost_domain(drv, guest_env):
    vm = instance('vm-resize')
    uid = vm['uuid']
    drv.spawn(None, vm, {'id': 'img-busybox'})
    wait_markers(drv, vm, 1)
    drv.resize(None, vm, {'name': 'probe.bigger', 'vcpus': 2, 'memory_mb': 192,
                          'root_gb': 2})
    dom = guest_env.domain(uid)
    assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
    assert dom.info()[1] == 192 * 1024 and dom.info()[3] == 2    # maxMem KiB, vCPUs
    from iaas.compute.virt.libvirt import imagecache
    disk = os.path.join(guest_env.instances_path, uid, 'disk')
    assert imagecache.qemu_img_info(disk, 'qcow2', True)['virtual-size'] == 2 << 30
    assert wait_markers(drv, vm, 2)[1].endswith('boot=2')
    # the domain vanished (e.g. undefined by hand): start defines it again from the disk
    dom.destroy()
    dom.undefine()
    drv.power_on(None, vm)
    assert guest_env.state(uid) == libvirt.VIR_DOMAIN_RUNNING
    assert wait_markers(drv, vm, 3)[2].endswith('boot=3')
    drv.destroy(None, vm)
    assert guest_env.domains() == {}


@pytest.fixture
def bridge():
    """A root-namespace bridge with a per-run name, no address, no uplink."""
    import subprocess
    name = f'iaasbr{uuid.uuid4().hex[:6]}'
    subprocess.run(['ip', 'link', 'add', name, 'type', 'bridge'], check=True)
    subprocess.run(['ip', 'link', 'set', name, 'up'], check=True)
    yield name
    subprocess.run(['ip', 'link', 'del', name], check=False)


def test_nic_on_the_named_bridge(drv, guest_env, bridge):
    vm = instance('vm-nic')
    port = str(uuid.uuid4())
    tap = f'tap{port[:11]}'
    vifs = [{'id': port, 'address': 'fa:16:3e:12:34:56', 'devname': tap, 'type': 'bridge',
             'mtu': 1450, 'network': {'id': 'n1', 'bridge': bridge, 'mtu': 1450,
                                      'subnets': [{'dhcp': True, 'ips': [{'address':
                                                                          '10.77.0.5'}]}]}}]
    drv.spawn(None, vm, {'id': 'img-busybox'}, network_info=vifs)
    wait_markers(drv, vm, 1)
    xml = guest_env.domain(vm['uuid']).XMLDesc()
    assert "<mac address='fa:16:3e:12:34:56'/>" in xml and f"<source bridge='{bridge}'/>" in xml
    # libvirt made the tap and put it on the bridge
    assert os.path.basename(os.readlink(f'/sys/class/net/{tap}/master')) == bridge
    with open(f'/sys/class/net/{tap}/mtu') as f:
        assert f.read().strip() == '1450'
    # a hard reboot and a rebuild define the domain again: the NIC stays
    drv.reboot(None, vm, 'HARD')
    wait_markers(drv, vm, 2)
    drv.rebuild(None, vm, {'id': 'img-busybox'})
    wait_markers(drv, vm, 3)
    xml = guest_env.domain(vm['uuid']).XMLDesc()
    assert "<mac address='fa:16:3e:12:34:56'/>" in xml and f"<source bridge='{bridge}'/>" in xml
    assert os.path.basename(os.readlink(f'/sys/class/net/{tap}/master')) == bridge
    drv.destroy(None, vm)
    assert not os.path.exists(f'/sys/class/net/{tap}')
