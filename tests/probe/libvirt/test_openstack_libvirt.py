"""Unmodified python-openstackclient against a cloud whose compute host runs
``compute_driver = libvirt``: real guests (the busybox test image) under
libvirtd, each state change checked on the real domain. At most two guests
run at once."""
import os

import pytest

from tests.probe.compute.helpers import Rest, deadline_poll, start_compute_cloud
from tests.probe.libvirt.conftest import libvirt, marker_lines, restart_libvirtd, wait_for

pytestmark = pytest.mark.slow
BOOT = 150


@pytest.fixture
def lv_cloud(tmp_path, guest_env, test_image):
    cc = start_compute_cloud(tmp_path, hosts=('cmp1',), sections={
        'compute': {'compute_driver': 'libvirt',
                    'instances_path': guest_env.instances_path,
                    'max_concurrent_builds': 2, 'shutdown_timeout': 60},
        'libvirt': {'domain_prefix': guest_env.prefix, 'image_cache_interval': 0}})
    yield cc
    cc.stop()


def status(cc, name, want, timeout=120):
    def check():
        s = cc.openstack('server', 'show', name)
        return s if s['status'] == want and not s.get('OS-EXT-STS:task_state') else None
    return deadline_poll(check, timeout, interval=0.5, what=f'{name} {want}')


def console_markers(cc, name, count):
    def check():
        r = cc.openstack('console', 'log', 'show', name, json_out=False)
        lines = marker_lines(r.stdout)
        return lines if len(lines) >= count else None
    return wait_for(check, BOOT, interval=1, what=f'{count} markers on {name}')


