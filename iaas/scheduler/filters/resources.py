"""Resource filters: free RAM, disk and vCPUs, with the node's allocation ratios.

Free = total * allocation_ratio - used, as reported on the compute node row
(see :class:`~iaas.scheduler.host_state.HostState`); a host passes when the
free amount covers one instance of the flavor.
"""
from iaas.scheduler.filters import BaseHostFilter
from iaas.scheduler.host_state import requested_disk_gb


class RamFilter(BaseHostFilter):
    """Free RAM (memory_mb * ram_allocation_ratio - memory_mb_used) >= flavor memory_mb."""
    name = 'RamFilter'

    def host_passes(self, host_state, spec):
        return host_state.free_ram_mb >= spec.flavor.get('memory_mb', 0)

    def filter_all(self, hosts, spec):
        need = spec.flavor.get('memory_mb', 0)
        return [h for h in hosts
                if h.memory_mb * h.ram_allocation_ratio - h.memory_mb_used >= need]


class DiskFilter(BaseHostFilter):
    """Free disk (local_gb * disk_allocation_ratio - local_gb_used) >= root + ephemeral + swap."""
    name = 'DiskFilter'

    def host_passes(self, host_state, spec):
        return host_state.free_disk_gb >= requested_disk_gb(spec.flavor)

    def filter_all(self, hosts, spec):
        need = requested_disk_gb(spec.flavor)
        return [h for h in hosts
                if h.local_gb * h.disk_allocation_ratio - h.local_gb_used >= need]


class VCPUFilter(BaseHostFilter):
    """Free vCPUs (vcpus * cpu_allocation_ratio - vcpus_used) >= flavor vcpus.

    Like Nova's CoreFilter, an instance may not have more vCPUs than the host
    has physical CPUs, whatever the allocation ratio.
    """
    name = 'VCPUFilter'

    def host_passes(self, host_state, spec):
        need = spec.flavor.get('vcpus', 0)
        return host_state.vcpus >= need and host_state.free_vcpus >= need

    def filter_all(self, hosts, spec):
        need = spec.flavor.get('vcpus', 0)
        return [h for h in hosts
                if h.vcpus >= need and h.vcpus * h.cpu_allocation_ratio - h.vcpus_used >= need]
