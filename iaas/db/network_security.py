"""Security groups and rules, floating IPs, and the per-host view of the
network service. Re-exported by :mod:`iaas.db.networks` (the facade)."""
import ipaddress

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from iaas.db import networks as nb
from iaas.db import routers
from iaas.db.engine import transaction
from iaas.db.models import Instance
from iaas.db.network_models import (
    FixedIP,
    FloatingIP,
    Network,
    Port,
    PortSecurityGroup,
    SecurityGroup,
    SecurityGroupRule,
    Subnet,
)
from iaas.exception import ExternalGatewayNotFound  # noqa: F401
from iaas.network import ipam

# A rule's protocol as stored (as given) → the kind its ports are checked and
# filtered by (iaas.network.firewall maps names to numbers the same way).
PROTOCOLS = {'tcp': 'tcp', 'udp': 'udp', 'icmp': 'icmp', '6': 'tcp', '17': 'udp',
             '1': 'icmp', 'ipv6-icmp': 'ipv6-icmp', 'icmpv6': 'ipv6-icmp', '58': 'ipv6-icmp',
             'dccp': 'dccp', '33': 'dccp', 'sctp': 'sctp', '132': 'sctp',
             'udplite': 'udplite', '136': 'udplite', 'gre': 'gre', '47': 'gre',
             'esp': 'esp', '50': 'esp', 'ah': 'ah', '51': 'ah', 'igmp': 'igmp', '2': 'igmp',
             'ospf': 'ospf', '89': 'ospf', 'vrrp': 'vrrp', '112': 'vrrp', 'pgm': 'pgm',
             '113': 'pgm', 'rsvp': 'rsvp', '46': 'rsvp', 'egp': 'egp', '8': 'egp',
             'encap': 'encap', '98': 'encap', 'ipip': 'ipip', '4': 'ipip',
             'ipv6-encap': 'ipv6-encap', '41': 'ipv6-encap',
             'ipv6-frag': 'ipv6-frag', '44': 'ipv6-frag', 'ipv6-nonxt': 'ipv6-nonxt',
             '59': 'ipv6-nonxt', 'ipv6-opts': 'ipv6-opts', '60': 'ipv6-opts',
             'ipv6-route': 'ipv6-route', '43': 'ipv6-route'}


# -- security groups --------------------------------------------------------------
def _rule_dict(r, sg_uuid):
    return {'id': r.uuid, 'security_group_id': sg_uuid, 'project_id': r.project_id,
            'tenant_id': r.project_id, 'direction': r.direction, 'ethertype': r.ethertype,
            'protocol': r.protocol, 'port_range_min': r.port_range_min,
            'port_range_max': r.port_range_max, 'remote_ip_prefix': r.remote_ip_prefix,
            'remote_group_id': r.remote_group_uuid, 'remote_address_group_id': None,
            'description': r.description, 'normalized_cidr': r.remote_ip_prefix,
            'belongs_to_default_sg': None, 'tags': [], 'revision_number': 0,
            'created_at': nb._iso(r.created_at),
            'updated_at': nb._iso(r.updated_at or r.created_at)}


def _sg_dict(s, g):
    rules = s.scalars(sa.select(SecurityGroupRule).where(
        SecurityGroupRule.security_group_id == g.id).order_by(SecurityGroupRule.id))
    return {'id': g.uuid, 'name': g.name, 'description': g.description,
            'project_id': g.project_id, 'tenant_id': g.project_id, 'stateful': g.stateful,
            'shared': False, 'tags': [], 'revision_number': 1,
            'security_group_rules': [_rule_dict(r, g.uuid) for r in rules],
            'created_at': nb._iso(g.created_at),
            'updated_at': nb._iso(g.updated_at or g.created_at)}


def _egress_rules(g):
    return [SecurityGroupRule(security_group_id=g.id, project_id=g.project_id,
                              direction='egress', ethertype=e) for e in ('IPv4', 'IPv6')]


