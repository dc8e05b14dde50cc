"""Application credentials (Keystone's): a named secret of one user for one
of its projects, carrying a subset of the user's roles there.

Only a bcrypt hash of the secret is kept. The row goes with its user or
project (foreign keys ``ON DELETE CASCADE``). Deleting one moves the
identity revision, so every API process drops the tokens it had validated.
"""
import datetime
import json

import sqlalchemy as sa
from sqlalchemy import Boolean, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Mapped, mapped_column

from iaas.db.base import Base, utcnow
from iaas.db.engine import transaction
from iaas.db.identity import Duplicate, NotFound, _bump, _d
from iaas.db.identity_models import id_column


class ApplicationCredential(Base):
    __tablename__ = 'identity_application_credentials'
    __table_args__ = (UniqueConstraint('user_id', 'name'),)

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(
        String(64), ForeignKey('identity_users.id', ondelete='CASCADE'))
    project_id: Mapped[str] = mapped_column(
        String(64), ForeignKey('identity_projects.id', ondelete='CASCADE'), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    secret_hash: Mapped[str] = mapped_column(String(255))
    # JSON list of {"id", "name"} of the roles it carries.
    roles: Mapped[str] = mapped_column(Text)
    unrestricted: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)


def _row(obj):
    d = _d(obj)
    d['roles'] = json.loads(d['roles'])
    return d


def create(user_id, project_id, name, secret_hash, roles, description=None,
           unrestricted=False, expires_at=None):
    try:
        with transaction() as s:
            obj = ApplicationCredential(
                user_id=user_id, project_id=project_id, name=name,
                secret_hash=secret_hash, roles=json.dumps(list(roles)),
                description=description, unrestricted=bool(unrestricted),
                expires_at=expires_at)
            s.add(obj)
            s.flush()
            return _row(obj)
    except sa_exc.IntegrityError:
        raise Duplicate(f'Application credential {name!r} already exists') from None


def get(app_cred_id):
    with transaction() as s:
        obj = s.get(ApplicationCredential, app_cred_id)
        if obj is None:
            raise NotFound(f'Could not find application credential: {app_cred_id}.')
        return _row(obj)


def get_by_name(user_id, name):
    with transaction() as s:
        obj = s.scalars(sa.select(ApplicationCredential).filter_by(
            user_id=user_id, name=name)).first()
        if obj is None:
            raise NotFound(f'Could not find application credential: {name}.')
        return _row(obj)


def list_for_user(user_id, name=None, limit=None):
    with transaction() as s:
        q = sa.select(ApplicationCredential).where(ApplicationCredential.user_id == user_id)
        if name is not None:
            q = q.where(ApplicationCredential.name == name)
        q = q.order_by(ApplicationCredential.created_at, ApplicationCredential.id)
        if limit is not None:
            q = q.limit(limit)
        return [_row(o) for o in s.scalars(q)]


def delete(app_cred_id):
    """Delete one; the identity revision moves in the same transaction."""
    with transaction() as s:
        obj = s.get(ApplicationCredential, app_cred_id)
        if obj is None:
            raise NotFound(f'Could not find application credential: {app_cred_id}.')
        s.delete(obj)
        s.flush()
        _bump(s)


def delete_for(user_id, project_id):
    """Delete a user's application credentials for a project (a role of the
    user there was taken away, as Keystone does); how many went."""
    with transaction() as s:
        n = s.execute(sa.delete(ApplicationCredential).where(
            ApplicationCredential.user_id == user_id,
            ApplicationCredential.project_id == project_id)).rowcount
        if n:
            _bump(s)
        return n
