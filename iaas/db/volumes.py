"""Volumes: quota-checked creation, compare-and-swap status writes, listing,
attachments.

Quota usage is counted from the rows themselves (no drifting counters):
volumes and their GiB, snapshots (their GiB count in ``gigabytes`` too, as
Cinder), backups and their GiB. A create or an extend locks the project's
``volumes`` row of ``quota_usages``, counts, checks and writes in one
transaction, so a quota of 10 volumes holds under any concurrency.
"""
import sqlalchemy as sa

from iaas.db import quotas, volume_qos, volume_type_quotas
from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.instances import ALL_PROJECTS, _project_filter, name_filter
from iaas.db.utils import after_marker, row_to_dict
from iaas.db.volume_models import (
    Volume,
    VolumeAttachment,
    VolumeBackup,
    VolumeGroup,
    VolumeSnapshot,
)
from iaas.exception import (
    AttachmentNotFound,
    InvalidVolume,
    MarkerNotFound,
    VolumeNotFound,
    VolumeQuotaExceeded,
    VolumeStatusError,
)

__all__ = ['ALL_PROJECTS']
LOCK = 'volumes'
# a migration's statuses (iaas.volume.states: the db layer imports no service)
MAINTENANCE, MIGRATING, COMPLETING = 'maintenance', 'migrating', 'completing'
SORT_KEYS = {'created_at', 'updated_at', 'id', 'size', 'status', 'display_name', 'name',
             'availability_zone', 'bootable'}
# Fields only the state machine writes (swap), never set_fields.
STATE_FIELDS = {'status', 'previous_status', 'status_changed_at', 'attach_status', 'host',
                'size', 'previous_size', 'deleted', 'deleted_at'}


def to_dict(row):
    return row_to_dict(row)


# -- quota ----------------------------------------------------------------------------
def usage(s, project_id):
    """What ``project_id`` uses now, counted from the rows."""
    vols = s.execute(sa.select(sa.func.count(Volume.id),
                               sa.func.coalesce(sa.func.sum(Volume.size), 0)).where(
        Volume.project_id == project_id, Volume.deleted == 0)).one()
    snaps = s.execute(sa.select(sa.func.count(VolumeSnapshot.id),
                                sa.func.coalesce(sa.func.sum(VolumeSnapshot.volume_size), 0)).where(
        VolumeSnapshot.project_id == project_id, VolumeSnapshot.deleted == 0)).one()
    backups = s.execute(sa.select(sa.func.count(VolumeBackup.id),
                                  sa.func.coalesce(sa.func.sum(VolumeBackup.size), 0)).where(
        VolumeBackup.project_id == project_id, VolumeBackup.deleted == 0)).one()
    groups = s.scalar(sa.select(sa.func.count(VolumeGroup.id)).where(
        VolumeGroup.project_id == project_id, VolumeGroup.deleted == 0))
    return {'volumes': int(vols[0]), 'gigabytes': int(vols[1]) + int(snaps[1]),
            'snapshots': int(snaps[0]), 'backups': int(backups[0]),
            'backup_gigabytes': int(backups[1]), 'groups': int(groups)}


def project_usage(project_id):
    with transaction() as s:
        return usage(s, project_id)