def ensure_default_group(project_id):
    """The project's 'default' group, made on first use: ingress only from
    members of the same group, all egress."""
    with transaction() as s:
        g = s.scalars(sa.select(SecurityGroup).where(
            SecurityGroup.default_for == project_id)).first()
        if g is not None:
            return _sg_dict(s, g)
    try:
        with transaction() as s:
            g = SecurityGroup(name='default', description='Default security group',
                              project_id=project_id, default_for=project_id)
            s.add(g)
            s.flush()
            for r in _egress_rules(g):
                s.add(r)
            for e in ('IPv4', 'IPv6'):
                s.add(SecurityGroupRule(security_group_id=g.id, project_id=project_id,
                                        direction='ingress', ethertype=e,
                                        remote_group_uuid=g.uuid))
            s.flush()
            return _sg_dict(s, g)
    except IntegrityError:       # made concurrently: take that one
        with transaction() as s:
            g = s.scalars(sa.select(SecurityGroup).where(
                SecurityGroup.default_for == project_id)).one()
            return _sg_dict(s, g)


def sg_create(name, project_id, description=''):
    with transaction() as s:
        g = SecurityGroup(name=name, project_id=project_id, description=description or '')
        s.add(g)
        s.flush()
        for r in _egress_rules(g):
            s.add(r)
        s.flush()
        return _sg_dict(s, g)


def _get_sg(s, uuid, project_id=None):
    q = sa.select(SecurityGroup).where(SecurityGroup.uuid == uuid)
    if project_id is not None:
        q = q.where(SecurityGroup.project_id == project_id)
    g = s.scalars(q).first()
    if g is None:
        raise nb.NotFound('Security group', uuid)
    return g


def sg_get(uuid, project_id=None):
    with transaction() as s:
        return _sg_dict(s, _get_sg(s, uuid, project_id))


def sg_list(project_id=None, **filters):
    with transaction() as s:
        q = sa.select(SecurityGroup).order_by(SecurityGroup.id)
        if project_id is not None:
            q = q.where(SecurityGroup.project_id == project_id)
        for k, v in filters.items():
            if v is not None:
                q = q.where(getattr(SecurityGroup, {'id': 'uuid'}.get(k, k)) == v)
        return [_sg_dict(s, g) for g in s.scalars(q)]


def sg_update(uuid, project_id=None, **values):
    with transaction() as s:
        g = _get_sg(s, uuid, project_id)
        if g.default_for and values.get('name', 'default') != 'default':
            raise nb.Conflict('Updating default security group not allowed.',
                              'SecurityGroupCannotUpdateDefault')
        for k, v in values.items():
            setattr(g, k, v)
        s.flush()
        return _sg_dict(s, g)


def sg_delete(uuid, project_id=None):
    with transaction() as s:
        g = _get_sg(s, uuid, project_id)
        if g.default_for and project_id is not None:
            raise nb.Conflict('Removing default security group not allowed.',
                              'SecurityGroupCannotRemoveDefault')
        if s.scalars(sa.select(PortSecurityGroup.id).where(
                PortSecurityGroup.security_group_id == g.id)).first():
            raise nb.Conflict(f'Security Group {uuid} in use.', 'SecurityGroupInUse')
        s.delete(g)


def rule_create(security_group_id, direction, project_id=None, ethertype='IPv4',
                protocol=None, port_range_min=None, port_range_max=None,
                remote_ip_prefix=None, remote_group_id=None, description=''):
    if direction not in ('ingress', 'egress'):
        raise nb.Invalid(f'Invalid direction {direction}.', 'InvalidInput')
    if ethertype not in ('IPv4', 'IPv6'):
        raise nb.Invalid(f'Invalid ethertype {ethertype}.', 'InvalidInput')
    if protocol in ('any', ''):
        protocol = None
    kind = None
    if protocol is not None:
        # stored as given (a name lower-cased, or a number): Neutron echoes "17"
        protocol = str(protocol).lower()
        kind = PROTOCOLS.get(protocol)
        if kind is None:
            if not protocol.isdigit() or int(protocol) > 255:
                raise nb.Invalid(f'Security group rule protocol {protocol} not supported. '
                                 'Only protocol values [None, tcp, udp, icmp, ipv6-icmp] '
                                 'and integer representations [0 to 255] are supported.',
                                 'SecurityGroupRuleInvalidProtocol')
            kind = protocol
    if remote_ip_prefix and remote_group_id:
        raise nb.Invalid('Only remote_ip_prefix or remote_group_id may be provided.',
                         'SecurityGroupRemoteGroupAndRemoteIpPrefix')
    if remote_ip_prefix:
        try:
            net = ipaddress.ip_network(remote_ip_prefix, strict=False)
        except ValueError:
            raise nb.Invalid(f'Invalid remote_ip_prefix {remote_ip_prefix}.',
                             'InvalidInput') from None
        if (net.version == 4) != (ethertype == 'IPv4'):
            raise nb.Invalid('Conflicting value ethertype for remote_ip_prefix.',
                             'SecurityGroupRuleParameterConflict')
        remote_ip_prefix = str(net)
    _check_ports(kind, port_range_min, port_range_max)
    with transaction() as s:
        g = _get_sg(s, security_group_id, project_id)
        if remote_group_id:
            _get_sg(s, remote_group_id, project_id)
        vals = dict(direction=direction, ethertype=ethertype, protocol=protocol,
                    port_range_min=port_range_min, port_range_max=port_range_max,
                    remote_ip_prefix=remote_ip_prefix, remote_group_uuid=remote_group_id)
        for r in s.scalars(sa.select(SecurityGroupRule).where(
                SecurityGroupRule.security_group_id == g.id)):
            if all(getattr(r, k) == v for k, v in vals.items() if k != 'protocol') and \
                    PROTOCOLS.get(r.protocol, r.protocol) == kind:
                raise nb.Conflict(f'Security group rule already exists. Rule id is '
                                  f'{r.uuid}.', 'SecurityGroupRuleExists')
        r = SecurityGroupRule(security_group_id=g.id, project_id=g.project_id,
                              description=description or '', **vals)
        s.add(r)
        s.flush()
        return _rule_dict(r, g.uuid)


