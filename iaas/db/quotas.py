"""Quotas: per-project limits and usage counted from the resources themselves.

Usage is not kept as a counter that can drift: it is counted from the
instances table. Atomicity comes from a lock row per (project, resource)
in ``quota_usages``: :func:`lock_project` updates it first in the caller's
transaction (a row lock on PostgreSQL/MariaDB, the write lock on SQLite),
so concurrent creates of one project run their check-and-insert one after
the other and a quota of 10 means 10 under any concurrency.
"""
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError

from iaas.conf import CONF
from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.models import Instance, InstanceGroup, KeyPair, Quota, QuotaUsage
from iaas.db.volume_models import QuotaClass
from iaas.exception import QuotaExceeded  # noqa: F401

RESOURCES = ('instances', 'cores', 'ram', 'key_pairs', 'metadata_items', 'server_groups',
             'server_group_members', 'injected_files', 'injected_file_content_bytes',
             'injected_file_path_bytes')
# Block storage's (Cinder's quota set); counted in iaas/db/volumes.py.
VOLUME_RESOURCES = ('volumes', 'snapshots', 'gigabytes', 'backups', 'backup_gigabytes',
                    'groups', 'per_volume_gigabytes')


def defaults(resources=RESOURCES, session=None):
    """The limits of a project without its own: the ``[quota]`` options,
    overridden by those set on the ``default`` quota class (-1, unlimited,
    for a resource without an option: the per-volume-type ones)."""
    limits = {r: getattr(CONF.quota, r, -1) for r in resources}
    limits.update(class_limits(DEFAULT_CLASS, resources, session))
    return limits


# get_limits() runs on every create: prebuilt, run as Core
_CLASS_LIMITS = sa.select(QuotaClass.resource, QuotaClass.hard_limit).where(
    QuotaClass.class_name == sa.bindparam('c'))
_PROJECT_LIMITS = sa.select(Quota.resource, Quota.hard_limit).where(
    Quota.project_id == sa.bindparam('p'))


def get_limits(project_id, session=None, resources=RESOURCES):
    def _get(s):
        c = s.connection()
        limits = {r: getattr(CONF.quota, r, -1) for r in resources}
        for rows in (c.execute(_CLASS_LIMITS, {'c': DEFAULT_CLASS}),
                     c.execute(_PROJECT_LIMITS, {'p': project_id})):
            for resource, limit in rows:
                if resource in limits:
                    limits[resource] = limit
        return limits
    if session is not None:
        return _get(session)
    with transaction() as s:
        return _get(s)


def set_limits(project_id, values, resources=RESOURCES):
    bad = set(values) - set(resources)
    if bad:
        raise ValueError(f'unknown quota resources: {sorted(bad)}')
    with transaction() as s:
        for resource, limit in values.items():
            q = s.scalars(sa.select(Quota).filter_by(project_id=project_id,
                                                     resource=resource)).first()
            if q is None:
                s.add(Quota(project_id=project_id, resource=resource, hard_limit=limit))
            else:
                q.hard_limit = limit
    return get_limits(project_id, resources=resources)


def reset_limits(project_id, resources=RESOURCES):
    with transaction() as s:
        s.execute(sa.delete(Quota).where(Quota.project_id == project_id,
                                         Quota.resource.in_(resources)))


def ensure_lock_row(project_id, resource='instances'):
    """Create the lock row of ``project_id`` in a transaction of its own, so
    that :func:`lock_project` only ever updates an existing row (on MariaDB,
    creating it inside racing transactions deadlocks them)."""
    for _ in range(5):
        try:
            with transaction() as s:
                if s.scalar(sa.select(QuotaUsage.id).where(
                        QuotaUsage.project_id == project_id,
                        QuotaUsage.resource == resource)) is not None:
                    return
                s.add(QuotaUsage(project_id=project_id, resource=resource, in_use=0,
                                 reserved=0))
            return
        except (IntegrityError, OperationalError):
            continue   # created (or being created) concurrently: look again


