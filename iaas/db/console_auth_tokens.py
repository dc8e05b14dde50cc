"""Console auth tokens (:class:`iaas.db.models.ConsoleAuthToken`): only the
sha256 of a token is stored; a token is used once (a compare-and-swap
UPDATE of ``used_at``, so of two connections with one token exactly one
gets through) and only before it expires."""
import datetime

import sqlalchemy as sa

from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.models import ConsoleAuthToken


def _view(row):
    return {'console_type': row.console_type, 'instance_uuid': row.instance_uuid,
            'project_id': row.project_id, 'host': row.host, 'port': row.port,
            'compute_host': row.compute_host, 'access_url_base': row.access_url_base,
            'created_at': row.created_at, 'expires': row.expires, 'used_at': row.used_at}


def create(token_hash, console_type, instance_uuid, project_id, host, port, ttl,
           compute_host=None, access_url_base=None):
    now = utcnow()
    with transaction() as s:
        s.add(ConsoleAuthToken(
            token_hash=token_hash, console_type=console_type, instance_uuid=instance_uuid,
            project_id=project_id, host=host, port=int(port), compute_host=compute_host,
            access_url_base=access_url_base, created_at=now,
            expires=now + datetime.timedelta(seconds=ttl)))


def get_valid(token_hash, now=None):
    """The unused, unexpired token's record, or None."""
    now = now or utcnow()
    with transaction() as s:
        row = s.scalars(sa.select(ConsoleAuthToken).where(
            ConsoleAuthToken.token_hash == token_hash, ConsoleAuthToken.used_at.is_(None),
            ConsoleAuthToken.expires > now)).first()
        return _view(row) if row is not None else None


def consume(token_hash, now=None, instance_uuid=None):
    """Mark the token used if it is unused and unexpired (and, given
    ``instance_uuid``, bound to that instance); its record if this call
    did, else None."""
    now = now or utcnow()
    cond = [ConsoleAuthToken.token_hash == token_hash, ConsoleAuthToken.used_at.is_(None),
            ConsoleAuthToken.expires > now]
    if instance_uuid is not None:
        cond.append(ConsoleAuthToken.instance_uuid == instance_uuid)
    with transaction() as s:
        res = s.execute(sa.update(ConsoleAuthToken).where(*cond).values(used_at=now)
                        .execution_options(synchronize_session=False))
        if res.rowcount != 1:
            return None
        row = s.scalars(sa.select(ConsoleAuthToken).where(
            ConsoleAuthToken.token_hash == token_hash)).first()
        return _view(row)


def delete_for_instance(instance_uuid):
    with transaction() as s:
        s.execute(sa.delete(ConsoleAuthToken).where(
            ConsoleAuthToken.instance_uuid == instance_uuid))


def reap(now=None):
    """Delete the expired tokens (used or not); how many went."""
    now = now or utcnow()
    with transaction() as s:
        return s.execute(sa.delete(ConsoleAuthToken).where(
            ConsoleAuthToken.expires <= now)).rowcount
