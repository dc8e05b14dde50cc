"""Cold migration of a real TCG guest between two libvirt "hosts" on this
machine (two extra libvirtd daemons, tests/probe/libvirt/hosts.py), each
with its own iaas-compute daemon and instances path; ``[libvirt]
migration_staging_dir`` is one directory both see (as a shared mount
would be). Driven by unmodified python-openstackclient.

* A running server, ``server migrate --host`` then ``server migration
  confirm``: in VERIFY_RESIZE the guest runs on the second libvirtd and is
  still defined, shut off, on the first; it booted again there from the
  *same* disk (its boot marker says boot=2, and a file the guest wrote
  before the move is there); after the confirm the source's domain and
  directory are gone.
* A stopped server, ``server migrate`` then ``server migration revert``:
  in VERIFY_RESIZE the guest is defined on the second host but never
  started; after the revert the server is SHUTOFF on the first host again
  with its own overlay, the second host's domain and directory are gone,
  and the guest starts there (boot=2).
* A running server, migrated (it boots over there, boot=2) and reverted:
  ACTIVE on the first host again, booted from its own overlay, which never
  saw the boot over there (boot=2 again), the second host cleaned.

The times the moves took are printed: polled through the compute API every
0.2 s from the start of the ``openstack`` command (whose own start-up, one
to a few seconds, is included and printed apart)."""
import json
import os
import random
import shutil
import subprocess
import tempfile
import time

import pytest

from tests.probe.compute.helpers import Rest, deadline_poll, start_compute_cloud
from tests.probe.libvirt.conftest import (
    MARKER,
    libvirt,
    marker_lines,
    serial_line,
    serial_port,
    wait_for,
)
from tests.probe.libvirt.hosts import host_sections, libvirt_hosts, multi_host_guests

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900), multi_host_guests]
BOOT = 150
V = ('--os-compute-api-version', '2.56')     # migrate --host


@pytest.fixture
def cm_cloud(tmp_path, test_image):
    if not shutil.which('libvirtd') or not shutil.which('qemu-system-x86_64'):
        pytest.skip('libvirtd / qemu-system-x86_64 not installed (tools/setup.sh)')
    prefix = f'iaas-cm{random.randrange(1 << 24):06x}-'
    staging = tempfile.mkdtemp(prefix='iaas-cm-staging-', dir='/tmp')
    try:
        with libvirt_hosts() as (h1, h2):
            sections = host_sections((('cm1', h1), ('cm2', h2)),
                                     random.randrange(31000, 33800, 200))
            cc = start_compute_cloud(tmp_path, hosts=('cm1', 'cm2'), sections={
                'compute': {'compute_driver': 'libvirt', 'max_concurrent_builds': 1,
                            'shutdown_timeout': 30},
                'libvirt': {'domain_prefix': prefix, 'image_cache_interval': 0,
                            'migration_staging_dir': staging},
                'serial_console': {'enabled': True, 'proxyclient_address': '127.0.0.1'}},
                host_sections=sections)
            try:
                cc.openstack('image', 'create', '--disk-format', 'qcow2',
                             '--container-format', 'bare', '--public', '--file', test_image,
                             'busybox')
                cc.openstack('flavor', 'create', '--ram', '128', '--disk', '1', '--vcpus',
                             '1', 'cm.nano')
                cc.rest = Rest(cc.cloud)
                yield cc, {'cm1': h1, 'cm2': h2}, prefix, staging
            finally:
                cc.stop()
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _settled(cc, sid, status, timeout=300):
    """The server (compute API, polled every 0.2 s) once it is in
    ``status`` with no task; the compute logs in the failure's message."""
    try:
        return cc.rest.wait_status(sid, status, timeout)
    except AssertionError as exc:
        logs = {h: cc.daemons[f'iaas-compute-{h}'].log()[-2000:] for h in cc.hosts}
        raise AssertionError(f'{exc}\n{logs}') from None


def _console(lv, sid):
    """The guest's console log on host ``lv`` (virtlogd writes it there)."""
    try:
        with open(os.path.join(lv.instances_path, sid, 'console.log'), 'rb') as f:
            return f.read().decode(errors='replace')
    except FileNotFoundError:
        return ''


def _markers(cc, name):
    return marker_lines(cc.openstack('console', 'log', 'show', name, json_out=False).stdout)


def _boot(cc, lv, prefix, name):
    """Create ``name``; (uuid, its host, the other host) once it booted."""
    srv = cc.openstack('server', 'create', '--image', 'busybox', '--flavor', 'cm.nano',
                       '--nic', 'none', '--wait', name, timeout=300)
    assert srv['status'] == 'ACTIVE', srv
    sid = srv['id']
    src = cc.openstack('server', 'show', name)['OS-EXT-SRV-ATTR:host']
    first = wait_for(lambda: _markers(cc, name) or None, BOOT, interval=1,
                     what=f'{name} booted')
    assert first == [f'{MARKER} uuid={sid} hostname={name} boot=1']
    assert sid in lv[src].domains(prefix)
    return sid, src, 'cm2' if src == 'cm1' else 'cm1'


