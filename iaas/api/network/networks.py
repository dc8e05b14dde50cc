"""/v2.0/networks and /v2.0/subnets."""
import webob

from iaas import wsgi
from iaas.api.network import common, schemas
from iaas.api.network import policies as pol
from iaas.conf import CONF
from iaas.network import api as netapi

NET = pol.NETWORK
SUB = pol.SUBNET


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


def _segment_args(req, b, proj):
    kind = b.get('provider:network_type')
    seg = b.get('provider:segmentation_id')
    phys = b.get('provider:physical_network')
    for attr, value in (('provider:network_type', kind), ('provider:segmentation_id', seg),
                        ('provider:physical_network', phys)):
        if value is not None and value != '':
            common.require(req, pol.NETWORK_ATTRS[attr], {'project_id': proj})
    if kind is None:
        if common.to_bool(b.get('router:external')):
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
        out['segment_id'] = seg
    return out


@wsgi.route_policy(NET['create'])
@wsgi.accepts(schemas.NETWORK_CREATE)
def net_create(req):
    items, bulk = common.bodies_of(req, 'network', 'networks', schemas.NETWORK_CREATE)
    return common.create_all(
        items, bulk, 'network', 'networks', lambda b: _net_create(req, b),
        lambda n: netapi.network_delete(req.context, n['id'], netapi.ALL_PROJECTS))


def _net_create(req, b):
    proj = common.owner(req, b, NET['create'])
    shared, external = common.to_bool(b.get('shared')), common.to_bool(b.get('router:external'))
    if shared:
        common.require(req, pol.NETWORK_ATTRS['shared'], {'project_id': proj})
    if external:
        common.require(req, pol.NETWORK_ATTRS['router:external'], {'project_id': proj})
    kw = _segment_args(req, b, proj)
    n = netapi.network_create(
        req.context, name=b.get('name', ''), project_id=proj, shared=shared,
        external=external, admin_state_up=common.to_bool(b.get('admin_state_up'), True),
        mtu=b.get('mtu') or 1450, description=b.get('description', ''),
        bridge_prefix=CONF.network.bridge_prefix, **kw)
    return net_view(n)


@wsgi.route_policy(NET['get'])
def net_index(req):
    nets = [net_view(n) for n in netapi.network_list(
        project_id=common.scope(req, NET['get']))]
    return common.listing(req, nets, 'networks')


def _network(req, network_id, rule):
    n = net_view(netapi.network_get(network_id, common.scope(req, NET['get'])))
    return common.check_item(req, rule, n, 'Network', network_id)


@wsgi.route_policy(NET['get'])
def net_show(req, network_id):
    return {'network': common.select_fields(req, _network(req, network_id, NET['get']))}


@wsgi.route_policy(NET['update'])
@wsgi.accepts(schemas.NETWORK_UPDATE)
def net_update(req, network_id):
    b = common.body_of(req, 'network', schemas.NETWORK_UPDATE)
    n = _network(req, network_id, NET['update'])
    if 'shared' in b:
        common.require(req, pol.NETWORK_UPDATE_SHARED, common.target_of(n))
    vals = {k: common.to_bool(v) if k in ('shared', 'admin_state_up') else v
            for k, v in b.items() if k != 'port_security_enabled'}
    n = netapi.network_update(req.context, network_id, common.scope(req, NET['update']),
                              **vals)
    return {'network': net_view(n)}


@wsgi.route_policy(NET['delete'])
def net_delete(req, network_id):
    _network(req, network_id, NET['delete'])
    netapi.network_delete(req.context, network_id, common.scope(req, NET['delete']))
    return webob.Response(status=204)


@wsgi.route_policy(SUB['create'])
@wsgi.accepts(schemas.SUBNET_CREATE)
def subnet_create(req):
    items, bulk = common.bodies_of(req, 'subnet', 'subnets', schemas.SUBNET_CREATE)
    return common.create_all(
        items, bulk, 'subnet', 'subnets', lambda b: _subnet_create(req, b),
        lambda sn: netapi.subnet_delete(req.context, sn['id'], netapi.ALL_PROJECTS))


def _subnet_create(req, b):
    n = _network(req, b['network_id'], NET['get'])
    # a member of the network's project (Neutron: the network's owner)
    common.check_item(req, SUB['create'], {'project_id': n['project_id']}, 'Network',
                      b['network_id'])
    common.owner(req, b, SUB['create'])
    return netapi.subnet_create(
        req.context, b['network_id'], b['cidr'],
        project_id=common.scope(req, SUB['create']), name=b.get('name', ''),
        gateway_ip=b.get('gateway_ip', 'auto'), allocation_pools=b.get('allocation_pools'),
        dns_nameservers=b.get('dns_nameservers') or [],
        enable_dhcp=common.to_bool(b.get('enable_dhcp'), True),
        host_routes=b.get('host_routes') or [], description=b.get('description', ''),
        ip_version=b.get('ip_version'))


@wsgi.route_policy(SUB['get'])
def subnet_index(req):
    return common.listing(req, netapi.subnet_list(project_id=common.scope(req, SUB['get'])),
                          'subnets')


@wsgi.route_policy(SUB['get'])
def subnet_show(req, subnet_id):
    return {'subnet': common.select_fields(req, netapi.subnet_get(
        subnet_id, common.scope(req, SUB['get'])))}


def _own_subnet(req, subnet_id, rule):
    sn = netapi.subnet_get(subnet_id, common.scope(req, SUB['get']))
    return common.check_item(req, rule, {'project_id': sn['project_id']}, 'Subnet', subnet_id)


@wsgi.route_policy(SUB['update'])
@wsgi.accepts(schemas.SUBNET_UPDATE)
def subnet_update(req, subnet_id):
    b = common.body_of(req, 'subnet', schemas.SUBNET_UPDATE)
    _own_subnet(req, subnet_id, SUB['update'])
    if 'enable_dhcp' in b:
        b['enable_dhcp'] = common.to_bool(b['enable_dhcp'], True)
    return {'subnet': netapi.subnet_update(req.context, subnet_id,
                                           common.scope(req, SUB['update']), **b)}


@wsgi.route_policy(SUB['delete'])
def subnet_delete(req, subnet_id):
    _own_subnet(req, subnet_id, SUB['delete'])
    netapi.subnet_delete(req.context, subnet_id, common.scope(req, SUB['delete']))
    return webob.Response(status=204)
