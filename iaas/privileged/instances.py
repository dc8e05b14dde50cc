"""Entry points of the instance_files context (the libvirt driver).

The driver writes its own files (instance directory, image cache, overlay,
config drive) as the ``iaas`` user under ``[compute] instances_path``,
which that user owns; libvirt defines domains over its socket (the ``iaas``
user is in the ``libvirt`` group). What it cannot do unprivileged is touch
the files the hypervisor side owns while a guest lives: libvirt hands the
disk to the qemu user, and qemu/virtlogd write the console log as root.

======================  =====================================================
entry point             does
======================  =====================================================
``read_console``        the last ``limit`` bytes of <instance>/console.log
``snapshot_disk``       ``qemu-img convert -U`` of <instance>/disk into a
                        ``.snap-<uuid>-*`` file of the same directory
``disk_virtual_size``   ``qemu-img info`` of <instance>/disk: its virtual size
``grow_disk``           ``qemu-img resize`` of <instance>/disk to a larger size
======================  =====================================================

An instance is named by its UUID only; every path is built here under
``instances_path``, so no caller-given path is ever opened.
"""
import json
import os
import re
import subprocess

from iaas.conf import CONF
from iaas.privileged import CommandError, Refused, instance_files

UUID = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
MAX_DISK = 64 << 40


def instance_dir(uuid):
    if not isinstance(uuid, str) or not UUID.match(uuid):
        raise Refused(f'instance uuid refused: {uuid!r}'[:200])
    return os.path.join(os.path.realpath(CONF.compute.instances_path), uuid)


def _qemu_img(*args, timeout=600):
    r = subprocess.run(['qemu-img', *args], capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise CommandError(f'qemu-img {args[0]} failed: {r.stderr.strip()[:500]}')
    return r.stdout


@instance_files.entrypoint
def read_console(uuid, limit):
    """The console log's last ``limit`` bytes; None when there is none."""
    limit = max(0, min(int(limit), CONF.libvirt.console_log_max_bytes))
    try:
        with open(os.path.join(instance_dir(uuid), 'console.log'), 'rb') as f:
            f.seek(0, os.SEEK_END)
            f.seek(max(0, f.tell() - limit))
            return f.read()
    except FileNotFoundError:
        return None


@instance_files.entrypoint
def snapshot_disk(uuid, target):
    """Copy the instance's qcow2 overlay (with its backing chain) into
    ``target``, a ``.snap-<uuid>-…`` file the caller made in the directory."""
    d = instance_dir(uuid)
    if not isinstance(target, str) or not re.match(rf'^\.snap-{uuid}-[A-Za-z0-9_]{{1,32}}$',
                                                   target):
        raise Refused(f'snapshot target refused: {target!r}'[:200])
    _qemu_img('convert', '-U', '-f', 'qcow2', '-O', 'qcow2', os.path.join(d, 'disk'),
              os.path.join(d, target))


def _virtual_size(disk):
    info = json.loads(_qemu_img('info', '-f', 'qcow2', '--output', 'json', disk))
    return int(info.get('virtual-size') or 0)


@instance_files.entrypoint
def disk_virtual_size(uuid):
    return _virtual_size(os.path.join(instance_dir(uuid), 'disk'))


@instance_files.entrypoint
def grow_disk(uuid, size):
    """Grow the instance's disk to ``size`` bytes (never shrinks)."""
    if isinstance(size, bool) or not isinstance(size, int) or not 0 < size <= MAX_DISK:
        raise Refused(f'disk size refused: {size!r}')
    disk = os.path.join(instance_dir(uuid), 'disk')
    if size > _virtual_size(disk):
        _qemu_img('resize', '-f', 'qcow2', disk, str(size))
        return True
    return False
