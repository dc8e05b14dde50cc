"""Filters on the compute service itself: liveness and availability zone."""
from iaas.scheduler.filters import BaseHostFilter


class ComputeFilter(BaseHostFilter):
    """The host's compute service is up (recent heartbeat) and not disabled."""
    name = 'ComputeFilter'

    def host_passes(self, host_state, spec):
        return host_state.service_up and not host_state.service_disabled

    def filter_all(self, hosts, spec):
        return [h for h in hosts if h.service_up and not h.service_disabled]


class AvailabilityZoneFilter(BaseHostFilter):
    """The host is in the availability zone the request asks for (if any)."""
    name = 'AvailabilityZoneFilter'

    def applies(self, spec):
        return bool(spec.availability_zone)

    def host_passes(self, host_state, spec):
        return not spec.availability_zone or host_state.availability_zone == spec.availability_zone

    def filter_all(self, hosts, spec):
        az = spec.availability_zone
        if not az:
            return list(hosts)
        return [h for h in hosts if h.availability_zone == az]
