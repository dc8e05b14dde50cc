"""Generic volume groups: group types (and their group specs), groups (their
volumes name them in ``volumes.group_id``) and group snapshots (their
snapshots name them in ``volume_snapshots.group_snapshot_id``).

Every status write is a compare-and-swap (:func:`iaas.db.volumes.swap_row`).
A group (or group snapshot) whose members are still being made is
``creating``; :func:`settle` makes it ``available`` (``error`` when a member
failed) once none is ``creating`` any more. One being deleted goes when its
last member went (:func:`finish_delete`). While the API is still adding the
members of a new group it is ``updating``, so that a member finishing early
cannot settle it. The conductor's reaper ends what never finishes
(:func:`stuck`, :func:`iaas.volume.groups.reap`).
"""
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from iaas.db import quotas
from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.instances import ALL_PROJECTS
from iaas.db.utils import row_to_dict
from iaas.db.volume_models import GroupSnapshot, GroupType, Volume, VolumeGroup, VolumeSnapshot
from iaas.db.volumes import LOCK, _get, check_quota, list_of, swap_row
from iaas.exception import (
    GroupSnapshotNotFound,
    GroupTypeNotFound,
    InvalidVolume,
    VolumeConflict,
    VolumeGroupNotFound,
    VolumeNotFound,
)

SORT_KEYS = {'created_at', 'updated_at', 'id', 'status', 'display_name', 'name'}
TYPE_SORT_KEYS = {'name', 'id', 'created_at', 'description'}
# the volume statuses a volume may join (or leave) a group in (Cinder's)
MEMBER_STATUSES = ('available', 'in-use')
LEAVE_STATUSES = ('available', 'in-use', 'error', 'error_deleting')


# -- group types ------------------------------------------------------------------------
def _type_row(s, ident):
    """By UUID, else by name (as Cinder)."""
    for col in (GroupType.uuid, GroupType.name):
        row = s.scalars(sa.select(GroupType).where(col == ident, GroupType.deleted == 0)).first()
        if row is not None:
            return row
    raise GroupTypeNotFound(ident)


def type_get(ident):
    with transaction() as s:
        return row_to_dict(_type_row(s, ident))


def type_create(name, description=None, is_public=True, group_specs=None):
    try:
        with transaction() as s:
            row = GroupType(name=name, description=description, is_public=is_public,
                            group_specs=dict(group_specs or {}))
            s.add(row)
            s.flush()
            return row_to_dict(row)
    except IntegrityError:
        raise VolumeConflict(f'Group Type {name} already exists.') from None


def type_ensure(name, description):
    """The group type called ``name``, created if missing (the default one)."""
    try:
        return type_get(name)
    except GroupTypeNotFound:
        try:
            return type_create(name, description)
        except VolumeConflict:
            return type_get(name)


def type_update(ident, **values):
    try:
        with transaction() as s:
            row = _type_row(s, ident)
            for k, v in values.items():
                setattr(row, k, v)
            s.flush()
            return row_to_dict(row)
    except IntegrityError:
        raise VolumeConflict(f'Group Type {values.get("name")} already exists.') from None


def type_delete(ident):
    with transaction() as s:
        row = _type_row(s, ident)
        if s.scalar(sa.select(sa.func.count(VolumeGroup.id)).where(
                VolumeGroup.group_type_id == row.uuid, VolumeGroup.deleted == 0)):
            raise InvalidVolume(f'Group Type {row.uuid} deletion is not allowed with groups '
                                f'present with the type.')
        row.deleted, row.deleted_at = row.id, utcnow()


def type_list(is_public=None, sort=(('created_at', 'asc'),)):
    """Group types (``is_public``: only public / only private ones)."""
    with transaction() as s:
        q = sa.select(GroupType).where(GroupType.deleted == 0)
        if is_public is not None:
            q = q.where(GroupType.is_public == is_public)
        orders = [getattr(GroupType, k).desc() if d == 'desc' else getattr(GroupType, k).asc()
                  for k, d in sort if k in TYPE_SORT_KEYS]
        return [row_to_dict(r) for r in s.scalars(q.order_by(*orders, GroupType.id))]


def type_set_specs(ident, specs):
    with transaction() as s:
        row = _type_row(s, ident)
        row.group_specs = {**(row.group_specs or {}), **specs}
        s.flush()
        return dict(row.group_specs)


def type_delete_spec(ident, key):
    """Drop spec ``key``; False when the type has none."""
    with transaction() as s:
        row = _type_row(s, ident)
        specs = dict(row.group_specs or {})
        if key not in specs:
            return False
        del specs[key]
        row.group_specs = specs
        return True


