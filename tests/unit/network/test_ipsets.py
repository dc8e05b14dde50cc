"""Remote security groups as ipsets: one rule per remote group, sets refilled
atomically, stale sets destroyed after the rules, per-address fallback."""
from iaas.network import firewall, ipsets
from tests.unit.network.test_firewall import STATE

SETS = dict(STATE, ipsets=True)


def test_one_rule_per_remote_group():
    chains = firewall.build(SETS)
    name = ipsets.set_name('g1')
    assert len(name) + 2 <= 31
    ingress = [' '.join(r) for r in chains['filter'][firewall._chain('i', 'p1')]]
    assert f'-m set --match-set {name} src -j ACCEPT' in ingress
    assert not any(x.startswith('-s 10.0.0.6/32') for x in ingress)
    # without sets: one rule per member
    plain = [' '.join(r) for r in firewall.build(STATE)['filter'][firewall._chain('i', 'p1')]]
    assert '-s 10.0.0.6/32 -j ACCEPT' in plain and not any('match-set' in x for x in plain)


def test_wanted_sets_and_restore_input():
    sets = ipsets.wanted(SETS)
    # only IPv4 members; only groups some rule names as remote group
    assert sets == {ipsets.set_name('g1'): ['10.0.0.5', '10.0.0.6']}
    name = ipsets.set_name('g1')
    text = ipsets.restore_input(sets).splitlines()
    assert text == [f'create {name} hash:ip family inet', f'create {name}-t hash:ip family inet',
                    f'flush {name}-t', f'add {name}-t 10.0.0.5', f'add {name}-t 10.0.0.6',
                    f'swap {name}-t {name}', f'destroy {name}-t']


def test_apply_order_and_prune():
    calls = []
    stale = ipsets.set_name('gone')

    def run(argv, input=None):
        calls.append(argv)
        if argv[:3] == ['ipset', 'list', '-n']:
            return f'{ipsets.set_name("g1")}\n{stale}\nsomeone-elses\n'
        return ''
    firewall.apply(run, SETS)
    tools = [' '.join(a[:2]) for a in calls]
    assert tools[0] == 'ipset -exist'                      # sets first ...
    assert tools.index('iptables-restore --noflush') < tools.index('ipset destroy')
    assert ['ipset', 'destroy', stale] in calls              # ... stale ones last
    assert not any(a[:2] == ['ipset', 'destroy'] and a[2] != stale for a in calls)


def test_fallback_without_ipset():
    loaded = {}

    def run(argv, input=None):
        if argv[0] == 'ipset':
            raise OSError('ipset: not found')
        if argv[0] == 'iptables-restore':
            loaded['text'] = input
        return ''
    firewall.apply(run, SETS)
    assert 'match-set' not in loaded['text'] and '-s 10.0.0.6/32 -j ACCEPT' in loaded['text']


class FakeKernel:
    """``*-save`` prints what was last restored (iptables with a fresh time
    stamp and counters, as the real tools do); counts the restores."""

    def __init__(self):
        self.tables = {'iptables': '', 'ip6tables': '', 'ipset': ''}
        self.restores = []
        self.tick = 0

    def __call__(self, argv, input=None):
        self.tick += 1
        tool = argv[0].rsplit('-', 1)[0]
        if argv[0].endswith('-restore') or argv[:3] == ['ipset', '-exist', 'restore']:
            self.restores.append(tool)
            self.tables[tool] = input
            return ''
        if argv[:2] == ['ipset', 'save']:
            return self.tables[tool]
        if argv[0].endswith('-save'):
            return f'# Generated on tick {self.tick}\n:INPUT ACCEPT [{self.tick}:99]\n' + \
                self.tables[tool]
        return ''


def test_unchanged_state_is_not_reloaded():
    k, memo = FakeKernel(), {}
    firewall.apply(k, SETS, memo)
    assert sorted(k.restores) == ['ip6tables', 'ipset', 'iptables']
    k.restores.clear()
    firewall.apply(k, SETS, memo)                 # a refresh that changes nothing here
    assert k.restores == []
    k.tables['iptables'] += '-A iaas-FORWARD -j ACCEPT\n'     # somebody edited our chain
    firewall.apply(k, SETS, memo)
    assert k.restores == ['iptables']
    k.restores.clear()
    moved = dict(SETS, floating_ips=[])                        # a real change
    firewall.apply(k, moved, memo)
    assert k.restores == ['iptables']
    k.restores.clear()
    members = {g: dict(v, members=['10.0.0.5']) for g, v in SETS['groups'].items()}
    firewall.apply(k, dict(moved, groups=members), memo)      # a set's members changed
    assert 'ipset' in k.restores
