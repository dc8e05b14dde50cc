"""Extra libvirt "hosts" on this machine, for probes that need two of them
(live migration, a host that dies): /work/shared/libvirt-two-hosts.md.

Each host is a private libvirtd (and virtlogd) in a mount namespace of its
own (``unshare --mount --propagation private``) in which directories of a
per-run directory under /tmp are bind-mounted over /etc/libvirt,
/run/libvirt, /var/lib/libvirt, /var/log/libvirt and /var/cache/libvirt, so
two hosts may each hold a guest of the same uuid, as two machines do. Each
has a host_uuid of its own and leaves cgroups alone (``cgroup_controllers =
[ ]``: both daemons would otherwise name their first guest's scope alike and
clash on cleanup). With ``tcp=True`` host N listens without auth on
127.0.0.(N+1):(16610+N) and migrates on that address, ports
(49100+100N)…(+63). The machine's own libvirtd is never signalled: only
processes of our pid files that live in another mount namespace are.

Teardown (also after a failure): every domain on every host destroyed and
undefined (QEMU keeps the namespace alive), then libvirtd and virtlogd
stopped, then the directory removed.

Test plumbing, not product.
"""
import contextlib
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid

import pytest

from tests.probe.compute.helpers import deadline_poll

libvirt = pytest.importorskip('libvirt')

# Real TCG guests on two extra libvirtds take 1.5-3.5 min per probe: CI (CI=true,
# set by .ci/run) leaves them out to stay inside its 90 minutes.
multi_host_guests = pytest.mark.skipif(
    os.environ.get('CI') == 'true' and os.environ.get('IAAS_TEST_MULTI_HOST_GUESTS') != '1',
    reason='guests on two extra libvirtd hosts are left out of CI '
           '(IAAS_TEST_MULTI_HOST_GUESTS=1 runs them)')

START = """#!/bin/sh
set -e
for pair in etc:/etc/libvirt run:/run/libvirt lib:/var/lib/libvirt log:/var/log/libvirt \\
            cache:/var/cache/libvirt; do
    mkdir -p "${{pair#*:}}"
    mount --bind "{d}/${{pair%%:*}}" "${{pair#*:}}"
done
virtlogd -d -p "{d}/virtlogd.pid"
libvirtd -d -l -p "{d}/libvirtd.pid"
"""


