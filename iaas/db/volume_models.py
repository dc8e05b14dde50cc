"""Models of block storage: volume types, volumes, snapshots, attachments,
backups and the capacity of each volume backend.

Statuses and their transitions are the one table of
:mod:`iaas.volume.states`; every status write is a compare-and-swap on the
status (``iaas/db/volumes.py``). ``status_changed_at`` is stamped by each
swap so the reaper can find operations that never finished.
"""
import datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from iaas.db.base import Base, SoftDeleteMixin, TimestampMixin, uuid_column


class VolumeType(Base, TimestampMixin, SoftDeleteMixin):
    """A kind of volume; its extra spec ``volume_backend_name`` picks backends."""
    __tablename__ = 'volume_types'
    __table_args__ = (UniqueConstraint('name', 'deleted'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    extra_specs: Mapped[dict] = mapped_column(JSON, default=dict)


class VolumeTypeProject(Base):
    """Which projects may use a private volume type."""
    __tablename__ = 'volume_type_projects'
    __table_args__ = (UniqueConstraint('type_id', 'project_id'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey('volume_types.id', ondelete='CASCADE'))
    project_id: Mapped[str] = mapped_column(String(255))


class VolumeBackend(Base, TimestampMixin, SoftDeleteMixin):
    """One backend of one iaas-volume host (Cinder's ``host@backend#pool``):
    the capacity it reports; what is claimed on it is the sum of its
    volumes, counted under a lock on this row by each claim."""
    __tablename__ = 'volume_backends'
    __table_args__ = (UniqueConstraint('host', 'backend_name', 'deleted'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    backend_name: Mapped[str] = mapped_column(String(255))
    driver: Mapped[str] = mapped_column(String(64))
    protocol: Mapped[str] = mapped_column(String(64), default='file')
    availability_zone: Mapped[str] = mapped_column(String(255), default='nova')
    total_gb: Mapped[float] = mapped_column(Float, default=0.0)
    free_gb: Mapped[float] = mapped_column(Float, default=0.0)
    provisioned_gb: Mapped[float] = mapped_column(Float, default=0.0)
    thin: Mapped[bool] = mapped_column(Boolean, default=True)
    max_over_subscription_ratio: Mapped[float] = mapped_column(Float, default=20.0)
    reserved_percentage: Mapped[int] = mapped_column(default=0)
    generation: Mapped[int] = mapped_column(default=0)


class Volume(Base, TimestampMixin, SoftDeleteMixin):
    __tablename__ = 'volumes'
    __table_args__ = (Index(None, 'project_id', 'deleted'),
                      Index(None, 'host', 'deleted'))

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    # "host@backend" once placed (None before the scheduler's claim).
    host: Mapped[str | None] = mapped_column(String(255))
    availability_zone: Mapped[str] = mapped_column(String(255), default='nova')
    size: Mapped[int] = mapped_column(BigInteger)
    # The size before an extend started: quota counts the new size from the
    # start, a failed extend restores this one.
    previous_size: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(64), default='creating')
    previous_status: Mapped[str | None] = mapped_column(String(64))
    status_changed_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    attach_status: Mapped[str] = mapped_column(String(64), default='detached')
    migration_status: Mapped[str | None] = mapped_column(String(64))
    display_name: Mapped[str | None] = mapped_column(String(255))
    display_description: Mapped[str | None] = mapped_column(Text)
    volume_type_id: Mapped[str | None] = mapped_column(String(36))
    snapshot_id: Mapped[str | None] = mapped_column(String(36))
    source_volid: Mapped[str | None] = mapped_column(String(36))
    image_id: Mapped[str | None] = mapped_column(String(36))
    backup_id: Mapped[str | None] = mapped_column(String(36))
    bootable: Mapped[bool] = mapped_column(Boolean, default=False)
    multiattach: Mapped[bool] = mapped_column(Boolean, default=False)
    provider_location: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[dict] = mapped_column('metadata', JSON, default=dict)
    image_metadata: Mapped[dict] = mapped_column(JSON, default=dict)
    fault: Mapped[str | None] = mapped_column(Text)
    launched_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    terminated_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)


class VolumeAttachment(Base, TimestampMixin, SoftDeleteMixin):
    """One attachment of a volume to a server (Cinder's attachment record)."""
    __tablename__ = 'volume_attachments'
    __table_args__ = (Index(None, 'volume_id', 'deleted'),
                      Index(None, 'instance_uuid', 'deleted'))

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    volume_id: Mapped[str] = mapped_column(String(36))
    instance_uuid: Mapped[str | None] = mapped_column(String(36))
    attached_host: Mapped[str | None] = mapped_column(String(255))
    mountpoint: Mapped[str | None] = mapped_column(String(255))
    attach_status: Mapped[str] = mapped_column(String(64), default='reserved')
    attach_mode: Mapped[str] = mapped_column(String(8), default='rw')
    connector: Mapped[dict | None] = mapped_column(JSON)
    connection_info: Mapped[dict | None] = mapped_column(JSON)
    delete_on_termination: Mapped[bool] = mapped_column(Boolean, default=False)
    boot_index: Mapped[int | None] = mapped_column()
    attach_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    detach_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)


class VolumeSnapshot(Base, TimestampMixin, SoftDeleteMixin):
    __tablename__ = 'volume_snapshots'
    __table_args__ = (Index(None, 'project_id', 'deleted'),
                      Index(None, 'volume_id', 'deleted'))

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    volume_id: Mapped[str] = mapped_column(String(36))
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(64), default='creating')
    status_changed_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    progress: Mapped[str] = mapped_column(String(8), default='0%')
    volume_size: Mapped[int] = mapped_column(BigInteger)
    display_name: Mapped[str | None] = mapped_column(String(255))
    display_description: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[dict] = mapped_column('metadata', JSON, default=dict)
    provider_location: Mapped[str | None] = mapped_column(Text)
    fault: Mapped[str | None] = mapped_column(Text)


class VolumeBackup(Base, TimestampMixin, SoftDeleteMixin):
    __tablename__ = 'volume_backups'
    __table_args__ = (Index(None, 'project_id', 'deleted'),
                      Index(None, 'volume_id', 'deleted'))

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    volume_id: Mapped[str] = mapped_column(String(36))
    snapshot_id: Mapped[str | None] = mapped_column(String(36))
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    host: Mapped[str | None] = mapped_column(String(255))
    availability_zone: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(64), default='creating')
    status_changed_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    size: Mapped[int] = mapped_column(BigInteger)
    object_count: Mapped[int] = mapped_column(default=0)
    container: Mapped[str | None] = mapped_column(String(255))
    manifest: Mapped[dict | None] = mapped_column(JSON)
    display_name: Mapped[str | None] = mapped_column(String(255))
    display_description: Mapped[str | None] = mapped_column(Text)
    is_incremental: Mapped[bool] = mapped_column(Boolean, default=False)
    parent_id: Mapped[str | None] = mapped_column(String(36))
    # The volume a restore writes to (while status is 'restoring').
    restore_volume_id: Mapped[str | None] = mapped_column(String(36))
    data_timestamp: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    fail_reason: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[dict] = mapped_column('metadata', JSON, default=dict)