def _check_ports(kind, lo, hi):
    """Neutron's checks of a rule's port range (TCP/UDP ports or ICMP type
    and code) with its error types and texts."""
    for v in (lo, hi):
        if v is not None and not 0 <= int(v) <= 65535:
            raise nb.Invalid(f'Invalid value for port {v}', 'SecurityGroupInvalidPortValue')
    if kind in ('tcp', 'udp', 'dccp', 'sctp', 'udplite'):
        if lo == 0 or hi == 0:
            raise nb.Invalid('Invalid value for port 0', 'SecurityGroupInvalidPortValue')
        if (lo is not None or hi is not None) and (
                lo is None or hi is None or int(lo) > int(hi)):
            raise nb.Invalid('For TCP/UDP protocols, port_range_min must be <= '
                             'port_range_max', 'SecurityGroupInvalidPortRange')
    elif kind in ('icmp', 'ipv6-icmp'):
        for v, field, attr in ((lo, 'type', 'port_range_min'), (hi, 'code', 'port_range_max')):
            if v is not None and not 0 <= int(v) <= 255:
                raise nb.Invalid(f'Invalid value for ICMP {field} ({attr}) {v}. It must be 0 '
                                 'to 255.', 'SecurityGroupInvalidIcmpValue')
        if lo is None and hi is not None:
            raise nb.Invalid(f'ICMP code (port-range-max) {hi} is provided but ICMP type '
                             '(port-range-min) is missing.', 'SecurityGroupMissingIcmpType')
    elif kind is None and (lo is not None or hi is not None):
        raise nb.Invalid('Must also specify protocol if port range is given.',
                         'SecurityGroupProtocolRequiredWithPorts')
    elif kind is not None and (lo is not None or hi is not None):
        raise nb.Invalid(f'Port range is not supported for protocol {kind}.',
                         'SecurityGroupInvalidProtocolForPortRange')


def _get_rule(s, uuid, project_id=None):
    q = sa.select(SecurityGroupRule, SecurityGroup.uuid).join(
        SecurityGroup, SecurityGroup.id == SecurityGroupRule.security_group_id).where(
        SecurityGroupRule.uuid == uuid)
    if project_id is not None:
        q = q.where(SecurityGroup.project_id == project_id)
    row = s.execute(q).first()
    if row is None:
        raise nb.NotFound('Security group rule', uuid)
    return row


def rule_get(uuid, project_id=None):
    with transaction() as s:
        r, gu = _get_rule(s, uuid, project_id)
        return _rule_dict(r, gu)


def rule_list(project_id=None, security_group_id=None, **filters):
    with transaction() as s:
        q = sa.select(SecurityGroupRule, SecurityGroup.uuid).join(
            SecurityGroup, SecurityGroup.id == SecurityGroupRule.security_group_id)
        if project_id is not None:
            q = q.where(SecurityGroup.project_id == project_id)
        if security_group_id:
            q = q.where(SecurityGroup.uuid == security_group_id)
        for k, v in filters.items():
            if v is not None:
                q = q.where(getattr(SecurityGroupRule, {'id': 'uuid'}.get(k, k)) == v)
        return [_rule_dict(r, gu) for r, gu in s.execute(q.order_by(SecurityGroupRule.id))]


