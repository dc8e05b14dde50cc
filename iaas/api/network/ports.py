"""/v2.0/ports."""
import webob

from iaas import wsgi
from iaas.api.network import common, schemas
from iaas.api.network import policies as pol
from iaas.network import api as netapi

PORT = pol.PORT


def port_view(p):
    out = dict(p)
    out.update({'binding:vif_type': 'bridge' if p['binding:host_id'] else 'unbound',
                'binding:vnic_type': 'normal', 'binding:profile': {},
                'binding:vif_details': {'port_filter': True},
                'extra_dhcp_opts': [], 'dns_name': '', 'dns_assignment': [], 'tags': [],
                'revision_number': 1, 'qos_policy_id': None, 'ip_allocation': 'immediate',
                'propagate_uplink_status': False})
    return out


def _fixed_ips(b):
    ips = b.get('fixed_ips')
    if ips is None:
        return None
    netapi.check_fixed_ips_count(ips)      # 400 before any work (2,000 entries held the DB)
    return [{k: x[k] for k in ('subnet_id', 'ip_address') if x.get(k)} for x in ips]


def _check_attributes(req, op, b, net, owner):
    """The attribute rules of what the body sets (Neutron's
    ``create_port:mac_address`` …), with the network's owner in the target."""
    target = {'project_id': owner, 'network:project_id': net['project_id'],
              'network:shared': bool(net['shared'])}
    checks = [('mac_address', 'mac_address' in b),
              ('port_security_enabled', 'port_security_enabled' in b),
              ('allowed_address_pairs', bool(b.get('allowed_address_pairs'))),
              ('binding:host_id', bool(b.get('binding:host_id'))),
              ('device_owner', str(b.get('device_owner', '')).startswith('network:')),
              ('fixed_ips', b.get('fixed_ips') is not None),
              ('fixed_ips:ip_address', any(x.get('ip_address')
                                           for x in b.get('fixed_ips') or ())),
              ('fixed_ips:subnet_id', any(x.get('subnet_id') for x in b.get('fixed_ips') or ()))]
    for attr, present in checks:
        if present:
            common.require(req, pol.PORT_ATTRS[f'{op}:{attr}'], target)
    device = b.get('device_id')
    if device and not str(b.get('device_owner', '')).startswith('network:'):
        # Neutron lets device_id be any string; one naming a server must name
        # one of the port's project (else the port would pose as its NIC).
        device_project = netapi.device_project(device)
        if device_project is not None and (
                device_project != owner or not common.allowed(
                    req.context, pol.PORT_ATTRS[f'{op}:device_id'],
                    dict(target, **{'device:project_id': device_project}))):
            raise wsgi.Fault(f'The following device_id {device} is not owned by your tenant '
                             'or matches another tenants router.', code=409,
                             type='DeviceIDNotOwnedByTenant')


@wsgi.route_policy(PORT['create'])
@wsgi.accepts(schemas.PORT_CREATE)
def port_create(req):
    items, bulk = common.bodies_of(req, 'port', 'ports', schemas.PORT_CREATE)
    return common.create_all(
        items, bulk, 'port', 'ports', lambda b: _port_create(req, b),
        lambda p: netapi.port_delete(req.context, p['id'], netapi.ALL_PROJECTS))


def _port_create(req, b):
    fixed = _fixed_ips(b)
    owner = common.owner(req, b, PORT['create'])
    net = netapi.network_get(b['network_id'], common.scope(req, pol.NETWORK['get']))
    _check_attributes(req, 'create', b, net, owner)
    sgs = b.get('security_groups')
    port_security = common.to_bool(b.get('port_security_enabled'), True)
    if not port_security and not sgs:
        sgs = []
    p = netapi.port_create(
        req.context, b['network_id'], project_id=common.scope(req, pol.NETWORK['get']),
        owner_project=owner, fixed_ips=fixed, mac_address=b.get('mac_address'),
        device_id=b.get('device_id', ''), device_owner=b.get('device_owner', ''),
        binding_host=b.get('binding:host_id') or None, security_groups=sgs,
        name=b.get('name', ''), admin_state_up=common.to_bool(b.get('admin_state_up'), True),
        description=b.get('description', ''),
        allowed_address_pairs=b.get('allowed_address_pairs'))
    return port_view(p)


@wsgi.route_policy(PORT['get'])
def port_index(req):
    ports = [port_view(p) for p in netapi.port_list(project_id=common.scope(req, PORT['get']))]
    return common.listing(req, ports, 'ports')


def _port(req, port_id, rule):
    p = netapi.port_get(port_id, common.scope(req, PORT['get']))
    return common.check_item(req, rule, p, 'Port', port_id)


@wsgi.route_policy(PORT['get'])
def port_show(req, port_id):
    return {'port': common.select_fields(req, port_view(_port(req, port_id, PORT['get'])))}


@wsgi.route_policy(PORT['update'])
@wsgi.accepts(schemas.PORT_UPDATE)
def port_update(req, port_id):
    b = common.body_of(req, 'port', schemas.PORT_UPDATE)
    cur = _port(req, port_id, PORT['update'])
    net = netapi.network_get(cur['network_id'], netapi.ALL_PROJECTS)
    _check_attributes(req, 'update', b, net, cur['project_id'])
    vals = {k: b[k] for k in ('name', 'device_id', 'device_owner', 'binding:host_id',
                              'description') if k in b}
    if 'allowed_address_pairs' in b:
        vals['allowed_address_pairs'] = b['allowed_address_pairs'] or []
    for k in ('admin_state_up', 'port_security_enabled'):
        if k in b:
            vals[k] = common.to_bool(b[k], True)
    p = netapi.port_update(req.context, port_id, common.scope(req, PORT['update']),
                           security_groups=b.get('security_groups'),
                           fixed_ips=_fixed_ips(b), **vals)
    return {'port': port_view(p)}


@wsgi.route_policy(PORT['delete'])
def port_delete(req, port_id):
    p = _port(req, port_id, PORT['delete'])
    if p['device_owner'] in netapi.ROUTER_PORT_OWNERS:
        raise wsgi.Fault(f'Port {port_id} cannot be deleted directly via the port API: has '
                         f'device owner {p["device_owner"]}.', code=409, type='L3PortInUse')
    netapi.port_delete(req.context, port_id, common.scope(req, PORT['delete']))
    return webob.Response(status=204)
