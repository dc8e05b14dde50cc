"""Volumes on real guests (libvirt + TCG, the busybox test image): a file
volume hot-plugged, seen by its serial, written, extended, unplugged and
read by a second guest; boot from a volume; an iSCSI volume with CHAP
(tgtd on a private port) and an NBD volume (qemu-nbd). One guest at a time.

The test image's init watches its virtio disks and prints
``IAAS-TEST-IMAGE-DISKS vdX=<serial>:<sectors> …`` on every change, and
marks a fresh (zeroed) volume (tools/build-test-image.sh).
"""
import contextlib
import os
import shutil
import socket
import subprocess
import uuid

import pytest

from iaas.compute.virt import driver as virt_driver
from iaas.compute.virt.libvirt import volume
from tests.probe.libvirt.conftest import libvirt, marker_lines, wait_for
from tests.probe.libvirt.test_driver_guests import instance, wait_markers

pytestmark = pytest.mark.slow
MiB = 1 << 20
HOTPLUG = 60      # seconds for the guest to notice a hot-plug / unplug / resize


@pytest.fixture
def drv(conf, guest_env, test_image):
    """The libvirt driver on the per-run prefix and instances path."""
    from iaas.compute.virt.libvirt.driver import LibvirtDriver
    conf.set_override('instances_path', guest_env.instances_path, group='compute')
    conf.set_override('domain_prefix', guest_env.prefix, group='libvirt')
    d = LibvirtDriver('probe-host')

    def fetcher(image_id, dest):
        shutil.copy(test_image, dest)
        return {'id': image_id, 'disk_format': 'qcow2'}
    d.cache.fetcher = fetcher
    d.init_host()
    yield d
    with contextlib.suppress(libvirt.libvirtError):   # secrets of a failed test's guests
        for vm_uuid in guest_env.domains():
            d.conn.call(lambda c, u=vm_uuid: volume.undefine_instance_secrets(c, u))
    d.cleanup_host()
    conf.clear_override('instances_path', group='compute')
    conf.clear_override('domain_prefix', group='libvirt')


@pytest.fixture
def vol_dir(guest_env):
    """Volumes live beside the instances, not in them (destroy must keep them)."""
    d = os.path.join(guest_env.instances_path, 'volumes')
    os.makedirs(d)
    os.chmod(d, 0o755)
    return d


def new_volume(vol_dir, size):
    vol_id = str(uuid.uuid4())
    path = os.path.join(vol_dir, f'volume-{vol_id}')
    with open(path, 'wb') as f:
        f.truncate(size)
    return vol_id, path


def file_ci(path, fmt='raw'):
    return {'driver_volume_type': 'file', 'data': {'path': path, 'format': fmt}}


def guest_disks(drv, vm):
    """{serial: (guest device, size in 512-byte sectors)} from the last
    IAAS-TEST-IMAGE-DISKS line of the console (None before the first)."""
    lines = [ln for ln in drv.get_console_output(None, vm).splitlines()
             if 'IAAS-TEST-IMAGE-DISKS' in ln]
    if not lines:
        return None
    out = {}
    for entry in lines[-1].split('IAAS-TEST-IMAGE-DISKS', 1)[1].split():
        dev, _, rest = entry.partition('=')
        serial, _, size = rest.rpartition(':')
        out[serial] = (dev, int(size))
    return out


def wait_disk(drv, vm, serial, sectors=None, present=True):
    def check():
        disks = guest_disks(drv, vm)
        if disks is None:
            return None
        if not present:
            return serial not in disks and disks
        got = disks.get(serial)
        return got if got and (sectors is None or got[1] == sectors) else None
    return wait_for(check, HOTPLUG, what=f'disk {serial} ({sectors}) '
                    f'{"in" if present else "gone from"} guest {vm["uuid"]}')


def wait_line(drv, vm, text, timeout=HOTPLUG):
    def check():
        return [ln[ln.index(text):] for ln in drv.get_console_output(None, vm).splitlines()
                if text in ln]
    return wait_for(check, timeout, what=f'{text!r} on {vm["uuid"]}')


