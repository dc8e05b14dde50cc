"""Models of the control plane: services, hosts, instances, flavors, quotas.

Other issues add their own model modules (identity, images, networks…) and
import them in ``iaas/db/all_models.py`` so alembic sees one metadata.
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
from sqlalchemy.orm import Mapped, mapped_column, relationship

from iaas.db.base import Base, SoftDeleteMixin, TimestampMixin, uuid_column


class Service(Base, TimestampMixin, SoftDeleteMixin):
    """One running daemon: (host, binary) with its heartbeat."""
    __tablename__ = 'services'
    __table_args__ = (UniqueConstraint('host', 'binary', 'deleted'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    host: Mapped[str] = mapped_column(String(255))
    binary: Mapped[str] = mapped_column(String(255))
    topic: Mapped[str | None] = mapped_column(String(255))
    report_count: Mapped[int] = mapped_column(default=0)
    last_seen_up: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_reason: Mapped[str | None] = mapped_column(String(255))
    forced_down: Mapped[bool] = mapped_column(Boolean, default=False)
    availability_zone: Mapped[str] = mapped_column(String(255), default='nova')
    version: Mapped[int] = mapped_column(default=1)


class ComputeNode(Base, TimestampMixin, SoftDeleteMixin):
    """A hypervisor's capacity and what the scheduler has claimed on it."""
    __tablename__ = 'compute_nodes'
    __table_args__ = (UniqueConstraint('host', 'hypervisor_hostname', 'deleted'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    host: Mapped[str] = mapped_column(String(255), index=True)
    hypervisor_hostname: Mapped[str] = mapped_column(String(255))
    hypervisor_type: Mapped[str] = mapped_column(String(64), default='fake')
    hypervisor_version: Mapped[int] = mapped_column(default=0)
    host_ip: Mapped[str | None] = mapped_column(String(64))
    vcpus: Mapped[int] = mapped_column(default=0)
    memory_mb: Mapped[int] = mapped_column(default=0)
    local_gb: Mapped[int] = mapped_column(default=0)
    vcpus_used: Mapped[int] = mapped_column(default=0)
    memory_mb_used: Mapped[int] = mapped_column(default=0)
    local_gb_used: Mapped[int] = mapped_column(default=0)
    running_vms: Mapped[int] = mapped_column(default=0)
    cpu_allocation_ratio: Mapped[float] = mapped_column(Float, default=16.0)
    ram_allocation_ratio: Mapped[float] = mapped_column(Float, default=1.5)
    disk_allocation_ratio: Mapped[float] = mapped_column(Float, default=1.0)
    # Bumped by every claim: claims are compare-and-swap on it.
    generation: Mapped[int] = mapped_column(default=0)
    cpu_info: Mapped[str | None] = mapped_column(Text)
    stats: Mapped[dict | None] = mapped_column(JSON)


class Flavor(Base, TimestampMixin, SoftDeleteMixin):
    __tablename__ = 'flavors'
    __table_args__ = (UniqueConstraint('flavorid', 'deleted'),
                      UniqueConstraint('name', 'deleted'))

    id: Mapped[int] = mapped_column(primary_key=True)
    flavorid: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(255))
    memory_mb: Mapped[int] = mapped_column()
    vcpus: Mapped[int] = mapped_column()
    root_gb: Mapped[int] = mapped_column(default=0)
    ephemeral_gb: Mapped[int] = mapped_column(default=0)
    swap: Mapped[int] = mapped_column(default=0)
    rxtx_factor: Mapped[float] = mapped_column(Float, default=1.0)
    is_public: Mapped[bool] = mapped_column(Boolean, default=True)
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str | None] = mapped_column(Text)
    extra_specs: Mapped[dict] = mapped_column(JSON, default=dict)


