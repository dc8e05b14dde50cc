"""Server migrations (Nova's ``migrations`` table): evacuations, cold
migrations and resizes, each a record with a status that moves forward by
compare-and-swap (:func:`update`), so two writers (a destination host
ending the move, a returning source host cleaning up) never overwrite each
other's outcome.

Statuses, as Nova's:

- evacuation: ``accepted`` (asked) → ``pre-migrating`` (destination
  claimed) → ``done`` (rebuilt there) → ``completed`` (the source host came
  back and destroyed its stale guest); ``error`` (no destination),
  ``failed`` (the rebuild failed);
- migration / resize: ``pre-migrating`` → ``migrating`` (destination
  claimed) → ``finished`` (VERIFY_RESIZE) → ``confirmed`` or ``reverted``;
  ``error``;
- live-migration: ``running`` (destination claimed, the guest moving) →
  ``completed`` or ``failed`` (the guest still runs on the source).
"""
import sqlalchemy as sa

from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.models import Migration
from iaas.db.utils import row_to_dict

ANY = object()
EVACUATION, MIGRATION, RESIZE = 'evacuation', 'migration', 'resize'
LIVE_MIGRATION = 'live-migration'
TYPES = (EVACUATION, MIGRATION, RESIZE, LIVE_MIGRATION)
# the evacuations whose source host still holds a stale guest to destroy
EVACUATED = ('pre-migrating', 'done')
# the moves not yet ended (a server with one of these is being moved)
IN_PROGRESS = ('accepted', 'pre-migrating', 'migrating', 'finished', 'running')
MAX_LIST = 1000


class MigrationNotFound(LookupError):
    pass


def create(instance, migration_type, status, dest_compute=None, old_flavor=None,
           new_flavor=None, user_id=None):
    """A record of ``instance`` (its dict) moving from its host."""
    if migration_type not in TYPES:
        raise ValueError(f'unknown migration type {migration_type}')
    with transaction() as s:
        m = Migration(instance_uuid=instance['uuid'], project_id=instance['project_id'],
                      user_id=user_id or instance.get('user_id'),
                      migration_type=migration_type, status=status,
                      source_compute=instance.get('host'), source_node=instance.get('node'),
                      dest_compute=dest_compute,
                      old_flavor_id=(old_flavor or {}).get('id'),
                      new_flavor_id=(new_flavor or {}).get('id'))
        s.add(m)
        s.flush()
        return row_to_dict(m)


def get(migration_id):
    with transaction() as s:
        m = s.get(Migration, int(migration_id))
        if m is None or m.deleted:
            raise MigrationNotFound(f'Migration {migration_id} could not be found.')
        return row_to_dict(m)


def update(migration_id, expected_status=ANY, **values):
    """Set ``values`` (status, dest_compute, dest_node) if the status is
    ``expected_status`` (a value or a tuple); the new dict, or None when
    the record is gone or its status was another."""
    bad = set(values) - {'status', 'dest_compute', 'dest_node'}
    if bad:
        raise ValueError(f'a migration record does not change {sorted(bad)}')
    if migration_id is None:
        return None
    with transaction() as s:
        q = sa.update(Migration).where(Migration.id == int(migration_id),
                                       Migration.deleted == 0)
        if expected_status is not ANY:
            expected = expected_status if isinstance(expected_status, (list, tuple)) \
                else (expected_status,)
            q = q.where(Migration.status.in_(expected))
        if not s.execute(q.values(updated_at=utcnow(), **values)).rowcount:
            return None
        return row_to_dict(s.get(Migration, int(migration_id)))


def list_(instance_uuid=None, project_id=None, source_compute=None, host=None,
          status=None, migration_type=None, changes_since=None, limit=MAX_LIST):
    """Records, newest first. ``host``: either end; ``status``: a value or a tuple."""
    with transaction() as s:
        q = sa.select(Migration).where(Migration.deleted == 0)
        for col, value in ((Migration.instance_uuid, instance_uuid),
                           (Migration.project_id, project_id),
                           (Migration.source_compute, source_compute),
                           (Migration.migration_type, migration_type)):
            if value is not None:
                q = q.where(col == value)
        if host is not None:
            q = q.where(sa.or_(Migration.source_compute == host,
                               Migration.dest_compute == host))
        if status is not None:
            q = q.where(Migration.status.in_(status if isinstance(status, (list, tuple))
                                             else (status,)))
        if changes_since is not None:
            q = q.where(Migration.updated_at >= changes_since)
        q = q.order_by(Migration.id.desc()).limit(min(int(limit or MAX_LIST), MAX_LIST))
        return [row_to_dict(m) for m in s.scalars(q)]


def latest(instance_uuid, migration_type=None, status=None):
    """The newest record of the instance (of that type and status), or None."""
    rows = list_(instance_uuid=instance_uuid, migration_type=migration_type, status=status,
                 limit=1)
    return rows[0] if rows else None