def test_file_volume_across_two_guests(drv, guest_env, vol_dir):
    vol_id, path = new_volume(vol_dir, 64 * MiB)
    serial = vol_id[:20]                  # virtio-blk shows the guest 20 bytes
    ci = file_ci(path)

    vm1 = instance('vm-vol-1')
    drv.spawn(None, vm1, {'id': 'img-busybox'})
    wait_markers(drv, vm1, 1)
    assert drv.attach_volume(None, vm1, ci, None, vol_id) == '/dev/vdb'
    dev, sectors = wait_disk(drv, vm1, serial)
    assert sectors == 64 * MiB // 512
    assert drv.volume_devices(vm1) == [{'serial': vol_id, 'device': '/dev/vdb',
                                        'target': path}]
    # the full id is in the domain, both live and persistent
    dom = guest_env.domain(vm1['uuid'])
    for flags in (0, libvirt.VIR_DOMAIN_XML_INACTIVE):
        assert f'<serial>{vol_id}</serial>' in dom.XMLDesc(flags)
    wait_line(drv, vm1, f'IAAS-TEST-IMAGE-VOLUME-MARKED dev={dev} writes=1')

    # extend while attached: the backend grew the file; the guest sees it
    os.truncate(path, 96 * MiB)
    drv.extend_volume(None, vm1, ci, 96 * MiB, vol_id)
    wait_disk(drv, vm1, serial, 96 * MiB // 512)

    drv.detach_volume(None, vm1, ci, '/dev/vdb', vol_id)
    wait_disk(drv, vm1, serial, present=False)
    assert drv.volume_devices(vm1) == []
    assert vol_id not in dom.XMLDesc(0) and vol_id not in dom.XMLDesc(
        libvirt.VIR_DOMAIN_XML_INACTIVE)
    drv.detach_volume(None, vm1, ci, '/dev/vdb', vol_id)     # idempotent
    with open(path, 'rb') as f:
        head = f.read(512).rstrip(b'\0').decode()
    assert head == f'IAAS-VOLUME-MARK uuid={vm1["uuid"]} serial={serial} writes=1\n'
    drv.destroy(None, vm1)
    assert os.path.getsize(path) == 96 * MiB                 # destroy keeps volumes

    # a second guest (after the first is gone) finds the first one's mark
    vm2 = instance('vm-vol-2')
    drv.spawn(None, vm2, {'id': 'img-busybox'})
    wait_markers(drv, vm2, 1)
    assert drv.attach_volume(None, vm2, ci, '/dev/vdc', vol_id) == '/dev/vdc'
    dev2, sectors2 = wait_disk(drv, vm2, serial)
    assert sectors2 == 96 * MiB // 512
    found = wait_line(drv, vm2, f'IAAS-TEST-IMAGE-VOLUME dev={dev2}')[0]
    assert found.endswith(f'found=IAAS-VOLUME-MARK uuid={vm1["uuid"]} serial={serial} '
                          f'writes=1')
    wait_line(drv, vm2, f'IAAS-TEST-IMAGE-VOLUME-MARKED dev={dev2} writes=2')
    # destroy with the volume attached: the guest goes, the volume stays
    drv.destroy(None, vm2)
    assert guest_env.domains() == {}
    with open(path, 'rb') as f:
        assert f.read(512).startswith(f'IAAS-VOLUME-MARK uuid={vm2["uuid"]}'.encode())


def test_boot_from_volume(drv, guest_env, vol_dir, test_image):
    root_id = str(uuid.uuid4())
    root = os.path.join(vol_dir, f'volume-{root_id}')
    subprocess.run(['qemu-img', 'convert', '-f', 'qcow2', '-O', 'raw', test_image, root],
                   check=True)
    data_id, data = new_volume(vol_dir, 32 * MiB)
    vm = dict(instance('vm-bfv'), image_ref=None)
    bdi = {'root_device_name': '/dev/vda', 'block_device_mapping': [
        {'connection_info': file_ci(root), 'mount_device': '/dev/vda', 'boot_index': 0,
         'serial': root_id, 'delete_on_termination': False},
        {'connection_info': file_ci(data), 'mount_device': '/dev/vdb', 'boot_index': None,
         'serial': data_id, 'delete_on_termination': False}]}
    drv.spawn(None, vm, {}, block_device_info=bdi)
    first = wait_markers(drv, vm, 1)[0]
    assert first == f'IAAS-TEST-IMAGE-BOOTED uuid={vm["uuid"]} hostname=vm-bfv boot=1'
    inst_dir = os.path.join(guest_env.instances_path, vm['uuid'])
    assert not os.path.exists(os.path.join(inst_dir, 'disk'))    # no image disk
    disks = wait_disk(drv, vm, data_id[:20])
    assert guest_disks(drv, vm)[root_id[:20]][0] == 'vda'
    assert disks[1] == 32 * MiB // 512
    assert drv.volume_devices(vm) == [
        {'serial': root_id, 'device': '/dev/vda', 'target': root},
        {'serial': data_id, 'device': '/dev/vdb', 'target': data}]
    # a hard reboot defines the domain again: it keeps booting from the volume
    drv.reboot(None, vm, 'HARD')
    assert wait_markers(drv, vm, 2)[1].endswith('boot=2')     # the count is on the volume
    assert [d['serial'] for d in drv.volume_devices(vm)] == [root_id, data_id]
    drv.destroy(None, vm)
    assert not os.path.exists(inst_dir)
    assert os.path.exists(root) and os.path.exists(data)


def _free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Tgtd:
    """tgtd on a private portal and control port (another tgtd may run)."""

    def __init__(self, workdir):
        self.workdir = workdir
        self.control = self._control_port(os.getpid())
        for attempt in range(3):      # a port taken meanwhile: again on fresh ports
            self.port = _free_port()
            while os.path.exists(f'/var/run/tgtd/socket.{self.control}'):
                self.control = self._control_port(self.control + 1)
            self.log = open(os.path.join(workdir, f'tgtd-{attempt}.log'), 'wb')
            self.proc = subprocess.Popen(
                ['tgtd', '-f', '-C', str(self.control), '--iscsi',
                 f'portal=127.0.0.1:{self.port}'], stdout=self.log, stderr=subprocess.STDOUT)
            try:
                wait_for(lambda: self._up(), 20, what='tgtd listening')
                return
            except AssertionError:
                self.stop()
                if attempt == 2:
                    raise
                self.control = self._control_port(self.control + 1)

    @staticmethod
    def _control_port(n):
        return 20000 + (n - 20000) % 12000     # tgtd takes 0-32767, and so does iaas

    def _up(self):
        if self.proc.poll() is not None:
            self.log.flush()
            with open(self.log.name, 'rb') as f:
                out = f.read().decode(errors='replace')
            raise AssertionError(f'tgtd exited {self.proc.returncode}: {out}')
        with socket.socket() as s:
            return s.connect_ex(('127.0.0.1', self.port)) == 0

    def adm(self, *args):
        subprocess.run(['tgtadm', '-C', str(self.control), '--lld', 'iscsi', *args],
                       check=True, capture_output=True, timeout=30)

    def stop(self):
        if self.proc.poll() is None:      # only ours: the control port may be another's
            subprocess.run(['tgtadm', '-C', str(self.control), '--op', 'delete', '--mode',
                            'system'], check=False, capture_output=True, timeout=30)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        self.log.close()


@pytest.fixture
def tgtd(guest_env):
    if not shutil.which('tgtd') or not shutil.which('qemu-nbd'):
        pytest.skip('tgt / qemu-utils not installed (apt-get install tgt qemu-block-extra)')
    t = Tgtd(guest_env.instances_path)
    yield t
    t.stop()


def test_iscsi_chap_and_nbd_volumes(drv, guest_env, vol_dir, tgtd):
    vol_id, path = new_volume(vol_dir, 48 * MiB)
    iqn = f'iqn.2026-01.local.iaas:{guest_env.prefix}{vol_id[:8]}'
    user, password = 'volatt', uuid.uuid4().hex
    tgtd.adm('--op', 'new', '--mode', 'target', '--tid', '1', '-T', iqn)
    tgtd.adm('--op', 'new', '--mode', 'logicalunit', '--tid', '1', '--lun', '1', '-b', path)
    tgtd.adm('--op', 'new', '--mode', 'account', '--user', user, '--password', password)
    tgtd.adm('--op', 'bind', '--mode', 'account', '--tid', '1', '--user', user)
    tgtd.adm('--op', 'bind', '--mode', 'target', '--tid', '1', '-I', 'ALL')
    data = {'target_portal': f'127.0.0.1:{tgtd.port}', 'target_iqn': iqn, 'target_lun': 1,
            'auth_method': 'CHAP', 'auth_username': user, 'auth_password': password}
    ci = {'driver_volume_type': 'iscsi', 'data': data}

    vm = instance('vm-iscsi')
    drv.spawn(None, vm, {'id': 'img-busybox'})
    wait_markers(drv, vm, 1)
    # a wrong password: refused, and no secret left behind
    bad = {'driver_volume_type': 'iscsi', 'data': dict(data, auth_password='wrong')}
    with pytest.raises(virt_driver.DriverError, match='attaching volume'):
        drv.attach_volume(None, vm, bad, None, vol_id)
    usage = f'iaas-volume:{vm["uuid"]}:vdb'
    with pytest.raises(libvirt.libvirtError):
        guest_env.conn.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_ISCSI, usage)

    assert drv.attach_volume(None, vm, ci, None, vol_id) == '/dev/vdb'
    sec = guest_env.conn.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_ISCSI, usage)
    assert password not in sec.XMLDesc()
    dev, sectors = wait_disk(drv, vm, vol_id[:20])
    assert sectors == 48 * MiB // 512
    assert drv.volume_devices(vm) == [{'serial': vol_id, 'device': '/dev/vdb',
                                       'target': f'iscsi:{iqn}/1'}]
    wait_line(drv, vm, f'IAAS-TEST-IMAGE-VOLUME-MARKED dev={dev} writes=1')

    # an NBD volume (qcow2 over qemu-nbd) beside it
    nbd_id = str(uuid.uuid4())
    nbd_file = os.path.join(vol_dir, f'volume-{nbd_id}.qcow2')
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', nbd_file, '16M'], check=True)
    nbd_port = _free_port()
    subprocess.run(['qemu-nbd', '--fork', '-b', '127.0.0.1', '-p', str(nbd_port), '-x',
                    'vol', '-f', 'qcow2', '--shared=4', '--persistent',
                    '--pid-file', os.path.join(vol_dir, 'nbd.pid'), nbd_file], check=True)
    try:
        nbd_ci = {'driver_volume_type': 'nbd', 'data': {
            'host': '127.0.0.1', 'port': nbd_port, 'name': 'vol', 'format': 'raw'}}
        assert drv.attach_volume(None, vm, nbd_ci, None, nbd_id) == '/dev/vdc'
        assert wait_disk(drv, vm, nbd_id[:20])[1] == 16 * MiB // 512
        drv.detach_volume(None, vm, nbd_ci, '/dev/vdc', nbd_id)
        wait_disk(drv, vm, nbd_id[:20], present=False)
    finally:
        with open(os.path.join(vol_dir, 'nbd.pid')) as f:
            os.kill(int(f.read()), 15)

    drv.detach_volume(None, vm, ci, '/dev/vdb', vol_id)
    wait_disk(drv, vm, vol_id[:20], present=False)
    with pytest.raises(libvirt.libvirtError):          # the attachment's secret is gone
        guest_env.conn.secretLookupByUsage(libvirt.VIR_SECRET_USAGE_TYPE_ISCSI, usage)
    assert marker_lines(drv.get_console_output(None, vm))   # still the same boot
    drv.destroy(None, vm)
    tgtd.adm('--op', 'delete', '--mode', 'logicalunit', '--tid', '1', '--lun', '1')
    with open(path, 'rb') as f:
        assert f.read(512).startswith(f'IAAS-VOLUME-MARK uuid={vm["uuid"]}'.encode())
