"""/v2.0/floatingips."""
import webob

from iaas import wsgi
from iaas.api.network import common, schemas
from iaas.api.network import policies as pol
from iaas.network import api as netapi

FIP = pol.FLOATINGIP


@wsgi.route_policy(FIP['create'])
@wsgi.accepts(schemas.FLOATINGIP_CREATE)
def fip_create(req):
    b = common.body_of(req, 'floatingip', schemas.FLOATINGIP_CREATE)
    owner = common.owner(req, b, FIP['create'])
    if b.get('floating_ip_address'):
        common.require(req, pol.FLOATINGIP_ADDRESS, {'project_id': owner})
    # the port to associate must be one the caller may change (its own; any for admin)
    port_scope = common.scope(req, pol.PORT['update'])
    f = netapi.floatingip_create(
        req.context, b['floating_network_id'], owner,
        floating_ip_address=b.get('floating_ip_address'), port_id=b.get('port_id'),
        fixed_ip_address=b.get('fixed_ip_address'), description=b.get('description', ''),
        owner_check=port_scope is not netapi.ALL_PROJECTS)
    return 201, {'floatingip': f}


@wsgi.route_policy(FIP['get'])
def fip_index(req):
    return common.listing(req, netapi.floatingip_list(
        project_id=common.scope(req, FIP['get'])), 'floatingips')


def _fip(req, floatingip_id, rule):
    f = netapi.floatingip_get(floatingip_id, common.scope(req, FIP['get']))
    return common.check_item(req, rule, f, 'Floating IP', floatingip_id)


@wsgi.route_policy(FIP['get'])
def fip_show(req, floatingip_id):
    return {'floatingip': common.select_fields(req, _fip(req, floatingip_id, FIP['get']))}


@wsgi.route_policy(FIP['update'])
@wsgi.accepts(schemas.FLOATINGIP_UPDATE)
def fip_update(req, floatingip_id):
    b = common.body_of(req, 'floatingip', schemas.FLOATINGIP_UPDATE)
    cur = _fip(req, floatingip_id, FIP['update'])
    port_id = b['port_id'] if 'port_id' in b else cur['port_id']
    f = netapi.floatingip_update(req.context, floatingip_id, common.scope(req, FIP['update']),
                                 port_id=port_id, fixed_ip_address=b.get('fixed_ip_address'),
                                 description=b.get('description'))
    return {'floatingip': f}


@wsgi.route_policy(FIP['delete'])
def fip_delete(req, floatingip_id):
    _fip(req, floatingip_id, FIP['delete'])
    netapi.floatingip_delete(req.context, floatingip_id, common.scope(req, FIP['delete']))
    return webob.Response(status=204)
