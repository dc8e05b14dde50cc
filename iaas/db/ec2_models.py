"""Models of the EC2 API: the stable mapping of EC2 ids (``i-…``,
``ami-…``, ``vol-…``) to the UUIDs of the resources they name."""
import datetime

from sqlalchemy import JSON, DateTime, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from iaas.db.base import Base, utcnow


class Ec2Id(Base):
    """One EC2 id: random (not a counter: ids reveal nothing about how many
    resources exist), made the first time the resource is shown, never
    reused."""
    __tablename__ = 'ec2_ids'
    __table_args__ = (UniqueConstraint('kind', 'uuid', name='uniq_ec2_ids0kind0uuid'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ec2_id: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    uuid: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)


class Ec2Tag(Base):
    """A tag (key, value) on a resource shown by the EC2 API, kept for the
    project that owns the resource."""
    __tablename__ = 'ec2_tags'
    __table_args__ = (UniqueConstraint('kind', 'uuid', 'key', name='uniq_ec2_tags0kind0uuid0key'),
                      Index('ix_ec2_tags_project_id', 'project_id'))

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    uuid: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(128))
    value: Mapped[str] = mapped_column(String(256))


class Ec2ClientToken(Base):
    """RunInstances' ClientToken: the one request of a project it made
    (``digest`` of its parameters) and the instances it made (None while
    that request is still creating them)."""
    __tablename__ = 'ec2_client_tokens'
    __table_args__ = (UniqueConstraint('project_id', 'token',
                                       name='uniq_ec2_client_tokens0project_id0token'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255))
    token: Mapped[str] = mapped_column(String(64))
    digest: Mapped[str] = mapped_column(String(64))
    instance_uuids: Mapped[list | None] = mapped_column(JSON)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime, default=utcnow)
