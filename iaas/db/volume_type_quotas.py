"""Per-volume-type quotas (Cinder's ``volumes_<type>``, ``gigabytes_<type>``
and ``snapshots_<type>``).

The limits are ``quotas`` rows of the project (or ``quota_classes`` rows of
the ``default`` class), keyed by the type's *name* as Cinder keys them;
without either a type's limits are -1 (unlimited). Usage is counted from
the rows: a type's volumes and their GiB, and the snapshots of its
volumes (their GiB count in ``gigabytes_<type>`` too, as Cinder). The
checks run inside the caller's transaction after it locked the project's
quota row (:func:`iaas.db.quotas.lock_project`, the lock every volume,
snapshot, extend, transfer and retype of the project takes), so a
``volumes_<type>`` of 5 means 5 under any concurrency.

A rename of the type renames its keys, a delete removes them, in the
transaction of the type's own change (:mod:`iaas.db.volume_types`).
"""
import sqlalchemy as sa

from iaas.db import quotas
from iaas.db.engine import transaction
from iaas.db.models import Quota
from iaas.db.volume_models import QuotaClass, Volume, VolumeSnapshot, VolumeType
from iaas.exception import VolumeQuotaExceeded

# the per-type resources, in Cinder's order
KINDS = ('volumes', 'gigabytes', 'snapshots')


def keys_of(type_name):
    return [f'{kind}_{type_name}' for kind in KINDS]


def split(key):
    """'gigabytes_gold' → ('gigabytes', 'gold'); (None, None) for another key."""
    kind, sep, name = key.partition('_')
    return (kind, name) if sep and kind in KINDS and name else (None, None)


def type_names(s):
    return list(s.scalars(sa.select(VolumeType.name).where(VolumeType.deleted == 0)
                          .order_by(VolumeType.id)))


def all_keys(s):
    """The per-type keys of every live type (private ones too, as Cinder)."""
    return [k for name in type_names(s) for k in keys_of(name)]


def defaults(s):
    """{key: limit} of every live type without a project's own: those set on
    the ``default`` quota class, else -1."""
    keys = all_keys(s)
    out = dict.fromkeys(keys, -1)
    out.update({k: v for k, v in quotas.class_limits(quotas.DEFAULT_CLASS, keys, s).items()})
    return out


def limits(s, project_id, names=None):
    """{key: limit} of ``project_id`` for the types ``names`` (every live type
    when None)."""
    keys = all_keys(s) if names is None else [k for n in names for k in keys_of(n)]
    out = dict.fromkeys(keys, -1)
    if not keys:
        return out
    out.update(quotas.class_limits(quotas.DEFAULT_CLASS, keys, s))
    for q in s.scalars(sa.select(Quota).where(Quota.project_id == project_id,
                                               Quota.resource.in_(keys))):
        out[q.resource] = q.hard_limit
    return out


def usage(s, project_id, type_ids=None):
    """{type uuid: {'volumes': n, 'gigabytes': GiB, 'snapshots': n}} of
    ``project_id`` (of the types ``type_ids`` only, when given)."""
    out = {}

    def at(tid):
        return out.setdefault(tid, dict.fromkeys(KINDS, 0))
    vq = sa.select(Volume.volume_type_id, sa.func.count(Volume.id),
                   sa.func.coalesce(sa.func.sum(Volume.size), 0)).where(
        Volume.project_id == project_id, Volume.deleted == 0)
    sq = sa.select(Volume.volume_type_id, sa.func.count(VolumeSnapshot.id),
                   sa.func.coalesce(sa.func.sum(VolumeSnapshot.volume_size), 0)).join(
        Volume, Volume.uuid == VolumeSnapshot.volume_id).where(
        VolumeSnapshot.project_id == project_id, VolumeSnapshot.deleted == 0)
    if type_ids is not None:
        vq = vq.where(Volume.volume_type_id.in_(list(type_ids)))
        sq = sq.where(Volume.volume_type_id.in_(list(type_ids)))
    for tid, n, gb in s.execute(vq.group_by(Volume.volume_type_id)):
        u = at(tid)
        u['volumes'], u['gigabytes'] = int(n), u['gigabytes'] + int(gb)
    for tid, n, gb in s.execute(sq.group_by(Volume.volume_type_id)):
        u = at(tid)
        u['snapshots'], u['gigabytes'] = int(n), u['gigabytes'] + int(gb)
    return out


def usage_by_key(s, project_id):
    """{key: in use} for every live type of the project."""
    by_id = usage(s, project_id)
    out = {}
    for tid, name in s.execute(sa.select(VolumeType.uuid, VolumeType.name).where(
            VolumeType.deleted == 0)):
        u = by_id.get(tid) or dict.fromkeys(KINDS, 0)
        out.update({f'{kind}_{name}': u[kind] for kind in KINDS})
    return out


def check(s, project_id, type_id, deltas):
    """Raise VolumeQuotaExceeded (Cinder's wording, 413) when ``deltas``
    ({'volumes', 'gigabytes', 'snapshots'}) do not fit the type's quota of
    the project. The caller holds the project's quota lock."""
    deltas = {k: v for k, v in deltas.items() if k in KINDS and v}
    if not type_id or not deltas:
        return
    name = s.scalar(sa.select(VolumeType.name).where(VolumeType.uuid == type_id))
    if name is None:
        return
    lim = limits(s, project_id, [name])
    if all(lim[f'{k}_{name}'] < 0 for k in deltas):
        return
    used = usage(s, project_id, [type_id]).get(type_id) or dict.fromkeys(KINDS, 0)
    for kind, delta in deltas.items():
        key = f'{kind}_{name}'
        limit = lim[key]
        if limit < 0 or used[kind] + delta <= limit:
            continue
        if kind == 'gigabytes':
            raise VolumeQuotaExceeded(
                f'Requested volume or snapshot exceeds allowed {key} quota. Requested '
                f'{delta}G, quota is {limit}G and {used[kind]}G has been consumed.')
        raise VolumeQuotaExceeded(
            f"Maximum number of {kind} allowed ({limit}) exceeded for quota '{key}'.")


def rename(s, old, new):
    """The keys of type ``old`` become those of ``new`` (projects' and
    classes' limits), in the caller's transaction."""
    if old == new:
        return
    for model in (Quota, QuotaClass):
        s.execute(sa.delete(model).where(model.resource.in_(keys_of(new))))
        for o, n in zip(keys_of(old), keys_of(new), strict=True):
            s.execute(sa.update(model).where(model.resource == o).values(resource=n))


def drop(s, name):
    """Remove every limit of the type ``name`` (it is being deleted)."""
    for model in (Quota, QuotaClass):
        s.execute(sa.delete(model).where(model.resource.in_(keys_of(name))))


# -- for the quota-set API (each in a transaction of its own) --------------------------
def project_limits(project_id):
    with transaction() as s:
        return limits(s, project_id)


def project_defaults():
    with transaction() as s:
        return defaults(s)


def project_usage(project_id):
    with transaction() as s:
        return usage_by_key(s, project_id)


def known_keys():
    with transaction() as s:
        return all_keys(s)
