"""Hypervisor "hosts" on one machine: a private libvirtd (and virtlogd) per
host, each in a mount namespace of its own (its /etc, /run, /var/lib,
/var/log and /var/cache of libvirt bind-mounted from a directory), so two
hosts can each hold a guest of the same instance uuid, as two machines do.
They share the machine's network namespace (guests plug into root
bridges). See /work/shared/libvirt-two-hosts.md.

Test plumbing, not product.
"""
import glob
import os
import shutil
import signal
import subprocess
import tempfile
import time

import libvirt

START = """#!/bin/sh
set -e
mount --bind {d}/etc /etc/libvirt
mount --bind {d}/run /run/libvirt
mount --bind {d}/lib /var/lib/libvirt
mount --bind {d}/log /var/log/libvirt
mount --bind {d}/cache /var/cache/libvirt
virtlogd -d -p {d}/virtlogd.pid
exec libvirtd -d -p {d}/libvirtd.pid
"""


class PrivateLibvirtd:
    def __init__(self, n):
        # a short path: the unix socket's path must fit in 108 bytes
        self.d = tempfile.mkdtemp(prefix=f'iaas-lv{n}-', dir='/tmp')
        self.n = n
        for sub in ('etc', 'run', 'lib', 'log', 'cache'):
            os.makedirs(os.path.join(self.d, sub, 'qemu'), exist_ok=True)
        with open(os.path.join(self.d, 'etc', 'libvirtd.conf'), 'w') as f:
            f.write('listen_tls = 0\nlisten_tcp = 0\n'
                    f'host_uuid = "0000000{n}-1111-4111-8111-11111111111{n}"\n')
        with open(os.path.join(self.d, 'etc', 'qemu.conf'), 'w') as f:
            # both daemons would name their first guest's cgroup alike
            f.write('cgroup_controllers = [ ]\nuser = "root"\ngroup = "root"\n')
        self.script = os.path.join(self.d, 'start.sh')
        with open(self.script, 'w') as f:
            f.write(START.format(d=self.d))
        os.chmod(self.script, 0o755)
        self.uri = f'qemu+unix:///system?socket={self.d}/run/libvirt-sock'

    def start(self, timeout=30):
        subprocess.run(['unshare', '--mount', '--propagation', 'private', '--', self.script],
                       check=True, timeout=timeout)
        end = time.monotonic() + timeout
        while True:
            try:
                libvirt.open(self.uri).close()
                return self
            except libvirt.libvirtError:
                if time.monotonic() > end:
                    raise
                time.sleep(0.2)

    def _pids(self):
        pids = []
        for path in glob.glob(os.path.join(self.d, 'run', 'qemu', '*.pid')) + [
                os.path.join(self.d, 'libvirtd.pid'), os.path.join(self.d, 'virtlogd.pid')]:
            try:
                with open(path) as f:
                    pids.append(int(f.read().strip()))
            except (OSError, ValueError):
                pass
        return pids

    def kill(self):
        """SIGKILL the host: its guests (QEMU), libvirtd and virtlogd."""
        for pid in self._pids():
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for pid in self._pids():
            end = time.monotonic() + 10
            while os.path.exists(f'/proc/{pid}') and time.monotonic() < end:
                time.sleep(0.1)
        # a killed daemon leaves its pid files and sockets: a restart makes new ones
        for path in glob.glob(os.path.join(self.d, 'run', '*sock*')) + glob.glob(
                os.path.join(self.d, '*.pid')) + glob.glob(
                os.path.join(self.d, 'run', 'qemu', '*.pid')):
            os.unlink(path)

    def domains(self, prefix):
        """{uuid: running?} of the guests named ``prefix``… this host holds."""
        conn = libvirt.open(self.uri)
        try:
            return {d.UUIDString(): bool(d.isActive()) for d in conn.listAllDomains()
                    if d.name().startswith(prefix)}
        finally:
            conn.close()

    def stop(self):
        """Destroy and undefine every guest, stop the daemons, remove the files."""
        try:
            conn = libvirt.open(self.uri)
            for dom in conn.listAllDomains():
                try:
                    if dom.isActive():
                        dom.destroy()
                    dom.undefine()
                except libvirt.libvirtError:
                    pass
            conn.close()
        except libvirt.libvirtError:
            pass
        self.kill()
        shutil.rmtree(self.d, ignore_errors=True)