# -- groups -----------------------------------------------------------------------------
def create(values, status='creating'):
    """Insert a group after checking the project's ``groups`` quota under
    its lock (the volumes' quota lock row)."""
    project_id = values['project_id']
    quotas.ensure_lock_row(project_id, LOCK)
    with transaction() as s:
        check_quota(s, project_id, {'groups': 1})
        row = VolumeGroup(status=status, status_changed_at=utcnow(), **values)
        s.add(row)
        s.flush()
        return row_to_dict(row)


def get(uuid, project_id=ALL_PROJECTS):
    with transaction() as s:
        return row_to_dict(_get(s, uuid, project_id, VolumeGroup, VolumeGroupNotFound))


def list_(project_id=ALL_PROJECTS, filters=None, sort=(('created_at', 'desc'),), limit=None,
          marker=None, offset=None):
    return list_of(VolumeGroup, project_id, filters, sort, limit, marker, offset,
                   lambda s, r: row_to_dict(r), SORT_KEYS, exact=('status',))


def swap(uuid, expected, status, **values):
    with transaction() as s:
        return row_to_dict(swap_row(s, VolumeGroup, uuid, expected, status, values,
                                    VolumeGroupNotFound, 'group'))


def set_fields(uuid, **values):
    """Name and description (never a state field)."""
    bad = set(values) - {'display_name', 'display_description'}
    if bad:
        raise ValueError(f'set_fields refuses {sorted(bad)}')
    with transaction() as s:
        row = _get(s, uuid, ALL_PROJECTS, VolumeGroup, VolumeGroupNotFound)
        for k, v in values.items():
            setattr(row, k, v)
        s.flush()
        return row_to_dict(row)


def volumes(group_id):
    """The live volumes of a group (dicts)."""
    with transaction() as s:
        return [row_to_dict(r) for r in s.scalars(sa.select(Volume).where(
            Volume.group_id == group_id, Volume.deleted == 0).order_by(Volume.id))]


def volume_ids_of(group_ids):
    """{group id: [its live volumes' ids]} (the 3.25 ``volumes`` field)."""
    out = {g: [] for g in group_ids}
    if not out:
        return out
    with transaction() as s:
        for gid, vid in s.execute(sa.select(Volume.group_id, Volume.uuid).where(
                Volume.group_id.in_(list(out)), Volume.deleted == 0).order_by(Volume.id)):
            out[gid].append(vid)
    return out


def update_members(uuid, add=(), remove=()):
    """Add and remove volumes in one transaction: the group goes from
    available to updating and back (a compare-and-swap, so two updates never
    interleave); each volume joins by a swap on its status and group (one of
    the group's project and volume types, in :data:`MEMBER_STATUSES`, in no
    group) and leaves only from this group. Any refusal changes nothing."""
    with transaction() as s:
        group = swap_row(s, VolumeGroup, uuid, ('available',), 'updating', {},
                         VolumeGroupNotFound, 'group')
        for vid in add:
            n = s.execute(sa.update(Volume).where(
                Volume.uuid == vid, Volume.deleted == 0, Volume.group_id.is_(None),
                Volume.project_id == group.project_id,
                Volume.volume_type_id.in_(list(group.volume_type_ids or ())),
                Volume.status.in_(MEMBER_STATUSES)).values(group_id=uuid)).rowcount
            if not n:
                _refuse_add(s, group, vid)
        for vid in remove:
            n = s.execute(sa.update(Volume).where(
                Volume.uuid == vid, Volume.deleted == 0, Volume.group_id == uuid,
                Volume.status.in_(LEAVE_STATUSES)).values(group_id=None)).rowcount
            if not n:
                vol = s.scalars(sa.select(Volume).where(Volume.uuid == vid,
                                                        Volume.deleted == 0)).first()
                if vol is None or vol.project_id != group.project_id:
                    raise VolumeNotFound(vid)
                why = 'it is not in the group' if vol.group_id != uuid else \
                    f'volume is in an invalid state: {vol.status}'
                raise InvalidVolume(f'Invalid volume: Cannot remove volume {vid} from '
                                    f'group {uuid} because {why}.')
        return row_to_dict(swap_row(s, VolumeGroup, uuid, ('updating',), 'available', {},
                                    VolumeGroupNotFound, 'group'))


def _refuse_add(s, group, vid):
    vol = s.scalars(sa.select(Volume).where(Volume.uuid == vid, Volume.deleted == 0)).first()
    if vol is None or vol.project_id != group.project_id:
        raise VolumeNotFound(vid)
    if vol.group_id == group.uuid:
        return
    head = f'Invalid volume: Cannot add volume {vid} to group {group.uuid} because'
    if vol.group_id:
        raise InvalidVolume(f'{head} it is already in group {vol.group_id}.')
    if vol.volume_type_id not in (group.volume_type_ids or ()):
        raise InvalidVolume(f'{head} volume type {vol.volume_type_id} is not supported by '
                            f'the group.')
    raise InvalidVolume(f'{head} volume is in an invalid state: {vol.status}. Valid states '
                        f'are: {MEMBER_STATUSES}.')


