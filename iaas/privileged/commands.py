"""The allow-lists of commands iaas-network and iaas-volume may run as root.

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

iaas-volume's (:func:`check_volume`, a list of its own: net_admin cannot run
these, volume_admin cannot run the ones above):

* ``tgtadm [-C PORT] --lld iscsi --mode target|logicalunit|account --op …``
  with the operations the iSCSI/LVM drivers use (targets ``iqn.…``, LUNs
  backed only by a ``volume-<uuid>`` regular file or ``/dev/VG/volume-<uuid>``
  block device, CHAP accounts, initiator ACLs)
* ``lvcreate -T VG/POOL -V Ng -n NAME`` / ``lvcreate -kn -s -n NAME VG/LV``,
  ``lvextend -L Ng VG/LV``, ``lvremove -f VG/LV``, ``lvs``/``vgs
  --noheadings --units g --nosuffix --separator | -o FIELDS VG[/LV]``, where
  LV names are ``volume-<uuid>``/``snapshot-<uuid>``
* ``qemu-img convert -f raw -O raw -n SRC /dev/VG/volume-<uuid>``, SRC one of
  our LVs or a raw file under ``<state_path>`` (raw only: a qcow2/vmdk
  header could name any file as its backing file or extent).
"""
import ipaddress
import os
import re
import stat

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


IQN = re.compile(r'^(iqn\.[0-9]{4}-[0-9]{2}\.[a-z0-9][a-z0-9.\-]*(:[A-Za-z0-9.\-_:]+)?'
                 r'|eui\.[0-9A-Fa-f]{16})$')
