"""iptables: security groups, project isolation, floating IP and outbound NAT,
the metadata redirect — all in chains of our own; and, for IPv6 (not served
to guests yet), ip6tables chains that drop guarded ports' IPv6 traffic so
it cannot go around the IPv4 security groups.

:func:`build` turns a plain description of the host's state into
``iptables-restore`` input; :func:`apply` loads it with ``--noflush`` so no
other chain is touched. Every one of our chains is declared in the input
(declaring a user chain flushes it), so applying the same state twice gives
the same rules, never duplicates; our chains no longer wanted are flushed
and deleted; the single jump from each built-in chain into ours is added
only when ``iptables-save`` does not show it already.

State (plain dicts; this module knows nothing of the DB)::

    {'ports': [{'id', 'ips': [..], 'security_groups': [uuid..], 'mac_address',
                'port_security_enabled': bool, 'devname': host-side device}],
     'groups': {uuid: {'rules': [neutron rule dicts], 'members': [ips]}},
     'isolate': [(bridge_a, bridge_b), ...],     # no forwarding between them
     'floating_ips': [{'address', 'fixed_ip_address'}],
     'snat': [{'cidr', 'out_interface', 'to_source'}],
     'masquerade': {'sources': [cidrs], 'keep': [out interfaces]},  # or None
     'metadata': {'bridges': [..], 'host': ip or None, 'port': int},
     'ipsets': bool}                              # remote groups as ipsets
"""
import hashlib
import ipaddress
import logging
import re

from iaas.network import ipsets

PREFIX = 'iaas-'
TOP = {  # table -> [(built-in chain, our top chain)]
    'filter': [('INPUT', 'iaas-INPUT'), ('FORWARD', 'iaas-FORWARD')],
    'nat': [('PREROUTING', 'iaas-PREROUTING'), ('OUTPUT', 'iaas-OUTPUT'),
            ('POSTROUTING', 'iaas-POSTROUTING')],
}
TOP6 = {'filter': TOP['filter']}
METADATA_IP = '169.254.169.254'
LOG = logging.getLogger(__name__)


def _chain(kind, port_id):
    # iptables chain names hold at most 28 characters.
    return f'{PREFIX}{kind}-{hashlib.sha1(port_id.encode()).hexdigest()[:12]}'


def _v4(ips):
    return [ip for ip in ips if ipaddress.ip_address(ip).version == 4]


# IP protocol numbers of the names a rule may carry (rules keep the protocol
# as the user gave it, "17" or "udp"); iptables gets tcp/udp/icmp by name
# (the port matches need it) and any other as its number.
_NUMBERS = {'tcp': 6, 'udp': 17, 'icmp': 1, 'ipv6-icmp': 58, 'icmpv6': 58, 'dccp': 33,
            'sctp': 132, 'udplite': 136, 'gre': 47, 'esp': 50, 'ah': 51, 'igmp': 2,
            'ospf': 89, 'vrrp': 112, 'pgm': 113, 'rsvp': 46, 'egp': 8, 'encap': 98,
            'ipip': 4, 'ipv6-encap': 41, 'ipv6-frag': 44, 'ipv6-nonxt': 59,
            'ipv6-opts': 60, 'ipv6-route': 43}
_NAMES = {6: 'tcp', 17: 'udp', 1: 'icmp'}


def _protocol(proto):
    proto = str(proto).lower()
    num = int(proto) if proto.isdigit() else _NUMBERS.get(proto)
    if num is None:
        return proto
    return _NAMES.get(num, str(num))


def _match(rule):
    """iptables match arguments of one security-group rule (no address part)."""
    parts = []
    proto = rule.get('protocol')
    if proto:
        proto = _protocol(proto)
        parts += ['-p', proto]
        lo, hi = rule.get('port_range_min'), rule.get('port_range_max')
        if proto in ('tcp', 'udp') and lo is not None:
            parts += ['--dport', f'{lo}:{hi}' if hi not in (None, lo) else str(lo)]
        elif proto == 'icmp' and lo is not None:
            parts += ['--icmp-type', f'{lo}/{hi}' if hi is not None else str(lo)]
    return parts


