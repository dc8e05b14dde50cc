"""iSCSI exports through tgt (``tgtadm``), shared by the iscsi and lvm backends.

One target per attached volume, ``<target_prefix>volume-<id>``, with the
volume as LUN 1. Each attachment (connector) gets its own CHAP account
bound to the target, and the target's ACL lists the connector's address
(and initiator name when it has one); detaching removes the account and
the ACL entries no other attachment needs, and the target with the last
one. tgtd keeps all of this in memory only: the driver writes what it made
to ``<tgt_state_dir>/<volume id>.json`` (mode 0600: it holds the CHAP
secrets) and :meth:`TgtExports.restore_exports` puts back what a restarted
tgtd lost.

tgtd takes orders from root only: every ``tgtadm`` goes through
``iaas.privileged.volume.execute`` (allow-listed argv, no shell).

*Limits:* tgt binds accounts to a target, not to an initiator, so any ACL'd
initiator knowing one attachment's secret may log in, and tgt admits an
initiator whose address OR name is in the ACL (the per-attachment CHAP
secret is what keeps attachments apart); the secret is on the
``tgtadm`` command line for a moment (tgtadm has no other way), visible to
local users through ``ps``.
"""
import hashlib
import json
import os
import re
import secrets
import string

from oslo_config import cfg

from iaas.volume.drivers import base
from iaas.volume.drivers.base import DriverError

tgt_opts = [
    cfg.StrOpt('target_ip_address', default='127.0.0.1',
               help='Address of the iSCSI portal given to initiators (tgtd listens '
                    'on it; start tgtd with --iscsi portal=ADDRESS:PORT).'),
    cfg.PortOpt('target_port', default=3260, help='Port of the iSCSI portal.'),
    cfg.StrOpt('target_prefix', default='iqn.2010-10.org.openstack:',
               help='Prefix of the target names; the volume name follows it.'),
    cfg.IntOpt('tgt_control_port', default=0, min=0, max=32767,
               help="tgtd's management channel (tgtd/tgtadm -C); 0 is tgtd's default."),
    cfg.StrOpt('tgt_state_dir', default='$state_path/volume-tgt',
               help='Where the targets, accounts and ACLs made are recorded (CHAP '
                    'secrets included: mode 0700), to restore them after tgtd restarts.'),
]

TARGET_LINE = re.compile(r'^Target (\d+): (\S+)$')
LUN_LINE = re.compile(r'^\s+LUN: (\d+)$')
BACKING_LINE = re.compile(r'^\s+Backing store path: (.*)$')
SECRET_CHARS = string.ascii_letters + string.digits


def parse_targets(text):
    """``{iqn: {'tid', 'luns': {lun: backing path}, 'accounts': [...],
    'acl': [...]}}`` from ``tgtadm --mode target --op show``."""
    targets, current, section, lun = {}, None, None, None
    for line in text.splitlines():
        m = TARGET_LINE.match(line)
        if m:
            current = {'tid': int(m.group(1)), 'luns': {}, 'accounts': [], 'acl': []}
            targets[m.group(2)] = current
            section = None
            continue
        if current is None or not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        if indent == 4:
            section = line.strip().rstrip(':')
            continue
        if section == 'LUN information':
            m = LUN_LINE.match(line)
            if m:
                lun = int(m.group(1))
                continue
            m = BACKING_LINE.match(line)
            if m and lun is not None:
                current['luns'][lun] = m.group(1).strip()
        elif section == 'Account information' and indent == 8:
            current['accounts'].append(line.strip())
        elif section == 'ACL information' and indent == 8:
            current['acl'].append(line.strip())
    return targets


def parse_accounts(text):
    """The account names of ``tgtadm --mode account --op show``."""
    return [line.strip() for line in text.splitlines()[1:] if line.strip()]