CHAP_USER = re.compile(r'^[A-Za-z0-9_\-]{1,64}$')
CHAP_SECRET = re.compile(r'^[A-Za-z0-9]{12,64}$')
VOLUME_NAME = re.compile(r'^volume-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')
LV_NAME = re.compile(r'^(volume|snapshot)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                     r'[0-9a-f]{12}$')
VG_NAME = re.compile(r'^[A-Za-z0-9+_.][A-Za-z0-9+_.\-]{0,126}$')
LVM_FIELDS = re.compile(r'^[a-z_]+(,[a-z_]+)*$')
SIZE_G = re.compile(r'^[1-9][0-9]{0,6}g$')


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


def _argv(argv):
    """``argv`` as a list of strings without control characters, else Refused."""
    if not isinstance(argv, (list, tuple)) or not argv or \
            not all(isinstance(a, str) for a in argv):
        raise Refused(f'privileged command refused (not a list of strings): {argv!r}'[:300])
    argv = list(argv)
    if any('\0' in a or '\n' in a for a in argv):
        _refuse(argv, 'control character in an argument')
    return argv


def check(argv):
    """``argv`` if it is on the allow-list, else :class:`Refused`."""
    argv = _argv(argv)
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


# -- iaas-volume -------------------------------------------------------------

def _int_in(lo, hi):
    def ok(value):
        return value.isdigit() and lo <= int(value) <= hi
    return ok


def _address(value):
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def _lv(value, names=LV_NAME):
    """``VG/LV`` with an LV name of ours."""
    vg, sep, lv = value.partition('/')
    return bool(sep and VG_NAME.match(vg) and names.match(lv))


def _lv_device(path, names=LV_NAME):
    """``/dev/VG/LV`` (ours) that is a block device."""
    if not path.startswith('/dev/') or not _lv(path[len('/dev/'):], names):
        return False
    try:
        return stat.S_ISBLK(os.stat(path).st_mode)
    except OSError:
        return False


def _volume_file(path):
    """A regular file named ``volume-<uuid>`` (also after resolving links)."""
    if not os.path.isabs(path) or path.startswith(('/dev/', '/proc/', '/sys/')):
        return False
    real = os.path.realpath(path)
    if not VOLUME_NAME.match(os.path.basename(path)) or \
            not VOLUME_NAME.match(os.path.basename(real)):
        return False
    try:
        return stat.S_ISREG(os.lstat(real).st_mode)
    except OSError:
        return False


def _backing_store(path):
    return _lv_device(path, VOLUME_NAME) or _volume_file(path)


_TGT_VALUES = {
    '--tid': _int_in(1, 1 << 20),
    '--lun': _int_in(1, 255),
    '--targetname': IQN.match,
    '--initiator-address': _address,
    '--initiator-name': IQN.match,
    '--user': CHAP_USER.match,
    '--password': CHAP_SECRET.match,
    '--backing-store': _backing_store,
    '--bsoflags': {'sync', 'direct', 'sync:direct'}.__contains__,
}
# (mode, op) -> (required options, optional options, allowed flags)
_TGT_OPS = {
    ('target', 'show'): (set(), set(), set()),
    ('target', 'new'): ({'--tid', '--targetname'}, set(), set()),
    ('target', 'delete'): ({'--tid'}, set(), {'--force'}),
    ('target', 'bind'): ({'--tid'}, {'--initiator-address', '--initiator-name'}, set()),
    ('target', 'unbind'): ({'--tid'}, {'--initiator-address', '--initiator-name'}, set()),
    ('logicalunit', 'new'): ({'--tid', '--lun', '--backing-store'}, {'--bsoflags'}, set()),
    ('logicalunit', 'delete'): ({'--tid', '--lun'}, set(), set()),
    ('account', 'show'): (set(), set(), set()),
    ('account', 'new'): ({'--user', '--password'}, set(), set()),
    ('account', 'delete'): ({'--user'}, set(), set()),
    ('account', 'bind'): ({'--tid', '--user'}, set(), set()),
    ('account', 'unbind'): ({'--tid', '--user'}, set(), set()),
}


def _tgtadm(argv):
    rest = list(argv[1:])
    if rest[:1] == ['-C']:
        if len(rest) < 2 or not _int_in(0, 32767)(rest[1]):
            return False
        rest = rest[2:]
    if rest[:2] != ['--lld', 'iscsi'] or len(rest) < 6 or rest[2] != '--mode' or \
            rest[4] != '--op':
        return False
    form = _TGT_OPS.get((rest[3], rest[5]))
    if form is None:
        return False
    required, optional, flags = form
    seen, i, rest = set(), 0, rest[6:]
    while i < len(rest):
        key = rest[i]
        if key in flags and key not in seen:
            seen.add(key)
            i += 1
            continue
        if key in seen or key not in required | optional or i + 1 >= len(rest) or \
                not _TGT_VALUES[key](rest[i + 1]):
            return False
        seen.add(key)
        i += 2
    if not required <= seen:
        return False
    # An ACL change names exactly one initiator (by address or by name).
    acl = {'--initiator-address', '--initiator-name'}
    return not optional & acl or len(seen & acl) == 1


def _lvcreate(argv):
    rest = list(argv[1:])
    if len(rest) == 6 and rest[0] == '-T' and rest[2] == '-V' and rest[4] == '-n':
        vg, sep, pool = rest[1].partition('/')
        return bool(sep and VG_NAME.match(vg) and VG_NAME.match(pool) and
                    SIZE_G.match(rest[3]) and LV_NAME.match(rest[5]))
    return len(rest) == 5 and rest[:3] == ['-kn', '-s', '-n'] and \
        bool(LV_NAME.match(rest[3])) and _lv(rest[4])


def _lvextend(argv):
    return len(argv) == 4 and argv[1] == '-L' and bool(SIZE_G.match(argv[2])) and _lv(argv[3])


def _lvremove(argv):
    return len(argv) == 3 and argv[1] == '-f' and _lv(argv[2])


def _lvm_report(argv):
    rest = list(argv[1:])
    if rest[:7] != ['--noheadings', '--units', 'g', '--nosuffix', '--separator', '|', '-o'] \
            or len(rest) != 9 or not LVM_FIELDS.match(rest[7]):
        return False
    target = rest[8]
    return bool(VG_NAME.match(target)) or (argv[0] == 'lvs' and _lv(target)) or \
        (argv[0] == 'lvs' and target.count('/') == 1 and
         all(VG_NAME.match(p) for p in target.split('/')))


def _under_state_path(path):
    real = os.path.realpath(path)
    top = os.path.realpath(CONF.state_path)
    try:
        return real.startswith(top + os.sep) and stat.S_ISREG(os.stat(real).st_mode)
    except OSError:
        return False


def _qemu_img(argv):
    rest = list(argv[1:])
    if rest[:1] != ['convert']:
        return False
    rest = rest[1:]
    if rest[:1] == ['-U']:
        rest = rest[1:]
    if len(rest) != 7 or rest[:5] != ['-f', 'raw', '-O', 'raw', '-n']:
        return False
    src, dst = rest[5], rest[6]
    return _lv_device(dst, VOLUME_NAME) and (_lv_device(src) or _under_state_path(src))


VOLUME_COMMANDS = {
    'tgtadm': _tgtadm,
    'lvcreate': _lvcreate,
    'lvextend': _lvextend,
    'lvremove': _lvremove,
    'lvs': _lvm_report,
    'vgs': _lvm_report,
    'qemu-img': _qemu_img,
}


def check_volume(argv):
    """``argv`` if it is on iaas-volume's allow-list, else :class:`Refused`."""
    argv = _argv(argv)
    rule = VOLUME_COMMANDS.get(argv[0])
    if rule is None:
        _refuse(argv, f'unknown command {argv[0]!r}; allowed: '
                      f'{", ".join(sorted(VOLUME_COMMANDS))}')
    if not rule(argv):
        _refuse(argv, f'arguments not allowed for {argv[0]}')
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