def rule_delete(uuid, project_id=None):
    with transaction() as s:
        r, _ = _get_rule(s, uuid, project_id)
        s.delete(r)


# -- floating IPs -----------------------------------------------------------------
def _fip_dict(s, f, net_uuid=None):
    if net_uuid is None:
        net_uuid = s.scalar(sa.select(Network.uuid).where(Network.id == f.floating_network_id))
    port_uuid = router = None
    if f.port_id:
        port_uuid = s.scalar(sa.select(Port.uuid).where(Port.id == f.port_id))
        router = routers.router_for(s, f.port_id, f.floating_network_id, f.fixed_ip_address)
    return {'id': f.uuid, 'floating_ip_address': f.address, 'floating_network_id': net_uuid,
            'project_id': f.project_id, 'tenant_id': f.project_id, 'port_id': port_uuid,
            'fixed_ip_address': f.fixed_ip_address, 'router_id': router,
            'status': 'ACTIVE' if port_uuid else 'DOWN', 'description': f.description,
            'dns_domain': '', 'dns_name': '', 'port_details': None, 'port_forwardings': [],
            'qos_policy_id': None, 'tags': [], 'revision_number': 0,
            'created_at': nb._iso(f.created_at),
            'updated_at': nb._iso(f.updated_at or f.created_at)}


def _associate(s, f, port_uuid, fixed_ip, project_id):
    if port_uuid is None:
        f.port_id, f.fixed_ip_address = None, None
        return
    p = nb._get_port(s, port_uuid, project_id)
    ips = list(s.scalars(sa.select(FixedIP.address).where(FixedIP.port_id == p.id)))
    v4 = [a for a in ips if ipaddress.ip_address(a).version == 4]
    if fixed_ip is None:
        if not v4:
            raise nb.Invalid(f'Port {port_uuid} does not have an IPv4 fixed IP.',
                             'BadRequest')
        fixed_ip = v4[0]
    elif fixed_ip not in ips:
        raise nb.Invalid(f'Port {port_uuid} does not have fixed ip {fixed_ip}.',
                         'BadRequest')
    if routers.router_for(s, p.id, f.floating_network_id, fixed_ip) is None:
        # Neutron: a floating IP needs a router between its network and the port's subnet
        ext = s.scalar(sa.select(Network.uuid).where(Network.id == f.floating_network_id))
        raise ExternalGatewayNotFound(
            f'External network {ext} is not reachable from the subnet of fixed IP '
            f'{fixed_ip}. Therefore, cannot associate Port {port_uuid} with a Floating IP.')
    taken = s.scalars(sa.select(FloatingIP.uuid).where(
        FloatingIP.port_id == p.id, FloatingIP.fixed_ip_address == fixed_ip,
        FloatingIP.id != f.id)).first()
    if taken:
        raise nb.Conflict(f'Cannot associate floating IP {f.address} ({f.uuid}) with port '
                          f'{port_uuid} using fixed IP {fixed_ip}, as that fixed IP already '
                          f'has a floating IP on external network.', 'FloatingIPSetupException')
    f.port_id, f.fixed_ip_address = p.id, fixed_ip


def floatingip_create(floating_network_id, project_id, floating_ip_address=None,
                      port_id=None, fixed_ip_address=None, description='', owner_check=True):
    """Allocate an address of an external network (the pool) to ``project_id``,
    optionally associated at once."""
    for _ in range(nb.RETRIES):
        try:
            with transaction() as s:
                n = nb._get_net(s, floating_network_id)
                if not n.external:
                    raise nb.Invalid(f'Network {floating_network_id} is not a valid external '
                                     'network', 'BadRequest')
                subnets = list(s.scalars(sa.select(Subnet).where(
                    Subnet.network_id == n.id).order_by(Subnet.id)))
                used = set(s.scalars(sa.select(FloatingIP.address).where(
                    FloatingIP.floating_network_id == n.id)))
                used |= set(s.scalars(sa.select(FixedIP.address).where(
                    FixedIP.network_id == n.id)))
                addr = ipam.choose_floating_address(subnets, used, floating_network_id,
                                                    floating_ip_address)
                f = FloatingIP(floating_network_id=n.id, address=addr, project_id=project_id,
                               description=description or '')
                s.add(f)
                s.flush()
                _associate(s, f, port_id, fixed_ip_address, project_id if owner_check
                           else None)
                s.flush()
                return _fip_dict(s, f, n.uuid)
        except IntegrityError:
            if floating_ip_address:
                raise nb.Conflict(f'The IP address {floating_ip_address} is in use.',
                                  'IpAddressInUse') from None
    raise nb.Conflict('No more IP addresses available.', 'IpAddressGenerationFailure')