def check_quota(s, project_id, deltas, size=None, volume_type_id=None):
    """Lock the project's quota row, count and raise VolumeQuotaExceeded
    (Cinder's wording) when ``deltas`` do not fit, the project's and (with
    ``volume_type_id``) those of the type (``volumes_<type>``, …)."""
    quotas.lock_project(s, project_id, LOCK)
    limits = quotas.get_limits(project_id, session=s, resources=quotas.VOLUME_RESOURCES)
    per_volume = limits.get('per_volume_gigabytes', -1)
    if size is not None and per_volume >= 0 and size > per_volume:
        raise VolumeQuotaExceeded(
            f'Volume size {size}G exceeded the per-volume limit of {per_volume}G.')
    used = usage(s, project_id)
    for resource, delta in deltas.items():
        limit = limits.get(resource, -1)
        if limit < 0 or not delta or used[resource] + delta <= limit:
            continue
        if resource in ('gigabytes', 'backup_gigabytes'):
            what = 'backup' if resource.startswith('backup') else 'volume or snapshot'
            raise VolumeQuotaExceeded(
                f'Requested {what} ({delta}G) exceeds allowed {resource} quota. Requested '
                f'{delta}G, quota is {limit}G and {used[resource]}G has been consumed.')
        raise VolumeQuotaExceeded(
            f"Maximum number of {resource} allowed ({limit}) exceeded for quota "
            f"'{resource}'.")
    volume_type_quotas.check(s, project_id, volume_type_id, deltas)
    return used


# -- volumes --------------------------------------------------------------------------
def create(values):
    """Insert a volume (status ``creating``) after checking the project's
    quota under its lock; returns the dict."""
    project_id, size = values['project_id'], values['size']
    quotas.ensure_lock_row(project_id, LOCK)
    with transaction() as s:
        check_quota(s, project_id, {'volumes': 1, 'gigabytes': size}, size=size,
                    volume_type_id=values.get('volume_type_id'))
        row = Volume(status='creating', status_changed_at=utcnow(), **values)
        s.add(row)
        s.flush()
        return to_dict(row)


def _get(s, uuid, project_id=ALL_PROJECTS, model=Volume, not_found=VolumeNotFound):
    project_id = _project_filter(project_id)
    q = sa.select(model).where(model.uuid == uuid, model.deleted == 0)
    if project_id is not None:
        q = q.where(model.project_id == project_id)
    row = s.scalars(q).first()
    if row is None:
        raise not_found(uuid)
    return row


def get(uuid, project_id=ALL_PROJECTS):
    """The volume (VolumeNotFound if absent or another project's), with
    ``qos``: (consumer, specs) of its type's QoS specs, for the exports its
    host makes (:func:`iaas.common.qos.front_end`)."""
    with transaction() as s:
        row = _get(s, uuid, project_id)
        out = to_dict(row)
        out['qos'] = volume_qos.of_type(s, row.volume_type_id)
        return out


def swap_row(s, model, uuid, expected, status, values, not_found, what='volume'):
    """Compare-and-swap the status of one row of ``model``: only when its
    status is one of ``expected`` (a value or a collection). Raises
    ``not_found`` or VolumeStatusError (naming the status found)."""
    expected = (expected,) if isinstance(expected, str) else tuple(expected)
    values = dict(values)
    if status is not None:
        values['status'] = status
        values['status_changed_at'] = utcnow()
    n = s.execute(sa.update(model).where(model.uuid == uuid, model.deleted == 0,
                                         model.status.in_(expected)).values(**values)).rowcount
    if n:
        return s.scalars(sa.select(model).where(model.uuid == uuid)).one()
    found = s.scalar(sa.select(model.status).where(model.uuid == uuid, model.deleted == 0))
    if found is None:
        raise not_found(uuid)
    raise VolumeStatusError(f'Invalid {what}: {what.capitalize()} status must be '
                            f'{" or ".join(expected)}, but current status is: {found}.')


def swap(uuid, expected, status, **values):
    """Compare-and-swap a volume's status (and ``values``); returns the dict.
    A swap from ``maintenance`` moves the volume's migration on
    (:func:`_migration_step`)."""
    with transaction() as s:
        if expected == MAINTENANCE or (not isinstance(expected, str) and
                                       MAINTENANCE in expected):
            values = _migration_step(s, uuid, status, values)
        return to_dict(swap_row(s, Volume, uuid, expected, status, values, VolumeNotFound))