def _pairs(port):
    """The port's IPv4 allowed address pairs."""
    return [a for a in port.get('allowed_address_pairs') or ()
            if ipaddress.ip_network(a['ip_address'], strict=False).version == 4]


def _cidr(address):
    net = ipaddress.ip_network(address, strict=False)
    return str(net) if net.prefixlen != 32 else f'{net.network_address}/32'


def _addresses(port):
    """Sources/destinations of the port's traffic: its IPv4 addresses, then
    its allowed address pairs' (``a.b.c.d/32`` or a CIDR), without repeats."""
    out = [f'{ip}/32' for ip in _v4(port['ips'])]
    for a in _pairs(port):
        if _cidr(a['ip_address']) not in out:
            out.append(_cidr(a['ip_address']))
    return out


def _unique(rules):
    """``rules`` without repeats, in order (two groups of a port often carry
    the same rule, e.g. the allow-all egress every new group gets)."""
    seen, out = set(), []
    for r in rules:
        if tuple(r) not in seen:
            seen.add(tuple(r))
            out.append(r)
    return out


def _group_rules(port, groups, direction, target, use_sets=False):
    """Rules of ``port``'s groups for ``direction`` (IPv4 only) as iptables
    argument lists ending in ``-j target``; a remote group is one ipset
    match with ``use_sets``, else one rule per member address."""
    out = []
    addr_flag = '-s' if direction == 'ingress' else '-d'
    for gu in port['security_groups']:
        for rule in groups.get(gu, {}).get('rules', []):
            if rule['direction'] != direction or rule.get('ethertype', 'IPv4') != 'IPv4':
                continue
            base = _match(rule)
            if rule.get('remote_group_id') and use_sets:
                out.append(['-m', 'set', '--match-set', ipsets.set_name(rule['remote_group_id']),
                            'src' if direction == 'ingress' else 'dst', *base, '-j', target])
            elif rule.get('remote_group_id'):
                members = _v4(groups.get(rule['remote_group_id'], {}).get('members', []))
                for ip in sorted(set(members)):
                    out.append([addr_flag, f'{ip}/32', *base, '-j', target])
            elif rule.get('remote_ip_prefix') and rule['remote_ip_prefix'] != '0.0.0.0/0':
                out.append([addr_flag, rule['remote_ip_prefix'], *base, '-j', target])
            else:
                out.append([*base, '-j', target])
    return _unique(out)


