"""A stand-in for tgtd: interprets the tgtadm argv a driver runs (each first
checked against the privileged allow-list) and answers ``--op show`` in
tgtadm's own format."""
from iaas.privileged import commands
from iaas.volume.drivers.base import DriverError


class FakeTgtd:
    def __init__(self):
        self.targets = {}       # tid -> {'iqn', 'luns': {}, 'accounts': [], 'acl': []}
        self.accounts = {}      # user -> password
        self.argvs = []

    def execute(self, argv, root=False, input=None, timeout=600, check=True):
        assert root, f'{argv[0]} must run as root'
        commands.check_volume(argv)
        self.argvs.append(list(argv))
        rest = argv[argv.index('--mode') + 1:]
        mode, op, opts = rest[0], rest[2], rest[3:]
        kv = {}
        i = 0
        while i < len(opts):
            if opts[i] == '--force':
                i += 1
                continue
            kv[opts[i]] = opts[i + 1]
            i += 2
        try:
            out = getattr(self, f'_{mode}_{op}')(kv)
        except (KeyError, ValueError) as e:
            if check:
                raise DriverError(f'tgtadm: {e}') from e
            return 22, '', str(e)
        return out if check else (0, out, '')

    def _target_show(self, kv):
        lines = []
        for tid in sorted(self.targets):
            t = self.targets[tid]
            lines += [f'Target {tid}: {t["iqn"]}', '    System information:',
                      '        Driver: iscsi', '        State: ready',
                      '    I_T nexus information:', '    LUN information:',
                      '        LUN: 0', '            Type: controller',
                      '            Backing store path: None']
            for lun, path in sorted(t['luns'].items()):
                lines += [f'        LUN: {lun}', '            Type: disk',
                          '            Size: 1074 MB, Block size: 512',
                          f'            Backing store path: {path}',
                          '            Backing store flags: ']
            lines += ['    Account information:'] + [f'        {a}' for a in t['accounts']]
            lines += ['    ACL information:'] + [f'        {a}' for a in t['acl']]
        return '\n'.join(lines) + '\n'

    def _target_new(self, kv):
        tid = int(kv['--tid'])
        if tid in self.targets:
            raise ValueError('target exists')
        self.targets[tid] = {'iqn': kv['--targetname'], 'luns': {}, 'accounts': [], 'acl': []}
        return ''

    def _target_delete(self, kv):
        del self.targets[int(kv['--tid'])]
        return ''

    def _target_bind(self, kv):
        entry = kv.get('--initiator-address') or kv['--initiator-name']
        acl = self.targets[int(kv['--tid'])]['acl']
        if entry in acl:
            raise ValueError('already bound')
        acl.append(entry)
        return ''

    def _target_unbind(self, kv):
        entry = kv.get('--initiator-address') or kv['--initiator-name']
        self.targets[int(kv['--tid'])]['acl'].remove(entry)
        return ''

    def _logicalunit_new(self, kv):
        self.targets[int(kv['--tid'])]['luns'][int(kv['--lun'])] = kv['--backing-store']
        return ''

    def _account_show(self, kv):
        return 'Account list:\n' + ''.join(f'    {u}\n' for u in self.accounts)

    def _account_new(self, kv):
        if kv['--user'] in self.accounts:
            raise ValueError('account exists')
        self.accounts[kv['--user']] = kv['--password']
        return ''

    def _account_delete(self, kv):
        del self.accounts[kv['--user']]
        return ''

    def _account_bind(self, kv):
        assert kv['--user'] in self.accounts
        self.targets[int(kv['--tid'])]['accounts'].append(kv['--user'])
        return ''

    def _account_unbind(self, kv):
        self.targets[int(kv['--tid'])]['accounts'].remove(kv['--user'])
        return ''