def _get_fip(s, uuid, project_id=None):
    q = sa.select(FloatingIP).where(FloatingIP.uuid == uuid)
    if project_id is not None:
        q = q.where(FloatingIP.project_id == project_id)
    f = s.scalars(q.with_for_update()).first()
    if f is None:
        raise nb.NotFound('Floating IP', uuid)
    return f


def floatingip_get(uuid, project_id=None):
    with transaction() as s:
        return _fip_dict(s, _get_fip(s, uuid, project_id))


def floatingip_list(project_id=None, floating_ip_address=None, port_id=None, **filters):
    with transaction() as s:
        q = sa.select(FloatingIP).order_by(FloatingIP.id)
        if project_id is not None:
            q = q.where(FloatingIP.project_id == project_id)
        if floating_ip_address:
            q = q.where(FloatingIP.address == floating_ip_address)
        if port_id:
            q = q.where(FloatingIP.port_id.in_(sa.select(Port.id).where(Port.uuid == port_id)))
        for k, v in filters.items():
            if v is not None and k == 'floating_network_id':
                q = q.where(FloatingIP.floating_network_id.in_(
                    sa.select(Network.id).where(Network.uuid == v)))
            elif v is not None:
                q = q.where(getattr(FloatingIP, {'id': 'uuid'}.get(k, k)) == v)
        return [_fip_dict(s, f) for f in s.scalars(q)]


def floatingip_update(uuid, project_id=None, port_id=None, fixed_ip_address=None,
                      description=None):
    """Associate with ``port_id`` (None: disassociate); moving takes one update."""
    with transaction() as s:
        f = _get_fip(s, uuid, project_id)
        _associate(s, f, port_id, fixed_ip_address, project_id)
        if description is not None:
            f.description = description
        s.flush()
        return _fip_dict(s, f)


def floatingip_delete(uuid, project_id=None):
    with transaction() as s:
        s.delete(_get_fip(s, uuid, project_id))


# -- host view --------------------------------------------------------------------
def host_state(host=None):
    """Everything iaas-network applies on a host, from the DB alone:

    ``networks``: every non-external network with its subnets and all its
    ports (the manager picks those it serves);
    ``ports``: ports (bound to ``host`` if given) with ips, mac, groups;
    ``groups``: {uuid: {'rules': [...], 'members': [ips]}};
    ``floating_ips``: associated ones [{address, fixed_ip_address, port_id,
    network_id, host}].
    """
    with transaction() as s:
        nets = {n.id: n for n in s.scalars(sa.select(Network).where(
            Network.external.is_(False)).order_by(Network.id))}
        ext = {n.id: n for n in s.scalars(sa.select(Network).where(
            Network.external.is_(True)))}
        subnets = {}
        for sn in s.scalars(sa.select(Subnet).order_by(Subnet.id)):
            subnets.setdefault(sn.network_id, []).append(
                {'id': sn.uuid, 'cidr': sn.cidr, 'gateway_ip': sn.gateway_ip,
                 'dns_nameservers': list(sn.dns_nameservers or []),
                 'enable_dhcp': sn.enable_dhcp, 'allocation_pools': sn.allocation_pools})
        ips = {}
        for pid, addr in s.execute(sa.select(FixedIP.port_id, FixedIP.address).where(
                FixedIP.port_id.is_not(None)).order_by(FixedIP.id)):
            ips.setdefault(pid, []).append(addr)
        pgroups = {}
        for pid, gu in s.execute(sa.select(PortSecurityGroup.port_id, SecurityGroup.uuid)
                                 .join(SecurityGroup, SecurityGroup.id ==
                                       PortSecurityGroup.security_group_id)):
            pgroups.setdefault(pid, []).append(gu)
        ports, all_ports = [], {}
        for p in s.scalars(sa.select(Port).order_by(Port.id)):
            d = {'id': p.uuid, 'network_id': nets[p.network_id].uuid
                 if p.network_id in nets else None, 'mac_address': p.mac_address,
                 'ips': ips.get(p.id, []), 'device_id': p.device_id,
                 'device_owner': p.device_owner, 'host': p.binding_host,
                 'security_groups': pgroups.get(p.id, []),
                 'port_security_enabled': p.port_security_enabled,
                 'allowed_address_pairs': [dict(x) for x in p.allowed_address_pairs or []]}
            all_ports[p.id] = d
            if d['network_id'] and (host is None or p.binding_host == host):
                ports.append(d)
        groups = {}
        for g in s.scalars(sa.select(SecurityGroup)):
            rules = s.scalars(sa.select(SecurityGroupRule).where(
                SecurityGroupRule.security_group_id == g.id).order_by(SecurityGroupRule.id))
            groups[g.uuid] = {'rules': [_rule_dict(r, g.uuid) for r in rules], 'members': []}
        for d in all_ports.values():
            for gu in d['security_groups']:
                groups[gu]['members'].extend(d['ips'])
        networks = []
        for n in nets.values():
            networks.append({'id': n.uuid, 'name': n.name, 'bridge': n.bridge,
                             'segment_type': n.segment_type, 'segment_id': n.segment_id,
                             'physical_interface': n.physical_interface, 'mtu': n.mtu,
                             'project_id': n.project_id, 'subnets': subnets.get(n.id, []),
                             'ports': [d for d in all_ports.values()
                                       if d['network_id'] == n.uuid]})
        fips = []
        for f in s.scalars(sa.select(FloatingIP).where(FloatingIP.port_id.is_not(None))
                           .order_by(FloatingIP.id)):
            p = all_ports.get(f.port_id)
            fips.append({'id': f.uuid, 'address': f.address,
                         'fixed_ip_address': f.fixed_ip_address,
                         'port_id': p and p['id'], 'network_id': p and p['network_id'],
                         'host': p and p['host'],
                         'pool': ext[f.floating_network_id].uuid
                         if f.floating_network_id in ext else None})
        return {'networks': networks, 'ports': ports, 'groups': groups,
                'floating_ips': fips}