def build(state):
    """{table: [lines]} of iptables-restore input for our chains (no COMMIT)."""
    filt, nat = {}, {}
    chains = {'filter': filt, 'nat': nat}
    for table, tops in TOP.items():
        for _, top in tops:
            chains[table][top] = []
    fwd = filt['iaas-FORWARD']
    groups = state.get('groups', {})
    use_sets = bool(state.get('ipsets'))
    guarded = [p for p in state.get('ports', []) if p.get('port_security_enabled', True)
               and _v4(p['ips'])]
    fwd.append(['-m', 'conntrack', '--ctstate', 'INVALID', '-j', 'DROP'])
    # Anti-spoofing: what comes in from a guest's device carries its own MAC
    # and one of its own addresses (or is a DHCP request from 0.0.0.0) — to
    # other guests, outside (FORWARD) and this host (INPUT: gateway, metadata,
    # DHCP).
    for p in guarded:
        if not p.get('devname'):
            continue
        ch = _chain('s', p['id'])
        mac = p.get('mac_address')
        # allowed address pairs: another address (or CIDR) and MAC it may send from
        filt[ch] = [*(['-m', 'mac', '--mac-source', a['mac_address'], '-s', _cidr(a['ip_address']),
                       '-j', 'RETURN'] for a in _pairs(p)),
                    *([['-m', 'mac', '!', '--mac-source', mac, '-j', 'DROP']] if mac else []),
                    *(['-s', f'{ip}/32', '-j', 'RETURN'] for ip in _v4(p['ips'])),
                    ['-s', '0.0.0.0/32', '-d', '255.255.255.255/32', '-p', 'udp',
                     '--sport', '68', '--dport', '67', '-j', 'RETURN'], ['-j', 'DROP']]
        for top in (fwd, filt['iaas-INPUT']):
            top.append(['-m', 'physdev', '--physdev-in', p['devname'], '-j', ch])
    for a, b in state.get('isolate', []):
        fwd.append(['-i', a, '-o', b, '-j', 'DROP'])
        fwd.append(['-i', b, '-o', a, '-j', 'DROP'])
    fwd.append(['-m', 'conntrack', '--ctstate', 'RELATED,ESTABLISHED', '-j', 'ACCEPT'])
    # Egress first: allowed traffic RETURNs, so the destination's ingress
    # chain (when it is a guest here) still decides.
    for p in guarded:
        ch = _chain('o', p['id'])
        filt[ch] = [['-p', 'udp', '--sport', '68', '--dport', '67', '-j', 'RETURN'],
                    *_group_rules(p, groups, 'egress', 'RETURN', use_sets), ['-j', 'DROP']]
        for ip in _addresses(p):
            fwd.append(['-s', ip, '-j', ch])
    for p in guarded:
        ch = _chain('i', p['id'])
        filt[ch] = [['-p', 'udp', '--sport', '67', '--dport', '68', '-j', 'ACCEPT'],
                    *_group_rules(p, groups, 'ingress', 'ACCEPT', use_sets), ['-j', 'DROP']]
        for ip in _addresses(p):
            fwd.append(['-d', ip, '-j', ch])
    for p in guarded:
        for ip in _addresses(p):
            fwd.append(['-s', ip, '-j', 'ACCEPT'])

    pre, out, post = nat['iaas-PREROUTING'], nat['iaas-OUTPUT'], nat['iaas-POSTROUTING']
    md = state.get('metadata')
    if md:
        for br in md.get('bridges', []):
            m = ['-i', br, '-d', f'{METADATA_IP}/32', '-p', 'tcp', '--dport', '80']
            if md.get('host') in (None, '', '127.0.0.1', 'localhost'):
                pre.append([*m, '-j', 'REDIRECT', '--to-ports', str(md['port'])])
            else:
                pre.append([*m, '-j', 'DNAT', '--to-destination',
                            f'{md["host"]}:{md["port"]}'])
    masq = state.get('masquerade')
    if masq and masq.get('sources'):
        # first: leaving through any interface but ``keep`` (the public
        # bridge, the project bridges) takes that interface's address
        nat['iaas-masquerade'] = [*(['-o', dev, '-j', 'RETURN'] for dev in masq['keep']),
                                  *(['-s', c, '-j', 'MASQUERADE'] for c in masq['sources'])]
        post.append(['-j', 'iaas-masquerade'])
    for f in state.get('floating_ips', []):
        pre.append(['-d', f'{f["address"]}/32', '-j', 'DNAT', '--to-destination',
                    f['fixed_ip_address']])
        out.append(['-d', f'{f["address"]}/32', '-j', 'DNAT', '--to-destination',
                    f['fixed_ip_address']])
        post.append(['-s', f'{f["fixed_ip_address"]}/32', '-j', 'SNAT', '--to-source',
                     f['address']])
    for s in state.get('snat', []):
        post.append(['-s', s['cidr'], '!', '-d', s['cidr'], '-o', s['out_interface'],
                     '-j', 'SNAT', '--to-source', s['to_source']])
    return chains


def _quote(arg):
    return arg if arg and all(c.isalnum() or c in '-_./:,!+' for c in arg) else f'"{arg}"'


