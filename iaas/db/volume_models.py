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
from sqlalchemy.orm import Mapped, declared_attr, mapped_column

from iaas.db.base import Base, SoftDeleteMixin, TimestampMixin, uuid_column


class _Kind(TimestampMixin, SoftDeleteMixin):
    """What a kind of volume and a kind of group share: a unique name among
    the live ones, a description, public or for some projects."""

    @declared_attr.directive
    def __table_args__(cls):
        return (UniqueConstraint('name', 'deleted'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)


class VolumeType(_Kind, Base):
    """A kind of volume; its extra spec ``volume_backend_name`` picks backends."""
    __tablename__ = 'volume_types'

    extra_specs: Mapped[dict] = mapped_column(JSON, default=dict)
    # the QoS specs associated with it (Cinder's qos_specs_id), iaas/db/volume_qos.py
    qos_specs_id: Mapped[str | None] = mapped_column(String(36))


class QosSpecs(Base, TimestampMixin, SoftDeleteMixin):
    """Cinder's QoS specs: named key/value limits for a consumer (front-end,
    back-end or both); volume types name them in ``qos_specs_id``."""
    __tablename__ = 'volume_qos_specs'
    __table_args__ = (UniqueConstraint('name', 'deleted'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    name: Mapped[str] = mapped_column(String(255))
    consumer: Mapped[str] = mapped_column(String(32), default='back-end')
    specs: Mapped[dict] = mapped_column(JSON, default=dict)


class VolumeTypeEncryption(Base, TimestampMixin, SoftDeleteMixin):
    """Cinder's encryption spec of a volume type (one live per type). Kept
    and shown, never acted on: this cloud has no key manager, so volumes of
    a type with a live spec are refused (iaas/volume/api.py)."""
    __tablename__ = 'volume_type_encryption'
    __table_args__ = (UniqueConstraint('volume_type_id', 'deleted'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    encryption_id: Mapped[str] = uuid_column(unique=True)
    volume_type_id: Mapped[str] = mapped_column(String(36))
    provider: Mapped[str] = mapped_column(String(255))
    cipher: Mapped[str | None] = mapped_column(String(255))
    key_size: Mapped[int | None] = mapped_column()
    control_location: Mapped[str] = mapped_column(String(255), default='front-end')


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
    # the "host@backend" an admin's migration copies it to (while migrating)
    migration_host: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    display_description: Mapped[str | None] = mapped_column(Text)
    volume_type_id: Mapped[str | None] = mapped_column(String(36))
    # the generic volume group it belongs to (Cinder 3.13+), iaas/db/volume_groups.py
    group_id: Mapped[str | None] = mapped_column(String(36), index=True)
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
    # the group snapshot it was taken for (Cinder 3.14+)
    group_snapshot_id: Mapped[str | None] = mapped_column(String(36), index=True)


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


# -- volume transfers and quota classes (iaas/db/volume_transfers.py, iaas/db/quotas.py) --
class VolumeTransfer(Base, TimestampMixin, SoftDeleteMixin):
    """An offer of a volume by its project (``project_id``) to whichever
    project accepts it with the key only the offer's creator was shown:
    only a salted hash of the key is kept. Accepted or deleted, the row is
    soft-deleted (``accepted`` and ``destination_project_id`` tell which)."""
    __tablename__ = 'volume_transfers'
    __table_args__ = (Index(None, 'project_id', 'deleted'),
                      Index(None, 'volume_id', 'deleted'))

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    volume_id: Mapped[str] = mapped_column(String(36))
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str | None] = mapped_column(String(255))
    salt: Mapped[str] = mapped_column(String(64))
    crypt_hash: Mapped[str] = mapped_column(String(128))
    no_snapshots: Mapped[bool] = mapped_column(Boolean, default=False)
    destination_project_id: Mapped[str | None] = mapped_column(String(255))
    accepted: Mapped[bool] = mapped_column(Boolean, default=False)


class QuotaClass(Base, TimestampMixin):
    """A named set of block-storage limits (Cinder's quota classes): those
    of class ``default`` are the limits of every project without its own
    (over the ``[quota]`` options); per-volume-type keys are kept too."""
    __tablename__ = 'quota_classes'
    __table_args__ = (UniqueConstraint('class_name', 'resource'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_name: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(255))
    hard_limit: Mapped[int] = mapped_column(BigInteger)


class VolumeMessage(Base, TimestampMixin):
    """A user message (Cinder 3.3+): why an asynchronous operation on a
    volume, snapshot or backup ended in error, until ``expires_at``
    (``[volume] message_ttl``). The text comes from ``action_id`` and
    ``detail_id`` (:mod:`iaas.volume.messages`); deleting one removes the row."""
    __tablename__ = 'volume_messages'
    __table_args__ = (Index(None, 'project_id'), Index(None, 'expires_at'))

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    project_id: Mapped[str] = mapped_column(String(255))
    request_id: Mapped[str | None] = mapped_column(String(255))
    resource_type: Mapped[str | None] = mapped_column(String(64))
    resource_uuid: Mapped[str | None] = mapped_column(String(36))
    event_id: Mapped[str] = mapped_column(String(255))
    action_id: Mapped[str | None] = mapped_column(String(10))
    detail_id: Mapped[str | None] = mapped_column(String(10))
    message_level: Mapped[str] = mapped_column(String(64), default='ERROR')
    expires_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)


# -- generic volume groups (Cinder 3.11+ group types, 3.13+ groups, 3.14+ snapshots) --
class GroupType(_Kind, Base):
    """A kind of volume group; ``group_specs`` are its key/value properties."""
    __tablename__ = 'group_types'

    group_specs: Mapped[dict] = mapped_column(JSON, default=dict)


class VolumeGroup(Base, TimestampMixin, SoftDeleteMixin):
    """A generic volume group: volumes of some volume types, snapshotted
    together. Its volumes name it in ``volumes.group_id``."""
    __tablename__ = 'volume_groups'
    __table_args__ = (Index(None, 'project_id', 'deleted'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    availability_zone: Mapped[str] = mapped_column(String(255), default='nova')
    group_type_id: Mapped[str] = mapped_column(String(36))
    # the UUIDs of the volume types its volumes may have
    volume_type_ids: Mapped[list] = mapped_column(JSON, default=list)
    display_name: Mapped[str | None] = mapped_column(String(255))
    display_description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(64), default='creating')
    status_changed_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    group_snapshot_id: Mapped[str | None] = mapped_column(String(36))
    source_group_id: Mapped[str | None] = mapped_column(String(36))


class GroupSnapshot(Base, TimestampMixin, SoftDeleteMixin):
    """A snapshot of every volume of a group; its snapshots name it in
    ``volume_snapshots.group_snapshot_id``."""
    __tablename__ = 'group_snapshots'
    __table_args__ = (Index(None, 'project_id', 'deleted'),
                      Index(None, 'group_id', 'deleted'))

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    group_id: Mapped[str] = mapped_column(String(36))
    group_type_id: Mapped[str] = mapped_column(String(36))
    display_name: Mapped[str | None] = mapped_column(String(255))
    display_description: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(64), default='creating')
    status_changed_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
