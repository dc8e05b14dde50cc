"""EC2 tags (:class:`iaas.db.ec2_models.Ec2Tag`)."""
import sqlalchemy as sa

from iaas.db.ec2_models import Ec2Tag
from iaas.db.engine import transaction

BATCH = 500


def tags_of(kind, uuids):
    """{uuid: {key: value}} of the resources' tags (only those with tags)."""
    out = {}
    uuids = list(dict.fromkeys(uuids))
    with transaction() as s:
        for i in range(0, len(uuids), BATCH):
            q = sa.select(Ec2Tag.uuid, Ec2Tag.key, Ec2Tag.value).where(
                Ec2Tag.kind == kind, Ec2Tag.uuid.in_(uuids[i:i + BATCH])).order_by(Ec2Tag.key)
            for uuid, key, value in s.execute(q):
                out.setdefault(uuid, {})[key] = value
    return out


def project_tags(project_id, limit=None):
    """[(kind, uuid, key, value)] of a project's tags, ordered."""
    with transaction() as s:
        q = sa.select(Ec2Tag.kind, Ec2Tag.uuid, Ec2Tag.key, Ec2Tag.value).where(
            Ec2Tag.project_id == project_id).order_by(Ec2Tag.kind, Ec2Tag.uuid, Ec2Tag.key)
        if limit:
            q = q.limit(limit)
        return [tuple(r) for r in s.execute(q)]


def set_tags(project_id, kind, uuids, tags, max_per_resource):
    """Add or overwrite ``tags`` ({key: value}) on every resource; False
    (nothing changed) when one would end with more than
    ``max_per_resource`` tags."""
    try:
        _set_tags(project_id, kind, uuids, tags, max_per_resource)
    except _TooMany:
        return False
    return True


class _TooMany(Exception):
    pass


def _set_tags(project_id, kind, uuids, tags, max_per_resource):
    with transaction() as s:
        for uuid in uuids:
            have = {t.key: t for t in s.scalars(sa.select(Ec2Tag).where(
                Ec2Tag.kind == kind, Ec2Tag.uuid == uuid).with_for_update())}
            if len(set(have) | set(tags)) > max_per_resource:
                raise _TooMany
            for key, value in tags.items():
                if key in have:
                    have[key].value = value
                else:
                    s.add(Ec2Tag(project_id=project_id, kind=kind, uuid=uuid, key=key,
                                 value=value))


def delete_tags(kind, uuids, tags):
    """Remove tags: ``tags`` [(key, value or None)]; None removes the key
    whatever its value, an empty list removes every tag."""
    with transaction() as s:
        base = sa.delete(Ec2Tag).where(Ec2Tag.kind == kind, Ec2Tag.uuid.in_(list(uuids)))
        if not tags:
            s.execute(base)
            return
        for key, value in tags:
            q = base.where(Ec2Tag.key == key)
            if value is not None:
                q = q.where(Ec2Tag.value == value)
            s.execute(q)


def forget(kind, uuids):
    """Drop the tags of deleted resources."""
    delete_tags(kind, uuids, [])