def _migration_step(s, uuid, status, values):
    """The values that go with a swap from ``maintenance`` of a migrating
    volume (Cinder's migration_status): to ``maintenance`` again, the data
    is on the target (``completing``); then to ``available`` without a
    fault, the volume *is* on its target (``success``, its host changed);
    anything else (a fault: its host's, the reaper's, an admin's reset) ends
    it in ``error`` on its old host."""
    row = s.execute(sa.select(Volume.migration_status, Volume.migration_host).where(
        Volume.uuid == uuid, Volume.deleted == 0)).first()
    if row is None or row[0] not in (MIGRATING, COMPLETING):
        return values
    if status == MAINTENANCE and not values.get('fault'):
        return {**values, 'migration_status': COMPLETING}
    if status == 'available' and not values.get('fault') and row[0] == COMPLETING and row[1]:
        return {**values, 'migration_status': 'success', 'host': row[1],
                'migration_host': None}
    return {'migration_status': 'error', **values, 'migration_host': None}


def begin(uuid, expected, status, project_id=ALL_PROJECTS, **values):
    """Start an operation: swap to ``status`` remembering the status it
    started from as ``previous_status``; returns the dict."""
    with transaction() as s:
        row = _get(s, uuid, project_id)
        values.setdefault('previous_status', row.status)
        return to_dict(swap_row(s, Volume, uuid, expected, status, values, VolumeNotFound))


def extend(uuid, project_id, new_size, expected):
    """Begin an extend: check the extra GiB against the quota under its lock
    and swap to ``extending`` with the new size (quota counts it at once;
    a failure restores ``previous_size``)."""
    quotas.ensure_lock_row(project_id, LOCK)
    with transaction() as s:
        row = _get(s, uuid, project_id)
        if new_size <= row.size:
            raise InvalidVolume(f'New size for extend must be greater than current size. '
                                f'(current: {row.size}, extended: {new_size}).')
        check_quota(s, row.project_id, {'gigabytes': new_size - row.size}, size=new_size,
                    volume_type_id=row.volume_type_id)
        return to_dict(swap_row(s, Volume, uuid, expected, 'extending',
                                {'previous_status': row.status, 'previous_size': row.size,
                                 'size': new_size}, VolumeNotFound))


def retype(uuid, expected, volume_type_id, **values):
    """Give the volume (one of ``expected``) the type ``volume_type_id``
    within that type's quota of the volume's project: the volume, its GiB
    and its snapshots count there from now on (checked under the project's
    quota lock, as a create)."""
    project_id = get(uuid)['project_id']
    quotas.ensure_lock_row(project_id, LOCK)
    with transaction() as s:
        quotas.lock_project(s, project_id, LOCK)
        row = _get(s, uuid, project_id)       # moved meanwhile: not found
        if row.volume_type_id != volume_type_id:
            snaps = s.execute(sa.select(
                sa.func.count(VolumeSnapshot.id),
                sa.func.coalesce(sa.func.sum(VolumeSnapshot.volume_size), 0)).where(
                VolumeSnapshot.volume_id == uuid, VolumeSnapshot.deleted == 0)).one()
            volume_type_quotas.check(s, row.project_id, volume_type_id, {
                'volumes': 1, 'snapshots': int(snaps[0]),
                'gigabytes': row.size + int(snaps[1])})
        return to_dict(swap_row(s, Volume, uuid, expected, row.status,
                                dict(values, volume_type_id=volume_type_id), VolumeNotFound))


def set_fields(uuid, project_id=ALL_PROJECTS, **values):
    """Name, description, metadata, image metadata, bootable, read-only…
    (never a state field)."""
    bad = set(values) & STATE_FIELDS
    if bad:
        raise ValueError(f'set_fields refuses state fields {sorted(bad)}')
    with transaction() as s:
        row = _get(s, uuid, project_id)
        for k, v in values.items():
            setattr(row, 'metadata_' if k == 'metadata' else k, v)
        s.flush()
        return to_dict(row)


