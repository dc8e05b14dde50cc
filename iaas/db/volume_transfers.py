"""Volume transfers: the offer of a volume to another project and its end.

* :func:`create` swaps the volume to its transfer status and inserts the
  offer in one transaction (its snapshots must all be available unless
  they stay behind).
* :func:`accept` ends the offer (a compare-and-swap on the live row, so
  of two concurrent accepts one wins), checks the receiving project's
  quota under its lock (volumes, gigabytes, snapshots) and moves the
  volume and its snapshots, all in one transaction: a refusal leaves
  everything as it was.
* :func:`destroy` ends the offer and gives the volume back its status.

The statuses come from the caller (:mod:`iaas.volume.states`).
"""
import sqlalchemy as sa

from iaas.db import quotas
from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.instances import ALL_PROJECTS
from iaas.db.utils import row_to_dict
from iaas.db.volume_models import Volume, VolumeSnapshot, VolumeTransfer
from iaas.db.volumes import LOCK, _get, check_quota, list_of, swap_row
from iaas.exception import InvalidVolume, VolumeNotFound, VolumeStatusError

SORT_KEYS = {'created_at', 'updated_at', 'id', 'display_name', 'name', 'volume_id'}


def not_found(uuid):
    return VolumeNotFound(uuid, 'Transfer')


def _dict(s, row):
    return row_to_dict(row)


def create(values, volume_expected, volume_status, with_snapshots=True):
    """Insert the offer of ``values['volume_id']`` (of ``values['project_id']``)
    and swap the volume from one of ``volume_expected`` to ``volume_status``."""
    with transaction() as s:
        vol = _get(s, values['volume_id'], values['project_id'])
        if with_snapshots:
            busy = s.execute(sa.select(VolumeSnapshot.uuid, VolumeSnapshot.status).where(
                VolumeSnapshot.volume_id == vol.uuid, VolumeSnapshot.deleted == 0,
                VolumeSnapshot.status != 'available')).first()
            if busy is not None:
                raise InvalidVolume(f'Invalid snapshot: Snapshot {busy[0]} is not available '
                                    f'for transfer (it is {busy[1]}).')
        swap_row(s, Volume, vol.uuid, volume_expected, volume_status,
                 {'previous_status': vol.status}, VolumeNotFound)
        row = VolumeTransfer(no_snapshots=not with_snapshots, accepted=False, **values)
        s.add(row)
        s.flush()
        return row_to_dict(row)


def get(uuid, project_id=ALL_PROJECTS):
    """The live offer (VolumeNotFound 'Transfer …' if absent or ended)."""
    with transaction() as s:
        return row_to_dict(_get(s, uuid, project_id, VolumeTransfer, not_found))


def list_(project_id=ALL_PROJECTS, filters=None, sort=(('created_at', 'desc'),),
          limit=None, marker=None, offset=None):
    """Live offers as dicts. ``filters``: name (RE2), volume_id."""
    return list_of(VolumeTransfer, project_id, filters, sort, limit, marker, offset, _dict,
                   SORT_KEYS, exact=('volume_id',))


def _end(s, uuid, **values):
    """Soft-delete the live offer (a compare-and-swap); returns its row."""
    now = utcnow()
    n = s.execute(sa.update(VolumeTransfer).where(
        VolumeTransfer.uuid == uuid, VolumeTransfer.deleted == 0).values(
        deleted=VolumeTransfer.id, deleted_at=now, updated_at=now, **values)).rowcount
    if not n:
        raise not_found(uuid)
    return s.scalars(sa.select(VolumeTransfer).where(VolumeTransfer.uuid == uuid)).one()


def accept(uuid, project_id, user_id, volume_expected, volume_status):
    """End the offer as accepted by ``project_id`` (``user_id``) and move
    the volume (and its snapshots unless the offer leaves them behind) to
    it, within its quota; returns (transfer, volume)."""
    quotas.ensure_lock_row(project_id, LOCK)
    with transaction() as s:
        t = _end(s, uuid, accepted=True, destination_project_id=project_id)
        vol = _get(s, t.volume_id)
        snaps = [] if t.no_snapshots else list(s.scalars(sa.select(VolumeSnapshot).where(
            VolumeSnapshot.volume_id == vol.uuid, VolumeSnapshot.deleted == 0)))
        deltas = {'volumes': 1, 'snapshots': len(snaps),
                  'gigabytes': vol.size + sum(x.volume_size for x in snaps)}
        if vol.project_id == project_id:
            deltas = {}      # already counted there
        check_quota(s, project_id, deltas, size=vol.size, volume_type_id=vol.volume_type_id)
        moved = swap_row(s, Volume, vol.uuid, volume_expected, volume_status,
                         {'project_id': project_id, 'user_id': user_id}, VolumeNotFound)
        if snaps:
            s.execute(sa.update(VolumeSnapshot).where(
                VolumeSnapshot.uuid.in_([x.uuid for x in snaps])).values(
                project_id=project_id, user_id=user_id))
        return row_to_dict(t), row_to_dict(moved)


def destroy(uuid, volume_expected, volume_status):
    """End the offer and swap its volume from one of ``volume_expected`` to
    ``volume_status`` (a volume an admin has since reset or deleted is left
    as it is); returns the ended transfer."""
    with transaction() as s:
        t = _end(s, uuid)
        try:
            swap_row(s, Volume, t.volume_id, volume_expected, volume_status, {},
                     VolumeNotFound)
        except (VolumeNotFound, VolumeStatusError):
            pass
        return row_to_dict(t)


def created_before(cutoff):
    """The live offers made before ``cutoff`` (expired ones)."""
    with transaction() as s:
        return [row_to_dict(r) for r in s.scalars(sa.select(VolumeTransfer).where(
            VolumeTransfer.deleted == 0, VolumeTransfer.created_at < cutoff))]
