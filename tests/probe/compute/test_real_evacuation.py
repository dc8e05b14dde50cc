"""A host dies with a real TCG guest on it, and the guest comes back on the
other host by itself (automatic recovery), on the same fixed and floating
IP; the dead host, restarted, does not start it again.

Two compute "hosts" h1 and h2: an iaas-compute each (libvirt driver) over a
private libvirtd each (:mod:`tests.probe.libvirt.hosts`: one uuid may
be defined on both, as on two machines); the control plane and
iaas-network (flat_dhcp, in the "host" namespace that serves as the network
node, with floating IPs reached from an "external" namespace) as processes.
``[recovery]`` is on with auto_fence: "host 1" is SIGKILLed whole (its
iaas-compute, libvirtd, virtlogd and the QEMU of its guest), and the HA
server must be ACTIVE on h2 within grace_period + 60 s and answer pings on
its floating IP from outside, with the same addresses.

Test plumbing as tests/probe/network/test_guests_e2e.py (root bridges).
"""
import contextlib
import shutil
import subprocess
import time

import pytest

from tests.probe.compute.helpers import FAST, Rest, merge
from tests.probe.fixtures import Cloud, wait_for_port
from tests.probe.libvirt.conftest import guest_env, libvirtd, libvirtd_running, test_image  # noqa: F401
from tests.probe.libvirt.hosts import libvirt_hosts, multi_host_guests
from tests.probe.network.netns import Topology
from tests.probe.network.test_guests_e2e import Lab
from tests.probe.network.test_netns_single_host import _iptables_rules

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800), multi_host_guests,
              pytest.mark.skipif(not shutil.which('dnsmasq') or not shutil.which('unshare'),
                                 reason='needs dnsmasq and unshare')]
GRACE = 10
BOOT = 240


@pytest.fixture
def hosts_lab(tmp_path, guest_env, test_image):  # noqa: F811
    with contextlib.ExitStack() as stack:
        topo = Topology(tmp_path)
        stack.callback(topo.cleanup)
        host, ext = topo.ns('host'), topo.ns('ext')
        topo.veth(host, 'pub0', ext, 'eth0')
        topo.addr(host, 'pub0', '172.24.7.1/24')
        topo.addr(ext, 'eth0', '172.24.7.254/24')
        lvs = stack.enter_context(libvirt_hosts())
        cloud = Cloud.create(tmp_path, sections=merge(FAST, {
            'service_user': {'password': 'admin-secret-1'},
            'network': {'network_manager': 'flat_dhcp', 'netns': host,
                        'dnsmasq_user': 'root', 'public_interface': 'pub0',
                        'bridge_prefix': topo.prefix},
            'compute': {'compute_driver': 'libvirt', 'max_concurrent_builds': 2,
                        'shutdown_timeout': 10},
            'libvirt': {'domain_prefix': guest_env.prefix, 'image_cache_interval': 0},
            'recovery': {'enabled': True, 'grace_period': GRACE, 'auto_fence': True,
                         'interval': 2}}))
        stack.callback(cloud.stop_all)      # first: the daemons, then the hosts, the netns
        cloud.start('iaas-api')
        wait_for_port(cloud.ports['compute_port'], what='compute API')
        cloud.start('iaas-image', wait_port=cloud.ports['image'])
        cloud.start('iaas-scheduler', wait_port=False)
        lab = Lab(tmp_path, topo, cloud)
        lab.lvs, lab.configs = dict(zip(('h1', 'h2'), lvs, strict=True)), {}
        for h, lv in lab.lvs.items():
            lab.configs[h] = cloud.host_config(h, {
                'compute': {'instances_path': lv.instances_path},
                'libvirt': {'connection_uri': lv.uri}}, database=False)
            start_compute(lab, h)
        cloud.start('iaas-network', wait_port=False)
        topo.wait('iaas-network', lambda: any('iaas-FORWARD' in x
                                              for x in _iptables_rules(topo, host)))
        Rest(cloud)
        lab.os('network', 'create', '--external', 'public')
        lab.os('subnet', 'create', '--network', 'public', '--subnet-range', '172.24.7.0/24',
               '--no-dhcp', '--gateway', 'none', '--allocation-pool',
               'start=172.24.7.10,end=172.24.7.30', 'public-sub')
        lab.prefix = guest_env.prefix
        yield lab


