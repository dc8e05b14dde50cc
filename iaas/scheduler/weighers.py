"""Scheduler weighers: order the hosts that passed the filters.

As in Nova, each weigher's raw values over the candidate hosts are
normalised to 0..1 (``(v - min) / (max - min)``; all equal -> all 0), then
multiplied by the weigher's multiplier; the host with the highest sum wins.
A positive multiplier on a "free resource" weigher spreads instances over
hosts, a negative one stacks them.

A weigher may fix ``minval``/``maxval`` instead of taking them from the
candidates. ``weigh_all`` is the bulk form the scheduler calls; subclasses
override it with a tight loop (it runs over every candidate host).
"""


class BaseWeigher:
    #: Short name used in config; defaults to the class name.
    name = None
    #: Option of the [scheduler] group that holds the multiplier.
    multiplier_opt = None
    minval = None
    maxval = None
    #: True when a host's value depends on that host's state alone (not on
    #: the request or on other hosts): the scheduler may then keep the
    #: values of its cached host states between decisions.
    host_only = False

    def __init__(self, multiplier=1.0):
        if self.name is None:
            self.name = type(self).__name__
        self.multiplier = float(multiplier)

    def applies(self, spec):
        """False when the weigher has nothing to say about this request (it is skipped)."""
        return True

    def weigh_object(self, host_state, spec):
        """Raw (unnormalised) value of one host: higher is better before the multiplier."""
        raise NotImplementedError

    def weigh_all(self, hosts, spec):
        weigh = self.weigh_object
        return [weigh(h, spec) for h in hosts]

    def __repr__(self):
        return f'<{type(self).__name__} {self.name} x{self.multiplier}>'


def normalize(values, minval=None, maxval=None):
    """``values`` scaled to 0..1 (a list); all zero when they are all equal."""
    if not values:
        return []
    lo = min(values) if minval is None else minval
    hi = max(values) if maxval is None else maxval
    if lo == hi:
        return [0.0] * len(values)
    span = float(hi - lo)
    return [(v - lo) / span for v in values]


class RAMWeigher(BaseWeigher):
    """Free RAM (MiB, with the allocation ratio)."""
    name = 'RAMWeigher'
    multiplier_opt = 'ram_weight_multiplier'
    host_only = True

    def weigh_object(self, host_state, spec):
        return host_state.free_ram_mb

    def weigh_all(self, hosts, spec):
        return [h.memory_mb * h.ram_allocation_ratio - h.memory_mb_used for h in hosts]


class VCPUWeigher(BaseWeigher):
    """Free vCPUs (with the allocation ratio)."""
    name = 'VCPUWeigher'
    multiplier_opt = 'cpu_weight_multiplier'
    host_only = True

    def weigh_object(self, host_state, spec):
        return host_state.free_vcpus

    def weigh_all(self, hosts, spec):
        return [h.vcpus * h.cpu_allocation_ratio - h.vcpus_used for h in hosts]


class DiskWeigher(BaseWeigher):
    """Free local disk (GiB, with the allocation ratio)."""
    name = 'DiskWeigher'
    multiplier_opt = 'disk_weight_multiplier'
    host_only = True

    def weigh_object(self, host_state, spec):
        return host_state.free_disk_gb

    def weigh_all(self, hosts, spec):
        return [h.local_gb * h.disk_allocation_ratio - h.local_gb_used for h in hosts]


def _group_policy(spec):
    group = spec.group or {}
    policy = group.get('policy')
    if not policy:
        policies = group.get('policies') or []
        policy = policies[0] if policies else None
    return policy


class _SoftGroupWeigher(BaseWeigher):
    """Members of the request's server group already on the host (Nova's soft policies).

    Counts ``host.instances & group['members']`` when the group lists its
    members (instance uuids) and the host state knows its instances;
    otherwise 1 if the host is in ``group['hosts']``. The scheduler adds the
    instances of the current request to the members and their hosts to
    ``hosts``.
    """
    policy = None
    _sign = 1

    def applies(self, spec):
        return _group_policy(spec) == self.policy

    def _count(self, host_state, members, hosts):
        if members is not None and host_state.instances:
            n = len(host_state.instances & members)
            if n:
                return n
        return 1 if host_state.host in hosts else 0

    def weigh_all(self, hosts, spec):
        group = spec.group or {}
        members = group.get('members')
        members = set(members) if members is not None else None
        group_hosts = set(group.get('hosts') or ())
        sign = self._sign
        return [sign * self._count(h, members, group_hosts) for h in hosts]

    def weigh_object(self, host_state, spec):
        return self.weigh_all([host_state], spec)[0]


class ServerGroupSoftAffinityWeigher(_SoftGroupWeigher):
    """Policy soft-affinity: prefer hosts with more members of the group."""
    name = 'ServerGroupSoftAffinityWeigher'
    multiplier_opt = 'soft_affinity_weight_multiplier'
    policy = 'soft-affinity'
    _sign = 1


class ServerGroupSoftAntiAffinityWeigher(_SoftGroupWeigher):
    """Policy soft-anti-affinity: prefer hosts with fewer members of the group."""
    name = 'ServerGroupSoftAntiAffinityWeigher'
    multiplier_opt = 'soft_anti_affinity_weight_multiplier'
    policy = 'soft-anti-affinity'
    _sign = -1


#: Entry-point group of these plug-ins (pyproject.toml).
ENTRY_POINT_GROUP = 'iaas.scheduler.weighers'
