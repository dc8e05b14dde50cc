"""Queries of routers (Neutron's L3 API): a router row, its interface ports
on project subnets and its gateway port on an external network.

Interfaces are ordinary ports (``device_id`` = the router's uuid,
``device_owner`` ``network:router_interface``) holding the subnet's gateway
address (or the address of the port given); the gateway port
(``network:router_gateway``) belongs to the external network's project, so
the router's project does not see it among its ports (as in Neutron).
``project_id=None`` means any project (admin), as in :mod:`iaas.db.networks`.
"""
import ipaddress

import sqlalchemy as sa

from iaas.db import networks as nb
from iaas.db.engine import transaction
from iaas.db.network_models import FixedIP, FloatingIP, Network, Port, Router, Subnet
from iaas.exception import InterfaceNotFound  # noqa: F401
from iaas.network import ipam

INTERFACE = 'network:router_interface'
GATEWAY = 'network:router_gateway'


def _router_dict(s, r):
    gateway = None
    if r.gateway_network_id is not None:
        net_uuid = s.scalar(sa.select(Network.uuid).where(Network.id == r.gateway_network_id))
        ips = s.execute(sa.select(FixedIP.address, Subnet.uuid)
                        .join(Subnet, Subnet.id == FixedIP.subnet_id)
                        .join(Port, Port.id == FixedIP.port_id)
                        .where(Port.device_id == r.uuid, Port.device_owner == GATEWAY)
                        .order_by(FixedIP.id)).all()
        gateway = {'network_id': net_uuid, 'enable_snat': r.enable_snat,
                   'external_fixed_ips': [{'subnet_id': su, 'ip_address': a}
                                          for a, su in ips]}
    return {'id': r.uuid, 'name': r.name, 'description': r.description,
            'project_id': r.project_id, 'tenant_id': r.project_id,
            'admin_state_up': r.admin_state_up, 'status': 'ACTIVE',
            'external_gateway_info': gateway, 'routes': list(r.routes or []),
            'created_at': nb._iso(r.created_at),
            'updated_at': nb._iso(r.updated_at or r.created_at)}


def _get(s, uuid, project_id=None, lock=False):
    q = sa.select(Router).where(Router.uuid == uuid)
    if project_id is not None:
        q = q.where(Router.project_id == project_id)
    if lock:
        q = q.with_for_update()
    r = s.scalars(q).first()
    if r is None:
        raise nb.NotFound('Router', uuid)
    return r


def _external_net(s, network_uuid):
    n = s.scalars(sa.select(Network).where(Network.uuid == network_uuid)).first()
    if n is None:
        raise nb.NotFound('Network', network_uuid)
    if not n.external:
        raise nb.Invalid(f'Bad router request: Network {network_uuid} is not an external '
                         'network.', 'BadRequest')
    return n


def _interface_subnets(s, r):
    return list(s.scalars(sa.select(Subnet).join(FixedIP, FixedIP.subnet_id == Subnet.id)
                          .join(Port, Port.id == FixedIP.port_id)
                          .where(Port.device_id == r.uuid, Port.device_owner == INTERFACE)))


def _clear_gateway(s, r):
    if r.gateway_network_id is None:
        return
    subnets = [sn.cidr for sn in _interface_subnets(s, r)]
    if subnets:
        # floating IPs reach their ports through this gateway
        used = s.scalars(sa.select(FloatingIP.uuid).join(Port, Port.id == FloatingIP.port_id)
                         .join(FixedIP, FixedIP.port_id == Port.id)
                         .join(Subnet, Subnet.id == FixedIP.subnet_id)
                         .where(FloatingIP.floating_network_id == r.gateway_network_id,
                                Subnet.cidr.in_(subnets))).first()
        if used:
            raise nb.Conflict(f'Gateway cannot be updated for router {r.uuid}, since a '
                              'gateway to external network is required by one or more '
                              f'floating IPs (floating IP {used}).',
                              'RouterExternalGatewayInUseByFloatingIp')
    for p in s.scalars(sa.select(Port).where(Port.device_id == r.uuid,
                                             Port.device_owner == GATEWAY)):
        nb._release_port(s, p)
    r.gateway_network_id = None


