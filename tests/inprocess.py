"""The control plane in this process, for tests: conductor, scheduler and
the given compute/network hosts as Service objects on the configured bus and
database (one place, so every fixture starts them the same way)."""
import contextlib

from iaas.compute.manager import ComputeManager
from iaas.conductor.manager import ConductorManager
from iaas.network.manager import NetworkManager
from iaas.scheduler.manager import SchedulerManager
from iaas.service import Service
from iaas.volume.manager import VolumeManager


def control_plane(prefix='', compute=(), network=(), volume=()):
    """The Service objects, in start order: conductor, scheduler, network
    hosts, compute hosts, volume hosts (hosts named by the strings, or given
    as managers)."""
    out = [Service('iaas-conductor', 'conductor', ConductorManager(f'{prefix}cond1'),
                   host=f'{prefix}cond1'),
           Service('iaas-scheduler', 'scheduler', SchedulerManager(f'{prefix}sched1'),
                   host=f'{prefix}sched1')]
    for h in network:
        mgr = h if not isinstance(h, str) else NetworkManager(h)
        out.append(Service('iaas-network', 'network', mgr, host=mgr.host))
    for h in compute:
        mgr = h if not isinstance(h, str) else ComputeManager(h)
        out.append(Service('iaas-compute', 'compute', mgr, host=mgr.host))
    for h in volume:
        mgr = h if not isinstance(h, str) else VolumeManager(h)
        out.append(Service('iaas-volume', 'volume', mgr, host=mgr.host))
    return out


@contextlib.contextmanager
def running(services, timeout=10):
    """Start ``services`` in order (each ready before the next), yield them,
    stop them in reverse order even on failure."""
    started = []
    try:
        for svc in services:
            svc.start()
            started.append(svc)
            assert svc.wait_ready(timeout), f'{svc} not ready within {timeout}s'
        yield started
    finally:
        for svc in reversed(started):
            svc.stop()