class FlavorProject(Base):
    """Which projects may use a non-public flavor."""
    __tablename__ = 'flavor_projects'
    __table_args__ = (UniqueConstraint('flavor_id', 'project_id'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    flavor_id: Mapped[int] = mapped_column(ForeignKey('flavors.id', ondelete='CASCADE'))
    project_id: Mapped[str] = mapped_column(String(255))


class Instance(Base, TimestampMixin, SoftDeleteMixin):
    __tablename__ = 'instances'
    __table_args__ = (Index(None, 'project_id', 'deleted'),
                      Index(None, 'host', 'deleted'))

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    display_name: Mapped[str | None] = mapped_column(String(255))
    display_description: Mapped[str | None] = mapped_column(Text)
    hostname: Mapped[str | None] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    image_ref: Mapped[str | None] = mapped_column(String(255))
    flavor_id: Mapped[int | None] = mapped_column(ForeignKey('flavors.id'))
    # The flavor as it was at boot (flavors may be deleted later).
    flavor: Mapped[dict | None] = mapped_column(JSON)
    key_name: Mapped[str | None] = mapped_column(String(255))
    key_data: Mapped[str | None] = mapped_column(Text)
    user_data: Mapped[str | None] = mapped_column(Text)
    metadata_: Mapped[dict] = mapped_column('metadata', JSON, default=dict)
    system_metadata: Mapped[dict] = mapped_column(JSON, default=dict)
    vm_state: Mapped[str] = mapped_column(String(64), default='building')
    task_state: Mapped[str | None] = mapped_column(String(64))
    power_state: Mapped[int] = mapped_column(default=0)
    host: Mapped[str | None] = mapped_column(String(255))
    node: Mapped[str | None] = mapped_column(String(255))
    availability_zone: Mapped[str | None] = mapped_column(String(255))
    vcpus: Mapped[int] = mapped_column(default=0)
    memory_mb: Mapped[int] = mapped_column(default=0)
    root_gb: Mapped[int] = mapped_column(default=0)
    ephemeral_gb: Mapped[int] = mapped_column(default=0)
    locked: Mapped[bool] = mapped_column(Boolean, default=False)
    locked_by: Mapped[str | None] = mapped_column(String(16))
    config_drive: Mapped[bool] = mapped_column(Boolean, default=False)
    launched_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    terminated_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    scheduled_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    progress: Mapped[int] = mapped_column(default=0)
    reservation_id: Mapped[str | None] = mapped_column(String(255))
    launch_index: Mapped[int] = mapped_column(default=0)

    faults = relationship('InstanceFault', back_populates='instance',
                          cascade='all, delete-orphan', lazy='selectin',
                          order_by='InstanceFault.id.desc()')


class InstanceFault(Base, TimestampMixin):
    __tablename__ = 'instance_faults'

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_uuid: Mapped[str] = mapped_column(
        ForeignKey('instances.uuid', ondelete='CASCADE'), index=True)
    code: Mapped[int] = mapped_column(default=500)
    message: Mapped[str] = mapped_column(String(255))
    details: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(255))

    instance = relationship('Instance', back_populates='faults')


class InstanceAction(Base, TimestampMixin):
    """One user-visible action on an instance (os-instance-actions)."""
    __tablename__ = 'instance_actions'

    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(255))
    instance_uuid: Mapped[str] = mapped_column(String(36), index=True)
    request_id: Mapped[str] = mapped_column(String(255), index=True)
    user_id: Mapped[str | None] = mapped_column(String(255))
    project_id: Mapped[str | None] = mapped_column(String(255))
    start_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    finish_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    message: Mapped[str | None] = mapped_column(String(255))

    events = relationship('InstanceActionEvent', cascade='all, delete-orphan',
                          lazy='selectin', order_by='InstanceActionEvent.id')


class InstanceActionEvent(Base, TimestampMixin):
    __tablename__ = 'instance_actions_events'

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey('instance_actions.id', ondelete='CASCADE'), index=True)
    event: Mapped[str] = mapped_column(String(255))
    start_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    finish_time: Mapped[datetime.datetime | None] = mapped_column(DateTime)
    result: Mapped[str | None] = mapped_column(String(255))
    traceback: Mapped[str | None] = mapped_column(Text)
    host: Mapped[str | None] = mapped_column(String(255))


class KeyPair(Base, TimestampMixin, SoftDeleteMixin):
    __tablename__ = 'key_pairs'
    __table_args__ = (UniqueConstraint('user_id', 'name', 'deleted'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255))
    user_id: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(255))
    public_key: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(16), default='ssh')