def destroy(uuid, expected=('deleting',)):
    """Soft-delete a volume whose status is one of ``expected`` (and its
    attachment records)."""
    now = utcnow()
    with transaction() as s:
        row = swap_row(s, Volume, uuid, expected, 'deleted', {'terminated_at': now},
                       VolumeNotFound)
        row.deleted, row.deleted_at = row.id, now
        s.execute(sa.update(VolumeAttachment).where(
            VolumeAttachment.volume_id == uuid, VolumeAttachment.deleted == 0).values(
            deleted=VolumeAttachment.id, deleted_at=now, attach_status='detached'))


def unreserve(uuid):
    """End a reservation made with the API's os-reserve (``reserved``, no
    attachment record) back to ``available``, in one transaction; a volume
    reserved by an attachment keeps it (VolumeStatusError)."""
    with transaction() as s:
        atts = s.scalar(sa.select(sa.func.count(VolumeAttachment.id)).where(
            VolumeAttachment.volume_id == uuid, VolumeAttachment.deleted == 0))
        if atts:
            raise VolumeStatusError(f'Volume {uuid} is reserved by an attachment.')
        return to_dict(swap_row(s, Volume, uuid, ('reserved',), 'available', {},
                                VolumeNotFound))


def dependents(uuid):
    """{'snapshots': n, 'attachments': n} still holding the volume."""
    with transaction() as s:
        snaps = s.scalar(sa.select(sa.func.count(VolumeSnapshot.id)).where(
            VolumeSnapshot.volume_id == uuid, VolumeSnapshot.deleted == 0))
        atts = s.scalar(sa.select(sa.func.count(VolumeAttachment.id)).where(
            VolumeAttachment.volume_id == uuid, VolumeAttachment.deleted == 0))
        return {'snapshots': snaps, 'attachments': atts}


def list_(project_id=ALL_PROJECTS, filters=None, sort=(('created_at', 'desc'),),
          limit=None, marker=None, offset=None):
    """Volumes as dicts. ``filters``: name (regex, RE2), status,
    availability_zone, bootable, metadata (dict: all must match),
    user_id, host, uuids."""
    project_id = _project_filter(project_id)
    filters = filters or {}
    with transaction() as s:
        q = sa.select(Volume).where(Volume.deleted == 0)
        if project_id is not None:
            q = q.where(Volume.project_id == project_id)
        for key, col in (('status', Volume.status), ('user_id', Volume.user_id),
                         ('availability_zone', Volume.availability_zone),
                         ('bootable', Volume.bootable), ('host', Volume.host),
                         ('volume_type_id', Volume.volume_type_id)):
            if filters.get(key) is not None:
                q = q.where(col == filters[key])
        if filters.get('uuids') is not None:
            q = q.where(Volume.uuid.in_(filters['uuids']))
        return page(s, Volume, q, filters, sort, SORT_KEYS, limit, marker, offset)


def list_of(model, project_id, filters, sort, limit, marker, offset, convert,
            sort_keys, exact=('status', 'volume_id')):
    """Rows of ``model`` (snapshots, backups) of ``project_id`` (or
    ALL_PROJECTS) matching ``filters`` (the ``exact`` keys, name, metadata),
    one page (:func:`page`); ``convert(session, row)`` makes each dict."""
    project_id = _project_filter(project_id)
    filters = filters or {}
    with transaction() as s:
        q = sa.select(model).where(model.deleted == 0)
        if project_id is not None:
            q = q.where(model.project_id == project_id)
        for key in exact:
            if filters.get(key) is not None:
                q = q.where(getattr(model, key) == filters[key])
        return page(s, model, q, filters, sort, sort_keys, limit, marker, offset,
                    lambda r: convert(s, r))


