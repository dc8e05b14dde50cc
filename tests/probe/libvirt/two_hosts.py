"""Two extra libvirtd "hosts" on this machine, for live migration probes.

The recipe of /work/shared/libvirt-two-hosts.md: each daemon runs in a
mount namespace of its own (``unshare --mount --propagation private``) in
which its per-run directories are bind-mounted over /etc/libvirt,
/run/libvirt, /var/lib/libvirt, /var/log/libvirt and /var/cache/libvirt; it
listens on TCP at its own loopback address (127.0.0.2, 127.0.0.3) without
auth, has a host_uuid of its own, migrates on its own address and port
range, and leaves cgroups alone (``cgroup_controllers = [ ]``: both daemons
would otherwise name their first guest's scope alike and clash on cleanup).
The machine's own libvirtd is never touched.

Teardown (also after a failure): every domain on both hosts destroyed and
undefined (QEMU keeps the namespace alive), then libvirtd and virtlogd
stopped by their pid files, then the directories removed.
"""
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid

from tests.probe.compute.helpers import deadline_poll

START = """#!/bin/sh
set -e
D={d}
for pair in etc:/etc/libvirt run:/run/libvirt lib:/var/lib/libvirt log:/var/log/libvirt \\
            cache:/var/cache/libvirt; do
    mount --bind "$D/${{pair%%:*}}" "${{pair#*:}}"
done
virtlogd -d -p "$D/virtlogd.pid"
libvirtd -d -l -p "$D/libvirtd.pid"
"""
SYSTEM_DIRS = ('/etc/libvirt', '/run/libvirt', '/var/lib/libvirt', '/var/log/libvirt',
               '/var/cache/libvirt')


class LibvirtHost:
    def __init__(self, base, name, addr, port, migration_ports):
        self.name, self.addr, self.port = name, addr, port
        self.dir = os.path.join(base, name)
        self.instances_path = os.path.join(base, f'{name}-instances')
        self.host_uuid = str(uuid.uuid4())
        self.migration_ports = migration_ports
        self.uri = f'qemu+tcp://{addr}:{port}/system'
        self.inbound = f'{addr}:{port}'
        self.conn = None

    def write(self):
        for sub in ('etc', 'run', 'lib', 'log', 'cache'):
            os.makedirs(os.path.join(self.dir, sub, 'qemu'), exist_ok=True)
        os.makedirs(self.instances_path, exist_ok=True)
        os.chmod(self.instances_path, 0o755)
        with open(os.path.join(self.dir, 'etc', 'libvirtd.conf'), 'w') as f:
            f.write(f'listen_tls = 0\nlisten_tcp = 1\nlisten_addr = "{self.addr}"\n'
                    f'tcp_port = "{self.port}"\nauth_tcp = "none"\n'
                    f'host_uuid = "{self.host_uuid}"\n')
        lo, hi = self.migration_ports
        with open(os.path.join(self.dir, 'etc', 'qemu.conf'), 'w') as f:
            f.write(f'migration_address = "{self.addr}"\nmigration_host = "{self.addr}"\n'
                    f'migration_port_min = {lo}\nmigration_port_max = {hi}\n'
                    'cgroup_controllers = [ ]\nuser = "root"\ngroup = "root"\n')
        script = os.path.join(self.dir, 'start.sh')
        with open(script, 'w') as f:
            f.write(START.format(d=self.dir))
        os.chmod(script, 0o755)
        return script

    def start(self, timeout=30):
        for d in SYSTEM_DIRS:       # bind-mount targets (on this machine already)
            os.makedirs(d, exist_ok=True)
        r = subprocess.run(['unshare', '--mount', '--propagation', 'private', '--',
                            self.write()], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, f'{self.name}: {r.stdout}{r.stderr}'
        deadline_poll(self._listening, timeout, what=f'libvirtd {self.name} on {self.inbound}')
        import libvirt
        self.conn = libvirt.open(self.uri)

    def _listening(self):
        with contextlib.suppress(OSError), socket.create_connection((self.addr, self.port),
                                                                    timeout=1):
            return True
        return False

    def domains(self, prefix):
        return {d.UUIDString(): d for d in self.conn.listAllDomains()
                if d.name().startswith(prefix)}

    def remove_domains(self):
        import libvirt
        if self.conn is None:
            return
        for d in self.conn.listAllDomains():
            with contextlib.suppress(libvirt.libvirtError):
                if d.isActive():
                    d.destroy()
            with contextlib.suppress(libvirt.libvirtError):
                d.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)
        with contextlib.suppress(libvirt.libvirtError):
            self.conn.close()
        self.conn = None

    def stop(self, timeout=20):
        for name in ('libvirtd', 'virtlogd'):
            path = os.path.join(self.dir, f'{name}.pid')
            try:
                with open(path) as f:
                    pid = int(f.read().strip())
            except (OSError, ValueError):
                continue
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            end = time.monotonic() + timeout
            while os.path.exists(f'/proc/{pid}') and time.monotonic() < end:
                time.sleep(0.1)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


@contextlib.contextmanager
def two_libvirt_hosts(ports=(16611, 16612)):
    """Two started :class:`LibvirtHost` (127.0.0.2 and 127.0.0.3), removed after."""
    base = tempfile.mkdtemp(prefix='iaas-lm-', dir='/tmp')
    os.chmod(base, 0o755)
    hosts = [LibvirtHost(base, 'h1', '127.0.0.2', ports[0], (49200, 49263)),
             LibvirtHost(base, 'h2', '127.0.0.3', ports[1], (49300, 49363))]
    try:
        for h in hosts:
            h.start()
        yield hosts
    finally:
        for h in hosts:
            h.remove_domains()
        for h in hosts:
            h.stop()
        shutil.rmtree(base, ignore_errors=True)
