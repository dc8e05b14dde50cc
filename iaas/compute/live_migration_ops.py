"""Live migration on the compute hosts (the workflow: iaas/compute/live_migration.py).

Mixed into :class:`iaas.compute.manager.ComputeManager`. When the scheduler
has claimed the destination, the instance is placed there (task_state
``migrating``) while its guest still runs on the source; the source drives:

    source: live_migration  ──call──▶ destination: pre_live_migration
            (driver.live_migration_source_info)        (directory, base image,
                                                        config drive; returns
                                                        migrate_data: the URI…)
    source: driver.live_migration (the guest moves while it runs; bounded)
      ok  ──call──▶ destination: post_live_migration_at_destination
                    (ports bound to it, conductor ends the task);
            source: driver.post_live_migration (its leftovers removed)
      failed ──call──▶ destination: rollback_live_migration_at_destination
                    (what was prepared removed; the conductor puts the
                    instance back on the source, with a fault)

A compute host writes nothing in the database itself: the destination ends
the move through the conductor (``live_migration_finish``), which lets only
the destination the claim named do so.
"""
import functools
import logging
import time

from iaas import rpc, states
from iaas.compute import rpcapi as compute_rpcapi
from iaas.exception import InstanceNotFound

LOG = logging.getLogger(__name__)

RECORD = compute_rpcapi.LIVE_MIGRATION_RECORD


def _has_ports(inst):
    return (inst.get('system_metadata') or {}).get('networks') not in (None, 'none', [])


class LiveMigrationOps:
    """Needs ``driver``, ``conductor``, ``network_api``, ``_get``, ``_lock`` and
    ``_run`` of the compute manager."""

    @functools.cached_property
    def _compute_rpc(self):
        return compute_rpcapi.ComputeAPI()

    def _migrating_here(self, inst):
        """Whether ``inst`` is being live-migrated to this host."""
        return inst['task_state'] == states.MIGRATING and \
            ((inst.get('system_metadata') or {}).get(RECORD) or {}).get('dest_host') \
            == self.host

    # -- source -------------------------------------------------------------------
    @rpc.expose
    def live_migration(self, context, instance, dest, block_migration):
        """Move the guest of ``instance`` (the claim's row: placed on ``dest``)
        to ``dest`` while it runs."""
        self._run(self._live_migrate, context, instance, dest, block_migration)

    def _live_migrate(self, context, inst, dest, block_migration):
        uuid = inst['uuid']
        with self._lock(uuid):
            t0 = time.monotonic()
            migrate_data = None
            try:
                block = self.driver.live_migration_block_default() \
                    if block_migration == 'auto' else bool(block_migration)
                disk_info = self.driver.live_migration_source_info(inst)
                migrate_data = self._compute_rpc.pre_live_migration(
                    context, dest, uuid, block, disk_info)
                stats = self.driver.live_migration(context, inst, dest, migrate_data) or {}
            except Exception as exc:
                LOG.warning('live migration of %s to %s failed: %s', uuid, dest, exc,
                            exc_info=True)
                self._rolled_back(context, inst, dest, migrate_data, str(exc) or repr(exc))
                return
            try:
                self._compute_rpc.post_live_migration_at_destination(context, dest, uuid,
                                                                     migrate_data)
            except Exception:
                LOG.exception('live migration of %s: the destination %s did not finish '
                              'it; the guest runs there', uuid, dest)
            try:
                self.driver.post_live_migration(context, inst, migrate_data)
            except Exception:
                LOG.exception('live migration of %s: cleanup on the source failed', uuid)
            LOG.info('instance %s live-migrated to %s in %.2fs (%s)', uuid, dest,
                     time.monotonic() - t0,
                     ', '.join(f'{k} {v}' for k, v in sorted(stats.items())) or 'no stats')

    def _rolled_back(self, context, inst, dest, migrate_data, message):
        """The guest still runs here: have the destination undo its part and
        hand the instance back; a guest whose instance was deleted meanwhile
        is removed."""
        uuid = inst['uuid']
        try:
            kept = self._compute_rpc.rollback_live_migration_at_destination(
                context, dest, uuid, migrate_data, message[:255])
        except Exception:
            LOG.exception('live migration of %s: the rollback on %s failed; the '
                          'instance stays placed there while its guest runs here',
                          uuid, dest)
            return
        if kept is False:
            LOG.info('instance %s was deleted during its live migration', uuid)
            self.driver.destroy(context, inst)

    # -- destination ------------------------------------------------------------------
    @rpc.expose
    def pre_live_migration(self, context, instance_uuid, block_migration, disk_info):
        """Prepare this host for the incoming guest; returns the driver's
        migrate_data (with ``block_migration``)."""
        with self._lock(instance_uuid):
            inst = self._get(context, instance_uuid)
            if inst is None or not self._migrating_here(inst):
                raise InstanceNotFound(instance_uuid)
            network_info = []
            if _has_ports(inst):
                network_info = self.network_api.get_instance_nw_info(context, instance_uuid,
                                                                     self.host)
            data = self.driver.pre_live_migration(context, inst, block_migration,
                                                  network_info, disk_info or {})
            return dict(data or {}, block_migration=block_migration)

    @rpc.expose
    def post_live_migration_at_destination(self, context, instance_uuid, migrate_data):
        """The guest runs here now: bind the instance's ports to this host and
        end the task (the conductor). False when the instance was deleted
        meanwhile (its guest here is removed)."""
        with self._lock(instance_uuid):
            inst = self._get(context, instance_uuid)
            if inst is None:
                LOG.info('instance %s gone during its live migration; removing its '
                         'guest here', instance_uuid)
                self.driver.destroy(context, {'uuid': instance_uuid})
                return False
            if not self._migrating_here(inst):
                LOG.warning('instance %s is no longer being live-migrated here (%s)',
                            instance_uuid, inst['task_state'])
                return True
            if _has_ports(inst):
                sysmeta = inst['system_metadata']
                self.network_api.allocate_for_instance(
                    context, instance_uuid, self.host, inst['project_id'],
                    requested_networks=sysmeta['networks'],
                    security_groups=sysmeta.get('security_groups'))
            self.driver.post_live_migration_at_destination(context, inst, migrate_data)
            power = self.driver.get_info(inst)['power_state']
            self.conductor.live_migration_finish(context, instance_uuid, True,
                                                 power_state=power)
            return True

    @rpc.expose
    def rollback_live_migration_at_destination(self, context, instance_uuid, migrate_data,
                                               message):
        """The move failed (the guest still runs on the source): remove what
        pre_live_migration made here and hand the instance back to the source.
        False when the instance was deleted meanwhile."""
        with self._lock(instance_uuid):
            inst = self._get(context, instance_uuid)
            if inst is not None and not self._migrating_here(inst):
                LOG.warning('instance %s is no longer being live-migrated here (%s)',
                            instance_uuid, inst['task_state'])
                return True
            try:
                self.driver.rollback_live_migration_at_destination(
                    context, inst or {'uuid': instance_uuid}, migrate_data or {})
            except Exception:
                LOG.exception('live migration of %s: cleanup here failed', instance_uuid)
            if inst is None:
                return False
            self.conductor.live_migration_finish(context, instance_uuid, False,
                                                 message=message)
            return True
