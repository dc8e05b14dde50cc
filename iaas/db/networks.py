"""Queries of the network service: networks, subnets, ports and their fixed
IPs, floating IPs, security groups and rules, and the per-host view
iaas-network rebuilds its state from.

Every function takes and returns plain dicts with Neutron's field names
(``id`` is the uuid). ``project_id=None`` means "any project" (admin).
What a subnet or port may be and which address is handed out is decided by
:mod:`iaas.network.ipam` (pure functions) on the rows loaded here. Address
allocation relies on the unique (network, address) constraints: a
candidate is inserted and a collision with a concurrent allocation retries
the whole transaction, so no address is ever handed out twice.
"""
import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from iaas.db.base import utcnow
from iaas.db.engine import transaction
from iaas.db.network_models import (
    FixedIP,
    FloatingIP,
    Network,
    Port,
    PortSecurityGroup,
    SecurityGroup,
    Subnet,
)
from iaas.exception import (  # noqa: F401
    Conflict,
    Invalid,
    NetworkError,
    NotFound,
    SecurityGroupNotFound,
)
from iaas.network import ipam

RETRIES = 60


def _visible(q, model, project_id, shared_ok=False):
    if project_id is None:
        return q
    cond = model.project_id == project_id
    if shared_ok:
        cond = sa.or_(cond, model.shared.is_(True), model.external.is_(True))
    return q.where(cond)


def _iso(dt):
    return dt.strftime('%Y-%m-%dT%H:%M:%SZ') if dt else None


# -- networks -------------------------------------------------------------------
def _net_dict(s, n):
    subnets = s.scalars(sa.select(Subnet.uuid).where(Subnet.network_id == n.id)
                        .order_by(Subnet.id)).all()
    return {'id': n.uuid, 'name': n.name, 'description': n.description,
            'project_id': n.project_id, 'tenant_id': n.project_id, 'bridge': n.bridge,
            'segment_type': n.segment_type, 'segment_id': n.segment_id,
            'physical_interface': n.physical_interface, 'shared': n.shared,
            'external': n.external, 'admin_state_up': n.admin_state_up, 'mtu': n.mtu,
            'status': 'ACTIVE', 'subnets': list(subnets),
            'created_at': _iso(n.created_at), 'updated_at': _iso(n.updated_at or n.created_at)}


def _get_net(s, uuid, project_id=None, lock=False):
    q = _visible(sa.select(Network).where(Network.uuid == uuid), Network, project_id, True)
    if lock:
        q = q.with_for_update()
    n = s.scalars(q).first()
    if n is None:
        raise NotFound('Network', uuid)
    return n


def network_create(name='', project_id=None, segment_type='flat', segment_id=None,
                   segment_range=(100, 4000), bridge=None, bridge_prefix='brq',
                   shared=False, external=False, physical_interface=None, mtu=1450,
                   admin_state_up=True, description=''):
    """Create a network. A vlan/vxlan network without ``segment_id`` gets the
    lowest free id of ``segment_range``; ``bridge`` defaults to
    ``bridge_prefix`` + the start of the network id."""
    if segment_type not in ('flat', 'vlan', 'vxlan'):
        raise Invalid(f'Invalid network type {segment_type}.', 'InvalidInput')
    for _ in range(RETRIES):
        try:
            with transaction() as s:
                seg = segment_id
                if segment_type != 'flat' and seg is None:
                    used = set(s.scalars(sa.select(Network.segment_id).where(
                        Network.segment_type == segment_type)))
                    lo, hi = segment_range
                    seg = next((i for i in range(lo, hi + 1) if i not in used), None)
                    if seg is None:
                        raise Conflict('Unable to create the network. No tenant network '
                                       'is available for allocation.', 'NoNetworkAvailable')
                n = Network(name=name or '', project_id=project_id, segment_type=segment_type,
                            segment_id=seg, shared=bool(shared), external=bool(external),
                            physical_interface=physical_interface, mtu=mtu,
                            admin_state_up=admin_state_up, description=description or '')
                s.add(n)
                s.flush()
                n.bridge = bridge or (bridge_prefix + n.uuid.replace('-', ''))[:15]
                s.flush()
                return _net_dict(s, n)
        except IntegrityError:
            if segment_id is not None:
                raise Conflict(f'Unable to create the network. The {segment_type} segment '
                               f'{segment_id} is in use.', 'SegmentInUse') from None
    raise Conflict('Unable to create the network: too much contention.')