def _set_gateway(s, r, info):
    """``info``: None/{} = no gateway, else {'network_id', 'enable_snat'?,
    'external_fixed_ips'?}."""
    if not info or not info.get('network_id'):
        _clear_gateway(s, r)
        return
    n = _external_net(s, info['network_id'])
    if 'enable_snat' in info and info['enable_snat'] is not None:
        r.enable_snat = bool(info['enable_snat'])
    if r.gateway_network_id == n.id and not info.get('external_fixed_ips'):
        return
    _clear_gateway(s, r)
    subnets = list(s.scalars(sa.select(Subnet).where(Subnet.network_id == n.id)
                             .order_by(Subnet.id)))
    if not subnets:
        raise nb.Invalid(f'Bad router request: No subnets on external network {n.uuid}.',
                         'BadRequest')
    p = Port(network_id=n.id, project_id=n.project_id or '', mac_address=ipam.random_mac(),
             device_id=r.uuid, device_owner=GATEWAY, status='ACTIVE',
             port_security_enabled=False)
    s.add(p)
    s.flush()
    for w in info.get('external_fixed_ips') or [{}]:
        nb._allocate_ip(s, n.id, subnets, p.id, w)
    r.gateway_network_id = n.id


def _check_routes(s, r, routes):
    return ipam.router_routes(routes, [sn.cidr for sn in _interface_subnets(s, r)])


def router_create(project_id, name='', description='', admin_state_up=True,
                  external_gateway_info=None):
    with transaction() as s:
        r = Router(project_id=project_id, name=name or '', description=description or '',
                   admin_state_up=admin_state_up, enable_snat=True, routes=[])
        s.add(r)
        s.flush()
        _set_gateway(s, r, external_gateway_info)
        s.flush()
        return _router_dict(s, r)


def router_get(uuid, project_id=None):
    with transaction() as s:
        return _router_dict(s, _get(s, uuid, project_id))


def router_list(project_id=None):
    with transaction() as s:
        q = sa.select(Router).order_by(Router.id)
        if project_id is not None:
            q = q.where(Router.project_id == project_id)
        return [_router_dict(s, r) for r in s.scalars(q)]


def router_update(uuid, project_id=None, external_gateway_info=(), routes=(), **values):
    """Change name, description, admin state, the gateway (``None``/{}
    removes it) or the extra routes (``None`` clears them)."""
    with transaction() as s:
        r = _get(s, uuid, project_id, lock=True)
        for k, v in values.items():
            setattr(r, k, v)
        if external_gateway_info != ():
            _set_gateway(s, r, external_gateway_info)
        if routes != ():
            r.routes = _check_routes(s, r, routes)
        s.flush()
        return _router_dict(s, r)


def router_delete(uuid, project_id=None):
    with transaction() as s:
        r = _get(s, uuid, project_id, lock=True)
        if s.scalars(sa.select(Port.id).where(Port.device_id == r.uuid,
                                              Port.device_owner == INTERFACE)).first():
            raise nb.Conflict(f'Router {uuid} still has ports', 'RouterInUse')
        _clear_gateway(s, r)
        s.delete(r)


def _interface_info(r, p, subnet_uuids, net_uuid):
    return {'id': r.uuid, 'tenant_id': r.project_id, 'project_id': r.project_id,
            'port_id': p.uuid, 'network_id': net_uuid, 'subnet_id': subnet_uuids[0],
            'subnet_ids': subnet_uuids}


def _check_overlap(s, r, subnets):
    have = [(sn.uuid, ipaddress.ip_network(sn.cidr)) for sn in _interface_subnets(s, r)]
    for sn in subnets:
        net = ipaddress.ip_network(sn.cidr)
        for uuid, cidr in have:
            if uuid == sn.uuid:
                raise nb.Invalid(f'Bad router request: Router already has a port on subnet '
                                 f'{sn.uuid}.', 'BadRequest')
            if cidr.overlaps(net):
                raise nb.Invalid(f'Bad router request: Cidr {sn.cidr} of subnet {sn.uuid} '
                                 f'overlaps with cidr {cidr} of subnet {uuid}.', 'BadRequest')


