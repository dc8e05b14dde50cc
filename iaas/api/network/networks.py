"""/v2.0/networks and /v2.0/subnets."""
import webob

from iaas import wsgi
from iaas.api.network import common
from iaas.conf import CONF
from iaas.network import api as netapi

NET_FIELDS = {'name', 'admin_state_up', 'shared', 'router:external', 'provider:network_type',
              'provider:segmentation_id', 'provider:physical_network', 'mtu', 'description',
              'project_id', 'tenant_id', 'port_security_enabled', 'availability_zone_hints',
              'is_default', 'dns_domain', 'qos_policy_id', 'tags'}
NET_UPDATABLE = {'name', 'admin_state_up', 'description', 'shared', 'mtu',
                 'port_security_enabled'}


def net_view(n):
    return {'id': n['id'], 'name': n['name'], 'description': n['description'],
            'project_id': n['project_id'], 'tenant_id': n['project_id'],
            'admin_state_up': n['admin_state_up'], 'status': n['status'],
            'subnets': n['subnets'], 'shared': n['shared'],
            'router:external': n['external'], 'mtu': n['mtu'],
            'provider:network_type': n['segment_type'],
            'provider:segmentation_id': n['segment_id'],
            'provider:physical_network': n['physical_interface'],
            'port_security_enabled': True, 'availability_zone_hints': [],
            'availability_zones': ['nova'], 'ipv4_address_scope': None,
            'ipv6_address_scope': None, 'is_default': False, 'l2_adjacency': True,
            'qos_policy_id': None, 'dns_domain': '', 'tags': [], 'revision_number': 1,
            'created_at': n['created_at'], 'updated_at': n['updated_at']}


def _segment_args(req, b):
    kind = b.get('provider:network_type')
    seg = b.get('provider:segmentation_id')
    phys = b.get('provider:physical_network')
    if kind or seg is not None or phys:
        common.require_admin(req, 'provider attributes')
    if kind is None:
        if b.get('router:external'):
            kind = 'flat'
        elif CONF.network.network_manager == 'segmented':
            kind = CONF.network.segment_type
        else:
            kind = 'flat'
    if kind not in ('flat', 'vlan', 'vxlan'):
        raise wsgi.Fault(f'Invalid input for operation: network_type value {kind} not '
                         'supported.', code=400, type='InvalidInput')
    lo, hi = (int(x) for x in CONF.network.segment_range.split(':'))
    out = dict(segment_type=kind, segment_range=(lo, hi),
               physical_interface=phys or CONF.network.physical_interface)
    if seg is not None:
        try:
            out['segment_id'] = int(seg)
        except (TypeError, ValueError):
            raise wsgi.Fault('Invalid segmentation id.', code=400, type='InvalidInput') from None
    return out


def net_create(req):
    b = common.body_of(req, 'network')
    common.check_fields(b, NET_FIELDS, 'network')
    if b.get('shared') or b.get('router:external'):
        common.require_admin(req, 'shared or router:external')
    kw = _segment_args(req, b)
    n = netapi.network_create(
        req.context, name=str(b.get('name') or ''), project_id=common.owner(req, b),
        shared=bool(b.get('shared')), external=bool(b.get('router:external')),
        admin_state_up=bool(b.get('admin_state_up', True)), mtu=int(b.get('mtu') or 1450),
        description=str(b.get('description') or ''),
        bridge_prefix=CONF.network.bridge_prefix, **kw)
    return 201, {'network': net_view(n)}


def net_index(req):
    nets = [net_view(n) for n in netapi.network_list(project_id=common.scope(req))]
    return common.listing(req, nets, 'networks')


def net_show(req, network_id):
    return {'network': common.select_fields(
        req, net_view(netapi.network_get(network_id, common.scope(req))))}


def net_update(req, network_id):
    b = common.body_of(req, 'network')
    common.check_fields(b, NET_UPDATABLE, 'network')
    if 'shared' in b:
        common.require_admin(req, 'shared')
    vals = {k: b[k] for k in b if k in NET_UPDATABLE - {'port_security_enabled'}}
    n = netapi.network_update(req.context, network_id, common.scope(req), **vals)
    return {'network': net_view(n)}


def net_delete(req, network_id):
    netapi.network_delete(req.context, network_id, common.scope(req))
    return webob.Response(status=204)


SUBNET_FIELDS = {'name', 'network_id', 'cidr', 'ip_version', 'gateway_ip', 'dns_nameservers',
                 'allocation_pools', 'host_routes', 'enable_dhcp', 'description',
                 'project_id', 'tenant_id', 'ipv6_ra_mode', 'ipv6_address_mode',
                 'subnetpool_id', 'service_types', 'use_default_subnetpool', 'tags',
                 'segment_id', 'prefixlen'}
SUBNET_UPDATABLE = {'name', 'description', 'dns_nameservers', 'enable_dhcp', 'host_routes',
                    'gateway_ip', 'allocation_pools'}


def subnet_create(req):
    b = common.body_of(req, 'subnet')
    common.check_fields(b, SUBNET_FIELDS, 'subnet')
    if not b.get('network_id') or not b.get('cidr'):
        raise wsgi.Fault("Invalid input for operation: 'network_id' and 'cidr' are "
                         'required.', code=400, type='InvalidInput')
    gw = b.get('gateway_ip', 'auto')
    sn = netapi.subnet_create(
        req.context, b['network_id'], str(b['cidr']), project_id=common.scope(req),
        name=str(b.get('name') or ''), gateway_ip=gw,
        allocation_pools=b.get('allocation_pools'),
        dns_nameservers=b.get('dns_nameservers') or [],
        enable_dhcp=b.get('enable_dhcp', True), host_routes=b.get('host_routes') or [],
        description=str(b.get('description') or ''), ip_version=b.get('ip_version'))
    return 201, {'subnet': sn}


def subnet_index(req):
    return common.listing(req, netapi.subnet_list(project_id=common.scope(req)), 'subnets')


def subnet_show(req, subnet_id):
    return {'subnet': common.select_fields(req, netapi.subnet_get(subnet_id,
                                                                  common.scope(req)))}


def subnet_update(req, subnet_id):
    b = common.body_of(req, 'subnet')
    common.check_fields(b, SUBNET_UPDATABLE, 'subnet')
    return {'subnet': netapi.subnet_update(req.context, subnet_id, common.scope(req), **b)}


def subnet_delete(req, subnet_id):
    netapi.subnet_delete(req.context, subnet_id, common.scope(req))
    return webob.Response(status=204)
