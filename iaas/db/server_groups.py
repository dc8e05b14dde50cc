"""Server groups (instance groups) and their members."""
import sqlalchemy as sa

from iaas.db import quotas
from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.models import Instance, InstanceGroup, InstanceGroupMember
from iaas.db.utils import row_to_dict
from iaas.exception import GroupNotFound  # noqa: F401


def _to_dict(s, g):
    d = row_to_dict(g)
    d['members'] = [m for (m,) in s.execute(
        sa.select(InstanceGroupMember.instance_uuid).join(
            Instance, Instance.uuid == InstanceGroupMember.instance_uuid).where(
            InstanceGroupMember.group_id == g.id, Instance.deleted == 0))]
    return d


def create(project_id, user_id, name, policy, rules=None):
    quotas.ensure_lock_row(project_id, 'server_groups')
    with transaction() as s:
        quotas.lock_project(s, project_id, 'server_groups')
        limit = quotas.get_limits(project_id, s)['server_groups']
        used = s.scalar(sa.select(sa.func.count(InstanceGroup.id)).where(
            InstanceGroup.project_id == project_id, InstanceGroup.deleted == 0))
        quotas.check({'server_groups': limit}, {'server_groups': used}, {'server_groups': 1})
        g = InstanceGroup(project_id=project_id, user_id=user_id, name=name, policy=policy,
                          rules=rules or {})
        s.add(g)
        s.flush()
        return _to_dict(s, g)


def get(uuid, project_id=None):
    with transaction() as s:
        g = s.scalars(sa.select(InstanceGroup).filter_by(uuid=uuid, deleted=0)).first()
        if g is None or (project_id is not None and g.project_id != project_id):
            raise GroupNotFound(f'Instance group {uuid} could not be found.')
        return _to_dict(s, g)


def list_(project_id=None, limit=None, offset=None):
    with transaction() as s:
        q = sa.select(InstanceGroup).filter_by(deleted=0).order_by(InstanceGroup.id)
        if project_id is not None:
            q = q.filter_by(project_id=project_id)
        rows = [_to_dict(s, g) for g in s.scalars(q)]
    rows = rows[offset or 0:]
    return rows[:limit] if limit else rows


def delete(uuid, project_id=None):
    with transaction() as s:
        g = s.scalars(sa.select(InstanceGroup).filter_by(uuid=uuid, deleted=0)).first()
        if g is None or (project_id is not None and g.project_id != project_id):
            raise GroupNotFound(f'Instance group {uuid} could not be found.')
        g.deleted, g.deleted_at = g.id, utcnow()
        s.execute(sa.delete(InstanceGroupMember).where(InstanceGroupMember.group_id == g.id))


def group_of(instance_uuid):
    with transaction() as s:
        g = s.scalars(sa.select(InstanceGroup).join(
            InstanceGroupMember, InstanceGroupMember.group_id == InstanceGroup.id).where(
            InstanceGroupMember.instance_uuid == instance_uuid,
            InstanceGroup.deleted == 0)).first()
        return _to_dict(s, g) if g else None
