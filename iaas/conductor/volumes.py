"""The conductor's volume role: the database side of iaas-volume hosts, which
hold no database credentials, and the reaper of volume operations.

A volume host acts only on what is placed on it: volumes whose ``host`` is
``<its host>@<backend>`` and their snapshots; another host's volume is
"not found". It may write only a status by compare-and-swap (the
operation's outcome per :mod:`iaas.volume.states`) and the fields of
:data:`VOLUME_HOST_WRITABLE` — never a project, size, type or ownership.
"""
import datetime
import functools
import logging

from iaas import manager, notifications, rpc
from iaas.conf import CONF
from iaas.db import services as db_services
from iaas.db import volume_backends as db_volume_backends
from iaas.db import volume_backups as db_backups
from iaas.db import volume_groups as db_groups
from iaas.db import volume_snapshots as db_snapshots
from iaas.db import volume_types as db_types
from iaas.db import volumes as db
from iaas.db.base import utcnow
from iaas.exception import (
    BackupNotFound,
    HostNotAuthorized,
    SnapshotNotFound,
    VolumeNotFound,
    VolumeStatusError,
)
from iaas.volume import api as volume_api
from iaas.volume import groups as volume_groups
from iaas.volume import messages as user_messages
from iaas.volume import rpcapi as volume_rpcapi
from iaas.volume import states, transfers

LOG = logging.getLogger(__name__)

VOLUME_HOST_WRITABLE = frozenset({'provider_location', 'bootable', 'image_metadata',
                                  'fault', 'launched_at'})
SNAPSHOT_HOST_WRITABLE = frozenset({'provider_location', 'progress', 'fault'})
BACKUP_HOST_WRITABLE = frozenset({'object_count', 'manifest', 'container', 'fail_reason',
                                  'restore_volume_id'})
# statuses a volume host reports its volumes ending an operation in
VOLUME_OUTCOMES = frozenset(s for o in states.VOLUME_OPS.values()
                            for s in (o.success, o.failure) if s) - {states.PREVIOUS}


def _type_name(vol):
    """The name of the volume's type, for its usage events (None if unknown)."""
    try:
        return db_types.get(vol['volume_type_id'])['name'] if vol.get('volume_type_id') \
            else None
    except Exception:      # a type deleted meanwhile: the event names its id
        return None


