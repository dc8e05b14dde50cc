"""Scheduler host filters: each removes the hosts that cannot take a request.

A filter is a :class:`BaseHostFilter` with a short ``name`` (the name used
in ``[scheduler] enabled_filters`` and in the "Filtering removed: ..."
message). Filters see only plain :class:`~iaas.scheduler.host_state.HostState`
and :class:`~iaas.scheduler.host_state.RequestSpec` objects: no DB, no bus.

Contract (the scheduler relies on it to place several instances in one
decision without re-filtering every host each time): after placing an
instance on host H (H consumed the flavor, and H was added to
``spec.group['hosts']`` when the request has a server group), the scheduler
re-checks H alone with ``host_passes``. A filter whose verdict on *other*
hosts can change through that placement sets ``placement_dependent = True``
(affinity: the group's first placement excludes every other host); the
scheduler re-runs such filters over all candidates when the group's host
set changed.
"""


class BaseHostFilter:
    #: Short name used in config and messages; defaults to the class name.
    name = None
    #: True when placing an instance on one host can change the verdict on
    #: other hosts (see the module docstring).
    placement_dependent = False

    def __init__(self):
        if self.name is None:
            self.name = type(self).__name__

    def applies(self, spec):
        """False when this request gives the filter nothing to check (it is skipped)."""
        return True

    def host_passes(self, host_state, spec):
        """True if ``host_state`` can take one instance of ``spec``."""
        raise NotImplementedError

    def filter_all(self, hosts, spec):
        """The hosts (a list) that pass. Subclasses override this with a tight loop."""
        passes = self.host_passes
        return [h for h in hosts if passes(h, spec)]

    def __repr__(self):
        return f'<{type(self).__name__} {self.name}>'


#: Entry-point group of these plug-ins (pyproject.toml).
ENTRY_POINT_GROUP = 'iaas.scheduler.filters'
