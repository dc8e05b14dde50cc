"""The serial console of a real guest (the busybox test image under
libvirtd, TCG): unmodified python-openstackclient asks for the console URL,
iaas-serialproxy (its own daemon) relays the websocket to the guest's TCP
serial port; the test reads the boot line through it and types a command
into the guest's shell. The console log keeps being written meanwhile."""
import re

import pytest

from tests.console_client import Console, refusal
from tests.probe.compute.helpers import start_compute_cloud
from tests.probe.libvirt.conftest import MARKER, libvirt, marker_lines, wait_for

pytestmark = pytest.mark.slow
BOOT = 150


@pytest.fixture
def console_cloud(tmp_path, guest_env, test_image):
    cc = start_compute_cloud(tmp_path, hosts=('cmp1',), sections={
        'compute': {'compute_driver': 'libvirt', 'instances_path': guest_env.instances_path,
                    'max_concurrent_builds': 1, 'shutdown_timeout': 60},
        'libvirt': {'domain_prefix': guest_env.prefix, 'image_cache_interval': 0},
        'serial_console': {'enabled': True, 'serialproxy_host': '127.0.0.1',
                           'proxyclient_address': '127.0.0.1'}})
    try:
        cc.cloud.start('iaas-serialproxy',
                       wait_port=cc.cloud.ports['serial_console.serialproxy_port'])
    except BaseException:
        cc.stop(check_logs=False)
        raise
    yield cc
    cc.stop()


def test_serial_console_of_a_real_guest(console_cloud, guest_env, test_image):
    cc = console_cloud
    cc.openstack('image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare',
                 '--public', '--file', test_image, 'busybox')
    cc.openstack('flavor', 'create', '--ram', '128', '--disk', '1', '--vcpus', '1',
                 'probe.nano')
    srv = cc.openstack('server', 'create', '--image', 'busybox', '--flavor', 'probe.nano',
                       '--nic', 'none', '--wait', 'vm1', timeout=300)
    assert srv['status'] == 'ACTIVE', srv
    sid = srv['id']
    wait_for(lambda: marker_lines(guest_env.console(sid)), BOOT, interval=1,
             what='boot marker in console.log')
    xml = guest_env.domain(sid).XMLDesc(0)
    assert re.search(r"<serial type=['\"]tcp['\"]", xml), xml

    url = cc.openstack('console', 'url', 'show', '--serial', 'vm1')['url']
    assert url.startswith(f"ws://127.0.0.1:{cc.cloud.ports['serial_console.serialproxy_port']}/")
    with Console(url, timeout=30) as con:
        con.type('\r')
        con.type('cat /iaas-boot-line\r')
        con.expect(rf'{MARKER} uuid={sid} hostname=vm1 boot=1'.encode(), timeout=60)
        con.type('echo hi-$RANDOM\r')
        said = con.expect(rb'hi-(\d+)', timeout=60).group(0).decode()
    # the log is written with the TCP serial port too
    wait_for(lambda: said in guest_env.console(sid), 30, interval=0.5,
             what=f'{said} in console.log')
    assert guest_env.state(sid) == libvirt.VIR_DOMAIN_RUNNING
    # the URL worked once
    assert refusal(url) == 403