def _disk(lv, sid):
    """qemu-img info of the guest's disk on host ``lv``."""
    path = os.path.join(lv.instances_path, sid, 'disk')
    return json.loads(subprocess.run(['qemu-img', 'info', '-U', '--output=json', path],
                                     capture_output=True, text=True, check=True).stdout)


def _run(cc, sid, status, *args, timeout=300):
    """``openstack ARGS``, then the server in ``status``: (server, seconds
    in all, seconds the command itself took)."""
    t0 = time.monotonic()
    cc.openstack(*args, json_out=False)
    cli = time.monotonic() - t0
    shown = _settled(cc, sid, status, timeout)
    return shown, time.monotonic() - t0, cli


def _migration_status(cc, sid):
    rows = cc.openstack('--os-compute-api-version', '2.59', 'server', 'migration', 'list',
                        '--server', sid)
    return [(m['Type'], m['Source Compute'], m['Dest Compute'], m['Status']) for m in rows]



def _gone_from(host, name, sid, prefix):
    """Wait until the guest's domain and its directory are gone from ``host``."""
    deadline_poll(lambda: sid not in host.domains(prefix), 60,
                  what=f'the domain on {name} gone')
    deadline_poll(lambda: not os.path.exists(os.path.join(host.instances_path, sid)), 30,
                  what=f'the directory on {name} gone')


def _delete(cc, host, name, sid, prefix):
    """Delete the server; its domain is gone from ``host``."""
    cc.openstack('server', 'delete', '--wait', name, json_out=False, timeout=120)
    deadline_poll(lambda: sid not in host.domains(prefix), 60, what='domain gone')

def test_cold_migration_of_a_running_guest_then_confirm(cm_cloud):
    cc, lv, prefix, staging = cm_cloud
    sid, src, dst = _boot(cc, lv, prefix, 'vm1')
    # the guest writes a file on its root disk (the line waited for is not
    # the typed one: the shell computes the 42)
    token = f'{random.randrange(1 << 32):08x}'
    port = serial_port(lv[src].domains(prefix)[sid])
    serial_line(port, f'echo cm-$((6*7))-{token} > /mnt/root/cm-token; sync; '
                      'cat /mnt/root/cm-token', rf'cm-42-{token}')

    shown, took, cli = _run(cc, sid, 'VERIFY_RESIZE', *V, 'server', 'migrate', '--host',
                            dst, 'vm1')
    t_moved = time.monotonic()
    assert shown['OS-EXT-SRV-ATTR:host'] == dst, shown
    # the guest runs on the second libvirtd, still defined and off on the first
    dom = lv[dst].domains(prefix)[sid]
    assert dom.state()[0] == libvirt.VIR_DOMAIN_RUNNING and dom.isPersistent()
    old = lv[src].domains(prefix)[sid]
    assert old.state()[0] == libvirt.VIR_DOMAIN_SHUTOFF and old.isPersistent()
    assert os.listdir(staging) == []
    # a standalone copy of the disk (no backing file) over there, the overlay here
    copied = _disk(lv[dst], sid)
    assert 'backing-filename' not in copied
    assert 'backing-filename' in _disk(lv[src], sid)
    # the same disk booted again over there: its boot count and the file
    wait_for(lambda: marker_lines(_console(lv[dst], sid)), BOOT, interval=0.2,
             what=f'vm1 booted on {dst}')
    booted = time.monotonic() - t_moved
    assert _markers(cc, 'vm1') == [f'{MARKER} uuid={sid} hostname=vm1 boot=2']
    out = serial_line(serial_port(dom), 'cat /mnt/root/cm-token', rf'cm-42-{token}')
    assert f'cm-42-{token}' in out
    src_log = cc.daemons[f'iaas-compute-{src}'].log()
    assert f'disk of {sid} staged at' in src_log, src_log[-3000:]

    t0 = time.monotonic()
    cc.openstack('server', 'migration', 'confirm', 'vm1', json_out=False)
    shown = _settled(cc, sid, 'ACTIVE', timeout=60)
    assert shown['OS-EXT-SRV-ATTR:host'] == dst
    _gone_from(lv[src], src, sid, prefix)
    confirmed = time.monotonic() - t0
    assert lv[dst].domains(prefix)[sid].state()[0] == libvirt.VIR_DOMAIN_RUNNING
    assert _migration_status(cc, sid) == [('migration', src, dst, 'confirmed')]
    print(f'\ncold migration of a running guest: VERIFY_RESIZE {took:.1f} s after '
          f'"openstack server migrate --host" began (the command: {cli:.1f} s; '
          f'{copied["actual-size"] / (1 << 20):.0f} MiB of flattened disk copied), booted '
          f'on {dst} {booted:.1f} s later; the source cleaned {confirmed:.1f} s after '
          f'"server migration confirm" began')

    _delete(cc, lv[dst], 'vm1', sid, prefix)


