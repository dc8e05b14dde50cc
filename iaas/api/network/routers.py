"""/v2.0/routers (Neutron's L3 API: router, extraroute, ext-gw-mode) and
/v2.0/agents (no agents are exposed: an empty list)."""
import webob

from iaas import wsgi
from iaas.api.network import common, schemas
from iaas.api.network import policies as pol
from iaas.network import api as netapi

ROUTER = pol.ROUTER


def router_view(r):
    return dict(r, availability_zone_hints=[], availability_zones=['nova'], flavor_id=None,
                tags=[], revision_number=1)


def _gateway(req, op, b, owner):
    """The body's external_gateway_info with its attribute rules checked;
    () when absent (no change), None when it removes the gateway."""
    if 'external_gateway_info' not in b:
        return ()
    info = b['external_gateway_info']
    if not info:
        return None
    target = {'project_id': owner}
    common.require(req, pol.ROUTER_ATTRS[f'{op}:external_gateway_info'], target)
    for attr in ('enable_snat', 'external_fixed_ips'):
        if info.get(attr) is not None:
            common.require(req, pol.ROUTER_ATTRS[f'{op}:external_gateway_info:{attr}'],
                           target)
    info = dict(info)
    if 'enable_snat' in info:
        info['enable_snat'] = common.to_bool(info['enable_snat'], True)
    if info.get('network_id'):
        # the external network must be visible to the caller (else 404)
        netapi.network_get(info['network_id'], common.scope(req, pol.NETWORK['get']))
    return info


@wsgi.route_policy(ROUTER['create'])
@wsgi.accepts(schemas.ROUTER_CREATE)
def router_create(req):
    items, bulk = common.bodies_of(req, 'router', 'routers', schemas.ROUTER_CREATE)
    return common.create_all(
        items, bulk, 'router', 'routers', lambda b: _router_create(req, b),
        lambda r: netapi.router_delete(req.context, r['id'], netapi.ALL_PROJECTS))


def _router_create(req, b):
    owner = common.owner(req, b, ROUTER['create'])
    gateway = _gateway(req, 'create', b, owner)
    r = netapi.router_create(
        req.context, owner, name=b.get('name', ''), description=b.get('description', ''),
        admin_state_up=common.to_bool(b.get('admin_state_up'), True),
        external_gateway_info=gateway or None)
    return router_view(r)


@wsgi.route_policy(ROUTER['get'])
def router_index(req):
    routers = [router_view(r) for r in netapi.router_list(
        project_id=common.scope(req, ROUTER['get']))]
    return common.listing(req, routers, 'routers')


def _router(req, router_id, rule):
    r = netapi.router_get(router_id, common.scope(req, ROUTER['get']))
    return common.check_item(req, rule, r, 'Router', router_id)


@wsgi.route_policy(ROUTER['get'])
def router_show(req, router_id):
    return {'router': common.select_fields(req, router_view(
        _router(req, router_id, ROUTER['get'])))}


@wsgi.route_policy(ROUTER['update'])
@wsgi.accepts(schemas.ROUTER_UPDATE)
def router_update(req, router_id):
    b = common.body_of(req, 'router', schemas.ROUTER_UPDATE)
    cur = _router(req, router_id, ROUTER['update'])
    vals = {k: b[k] for k in ('name', 'description') if k in b}
    if 'admin_state_up' in b:
        vals['admin_state_up'] = common.to_bool(b['admin_state_up'], True)
    r = netapi.router_update(
        req.context, router_id, common.scope(req, ROUTER['update']),
        external_gateway_info=_gateway(req, 'update', b, cur['project_id']),
        routes=b['routes'] if 'routes' in b else (), **vals)
    return {'router': router_view(r)}


@wsgi.route_policy(ROUTER['delete'])
def router_delete(req, router_id):
    _router(req, router_id, ROUTER['delete'])
    netapi.router_delete(req.context, router_id, common.scope(req, ROUTER['delete']))
    return webob.Response(status=204)


def _interface(req, router_id, op):
    body = req.json()
    wsgi.validate(body, schemas.ROUTER_INTERFACE)
    _router(req, router_id, pol.ROUTER_INTERFACE[op])
    fn = netapi.router_add_interface if op == 'add' else netapi.router_remove_interface
    return fn(req.context, router_id, common.scope(req, pol.ROUTER_INTERFACE[op]),
              subnet_id=body.get('subnet_id'), port_id=body.get('port_id'))


@wsgi.route_policy(pol.ROUTER_INTERFACE['add'])
@wsgi.accepts(schemas.ROUTER_INTERFACE)
def add_interface(req, router_id):
    return _interface(req, router_id, 'add')


@wsgi.route_policy(pol.ROUTER_INTERFACE['remove'])
@wsgi.accepts(schemas.ROUTER_INTERFACE)
def remove_interface(req, router_id):
    return _interface(req, router_id, 'remove')


@wsgi.route_policy(pol.AGENTS, scope=wsgi.ANY)
def agent_index(req):
    """No agents are exposed: an empty list (Neutron's answer to a caller
    whom get_agent lets see none)."""
    return common.listing(req, [], 'agents')


# The one provider of each service this API offers (Neutron's service-type extension).
SERVICE_PROVIDERS = [{'service_type': 'L3_ROUTER_NAT', 'name': 'iaas', 'default': True}]


@wsgi.route_policy(pol.SERVICE_PROVIDER, scope=wsgi.ANY)
def service_provider_index(req):
    return common.listing(req, [dict(x) for x in SERVICE_PROVIDERS], 'service_providers')