def network_get(uuid, project_id=None):
    with transaction() as s:
        return _net_dict(s, _get_net(s, uuid, project_id))


def network_list(project_id=None, **filters):
    with transaction() as s:
        q = _visible(sa.select(Network), Network, project_id, True).order_by(Network.id)
        for k, v in filters.items():
            if v is not None:
                q = q.where(getattr(Network, {'id': 'uuid'}.get(k, k)) == v)
        return [_net_dict(s, n) for n in s.scalars(q)]


def network_usable_exists(project_id=None):
    """Whether ``project_id`` sees a network a server can be plugged into
    (its own or a shared one, not an external one): one query, however many
    networks there are (a boot with ``networks: auto``)."""
    with transaction() as s:
        q = _visible(sa.select(Network.id), Network, project_id, True).where(
            Network.external.is_(False)).limit(1)
        return s.scalar(q) is not None


def network_update(uuid, project_id=None, **values):
    with transaction() as s:
        n = _get_net(s, uuid, project_id)
        if project_id is not None and n.project_id != project_id:
            raise NotFound('Network', uuid)
        for k, v in values.items():
            setattr(n, k, v)
        s.flush()
        return _net_dict(s, n)


def network_delete(uuid, project_id=None):
    """Delete a network without instance ports (its own DHCP/router ports go)."""
    with transaction() as s:
        n = _get_net(s, uuid, project_id)
        if project_id is not None and n.project_id != project_id:
            raise NotFound('Network', uuid)
        # only DHCP ports go with the network (Neutron); router ports keep it in use
        busy = s.scalars(sa.select(Port.uuid).where(
            Port.network_id == n.id, Port.device_owner != 'network:dhcp')).first()
        if busy or s.scalars(sa.select(FloatingIP.id).where(
                FloatingIP.floating_network_id == n.id)).first():
            raise Conflict(f'Unable to complete operation on network {uuid}. There are one '
                           'or more ports still in use on the network.', 'NetworkInUse')
        s.execute(sa.delete(FixedIP).where(FixedIP.network_id == n.id))
        s.execute(sa.delete(Port).where(Port.network_id == n.id))
        s.execute(sa.delete(Subnet).where(Subnet.network_id == n.id))
        s.delete(n)


# -- subnets --------------------------------------------------------------------
def _subnet_dict(s, sn, net_uuid=None):
    if net_uuid is None:
        net_uuid = s.scalar(sa.select(Network.uuid).where(Network.id == sn.network_id))
    return {'id': sn.uuid, 'name': sn.name, 'description': sn.description,
            'network_id': net_uuid, 'project_id': sn.project_id, 'tenant_id': sn.project_id,
            'ip_version': sn.ip_version, 'cidr': sn.cidr, 'gateway_ip': sn.gateway_ip,
            'dns_nameservers': list(sn.dns_nameservers or []),
            'allocation_pools': list(sn.allocation_pools or []),
            'host_routes': list(sn.host_routes or []), 'enable_dhcp': sn.enable_dhcp,
            'ipv6_ra_mode': None, 'ipv6_address_mode': None, 'subnetpool_id': None,
            'service_types': [], 'tags': [], 'revision_number': 1,
            'created_at': _iso(sn.created_at), 'updated_at': _iso(sn.updated_at or sn.created_at)}