def test_cold_migration_of_a_stopped_guest_then_revert(cm_cloud):
    cc, lv, prefix, staging = cm_cloud
    sid, src, dst = _boot(cc, lv, prefix, 'vm2')
    overlay = _disk(lv[src], sid)
    _run(cc, sid, 'SHUTOFF', 'server', 'stop', 'vm2', timeout=120)

    shown, took, cli = _run(cc, sid, 'VERIFY_RESIZE', *V, 'server', 'migrate', '--host',
                            dst, 'vm2')
    assert shown['OS-EXT-SRV-ATTR:host'] == dst, shown
    # defined over there, never started; still defined here
    dom = lv[dst].domains(prefix)[sid]
    assert dom.state()[0] == libvirt.VIR_DOMAIN_SHUTOFF and dom.isPersistent()
    assert lv[src].domains(prefix)[sid].state()[0] == libvirt.VIR_DOMAIN_SHUTOFF
    assert 'backing-filename' not in _disk(lv[dst], sid)
    assert os.listdir(staging) == []
    assert _console(lv[dst], sid) == ''

    shown, reverted, rcli = _run(cc, sid, 'SHUTOFF', 'server', 'migration', 'revert', 'vm2',
                                 timeout=120)
    assert shown['OS-EXT-SRV-ATTR:host'] == src, shown
    _gone_from(lv[dst], dst, sid, prefix)
    back = lv[src].domains(prefix)[sid]
    assert back.state()[0] == libvirt.VIR_DOMAIN_SHUTOFF
    # its own overlay, over the same base image
    assert _disk(lv[src], sid)['backing-filename'] == overlay['backing-filename']
    assert _migration_status(cc, sid) == [('migration', src, dst, 'reverted')]

    # and it starts there from that disk
    _run(cc, sid, 'ACTIVE', 'server', 'start', 'vm2', timeout=120)
    log = wait_for(lambda: [m for m in _markers(cc, 'vm2') if m.endswith('boot=2')] or None,
                   BOOT, interval=1, what=f'vm2 booted again on {src}')
    assert log == [f'{MARKER} uuid={sid} hostname=vm2 boot=2'], log
    print(f'\ncold migration of a stopped guest: VERIFY_RESIZE {took:.1f} s after '
          f'"openstack server migrate --host" began (the command: {cli:.1f} s); SHUTOFF on '
          f'{src} again {reverted:.1f} s after "server migration revert" began (the '
          f'command: {rcli:.1f} s)')

    _delete(cc, lv[src], 'vm2', sid, prefix)


def test_cold_migration_of_a_running_guest_then_revert(cm_cloud):
    """The guest booted on the copy over there (boot=2); reverted, it boots
    again here from its own overlay, which never saw that boot: boot=2."""
    cc, lv, prefix, staging = cm_cloud
    sid, src, dst = _boot(cc, lv, prefix, 'vm3')
    _run(cc, sid, 'VERIFY_RESIZE', *V, 'server', 'migrate', '--host', dst, 'vm3')
    wait_for(lambda: marker_lines(_console(lv[dst], sid)), BOOT, interval=0.2,
             what=f'vm3 booted on {dst}')
    assert marker_lines(_console(lv[dst], sid)) == [
        f'{MARKER} uuid={sid} hostname=vm3 boot=2']

    shown, reverted, cli = _run(cc, sid, 'ACTIVE', 'server', 'migration', 'revert', 'vm3',
                                timeout=120)
    assert shown['OS-EXT-SRV-ATTR:host'] == src, shown
    _gone_from(lv[dst], dst, sid, prefix)
    assert lv[src].domains(prefix)[sid].state()[0] == libvirt.VIR_DOMAIN_RUNNING
    log = wait_for(lambda: [m for m in marker_lines(_console(lv[src], sid))
                            if not m.endswith('boot=1')] or None,
                   BOOT, interval=0.2, what=f'vm3 booted again on {src}')
    assert log == [f'{MARKER} uuid={sid} hostname=vm3 boot=2'], log
    assert _migration_status(cc, sid) == [('migration', src, dst, 'reverted')]
    print(f'\nrevert of the cold migration of a running guest: ACTIVE on {src} again '
          f'{reverted:.1f} s after "server migration revert" began (the command: '
          f'{cli:.1f} s)')

    _delete(cc, lv[src], 'vm3', sid, prefix)
