"""The Debian cloud-init test image under the libvirt driver: real cloud-init
reads our config drive (instance id, hostname, user data, SSH key), and the
guest shuts down cleanly on ACPI. Slow: builds the image once (~3 min,
cached in /tmp/iaas-test-image/) and boots Debian under TCG (~75 s+)."""
import base64
import os
import subprocess
import time
import uuid

import pytest

from iaas import states
from tests.probe.libvirt.conftest import IMAGE_DIR, ROOT, libvirt, marker_lines, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]


@pytest.fixture(scope='session')
def cloud_image():
    # The two Debian cloud-init guests (here and tests/probe/network) take about
    # 6 min on the 2-CPU CI machine with the image build: CI leaves them out to
    # stay inside its 90 minutes; `make test` elsewhere, or
    # IAAS_TEST_DEBIAN_GUESTS=1, runs them.
    if os.environ.get('CI') == 'true' and os.environ.get('IAAS_TEST_DEBIAN_GUESTS') != '1':
        pytest.skip('Debian cloud-init guests are left out of CI (IAAS_TEST_DEBIAN_GUESTS=1 '
                    'runs them)')
    path = os.path.join(IMAGE_DIR, 'debian-cloud.qcow2')
    r = subprocess.run([os.path.join(ROOT, 'tools', 'build-test-image.sh'), '--cloud', path],
                       capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stdout + r.stderr
    return path


def test_cloud_init_reads_config_drive(conf, guest_env, cloud_image):
    import shutil

    from iaas.compute.virt.libvirt.driver import LibvirtDriver
    conf.set_override('instances_path', guest_env.instances_path, group='compute')
    conf.set_override('domain_prefix', guest_env.prefix, group='libvirt')
    try:
        drv = LibvirtDriver('probe-host')
        drv.cache.fetcher = lambda iid, dest: (shutil.copy(cloud_image, dest),
                                               {'disk_format': 'qcow2'})[1]
        drv.init_host()
        user_data = ('#cloud-config\nruncmd:\n - echo IAAS-USERDATA-RAN > /dev/ttyS0\n'
                     ' - [sh, -c, "echo IAAS-KEYS=$(cat /home/debian/.ssh/authorized_keys)'
                     ' > /dev/ttyS0"]\n')
        vm = {'uuid': str(uuid.uuid4()), 'display_name': 'vm-cloud', 'hostname': 'vm-cloud',
              'vcpus': 1, 'memory_mb': 512, 'root_gb': 3, 'image_ref': 'img-cloud',
              'key_name': 'k', 'key_data': 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKtest k@x',
              'user_data': base64.b64encode(user_data.encode()).decode(),
              'flavor': {'name': 'probe.small'}}
        drv.spawn(None, vm, {'id': 'img-cloud'})
        lines = wait_for(lambda: marker_lines(drv.get_console_output(None, vm)), 420,
                         interval=1, what='cloud image marker')
        assert lines[0] == f'IAAS-TEST-IMAGE-BOOTED uuid={vm["uuid"]} hostname=vm-cloud ' \
                           f'boot=cloud'
        # runcmd (user data) runs after the per-boot marker script
        wait_for(lambda: 'IAAS-KEYS=' in drv.get_console_output(None, vm), 120,
                 interval=1, what='user data ran')
        out = drv.get_console_output(None, vm)
        assert 'IAAS-USERDATA-RAN' in out
        assert f'IAAS-KEYS={vm["key_data"]}' in out        # the SSH key was injected
        t0 = time.monotonic()
        drv.power_off(vm, timeout=120)
        assert time.monotonic() - t0 < 120, 'ACPI shutdown ignored; forced off'
        assert guest_env.state(vm['uuid']) == libvirt.VIR_DOMAIN_SHUTOFF
        assert drv.get_info(vm)['power_state'] == states.SHUTDOWN
        drv.destroy(None, vm)
        assert guest_env.domains() == {}
    finally:
        conf.clear_override('instances_path', group='compute')
        conf.clear_override('domain_prefix', group='libvirt')
