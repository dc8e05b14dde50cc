"""The compute host's side of shelve, shelveOffload and unshelve (Nova's
``shelve_instance``, ``shelve_offload_instance``, ``unshelve_instance``).

Mixed into :class:`iaas.compute.manager.ComputeManager`; like it, it holds
no database credentials. Every step is a compare-and-swap through the
conductor on the task_state the state table (:mod:`iaas.states`) gives:

- shelve: shelving → (snapshot of an image-backed server) shelving_image_
  pending_upload → shelving_image_uploading → SHELVED (task_state
  shelving_offloading when it goes on to the offload at once);
- offload: shelving_offloading → SHELVED_OFFLOADED, the guest and its local
  disks destroyed, the volumes' exports to this host withdrawn (their
  attachments stay), host and node cleared by the conductor (which recounts
  this host's usage); the ports stay the server's;
- unshelve: unshelving → ACTIVE, by a power-on here (SHELVED) or, for an
  offloaded server the scheduler claimed this host for, by a spawn from the
  shelved image or the root volume with the server's own ports; then the
  shelved image is deleted.

A failure records a fault and leaves the server in the state it began from
(an offloaded one without a host again); nothing stays in a task_state.
"""
import datetime
import logging
import traceback

from iaas import manager, rpc, states
from iaas.compute import rpcapi as compute_rpcapi
from iaas.conf import CONF
from iaas.image import upload as image_upload

LOG = logging.getLogger(__name__)

SHELVE_EVENT = 'compute_shelve_instance'
OFFLOAD_EVENT = 'compute_shelve_offload_instance'
UNSHELVE_EVENT = compute_rpcapi.UNSHELVE_EVENT
SHELVE = states.ACTIONS['shelve']
OFFLOAD = states.ACTIONS['shelve_offload']
UNSHELVE = states.ACTIONS['unshelve']


class _Changed(Exception):
    """The instance left the operation's task_state (deleted meanwhile)."""


def _as_datetime(value):
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    if value is not None and value.tzinfo is not None:
        value = value.astimezone(datetime.UTC).replace(tzinfo=None)
    return value