def start_compute(lab, host):
    lab.cloud.start('iaas-compute', config_file=lab.configs[host], wait_port=False,
                    key=f'iaas-compute-{host}')


def qemu_processes(uuid):
    out = subprocess.run(['pgrep', '-f', f'qemu-system.*{uuid}'], capture_output=True,
                         text=True).stdout.split()
    return len(out)


def test_ha_guest_survives_its_host(hosts_lab, test_image):  # noqa: F811
    lab = hosts_lab
    lab.os('image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare',
           '--public', '--file', test_image, 'busybox')
    lab.os('flavor', 'create', '--ram', '128', '--disk', '1', '--vcpus', '1', 'probe.nano')
    lab.project_network('hanet', '10.94.0.0/24')
    lab.rule('--protocol', 'icmp')
    lab.os('compute', 'service', 'set', '--disable', 'h2', 'iaas-compute', json_out=False)
    srv = lab.os('server', 'create', '--image', 'busybox', '--flavor', 'probe.nano',
                 '--network', 'hanet', '--property', 'HA_Enabled=True', '--wait', 'ha1',
                 timeout=300)
    lab.os('compute', 'service', 'set', '--enable', 'h2', 'iaas-compute', json_out=False)
    sid = srv['id']
    assert srv['status'] == 'ACTIVE' and srv['OS-EXT-SRV-ATTR:host'] == 'h1', srv
    fixed = lab.os('server', 'show', 'ha1')['addresses']['hanet'][0]
    assert lab.console_line('ha1', 'IAAS-TEST-IMAGE-DHCP').strip() == \
        f'IAAS-TEST-IMAGE-DHCP eth0 {fixed}'
    faddr = lab.floating_ip('ha1')
    assert lab.topo.reach(lab.ext, faddr, timeout=60)

    # host 1 dies: its compute daemon, libvirtd, virtlogd and the guest's QEMU
    lab.cloud.kill('iaas-compute-h1')
    lab.lvs['h1'].kill()
    t0 = time.monotonic()
    assert qemu_processes(sid) == 0 and lab.topo.unreachable(lab.ext, faddr)

    def back():
        s = lab.os('server', 'show', 'ha1')
        ok = s['status'] == 'ACTIVE' and not s.get('OS-EXT-STS:task_state') and \
            s['OS-EXT-SRV-ATTR:host'] == 'h2'
        return s if ok else None
    s = lab.topo.wait('ha1 ACTIVE on h2', back, timeout=GRACE + 60, interval=1)
    active_after = time.monotonic() - t0
    assert s['id'] == sid and s['addresses']['hanet'] == [fixed, faddr], s['addresses']
    assert lab.topo.reach(lab.ext, faddr, timeout=BOOT)
    reachable_after = time.monotonic() - t0
    print(f'\nACTIVE on h2 {active_after:.1f} s after the kill (grace {GRACE} s); '
          f'floating IP answering after {reachable_after:.1f} s')
    moves = lab.os('server', 'migration', 'list', '--server', sid)
    assert [(m['Type'], m['Source Compute'], m['Dest Compute']) for m in moves] == [
        ('evacuation', 'h1', 'h2')]

    # host 1 comes back: its stale (stopped) domain goes before it serves
    lv1 = lab.lvs['h1'].start()
    assert sid in lv1.domains(lab.prefix)              # still defined there
    start_compute(lab, 'h1')
    lab.topo.wait('stale guest gone from h1', lambda: sid not in lv1.domains(lab.prefix),
                  timeout=60)
    assert {u: bool(d.isActive()) for u, d in lab.lvs['h2'].domains(lab.prefix).items()} == \
        {sid: True}
    assert qemu_processes(sid) == 1
    assert lab.topo.reach(lab.ext, faddr, timeout=30)
    moves = lab.os('server', 'migration', 'list', '--server', sid)
    assert [m['Status'] for m in moves] == ['completed']
    lab.os('server', 'delete', '--wait', 'ha1', json_out=False, timeout=300)
