"""Identity tables: domains, projects, users, roles, assignments, the
service catalog, credentials and token revocation events.

Ids are 32-hex-digit strings like Keystone's (the Default domain's id is
``default``). Tokens themselves are never stored.
"""
import datetime
import uuid

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import Mapped, mapped_column

from iaas.db.base import Base, TimestampMixin, utcnow


def hex_id():
    return uuid.uuid4().hex


def id_column(**kw):
    return mapped_column(String(64), primary_key=True, default=hex_id, **kw)


class Domain(Base, TimestampMixin):
    __tablename__ = 'identity_domains'

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Project(Base, TimestampMixin):
    __tablename__ = 'identity_projects'
    __table_args__ = (UniqueConstraint('domain_id', 'name'),)

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(255))
    domain_id: Mapped[str] = mapped_column(
        String(64), ForeignKey('identity_domains.id'), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class User(Base, TimestampMixin):
    __tablename__ = 'identity_users'
    __table_args__ = (UniqueConstraint('domain_id', 'name'),)

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(255))
    domain_id: Mapped[str] = mapped_column(
        String(64), ForeignKey('identity_domains.id'), index=True)
    # bcrypt hash only; NULL means the user cannot log in with a password.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    password_changed_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    email: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    default_project_id: Mapped[str | None] = mapped_column(String(64))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Role(Base, TimestampMixin):
    __tablename__ = 'identity_roles'

    id: Mapped[str] = id_column()
    name: Mapped[str] = mapped_column(String(255), unique=True)
    description: Mapped[str | None] = mapped_column(Text)


class RoleAssignment(Base):
    """A role of a user on a project (target_type 'project') or a domain."""
    __tablename__ = 'identity_role_assignments'

    user_id: Mapped[str] = mapped_column(
        String(64), ForeignKey('identity_users.id', ondelete='CASCADE'), primary_key=True)
    target_type: Mapped[str] = mapped_column(String(16), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    role_id: Mapped[str] = mapped_column(
        String(64), ForeignKey('identity_roles.id', ondelete='CASCADE'), primary_key=True)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (Index('ix_identity_role_assignments_target', 'target_type',
                            'target_id'),)


class CatalogService(Base, TimestampMixin):
    __tablename__ = 'identity_services'

    id: Mapped[str] = id_column()
    type: Mapped[str] = mapped_column(String(255), index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Endpoint(Base, TimestampMixin):
    __tablename__ = 'identity_endpoints'

    id: Mapped[str] = id_column()
    service_id: Mapped[str] = mapped_column(
        String(64), ForeignKey('identity_services.id', ondelete='CASCADE'), index=True)
    interface: Mapped[str] = mapped_column(String(8))
    region_id: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(Text)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class Credential(Base, TimestampMixin):
    """A credential; for type 'ec2' ``access`` is the access key and the
    secret lives Fernet-encrypted in ``encrypted_blob``."""
    __tablename__ = 'identity_credentials'

    id: Mapped[str] = id_column()
    user_id: Mapped[str] = mapped_column(
        String(64), ForeignKey('identity_users.id', ondelete='CASCADE'), index=True)
    project_id: Mapped[str | None] = mapped_column(String(64))
    type: Mapped[str] = mapped_column(String(255))
    access: Mapped[str | None] = mapped_column(String(64), unique=True)
    encrypted_blob: Mapped[str] = mapped_column(Text)


class RevocationEvent(Base):
    """Tokens matching every non-null field and issued before
    ``issued_before`` are revoked."""
    __tablename__ = 'identity_revocation_events'

    id: Mapped[int] = mapped_column(primary_key=True)
    audit_id: Mapped[str | None] = mapped_column(String(32), index=True)
    user_id: Mapped[str | None] = mapped_column(String(64))
    project_id: Mapped[str | None] = mapped_column(String(64))
    # Microseconds matter: MariaDB's plain DATETIME would drop them.
    issued_before: Mapped[datetime.datetime] = mapped_column(
        DateTime().with_variant(mysql.DATETIME(fsp=6), 'mysql'))
    revoked_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow,
                                                          index=True)
    # After this the event can go: no token it matches is still valid.
    expires_at: Mapped[datetime.datetime] = mapped_column(DateTime)


class LoginFailure(Base):
    """Counted attempts, so the rate limits hold across API processes:
    failed passwords per user and source, per source, sign-ups per source.
    ``user_id`` holds the limit's key (:mod:`iaas.identity.limits`)."""
    __tablename__ = 'identity_login_failures'

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)


class Revision(Base):
    """One row (id 1): a counter moved in the same transaction as every
    change that can revoke access (role removed, user/project/domain
    disabled or deleted, password changed, token revoked, credential
    deleted). API processes poll it (at most once per second) and drop
    their identity caches when it moves."""
    __tablename__ = 'identity_revision'

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
