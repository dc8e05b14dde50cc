"""``[privsep] mode = daemon`` for real: the service process starts
iaas-privsep-helper (here without sudo: the tests run as root), the entry
points run in that daemon with only the context's capabilities, and the
allow-list refuses in the daemon too."""
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import pytest

from iaas.privileged import (
    CONTEXTS,
    CommandError,
    Refused,
    instance_files,
    instances,
    net_admin,
    network,
)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason='starts the helper as root')


@pytest.fixture
def daemon_mode(conf, tmp_path):
    cfg = tmp_path / 'iaas.conf'
    cfg.write_text(f'[DEFAULT]\nstate_path = {conf.state_path}\n')
    conf.set_override('mode', 'daemon', group='privsep')
    conf.set_override('helper_command', shlex.join(
        [sys.executable, '-m', 'iaas.privileged.helper', '--config-file', str(cfg)]),
        group='privsep')
    for ctx in CONTEXTS:
        ctx.reset()
    yield str(cfg)
    for ctx in CONTEXTS:
        ctx.reset()
    conf.clear_override('mode', group='privsep')
    conf.clear_override('helper_command', group='privsep')
    deadline = time.monotonic() + 10          # the daemons leave with their socket
    while _daemons(str(cfg)) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _daemons(str(cfg)) == {}


def _daemons(marker):
    """{pid: context} of the privsep daemons started with config ``marker``."""
    out = {}
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open(f'/proc/{pid}/cmdline', 'rb') as f:
                argv = f.read().decode(errors='replace').split('\0')
            with open(f'/proc/{pid}/status') as f:
                if 'State:\tZ' in f.read():
                    continue
        except OSError:
            continue
        if marker in argv and '--privsep_context' in argv:
            out[int(pid)] = argv[argv.index('--privsep_context') + 1]
    return out


def _cap_eff(pid):
    with open(f'/proc/{pid}/status') as f:
        line = next(x for x in f if x.startswith('CapEff:'))
    return int(line.split()[1], 16)


def test_allowed_and_refused_operations_in_the_daemon(daemon_mode):
    links = network.netlink(None, 'links')
    assert 'lo' in links
    assert net_admin.mode == 'daemon' and net_admin.channel is not None
    with pytest.raises(Refused, match="unknown command 'sh'"):
        network.execute(None, ['sh', '-c', 'id > /tmp/pwned'])
    with pytest.raises(Refused, match='netlink operation refused'):
        network.netlink(None, '__class__')
    # the daemon is another process holding only the context's capabilities
    (pid, context), = _daemons(daemon_mode).items()
    assert pid != os.getpid() and context == 'iaas.privileged.net_admin'
    want = sum(1 << c for c in net_admin.conf.capabilities)
    assert _cap_eff(pid) == want


def test_instance_files_daemon_reads_the_console(daemon_mode, conf):
    u = str(uuid.uuid4())
    d = os.path.join(conf.compute.instances_path, u)
    os.makedirs(d)
    with open(os.path.join(d, 'console.log'), 'wb') as f:
        f.write(b'login: ')
    os.chmod(os.path.join(d, 'console.log'), 0o600)
    assert instances.read_console(u, 100) == b'login: '
    with pytest.raises(Refused, match='instance uuid refused'):
        instances.read_console('../../../etc', 100)
    assert instance_files.mode == 'daemon' and net_admin.mode is None
    (pid, context), = _daemons(daemon_mode).items()
    assert context == 'iaas.privileged.instance_files'
    assert _cap_eff(pid) == sum(1 << c for c in instance_files.conf.capabilities)


def test_listening_socket_made_by_the_daemon_is_handed_back(daemon_mode):
    sock = network.listen(None, 'lo', 0)
    try:
        port = sock.getsockname()[1]
        with socket.create_connection(('127.0.0.1', port), timeout=5):
            pass
        sock.setblocking(True)
        sock.settimeout(5)
        conn, _ = sock.accept()
        conn.close()
    finally:
        sock.close()
    with pytest.raises(Refused, match='port refused'):
        network.listen(None, 'lo', 22)
    with pytest.raises(Refused, match='reply socket refused'):
        network.listen_on_device(None, 'lo', 0, '/run/some.sock')


@pytest.mark.skipif(not shutil.which('qemu-img'), reason='needs qemu-img')
def test_instance_disk_operations_in_the_daemon(daemon_mode, conf):
    """What the libvirt driver's snapshot and resize ask of instance_files."""
    u = str(uuid.uuid4())
    d = os.path.join(conf.compute.instances_path, u)
    os.makedirs(d)
    disk = os.path.join(d, 'disk')
    subprocess.run(['qemu-img', 'create', '-q', '-f', 'qcow2', disk, '1M'], check=True)
    os.chmod(disk, 0o600)
    assert instances.disk_virtual_size(u) == 1 << 20
    assert instances.grow_disk(u, 2 << 20) is True
    assert instances.grow_disk(u, 1 << 20) is False          # never shrinks
    assert instances.disk_virtual_size(u) == 2 << 20
    fd, tmp = tempfile.mkstemp(prefix=f'.snap-{u}-', dir=d)
    os.close(fd)
    instances.snapshot_disk(u, os.path.basename(tmp))
    info = subprocess.run(['qemu-img', 'info', '--output', 'json', tmp], check=True,
                          capture_output=True, text=True).stdout
    assert '"format": "qcow2"' in info
    with pytest.raises(CommandError, match='qemu-img info failed'):
        instances.disk_virtual_size(str(uuid.uuid4()))       # no such disk
    assert instance_files.mode == 'daemon'
