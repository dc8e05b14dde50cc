"""Declarative base and column helpers shared by every model module."""
import datetime
import uuid

from sqlalchemy import DateTime, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so alembic migrations are identical on SQLite,
# PostgreSQL and MariaDB.
NAMING = {
    'ix': 'ix_%(table_name)s_%(column_0_N_name)s',
    'uq': 'uq_%(table_name)s_%(column_0_N_name)s',
    'ck': 'ck_%(table_name)s_%(constraint_name)s',
    'fk': 'fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s',
    'pk': 'pk_%(table_name)s',
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


def utcnow():
    """Naive UTC now: every DateTime column stores naive UTC."""
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


def new_uuid():
    return str(uuid.uuid4())


class TimestampMixin:
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime.datetime | None] = mapped_column(
        DateTime, onupdate=utcnow)


class SoftDeleteMixin:
    deleted_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    # 0 while alive, the row id (or 1) once deleted: lets unique constraints
    # ignore deleted rows portably.
    deleted: Mapped[int] = mapped_column(default=0, server_default='0')


def uuid_column(**kw):
    return mapped_column(String(36), default=new_uuid, **kw)