def add_interface(uuid, project_id=None, subnet_id=None, port_id=None):
    """Attach the router to a subnet (a new port holding the subnet's gateway
    address) or to an existing unused port; ``project_id`` scopes the router,
    the subnet and the port. Returns Neutron's interface info."""
    if bool(subnet_id) == bool(port_id):
        raise nb.Invalid('Bad router request: Either subnet_id or port_id must be '
                         'specified.', 'BadRequest')
    with transaction() as s:
        r = _get(s, uuid, project_id, lock=True)
        if port_id:
            p = nb._get_port(s, port_id, project_id)
            if p.device_id or p.device_owner:
                raise nb.Conflict(f'Port {port_id} is in use: it has device owner '
                                  f'{p.device_owner or "?"} and device {p.device_id}.',
                                  'PortInUse')
            subnets = list(s.scalars(sa.select(Subnet).join(
                FixedIP, FixedIP.subnet_id == Subnet.id).where(FixedIP.port_id == p.id)))
            if not subnets:
                raise nb.Invalid(f'Bad router request: Router port {port_id} must have at '
                                 'least one fixed IP.', 'BadRequest')
            _check_overlap(s, r, subnets)
            p.device_id, p.device_owner, p.status = r.uuid, INTERFACE, 'ACTIVE'
            nb._set_groups(s, p, [])
        else:
            sn = nb._get_subnet(s, subnet_id, project_id)
            if project_id is not None and sn.project_id != project_id:
                raise nb.NotFound('Subnet', subnet_id)
            if not sn.gateway_ip:
                raise nb.Invalid(f'Bad router request: Subnet {subnet_id} does not have a '
                                 'gateway IP.', 'BadRequest')
            _check_overlap(s, r, [sn])
            subnets = [sn]
            p = Port(network_id=sn.network_id, project_id=r.project_id,
                     mac_address=ipam.random_mac(), device_id=r.uuid, device_owner=INTERFACE,
                     status='ACTIVE', port_security_enabled=False)
            s.add(p)
            s.flush()
            nb._allocate_ip(s, sn.network_id, subnets, p.id,
                            {'subnet_id': sn.uuid, 'ip_address': sn.gateway_ip})
        s.flush()
        net_uuid = s.scalar(sa.select(Network.uuid).where(Network.id == p.network_id))
        return _interface_info(r, p, [x.uuid for x in subnets], net_uuid)


def remove_interface(uuid, project_id=None, subnet_id=None, port_id=None):
    """Detach the router from a subnet or port: the interface port is deleted
    (its address released). Returns the interface info."""
    if not subnet_id and not port_id:
        raise nb.Invalid('Bad router request: Either subnet_id or port_id must be '
                         'specified.', 'BadRequest')
    with transaction() as s:
        r = _get(s, uuid, project_id, lock=True)
        q = sa.select(Port).where(Port.device_id == r.uuid, Port.device_owner == INTERFACE)
        if port_id:
            q = q.where(Port.uuid == port_id)
        if subnet_id:
            q = q.where(Port.id.in_(sa.select(FixedIP.port_id).join(
                Subnet, Subnet.id == FixedIP.subnet_id).where(Subnet.uuid == subnet_id)))
        p = s.scalars(q).first()
        if p is None:
            if port_id:
                raise InterfaceNotFound(f'Router {uuid} does not have an interface with id '
                                        f'{port_id}', 'RouterInterfaceNotFound')
            raise InterfaceNotFound(f'Router {uuid} has no interface on subnet {subnet_id}',
                                    'RouterInterfaceNotFoundForSubnet')
        subnets = [sn for sn, in s.execute(sa.select(Subnet.uuid).join(
            FixedIP, FixedIP.subnet_id == Subnet.id).where(FixedIP.port_id == p.id))]
        if r.routes:
            gone = [ipaddress.ip_network(c) for c, in s.execute(sa.select(Subnet.cidr).where(
                Subnet.uuid.in_(subnets)))]
            for route in r.routes:
                if any(ipaddress.ip_address(route['nexthop']) in c for c in gone):
                    raise nb.Conflict(f'Router interface for subnet {subnets[0]} on router '
                                      f'{uuid} cannot be deleted, as it is required by one '
                                      'or more routes.', 'RouterInterfaceInUseByRoute')
        net_uuid = s.scalar(sa.select(Network.uuid).where(Network.id == p.network_id))
        info = _interface_info(r, p, subnets or [None], net_uuid)
        nb._release_port(s, p)
        return info


def router_for(s, port_id, floating_network_id, address=None):
    """Uuid of a router with a gateway on the external network and an
    interface on the subnet of port ``port_id``'s (row id) fixed IP
    ``address`` (any of its subnets without one): the floating IP's way in
    (Neutron's ``router_id`` of a floating IP), or None."""
    subnet_ids = sa.select(FixedIP.subnet_id).where(FixedIP.port_id == port_id)
    if address is not None:
        subnet_ids = subnet_ids.where(FixedIP.address == address)
    routers = sa.select(Router.uuid).where(Router.gateway_network_id == floating_network_id)
    return s.scalars(sa.select(Port.device_id).join(FixedIP, FixedIP.port_id == Port.id).where(
        Port.device_owner == INTERFACE, Port.device_id.in_(routers),
        FixedIP.subnet_id.in_(subnet_ids)).order_by(Port.id).limit(1)).first()