class VolumeCalls:
    """Mixed into :class:`iaas.conductor.manager.ConductorManager`."""

    @functools.cached_property
    def volume(self):
        return volume_rpcapi.VolumeAPI()

    def _volume_host(self, context):
        return self._caller(context, 'volume').host

    def _own_volume(self, context, volume_id):
        host = self._volume_host(context)
        vol = db.get(volume_id)
        if not (vol['host'] or '').startswith(f'{host}@'):
            raise VolumeNotFound(volume_id)
        return vol

    @staticmethod
    def _checked(values, allowed):
        bad = set(values) - allowed
        if bad:
            raise HostNotAuthorized(f'a volume host may not write {sorted(bad)}')
        return values

    @rpc.expose
    def volume_get(self, context, volume_id):
        """The volume with its ``attachments`` (server, host)."""
        vol = self._own_volume(context, volume_id)
        vol['attachments'] = [{'instance_uuid': a['instance_uuid'],
                               'attached_host': a['attached_host'],
                               'attach_status': a['attach_status']}
                              for a in db.attachments(volume_id=volume_id)]
        return vol

    @rpc.expose
    def volume_update(self, context, volume_id, expected_status, status, values=None):
        """Compare-and-swap the status of a volume of this host (and the
        host-writable ``values``). A failed extend restores the size."""
        vol = self._own_volume(context, volume_id)
        values = dict(self._checked(values or {}, VOLUME_HOST_WRITABLE))
        allowed = VOLUME_OUTCOMES | set(states.VOLUME_STATUSES)
        if status not in allowed:
            raise HostNotAuthorized(f'unknown volume status {str(status)[:64]!r}')
        if status == states.ERROR_EXTENDING and vol['previous_size']:
            values['size'] = vol['previous_size']
        if status == states.AVAILABLE and expected_status == states.CREATING:
            values['launched_at'] = utcnow()
        new = db.swap(volume_id, expected_status, status, **values)
        if expected_status in (states.CREATING, states.EXTENDING):
            notifications.volume_updated(context, expected_status, status, new,
                                         volume_type=_type_name(new))
        user_messages.volume_ended(context, vol, expected_status, status, values)
        if vol.get('group_id') and vol['status'] == states.CREATING:
            db_groups.settle(vol['group_id'])     # its group may be made now
        return new

    @rpc.expose
    def volume_snapshots(self, context, volume_id):
        """The snapshots of a volume of this host."""
        self._own_volume(context, volume_id)
        return db_snapshots.list_(db.ALL_PROJECTS, {'volume_id': volume_id})

    @rpc.expose
    def volume_destroyed(self, context, volume_id):
        vol = self._own_volume(context, volume_id)
        db.destroy(volume_id, expected=(states.DELETING,))
        notifications.volume_deleted(context, vol, volume_type=_type_name(vol))
        if vol.get('group_id'):
            db_groups.finish_delete(vol['group_id'])     # its group may go now

    def _own_snapshot(self, context, snapshot_id):
        snap = db_snapshots.get(snapshot_id)
        try:
            self._own_volume(context, snap['volume_id'])
        except VolumeNotFound:
            raise SnapshotNotFound(snapshot_id) from None
        return snap

    @rpc.expose
    def snapshot_get(self, context, snapshot_id):
        return self._own_snapshot(context, snapshot_id)

    @rpc.expose
    def snapshot_update(self, context, snapshot_id, expected_status, status, values=None):
        snap = self._own_snapshot(context, snapshot_id)
        values = self._checked(values or {}, SNAPSHOT_HOST_WRITABLE)
        if status not in states.SNAPSHOT_STATUSES:
            raise HostNotAuthorized(f'unknown snapshot status {str(status)[:64]!r}')
        new = db_snapshots.swap(snapshot_id, expected_status, status, **values)
        notifications.snapshot_updated(context, expected_status, status, new)
        user_messages.snapshot_ended(context, snap, expected_status, status)
        if snap.get('group_snapshot_id') and snap['status'] == 'creating':
            db_groups.snapshot_settle(snap['group_snapshot_id'])
        return new

    @rpc.expose
    def snapshot_destroyed(self, context, snapshot_id):
        snap = self._own_snapshot(context, snapshot_id)
        db_snapshots.destroy(snapshot_id)
        notifications.snapshot_deleted(context, snap)
        if snap.get('group_snapshot_id'):
            db_groups.snapshot_finish_delete(snap['group_snapshot_id'])

    @rpc.expose
    def volume_backend_report(self, context, backend_name, driver, protocol,
                              availability_zone, capacity, max_over_subscription_ratio=20.0,
                              reserved_percentage=0):
        host = self._volume_host(context)
        db_volume_backends.report(host, backend_name, driver, protocol, availability_zone,
                           capacity, max_over_subscription_ratio, reserved_percentage)

    @rpc.expose
    def volumes_on_host(self, context):
        """This host's volumes in a transitional status (for its restart)."""
        host = self._volume_host(context)
        return db.on_host_in(sorted(states.TRANSITIONAL), hosts=[host])

    # -- backups (for volume hosts) ------------------------------------------------
    def _own_backup(self, context, backup_id):
        """The backup, if this volume host works on it: it backs up a volume
        placed here, restores into one, or deletes it (any volume host may:
        the data is only in the object store)."""
        host = self._volume_host(context)
        backup = db_backups.get(backup_id)
        if backup['status'] == 'deleting':
            return backup
        for vid in (backup['volume_id'], backup['restore_volume_id']):
            if not vid:
                continue
            try:
                if (db.get(vid)['host'] or '').startswith(f'{host}@'):
                    return backup
            except VolumeNotFound:
                continue
        raise BackupNotFound(backup_id)

    @rpc.expose
    def backup_get(self, context, backup_id):
        """The backup with ``chain``: its own and its parents' manifests,
        newest first (an incremental backup and a restore need them)."""
        backup = self._own_backup(context, backup_id)
        backup['chain'] = [b['manifest'] for b in db_backups.chain(backup_id) if b['manifest']]
        return backup

    @rpc.expose
    def backup_update(self, context, backup_id, expected_status, status, values=None):
        backup = self._own_backup(context, backup_id)
        values = self._checked(values or {}, BACKUP_HOST_WRITABLE)
        if status not in states.BACKUP_STATUSES:
            raise HostNotAuthorized(f'unknown backup status {str(status)[:64]!r}')
        new = db_backups.swap(backup_id, expected_status, status, **values)
        user_messages.backup_ended(context, backup, expected_status, status, values)
        return new

    @rpc.expose
    def backup_destroyed(self, context, backup_id):
        self._own_backup(context, backup_id)
        db_backups.destroy(backup_id)

    # -- attachments (for compute hosts) ----------------------------------------
    def _own_attachment(self, context, attachment_id):
        """The attachment, if its server is on the calling compute host."""
        att = db.attachment_get(attachment_id)
        self._own_instance(context, att['instance_uuid'])
        return att

    @rpc.expose
    def attachment_complete(self, context, attachment_id, connection_info, connector,
                            mountpoint):
        """The guest has the disk: attachment attached, volume in-use."""
        self._own_attachment(context, attachment_id)
        host = self._caller(context, 'compute').host
        vol, att = db.attachment_finish(
            attachment_id, states.IN_USE, (states.RESERVED, states.ATTACHING, states.IN_USE),
            'attached', connection_info=connection_info, connector=connector,
            mountpoint=mountpoint, attached_host=host)
        return att

    @rpc.expose
    def attachment_failed(self, context, attachment_id):
        """The attach did not happen: the record goes, the volume is as before."""
        self._own_attachment(context, attachment_id)
        vol, _ = db.attachment_finish(attachment_id, states.AVAILABLE,
                                      (states.RESERVED, states.ATTACHING, states.IN_USE),
                                      'detached')
        user_messages.record(context, user_messages.VOLUME, vol, user_messages.ATTACH_VOLUME,
                             user_messages.ATTACH_ERROR)

    @rpc.expose
    def detach_complete(self, context, attachment_id):
        self._own_attachment(context, attachment_id)
        db.attachment_finish(attachment_id, states.AVAILABLE,
                             (states.DETACHING, states.IN_USE), 'detached')

    @rpc.expose
    def detach_failed(self, context, attachment_id):
        self._own_attachment(context, attachment_id)
        db.attachment_finish(attachment_id, states.IN_USE, (states.DETACHING,), 'attached')

    @rpc.expose
    def attached_volume_extended(self, context, instance_uuid, volume_id, error=None):
        """The server's host grew the volume it holds (the extend of a
        volume only its guest may write): end the extend."""
        self._own_instance(context, instance_uuid)
        if not any(a['volume_id'] == volume_id
                   for a in db.attachments(instance_uuid=instance_uuid)):
            raise VolumeNotFound(volume_id)
        vol = db.get(volume_id)
        if error is None:
            new = db.swap(volume_id, states.EXTENDING, vol['previous_status'] or states.IN_USE)
            notifications.volume_updated(context, states.EXTENDING, 'extended', new,
                                         volume_type=_type_name(new))
        else:
            db.swap(volume_id, states.EXTENDING, states.ERROR_EXTENDING,
                    size=vol['previous_size'] or vol['size'],
                    fault=f'extend failed: {str(error)[:400]}')
            user_messages.record(context, user_messages.VOLUME, vol,
                                 user_messages.EXTEND_VOLUME,
                                 user_messages.NOTIFY_COMPUTE_SERVICE_FAILED)

    @rpc.expose
    def boot_volumes_reserve(self, context, instance_uuid):
        """The instance's boot volumes once all are made (each reserved for
        it), None while one is still being made."""
        self._own_instance(context, instance_uuid)
        return db.reserve_for_boot(instance_uuid)

    @rpc.expose
    def instance_volumes(self, context, instance_uuid):
        """The instance's attachments, each with its volume's ``volume_host``."""
        self._own_instance(context, instance_uuid, include_deleted=True)
        out = []
        for att in db.attachments(instance_uuid=instance_uuid):
            try:
                att['volume_host'] = db.get(att['volume_id'])['host']
            except VolumeNotFound:
                continue
            out.append(att)
        return out

    @rpc.expose
    def instance_volumes_released(self, context, instance_uuid):
        """The deleted server's disks are gone: its volumes are detached, and
        those marked ``delete_on_termination`` deleted."""
        self._own_instance(context, instance_uuid, include_deleted=True)
        volume_api.release_instance_volumes(context, instance_uuid, self.volume)

    # -- the reaper -----------------------------------------------------------------
    @manager.periodic_task(spacing=lambda: CONF.compute.reap_interval)
    def reap_volumes(self, context):
        """Operations on a volume host that went down, or older than
        ``[volume] action_timeout``, end with their failure outcome: nothing
        stays in creating, extending, deleting… forever."""
        now = utcnow()
        up = {s['host'] for s in db_services.service_list(binary='iaas-volume')
              if db_services.is_up(s, CONF.service.service_down_time)}
        # hosts of backends whose iaas-volume is down (or never registered)
        down = sorted({b['host'] for b in db_volume_backends.list_()} - up)
        cutoff = now - datetime.timedelta(seconds=CONF.volume.action_timeout)
        stuck = {v['uuid']: v for v in db.on_host_in(sorted(states.TRANSITIONAL), hosts=down)}
        stuck.update({v['uuid']: v for v in db.on_host_in(sorted(states.TRANSITIONAL),
                                                          older_than=cutoff)})
        for vol in stuck.values():
            self._reap_volume(vol)
        for snap in db_snapshots.in_status(['creating', 'deleting'], older_than=cutoff):
            failure = states.op('snapshot', states.op_running('snapshot', snap['status']))
            try:
                db_snapshots.swap(snap['uuid'], snap['status'], failure.failure,
                                  fault=f'{snap["status"]} timed out')
            except (VolumeStatusError, SnapshotNotFound):
                continue
            user_messages.snapshot_ended(context, snap, snap['status'], failure.failure)
        self._reap_backups(context, cutoff)
        for kind, uuid in volume_groups.reap(cutoff):
            LOG.warning('%s %s: did not finish in %s s', kind, uuid, CONF.volume.action_timeout)
        if transfers.expire():          # [volume] transfer_expiry (off by default)
            LOG.info('expired volume transfers ended')
        user_messages.purge_expired()

    @staticmethod
    def _reap_backups(context, cutoff):
        for b in db_backups.in_status(['creating', 'deleting', 'restoring'], cutoff):
            outcome = {'creating': 'error', 'deleting': 'error_deleting',
                       'restoring': 'available'}[b['status']]
            values = {'fail_reason': f'{b["status"]} timed out'}
            try:
                db_backups.swap(b['uuid'], b['status'], outcome, **values)
            except (VolumeStatusError, BackupNotFound):
                continue
            user_messages.backup_ended(context, b, b['status'], outcome, values)

    @staticmethod
    def _reap_volume(vol):
        name = states.op_running('volume', vol['status'])
        if name is None:
            return
        outcome = states.outcome(states.op('volume', name), 'failure', vol['previous_status'])
        values = {'fault': f'{name} did not finish (host {vol["host"]} down or '
                           f'{CONF.volume.action_timeout} s passed)'}
        if name == 'extend' and vol['previous_size']:
            values['size'] = vol['previous_size']
        try:
            db.swap(vol['uuid'], vol['status'], outcome or states.ERROR, **values)
            LOG.warning('volume %s: %s', vol['uuid'], values['fault'])
        except (VolumeStatusError, VolumeNotFound):
            return
        user_messages.volume_ended(None, vol, vol['status'], outcome or states.ERROR, values)
        if name in ('reserve', 'attach'):
            # the attachment that never completed goes with its operation
            for att in db.attachments(volume_id=vol['uuid']):
                if att['attach_status'] in ('reserved', 'attaching'):
                    db.attachment_drop(att['uuid'])
