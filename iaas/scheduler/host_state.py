"""What the scheduler knows of a host and of a request (plain data).

The scheduler manager builds ``HostState`` objects from the compute_nodes
and services rows; filters and weighers work on these alone (no DB, no bus).
"""
import dataclasses
import datetime


@dataclasses.dataclass
class HostState:
    host: str
    node: str
    uuid: str = ''
    vcpus: int = 0
    vcpus_used: int = 0
    memory_mb: int = 0
    memory_mb_used: int = 0
    local_gb: int = 0
    local_gb_used: int = 0
    cpu_allocation_ratio: float = 16.0
    ram_allocation_ratio: float = 1.5
    disk_allocation_ratio: float = 1.0
    availability_zone: str = 'nova'
    service_up: bool = True
    service_disabled: bool = False
    disabled_reason: str | None = None
    hypervisor_type: str = 'fake'
    # CPU architecture of the host (canonical: x86_64, aarch64, i686, ...).
    architecture: str = 'x86_64'
    num_instances: int = 0
    # Instance uuids on this host (for server-group affinity rules).
    instances: set = dataclasses.field(default_factory=set)
    # Compare-and-swap token of the node's claims (compute_nodes.generation).
    generation: int = 0
    updated_at: datetime.datetime | None = None

    @property
    def free_ram_mb(self):
        return self.memory_mb * self.ram_allocation_ratio - self.memory_mb_used

    @property
    def free_disk_gb(self):
        return self.local_gb * self.disk_allocation_ratio - self.local_gb_used

    @property
    def free_vcpus(self):
        return self.vcpus * self.cpu_allocation_ratio - self.vcpus_used

    def consume(self, flavor):
        """Account for one instance of ``flavor`` placed here (within one decision)."""
        self.vcpus_used += flavor.get('vcpus', 0)
        self.memory_mb_used += flavor.get('memory_mb', 0)
        self.local_gb_used += requested_disk_gb(flavor)
        self.num_instances += 1


def requested_disk_gb(flavor):
    """Local disk (GiB) one instance of ``flavor`` takes: root + ephemeral + swap (MiB, rounded up)."""
    return (flavor.get('root_gb', 0) + flavor.get('ephemeral_gb', 0)
            + (flavor.get('swap', 0) + 1023) // 1024)


@dataclasses.dataclass
class RequestSpec:
    """One boot request, possibly of several instances (min/max_count)."""
    instance_uuids: list
    flavor: dict                 # vcpus, memory_mb, root_gb, ephemeral_gb, swap, extra_specs
    project_id: str = ''
    image: dict = dataclasses.field(default_factory=dict)   # id, properties{}, min_disk, min_ram
    availability_zone: str | None = None
    scheduler_hints: dict = dataclasses.field(default_factory=dict)
    # Server group: {'uuid', 'policy': 'affinity'|'anti-affinity', 'hosts': [...]}
    group: dict | None = None
    # Hosts already tried for this request (reschedules skip them).
    ignore_hosts: list = dataclasses.field(default_factory=list)
    num_instances: int = 1

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d):
        return cls(**d)


class NoValidHost(Exception):
    """No host passed the filters; the message says which filter removed how many."""
    expected = True
