"""Unmodified python-openstackclient against a cloud whose compute host runs
``compute_driver = libvirt`` and whose volume hosts are real iaas-volume
daemons: volumes hot-plugged into real guests (the busybox test image,
TCG), extended while attached, booted from, and an iSCSI volume (tgtd on
private ports) of a second volume host. One guest at a time.

The test image's init prints ``IAAS-TEST-IMAGE-DISKS vdX=<serial>:<sectors> …``
on the console whenever its disks change, and marks a fresh writable volume
(``IAAS-TEST-IMAGE-VOLUME dev=… serial=… found=<earlier mark|none>``), so
everything here is checked from inside the guest, through
``openstack console log show``.

The file backend keeps its default format (qcow2): a qcow2 volume held open
by a running qemu cannot be grown by ``qemu-img resize``, so extending an
attached one is done by the guest's host (qemu's block_resize), which ends
the extend through the conductor.
"""
import json
import os
import shutil
import subprocess

import pytest

from tests.probe.compute.helpers import deadline_poll, start_compute_cloud
from tests.probe.libvirt.conftest import libvirt, marker_lines, wait_for
from tests.probe.libvirt.test_volumes import Tgtd

pytestmark = pytest.mark.slow
BOOT = 150
HOTPLUG = 90          # seconds for the guest to notice a hot-plug / unplug / resize
GiB = 1 << 30
SECTORS_PER_GiB = GiB // 512


# -- fixtures -----------------------------------------------------------------

def volume_head(path, tmp_path):
    """The first 512 bytes of the volume's data, whatever its file format."""
    out = tmp_path / 'head.raw'
    subprocess.run(['qemu-img', 'dd', '-U', '-O', 'raw', 'bs=512', 'count=1', f'if={path}',
                    f'of={out}'], check=True, capture_output=True)
    data = out.read_bytes()
    out.unlink()
    return data


@pytest.fixture
def tgtd(guest_env):
    if not shutil.which('tgtd'):
        pytest.skip('tgt not installed (apt-get install tgt)')
    t = Tgtd(guest_env.instances_path)
    yield t
    t.stop()


def volumes_dir(guest_env, name):
    """Beside the instances (qemu runs as libvirt-qemu: the path must be
    traversable), removed with them."""
    d = os.path.join(guest_env.instances_path, name)
    os.makedirs(d)
    os.chmod(d, 0o755)
    return d


def start_volume_host(cc, host, sections):
    cfg = cc.cloud.host_config(host, sections, database=False)
    cc.cloud.start('iaas-volume', config_file=cfg, wait_port=False, key=f'iaas-volume-{host}')

    def up():
        rows = cc.openstack('volume', 'service', 'list')
        return [r for r in rows if r['Host'].split('@')[0] == host and r['State'] == 'up']
    deadline_poll(up, 60, interval=0.5, what=f'volume service {host} up')


@pytest.fixture
def vol_cloud(tmp_path, guest_env, test_image):
    """Controller, one libvirt compute host (cmp1), one volume host (vol1,
    file backend); the busybox image and a flavor."""
    cc = start_compute_cloud(tmp_path, hosts=('cmp1',), sections={
        'compute': {'compute_driver': 'libvirt',
                    'instances_path': guest_env.instances_path,
                    'max_concurrent_builds': 1, 'shutdown_timeout': 30},
        'libvirt': {'domain_prefix': guest_env.prefix, 'image_cache_interval': 0}})
    try:
        start_volume_host(cc, 'vol1', {
            'volume': {'enabled_backends': 'file'},
            'backend_file': {'volume_driver': 'file',
                             'volumes_dir': volumes_dir(guest_env, 'volumes-vol1')}})
        cc.image = cc.openstack('image', 'create', '--disk-format', 'qcow2',
                                '--container-format', 'bare', '--public', '--file',
                                test_image, 'busybox')
        cc.openstack('flavor', 'create', '--ram', '128', '--disk', '1', '--vcpus', '1',
                     'probe.nano')
        yield cc
    finally:
        cc.stop()


# -- helpers ------------------------------------------------------------------

def console(cc, name):
    return cc.openstack('console', 'log', 'show', name, json_out=False).stdout


