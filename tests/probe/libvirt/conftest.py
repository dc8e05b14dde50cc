"""Fixtures for tests that boot real guests through libvirtd (TCG here).

* ``libvirtd``: a connection to qemu:///system; starts ``virtlogd -d`` and
  ``libvirtd -d`` when they are not running.
* ``test_image``: the busybox test image (tools/build-test-image.sh, built
  once and cached in /tmp/iaas-test-image/).
* ``guest_env``: a per-test domain prefix and a world-traversable
  instances directory (qemu runs as libvirt-qemu, which cannot enter
  pytest's 0700 tmp dirs); every domain with the prefix is destroyed and
  undefined afterwards, and the directory removed, even when a test fails.
* ``serial_line`` / ``serial_port``: type into a guest's serial shell over
  its TCP serial port (``[serial_console] enabled``).
"""
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
import xml.etree.ElementTree as ET

import pytest

from tests.probe.compute.helpers import deadline_poll

libvirt = pytest.importorskip('libvirt')

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
IMAGE_DIR = '/tmp/iaas-test-image'
SOCK = '/run/libvirt/libvirt-sock'
MARKER = 'IAAS-TEST-IMAGE-BOOTED'


def _listening(path):
    s = socket.socket(socket.AF_UNIX)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def start_libvirtd(timeout=30):
    """Start virtlogd and libvirtd if they are not running; wait for the socket."""
    if not _listening('/run/libvirt/virtlogd-sock'):
        subprocess.run(['virtlogd', '-d'], check=True)
    if not _listening(SOCK):
        subprocess.run(['libvirtd', '-d'], check=True)
    end = time.monotonic() + timeout
    while not _listening(SOCK):
        if time.monotonic() > end:
            raise RuntimeError('libvirtd did not start')
        time.sleep(0.1)


def libvirtd_pid():
    with open('/run/libvirtd.pid') as f:
        return int(f.read().strip())


def restart_libvirtd(timeout=30):
    """Stop the running libvirtd (by its pid file) and start it again;
    running guests (qemu processes) survive, as on a real host."""
    pid = libvirtd_pid()
    os.kill(pid, 15)
    end = time.monotonic() + timeout
    while os.path.exists(f'/proc/{pid}'):
        if time.monotonic() > end:
            raise RuntimeError('libvirtd did not stop')
        time.sleep(0.1)
    start_libvirtd(timeout)
    return pid


@pytest.fixture(scope='session')
def libvirtd_running():
    if not shutil.which('libvirtd') or not shutil.which('qemu-system-x86_64'):
        pytest.skip('libvirtd / qemu-system-x86_64 not installed (tools/setup.sh)')
    start_libvirtd()


@pytest.fixture
def libvirtd(libvirtd_running):
    """A fresh connection per test (a restart test breaks the old one)."""
    conn = libvirt.open('qemu:///system')
    yield conn
    try:
        conn.close()
    except libvirt.libvirtError:
        pass


@pytest.fixture(scope='session')
def test_image():
    path = os.path.join(IMAGE_DIR, 'busybox.qcow2')
    r = subprocess.run([os.path.join(ROOT, 'tools', 'build-test-image.sh'), path],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    return path


class GuestEnv:
    def __init__(self, conn):
        self.conn = conn
        self.prefix = f'iaas-t{uuid.uuid4().hex[:8]}-'
        self.instances_path = tempfile.mkdtemp(prefix='iaas-libvirt-', dir='/tmp')
        os.chmod(self.instances_path, 0o755)

    def domains(self):
        return {d.UUIDString(): d for d in self.conn.listAllDomains()
                if d.name().startswith(self.prefix)}

    def domain(self, uuid_):
        return self.conn.lookupByUUIDString(uuid_)

    def state(self, uuid_):
        return self.domain(uuid_).state()[0]

    def reconnect(self):
        self.conn = libvirt.open('qemu:///system')

    def console(self, uuid_):
        path = os.path.join(self.instances_path, uuid_, 'console.log')
        try:
            with open(path, 'rb') as f:
                return f.read().decode(errors='replace')
        except FileNotFoundError:
            return ''

    def cleanup(self):
        for d in self.domains().values():
            try:
                if d.isActive():
                    d.destroy()
            except libvirt.libvirtError:
                pass
            try:
                d.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)
            except libvirt.libvirtError:
                pass
        shutil.rmtree(self.instances_path, ignore_errors=True)


@pytest.fixture
def guest_env(libvirtd):
    env = GuestEnv(libvirtd)
    yield env
    env.reconnect()   # the old connection may have died with a libvirtd restart
    env.cleanup()


wait_for = deadline_poll      # the probes' one deadline poll, under its old name here


def marker_lines(text):
    """The boot marker lines of a console log; a last line the guest is
    still writing (no line end yet) is left for the next read."""
    complete = text[:text.rfind('\n') + 1] if text else ''
    return [line[line.index(MARKER):] for line in complete.splitlines() if MARKER in line]


def serial_port(dom):
    """The TCP port of a running domain's serial console."""
    src = ET.fromstring(dom.XMLDesc(0)).find("devices/serial[@type='tcp']/source")
    return int(src.get('service'))


def serial_line(port, command, expect, timeout=60):
    """Type ``command`` into the guest's serial shell at 127.0.0.1:``port``
    until a whole line matching ``expect`` (a regular expression) comes
    back; returns the output. The command is typed again every 3 s (a shell
    still starting misses it): it must be harmless to repeat, and ``expect``
    must not match the typed text, which the terminal echoes."""
    end = time.monotonic() + timeout
    got = b''
    with socket.create_connection(('127.0.0.1', port), timeout=5) as s:
        s.settimeout(1)
        while time.monotonic() < end:
            s.sendall(command.encode() + b'\n')
            t = time.monotonic() + 3
            while time.monotonic() < t:
                try:
                    chunk = s.recv(4096)
                except TimeoutError:
                    continue
                if not chunk:
                    break
                got += chunk
                if re.search(expect.encode() + rb'[^\r\n]*\r?\n', got):
                    return got.decode(errors='replace')
    raise AssertionError(f'no {expect!r} on the serial console: {got[-500:]!r}')