class Tgt:
    """argv of the tgtadm operations the drivers use, run as root."""

    def __init__(self, execute, control_port=0):
        self._execute = execute             # argv -> stdout (DriverError on failure)
        self.control_port = control_port

    def argv(self, mode, op, *args):
        ctl = ['-C', str(self.control_port)] if self.control_port else []
        return ['tgtadm', *ctl, '--lld', 'iscsi', '--mode', mode, '--op', op, *map(str, args)]

    def run(self, mode, op, *args):
        return self._execute(self.argv(mode, op, *args))

    def targets(self):
        return parse_targets(self.run('target', 'show'))

    def accounts(self):
        return parse_accounts(self.run('account', 'show'))


class TgtExports:
    """The connection side of a backend exported by tgt. Mixed into a
    :class:`base.VolumeDriver` that defines :meth:`export_path`."""

    protocol = 'iscsi'

    def export_path(self, volume):
        raise NotImplementedError

    @property
    def tgt(self):
        return Tgt(lambda argv: self._execute(argv, root=True, timeout=60),
                   self.conf.tgt_control_port)

    def iqn(self, volume):
        return f'{self.conf.target_prefix}volume-{base.check_id(volume["id"])}'

    @staticmethod
    def chap_user(volume, connector):
        """One account per (volume, connector), the same on every call."""
        key = '|'.join(str(connector.get(k) or '') for k in ('host', 'ip', 'initiator'))
        return 'iaas-' + hashlib.sha256(f'{volume["id"]}|{key}'.encode()).hexdigest()[:20]

    # -- state -------------------------------------------------------------

    def _state_path(self, volume):
        return os.path.join(self.conf.tgt_state_dir, f'{base.check_id(volume["id"])}.json')

    def _load(self, volume):
        try:
            with open(self._state_path(volume)) as f:
                return json.load(f)
        except FileNotFoundError:
            return {'connectors': {}}

    def _save(self, volume, state):
        path = self._state_path(volume)
        if not state['connectors']:
            if os.path.exists(path):
                os.unlink(path)
            return
        os.makedirs(self.conf.tgt_state_dir, mode=0o700, exist_ok=True)
        tmp = path + '.tmp'
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            json.dump(state, f)
        os.replace(tmp, path)

    # -- tgtd ----------------------------------------------------------------

    def check_tgt(self):
        base.require_binaries('tgtadm')
        try:
            self.tgt.targets()
        except DriverError as e:
            raise DriverError(f'tgtd does not answer on control port '
                              f'{self.conf.tgt_control_port or "default"}: {e}') from e

    def _ensure_target(self, tgt, volume, targets):
        iqn, path = self.iqn(volume), self.export_path(volume)
        t = targets.get(iqn)
        if t is not None and t['luns'].get(1) == path:
            return t
        if t is not None:               # a stale LUN: export the volume afresh
            tgt.run('target', 'delete', '--force', '--tid', t['tid'])
        for _attempt in range(5):
            tid = max([x['tid'] for x in targets.values()] or [0]) + 1
            try:
                tgt.run('target', 'new', '--tid', tid, '--targetname', iqn)
                break
            except DriverError:         # taken meanwhile (another backend)
                targets = tgt.targets()
        else:
            raise DriverError(f'no free tgt target id for {iqn}')
        try:
            tgt.run('logicalunit', 'new', '--tid', tid, '--lun', 1, '--backing-store', path)
        except DriverError:
            tgt.run('target', 'delete', '--force', '--tid', tid)
            raise
        return {'tid': tid, 'luns': {1: path}, 'accounts': [], 'acl': []}

    def _grant(self, tgt, t, user, password, conn, accounts):
        if user in t['accounts']:
            tgt.run('account', 'unbind', '--tid', t['tid'], '--user', user)
        if user in accounts:            # a new secret for this attachment
            tgt.run('account', 'delete', '--user', user)
        tgt.run('account', 'new', '--user', user, '--password', password)
        tgt.run('account', 'bind', '--tid', t['tid'], '--user', user)
        if conn['ip'] and conn['ip'] not in t['acl']:
            tgt.run('target', 'bind', '--tid', t['tid'], '--initiator-address', conn['ip'])
            t['acl'].append(conn['ip'])
        if conn['initiator'] and conn['initiator'] not in t['acl']:
            tgt.run('target', 'bind', '--tid', t['tid'], '--initiator-name', conn['initiator'])
            t['acl'].append(conn['initiator'])

    def initialize_connection(self, volume, connector):
        vid = base.check_id(volume['id'])
        if not connector.get('ip'):
            raise DriverError('an iSCSI connector needs the initiator host address (ip)')
        with self._lock(vid):
            if not os.path.exists(self.export_path(volume)):
                raise base.VolumeNotFoundInDriver(f'volume {vid} has nothing to export')
            tgt = self.tgt
            t = self._ensure_target(tgt, volume, tgt.targets())
            user = self.chap_user(volume, connector)
            password = ''.join(secrets.choice(SECRET_CHARS) for _ in range(16))
            conn = {'ip': connector['ip'], 'initiator': connector.get('initiator'),
                    'password': password}
            self._grant(tgt, t, user, password, conn, tgt.accounts())
            state = self._load(volume)
            state['connectors'][user] = conn
            self._save(volume, state)
        return {'driver_volume_type': 'iscsi',
                'data': {'target_portal': f'{self.conf.target_ip_address}:'
                                          f'{self.conf.target_port}',
                         'target_iqn': self.iqn(volume), 'target_lun': 1,
                         'target_discovered': False, 'auth_method': 'CHAP',
                         'auth_username': user, 'auth_password': password,
                         'volume_id': vid}}

    def terminate_connection(self, volume, connector):
        vid = base.check_id(volume['id'])
        with self._lock(vid):
            self._revoke(volume, self.chap_user(volume, connector))

    def _revoke(self, volume, user):
        tgt = self.tgt
        state = self._load(volume)
        state['connectors'].pop(user, None)
        t = tgt.targets().get(self.iqn(volume))
        if t is not None:
            if user in t['accounts']:
                tgt.run('account', 'unbind', '--tid', t['tid'], '--user', user)
            keep = {v for c in state['connectors'].values() for v in (c['ip'], c['initiator'])}
            if state['connectors']:
                for entry in t['acl']:
                    if entry not in keep:
                        flag = '--initiator-name' if entry.startswith(('iqn.', 'eui.')) \
                            else '--initiator-address'
                        tgt.run('target', 'unbind', '--tid', t['tid'], flag, entry)
            else:
                tgt.run('target', 'delete', '--force', '--tid', t['tid'])
        if user in tgt.accounts():
            tgt.run('account', 'delete', '--user', user)
        self._save(volume, state)

    def remove_export(self, volume):
        """Drop the volume's target and accounts (before deleting it)."""
        vid = base.check_id(volume['id'])
        with self._lock(vid):
            state = self._load(volume)
            for user in list(state['connectors']):
                self._revoke(volume, user)
            t = self.tgt.targets().get(self.iqn(volume))
            if t is not None:
                self.tgt.run('target', 'delete', '--force', '--tid', t['tid'])

    def restore_exports(self):
        """At start: recreate the targets, accounts and ACLs of the state
        files that tgtd lacks (it was restarted)."""
        d = self.conf.tgt_state_dir
        if not os.path.isdir(d):
            return
        tgt = self.tgt
        targets, accounts = tgt.targets(), tgt.accounts()
        for name in sorted(os.listdir(d)):
            vid = name[:-5]
            if not name.endswith('.json') or not base.UUID.match(vid):
                continue
            volume = {'id': vid}
            if not os.path.exists(self.export_path(volume)):
                os.unlink(os.path.join(d, name))
                continue
            state = self._load(volume)
            with self._lock(vid):
                t = self._ensure_target(tgt, volume, targets)
                targets[self.iqn(volume)] = t
                for user, conn in state['connectors'].items():
                    if user not in t['accounts']:
                        self._grant(tgt, t, user, conn['password'], conn, accounts)
