"""Live migration of a real TCG guest between two libvirt "hosts" on this
machine (two extra libvirtd daemons, tests/probe/libvirt/hosts.py), each
with its own iaas-compute daemon and instances path (no shared storage: a
block migration), driven by unmodified python-openstackclient.

Checked: the server is ACTIVE on the second host, its domain runs on the
second libvirtd and is gone from the first, the guest did not boot again
(its boot marker says boot=1, and the shell on its serial console, now
served by the second host, still answers with the same marker), the source's
directory is gone. The time the move took and the downtime libvirt measured
are printed."""
import json
import os
import random
import subprocess
import time

import pytest

from tests.probe.compute.helpers import deadline_poll, start_compute_cloud
from tests.probe.libvirt.conftest import (
    MARKER,
    libvirt,
    marker_lines,
    serial_line,
    serial_port,
    wait_for,
)
from tests.probe.libvirt.hosts import host_sections, libvirt_hosts, multi_host_guests

pytestmark = [pytest.mark.slow, multi_host_guests]
BOOT = 150


@pytest.fixture
def lm_cloud(tmp_path, libvirtd_running, test_image):
    prefix = f'iaas-lm{random.randrange(1 << 24):06x}-'
    with libvirt_hosts(tcp=True) as (h1, h2):
        sections = host_sections((('lm1', h1), ('lm2', h2)),
                                 random.randrange(20000, 30000, 200),
                                 live_migration_inbound_addr=lambda lv: lv.inbound)
        cc = start_compute_cloud(tmp_path, hosts=('lm1', 'lm2'), sections={
            'compute': {'compute_driver': 'libvirt', 'max_concurrent_builds': 1,
                        'shutdown_timeout': 30},
            'libvirt': {'domain_prefix': prefix, 'image_cache_interval': 0,
                        'live_migration_uri': 'qemu+tcp://%s/system',
                        'live_migration_timeout': 120},
            'serial_console': {'enabled': True, 'proxyclient_address': '127.0.0.1'}},
            host_sections=sections)
        try:
            yield cc, {'lm1': h1, 'lm2': h2}, prefix
        finally:
            cc.stop()


def test_live_migration_of_a_running_guest(lm_cloud, test_image):
    cc, lv, prefix = lm_cloud
    cc.openstack('image', 'create', '--disk-format', 'qcow2', '--container-format', 'bare',
                 '--public', '--file', test_image, 'busybox')
    cc.openstack('flavor', 'create', '--ram', '128', '--disk', '1', '--vcpus', '1',
                 'lm.nano')
    srv = cc.openstack('server', 'create', '--image', 'busybox', '--flavor', 'lm.nano',
                       '--nic', 'none', '--wait', 'vm1', timeout=300)
    assert srv['status'] == 'ACTIVE', srv
    sid = srv['id']
    src = cc.openstack('server', 'show', 'vm1')['OS-EXT-SRV-ATTR:host']
    dst = 'lm2' if src == 'lm1' else 'lm1'

    def booted():
        lines = marker_lines(cc.openstack('console', 'log', 'show', 'vm1',
                                          json_out=False).stdout)
        return lines or None
    first = wait_for(booted, BOOT, interval=1, what='vm1 booted')
    assert first == [f'{MARKER} uuid={sid} hostname=vm1 boot=1']
    assert sid in lv[src].domains(prefix)

    t0 = time.monotonic()
    r = cc.openstack('server', 'migrate', '--live-migration', '--host', dst,
                     '--block-migration', '--wait', 'vm1', json_out=False, timeout=300)
    total = time.monotonic() - t0
    shown = cc.openstack('server', 'show', 'vm1')
    assert shown['status'] == 'ACTIVE' and shown['OS-EXT-SRV-ATTR:host'] == dst, \
        (shown, r.stdout, r.stderr, cc.daemons[f'iaas-compute-{src}'].log()[-3000:])
    assert not shown.get('OS-EXT-STS:task_state')

    # the domain runs on the second libvirtd only
    dom = lv[dst].domains(prefix)[sid]
    assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING
    assert dom.isPersistent()
    assert sid not in lv[src].domains(prefix)
    done = dom.jobStats(libvirt.VIR_DOMAIN_JOB_STATS_COMPLETED)
    print(f'\nlive migration (openstack server migrate --live-migration --wait): '
          f'{total:.2f} s; libvirt: {done.get("time_elapsed")} ms in all, downtime '
          f'{done.get("downtime")} ms, {done.get("disk_processed", 0) >> 20} MiB disk and '
          f'{done.get("memory_processed", 0) >> 20} MiB memory sent')
    assert not os.path.exists(os.path.join(lv[src].instances_path, sid))
    # the guest's own writes (boot count, journal) came along: the new
    # overlay, empty when the destination made it, holds data of its own
    disk = os.path.join(lv[dst].instances_path, sid, 'disk')
    mapped = json.loads(subprocess.run(
        ['qemu-img', 'map', '-U', '--output=json', disk], capture_output=True, text=True,
        check=True).stdout)
    own = sum(e['length'] for e in mapped if e['depth'] == 0 and e['data'])
    print(f'{own >> 10} KiB of the guest\'s writes in the overlay on {dst}')
    assert own > 0, mapped

    # the same boot goes on: the serial shell, now on the second host, answers
    # with the boot's marker (boot=1), and the console log there shows it
    port = serial_port(dom)
    out = serial_line(port, 'cat /iaas-boot-line', r'hostname=vm1 boot=')
    assert f'uuid={sid} hostname=vm1 boot=1' in out, out
    assert 'boot=2' not in out
    log = wait_for(lambda: [m for m in marker_lines(cc.openstack(
        'console', 'log', 'show', 'vm1', json_out=False).stdout)] or None, 30,
        what=f'the marker in the log on {dst}')
    assert all(line.endswith('boot=1') for line in log), log
    log1 = cc.daemons[f'iaas-compute-{src}'].log()
    assert f'instance {sid} live-migrated to {dst}' in log1, log1[-3000:]

    cc.openstack('server', 'delete', '--wait', 'vm1', json_out=False, timeout=120)
    deadline_poll(lambda: sid not in lv[dst].domains(prefix), 60, what='domain gone')