def _alive(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rpartition(')')[2].split()[0] != 'Z'    # a zombie is gone
    except OSError:
        return False


class LibvirtHost:
    def __init__(self, base, n, tcp=False):
        self.name = f'h{n}'
        self.dir = os.path.join(base, self.name)
        self.instances_path = os.path.join(base, f'{self.name}-instances')
        self.host_uuid = str(uuid.uuid4())
        self.conn = None
        for sub in ('etc', 'run', 'lib', 'log', 'cache'):
            os.makedirs(os.path.join(self.dir, sub, 'qemu'))
        os.makedirs(self.instances_path, mode=0o755)
        daemon = f'listen_tls = 0\nlisten_tcp = {int(tcp)}\nhost_uuid = "{self.host_uuid}"\n'
        qemu = 'cgroup_controllers = [ ]\nuser = "root"\ngroup = "root"\n'
        # the unix socket's path must fit in 108 bytes: base is short
        self.uri = f'qemu+unix:///system?socket={self.dir}/run/libvirt-sock'
        if tcp:
            self.addr, self.port = f'127.0.0.{n + 1}', 16610 + n
            self.migration_ports = (49100 + 100 * n, 49163 + 100 * n)
            self.uri = f'qemu+tcp://{self.addr}:{self.port}/system'
            self.inbound = f'{self.addr}:{self.port}'
            daemon += f'listen_addr = "{self.addr}"\ntcp_port = "{self.port}"\nauth_tcp = "none"\n'
            qemu += (f'migration_address = "{self.addr}"\nmigration_host = "{self.addr}"\n'
                     'migration_port_min = {}\nmigration_port_max = {}\n'
                     .format(*self.migration_ports))
        for name, text in (('etc/libvirtd.conf', daemon), ('etc/qemu.conf', qemu),
                           ('start.sh', START.format(d=self.dir))):
            with open(os.path.join(self.dir, name), 'w') as f:
                f.write(text)
        os.chmod(os.path.join(self.dir, 'start.sh'), 0o755)

    def start(self, timeout=30):
        r = subprocess.run(['unshare', '--mount', '--propagation', 'private', '--',
                            os.path.join(self.dir, 'start.sh')],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f'{self.name}: {r.stdout}{r.stderr}'
        self.conn = deadline_poll(self._open, timeout, what=f'libvirtd {self.name} ({self.uri})')
        return self

    def _open(self):
        with contextlib.suppress(libvirt.libvirtError):
            return libvirt.open(self.uri)

    def domains(self, prefix):
        """{uuid: virDomain} of the guests named ``prefix``… this host holds."""
        return {d.UUIDString(): d for d in self.conn.listAllDomains()
                if d.name().startswith(prefix)}

    def remove_domains(self):
        """Destroy and undefine every guest of this host."""
        with contextlib.suppress(libvirt.libvirtError, AttributeError):
            for d in self.conn.listAllDomains():
                with contextlib.suppress(libvirt.libvirtError):
                    if d.isActive():
                        d.destroy()
                with contextlib.suppress(libvirt.libvirtError):
                    d.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)

    def _signal(self, sig, files, timeout=20):
        """Send ``sig`` to the processes of pid ``files`` (in our namespace's
        paths) that run in another mount namespace; wait until they are gone."""
        ours, pids = os.readlink('/proc/self/ns/mnt'), []
        for path in files:
            with contextlib.suppress(OSError, ValueError):
                with open(path) as f:
                    pid = int(f.read().strip())
                if os.readlink(f'/proc/{pid}/ns/mnt') != ours:
                    os.kill(pid, sig)
                    pids.append(pid)
        end = time.monotonic() + timeout
        for pid in pids:
            while _alive(pid) and time.monotonic() < end:
                time.sleep(0.1)

    def kill(self):
        """SIGKILL the host: its guests (QEMU), libvirtd and virtlogd; a
        later :meth:`start` brings the daemons back with their state."""
        with contextlib.suppress(libvirt.libvirtError, AttributeError):
            self.conn.close()
        self.conn = None
        pidfiles = glob.glob(os.path.join(self.dir, 'run', 'qemu', '*.pid')) + [
            os.path.join(self.dir, f'{d}.pid') for d in ('libvirtd', 'virtlogd')]
        self._signal(signal.SIGKILL, pidfiles)
        # a killed daemon leaves its pid files and sockets: a restart makes new ones
        for path in pidfiles + glob.glob(os.path.join(self.dir, 'run', '*sock*')):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)

    def stop(self):
        """Stop libvirtd and virtlogd (SIGTERM), then SIGKILL whatever is left."""
        self._signal(signal.SIGTERM, [os.path.join(self.dir, f'{d}.pid')
                                      for d in ('libvirtd', 'virtlogd')])
        self.kill()


@contextlib.contextmanager
def libvirt_hosts(count=2, tcp=False):
    """``count`` started :class:`LibvirtHost` (h1, h2, …), all removed after."""
    base = tempfile.mkdtemp(prefix='iaas-lvh-', dir='/tmp')
    os.chmod(base, 0o755)
    hosts = []
    try:
        for n in range(1, count + 1):
            hosts.append(LibvirtHost(base, n, tcp))
            hosts[-1].start()
        yield hosts
    finally:
        for h in hosts:
            h.remove_domains()
        for h in hosts:
            h.stop()
        shutil.rmtree(base, ignore_errors=True)


def host_sections(hosts, serial_base, **libvirt_of):
    """The per-host config sections of iaas-compute daemons on ``hosts``
    ((name, libvirt host) pairs): each its instances path, its libvirtd's
    URI and a serial port range of its own (100 ports from
    ``serial_base``); ``libvirt_of``: more ``[libvirt]`` options, each a
    function of the libvirt host."""
    out = {}
    for i, (name, lv) in enumerate(hosts):
        lo = serial_base + 100 * i
        out[name] = {
            'compute': {'instances_path': lv.instances_path},
            'libvirt': {'connection_uri': lv.uri,
                        **{k: f(lv) for k, f in libvirt_of.items()}},
            'serial_console': {'port_range': f'{lo}:{lo + 99}'}}
    return out