def page(s, model, q, filters, sort, sort_keys, limit, marker, offset, convert=to_dict):
    """Run listing query ``q`` of ``model``: order by ``sort`` (keys of
    ``sort_keys``; 'name' is display_name), keyset-continue after ``marker``,
    keep rows matching the ``name`` (RE2) and ``metadata`` filters, skip
    ``offset``, stop at ``limit`` (0: nothing, as Cinder)."""
    if limit == 0:
        return []
    for key, _ in sort:
        if key not in sort_keys:
            raise ValueError(f'Invalid sort key {key}')
    # the API's 'id' is the uuid (the integer id only breaks ties)
    orders, sort = [], [({'name': 'display_name', 'id': 'uuid'}.get(k, k), d)
                        for k, d in sort]
    for key, direction in sort:
        col = getattr(model, key)
        orders.append(col.desc() if direction == 'desc' else col.asc())
    orders.append(model.id.desc() if (sort and sort[0][1] == 'desc') else model.id.asc())
    q = q.order_by(*orders)
    if marker:
        m = s.scalars(sa.select(model).where(model.uuid == marker)).first()
        if m is None:
            raise MarkerNotFound(f'marker [{marker}] not found')
        q = after_marker(q, model, m, sort)
    name_re = name_filter(filters['name']) if filters.get('name') else None
    wanted_meta = filters.get('metadata') or {}
    out, skipped = [], 0
    for row in s.scalars(q):
        if name_re is not None and not name_re.search(row.display_name or ''):
            continue
        if any((row.metadata_ or {}).get(k) != v for k, v in wanted_meta.items()):
            continue
        if offset and skipped < offset:
            skipped += 1
            continue
        out.append(convert(row))
        if limit and len(out) >= limit:
            break
    return out


def on_host_in(statuses, older_than=None, hosts=None):
    """Volumes in one of ``statuses`` (changed before ``older_than`` /
    placed on one of ``hosts``), for the reaper."""
    with transaction() as s:
        q = sa.select(Volume).where(Volume.deleted == 0, Volume.status.in_(statuses))
        if older_than is not None:
            q = q.where(Volume.status_changed_at < older_than)
        if hosts is not None:
            q = q.where(sa.or_(*[Volume.host.like(f'{h}@%') for h in hosts]) if hosts
                        else sa.false())
        return [to_dict(r) for r in s.scalars(q)]


# -- attachments ----------------------------------------------------------------------
def attachments(volume_id=None, instance_uuid=None):
    with transaction() as s:
        q = sa.select(VolumeAttachment).where(VolumeAttachment.deleted == 0)
        if volume_id is not None:
            q = q.where(VolumeAttachment.volume_id == volume_id)
        if instance_uuid is not None:
            q = q.where(VolumeAttachment.instance_uuid == instance_uuid)
        return [row_to_dict(a) for a in s.scalars(q.order_by(VolumeAttachment.id))]


def attachments_of_volumes(volume_ids):
    """{volume_id: [attachment dicts]} in one query (list views)."""
    out = {v: [] for v in volume_ids}
    if not volume_ids:
        return out
    with transaction() as s:
        for a in s.scalars(sa.select(VolumeAttachment).where(
                VolumeAttachment.deleted == 0, VolumeAttachment.volume_id.in_(volume_ids),
                VolumeAttachment.attach_status != 'detached')):
            out[a.volume_id].append(row_to_dict(a))
    return out


def attachments_of_instances(instance_uuids):
    """{instance uuid: [attachment dicts]} in one query (server views)."""
    out = {u: [] for u in instance_uuids}
    uuids = list(instance_uuids)
    with transaction() as s:
        for i in range(0, len(uuids), 500):
            for a in s.scalars(sa.select(VolumeAttachment).where(
                    VolumeAttachment.deleted == 0,
                    VolumeAttachment.instance_uuid.in_(uuids[i:i + 500])).order_by(
                    VolumeAttachment.id)):
                out[a.instance_uuid].append(row_to_dict(a))
    return out


def attachment_get(uuid):
    with transaction() as s:
        a = s.scalars(sa.select(VolumeAttachment).where(
            VolumeAttachment.uuid == uuid, VolumeAttachment.deleted == 0)).first()
        if a is None:
            raise AttachmentNotFound(uuid)
        return row_to_dict(a)


