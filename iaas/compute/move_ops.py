"""The compute host's side of moving servers between hosts: the rebuild of
an evacuated server (Nova's ``rebuild_instance`` with a new host), the
destruction of the guests a returning host no longer owns (Nova's
``_destroy_evacuated_instances``), and the two halves of a cold migration
(``migrate_disk_and_power_off`` on the source, ``finish_migration`` on the
destination).

Mixed into :class:`iaas.compute.manager.ComputeManager`; like it, it holds
no database credentials: the migration records move through the conductor
(compare-and-swaps on their status, see :mod:`iaas.db.server_migrations`).
"""
import logging
import traceback

from iaas import rpc, states
from iaas.compute import rpcapi as compute_rpcapi
from iaas.compute.volume_ops import connector
from iaas.exception import InstanceNotFound

LOG = logging.getLogger(__name__)

EVACUATE = states.ACTIONS['evacuate']
EVACUATE_EVENT = compute_rpcapi.EVACUATE_EVENT


def has_ports(inst):
    return (inst.get('system_metadata') or {}).get('networks') not in (None, 'none', [])


class MoveOps:
    """Needs ``driver``, ``conductor``, ``network_api``, ``host``, ``_lock``,
    ``_get``, ``_run``, ``_event``, ``_failed``, ``_activate`` of the compute
    manager and ``export_volumes``, ``undo_boot_volumes``,
    ``complete_boot_volumes``, ``_release_export``, ``volume_api`` of
    :class:`iaas.compute.volume_ops.VolumeOps`."""

    @property
    def compute_rpc(self):
        api = getattr(self, '_compute_rpc', None)
        if api is None:
            api = self._compute_rpc = compute_rpcapi.ComputeAPI()
        return api

    # -- the server's ports and volumes, on this host ----------------------------
    def attach_here(self, context, inst, withdraw=False):
        """(network_info, block_device_info) of the server on this host: its
        own ports re-bound here (their fixed and floating IPs stay), its
        attached volumes exported here (None: it has none). ``withdraw``:
        first remove the volumes' exports to the host they were attached on
        (a dead host's: the force-detach of an evacuation)."""
        uuid = inst['uuid']
        network_info = []
        if has_ports(inst):
            sysmeta = inst['system_metadata']
            network_info = self.network_api.allocate_for_instance(
                context, uuid, self.host, inst['project_id'],
                requested_networks=sysmeta['networks'],
                security_groups=sysmeta.get('security_groups'))
        atts = [a for a in self.conductor.instance_volumes(context, uuid)
                if a.get('attach_status') == 'attached']
        if not atts:
            return network_info, None
        if withdraw:
            for att in atts:
                if att.get('connection_info') and att.get('attached_host') != self.host:
                    self._release_export(context, att)
        return network_info, self.export_volumes(context, atts)

    def _withdraw_exports(self, context, volumes):
        """Remove the exports to this host of ``volumes`` ([{volume_id, volume_host}])."""
        conn = connector(self.host)
        for v in volumes or ():
            self._release_export(context, dict(v, connector=conn))

    # -- evacuate: the rebuild on the new host ------------------------------------
    @rpc.expose
    def evacuate_instance(self, context, instance_uuid, image, migration_id):
        self._run(self._evacuate, context, instance_uuid, image or {}, migration_id)

    def _evacuate(self, context, uuid, image, migration_id):
        with self._lock(uuid):
            inst = self._get(context, uuid)
            if inst is None or inst['task_state'] != EVACUATE.task_state or \
                    inst['host'] != self.host:
                LOG.info('evacuation of %s dropped: it changed meanwhile', uuid)
                return
            stopped = inst['vm_state'] == states.STOPPED
            bdi = None
            try:
                network_info, bdi = self.attach_here(context, inst, withdraw=True)
                self.driver.spawn(context, inst, image, admin_password=None,
                                  network_info=network_info, block_device_info=bdi)
                if stopped:     # as Nova: a stopped server is stopped again
                    self.driver.power_off(inst, 0)
                power = self.driver.get_info(inst)['power_state']
            except Exception as exc:
                LOG.exception('evacuation of %s to %s failed', uuid, self.host)
                try:
                    self.driver.destroy(context, inst)
                except Exception:
                    LOG.exception('cleanup of the failed evacuation of %s', uuid)
                self.undo_boot_volumes(context, bdi)
                self._event(context, uuid, EVACUATE_EVENT, True, 'Error',
                            traceback.format_exc())
                self._migration(context, migration_id, 'pre-migrating', 'failed')
                self._failed(context, uuid, f'Evacuation failed: {exc}', EVACUATE.task_state)
                return
            if not self._activate(context, inst, bdi, EVACUATE.task_state, EVACUATE_EVENT,
                                  vm_state=states.STOPPED if stopped else states.ACTIVE,
                                  power_state=power):
                LOG.info('instance %s changed during its evacuation', uuid)
                return
            self._migration(context, migration_id, 'pre-migrating', 'done')
            LOG.info('instance %s evacuated to %s', uuid, self.host)

    def _migration(self, context, migration_id, expected, status):
        if migration_id is None:
            return
        try:
            self.conductor.migration_update(context, migration_id, expected, status)
        except Exception:
            LOG.warning('migration %s: not moved to %s', migration_id, status, exc_info=True)

    # -- a returning host ---------------------------------------------------------
    def destroy_evacuated(self, context):
        """Before this host reports up: destroy the guests of the servers
        evacuated from it meanwhile (they run elsewhere now), and mark those
        evacuations completed."""
        try:
            moved = self.conductor.evacuated_from_host(context, self.host)
        except Exception:
            LOG.exception('could not read the evacuations from %s', self.host)
            return
        here = set(self.driver.list_instances())
        done = []
        for mig in moved:
            uuid = mig['instance_uuid']
            if uuid in here:
                try:
                    self.driver.destroy(context, {'uuid': uuid})
                except Exception:
                    LOG.exception('could not destroy the evacuated guest %s', uuid)
                    continue
                LOG.warning('destroyed guest %s: it was evacuated to %s while this host '
                            'was down', uuid, mig['dest_compute'])
            done.append(mig['id'])
        if done:
            self.conductor.evacuations_cleaned(context, self.host, done)

    # -- cold migration -----------------------------------------------------------
    @rpc.expose
    def migrate_disk_and_power_off(self, context, instance, dest_host):
        """The source's half (a call from the destination): the guest off,
        its disk handed over; the guest stays defined here until the
        migration is confirmed (then destroyed) or reverted."""
        uuid = instance['uuid']
        with self._lock(uuid):
            if uuid not in self.driver.list_instances():
                raise InstanceNotFound(uuid)
            return self.driver.migrate_disk_and_power_off(context, instance, dest_host)

    def finish_migration(self, context, inst, old_host):
        """The destination's half of a cold migration (or of a resize that
        moved hosts): the source's disk, the server's ports and volumes here,
        the guest defined with the new flavor; powered on unless the server
        was stopped."""
        sysmeta = inst.get('system_metadata') or {}
        disk_info = None
        if old_host and old_host != self.host:
            disk_info = self.compute_rpc.migrate_disk_and_power_off(context, old_host, inst,
                                                                    self.host)
        network_info, bdi = self.attach_here(context, inst)
        image = {} if sysmeta.get('boot_from_volume') else \
            {'id': inst.get('image_ref'), 'properties': {}}
        try:
            self.driver.finish_migration(context, inst, disk_info, image,
                                         network_info=network_info, block_device_info=bdi,
                                         power_on=sysmeta.get('old_vm_state') != states.STOPPED)
        except Exception:
            self.undo_boot_volumes(context, bdi)
            raise
        if bdi:
            self.complete_boot_volumes(context, bdi)

    def rebind_here(self, context, inst):
        """A reverted migration: the ports and volumes back on this host."""
        _, bdi = self.attach_here(context, inst)
        if bdi:
            self.complete_boot_volumes(context, bdi)

    @rpc.expose
    def cleanup_resize_source(self, context, instance_uuid, volumes=None):
        """After a confirmed move (or on the destination of a reverted one):
        drop the guest here and this host's exports of its volumes."""
        def cleanup():
            with self._lock(instance_uuid):
                self.driver.destroy(context, {'uuid': instance_uuid})
                self._withdraw_exports(context, volumes)
        self._run(cleanup)
