"""Entry points of the net_admin context (iaas-network's host-side work).

=====================  ==========================================================
entry point            does
=====================  ==========================================================
``execute``            one allow-listed command (commands.check) in the namespace
``netlink``            one Links operation (pyroute2) in the namespace
``netlink_close``      drops the cached netlink socket of a namespace
``signal_dnsmasq``     SIGHUP/SIGTERM to the dnsmasq whose pid file is ours
``listen_on_device``   a TCP socket listening on a port, bound to a device
                       (SO_BINDTODEVICE) inside the namespace, handed back to
                       the caller over a Unix socket (SCM_RIGHTS)
=====================  ==========================================================

Each checks its arguments here, in the privileged process, whatever the
caller checked already.
"""
import ctypes
import os
import re
import signal
import socket
import subprocess
import threading
import uuid

from pyroute2 import IPRoute

from iaas.conf import CONF
from iaas.privileged import Refused, commands, net_admin
from iaas.privileged.netlink import Links

MAX_TIMEOUT = 600
SIGNALS = {int(signal.SIGHUP), int(signal.SIGTERM)}
CLONE_NEWNET = 0x40000000
REPLY = re.compile(r'^iaas-privsep-[0-9a-f]{32}$')

_iprs = {}                  # netns -> (lock, IPRoute) of this process
_iprs_lock = threading.Lock()


def argv_in(netns, argv):
    """``argv`` run inside ``netns`` (None: the current namespace)."""
    return (['ip', 'netns', 'exec', netns] if netns else []) + list(argv)


def run_checked(netns, argv, input=None, runner=None, timeout=60):
    """Check ``argv`` and ``netns``, run the command; (returncode, stdout, stderr)."""
    commands.check_netns(netns)
    argv = commands.check(argv)
    if input is not None and not isinstance(input, str):
        raise Refused('privileged command input must be text')
    r = (runner or subprocess.run)(argv_in(netns, argv), input=input, capture_output=True, text=True,
               timeout=max(1, min(int(timeout), MAX_TIMEOUT)))
    return r.returncode, r.stdout, r.stderr


@net_admin.entrypoint
def execute(netns, argv, input=None, timeout=60):
    return run_checked(netns, argv, input, timeout=timeout)


def _ipr(netns):
    with _iprs_lock:
        if netns not in _iprs:
            _iprs[netns] = (threading.Lock(), IPRoute(netns=netns) if netns else IPRoute())
        return _iprs[netns]


@net_admin.entrypoint
def netlink(netns, op, args=(), kwargs=None):
    """``Links(<IPRoute of netns>).<op>(*args, **kwargs)``."""
    commands.check_netns(netns)
    if op not in Links.OPS:
        raise Refused(f'netlink operation refused: {op!r}; allowed: {", ".join(Links.OPS)}')
    lock, ipr = _ipr(netns)
    with lock:
        return getattr(Links(ipr), op)(*args, **(kwargs or {}))


@net_admin.entrypoint
def netlink_close(netns):
    commands.check_netns(netns)
    with _iprs_lock:
        entry = _iprs.pop(netns, None)
    if entry is not None:
        with entry[0]:
            entry[1].close()


def _cmdline(pid):
    try:
        with open(f'/proc/{pid}/cmdline', 'rb') as f:
            return f.read().decode(errors='replace').split('\0')
    except OSError:
        return None


@net_admin.entrypoint
def signal_dnsmasq(pid, signum, pid_file):
    """Send ``signum`` (SIGHUP or SIGTERM) to ``pid`` if it is the dnsmasq
    started with ``--pid-file=pid_file`` under the networks directory.
    False when that process is gone."""
    if isinstance(pid, bool) or not isinstance(pid, int) or pid <= 1:
        raise Refused(f'pid refused: {pid!r}')
    if signum not in SIGNALS:
        raise Refused(f'signal refused: {signum!r} (allowed: SIGHUP, SIGTERM)')
    real = os.path.realpath(pid_file)
    if not real.startswith(commands.networks_dir() + os.sep) or \
            os.path.basename(real) != 'pid':
        raise Refused(f'pid file refused: {pid_file!r}')
    cmdline = _cmdline(pid)
    if cmdline is None:
        return False
    if cmdline[0] != CONF.network.dnsmasq and os.path.basename(cmdline[0]) != 'dnsmasq' \
            or f'--pid-file={pid_file}' not in cmdline:
        raise Refused(f'process {pid} is not the dnsmasq of {pid_file}')
    try:
        os.kill(pid, signum)
    except ProcessLookupError:
        return False
    return True


# -- listening sockets inside the namespace -----------------------------------------
def _setns(netns):
    """Move the calling thread into network namespace ``netns`` (by name)."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(os.path.join('/run/netns', netns), os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f'setns({netns}): {os.strerror(err)}')
    finally:
        os.close(fd)


def _in_netns(netns, func):
    """``func()`` run in a thread that entered network namespace ``netns``
    (sockets keep the namespace they were made in)."""
    if not netns:
        return func()
    out = {}

    def run():
        try:
            _setns(netns)
            out['value'] = func()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            out['error'] = exc
    t = threading.Thread(target=run, name=f'privsep-setns-{netns}', daemon=True)
    t.start()
    t.join()
    if 'error' in out:
        raise out['error']
    return out['value']


def _bound_listener(device, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, device.encode())
        s.bind(('0.0.0.0', port))
        s.listen(64)
    except OSError:
        s.close()
        raise
    return s


@net_admin.entrypoint
def listen_on_device(netns, device, port, reply_to):
    """Listen on ``port`` (0 or unprivileged) bound to ``device`` in ``netns``;
    the socket goes to the abstract Unix socket ``reply_to`` (one the caller
    listens on, named ``iaas-privsep-<hex>``)."""
    commands.check_netns(netns)
    commands.check_ifname(device)
    if isinstance(port, bool) or not isinstance(port, int) or \
            not (port == 0 or 1024 <= port <= 65535):
        raise Refused(f'port refused: {port!r} (0 or 1024-65535)')
    if not isinstance(reply_to, str) or not REPLY.match(reply_to):
        raise Refused(f'reply socket refused: {reply_to!r}'[:200])
    sock = _in_netns(netns, lambda: _bound_listener(device, port))
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as out:
            out.settimeout(10)
            out.connect('\0' + reply_to)
            socket.send_fds(out, [b'L'], [sock.fileno()])
    finally:
        sock.close()


def listen(netns, device, port, timeout=10):
    """A non-blocking listening socket on ``port`` bound to ``device`` in
    ``netns``, made by :func:`listen_on_device` wherever it runs."""
    name = f'iaas-privsep-{uuid.uuid4().hex}'
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as srv:
        srv.bind('\0' + name)
        srv.listen(1)
        srv.settimeout(timeout)
        listen_on_device(netns, device, int(port), name)
        conn, _ = srv.accept()
        with conn:
            conn.settimeout(timeout)
            _msg, fds, _flags, _addr = socket.recv_fds(conn, 16, 1)
    if not fds:
        raise OSError(f'no socket came back for {device}:{port}')
    sock = socket.socket(fileno=fds[0])
    sock.setblocking(False)
    return sock