def reserve(volume_id, instance_uuid, expected, project_id=ALL_PROJECTS, **values):
    """Swap the volume to ``reserved`` and add its attachment record (status
    ``reserved``) in one transaction; returns (volume, attachment)."""
    with transaction() as s:
        row = _get(s, volume_id, project_id)
        vol = swap_row(s, Volume, volume_id, expected, 'reserved',
                       {'previous_status': row.status}, VolumeNotFound)
        att = VolumeAttachment(volume_id=volume_id, instance_uuid=instance_uuid,
                               attach_status='reserved', **values)
        s.add(att)
        s.flush()
        return to_dict(vol), row_to_dict(att)


def attach_unplugged(volume_id, instance_uuid, expected, **values):
    """Attach the volume to a server that has no host (shelved-offloaded):
    the volume ``in-use`` and its attachment ``attached`` without a
    connection, in one transaction (the server's unshelve exports it to
    the host it lands on); returns (volume, attachment)."""
    now = utcnow()
    with transaction() as s:
        row = _get(s, volume_id)
        vol = swap_row(s, Volume, volume_id, expected, 'in-use',
                       {'previous_status': row.status, 'attach_status': 'attached'},
                       VolumeNotFound)
        att = VolumeAttachment(volume_id=volume_id, instance_uuid=instance_uuid,
                               attach_status='attached', attach_time=now, **values)
        s.add(att)
        s.flush()
        return to_dict(vol), row_to_dict(att)


def add_attachment(volume_id, instance_uuid, **values):
    """An attachment record (``reserved``) for a volume still being made for
    a server's boot; the volume's status is left to its creation (the
    compute host reserves it when it is available: :func:`reserve_for_boot`)."""
    with transaction() as s:
        att = VolumeAttachment(volume_id=volume_id, instance_uuid=instance_uuid,
                               attach_status='reserved', **values)
        s.add(att)
        s.flush()
        return row_to_dict(att)


def reserve_for_boot(instance_uuid):
    """The server's reserved attachments, once every volume is ready: each
    ``available`` one swapped to ``reserved`` in one transaction. None while
    one is still being made; VolumeStatusError if one failed."""
    with transaction() as s:
        atts = list(s.scalars(sa.select(VolumeAttachment).where(
            VolumeAttachment.instance_uuid == instance_uuid, VolumeAttachment.deleted == 0,
            VolumeAttachment.attach_status == 'reserved').order_by(VolumeAttachment.id)))
        out = []
        for a in atts:
            vol = s.scalars(sa.select(Volume).where(Volume.uuid == a.volume_id,
                                                    Volume.deleted == 0)).first()
            if vol is None:
                raise VolumeNotFound(a.volume_id)
            if vol.status == 'creating':
                return None
            if vol.status == 'available':
                swap_row(s, Volume, vol.uuid, ('available',), 'reserved',
                         {'previous_status': 'available'}, VolumeNotFound)
            elif vol.status != 'reserved':
                raise VolumeStatusError(f'Invalid volume: volume {vol.uuid} for the boot of '
                                        f'{instance_uuid} is {vol.status}.')
            d = row_to_dict(a)
            d['volume_host'] = vol.host
            out.append(d)
        return out


def attachment_drop(uuid):
    """Remove an attachment record whatever its volume's status."""
    now = utcnow()
    with transaction() as s:
        s.execute(sa.update(VolumeAttachment).where(
            VolumeAttachment.uuid == uuid, VolumeAttachment.deleted == 0).values(
            deleted=VolumeAttachment.id, deleted_at=now, detach_time=now,
            attach_status='detached'))