def boot(cc, name, *args):
    srv = cc.openstack('server', 'create', '--flavor', 'probe.nano', '--nic', 'none',
                       *args, '--wait', name, timeout=300)
    assert srv['status'] == 'ACTIVE', srv

    def booted():
        lines = marker_lines(console(cc, name))
        return lines or None
    first = wait_for(booted, BOOT, interval=1, what=f'boot marker of {name}')[0]
    assert first == f'IAAS-TEST-IMAGE-BOOTED uuid={srv["id"]} hostname={name} boot=1'
    return srv


def guest_disks(text):
    """{serial: (device, sectors)} of the last IAAS-TEST-IMAGE-DISKS line."""
    lines = [ln for ln in text.splitlines() if 'IAAS-TEST-IMAGE-DISKS' in ln]
    if not lines:
        return None
    out = {}
    for entry in lines[-1].split('IAAS-TEST-IMAGE-DISKS', 1)[1].split():
        dev, _, rest = entry.partition('=')
        serial, _, size = rest.rpartition(':')
        out[serial] = (dev, int(size))
    return out


def wait_disk(cc, name, serial, sectors=None, present=True):
    def check():
        disks = guest_disks(console(cc, name))
        if disks is None:
            return None
        if not present:
            return serial not in disks and disks
        got = disks.get(serial)
        return got if got and (sectors is None or got[1] == sectors) else None
    return wait_for(check, HOTPLUG, interval=1, what=f'disk {serial} ({sectors}) '
                    f'{"in" if present else "gone from"} {name}')


def wait_line(cc, name, text):
    def check():
        return [ln[ln.index(text):] for ln in console(cc, name).splitlines() if text in ln]
    return wait_for(check, HOTPLUG, interval=1, what=f'{text!r} on {name}')


def wait_volume(cc, name, status, timeout=120):
    def check():
        v = cc.openstack('volume', 'show', name)
        if v['status'].startswith('error'):
            raise AssertionError(f'volume {name} went {v["status"]}: {v}')
        return v if v['status'] == status else None
    return deadline_poll(check, timeout, interval=0.5, what=f'volume {name} {status}')


def delete_server(cc, guest_env, name, uid):
    cc.openstack('server', 'delete', '--wait', name, json_out=False, timeout=180)
    assert uid not in guest_env.domains()


# -- tests --------------------------------------------------------------------

