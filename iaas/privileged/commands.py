"""The allow-list of commands iaas-network may run as root.

:func:`check` takes the argv a caller asks for and returns it unchanged when
every argument is one this code base uses, else raises
:class:`iaas.privileged.Refused` naming what was refused. Nothing here runs
anything, and there is no shell: the argv is executed as is.

Allowed (``NAME`` etc. are checked against the patterns below):

* ``iptables-save [-t TABLE]`` / ``ip6tables-save [-t TABLE]``
* ``iptables-restore --noflush`` / ``ip6tables-restore --noflush`` (input on stdin)
* ``ipset save`` / ``ipset -exist restore`` / ``ipset list -n`` /
  ``ipset destroy iaas-g-…`` (only our sets)
* ``sysctl -q -w net.KEY=INTEGER``
* ``conntrack -D -d|-s ADDRESS``
* ``[network] dnsmasq`` with exactly the options dhcp.Dnsmasq builds, its
  files under ``<state_path>/networks/``.
"""
import ipaddress
import os
import re

from iaas.conf import CONF
from iaas.privileged import Refused

TABLES = {'filter', 'nat', 'mangle', 'raw'}
IFNAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.\-]{0,14}$')
NETNS = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$')
IPSET = re.compile(r'^iaas-g-[0-9a-f]{12}(-t)?$')
SYSCTL = re.compile(r'^(net\.[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*)=(-?[0-9]{1,10})$')
DOMAIN = re.compile(r'^[A-Za-z0-9]([A-Za-z0-9\-.]{0,252})$')
USER = re.compile(r'^[a-z_][a-z0-9_\-]{0,31}$')
DHCP_RANGE = re.compile(r'^set:net0,(\d{1,3}(\.\d{1,3}){3}),static,(\d{1,3}(\.\d{1,3}){3}),'
                        r'(\d{1,10})s$')


def _refuse(argv, why):
    raise Refused(f'privileged command refused ({why}): {" ".join(map(str, argv))[:300]}')


def _exact(*forms):
    def check(argv):
        return list(argv[1:]) in [list(f) for f in forms]
    return check


def _save(argv):
    return len(argv) == 1 or len(argv) == 3 and argv[1] == '-t' and argv[2] in TABLES


def _ipset(argv):
    rest = list(argv[1:])
    if rest in (['save'], ['-exist', 'restore'], ['list', '-n']):
        return True
    return len(rest) == 2 and rest[0] == 'destroy' and bool(IPSET.match(rest[1]))


def _sysctl(argv):
    return len(argv) == 4 and argv[1:3] == ['-q', '-w'] and bool(SYSCTL.match(argv[3]))


def _conntrack(argv):
    if len(argv) != 4 or argv[1] != '-D' or argv[2] not in ('-d', '-s'):
        return False
    try:
        ipaddress.ip_address(argv[3])
    except ValueError:
        return False
    return True


def networks_dir():
    """Where dnsmasq's files may be: ``<state_path>/networks``."""
    return os.path.realpath(os.path.join(CONF.state_path, 'networks'))


def _under_networks(path):
    real = os.path.realpath(path)
    return real.startswith(networks_dir() + os.sep) and os.path.basename(real) in (
        'pid', 'hosts', 'leases', 'opts')


def _valid_range(value):
    m = DHCP_RANGE.match(value)
    if not m:
        return False
    try:
        ipaddress.ip_address(m.group(1))
        ipaddress.ip_network(f'0.0.0.0/{m.group(3)}')
    except ValueError:
        return False
    return True


_DNSMASQ_FLAGS = {'--no-hosts', '--no-resolv', '--bind-interfaces', '--dhcp-authoritative',
                  '--dhcp-no-override', '--conf-file=/dev/null', '--except-interface=lo',
                  '--port=0'}
_DNSMASQ_VALUES = {
    '--interface': IFNAME.match,
    '--pid-file': _under_networks,
    '--dhcp-hostsfile': _under_networks,
    '--dhcp-leasefile': _under_networks,
    '--dhcp-optsfile': _under_networks,
    '--domain': DOMAIN.match,
    '--dhcp-range': _valid_range,
    '--user': USER.match,
}


def _dnsmasq(argv):
    if argv[0] != CONF.network.dnsmasq:
        return False
    seen = set()
    for arg in argv[1:]:
        if arg in _DNSMASQ_FLAGS:
            continue
        key, sep, value = arg.partition('=')
        ok = _DNSMASQ_VALUES.get(key)
        if not sep or ok is None or key in seen or not ok(value):
            return False
        seen.add(key)
    return '--conf-file=/dev/null' in argv and '--pid-file' in seen


COMMANDS = {
    'iptables-save': _save,
    'ip6tables-save': _save,
    'iptables-restore': _exact(['--noflush']),
    'ip6tables-restore': _exact(['--noflush']),
    'ipset': _ipset,
    'sysctl': _sysctl,
    'conntrack': _conntrack,
}


def check(argv):
    """``argv`` if it is on the allow-list, else :class:`Refused`."""
    if not isinstance(argv, (list, tuple)) or not argv or \
            not all(isinstance(a, str) for a in argv):
        raise Refused(f'privileged command refused (not a list of strings): {argv!r}'[:300])
    argv = list(argv)
    if any('\0' in a or '\n' in a for a in argv):
        _refuse(argv, 'control character in an argument')
    name = argv[0]
    if name == CONF.network.dnsmasq or os.path.basename(name) == 'dnsmasq':
        if not _dnsmasq(argv):
            _refuse(argv, 'dnsmasq arguments are not the ones iaas-network builds')
        return argv
    rule = COMMANDS.get(name)
    if rule is None:
        _refuse(argv, f'unknown command {name!r}; allowed: '
                      f'{", ".join(sorted([*COMMANDS, "dnsmasq"]))}')
    if not rule(argv):
        _refuse(argv, f'arguments not allowed for {name}')
    return argv


def check_netns(netns):
    """``netns`` (a namespace name or None) if it is a plain name."""
    if netns is not None and (not isinstance(netns, str) or not NETNS.match(netns)):
        raise Refused(f'network namespace name refused: {netns!r}'[:200])
    return netns


def check_ifname(name):
    if not isinstance(name, str) or not IFNAME.match(name):
        raise Refused(f'interface name refused: {name!r}'[:200])
    return name