def _owned_by_device():
    """Condition (with instances outer-joined on the port's device_id): the
    device is no instance, or an instance of the port's own project. A port
    whose device_id names another project's server is not that server's (it
    never shows in its addresses or security groups)."""
    return sa.or_(Instance.id.is_(None), Instance.project_id == Port.project_id)


def addresses_by_device(device_ids):
    """{device_id: [(network name or uuid, mac, address, 'fixed'|'floating')]} for
    many instances in two queries (server lists)."""
    ids = list(device_ids)
    out = {d: [] for d in ids}
    if not ids:
        return out
    with transaction() as s:
        rows = s.execute(
            sa.select(Port.id, Port.device_id, Port.mac_address, Network.name, Network.uuid,
                      FixedIP.address)
            .join(Network, Network.id == Port.network_id)
            .join(FixedIP, FixedIP.port_id == Port.id)
            .outerjoin(Instance, Instance.uuid == Port.device_id)
            .where(Port.device_id.in_(ids), _owned_by_device())
            .order_by(Port.id, FixedIP.id)).all()
        port_ids = {r[0] for r in rows}
        floating = {}
        if port_ids:
            for port_id, address in s.execute(sa.select(FloatingIP.port_id, FloatingIP.address)
                                              .where(FloatingIP.port_id.in_(port_ids))):
                floating.setdefault(port_id, []).append(address)
        seen = set()
        for port_id, device, mac, name, net_uuid, address in rows:
            out[device].append((name or net_uuid, mac, address, 'fixed'))
            if port_id not in seen:
                seen.add(port_id)
                for fip in floating.get(port_id, ()):
                    out[device].append((name or net_uuid, mac, fip, 'floating'))
    return out


def groups_by_device(device_ids):
    """{device_id: sorted names of the security groups on its ports} for the
    devices (instances) that have ports: a server's ``security_groups``."""
    ids = list(device_ids)
    out = {}
    if not ids:
        return out
    with transaction() as s:
        rows = s.execute(
            sa.select(Port.device_id, SecurityGroup.name).distinct()
            .join(PortSecurityGroup, PortSecurityGroup.port_id == Port.id)
            .join(SecurityGroup, SecurityGroup.id == PortSecurityGroup.security_group_id)
            .outerjoin(Instance, Instance.uuid == Port.device_id)
            .where(Port.device_id.in_(ids), _owned_by_device())).all()
    for device, name in rows:
        out.setdefault(device, []).append(name)
    return {d: sorted(names) for d, names in out.items()}