class Quota(Base, TimestampMixin):
    """A per-project limit overriding the configured default."""
    __tablename__ = 'quotas'
    __table_args__ = (UniqueConstraint('project_id', 'resource'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(255))
    hard_limit: Mapped[int] = mapped_column(BigInteger)


class QuotaUsage(Base, TimestampMixin):
    """What a project uses and has reserved of one resource.

    Reservations lock this row (SELECT … FOR UPDATE) and recheck the limit
    in the same transaction, so concurrent requests never exceed a quota.
    """
    __tablename__ = 'quota_usages'
    __table_args__ = (UniqueConstraint('project_id', 'resource'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(255))
    in_use: Mapped[int] = mapped_column(BigInteger, default=0)
    reserved: Mapped[int] = mapped_column(BigInteger, default=0)


class Reservation(Base, TimestampMixin):
    __tablename__ = 'reservations'

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(index=True)
    usage_id: Mapped[int] = mapped_column(ForeignKey('quota_usages.id', ondelete='CASCADE'))
    project_id: Mapped[str] = mapped_column(String(255))
    resource: Mapped[str] = mapped_column(String(255))
    delta: Mapped[int] = mapped_column(BigInteger)
    expire: Mapped[datetime.datetime | None] = mapped_column(DateTime)


class InstanceGroup(Base, TimestampMixin, SoftDeleteMixin):
    """A server group: instances placed with an affinity policy."""
    __tablename__ = 'instance_groups'

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    name: Mapped[str] = mapped_column(String(255))
    project_id: Mapped[str] = mapped_column(String(255), index=True)
    user_id: Mapped[str] = mapped_column(String(255))
    policy: Mapped[str] = mapped_column(String(64))
    rules: Mapped[dict] = mapped_column(JSON, default=dict)


class InstanceGroupMember(Base, TimestampMixin):
    __tablename__ = 'instance_group_members'
    __table_args__ = (UniqueConstraint('group_id', 'instance_uuid'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(
        ForeignKey('instance_groups.id', ondelete='CASCADE'), index=True)
    instance_uuid: Mapped[str] = mapped_column(String(36), index=True)


class ConsoleAuthToken(Base):
    """A one-time console token (Nova's table): only its sha256 is kept,
    with what it opens (the guest's serial endpoint on its compute host),
    when it expires and when it was used (single use: a compare-and-swap
    sets ``used_at``)."""
    __tablename__ = 'console_auth_tokens'
    __table_args__ = (UniqueConstraint('token_hash',
                                       name='uniq_console_auth_tokens0token_hash'),
                      Index('ix_console_auth_tokens_instance_uuid', 'instance_uuid'),
                      Index('ix_console_auth_tokens_expires', 'expires'))

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    console_type: Mapped[str] = mapped_column(String(32))
    instance_uuid: Mapped[str] = mapped_column(String(36))
    project_id: Mapped[str] = mapped_column(String(255))
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column()
    compute_host: Mapped[str | None] = mapped_column(String(255), nullable=True)
    access_url_base: Mapped[str | None] = mapped_column(String(255), nullable=True)
    created_at: Mapped[datetime.datetime] = mapped_column(DateTime)
    expires: Mapped[datetime.datetime] = mapped_column(DateTime)
    used_at: Mapped[datetime.datetime | None] = mapped_column(DateTime, nullable=True)


class Migration(Base, TimestampMixin, SoftDeleteMixin):
    """A move of a server between hosts (Nova's ``migrations`` table): a cold
    migration (``migration``), a resize (``resize``) or an evacuation
    (``evacuation``), from ``source_compute`` to ``dest_compute``, with its
    ``status`` (written by compare-and-swap, :mod:`iaas.db.server_migrations`)."""
    __tablename__ = 'migrations'
    __table_args__ = (Index('ix_migrations_instance_uuid', 'instance_uuid'),
                      Index('ix_migrations_source_compute_status', 'source_compute',
                            'status'))

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    instance_uuid: Mapped[str] = mapped_column(String(36))
    project_id: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[str | None] = mapped_column(String(255))
    migration_type: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(32))
    source_compute: Mapped[str | None] = mapped_column(String(255))
    source_node: Mapped[str | None] = mapped_column(String(255))
    dest_compute: Mapped[str | None] = mapped_column(String(255))
    dest_node: Mapped[str | None] = mapped_column(String(255))
    old_flavor_id: Mapped[int | None] = mapped_column()
    new_flavor_id: Mapped[int | None] = mapped_column()
