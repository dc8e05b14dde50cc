"""What reconciliation reads: the resources as the database has them.

Each ``live_*`` function returns the rows that exist (not deleted), as
plain dicts; :func:`gone` returns, for ids billing still counts, when the
database says they went (``None`` when the row is gone without a trace, as
a released floating IP is).
"""
import sqlalchemy as sa

from iaas.db.engine import transaction
from iaas.db.image_models import Image
from iaas.db.models import Instance
from iaas.db.network_models import FloatingIP
from iaas.db.volume_models import Volume, VolumeSnapshot, VolumeType

CHUNK = 500


def _rows(q):
    with transaction() as s:
        return [dict(r._mapping) for r in s.execute(q)]


def live_instances():
    return _rows(sa.select(
        Instance.uuid.label('id'), Instance.project_id, Instance.user_id, Instance.vm_state,
        Instance.task_state, Instance.flavor, Instance.vcpus, Instance.memory_mb,
        Instance.root_gb, Instance.launched_at, Instance.created_at, Instance.updated_at
    ).where(Instance.deleted == 0))


def live_volumes():
    vt = sa.select(VolumeType.name).where(VolumeType.uuid == Volume.volume_type_id) \
        .correlate(Volume).limit(1).scalar_subquery()
    return _rows(sa.select(
        Volume.uuid.label('id'), Volume.project_id, Volume.user_id, Volume.status,
        Volume.size, vt.label('volume_type'), Volume.launched_at, Volume.created_at,
        Volume.updated_at).where(Volume.deleted == 0))


def live_snapshots():
    return _rows(sa.select(
        VolumeSnapshot.uuid.label('id'), VolumeSnapshot.project_id, VolumeSnapshot.user_id,
        VolumeSnapshot.status, VolumeSnapshot.volume_size.label('size'),
        VolumeSnapshot.volume_id, VolumeSnapshot.created_at, VolumeSnapshot.updated_at
    ).where(VolumeSnapshot.deleted == 0))


def live_images():
    return _rows(sa.select(
        Image.id, Image.owner.label('project_id'), Image.status, Image.size,
        Image.created_at, Image.updated_at).where(Image.deleted == 0))


def live_floating_ips():
    return _rows(sa.select(
        FloatingIP.uuid.label('id'), FloatingIP.project_id, FloatingIP.address,
        FloatingIP.port_id, FloatingIP.created_at, FloatingIP.updated_at))


_GONE = {
    'instance': (Instance, Instance.uuid, lambda m: sa.func.coalesce(
        m.deleted_at, m.terminated_at)),
    'volume': (Volume, Volume.uuid, lambda m: sa.func.coalesce(m.deleted_at,
                                                               m.terminated_at)),
    'snapshot': (VolumeSnapshot, VolumeSnapshot.uuid, lambda m: m.deleted_at),
    'image': (Image, Image.id, lambda m: sa.func.coalesce(m.deleted_at, m.updated_at)),
}


def gone(resource_type, ids):
    """{id: deleted_at or None} for ``ids`` of ``resource_type`` that are
    not live in the database."""
    ids = list(ids)
    out = dict.fromkeys(ids)
    model = _GONE.get(resource_type)
    if model is None:
        return out
    cls, id_col, when = model
    with transaction() as s:
        for i in range(0, len(ids), CHUNK):
            chunk = ids[i:i + CHUNK]
            for rid, at in s.execute(sa.select(id_col, when(cls)).where(
                    id_col.in_(chunk), cls.deleted != 0)):
                out[rid] = at
    return out
