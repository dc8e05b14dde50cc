"""Server-group filters: affinity (all members on one host) and anti-affinity.

``spec.group`` is ``{'uuid', 'policy': 'affinity'|'anti-affinity', 'hosts': [...]}``
(``hosts``: where the group's members already are). The legacy
``policies: [...]`` list is accepted too. Within one request the scheduler
adds each chosen host to ``hosts`` before placing the next instance, so the
rules hold between the instances of a multi-create as well.
"""
from iaas.scheduler.filters import BaseHostFilter


def group_policy(spec):
    group = spec.group
    if not group:
        return None
    policy = group.get('policy')
    if not policy:
        policies = group.get('policies') or []
        policy = policies[0] if policies else None
    return policy


def group_hosts(spec):
    return set((spec.group or {}).get('hosts') or ())


class ServerGroupAffinityFilter(BaseHostFilter):
    """Policy affinity: once a member is placed, only its host passes.

    ``placement_dependent``: the first placement of the group changes the
    verdict on every other host.
    """
    name = 'ServerGroupAffinityFilter'
    placement_dependent = True

    def applies(self, spec):
        return group_policy(spec) == 'affinity'

    def host_passes(self, host_state, spec):
        if group_policy(spec) != 'affinity':
            return True
        hosts = group_hosts(spec)
        return not hosts or host_state.host in hosts

    def filter_all(self, hosts, spec):
        if group_policy(spec) != 'affinity':
            return list(hosts)
        members = group_hosts(spec)
        if not members:
            return list(hosts)
        return [h for h in hosts if h.host in members]


class ServerGroupAntiAffinityFilter(BaseHostFilter):
    """Policy anti-affinity: a host that already has a member does not pass.

    Not ``placement_dependent``: placing a member on host H changes the
    verdict on H alone, and the scheduler re-checks the chosen host anyway.
    """
    name = 'ServerGroupAntiAffinityFilter'

    def applies(self, spec):
        return group_policy(spec) == 'anti-affinity'

    def host_passes(self, host_state, spec):
        if group_policy(spec) != 'anti-affinity':
            return True
        return host_state.host not in group_hosts(spec)

    def filter_all(self, hosts, spec):
        if group_policy(spec) != 'anti-affinity':
            return list(hosts)
        members = group_hosts(spec)
        if not members:
            return list(hosts)
        return [h for h in hosts if h.host not in members]
