"""Volume snapshots: quota-checked creation, compare-and-swap status, lists."""
import sqlalchemy as sa

from iaas.db import quotas
from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.instances import ALL_PROJECTS
from iaas.db.utils import row_to_dict
from iaas.db.volume_models import Volume, VolumeSnapshot
from iaas.db.volumes import LOCK, _get, check_quota, list_of, swap_row
from iaas.exception import InvalidVolume, SnapshotNotFound

SORT_KEYS = {'created_at', 'updated_at', 'id', 'status', 'display_name', 'volume_size'}


def create(values, force=False):
    """Insert a snapshot of ``values['volume_id']`` (status ``creating``):
    the volume must be available (or in-use with ``force``) and the quota
    (snapshots, gigabytes) must hold, both checked in one transaction."""
    project_id = values['project_id']
    quotas.ensure_lock_row(project_id, LOCK)
    with transaction() as s:
        vol = _get(s, values['volume_id'], project_id)
        allowed = ('available', 'in-use') if force else ('available',)
        if vol.status not in allowed:
            if vol.status == 'in-use':
                raise InvalidVolume('Invalid volume: Volume is in-use; use force to take '
                                    'a snapshot of an attached volume.')
            raise InvalidVolume(f"Invalid volume: Volume {vol.uuid} status must be "
                                f"available or in-use, but current status is: {vol.status}.")
        check_quota(s, project_id, {'snapshots': 1, 'gigabytes': vol.size},
                    volume_type_id=vol.volume_type_id)
        row = VolumeSnapshot(status='creating', status_changed_at=utcnow(),
                             volume_size=vol.size, **values)
        s.add(row)
        s.flush()
        d = row_to_dict(row)
        d['volume_host'] = vol.host
        return d


def get(uuid, project_id=ALL_PROJECTS):
    with transaction() as s:
        return row_to_dict(_get(s, uuid, project_id, VolumeSnapshot, SnapshotNotFound))


def swap(uuid, expected, status, **values):
    with transaction() as s:
        return row_to_dict(swap_row(s, VolumeSnapshot, uuid, expected, status, values,
                                    SnapshotNotFound, 'snapshot'))


def set_fields(uuid, project_id=ALL_PROJECTS, **values):
    bad = set(values) & {'status', 'status_changed_at', 'volume_id', 'deleted'}
    if bad:
        raise ValueError(f'set_fields refuses state fields {sorted(bad)}')
    with transaction() as s:
        row = _get(s, uuid, project_id, VolumeSnapshot, SnapshotNotFound)
        for k, v in values.items():
            setattr(row, 'metadata_' if k == 'metadata' else k, v)
        s.flush()
        return row_to_dict(row)


def destroy(uuid, expected=('deleting',)):
    now = utcnow()
    with transaction() as s:
        row = swap_row(s, VolumeSnapshot, uuid, expected, 'deleted', {}, SnapshotNotFound,
                       'snapshot')
        row.deleted, row.deleted_at = row.id, now


def list_(project_id=ALL_PROJECTS, filters=None, sort=(('created_at', 'desc'),),
          limit=None, marker=None, offset=None):
    """Snapshots as dicts. ``filters``: name (RE2), status, volume_id, metadata."""
    return list_of(VolumeSnapshot, project_id, filters, sort, limit, marker, offset,
                   lambda s, r: row_to_dict(r), SORT_KEYS)


def in_status(statuses, older_than=None):
    """Snapshots in ``statuses`` changed before ``older_than``, with their
    volume's host (the reaper's)."""
    with transaction() as s:
        q = sa.select(VolumeSnapshot, Volume.host).join(
            Volume, Volume.uuid == VolumeSnapshot.volume_id).where(
            VolumeSnapshot.deleted == 0, VolumeSnapshot.status.in_(statuses))
        if older_than is not None:
            q = q.where(VolumeSnapshot.status_changed_at < older_than)
        return [dict(row_to_dict(snap), volume_host=host) for snap, host in s.execute(q)]
