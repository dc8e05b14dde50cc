"""The conductor's part in moving servers between hosts: the migration
records compute hosts move forward, and automatic recovery from host
failure (what Masakari does for Nova).

Recovery: every ``[recovery] interval`` seconds each conductor looks at the
compute services. One silent for ``[recovery] grace_period`` seconds and
fenced (``forced_down``; set here when ``auto_fence``) has its servers
marked HA (:func:`iaas.compute.moves.is_ha`; all with ``evacuate_all``)
evacuated as an operator's evacuate would (:func:`iaas.compute.moves.
begin_evacuation`). Several conductors may run: the evacuation's first
step is a compare-and-swap of the server's task_state, so each server is
evacuated once; the others see 409 and go on.
"""
import datetime
import logging

from iaas import manager, rpc
from iaas.compute import moves
from iaas.compute.errors import ComputeError
from iaas.conf import CONF
from iaas.db import instances as db
from iaas.db import server_migrations as migrations
from iaas.db import services as db_services
from iaas.db.base import utcnow
from iaas.exception import HostNotAuthorized

LOG = logging.getLogger(__name__)


class MoveCalls:
    """Mixed into :class:`iaas.conductor.manager.ConductorManager` (needs
    ``_caller``, ``_own_host``, ``_forget_placement`` and ``scheduler``)."""

    # -- migration records, for compute hosts -------------------------------------
    @rpc.expose
    def migration_update(self, context, migration_id, expected_status, status):
        """A host at either end of the move moves its record on (a
        compare-and-swap from ``expected_status``); None when it was not."""
        caller = self._caller(context, 'compute')
        try:
            mig = migrations.get(migration_id)
        except migrations.MigrationNotFound:
            return None
        if caller.host not in (mig['source_compute'], mig['dest_compute']):
            raise HostNotAuthorized(f'compute host {caller.host} is no end of migration '
                                    f'{migration_id}')
        return migrations.update(migration_id, expected_status, status=status)

    @rpc.expose
    def evacuated_from_host(self, context, host):
        """The evacuations from ``host`` (the caller) whose stale guest it has
        yet to destroy."""
        self._own_host(context, host)
        return migrations.list_(source_compute=host, migration_type=migrations.EVACUATION,
                                status=migrations.EVACUATED)

    @rpc.expose
    def evacuations_cleaned(self, context, host, migration_ids):
        """``host`` (the caller) destroyed the guests of these evacuations."""
        self._own_host(context, host)
        mine = {m['id']: m for m in migrations.list_(
            source_compute=host, migration_type=migrations.EVACUATION,
            status=migrations.EVACUATED)}
        for mid in migration_ids:
            if mid in mine:
                migrations.update(mid, 'done', status='completed')

    # -- automatic recovery --------------------------------------------------------
    @manager.periodic_task(spacing=lambda: CONF.recovery.interval)
    def recover_hosts(self, context):
        """Evacuate the HA servers of dead, fenced compute hosts."""
        if not CONF.recovery.enabled:
            return
        for svc in dead_computes():
            if not svc['forced_down']:
                if not CONF.recovery.auto_fence:
                    LOG.warning('compute host %s is silent but not fenced: its servers '
                                'are not evacuated (openstack compute service set --down)',
                                svc['host'])
                    continue
                LOG.warning('fencing compute host %s (silent for more than %d s)',
                            svc['host'], CONF.recovery.grace_period)
                db_services.service_update(svc['host'], svc['binary'], forced_down=True)
            self.evacuate_host(context, svc['host'])

    def evacuate_host(self, context, host):
        """Begin the evacuation of the servers of ``host`` that ask for it."""
        for inst in db.list_(filters={'host': host}):
            if inst['task_state'] is not None or \
                    not (CONF.recovery.evacuate_all or moves.is_ha(inst)):
                continue
            try:
                moves.begin_evacuation(context, inst, self.scheduler)
            except ComputeError as exc:
                LOG.info('not evacuating %s: %s', inst['uuid'], exc)


def dead_computes(now=None):
    """Compute services silent for more than ``[recovery] grace_period`` s."""
    now = now or utcnow()
    grace = datetime.timedelta(seconds=CONF.recovery.grace_period)
    return [s for s in db_services.service_list(binary=moves.COMPUTE)
            if not db_services.is_up(s, CONF.service.service_down_time) and
            now - (s['last_seen_up'] or s['created_at'] or now) >= grace]