def subnet_create(network_uuid, cidr, project_id=None, name='', gateway_ip='auto',
                  allocation_pools=None, dns_nameservers=(), enable_dhcp=True,
                  host_routes=(), description='', ip_version=None, owner_check=True):
    """``gateway_ip``: 'auto' = the first host address, None = no gateway
    (checked by :func:`iaas.network.ipam.new_subnet`)."""
    net, checked = ipam.new_subnet(cidr, ip_version, gateway_ip, allocation_pools,
                                   dns_nameservers, host_routes)
    with transaction() as s:
        n = _get_net(s, network_uuid, project_id)
        if owner_check and project_id is not None and n.project_id != project_id \
                and not n.shared:
            raise NotFound('Network', network_uuid)
        ipam.check_no_overlap(net, s.scalars(sa.select(Subnet.cidr).where(
            Subnet.network_id == n.id)), network_uuid)
        sn = Subnet(network_id=n.id, project_id=project_id or n.project_id, name=name or '',
                    description=description or '', ip_version=net.version, cidr=str(net),
                    enable_dhcp=bool(enable_dhcp), **checked)
        s.add(sn)
        s.flush()
        return _subnet_dict(s, sn, n.uuid)


def _get_subnet(s, uuid, project_id=None):
    q = sa.select(Subnet).join(Network, Network.id == Subnet.network_id).where(
        Subnet.uuid == uuid)
    if project_id is not None:
        # an external network's subnets are not shown to other projects (Neutron)
        q = q.where(sa.or_(Subnet.project_id == project_id, Network.shared.is_(True)))
    sn = s.scalars(q).first()
    if sn is None:
        raise NotFound('Subnet', uuid)
    return sn


def subnet_get(uuid, project_id=None):
    with transaction() as s:
        return _subnet_dict(s, _get_subnet(s, uuid, project_id))


def subnet_list(project_id=None, network_id=None, **filters):
    with transaction() as s:
        q = sa.select(Subnet, Network.uuid).join(Network, Network.id == Subnet.network_id)
        if project_id is not None:
            q = q.where(sa.or_(Subnet.project_id == project_id, Network.shared.is_(True)))
        if network_id:
            q = q.where(Network.uuid == network_id)
        for k, v in filters.items():
            if v is not None:
                q = q.where(getattr(Subnet, {'id': 'uuid'}.get(k, k)) == v)
        return [_subnet_dict(s, sn, nu) for sn, nu in s.execute(q.order_by(Subnet.id))]


def subnet_update(uuid, project_id=None, **values):
    """Change a subnet's name, description, DHCP, gateway, name servers, host
    routes or pools (each checked as at create)."""
    with transaction() as s:
        sn = _get_subnet(s, uuid, project_id)
        if project_id is not None and sn.project_id != project_id:
            raise NotFound('Subnet', uuid)
        for k, v in ipam.subnet_changes(sn.cidr, values).items():
            setattr(sn, k, v)
        s.flush()
        return _subnet_dict(s, sn)


def subnet_delete(uuid, project_id=None):
    with transaction() as s:
        sn = _get_subnet(s, uuid, project_id)
        if project_id is not None and sn.project_id != project_id:
            raise NotFound('Subnet', uuid)
        used = s.scalars(sa.select(FixedIP.id).join(Port, Port.id == FixedIP.port_id).where(
            FixedIP.subnet_id == sn.id, Port.device_owner != 'network:dhcp')).first()
        if used:
            raise Conflict(f'Unable to complete operation on subnet {uuid}: One or more '
                           'ports have an IP allocation from this subnet.', 'SubnetInUse')
        s.execute(sa.delete(FixedIP).where(FixedIP.subnet_id == sn.id))
        s.delete(sn)


# -- fixed IPs ------------------------------------------------------------------
def purge_released(grace=None):
    """Forget released fixed IPs whose grace period is over; returns how many."""
    grace = ipam.release_grace() if grace is None else grace
    cutoff = utcnow() - datetime.timedelta(seconds=grace)
    with transaction() as s:
        return s.execute(sa.delete(FixedIP).where(
            FixedIP.port_id.is_(None), FixedIP.released_at.is_not(None),
            FixedIP.released_at <= cutoff)).rowcount


