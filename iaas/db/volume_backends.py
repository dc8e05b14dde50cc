"""Volume backends: the capacity each iaas-volume reports, and the atomic
claim that places a volume on one.

A claim bumps the backend row's generation (a row lock on PostgreSQL and
MariaDB, the write lock on SQLite), sums the sizes of the volumes and
snapshots already placed on it, checks the new volume fits under the
backend's limit, and sets the volume's ``host`` in the same transaction:
two creates never overcommit a backend beyond its ratio, whatever the
number of schedulers.
"""
import sqlalchemy as sa

from iaas.db import volumes
from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.utils import row_to_dict
from iaas.db.volume_models import Volume, VolumeBackend, VolumeSnapshot
from iaas.exception import VolumeNotFound


def report(host, backend_name, driver, protocol, availability_zone, capacity,
           max_over_subscription_ratio=20.0, reserved_percentage=0):
    """Create or refresh the row of (host, backend) from the driver's capacity."""
    with transaction() as s:
        row = s.scalars(sa.select(VolumeBackend).filter_by(
            host=host, backend_name=backend_name, deleted=0)).first()
        if row is None:
            row = VolumeBackend(host=host, backend_name=backend_name)
            s.add(row)
        row.driver, row.protocol, row.availability_zone = driver, protocol, availability_zone
        row.total_gb = float(capacity.get('total_gb', 0))
        row.free_gb = float(capacity.get('free_gb', 0))
        row.provisioned_gb = float(capacity.get('provisioned_gb', 0))
        row.thin = bool(capacity.get('thin', True))
        row.max_over_subscription_ratio = max_over_subscription_ratio
        row.reserved_percentage = reserved_percentage
        row.updated_at = utcnow()
        s.flush()
        return row_to_dict(row)


def _allocated(s, name):
    """GiB its volumes and their snapshots take, and those migrating to it."""
    vols = s.scalar(sa.select(sa.func.coalesce(sa.func.sum(Volume.size), 0)).where(
        sa.or_(Volume.host == name, Volume.migration_host == name), Volume.deleted == 0))
    snaps = s.scalar(sa.select(sa.func.coalesce(sa.func.sum(VolumeSnapshot.volume_size), 0))
                     .join(Volume, Volume.uuid == VolumeSnapshot.volume_id).where(
        Volume.host == name, VolumeSnapshot.deleted == 0))
    return int(vols) + int(snaps)


def limit_gb(b):
    """GiB that may be allocated on backend dict/row ``b``."""
    usable = b['total_gb'] * (1 - b['reserved_percentage'] / 100.0)
    return usable * (b['max_over_subscription_ratio'] if b['thin'] else 1.0)


def list_(updated_since=None):
    """Every backend as a dict with ``name`` ("host@backend") and
    ``allocated_gb`` (what its volumes and snapshots take)."""
    with transaction() as s:
        q = sa.select(VolumeBackend).where(VolumeBackend.deleted == 0)
        if updated_since is not None:
            q = q.where(VolumeBackend.updated_at >= updated_since)
        out = []
        for row in s.scalars(q.order_by(VolumeBackend.id)):
            d = row_to_dict(row)
            d['name'] = f'{row.host}@{row.backend_name}'
            d['allocated_gb'] = _allocated(s, d['name'])
            out.append(d)
        return out


def _locked(s, host, backend_name):
    """The backend's row as a dict, its row locked for this transaction (a
    write bumps its generation, so two claims on it go one after the
    other); None when there is no such backend."""
    n = s.execute(sa.update(VolumeBackend).where(
        VolumeBackend.host == host, VolumeBackend.backend_name == backend_name,
        VolumeBackend.deleted == 0).values(
        generation=VolumeBackend.generation + 1)).rowcount
    if not n:
        return None
    return row_to_dict(s.scalars(sa.select(VolumeBackend).filter_by(
        host=host, backend_name=backend_name, deleted=0)).one())


def claim(host, backend_name, volume_uuid, size, expected=('creating',)):
    """Place the volume on the backend if ``size`` GiB fit: True; False if
    it no longer fits (or the backend is gone); None when the volume is gone
    or not in ``expected`` any more."""
    name = f'{host}@{backend_name}'
    with transaction() as s:
        b = _locked(s, host, backend_name)
        if b is None:
            return False
        if _allocated(s, name) + size > limit_gb(b):
            return False
        n = s.execute(sa.update(Volume).where(
            Volume.uuid == volume_uuid, Volume.deleted == 0, Volume.status.in_(expected),
            Volume.host.is_(None)).values(host=name, availability_zone=b['availability_zone'],
                                          updated_at=utcnow())).rowcount
        return True if n else None


def claim_migration(name, volume_uuid, expected, status, **values):
    """Begin the migration of a volume to backend ``name`` ("host@backend"):
    under the backend's lock, if the volume's size fits there, swap the
    volume from one of ``expected`` to ``status`` with ``migration_host`` and
    ``values``. False when it does not fit (or no such backend); the dict of
    the volume otherwise (VolumeStatusError / VolumeNotFound from the swap)."""
    host, _, backend_name = name.partition('@')
    with transaction() as s:
        b = _locked(s, host, backend_name)
        if b is None:
            return False
        size = s.scalar(sa.select(Volume.size).where(Volume.uuid == volume_uuid,
                                                     Volume.deleted == 0)) or 0
        if _allocated(s, name) + size > limit_gb(b):
            return False
        row = volumes.swap_row(s, Volume, volume_uuid, expected, status,
                               dict(values, migration_host=name), VolumeNotFound)
        return volumes.to_dict(row)


def remove(host, backend_name):
    with transaction() as s:
        s.execute(sa.update(VolumeBackend).where(
            VolumeBackend.host == host, VolumeBackend.backend_name == backend_name,
            VolumeBackend.deleted == 0).values(deleted=VolumeBackend.id, deleted_at=utcnow()))
