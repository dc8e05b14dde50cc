"""The volume host's backup work: volumes to the object store and back
(Cinder's backup service, run by iaas-volume beside the backends).

The data goes through :mod:`iaas.volume.backup` (chunked, hashed,
compressed, incremental by chunk hashes) with the ``[service_user]``
account; the records through the conductor. A backup lives only in the
object store, so it survives the loss of its volume's backend: a restore
goes to whichever host holds the target volume, a delete to any volume
host. Mixed into :class:`iaas.volume.manager.VolumeManager`.
"""
import logging

from iaas import rpc
from iaas.conf import CONF
from iaas.exception import BackupNotFound, VolumeNotFound, VolumeStatusError
from iaas.volume import backup as backup_engine
from iaas.volume import states

LOG = logging.getLogger(__name__)
GiB = 1 << 30
GONE = (BackupNotFound, VolumeNotFound, VolumeStatusError)


class BackupOps:
    """Needs ``self.conductor``, ``self._driver``, ``self._plain``,
    ``self._swap`` and ``self._run`` of the volume manager."""

    engine_factory = staticmethod(lambda: backup_engine.from_conf(CONF))

    def _engine(self):
        engine = getattr(self, '_backup_engine', None)
        if engine is None:
            engine = self._backup_engine = self.engine_factory()
        return engine

    def _backup_swap(self, context, backup_id, expected, status, **values):
        try:
            return self.conductor.backup_update(context, backup_id, expected, status,
                                                **values)
        except GONE:
            return None

    @rpc.expose
    def create_backup(self, context, backup_id):
        self._run(self._create_backup, context, backup_id)

    def _create_backup(self, context, backup_id):
        try:
            backup = self.conductor.backup_get(context, backup_id)
            volume = self.conductor.volume_get(context, backup['volume_id'])
        except GONE:
            return
        # the chain holds the manifests made so far: the parent's first
        parent = backup['chain'][0] if backup['parent_id'] and backup['chain'] else None
        back = volume['previous_status'] or states.AVAILABLE
        try:
            driver = self._driver(volume)
            with driver.open_volume(self._plain(volume), 'rb') as reader:
                result = self._engine().backup(backup_id, reader, volume['size'] * GiB,
                                               parent=parent)
        except Exception as exc:
            LOG.exception('backup %s of volume %s failed', backup_id, volume['uuid'])
            self._backup_swap(context, backup_id, 'creating', 'error',
                              fail_reason=str(exc)[:500])
            self._swap(context, volume['uuid'], states.BACKING_UP, back)
            return
        self._swap(context, volume['uuid'], states.BACKING_UP, back)
        if self._backup_swap(context, backup_id, 'creating', 'available', manifest=result,
                             object_count=result['object_count'],
                             container=CONF.backup.container) is None:
            # deleted meanwhile (reset by an operator): drop what was written
            self._engine().delete(result['manifest'])

    @rpc.expose
    def restore_backup(self, context, backup_id, volume_id, new_volume=False):
        self._run(self._restore_backup, context, backup_id, volume_id, new_volume)

    def _restore_backup(self, context, backup_id, volume_id, new_volume=False):
        """Write the backup into the volume (``restoring-backup``, or for a
        volume made for the restore, ``creating``)."""
        expected = states.CREATING if new_volume else states.RESTORING
        try:
            backup = self.conductor.backup_get(context, backup_id)
            volume = self.conductor.volume_get(context, volume_id)
        except GONE:
            return
        try:
            driver = self._driver(volume)
            plain = self._plain(volume)
            if new_volume:
                update = driver.create_volume(plain) or {}
            with driver.open_volume(plain, 'r+b') as writer:
                self._engine().restore(backup['manifest']['manifest'], writer,
                                       size_bytes=backup['size'] * GiB)
        except Exception as exc:
            LOG.exception('restore of backup %s into %s failed', backup_id, volume_id)
            self._swap(context, volume_id, expected,
                       states.ERROR if new_volume else states.ERROR_RESTORING,
                       fault=f'restore failed: {str(exc)[:400]}')
            self._backup_swap(context, backup_id, 'restoring', 'available',
                              fail_reason=f'restore failed: {str(exc)[:400]}')
            return
        values = update if new_volume else {}
        self._swap(context, volume_id, expected, states.AVAILABLE, **values)
        self._backup_swap(context, backup_id, 'restoring', 'available')

    @rpc.expose
    def delete_backup(self, context, backup_id):
        self._run(self._delete_backup, context, backup_id)

    def _delete_backup(self, context, backup_id):
        try:
            backup = self.conductor.backup_get(context, backup_id)
        except GONE:
            return
        try:
            if backup['manifest'] and (backup.get('data_shared') or
                                       backup['manifest'].get('unverified')):
                # another record names the same data (export/import), or an
                # import never verified it: the objects stay, the record goes
                LOG.info('backup %s: its data is shared with another backup record or '
                         'was never verified; deleting the record only', backup_id)
            elif backup['manifest']:
                self._engine().delete(backup['manifest']['manifest'])
        except Exception as exc:
            LOG.exception('delete of backup %s failed', backup_id)
            self._backup_swap(context, backup_id, 'deleting', 'error_deleting',
                              fail_reason=str(exc)[:500])
            return
        try:
            self.conductor.backup_destroyed(context, backup_id)
        except GONE:
            pass