def _allocate_ip(s, net_id, subnets, port_id, wanted):
    """Insert one fixed IP row for ``port_id``: ``wanted`` = {subnet_id?,
    ip_address?}; the address is :func:`iaas.network.ipam.choose_address`'s."""
    def is_used(address):
        return s.scalars(sa.select(FixedIP.id).where(FixedIP.network_id == net_id,
                                                     FixedIP.address == address)).first() \
            is not None

    def used_addresses():
        return set(s.scalars(sa.select(FixedIP.address).where(FixedIP.network_id == net_id)))

    sn, address = ipam.choose_address(subnets, wanted, is_used, used_addresses)
    s.add(FixedIP(network_id=net_id, subnet_id=sn.id, port_id=port_id, address=address))


# -- ports ----------------------------------------------------------------------
def _port_dict(s, p, net_uuid=None):
    if net_uuid is None:
        net_uuid = s.scalar(sa.select(Network.uuid).where(Network.id == p.network_id))
    ips = s.execute(sa.select(FixedIP.address, Subnet.uuid).join(
        Subnet, Subnet.id == FixedIP.subnet_id).where(FixedIP.port_id == p.id)
        .order_by(FixedIP.id)).all()
    groups = s.scalars(sa.select(SecurityGroup.uuid).join(
        PortSecurityGroup, PortSecurityGroup.security_group_id == SecurityGroup.id).where(
        PortSecurityGroup.port_id == p.id).order_by(PortSecurityGroup.id)).all()
    return {'id': p.uuid, 'name': p.name, 'description': p.description,
            'network_id': net_uuid, 'project_id': p.project_id, 'tenant_id': p.project_id,
            'mac_address': p.mac_address,
            'fixed_ips': [{'subnet_id': su, 'ip_address': a} for a, su in ips],
            'device_id': p.device_id, 'device_owner': p.device_owner,
            'binding:host_id': p.binding_host or '', 'admin_state_up': p.admin_state_up,
            'status': p.status, 'security_groups': list(groups),
            'port_security_enabled': p.port_security_enabled,
            'allowed_address_pairs': [dict(x) for x in p.allowed_address_pairs or []],
            'created_at': _iso(p.created_at), 'updated_at': _iso(p.updated_at or p.created_at)}


def _set_groups(s, port, group_uuids):
    """Make ``group_uuids`` the port's groups. Each must be a group of the
    port's own project (as Neutron: another project's group "does not
    exist"), looked up in one query."""
    wanted = list(dict.fromkeys(group_uuids))
    found = {}
    if wanted:
        found = dict(s.execute(sa.select(SecurityGroup.uuid, SecurityGroup.id).where(
            SecurityGroup.uuid.in_(wanted), SecurityGroup.project_id == port.project_id)).all())
    missing = [g for g in wanted if g not in found]
    if missing:
        raise SecurityGroupNotFound(', '.join(missing))
    s.execute(sa.delete(PortSecurityGroup).where(PortSecurityGroup.port_id == port.id))
    for gu in wanted:
        s.add(PortSecurityGroup(port_id=port.id, security_group_id=found[gu]))


def port_create(network_uuid, project_id=None, fixed_ips=None, mac_address=None,
                device_id='', device_owner='', binding_host=None, security_groups=None,
                name='', admin_state_up=True, description='', owner_project=None,
                allowed_address_pairs=None):
    """Create a port with its fixed IPs (default: one from the first subnet with
    free addresses). ``security_groups`` None = the project's default group.
    ``project_id`` limits which networks are visible (None: admin);
    ``owner_project`` (default ``project_id``) owns the port."""
    ipam.check_fixed_ips_count(fixed_ips)
    purge_released()
    owner = owner_project or project_id
    if security_groups is None and owner and not device_owner.startswith('network:'):
        security_groups = [_security.ensure_default_group(owner)['id']]
    for attempt in range(RETRIES):
        try:
            with transaction() as s:
                n = _get_net(s, network_uuid, project_id)
                if project_id is not None and n.project_id != project_id and not n.shared:
                    raise NotFound('Network', network_uuid)
                subnets = list(s.scalars(sa.select(Subnet).where(
                    Subnet.network_id == n.id).order_by(Subnet.id)))
                p = Port(network_id=n.id, project_id=owner or n.project_id,
                         mac_address=mac_address or ipam.random_mac(), device_id=device_id or '',
                         device_owner=device_owner or '', binding_host=binding_host,
                         name=name or '', admin_state_up=admin_state_up,
                         description=description or '')
                p.allowed_address_pairs = ipam.address_pairs(allowed_address_pairs,
                                                              p.mac_address)
                s.add(p)
                s.flush()
                wanted = fixed_ips if fixed_ips is not None else ([{}] if subnets else [])
                for w in wanted:
                    _allocate_ip(s, n.id, subnets, p.id, w)
                s.flush()
                _set_groups(s, p, security_groups or [])
                s.flush()
                return _port_dict(s, p, n.uuid)
        except IntegrityError:
            if mac_address and attempt > 2:
                raise Conflict(f'Unable to complete operation for network {network_uuid}. '
                               f'The mac address {mac_address} is in use.',
                               'MacAddressInUse') from None
    raise Conflict('No more IP addresses available on network.', 'IpAddressGenerationFailure')


