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

    def __init__(self, multiplier=1.0):
        if self.name is None:
            self.name = type(self).__name__
        self.multiplier = float(multiplier)

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

    def weigh_object(self, host_state, spec):
        return host_state.free_ram_mb

    def weigh_all(self, hosts, spec):
        return [h.memory_mb * h.ram_allocation_ratio - h.memory_mb_used for h in hosts]


class VCPUWeigher(BaseWeigher):
    """Free vCPUs (with the allocation ratio)."""
    name = 'VCPUWeigher'
    multiplier_opt = 'cpu_weight_multiplier'

    def weigh_object(self, host_state, spec):
        return host_state.free_vcpus

    def weigh_all(self, hosts, spec):
        return [h.vcpus * h.cpu_allocation_ratio - h.vcpus_used for h in hosts]


class DiskWeigher(BaseWeigher):
    """Free local disk (GiB, with the allocation ratio)."""
    name = 'DiskWeigher'
    multiplier_opt = 'disk_weight_multiplier'

    def weigh_object(self, host_state, spec):
        return host_state.free_disk_gb

    def weigh_all(self, hosts, spec):
        return [h.local_gb * h.disk_allocation_ratio - h.local_gb_used for h in hosts]


BUILTIN = {
    'RAMWeigher': 'iaas.scheduler.weighers:RAMWeigher',
    'VCPUWeigher': 'iaas.scheduler.weighers:VCPUWeigher',
    'DiskWeigher': 'iaas.scheduler.weighers:DiskWeigher',
}

ENTRY_POINT_GROUP = 'iaas.scheduler.weighers'
