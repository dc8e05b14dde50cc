"""/v2.0/ports."""
import webob

from iaas import wsgi
from iaas.api.network import common
from iaas.network import api as netapi

PORT_FIELDS = {'name', 'network_id', 'fixed_ips', 'mac_address', 'device_id', 'device_owner',
               'binding:host_id', 'security_groups', 'admin_state_up', 'description',
               'project_id', 'tenant_id', 'port_security_enabled', 'binding:vnic_type',
               'binding:profile', 'allowed_address_pairs', 'extra_dhcp_opts', 'dns_name',
               'tags', 'qos_policy_id'}
PORT_UPDATABLE = {'name', 'device_id', 'device_owner', 'binding:host_id', 'security_groups',
                  'admin_state_up', 'description', 'port_security_enabled', 'fixed_ips',
                  'binding:profile', 'binding:vnic_type', 'dns_name'}


def port_view(p):
    out = dict(p)
    out.update({'binding:vif_type': 'bridge' if p['binding:host_id'] else 'unbound',
                'binding:vnic_type': 'normal', 'binding:profile': {},
                'binding:vif_details': {'port_filter': True}, 'allowed_address_pairs': [],
                'extra_dhcp_opts': [], 'dns_name': '', 'dns_assignment': [], 'tags': [],
                'revision_number': 1, 'qos_policy_id': None, 'ip_allocation': 'immediate',
                'propagate_uplink_status': False})
    return out


def _fixed_ips(b):
    ips = b.get('fixed_ips')
    if ips is None:
        return None
    if not isinstance(ips, list) or not all(isinstance(x, dict) for x in ips):
        raise wsgi.Fault('Invalid input for fixed_ips.', code=400, type='InvalidInput')
    return [{k: x[k] for k in ('subnet_id', 'ip_address') if x.get(k)} for x in ips]


def port_create(req):
    b = common.body_of(req, 'port')
    common.check_fields(b, PORT_FIELDS, 'port')
    if not b.get('network_id'):
        raise wsgi.Fault("Invalid input for operation: 'network_id' is required.", code=400,
                         type='InvalidInput')
    if b.get('binding:host_id'):
        common.require_admin(req, 'binding:host_id')
    sgs = b.get('security_groups')
    if b.get('port_security_enabled') is False and not sgs:
        sgs = []
    p = netapi.port_create(
        req.context, b['network_id'], project_id=common.scope(req),
        owner_project=common.owner(req, b), fixed_ips=_fixed_ips(b),
        mac_address=b.get('mac_address'), device_id=str(b.get('device_id') or ''),
        device_owner=str(b.get('device_owner') or ''),
        binding_host=b.get('binding:host_id') or None, security_groups=sgs,
        name=str(b.get('name') or ''), admin_state_up=bool(b.get('admin_state_up', True)),
        description=str(b.get('description') or ''))
    return 201, {'port': port_view(p)}


def port_index(req):
    ports = [port_view(p) for p in netapi.port_list(project_id=common.scope(req))]
    return common.listing(req, ports, 'ports')


def port_show(req, port_id):
    return {'port': common.select_fields(req, port_view(netapi.port_get(port_id,
                                                                        common.scope(req))))}


def port_update(req, port_id):
    b = common.body_of(req, 'port')
    common.check_fields(b, PORT_UPDATABLE, 'port')
    if 'binding:host_id' in b:
        common.require_admin(req, 'binding:host_id')
    vals = {k: b[k] for k in ('name', 'device_id', 'device_owner', 'binding:host_id',
                              'admin_state_up', 'description', 'port_security_enabled')
            if k in b}
    p = netapi.port_update(req.context, port_id, common.scope(req),
                           security_groups=b.get('security_groups'), **vals)
    return {'port': port_view(p)}


def port_delete(req, port_id):
    netapi.port_delete(req.context, port_id, common.scope(req))
    return webob.Response(status=204)