def lock_project(s, project_id, resource='instances'):
    """Serialize quota checks of ``project_id`` for the rest of the transaction."""
    for _ in range(3):
        n = s.execute(sa.update(QuotaUsage).where(
            QuotaUsage.project_id == project_id, QuotaUsage.resource == resource).values(
            updated_at=utcnow())).rowcount
        if n:
            return
        try:
            with s.begin_nested():
                s.add(QuotaUsage(project_id=project_id, resource=resource, in_use=0,
                                 reserved=0))
        except IntegrityError:
            continue   # created concurrently: update it on the next round
        return
    raise RuntimeError(f'cannot lock quota row of {project_id}')


def instance_usage(s, project_id):
    row = s.execute(sa.select(
        sa.func.count(Instance.id), sa.func.coalesce(sa.func.sum(Instance.vcpus), 0),
        sa.func.coalesce(sa.func.sum(Instance.memory_mb), 0)).where(
        Instance.project_id == project_id, Instance.deleted == 0)).one()
    return {'instances': int(row[0]), 'cores': int(row[1]), 'ram': int(row[2])}


def usage(project_id, user_id=None):
    with transaction() as s:
        out = instance_usage(s, project_id)
        if user_id:
            out['key_pairs'] = s.scalar(sa.select(sa.func.count(KeyPair.id)).where(
                KeyPair.user_id == user_id, KeyPair.deleted == 0))
        out['server_groups'] = s.scalar(sa.select(sa.func.count(InstanceGroup.id)).where(
            InstanceGroup.project_id == project_id, InstanceGroup.deleted == 0))
        return out


def check(limits, used, deltas):
    """Raise QuotaExceeded for the first resource ``deltas`` would take over its limit."""
    for resource, delta in deltas.items():
        limit = limits.get(resource, -1)
        if limit >= 0 and used.get(resource, 0) + delta > limit:
            raise QuotaExceeded(resource, delta, used.get(resource, 0), limit)


def instance_room(project_id, per_instance, min_count, max_count, limits=None):
    """How many of ``max_count`` instances (each taking ``per_instance``)
    fit in the project's quota right now; QuotaExceeded when fewer than
    ``min_count`` do. A read before anything is built, so that the work of
    a create is bounded by the quota, never by the requested count; the
    create re-checks under the project's lock (:func:`iaas.db.instances.
    create_with_quota`). ``limits``: the project's, when just read."""
    if limits is None:
        limits = get_limits(project_id)
    if all(limits[r] < 0 for r in per_instance):
        return max_count
    with transaction() as s:
        used = instance_usage(s, project_id)
    count = allowed_count(limits, used, per_instance, max_count)
    if count < min_count:
        check(limits, used, {r: v * min_count for r, v in per_instance.items()})
    return count


def allowed_count(limits, used, per_instance, wanted):
    """How many of ``wanted`` instances fit (0 if none)."""
    best = wanted
    for resource, each in per_instance.items():
        limit = limits.get(resource, -1)
        if limit < 0 or each <= 0:
            continue
        room = (limit - used.get(resource, 0)) // each
        best = min(best, max(0, room))
    return best


# -- quota classes (Cinder's os-quota-class-sets) -------------------------------------
DEFAULT_CLASS = 'default'


def class_limits(class_name, resources=None, session=None):
    """{resource: limit} set on the quota class (those of ``resources`` only,
    when given)."""
    def _get(s):
        rows = s.scalars(sa.select(QuotaClass).filter_by(class_name=class_name))
        return {q.resource: q.hard_limit for q in rows
                if resources is None or q.resource in resources}
    if session is not None:
        return _get(session)
    with transaction() as s:
        return _get(s)


def set_class_limits(class_name, values):
    """Set limits of the quota class (the caller checks the resource names)."""
    for _ in range(3):
        try:
            with transaction() as s:
                for resource, limit in values.items():
                    q = s.scalars(sa.select(QuotaClass).filter_by(
                        class_name=class_name, resource=resource)).first()
                    if q is None:
                        s.add(QuotaClass(class_name=class_name, resource=resource,
                                         hard_limit=limit))
                    else:
                        q.hard_limit = limit
            return
        except IntegrityError:
            continue   # a row created concurrently: update it on the next round
    raise RuntimeError(f'cannot set the limits of quota class {class_name}')