def _swap_attachment(s, uuid, expected, values):
    """In session ``s``: compare-and-swap the attachment from one of the
    ``expected`` statuses with ``values``; returns its row."""
    expected = (expected,) if isinstance(expected, str) else tuple(expected)
    n = s.execute(sa.update(VolumeAttachment).where(
        VolumeAttachment.uuid == uuid, VolumeAttachment.deleted == 0,
        VolumeAttachment.attach_status.in_(expected)).values(**values)).rowcount
    a = s.scalars(sa.select(VolumeAttachment).where(VolumeAttachment.uuid == uuid)).first()
    if a is None or a.deleted:
        raise AttachmentNotFound(uuid)
    if not n:
        raise VolumeStatusError(f'Invalid attachment: status must be '
                                f'{" or ".join(expected)}, but it is {a.attach_status}.')
    return a


def attachment_update(uuid, expected, **values):
    """Compare-and-swap an attachment's ``attach_status``."""
    with transaction() as s:
        return row_to_dict(_swap_attachment(s, uuid, expected, values))


def attachment_finish(uuid, volume_status, expected_volume, attach_status, **values):
    """End an attach or a detach: the attachment's status (``detached``
    removes the record) and the volume's, in one transaction."""
    now = utcnow()
    with transaction() as s:
        a = s.scalars(sa.select(VolumeAttachment).where(
            VolumeAttachment.uuid == uuid, VolumeAttachment.deleted == 0)).first()
        if a is None:
            raise AttachmentNotFound(uuid)
        for k, v in values.items():
            setattr(a, k, v)
        a.attach_status = attach_status
        if attach_status == 'attached':
            a.attach_time = now
        elif attach_status == 'detached':
            a.detach_time, a.deleted, a.deleted_at = now, a.id, now
        s.flush()
        left = s.scalar(sa.select(sa.func.count(VolumeAttachment.id)).where(
            VolumeAttachment.volume_id == a.volume_id, VolumeAttachment.deleted == 0))
        if volume_status == 'available' and left:
            volume_status = 'in-use'   # multiattach: others remain
        vol = swap_row(s, Volume, a.volume_id, expected_volume, volume_status,
                       {'attach_status': 'attached' if left else 'detached'},
                       VolumeNotFound)
        return to_dict(vol), row_to_dict(a)


# -- Cinder's attachment API (3.27+) ---------------------------------------------------
ATTACHMENT_SORT_KEYS = {'created_at', 'updated_at', 'id', 'attach_status', 'volume_id',
                        'instance_uuid', 'attach_time'}


def attachment_list(project_id=ALL_PROJECTS, filters=None, sort=(('created_at', 'desc'),),
                    limit=None, marker=None, offset=None):
    """Attachments of the live volumes of ``project_id`` (or ALL_PROJECTS),
    matching ``filters`` (volume_id, instance_uuid, attach_status), one
    page (:func:`page`)."""
    project_id = _project_filter(project_id)
    filters = filters or {}
    with transaction() as s:
        q = sa.select(VolumeAttachment).join(Volume, sa.and_(
            Volume.uuid == VolumeAttachment.volume_id, Volume.deleted == 0)).where(
            VolumeAttachment.deleted == 0)
        if project_id is not None:
            q = q.where(Volume.project_id == project_id)
        for key in ('volume_id', 'instance_uuid', 'attach_status'):
            if filters.get(key) is not None:
                q = q.where(getattr(VolumeAttachment, key) == filters[key])
        return page(s, VolumeAttachment, q, {}, sort, ATTACHMENT_SORT_KEYS, limit, marker,
                    offset, row_to_dict)


def attachment_swap(uuid, expected, attach_status, volume_expected=(), volume_status=None,
                    **values):
    """Compare-and-swap an attachment's ``attach_status`` (from one of
    ``expected``) with ``values`` and, when ``volume_status`` is given, its
    volume's status (from one of ``volume_expected``), in one transaction.
    Returns (volume, attachment)."""
    with transaction() as s:
        a = _swap_attachment(s, uuid, expected, dict(values, attach_status=attach_status))
        vol = _get(s, a.volume_id)
        if volume_status is not None:
            vol = swap_row(s, Volume, a.volume_id, volume_expected, volume_status, {},
                           VolumeNotFound)
        return to_dict(vol), row_to_dict(a)
