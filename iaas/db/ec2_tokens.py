"""RunInstances client tokens (:class:`iaas.db.ec2_models.Ec2ClientToken`):
one indexed row per (project, token), claimed before the instances are
made, so of two requests with one token exactly one creates."""
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from iaas.db.ec2_models import Ec2ClientToken
from iaas.db.engine import transaction


def _view(row):
    return {'project_id': row.project_id, 'token': row.token, 'digest': row.digest,
            'instance_uuids': row.instance_uuids, 'created_at': row.created_at}


def get(project_id, token):
    with transaction() as s:
        row = s.scalars(sa.select(Ec2ClientToken).where(
            Ec2ClientToken.project_id == project_id, Ec2ClientToken.token == token)).first()
        return _view(row) if row is not None else None


def claim(project_id, token, digest):
    """None if this call claimed the token (it makes the instances), else
    the existing claim."""
    try:
        with transaction() as s:
            s.add(Ec2ClientToken(project_id=project_id, token=token, digest=digest))
        return None
    except IntegrityError:
        return get(project_id, token)


def fill(project_id, token, instance_uuids):
    with transaction() as s:
        s.execute(sa.update(Ec2ClientToken).where(
            Ec2ClientToken.project_id == project_id, Ec2ClientToken.token == token).values(
                instance_uuids=list(instance_uuids)))


def release(project_id, token):
    """Forget a claim whose request made nothing (it failed)."""
    with transaction() as s:
        s.execute(sa.delete(Ec2ClientToken).where(
            Ec2ClientToken.project_id == project_id, Ec2ClientToken.token == token))
