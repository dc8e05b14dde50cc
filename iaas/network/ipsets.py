"""ipset: one ``hash:ip`` set per security group that a rule names as its
remote group, so "from members of group G" is one iptables rule
(``-m set --match-set``) instead of one rule per member address — with N
ports in a group, N rules instead of N² (Neutron's ``enable_ipset``).

Sets are refilled atomically (fill a temporary set, ``swap``, destroy the
temporary one), so a rule never sees a half-filled set; sets no longer
wanted are destroyed after the iptables rules that used them are gone.
"""
import hashlib
import ipaddress
import logging

PREFIX = 'iaas-g-'
LOG = logging.getLogger(__name__)


def set_name(group_id):
    # ipset names hold at most 31 characters (the temporary one adds '-t').
    return f'{PREFIX}{hashlib.sha1(group_id.encode()).hexdigest()[:12]}'


def wanted(state):
    """{set name: sorted IPv4 members} of every remote group used by a rule
    of a port with port security on this host."""
    groups = state.get('groups', {})
    used = set()
    for gu in {gu for p in state.get('ports', []) if p.get('port_security_enabled', True)
               for gu in p['security_groups']}:
        for rule in groups.get(gu, {}).get('rules', []):
            if rule.get('remote_group_id') and rule.get('ethertype', 'IPv4') == 'IPv4':
                used.add(rule['remote_group_id'])
    out = {}
    for rg in used:
        members = {ipaddress.ip_address(ip) for ip in groups.get(rg, {}).get('members', [])}
        out[set_name(rg)] = [str(ip) for ip in sorted(m for m in members if m.version == 4)]
    return out


def restore_input(sets):
    """``ipset -exist restore`` input that makes each set hold exactly its members."""
    lines = []
    for name, members in sorted(sets.items()):
        tmp = f'{name}-t'
        lines += [f'create {name} hash:ip family inet', f'create {tmp} hash:ip family inet',
                  f'flush {tmp}', *(f'add {tmp} {ip}' for ip in members),
                  f'swap {tmp} {name}', f'destroy {tmp}']
    return '\n'.join(lines) + '\n'


def load(run, sets, memo=None):
    """Fill the sets; skipped when ``memo`` shows the same sets were loaded
    last time and ``ipset save`` is unchanged since."""
    if memo is not None and memo.get('sets') == (sets, run(['ipset', 'save'])):
        return
    run(['ipset', '-exist', 'restore'], input=restore_input(sets))
    if memo is not None:
        memo['sets'] = (sets, run(['ipset', 'save']))


def prune(run, keep):
    """Destroy our sets not in ``keep`` (after the rules using them are gone)."""
    for name in run(['ipset', 'list', '-n']).split():
        if name.startswith(PREFIX) and name not in keep:
            try:
                run(['ipset', 'destroy', name])
            except Exception as exc:       # still referenced: next sync
                LOG.info('ipset %s not destroyed yet: %s', name, exc)
