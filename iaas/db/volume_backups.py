"""Volume backups: quota-checked creation that starts the volume's
``backup`` operation in the same transaction, compare-and-swap status,
restores, lists."""
import sqlalchemy as sa

from iaas.db import quotas
from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.instances import ALL_PROJECTS
from iaas.db.utils import row_to_dict
from iaas.db.volume_models import Volume, VolumeBackup
from iaas.db.volumes import LOCK, _get, check_quota, list_of, swap_row
from iaas.exception import BackupNotFound, InvalidVolume, VolumeNotFound

SORT_KEYS = {'created_at', 'updated_at', 'id', 'status', 'display_name', 'size'}


def _dict(s, row):
    d = row_to_dict(row)
    d['has_dependent_backups'] = bool(s.scalar(sa.select(sa.func.count(VolumeBackup.id)).where(
        VolumeBackup.parent_id == row.uuid, VolumeBackup.deleted == 0)))
    return d


def create(values, volume_statuses, incremental=False):
    """Insert a backup (status ``creating``) of ``values['volume_id']`` and swap
    the volume from one of ``volume_statuses`` to ``backing-up``, after the
    quota (backups, backup_gigabytes) check, in one transaction. An
    incremental backup's parent is the volume's newest available backup
    (InvalidVolume when there is none)."""
    project_id = values['project_id']
    quotas.ensure_lock_row(project_id, LOCK)
    with transaction() as s:
        vol = _get(s, values['volume_id'], project_id)
        parent = None
        if incremental:
            parent = s.scalars(sa.select(VolumeBackup).where(
                VolumeBackup.volume_id == vol.uuid, VolumeBackup.deleted == 0,
                VolumeBackup.status == 'available').order_by(
                VolumeBackup.created_at.desc(), VolumeBackup.id.desc())).first()
            if parent is None:
                raise InvalidVolume('Invalid backup: No backups available to do an '
                                    'incremental backup.')
        check_quota(s, project_id, {'backups': 1, 'backup_gigabytes': vol.size})
        swap_row(s, Volume, vol.uuid, volume_statuses, 'backing-up',
                 {'previous_status': vol.status}, VolumeNotFound)
        row = VolumeBackup(status='creating', status_changed_at=utcnow(), size=vol.size,
                           availability_zone=vol.availability_zone, host=vol.host,
                           is_incremental=parent is not None,
                           parent_id=parent.uuid if parent is not None else None,
                           data_timestamp=utcnow(), **values)
        s.add(row)
        s.flush()
        d = _dict(s, row)
        d['volume_host'] = vol.host
        return d


def get(uuid, project_id=ALL_PROJECTS):
    with transaction() as s:
        return _dict(s, _get(s, uuid, project_id, VolumeBackup, BackupNotFound))


def swap(uuid, expected, status, **values):
    with transaction() as s:
        return _dict(s, swap_row(s, VolumeBackup, uuid, expected, status, values,
                                 BackupNotFound, 'backup'))


def set_fields(uuid, project_id=ALL_PROJECTS, **values):
    bad = set(values) & {'status', 'status_changed_at', 'volume_id', 'deleted', 'manifest'}
    if bad:
        raise ValueError(f'set_fields refuses state fields {sorted(bad)}')
    with transaction() as s:
        row = _get(s, uuid, project_id, VolumeBackup, BackupNotFound)
        for k, v in values.items():
            setattr(row, 'metadata_' if k == 'metadata' else k, v)
        s.flush()
        return _dict(s, row)


def begin_delete(uuid, expected):
    """Swap to ``deleting`` unless an incremental backup depends on it."""
    with transaction() as s:
        row = _get(s, uuid, ALL_PROJECTS, VolumeBackup, BackupNotFound)
        if _dict(s, row)['has_dependent_backups']:
            raise InvalidVolume('Invalid backup: Incremental backups exist for this backup.')
        return _dict(s, swap_row(s, VolumeBackup, uuid, expected, 'deleting', {},
                                 BackupNotFound, 'backup'))


def begin_restore(uuid, volume_id, project_id):
    """Swap the backup to ``restoring`` and the target volume (the
    project's, available, at least the backup's size) to
    ``restoring-backup`` in one transaction."""
    with transaction() as s:
        backup = _get(s, uuid, project_id, VolumeBackup, BackupNotFound)
        vol = _get(s, volume_id, project_id)
        if vol.size < backup.size:
            raise InvalidVolume(f'Invalid volume: volume size {vol.size}GB is smaller than '
                                f'the backup size {backup.size}GB.')
        swap_row(s, VolumeBackup, uuid, ('available',), 'restoring',
                 {'restore_volume_id': volume_id}, BackupNotFound, 'backup')
        swap_row(s, Volume, volume_id, ('available', 'creating'), 'restoring-backup',
                 {'previous_status': vol.status}, VolumeNotFound)
        return _dict(s, backup), row_to_dict(vol)


def destroy(uuid, expected=('deleting',)):
    now = utcnow()
    with transaction() as s:
        row = swap_row(s, VolumeBackup, uuid, expected, 'deleted', {}, BackupNotFound, 'backup')
        row.deleted, row.deleted_at = row.id, now


def chain(uuid):
    """The backup and its parents, newest first (each a dict)."""
    out = []
    with transaction() as s:
        while uuid:
            row = s.scalars(sa.select(VolumeBackup).where(VolumeBackup.uuid == uuid)).first()
            if row is None or len(out) > 10000:
                break
            out.append(row_to_dict(row))
            uuid = row.parent_id
    return out


def list_(project_id=ALL_PROJECTS, filters=None, sort=(('created_at', 'desc'),),
          limit=None, marker=None, offset=None):
    """Backups as dicts. ``filters``: name (RE2), status, volume_id, metadata."""
    return list_of(VolumeBackup, project_id, filters, sort, limit, marker, offset, _dict,
                   SORT_KEYS)


def in_status(statuses, older_than=None):
    with transaction() as s:
        q = sa.select(VolumeBackup).where(VolumeBackup.deleted == 0,
                                          VolumeBackup.status.in_(statuses))
        if older_than is not None:
            q = q.where(VolumeBackup.status_changed_at < older_than)
        return [row_to_dict(r) for r in s.scalars(q)]
