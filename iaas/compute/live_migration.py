"""Live migration in the API process (Nova's os-migrateLive).

Mixed into :class:`iaas.compute.api.API`. The state row is
``live_migrate`` in :mod:`iaas.states`; the steps, each in the process that
may do it:

1. API (here): policy (admin by default), the server ACTIVE or PAUSED and
   idle, a given target host an up, enabled compute host other than the
   server's; compare-and-swap to task_state ``migrating``; cast to the
   scheduler.
2. scheduler (:mod:`iaas.scheduler.live_migration`): picks the destination
   (the given host, or the best one but the source, for the instance's
   flavor) and claims it atomically: the instance's host becomes the
   destination (task_state stays ``migrating``) and the source is kept in
   the system metadata (:data:`RECORD`); casts ``live_migration`` to the
   source host.
3. source compute (:mod:`iaas.compute.live_migration_ops`): asks the
   destination to prepare (``pre_live_migration``: instance directory, base
   image, config drive, the destination's migration URI), has its driver
   move the running guest (libvirt ``migrateToURI3``, bounded by
   ``[libvirt] live_migration_timeout``), then has the destination finish
   (``post_live_migration_at_destination``: ports bound to it, task_state
   cleared) and cleans up here; on failure the destination rolls back and
   the conductor puts the instance back on the source (the guest never
   stopped there).
"""
import logging

from iaas import states
from iaas.compute import policies as P
from iaas.compute import rpcapi as compute_rpcapi
from iaas.compute.errors import ComputeError, Conflict
from iaas.conf import CONF
from iaas.db import services as db_services
from iaas.exception import ServiceNotFound

LOG = logging.getLogger(__name__)

RECORD = compute_rpcapi.LIVE_MIGRATION_RECORD
EVENT = compute_rpcapi.LIVE_MIGRATION_EVENT
# the instance action (Nova's name)
ACTION = 'live-migration'


class LiveMigrationAPI:
    """Needs ``get``, ``_begin`` and ``scheduler`` of :class:`iaas.compute.api.API`."""

    def live_migrate(self, ctx, uuid, host=None, block_migration='auto'):
        """Begin moving the running (or paused) server to ``host`` (None: the
        scheduler's choice). 404 for a server the caller may not see, 403
        without the rule, 409 in another state, 400 for a target that is
        unknown, down, disabled or the server's own host."""
        rule = P.ACTION_RULES['os-migrateLive']
        inst = self.get(ctx, uuid, rule)
        try:
            states.check_action('live_migrate', inst['vm_state'], inst['task_state'])
        except states.InvalidState as exc:
            raise Conflict(str(exc)) from None
        if host is not None:
            self._check_target(host, inst)
        inst = self._begin(ctx, uuid, 'live_migrate', ACTION, rule)
        self.scheduler.live_migrate_instance(ctx, uuid, host=host,
                                             block_migration=block_migration)
        return inst

    @staticmethod
    def _check_target(host, inst):
        try:
            svc = db_services.service_get(host, 'iaas-compute')
        except ServiceNotFound:
            raise ComputeError(f'Compute host {host} could not be found.') from None
        if host == inst['host']:
            raise ComputeError(f'The server is already on host {host}: live migration '
                               'needs another host.')
        if svc['disabled']:
            raise ComputeError(f'Compute host {host} is disabled.')
        if not db_services.is_up(svc, CONF.service.service_down_time):
            raise ComputeError(f'Compute service of host {host} is unavailable at this '
                               'time.')
