"""User messages of block storage (Cinder's ``messages``): written by the
processes that hold the database where an operation ends in error (the
scheduler, the conductor on behalf of volume and compute hosts, the API),
read, listed and deleted by their project, purged once expired."""
import sqlalchemy as sa

from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.instances import ALL_PROJECTS, _project_filter
from iaas.db.utils import row_to_dict
from iaas.db.volume_models import VolumeMessage
from iaas.db.volumes import page
from iaas.exception import MarkerNotFound, MessageNotFound

__all__ = ['ALL_PROJECTS']
SORT_KEYS = {'id', 'created_at', 'updated_at', 'expires_at', 'event_id', 'message_level',
             'resource_type', 'resource_uuid', 'request_id'}
# filters matched exactly
FILTERS = ('resource_uuid', 'resource_type', 'event_id', 'request_id', 'message_level')


def create(values):
    """Insert a message (``values``: project_id, event_id, expires_at…); its dict."""
    with transaction() as s:
        row = VolumeMessage(**values)
        s.add(row)
        s.flush()
        return row_to_dict(row)


def _query(project_id, now):
    project_id = _project_filter(project_id)
    q = sa.select(VolumeMessage).where(sa.or_(VolumeMessage.expires_at.is_(None),
                                              VolumeMessage.expires_at > now))
    if project_id is not None:
        q = q.where(VolumeMessage.project_id == project_id)
    return q


def get(uuid, project_id=ALL_PROJECTS):
    """The message, unless expired (MessageNotFound, also for another project's)."""
    with transaction() as s:
        row = s.scalars(_query(project_id, utcnow()).where(
            VolumeMessage.uuid == uuid)).first()
        if row is None:
            raise MessageNotFound(uuid)
        return row_to_dict(row)


def list_(project_id=ALL_PROJECTS, filters=None, sort=(('created_at', 'desc'),),
          limit=None, marker=None, offset=None):
    """The unexpired messages of ``project_id`` matching ``filters`` (the
    keys of :data:`FILTERS`), one page; a marker must be one of them."""
    filters = filters or {}
    with transaction() as s:
        q = _query(project_id, utcnow())
        for key in FILTERS:
            if filters.get(key) is not None:
                q = q.where(getattr(VolumeMessage, key) == filters[key])
        if marker and s.scalar(q.with_only_columns(VolumeMessage.id).where(
                VolumeMessage.uuid == marker)) is None:
            raise MarkerNotFound(f'marker [{marker}] not found')
        return page(s, VolumeMessage, q, {}, sort, SORT_KEYS, limit, marker, offset,
                    row_to_dict)


def delete(uuid, project_id=ALL_PROJECTS):
    """Remove the message (MessageNotFound if absent, expired or another project's)."""
    with transaction() as s:
        row = s.scalars(_query(project_id, utcnow()).where(
            VolumeMessage.uuid == uuid)).first()
        if row is None:
            raise MessageNotFound(uuid)
        s.delete(row)


def purge_expired(now=None):
    """Delete the messages past their ``expires_at``; how many."""
    with transaction() as s:
        return s.execute(sa.delete(VolumeMessage).where(
            VolumeMessage.expires_at <= (now or utcnow()))).rowcount
