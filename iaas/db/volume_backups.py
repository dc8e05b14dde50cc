"""Volume backups: quota-checked creation that starts the volume's
``backup`` operation in the same transaction, compare-and-swap status,
restores, lists, imported records.

Data in the object store may be shared: an imported record (Cinder's
import_record) points at the manifest another backup wrote, and keeps
pointing at it after that backup's record is deleted. A backup's data is
its manifest name (``manifest['manifest']``); :func:`get` says
``data_shared`` when another live record names the same manifest, and the
volume host then deletes the record only, never the objects.
"""
import sqlalchemy as sa

from iaas.db import quotas
from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.instances import ALL_PROJECTS
from iaas.db.utils import row_to_dict
from iaas.db.volume_models import Volume, VolumeBackup
from iaas.db.volumes import LOCK, _get, check_quota, list_of, swap_row
from iaas.exception import BackupNotFound, InvalidVolume, VolumeNotFound

# Cinder's volume_id of an imported backup whose record names no volume
IMPORT_VOLUME_ID = '00000000-0000-0000-0000-000000000000'
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
                VolumeBackup.project_id == vol.project_id,    # not an import elsewhere
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


def _sharers(s, manifest_name, uuid):
    """The live records other than ``uuid`` whose data is ``manifest_name``."""
    if not manifest_name:
        return []
    return list(s.scalars(sa.select(VolumeBackup).where(
        VolumeBackup.deleted == 0, VolumeBackup.uuid != uuid,
        VolumeBackup.manifest['manifest'].as_string() == manifest_name)))


def get(uuid, project_id=ALL_PROJECTS):
    """The backup; ``data_shared``: another live record names its data."""
    with transaction() as s:
        row = _get(s, uuid, project_id, VolumeBackup, BackupNotFound)
        d = _dict(s, row)
        d['data_shared'] = bool(_sharers(s, (row.manifest or {}).get('manifest'), uuid))
        return d


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


def import_(uuid, values, manifest_name, data_id, other_projects=False):
    """Insert backup ``uuid`` (status ``creating``, its data the manifest
    ``manifest_name`` written for backup ``data_id``) into
    ``values['project_id']`` after the quota check, or revive a deleted row
    of that id, as Cinder does. Refused (400, InvalidVolume): a live record
    of that id ("Backup already exists in database.", Cinder's answer), data
    a record is being deleted with, a parent of another project and, unless
    ``other_projects``, data another project's backup was made of."""
    project_id = values['project_id']
    quotas.ensure_lock_row(project_id, LOCK)
    with transaction() as s:
        check_quota(s, project_id, {'backups': 1, 'backup_gigabytes': values['size']})
        row = s.scalars(sa.select(VolumeBackup).where(VolumeBackup.uuid == uuid)).first()
        if row is not None and row.deleted == 0:
            raise InvalidVolume('Invalid backup: Backup already exists in database.')
        sharers = _sharers(s, manifest_name, uuid)
        if any(r.status in ('deleting', 'error_deleting') for r in sharers):
            raise InvalidVolume('Invalid backup: the data this record names is being '
                                'deleted with another backup.')
        owners = {r.project_id for r in sharers} | set(s.scalars(sa.select(
            VolumeBackup.project_id).where(VolumeBackup.uuid == data_id)))
        if not other_projects and owners - {project_id}:
            raise InvalidVolume('Invalid backup: the data this record names belongs to a '
                                'backup of another project.')
        if values.get('parent_id'):
            parent = s.scalars(sa.select(VolumeBackup).where(
                VolumeBackup.uuid == values['parent_id'], VolumeBackup.deleted == 0)).first()
            if parent is not None and parent.project_id != project_id:
                raise InvalidVolume('Invalid backup: its parent backup belongs to another '
                                    'project.')
        now = utcnow()
        fields = {
            'snapshot_id': None, 'host': None, 'availability_zone': None, 'container': None,
            'display_name': None, 'display_description': None, 'parent_id': None,
            'is_incremental': False, 'metadata_': {}, **values,
            'status': 'creating', 'status_changed_at': now, 'object_count': 0,
            # claims the data (see _sharers) until verified; a delete of a
            # record still unverified (reaped while creating) removes no object
            'manifest': {'manifest': manifest_name, 'backup_id': data_id,
                         'unverified': True},
            'restore_volume_id': None, 'fail_reason': None, 'data_timestamp': now,
            'created_at': now, 'updated_at': None, 'deleted': 0, 'deleted_at': None}
        if row is None:
            row = VolumeBackup(uuid=uuid, **fields)
            s.add(row)
        else:
            for k, v in fields.items():
                setattr(row, k, v)
        s.flush()
        return _dict(s, row)