def build6(state):
    """ip6tables chains: a guarded port's IPv6 traffic is dropped on the bridge
    (no IPv6 path around the IPv4 rules, not even link-local between guests
    of different projects on one flat bridge)."""
    fwd, inp = [], []
    for p in state.get('ports', []):
        dev = p.get('devname')
        if not dev or not p.get('port_security_enabled', True):
            continue
        fwd.append(['-m', 'physdev', '--physdev-in', dev, '-j', 'DROP'])
        fwd.append(['-m', 'physdev', '--physdev-is-bridged', '--physdev-out', dev,
                    '-j', 'DROP'])
        inp.append(['-m', 'physdev', '--physdev-in', dev, '-j', 'DROP'])
    return {'filter': {'iaas-FORWARD': fwd, 'iaas-INPUT': inp}}


def restore_input(chains, existing, top_chains=None):
    """iptables-restore text for ``chains`` ({table: {chain: [rules]}}) given
    ``existing`` = parse_save(iptables-save output)."""
    top_chains = top_chains or TOP
    lines = []
    for table, wanted in chains.items():
        have = existing.get(table, {'chains': set(), 'rules': []})
        stale = sorted(c for c in have['chains'] if c.startswith(PREFIX) and c not in wanted)
        lines.append(f'*{table}')
        for name in sorted(wanted) + stale:
            lines.append(f':{name} - [0:0]')
        for builtin, top in top_chains[table]:
            jump = f'-A {builtin} -j {top}'
            if jump not in have['rules']:
                lines.append(f'-I {builtin} 1 -j {top}')
        for name in sorted(wanted):
            for rule in wanted[name]:
                lines.append(f'-A {name} ' + ' '.join(_quote(a) for a in rule))
        for name in stale:
            lines.append(f'-X {name}')
        lines.append('COMMIT')
    return '\n'.join(lines) + '\n'


def parse_save(text):
    """{table: {'chains': set, 'rules': [lines]}} from iptables-save output."""
    out, table = {}, None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith('*'):
            table = line[1:]
            out[table] = {'chains': set(), 'rules': []}
        elif table and line.startswith(':'):
            out[table]['chains'].add(line[1:].split()[0])
        elif table and line.startswith('-A '):
            out[table]['rules'].append(line)
    return out


def snapshot(saved):
    """``*-save`` output without what changes by itself (the comment lines
    with their time stamp, chain counters)."""
    return '\n'.join(re.sub(r' \[\d+:\d+\]$', '', line) for line in saved.splitlines()
                     if not line.startswith('#'))


def _load(run, tools, chains, tops, memo, key):
    """Restore ``chains`` with ``tools`` = (save, restore) unless ``memo``
    shows these very chains were loaded last time and nothing has changed
    the tables since (the usual refresh after someone else's change)."""
    save, restore = tools
    before = ''.join(run([save, '-t', table]) for table in chains)
    seen = memo.get(key) if memo is not None else None
    if seen and seen[0] == chains and seen[1] == snapshot(before):
        return seen[2]
    text = restore_input(chains, parse_save(before), tops)
    run([restore, '--noflush'], input=text)
    if memo is not None:
        after = ''.join(run([save, '-t', table]) for table in chains)
        memo[key] = (chains, snapshot(after), text)
    return text


def apply(run, state, memo=None):
    """Load ``state`` with ``run(argv, input=None) -> stdout`` (runs in the
    network namespace). Returns the restore input. ``memo``: a dict kept by
    the caller between calls, so an unchanged state is not loaded again."""
    sets = None
    if state.get('ipsets'):
        sets = ipsets.wanted(state)
        try:
            ipsets.load(run, sets, memo)
        except Exception as exc:
            LOG.warning('ipset not usable (%s): remote groups as one rule per address', exc)
            state, sets = dict(state, ipsets=False), None
    text = _load(run, ('iptables-save', 'iptables-restore'), build(state), TOP, memo, 'v4')
    try:
        _load(run, ('ip6tables-save', 'ip6tables-restore'), build6(state), TOP6, memo, 'v6')
    except Exception as exc:   # a host without IPv6 netfilter: nothing to guard
        LOG.warning('IPv6 guard not applied: %s', exc)
    if sets is not None:
        ipsets.prune(run, set(sets))
    return text
