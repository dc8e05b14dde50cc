"""What each volume host holds (Cinder's os-hosts show): volumes and
snapshots, counted and summed per project."""
import sqlalchemy as sa

from iaas.db.engine import transaction
from iaas.db.volume_models import Volume, VolumeSnapshot


def _on(host):
    """Volumes placed on ``host`` (a host@backend, its pools; a bare host: all
    its backends)."""
    sep = '#' if '@' in host else '@'
    return sa.or_(Volume.host == host, Volume.host.startswith(host + sep, autoescape=True))


def usage(host):
    """{project_id: (volume count, volume GB, snapshot count, snapshot GB)}."""
    out = {}
    with transaction() as s:
        for project, count, gb in s.execute(
                sa.select(Volume.project_id, sa.func.count(Volume.id),
                          sa.func.coalesce(sa.func.sum(Volume.size), 0))
                .where(_on(host), Volume.deleted == 0).group_by(Volume.project_id)):
            out[project] = [int(count), int(gb), 0, 0]
        for project, count, gb in s.execute(
                sa.select(VolumeSnapshot.project_id, sa.func.count(VolumeSnapshot.id),
                          sa.func.coalesce(sa.func.sum(VolumeSnapshot.volume_size), 0))
                .join(Volume, Volume.uuid == VolumeSnapshot.volume_id)
                .where(_on(host), VolumeSnapshot.deleted == 0)
                .group_by(VolumeSnapshot.project_id)):
            row = out.setdefault(project, [0, 0, 0, 0])
            row[2:] = [int(count), int(gb)]
    return {p: tuple(v) for p, v in sorted(out.items())}