def _get_port(s, uuid, project_id=None):
    q = sa.select(Port).where(Port.uuid == uuid)
    if project_id is not None:
        q = q.where(Port.project_id == project_id)
    p = s.scalars(q).first()
    if p is None:
        raise NotFound('Port', uuid)
    return p


def port_get(uuid, project_id=None):
    with transaction() as s:
        return _port_dict(s, _get_port(s, uuid, project_id))


def port_list(project_id=None, network_id=None, fixed_ip=None, **filters):
    with transaction() as s:
        q = sa.select(Port, Network.uuid).join(Network, Network.id == Port.network_id)
        if project_id is not None:
            q = q.where(Port.project_id == project_id)
        if network_id:
            q = q.where(Network.uuid == network_id)
        if fixed_ip:
            q = q.where(Port.id.in_(sa.select(FixedIP.port_id).where(
                FixedIP.address == fixed_ip)))
        for k, v in filters.items():
            if v is not None:
                col = {'id': 'uuid', 'binding:host_id': 'binding_host'}.get(k, k)
                q = q.where(getattr(Port, col) == v)
        return [_port_dict(s, p, nu) for p, nu in s.execute(q.order_by(Port.id))]


def port_update(uuid, project_id=None, security_groups=None, fixed_ips=None, **values):
    """Change a port; ``fixed_ips`` (a list) replaces its addresses: an entry
    naming an address it holds, or only a subnet it has an address on, keeps
    that address; others are allocated; the rest are released."""
    ipam.check_fixed_ips_count(fixed_ips)
    if fixed_ips is not None:
        purge_released()
    for attempt in range(RETRIES):
        try:
            with transaction() as s:
                p = _get_port(s, uuid, project_id)
                for k, v in values.items():
                    if k == 'allowed_address_pairs':
                        v = ipam.address_pairs(v, p.mac_address)
                    setattr(p, {'binding:host_id': 'binding_host'}.get(k, k), v)
                if security_groups is not None:
                    _set_groups(s, p, security_groups)
                if fixed_ips is not None:
                    _replace_fixed_ips(s, p, fixed_ips)
                s.flush()
                return _port_dict(s, p)
        except IntegrityError:
            if attempt > 2 and any(x.get('ip_address') for x in fixed_ips or ()):
                raise Conflict('Unable to complete operation for network. An IP address '
                               'asked for is in use.', 'IpAddressInUse') from None
    raise Conflict('No more IP addresses available on network.', 'IpAddressGenerationFailure')


def _replace_fixed_ips(s, p, wanted):
    subnets = list(s.scalars(sa.select(Subnet).where(
        Subnet.network_id == p.network_id).order_by(Subnet.id)))
    by_id = {x.id: x.uuid for x in subnets}
    held = list(s.scalars(sa.select(FixedIP).where(FixedIP.port_id == p.id)
                          .order_by(FixedIP.id)))
    keep, new = ipam.keep_fixed_ips(held, wanted, by_id)
    now = utcnow()
    for f in held:
        if f.id not in keep:
            f.port_id, f.released_at, f.leased = None, now, False
            s.execute(sa.update(FloatingIP).where(
                FloatingIP.port_id == p.id, FloatingIP.fixed_ip_address == f.address)
                .values(port_id=None, fixed_ip_address=None))
    s.flush()
    for w in new:
        _allocate_ip(s, p.network_id, subnets, p.id, w)
    s.flush()