def test_servers_on_real_guests(lv_cloud, guest_env, test_image):
    cc = lv_cloud
    base_dir = os.path.join(guest_env.instances_path, '_base')
    img = cc.openstack('image', 'create', '--disk-format', 'qcow2', '--container-format',
                       'bare', '--public', '--file', test_image, 'busybox')
    cc.openstack('flavor', 'create', '--ram', '128', '--disk', '1', '--vcpus', '1',
                 'probe.nano')

    srv = cc.openstack('server', 'create', '--image', 'busybox', '--flavor', 'probe.nano',
                       '--nic', 'none', '--wait', 'vm1', timeout=300)
    assert srv['status'] == 'ACTIVE', srv
    vm1 = srv['id']
    assert console_markers(cc, 'vm1', 1)[0] == \
        f'IAAS-TEST-IMAGE-BOOTED uuid={vm1} hostname=vm1 boot=1'
    assert guest_env.state(vm1) == libvirt.VIR_DOMAIN_RUNNING
    hyp = cc.openstack('hypervisor', 'list')
    assert hyp[0]['Hypervisor Type'] in ('QEMU', 'KVM'), hyp

    cc.openstack('server', 'stop', 'vm1', json_out=False)
    status(cc, 'vm1', 'SHUTOFF')
    assert guest_env.state(vm1) == libvirt.VIR_DOMAIN_SHUTOFF
    cc.openstack('server', 'start', 'vm1', json_out=False)
    status(cc, 'vm1', 'ACTIVE')
    assert guest_env.state(vm1) == libvirt.VIR_DOMAIN_RUNNING
    assert console_markers(cc, 'vm1', 2)[1].endswith('boot=2')
    cc.openstack('server', 'reboot', '--wait', 'vm1', json_out=False, timeout=300)
    assert console_markers(cc, 'vm1', 3)[2].endswith('boot=3')
    assert guest_env.state(vm1) == libvirt.VIR_DOMAIN_RUNNING

    # snapshot → an image that boots again (and carries the disk: boot=4)
    snap = cc.openstack('server', 'image', 'create', '--name', 'vm1-snap', '--wait', 'vm1',
                        timeout=300)
    assert snap['name'] == 'vm1-snap'
    shown = cc.openstack('image', 'show', 'vm1-snap')
    assert shown['status'] == 'active' and shown['disk_format'] == 'qcow2'
    status(cc, 'vm1', 'ACTIVE')
    assert guest_env.state(vm1) == libvirt.VIR_DOMAIN_RUNNING
    vm2 = cc.openstack('server', 'create', '--image', 'vm1-snap', '--flavor', 'probe.nano',
                       '--nic', 'none', '--wait', 'vm2', timeout=300)['id']
    assert console_markers(cc, 'vm2', 1)[0] == \
        f'IAAS-TEST-IMAGE-BOOTED uuid={vm2} hostname=vm2 boot=4'

    # delete leaves no domain, disk or console log behind
    cc.openstack('server', 'delete', '--wait', 'vm2', json_out=False, timeout=120)
    assert vm2 not in guest_env.domains()
    assert not os.path.exists(os.path.join(guest_env.instances_path, vm2))

    # a second guest from the first image shares its cached base
    vm3 = cc.openstack('server', 'create', '--image', 'busybox', '--flavor', 'probe.nano',
                       '--nic', 'none', '--wait', 'vm3', timeout=300)['id']
    console_markers(cc, 'vm3', 1)
    assert sorted(n for n in os.listdir(base_dir) if '.' not in n) == \
        sorted([img['id'], shown['id']])
    log = cc.daemons['iaas-compute-cmp1'].log()
    assert log.count(f'image {img["id"]} cached as') == 1
    from iaas.compute.virt.libvirt import imagecache
    for uid in (vm1, vm3):
        disk = os.path.join(guest_env.instances_path, uid, 'disk')
        info = imagecache.qemu_img_info(disk, 'qcow2', force_share=True)
        assert info['backing-filename'] == os.path.join(base_dir, img['id'])

    # libvirtd restarts while both guests run: compute reconnects, still manages them
    restart_libvirtd()
    guest_env.reconnect()
    cc.openstack('server', 'stop', 'vm3', json_out=False)
    status(cc, 'vm3', 'SHUTOFF')
    assert guest_env.state(vm3) == libvirt.VIR_DOMAIN_SHUTOFF
    assert 'reconnecting' in cc.daemons['iaas-compute-cmp1'].log()

    # a guest that powers itself off shows SHUTOFF after the next power sync
    guest_env.domain(vm1).shutdown()
    wait_for(lambda: guest_env.state(vm1) == libvirt.VIR_DOMAIN_SHUTOFF, 60,
             what='vm1 off by itself')
    status(cc, 'vm1', 'SHUTOFF', timeout=30)

    for name in ('vm1', 'vm3'):
        cc.openstack('server', 'delete', '--wait', name, json_out=False, timeout=120)
    assert guest_env.domains() == {}
    assert sorted(os.listdir(guest_env.instances_path)) == ['_base']
    rest = Rest(cc.cloud)
    assert rest.get('/servers').json()['servers'] == []


def test_corrupted_image_is_not_booted(lv_cloud, guest_env, test_image):
    """Image data damaged in the store after upload: the compute host's
    download fails its hash check, nothing is cached and no guest starts."""
    cc = lv_cloud
    img = cc.openstack('image', 'create', '--disk-format', 'qcow2', '--container-format',
                       'bare', '--public', '--file', test_image, 'busybox-bad')
    stored = os.path.join(cc.cloud.state_path, 'images', img['id'])
    with open(stored, 'r+b') as f:
        f.seek(-1, os.SEEK_END)
        last = f.read(1)
        f.seek(-1, os.SEEK_END)
        f.write(bytes([last[0] ^ 0xff]))
    cc.openstack('flavor', 'create', '--ram', '128', '--disk', '1', '--vcpus', '1',
                 'probe.nano')
    cc.openstack('server', 'create', '--image', 'busybox-bad', '--flavor', 'probe.nano',
                 '--nic', 'none', 'vm-bad')
    status(cc, 'vm-bad', 'ERROR')
    log = cc.daemons['iaas-compute-cmp1'].log()
    assert 'does not match' in log, log[-3000:]
    assert guest_env.domains() == {}
    base = os.path.join(guest_env.instances_path, '_base')
    assert not [n for n in os.listdir(base) if not n.startswith('.')]
    cc.openstack('server', 'delete', '--wait', 'vm-bad', json_out=False, timeout=120)
