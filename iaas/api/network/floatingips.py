"""/v2.0/floatingips."""
import webob

from iaas import wsgi
from iaas.api.network import common
from iaas.network import api as netapi

FIP_FIELDS = {'floating_network_id', 'floating_ip_address', 'port_id', 'fixed_ip_address',
              'description', 'project_id', 'tenant_id', 'subnet_id', 'dns_domain',
              'dns_name', 'qos_policy_id', 'tags'}


def fip_create(req):
    b = common.body_of(req, 'floatingip')
    common.check_fields(b, FIP_FIELDS, 'floatingip')
    if not b.get('floating_network_id'):
        raise wsgi.Fault("Invalid input for operation: 'floating_network_id' is required.",
                         code=400, type='InvalidInput')
    if b.get('floating_ip_address'):
        common.require_admin(req, 'floating_ip_address')
    f = netapi.floatingip_create(
        req.context, b['floating_network_id'], common.owner(req, b),
        floating_ip_address=b.get('floating_ip_address'), port_id=b.get('port_id'),
        fixed_ip_address=b.get('fixed_ip_address'),
        description=str(b.get('description') or ''), owner_check=not req.context.is_admin)
    return 201, {'floatingip': f}


def fip_index(req):
    return common.listing(req, netapi.floatingip_list(project_id=common.scope(req)),
                          'floatingips')


def fip_show(req, floatingip_id):
    return {'floatingip': common.select_fields(
        req, netapi.floatingip_get(floatingip_id, common.scope(req)))}


def fip_update(req, floatingip_id):
    b = common.body_of(req, 'floatingip')
    common.check_fields(b, {'port_id', 'fixed_ip_address', 'description'}, 'floatingip')
    cur = netapi.floatingip_get(floatingip_id, common.scope(req))
    port_id = b['port_id'] if 'port_id' in b else cur['port_id']
    f = netapi.floatingip_update(req.context, floatingip_id, common.scope(req),
                                 port_id=port_id, fixed_ip_address=b.get('fixed_ip_address'),
                                 description=b.get('description'))
    return {'floatingip': f}


def fip_delete(req, floatingip_id):
    netapi.floatingip_delete(req.context, floatingip_id, common.scope(req))
    return webob.Response(status=204)
