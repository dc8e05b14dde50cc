"""RunInstances client tokens (:class:`iaas.db.ec2_models.Ec2ClientToken`):
one indexed row per (project, token), written in the transaction that
inserts the instances (:func:`iaas.db.instances.create_with_quota`), so
of two requests with one token exactly one creates and the other finds
the first one's instances."""
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from iaas.db.ec2_models import Ec2ClientToken
from iaas.db.engine import transaction


class Taken(Exception):
    """Another request recorded the token first (its transaction made its
    instances; this one's rolled back)."""


def _view(row):
    return {'project_id': row.project_id, 'token': row.token, 'digest': row.digest,
            'instance_uuids': row.instance_uuids, 'created_at': row.created_at}


def get(project_id, token):
    with transaction() as s:
        row = s.scalars(sa.select(Ec2ClientToken).where(
            Ec2ClientToken.project_id == project_id, Ec2ClientToken.token == token)).first()
        return _view(row) if row is not None else None


def record(s, project_id, token, digest, instance_uuids):
    """In the caller's transaction ``s``: the token made these instances;
    :class:`Taken` (the transaction must roll back) when it is recorded
    already."""
    s.add(Ec2ClientToken(project_id=project_id, token=token, digest=digest,
                         instance_uuids=list(instance_uuids)))
    try:
        s.flush()
    except IntegrityError:
        raise Taken(token) from None


def release(project_id, token):
    """Forget a token (its instances are gone: the token may make others)."""
    with transaction() as s:
        s.execute(sa.delete(Ec2ClientToken).where(
            Ec2ClientToken.project_id == project_id, Ec2ClientToken.token == token))