def test_attach_detach_reattach_extend(vol_cloud, guest_env, tmp_path):
    cc = vol_cloud
    vol = cc.openstack('volume', 'create', '--size', '1', 'data')
    vid = vol['id']
    serial = vid[:20]                         # what virtio-blk shows the guest
    wait_volume(cc, 'data', 'available')
    vdir = os.path.join(guest_env.instances_path, 'volumes-vol1')
    assert os.listdir(vdir) == [f'volume-{vid}']

    vm1 = boot(cc, 'vm1', '--image', 'busybox')['id']
    cc.openstack('server', 'add', 'volume', 'vm1', 'data', json_out=False)
    att = wait_volume(cc, 'data', 'in-use')['attachments']
    assert [(a['server_id'], a['device']) for a in att] == [(vm1, '/dev/vdb')], att
    # (the guest names disks in PCI order: the config drive may hold vdb there)
    dev, sectors = wait_disk(cc, 'vm1', serial)
    assert sectors == SECTORS_PER_GiB
    found = wait_line(cc, 'vm1', f'IAAS-TEST-IMAGE-VOLUME dev={dev}')[0]
    assert found == f'IAAS-TEST-IMAGE-VOLUME dev={dev} serial={serial} found=none'
    wait_line(cc, 'vm1', f'IAAS-TEST-IMAGE-VOLUME-MARKED dev={dev} writes=1')
    # the full id is the disk's serial in the domain
    assert f'<serial>{vid}</serial>' in guest_env.domain(vm1).XMLDesc(0)

    cc.openstack('server', 'remove', 'volume', 'vm1', 'data', json_out=False)
    wait_volume(cc, 'data', 'available')
    wait_disk(cc, 'vm1', serial, present=False)
    assert vid not in guest_env.domain(vm1).XMLDesc(0)
    assert vid not in guest_env.domain(vm1).XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    delete_server(cc, guest_env, 'vm1', vm1)

    # a second guest (the first is gone) finds the first one's mark
    vm2 = boot(cc, 'vm2', '--image', 'busybox')['id']
    cc.openstack('server', 'add', 'volume', 'vm2', 'data', json_out=False)
    wait_volume(cc, 'data', 'in-use')
    dev2, sectors2 = wait_disk(cc, 'vm2', serial)
    assert sectors2 == SECTORS_PER_GiB
    found = wait_line(cc, 'vm2', f'IAAS-TEST-IMAGE-VOLUME dev={dev2}')[0]
    assert found == (f'IAAS-TEST-IMAGE-VOLUME dev={dev2} serial={serial} '
                     f'found=IAAS-VOLUME-MARK uuid={vm1} serial={serial} writes=1')
    wait_line(cc, 'vm2', f'IAAS-TEST-IMAGE-VOLUME-MARKED dev={dev2} writes=2')

    # extend while attached: the guest sees the new size
    cc.openstack('volume', 'set', '--size', '2', 'data', json_out=False)
    assert wait_disk(cc, 'vm2', serial, 2 * SECTORS_PER_GiB)[0] == dev2
    got = wait_volume(cc, 'data', 'in-use')
    assert got['size'] == 2
    info = json.loads(subprocess.run(
        ['qemu-img', 'info', '-U', '--output=json', os.path.join(vdir, f'volume-{vid}')],
        capture_output=True, text=True, check=True).stdout)
    assert (info['format'], info['virtual-size']) == ('qcow2', 2 * GiB)

    # deleting the server frees (does not delete) the volume
    delete_server(cc, guest_env, 'vm2', vm2)
    assert wait_volume(cc, 'data', 'available')['attachments'] == []
    assert volume_head(os.path.join(vdir, f'volume-{vid}'), tmp_path).startswith(
        f'IAAS-VOLUME-MARK uuid={vm2} serial={serial} writes=2'.encode())
    cc.openstack('volume', 'delete', 'data', json_out=False)
    deadline_poll(lambda: not cc.openstack('volume', 'list'), 60, interval=0.5,
                  what='volume deleted')
    assert os.listdir(vdir) == []


def test_boot_from_volume(vol_cloud, guest_env):
    cc = vol_cloud
    vdir = os.path.join(guest_env.instances_path, 'volumes-vol1')
    bfv = boot(cc, 'bfv', '--block-device',
               f'source_type=image,uuid={cc.image["id"]},destination_type=volume,'
               f'volume_size=1,boot_index=0,delete_on_termination=true')
    uid = bfv['id']
    vols = cc.openstack('volume', 'list', '--long')
    assert len(vols) == 1 and vols[0]['Status'] == 'in-use', vols
    root = vols[0]['ID']
    assert os.listdir(vdir) == [f'volume-{root}']
    # the guest's root disk is the volume: no image disk, vda's serial is its id
    assert not os.path.exists(os.path.join(guest_env.instances_path, uid, 'disk'))
    assert wait_disk(cc, 'bfv', root[:20]) == ('vda', SECTORS_PER_GiB)
    xml = guest_env.domain(uid).XMLDesc(0)
    assert f'<serial>{root}</serial>' in xml and f'volume-{root}' in xml
    shown = cc.openstack('server', 'show', 'bfv')
    assert root in str(shown['volumes_attached'])
    # before 2.93 a rebuild keeps the root volume: the guest's boot count goes on
    cc.openstack('--os-compute-api-version', '2.92', 'server', 'rebuild', '--image',
                 cc.image['id'], '--wait', 'bfv', json_out=False, timeout=300)
    wait_line(cc, 'bfv', f'uuid={uid} hostname=bfv boot=2')
    # from 2.93 the root volume is written from the image again: boot 1 once more
    cc.openstack('server', 'rebuild', '--reimage-boot-volume', '--image', cc.image['id'],
                 '--wait', 'bfv', json_out=False, timeout=300)
    deadline_poll(lambda: marker_lines(console(cc, 'bfv'))[-1].endswith('boot=1'), BOOT,
                  interval=1, what='bfv booted from its reimaged root volume')
    vol = cc.openstack('volume', 'show', root)
    assert vol['status'] == 'in-use' and vol['volume_image_metadata']['image_id'] == \
        cc.image['id'], vol
    assert os.listdir(vdir) == [f'volume-{root}']

    cc.openstack('server', 'delete', '--wait', 'bfv', json_out=False, timeout=180)
    assert guest_env.domains() == {}
    deadline_poll(lambda: not cc.openstack('volume', 'list'), 60, interval=0.5,
                  what='root volume deleted with its server')
    deadline_poll(lambda: os.listdir(vdir) == [], 30, interval=0.5,
                  what='root volume file removed')


