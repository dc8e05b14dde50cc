"""The one door to root: privileged contexts of iaas-network and iaas-compute.

Both daemons run as the unprivileged ``iaas`` user (etc/systemd/). Whatever
needs more goes through an entry point of this package, and only these:

* ``net_admin`` (iaas.privileged.network) — commands of an allow-list
  (iptables/ip6tables save+restore, ipset, sysctl, conntrack, dnsmasq; see
  :mod:`iaas.privileged.commands`) run in the network namespace, netlink
  changes through pyroute2 (:mod:`iaas.privileged.netlink`), signals to our
  dnsmasq processes, listening sockets bound to a bridge inside the namespace.
* ``instance_files`` (iaas.privileged.instances) — the console log and
  ``qemu-img`` on an instance's disk, files libvirt hands to the hypervisor's
  user while the guest lives.
* ``volume_admin`` (iaas.privileged.volume) — the volume backends' root
  commands of an allow-list (``tgtadm``, the LVM tools, ``qemu-img convert``
  into a logical volume; see :mod:`iaas.privileged.commands`).

Every entry point checks its arguments itself (in the privileged process)
and refuses anything else with :class:`Refused`; there is no free-form
command or path. ``[privsep] mode`` picks where they run: ``inline`` (this
process, e.g. a developer's iaas-all as root, the tests), ``daemon`` (an
oslo.privsep daemon started with ``sudo iaas-privsep-helper …``, keeping
only the capabilities listed below) or ``auto`` (inline as root, else daemon).
The mode is read at the first privileged call, after the service parsed its
configuration.
"""
import os
import shlex
import sys
import threading

from oslo_config import cfg as oslo_cfg
from oslo_privsep import capabilities as caps
from oslo_privsep import priv_context

from iaas.conf import CONF

HELPER = 'iaas-privsep-helper'


class Refused(ValueError):
    """A privileged call outside the allow-list (never run)."""


class CommandError(RuntimeError):
    """An allowed privileged operation that failed (non-zero exit, no such link)."""


class Context(priv_context.PrivContext):
    """A PrivContext whose mode and helper command come from ``[privsep]``."""

    def __init__(self, name, capabilities, purpose):
        super().__init__('iaas.privileged', cfg_section=f'iaas_privsep_{name}',
                         pypath=f'{__name__}.{name}', capabilities=capabilities)
        self.name = name
        self.purpose = purpose
        self.mode = None            # 'inline' | 'daemon' | 'server', set at first use
        self._configure_lock = threading.Lock()

    def configure(self, conf=CONF):
        """Apply ``[privsep]``: inline or daemon (with its helper command)."""
        mode = conf.privsep.mode
        if mode == 'auto':
            mode = 'inline' if os.geteuid() == 0 else 'daemon'
        if mode == 'daemon':
            oslo_cfg.CONF.set_override('helper_command', shlex.join(helper_command(conf)),
                                       group=self.cfg_section)
            oslo_cfg.CONF.set_override('thread_pool_size', conf.privsep.thread_pool_size,
                                       group=self.cfg_section)
        self.set_client_mode(mode == 'daemon')
        self.mode = mode

    def serve(self):
        """In the privileged daemon: entry points run here, never forwarded."""
        self.set_client_mode(False)
        self.mode = 'server'

    def _wrap(self, func, *args, **kwargs):
        if self.mode is None:
            with self._configure_lock:
                if self.mode is None:
                    self.configure()
        return super()._wrap(func, *args, **kwargs)

    def reset(self):
        """Stop a running daemon and forget the mode (tests, reconfiguration)."""
        self.stop()
        self.mode = None


def helper_command(conf=CONF):
    """argv that starts the privsep daemon as root (privsep appends the
    context and socket arguments)."""
    if conf.privsep.helper_command:
        return shlex.split(conf.privsep.helper_command)
    cmd = shlex.split(conf.privsep.root_helper or '')
    cmd.append(os.path.join(os.path.dirname(sys.executable), HELPER))
    for path in _conf_list(conf, 'config_file'):
        cmd += ['--config-file', os.path.abspath(path)]
    for path in _conf_list(conf, 'config_dir'):
        cmd += ['--config-dir', os.path.abspath(path)]
    return cmd


def _conf_list(conf, name):
    try:
        value = getattr(conf, name)
    except oslo_cfg.NoSuchOptError:     # CONF not parsed from the command line
        return []
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


net_admin = Context('net_admin', [
    caps.CAP_NET_ADMIN,         # links, addresses, FDB, iptables, ipset, conntrack, sysctl
    caps.CAP_NET_RAW,           # raw sockets of iptables/dnsmasq, SO_BINDTODEVICE
    caps.CAP_SYS_ADMIN,         # setns()/`ip netns exec` into [network] netns
    caps.CAP_NET_BIND_SERVICE,  # dnsmasq's DHCP port 67
    caps.CAP_SETUID,            # dnsmasq drops to its --user
    caps.CAP_SETGID,
    caps.CAP_KILL,              # SIGHUP/SIGTERM to our dnsmasq running as another user
    caps.CAP_DAC_OVERRIDE,      # dnsmasq's pid/lease files in the iaas-owned state dir
], 'host networking of iaas-network')

instance_files = Context('instance_files', [
    caps.CAP_DAC_OVERRIDE,      # qemu-img on a disk libvirt gave to the qemu user
    caps.CAP_DAC_READ_SEARCH,   # the console log written by qemu/virtlogd as root
    caps.CAP_CHOWN,
    caps.CAP_FOWNER,
], 'instance files of the libvirt driver')

volume_admin = Context('volume_admin', [
    caps.CAP_SYS_ADMIN,         # device-mapper ioctls of the LVM tools
    caps.CAP_SYS_RAWIO,         # LVM metadata I/O on physical volumes
    caps.CAP_MKNOD,             # /dev/<vg>/<lv> nodes made by lvcreate
    caps.CAP_DAC_OVERRIDE,      # qemu-img into a root-owned device node
    caps.CAP_DAC_READ_SEARCH,
    caps.CAP_IPC_LOCK,          # the LVM tools lock their memory
], 'block-storage exports and LVM of iaas-volume')

CONTEXTS = (net_admin, instance_files, volume_admin)