def _release_port(s, p):
    s.execute(sa.update(FixedIP).where(FixedIP.port_id == p.id).values(
        port_id=None, released_at=utcnow(), leased=False))
    s.execute(sa.update(FloatingIP).where(FloatingIP.port_id == p.id).values(
        port_id=None, fixed_ip_address=None))
    s.delete(p)


def port_delete(uuid, project_id=None):
    """Delete a port; its fixed IPs are released (kept out of use for the grace
    period) and its floating IPs disassociated."""
    with transaction() as s:
        _release_port(s, _get_port(s, uuid, project_id))


def ports_delete_for_device(device_id):
    """Delete every port of a device (instance uuid); returns their dicts."""
    with transaction() as s:
        ports = list(s.scalars(sa.select(Port).where(Port.device_id == device_id)))
        out = [_port_dict(s, p) for p in ports]
        for p in ports:
            _release_port(s, p)
        return out


def fixed_ips_set_leased(network_uuid, addresses):
    """Mark exactly ``addresses`` of the network as leased (from dnsmasq's
    lease file); returns how many rows changed."""
    addresses = list(addresses)
    with transaction() as s:
        nid = s.scalar(sa.select(Network.id).where(Network.uuid == network_uuid))
        n = s.execute(sa.update(FixedIP).where(
            FixedIP.network_id == nid, FixedIP.leased.is_(True),
            FixedIP.address.not_in(addresses) if addresses else sa.true())
            .values(leased=False)).rowcount
        if addresses:
            n += s.execute(sa.update(FixedIP).where(
                FixedIP.network_id == nid, FixedIP.leased.is_(False),
                FixedIP.address.in_(addresses)).values(leased=True)).rowcount
        return n


def fixed_ip_leased(network_uuid):
    """Addresses of the network marked leased."""
    with transaction() as s:
        return sorted(s.scalars(sa.select(FixedIP.address).join(
            Network, Network.id == FixedIP.network_id).where(
            Network.uuid == network_uuid, FixedIP.leased.is_(True))))


def fixed_ip_lookup(address, network_id=None):
    """The port holding fixed IP ``address`` on network ``network_id`` (for
    the metadata server): {'port_id', 'device_id', 'network_id',
    'project_id'} or None. Without ``network_id`` the address alone must name
    one port: when ports of two networks share it (overlapping subnets of
    two projects) nothing is returned rather than a guess."""
    with transaction() as s:
        q = (sa.select(Port.uuid, Port.device_id, Network.uuid, Port.project_id)
             .join(FixedIP, FixedIP.port_id == Port.id)
             .join(Network, Network.id == Port.network_id)
             .where(FixedIP.address == address, Network.external.is_(False)))
        if network_id is not None:
            q = q.where(Network.uuid == network_id)
        rows = s.execute(q.limit(2)).all()
        if len(rows) != 1:
            return None
        row = rows[0]
        return {'port_id': row[0], 'device_id': row[1], 'network_id': row[2],
                'project_id': row[3]}


# Security groups and floating IPs live in network_security.py, which
# imports this module; they are served from here too (one facade), resolved
# when first asked for so either module may be imported first.
from iaas.db import network_security as _security  # noqa: E402

_SECURITY_NAMES = frozenset({
    'addresses_by_device',
    'ensure_default_group',
    'floatingip_create',
    'floatingip_delete',
    'floatingip_get',
    'floatingip_list',
    'floatingip_update',
    'groups_by_device',
    'host_state',
    'rule_create',
    'rule_delete',
    'rule_get',
    'rule_list',
    'sg_create',
    'sg_delete',
    'sg_get',
    'sg_list',
    'sg_update',
})


def __getattr__(name):
    if name in _SECURITY_NAMES:
        return getattr(_security, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
