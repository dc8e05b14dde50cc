"""Key pairs, per user."""
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from iaas.db import quotas
from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.models import KeyPair
from iaas.db.utils import row_to_dict
from iaas.exception import KeyPairExists, KeyPairNotFound  # noqa: F401


def create(user_id, name, public_key, fingerprint, type_='ssh', project_id=None):
    try:
        with transaction() as s:
            if project_id is not None:
                limit = quotas.get_limits(project_id, s)['key_pairs']
                used = s.scalar(sa.select(sa.func.count(KeyPair.id)).where(
                    KeyPair.user_id == user_id, KeyPair.deleted == 0))
                quotas.check({'key_pairs': limit}, {'key_pairs': used}, {'key_pairs': 1})
            kp = KeyPair(user_id=user_id, name=name, public_key=public_key,
                         fingerprint=fingerprint, type=type_)
            s.add(kp)
            s.flush()
            return row_to_dict(kp)
    except IntegrityError:
        raise KeyPairExists(f"Key pair '{name}' already exists.") from None


def get(user_id, name):
    with transaction() as s:
        kp = s.scalars(sa.select(KeyPair).filter_by(user_id=user_id, name=name,
                                                    deleted=0)).first()
        if kp is None:
            raise KeyPairNotFound(f'Keypair {name} not found for user {user_id}')
        return row_to_dict(kp)


def list_(user_id, limit=None, marker=None):
    with transaction() as s:
        q = sa.select(KeyPair).filter_by(user_id=user_id, deleted=0).order_by(KeyPair.name)
        rows = [row_to_dict(k) for k in s.scalars(q)]
    if marker is not None:
        names = [r['name'] for r in rows]
        if marker not in names:
            raise KeyPairNotFound(f'marker [{marker}] not found')
        rows = rows[names.index(marker) + 1:]
    return rows[:limit] if limit else rows


def delete(user_id, name):
    with transaction() as s:
        kp = s.scalars(sa.select(KeyPair).filter_by(user_id=user_id, name=name,
                                                    deleted=0)).first()
        if kp is None:
            raise KeyPairNotFound(f'Keypair {name} not found for user {user_id}')
        kp.deleted, kp.deleted_at = kp.id, utcnow()