def tgt_targets(tgtd):
    r = subprocess.run(['tgtadm', '-C', str(tgtd.control), '--lld', 'iscsi', '--mode',
                        'target', '--op', 'show'], capture_output=True, text=True,
                       timeout=30, check=True)
    return [ln.split(': ', 1)[1] for ln in r.stdout.splitlines() if ln.startswith('Target ')]


def test_iscsi_volume_of_another_volume_host(tgtd, vol_cloud, guest_env):
    cc = vol_cloud
    start_volume_host(cc, 'vol2', {
        'volume': {'enabled_backends': 'iscsi'},
        'backend_iscsi': {'volume_driver': 'iscsi', 'target_ip_address': '127.0.0.1',
                          'target_port': tgtd.port, 'tgt_control_port': tgtd.control,
                          'volumes_dir': volumes_dir(guest_env, 'volumes-vol2')}})
    cc.openstack('volume', 'type', 'create', '--property', 'volume_backend_name=iscsi',
                 'iscsi')
    vol = cc.openstack('volume', 'create', '--type', 'iscsi', '--size', '1', 'remote')
    vid = vol['id']
    got = wait_volume(cc, 'remote', 'available')
    assert got['os-vol-host-attr:host'].startswith('vol2@iscsi'), got
    assert got['type'] == 'iscsi'
    vdir2 = os.path.join(guest_env.instances_path, 'volumes-vol2')
    assert os.listdir(vdir2) == [f'volume-{vid}']
    assert tgt_targets(tgtd) == []

    vm = boot(cc, 'vm3', '--image', 'busybox')['id']
    try:
        cc.openstack('server', 'add', 'volume', 'vm3', 'remote', json_out=False)
        wait_volume(cc, 'remote', 'in-use')
        dev, sectors = wait_disk(cc, 'vm3', vid[:20])
        assert sectors == SECTORS_PER_GiB
        wait_line(cc, 'vm3', f'IAAS-TEST-IMAGE-VOLUME-MARKED dev={dev} writes=1')
        # qemu reaches the LUN over iSCSI at our tgtd, with a CHAP secret in libvirt
        xml = guest_env.domain(vm).XMLDesc(0)
        iqn = f'iqn.2010-10.org.openstack:volume-{vid}'
        assert "protocol='iscsi'" in xml and f"name='{iqn}/1'" in xml, xml
        assert f"port='{tgtd.port}'" in xml and "<auth username=" in xml, xml
        assert tgt_targets(tgtd) == [iqn]

        cc.openstack('server', 'remove', 'volume', 'vm3', 'remote', json_out=False)
        wait_volume(cc, 'remote', 'available')
        wait_disk(cc, 'vm3', vid[:20], present=False)
        assert vid not in guest_env.domain(vm).XMLDesc(0)
        assert tgt_targets(tgtd) == []          # the export went with the detach
        with open(os.path.join(vdir2, f'volume-{vid}'), 'rb') as f:
            assert f.read(512).startswith(f'IAAS-VOLUME-MARK uuid={vm} '.encode())
    finally:
        cc.openstack('server', 'delete', '--wait', 'vm3', json_out=False, timeout=180,
                     check=False)
    cc.openstack('volume', 'delete', 'remote', json_out=False)
    deadline_poll(lambda: not cc.openstack('volume', 'list'), 60, interval=0.5,
                  what='remote volume deleted')
    assert os.listdir(vdir2) == []
