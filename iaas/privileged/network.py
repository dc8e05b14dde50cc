"""Entry points of the net_admin context (iaas-network's host-side work).

=====================  ==========================================================
entry point            does
=====================  ==========================================================
``execute``            one allow-listed command (commands.check) in the namespace
``netlink``            one Links operation (pyroute2) in the namespace
``netlink_close``      drops the cached netlink socket of a namespace
``signal_dnsmasq``     SIGHUP/SIGTERM to the dnsmasq whose pid file is ours
=====================  ==========================================================

Each checks its arguments here, in the privileged process, whatever the
caller checked already.
"""
import os
import signal
import subprocess
import threading

from pyroute2 import IPRoute

from iaas.conf import CONF
from iaas.privileged import Refused, commands, net_admin
from iaas.privileged.netlink import Links

MAX_TIMEOUT = 600
SIGNALS = {int(signal.SIGHUP), int(signal.SIGTERM)}

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