def _settle(s, model, uuid, statuses):
    """``creating`` → available (error if a member failed) once no member
    is still being made; the new status or None."""
    if 'creating' in statuses:
        return None
    status = 'error' if 'error' in statuses else 'available'
    n = s.execute(sa.update(model).where(model.uuid == uuid, model.deleted == 0,
                                         model.status == 'creating').values(
        status=status, status_changed_at=utcnow())).rowcount
    return status if n else None


def settle(uuid):
    with transaction() as s:
        return _settle(s, VolumeGroup, uuid, set(s.scalars(sa.select(Volume.status).where(
            Volume.group_id == uuid, Volume.deleted == 0))))


def _finish(s, model, uuid, members):
    """A ``deleting`` row without ``members`` left is deleted; True if so."""
    if members:
        return False
    now = utcnow()
    return bool(s.execute(sa.update(model).where(
        model.uuid == uuid, model.deleted == 0, model.status == 'deleting').values(
        status='deleted', status_changed_at=now, deleted=model.id, deleted_at=now)).rowcount)


def finish_delete(uuid):
    with transaction() as s:
        return _finish(s, VolumeGroup, uuid, s.scalar(sa.select(sa.func.count(Volume.id)).where(
            Volume.group_id == uuid, Volume.deleted == 0)))


def count(project_id):
    """The project's live groups (its ``groups`` quota usage)."""
    with transaction() as s:
        return s.scalar(sa.select(sa.func.count(VolumeGroup.id)).where(
            VolumeGroup.project_id == project_id, VolumeGroup.deleted == 0))


# -- group snapshots --------------------------------------------------------------------
def snapshot_create(values):
    with transaction() as s:
        row = GroupSnapshot(status='updating', status_changed_at=utcnow(), **values)
        s.add(row)
        s.flush()
        return row_to_dict(row)


def snapshot_get(uuid, project_id=ALL_PROJECTS):
    with transaction() as s:
        return row_to_dict(_get(s, uuid, project_id, GroupSnapshot, GroupSnapshotNotFound))


def snapshot_list(project_id=ALL_PROJECTS, filters=None, sort=(('created_at', 'desc'),),
                  limit=None, marker=None, offset=None):
    return list_of(GroupSnapshot, project_id, filters, sort, limit, marker, offset,
                   lambda s, r: row_to_dict(r), SORT_KEYS, exact=('status', 'group_id'))


def snapshot_swap(uuid, expected, status, **values):
    with transaction() as s:
        return row_to_dict(swap_row(s, GroupSnapshot, uuid, expected, status, values,
                                    GroupSnapshotNotFound, 'group snapshot'))


def snapshot_members(uuid):
    """The live snapshots taken for group snapshot ``uuid``."""
    with transaction() as s:
        return [row_to_dict(r) for r in s.scalars(sa.select(VolumeSnapshot).where(
            VolumeSnapshot.group_snapshot_id == uuid, VolumeSnapshot.deleted == 0).order_by(
            VolumeSnapshot.id))]


def snapshot_count(group_id):
    """The group's live group snapshots."""
    with transaction() as s:
        return s.scalar(sa.select(sa.func.count(GroupSnapshot.id)).where(
            GroupSnapshot.group_id == group_id, GroupSnapshot.deleted == 0))


def snapshot_settle(uuid):
    with transaction() as s:
        return _settle(s, GroupSnapshot, uuid, set(s.scalars(sa.select(
            VolumeSnapshot.status).where(VolumeSnapshot.group_snapshot_id == uuid,
                                         VolumeSnapshot.deleted == 0))))


def snapshot_finish_delete(uuid):
    with transaction() as s:
        return _finish(s, GroupSnapshot, uuid, s.scalar(sa.select(
            sa.func.count(VolumeSnapshot.id)).where(VolumeSnapshot.group_snapshot_id == uuid,
                                                    VolumeSnapshot.deleted == 0)))


# -- the reaper -------------------------------------------------------------------------
def stuck(statuses, older_than):
    """[(kind, uuid, status)] of groups and group snapshots in one of
    ``statuses`` since before ``older_than``."""
    out = []
    with transaction() as s:
        for kind, model in (('group', VolumeGroup), ('group_snapshot', GroupSnapshot)):
            for uuid, status in s.execute(sa.select(model.uuid, model.status).where(
                    model.deleted == 0, model.status.in_(list(statuses)),
                    model.status_changed_at < older_than)):
                out.append((kind, uuid, status))
    return out
