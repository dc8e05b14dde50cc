"""Network models: networks, subnets, ports, fixed IPs, floating IPs,
security groups and their rules.

Rows are hard-deleted (as Neutron does); uniqueness that must hold under
concurrency is a database constraint:

* ``fixed_ips`` (network_id, address): two allocations never get one address;
* ``floating_ips`` (floating_network_id, address): likewise for floating IPs;
* ``networks`` (segment_type, segment_id): one project network per segment;
* ``security_groups.default_for``: one default group per project.
"""
import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from iaas.db.base import Base, TimestampMixin, uuid_column


class Network(Base, TimestampMixin):
    __tablename__ = 'networks'
    __table_args__ = (UniqueConstraint('segment_type', 'segment_id'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    name: Mapped[str] = mapped_column(String(255), default='')
    description: Mapped[str] = mapped_column(String(255), default='')
    project_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # Linux bridge carrying the network on every host.
    bridge: Mapped[str | None] = mapped_column(String(15))
    # flat | vlan | vxlan
    segment_type: Mapped[str] = mapped_column(String(16), default='flat')
    segment_id: Mapped[int | None] = mapped_column(Integer)
    # Physical interface a flat/vlan network is attached to (vlan parent).
    physical_interface: Mapped[str | None] = mapped_column(String(15))
    shared: Mapped[bool] = mapped_column(Boolean, default=False)
    external: Mapped[bool] = mapped_column(Boolean, default=False)
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    mtu: Mapped[int] = mapped_column(Integer, default=1450)


class Subnet(Base, TimestampMixin):
    __tablename__ = 'subnets'

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    network_id: Mapped[int] = mapped_column(ForeignKey('networks.id', ondelete='CASCADE'),
                                            index=True)
    name: Mapped[str] = mapped_column(String(255), default='')
    description: Mapped[str] = mapped_column(String(255), default='')
    project_id: Mapped[str | None] = mapped_column(String(255))
    ip_version: Mapped[int] = mapped_column(Integer, default=4)
    cidr: Mapped[str] = mapped_column(String(64))
    gateway_ip: Mapped[str | None] = mapped_column(String(64))
    dns_nameservers: Mapped[list] = mapped_column(JSON, default=list)
    # [{'start': ip, 'end': ip}, ...]
    allocation_pools: Mapped[list] = mapped_column(JSON, default=list)
    host_routes: Mapped[list] = mapped_column(JSON, default=list)
    enable_dhcp: Mapped[bool] = mapped_column(Boolean, default=True)


class Port(Base, TimestampMixin):
    __tablename__ = 'ports'

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    network_id: Mapped[int] = mapped_column(ForeignKey('networks.id', ondelete='CASCADE'),
                                            index=True)
    name: Mapped[str] = mapped_column(String(255), default='')
    description: Mapped[str] = mapped_column(String(255), default='')
    project_id: Mapped[str | None] = mapped_column(String(255), index=True)
    mac_address: Mapped[str] = mapped_column(String(32), unique=True)
    device_id: Mapped[str] = mapped_column(String(255), default='', index=True)
    device_owner: Mapped[str] = mapped_column(String(255), default='')
    binding_host: Mapped[str | None] = mapped_column(String(255))
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    status: Mapped[str] = mapped_column(String(16), default='DOWN')
    port_security_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Neutron's allowed_address_pairs: [{'ip_address': ip or cidr, 'mac_address'}]
    allowed_address_pairs: Mapped[list | None] = mapped_column(JSON)


class FixedIP(Base, TimestampMixin):
    """An address of a subnet: held by a port, or released (port_id NULL)
    and kept until ``released_at`` + the grace period has passed."""
    __tablename__ = 'fixed_ips'
    __table_args__ = (UniqueConstraint('network_id', 'address'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    network_id: Mapped[int] = mapped_column(ForeignKey('networks.id', ondelete='CASCADE'))
    subnet_id: Mapped[int] = mapped_column(ForeignKey('subnets.id', ondelete='CASCADE'),
                                           index=True)
    port_id: Mapped[int | None] = mapped_column(
        ForeignKey('ports.id', ondelete='SET NULL'), index=True)
    address: Mapped[str] = mapped_column(String(64))
    leased: Mapped[bool] = mapped_column(Boolean, default=False)
    released_at: Mapped[datetime.datetime | None] = mapped_column(DateTime)


class SecurityGroup(Base, TimestampMixin):
    __tablename__ = 'security_groups'

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(String(255), default='')
    project_id: Mapped[str | None] = mapped_column(String(255), index=True)
    # The project id for a project's default group, else NULL (unique).
    default_for: Mapped[str | None] = mapped_column(String(255), unique=True)
    stateful: Mapped[bool] = mapped_column(Boolean, default=True)


class SecurityGroupRule(Base, TimestampMixin):
    __tablename__ = 'security_group_rules'

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    security_group_id: Mapped[int] = mapped_column(
        ForeignKey('security_groups.id', ondelete='CASCADE'), index=True)
    project_id: Mapped[str | None] = mapped_column(String(255))
    direction: Mapped[str] = mapped_column(String(8))          # ingress | egress
    ethertype: Mapped[str] = mapped_column(String(8), default='IPv4')
    protocol: Mapped[str | None] = mapped_column(String(16))   # tcp, udp, icmp, None=any
    port_range_min: Mapped[int | None] = mapped_column(Integer)
    port_range_max: Mapped[int | None] = mapped_column(Integer)
    remote_ip_prefix: Mapped[str | None] = mapped_column(String(64))
    remote_group_uuid: Mapped[str | None] = mapped_column(String(36))
    description: Mapped[str] = mapped_column(String(255), default='')


class PortSecurityGroup(Base):
    __tablename__ = 'port_security_groups'
    __table_args__ = (UniqueConstraint('port_id', 'security_group_id'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    port_id: Mapped[int] = mapped_column(ForeignKey('ports.id', ondelete='CASCADE'),
                                         index=True)
    security_group_id: Mapped[int] = mapped_column(
        ForeignKey('security_groups.id', ondelete='CASCADE'), index=True)


class FloatingIP(Base, TimestampMixin):
    """An address of an external network (the pool), owned by a project and
    optionally associated with a port's fixed IP."""
    __tablename__ = 'floating_ips'
    __table_args__ = (UniqueConstraint('floating_network_id', 'address'),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    floating_network_id: Mapped[int] = mapped_column(
        ForeignKey('networks.id', ondelete='CASCADE'))
    address: Mapped[str] = mapped_column(String(64))
    project_id: Mapped[str | None] = mapped_column(String(255), index=True)
    port_id: Mapped[int | None] = mapped_column(
        ForeignKey('ports.id', ondelete='SET NULL'), index=True)
    fixed_ip_address: Mapped[str | None] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(255), default='')
    # The network host that applies the NAT (None: any / the default one).
    host: Mapped[str | None] = mapped_column(String(255))
    extra: Mapped[str | None] = mapped_column(Text)


class Router(Base, TimestampMixin):
    """A project's router: its interfaces are ports (device_id = the router's
    uuid, device_owner ``network:router_interface``), its gateway a port on
    an external network (``network:router_gateway``, owned by the external
    network's project)."""
    __tablename__ = 'routers'

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = uuid_column(unique=True)
    name: Mapped[str] = mapped_column(String(255), default='')
    description: Mapped[str] = mapped_column(String(255), default='')
    project_id: Mapped[str | None] = mapped_column(String(255), index=True)
    admin_state_up: Mapped[bool] = mapped_column(Boolean, default=True)
    gateway_network_id: Mapped[int | None] = mapped_column(
        ForeignKey('networks.id', ondelete='SET NULL'), index=True)
    enable_snat: Mapped[bool] = mapped_column(Boolean, default=True)
    # extra routes: [{'destination': cidr, 'nexthop': ip}, ...]
    routes: Mapped[list] = mapped_column(JSON, default=list)