class ShelveOps:
    """Needs ``self.driver``, ``self.conductor``, ``self.host``, ``self._lock``,
    ``self._get``, ``self._update``, ``self._event``, ``self._run``,
    ``self._orphaned`` of the compute manager, ``attach_here`` of
    :class:`iaas.compute.move_ops.MoveOps` and ``_release_export`` of
    :class:`VolumeOps`."""

    # -- shelve ------------------------------------------------------------------
    @rpc.expose
    def shelve_instance(self, context, instance_uuid, image_id=None, offload=False):
        self._run(self._shelve, context, instance_uuid, image_id, offload)

    def _shelve(self, context, uuid, image_id, offload):
        with self._lock(uuid):
            inst = self._get(context, uuid, start_event=SHELVE_EVENT,
                             event_if={'task_state': SHELVE.task_state})
            if inst is None or inst['task_state'] != SHELVE.task_state:
                if image_id:
                    image_upload.discard(image_id)
                return
            at = [SHELVE.task_state]     # the task_state the instance is in now
            try:
                self.driver.power_off(inst, CONF.compute.shutdown_timeout)
                if image_id:
                    self._shelve_snapshot(context, inst, image_id, at)
                power = self.driver.get_info(inst)['power_state']
            except _Changed:
                LOG.info('shelve of %s: the instance changed meanwhile', uuid)
                image_upload.discard(image_id)
                return
            except Exception as exc:
                LOG.exception('shelve of %s failed', uuid)
                self._event(context, uuid, SHELVE_EVENT, True, 'Error', traceback.format_exc())
                self.conductor.instance_fault(context, uuid, f'Shelve failed: {exc}',
                                              self.host)
                if image_id:
                    image_upload.discard(image_id)
                self._power_back(context, inst)
                self._update(context, uuid, at[0], task_state=None,
                             power_state=self._power(inst))
                return
            if not self._update(context, uuid, at[0], finish_event=SHELVE_EVENT,
                                vm_state=SHELVE.vm_state, power_state=power,
                                task_state=OFFLOAD.task_state if offload else None):
                LOG.info('shelve of %s: the instance changed meanwhile', uuid)
                if image_id:     # deleted meanwhile: nothing will unshelve it
                    image_upload.discard(image_id)
                return
            LOG.info('instance %s shelved on %s', uuid, self.host)
            if offload:
                self._event(context, uuid, OFFLOAD_EVENT)
                self._offload(context, inst)

    def _shelve_snapshot(self, context, inst, image_id, at):
        """The guest's disk uploaded as ``image_id``, the task_state moved on
        the way as Nova's (``at[0]``: where it is)."""
        uuid = inst['uuid']
        self._move(context, uuid, at, states.SHELVING_IMAGE_PENDING_UPLOAD)
        upload = image_upload.uploader(image_id)

        def uploading(chunks, disk_format):
            self._move(context, uuid, at, states.SHELVING_IMAGE_UPLOADING)
            upload(chunks, disk_format)
        self.driver.snapshot(context, inst, image_id, uploading)

    def _move(self, context, uuid, at, task_state):
        if not self._update(context, uuid, at[0], task_state=task_state):
            raise _Changed(uuid)
        at[0] = task_state

    def _power(self, inst):
        try:
            return self.driver.get_info(inst)['power_state']
        except Exception:
            return states.NOSTATE

    def _power_back(self, context, inst):
        """A failed shelve of a running server: running again (best effort)."""
        if inst['vm_state'] != states.ACTIVE:
            return
        try:
            self.driver.power_on(context, inst)
        except Exception:
            LOG.exception('powering %s on again after a failed shelve', inst['uuid'])

    # -- offload -----------------------------------------------------------------
    @rpc.expose
    def shelve_offload_instance(self, context, instance_uuid):
        self._run(self._shelve_offload, context, instance_uuid)

    def _shelve_offload(self, context, uuid):
        with self._lock(uuid):
            inst = self._get(context, uuid, start_event=OFFLOAD_EVENT,
                             event_if={'task_state': OFFLOAD.task_state})
            if inst is None or inst['task_state'] != OFFLOAD.task_state:
                return
            self._offload(context, inst)

    def _offload(self, context, inst):
        """Destroy the guest here (under the instance's lock) and hand the
        instance back to no host."""
        uuid = inst['uuid']
        try:
            self.driver.destroy(context, inst)
            self._release_volume_exports(context, uuid)
        except Exception as exc:
            LOG.exception('offload of %s failed', uuid)
            self._event(context, uuid, OFFLOAD_EVENT, True, 'Error', traceback.format_exc())
            self.conductor.instance_fault(context, uuid, f'Offload failed: {exc}', self.host)
            self._update(context, uuid, OFFLOAD.task_state, task_state=None)
            return
        try:
            self.conductor.instance_offloaded(context, uuid, self.host, OFFLOAD.task_state,
                                              finish_event=OFFLOAD_EVENT)
        except Exception:
            LOG.info('offload of %s: the instance changed meanwhile', uuid, exc_info=True)
            return
        LOG.info('instance %s offloaded from %s', uuid, self.host)

    def _release_volume_exports(self, context, uuid):
        """Withdraw the exports of the instance's volumes to this host; the
        attachments stay (an unshelve exports them to its new host)."""
        for att in self.conductor.instance_volumes(context, uuid):
            if att.get('connection_info'):
                self._release_export(context, att)

    @manager.periodic_task(spacing=lambda: CONF.shelved_poll_interval)
    def offload_shelved(self, context):
        """Offload the servers shelved here more than ``[DEFAULT]
        shelved_offload_time`` seconds ago (by their last change)."""
        if CONF.shelved_offload_time <= 0:
            return
        cutoff = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) - \
            datetime.timedelta(seconds=CONF.shelved_offload_time)
        for inst in self.conductor.instances_on_host(context, self.host):
            if inst['vm_state'] != states.SHELVED or inst['task_state'] is not None or \
                    (_as_datetime(inst.get('updated_at')) or cutoff) > cutoff:
                continue
            with self._lock(inst['uuid']):
                # Under the lock no unshelve of this host can end meanwhile:
                # the swap from idle is still on a SHELVED server.
                if not self._update(context, inst['uuid'], None,
                                    task_state=OFFLOAD.task_state):
                    continue
                self._event(context, inst['uuid'], OFFLOAD_EVENT)
                self._offload(context, inst)

    # -- unshelve ----------------------------------------------------------------
    @rpc.expose
    def unshelve_instance(self, context, instance_uuid, request_spec=None):
        if request_spec is None:
            self._run(self._unshelve_power_on, context, instance_uuid)
        else:
            self._run(self._unshelve_spawn, context, instance_uuid, request_spec)

    def _unshelve_power_on(self, context, uuid):
        with self._lock(uuid):
            inst = self._get(context, uuid, start_event=UNSHELVE_EVENT,
                             event_if={'task_state': UNSHELVE.task_state})
            if inst is None or inst['task_state'] != UNSHELVE.task_state:
                return
            try:
                self.driver.power_on(context, inst)
                power = self.driver.get_info(inst)['power_state']
            except Exception as exc:
                self._unshelve_failed(context, inst, exc)
                return
            if self._update(context, uuid, UNSHELVE.task_state, finish_event=UNSHELVE_EVENT,
                            vm_state=UNSHELVE.vm_state, task_state=None, power_state=power):
                self._drop_shelved_image(inst)

    def _unshelve_spawn(self, context, uuid, spec):
        """An offloaded server the scheduler claimed this host for (the
        claim started this host's event)."""
        with self._lock(uuid):
            inst = self._get(context, uuid)
            if inst is None or inst['task_state'] != UNSHELVE.task_state or \
                    inst['host'] != self.host:
                return
            bdi = None
            try:
                # the server's own ports and volumes, on this host
                network_info, bdi = self.attach_here(context, inst)
                image = {} if (inst.get('system_metadata') or {}).get('boot_from_volume') \
                    else spec.get('image') or {}
                self.driver.spawn(context, inst, image, admin_password=None,
                                  network_info=network_info, block_device_info=bdi)
                power = self.driver.get_info(inst)['power_state']
            except Exception as exc:
                try:
                    self.driver.destroy(context, inst)
                except Exception:
                    LOG.exception('cleanup of the failed unshelve of %s', uuid)
                self.undo_boot_volumes(context, bdi)
                self._unshelve_failed(context, inst, exc)
                return
            if not self._activate(context, inst, bdi, UNSHELVE.task_state, UNSHELVE_EVENT,
                                  vm_state=UNSHELVE.vm_state, power_state=power):
                LOG.info('instance %s changed during its unshelve', uuid)
                return
            self._drop_shelved_image(inst)
            LOG.info('instance %s unshelved on %s', uuid, self.host)

    def _unshelve_failed(self, context, inst, exc):
        """Back to the state it began from: SHELVED (task cleared), or
        SHELVED_OFFLOADED without a host."""
        uuid = inst['uuid']
        LOG.warning('unshelve of %s on %s failed: %s', uuid, self.host, exc)
        self._event(context, uuid, UNSHELVE_EVENT, True, 'Error', traceback.format_exc())
        self.conductor.instance_fault(context, uuid, f'Unshelve failed: {exc}', self.host)
        if inst['vm_state'] == states.SHELVED_OFFLOADED:
            try:
                self.conductor.instance_offloaded(context, uuid, self.host,
                                                  UNSHELVE.task_state)
            except Exception:
                LOG.info('failed unshelve of %s: the instance changed meanwhile', uuid)
        else:
            self._update(context, uuid, UNSHELVE.task_state, task_state=None,
                         power_state=self._power(inst))

    @staticmethod
    def _drop_shelved_image(inst):
        image_id = (inst.get('system_metadata') or {}).get('shelved_image_id')
        if image_id:
            image_upload.discard(image_id)

