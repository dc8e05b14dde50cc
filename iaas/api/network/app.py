"""The Neutron-v2.0-compatible network API application (a subset: networks,
subnets, ports, floating IPs, security groups and rules)."""
from iaas import wsgi
from iaas.api import auth, openapi
from iaas.api.network import (
    common,
    floatingips,
    networks,
    policies,
    ports,
    routers,
    secgroups,
)
from iaas.conf import CONF

EXTENSIONS = [
    ('security-group', 'security-group', 'The security groups extension.'),
    ('external-net', 'Neutron external network', 'Adds external network attribute.'),
    ('binding', 'Port Binding', 'Expose port bindings of a virtual port.'),
    ('provider', 'Provider Network', 'Expose mapping of virtual networks to segments.'),
    ('port-security', 'Port Security', 'Provides port security.'),
    ('standard-attr-description', 'standard-attr-description', 'Description fields.'),
    ('floatingip-pools', 'Floating IP Pools', 'Floating IP pools.'),
    ('net-mtu', 'Network MTU', 'Provides MTU attribute for a network resource.'),
    ('net-mtu-writable', 'Network MTU (writable)', 'Provides a writable MTU attribute '
     'for a network resource.'),
    ('project-id', 'project_id field enabled', 'Extension that indicates that project_id '
     'field is enabled.'),
    ('standard-attr-timestamp', 'Resource timestamps', 'Adds created_at and updated_at '
     'fields to all Neutron resources that have Neutron standard attributes.'),
    ('ip-substring-filtering', 'IP address substring filtering', 'Provides IP address '
     'substring filtering when listing ports.'),
    ('service-type', 'Neutron Service Type Management', 'API for retrieving service '
     'providers for Neutron advanced services.'),
    ('allowed-address-pairs', 'Allowed Address Pairs', 'Provides allowed address pairs'),
    ('router', 'Neutron L3 Router', 'Router abstraction for basic L3 forwarding between L2 '
     'Neutron networks and access to external networks via a NAT gateway.'),
    ('extraroute', 'Neutron Extra Route', 'Extra routes configuration for L3 router.'),
    ('ext-gw-mode', 'Neutron L3 Configurable external gateway mode',
     'Extension of the router abstraction for specifying whether SNAT should occur on the '
     'external gateway.'),
]


def _version(req):
    host = CONF.api.public_host
    return {'id': 'v2.0', 'status': 'CURRENT',
            'links': [{'rel': 'self',
                       'href': f'http://{host}:{CONF.api.network_port}/v2.0/'}]}


@wsgi.public
def versions(req):
    return {'versions': [_version(req)]}


@wsgi.route_policy(policies.DISCOVERY, scope=wsgi.ANY)
def v2_root(req):
    return {'resources': [{'name': n[:-1], 'collection': n,
                           'links': [{'rel': 'self', 'href': f'/v2.0/{n}'}]}
                          for n in ('networks', 'subnets', 'ports', 'floatingips',
                                    'security-groups', 'security-group-rules', 'routers')]}


@wsgi.route_policy(policies.DISCOVERY, scope=wsgi.ANY)
def extensions(req):
    return {'extensions': [{'alias': a, 'name': n, 'description': d, 'links': [],
                            'updated': '2013-01-01T00:00:00-00:00'}
                           for a, n, d in EXTENSIONS]}


@wsgi.route_policy(policies.DISCOVERY, scope=wsgi.ANY)
def extension_show(req, alias):
    for a, n, d in EXTENSIONS:
        if a == alias:
            return {'extension': {'alias': a, 'name': n, 'description': d, 'links': [],
                                  'updated': '2013-01-01T00:00:00-00:00'}}
    raise wsgi.NotFound(f'Extension with alias {alias} does not exist')


def build_app():
    r = wsgi.Router(fault_formatter=common.neutron_fault,
                    max_body=CONF.api.max_request_body_size,
                    request_id_headers=('X-OpenStack-Request-ID',),
                    authorizer=auth.authorize)
    add = r.add
    p = '/v2.0'
    add('GET', '/', versions)
    add('GET', p, v2_root)
    add('GET', f'{p}/extensions', extensions)
    add('GET', f'{p}/extensions/{{alias}}', extension_show)
    for coll, mod, create, index, show, update, delete, idname in (
            ('networks', networks, 'net_create', 'net_index', 'net_show', 'net_update',
             'net_delete', 'network_id'),
            ('subnets', networks, 'subnet_create', 'subnet_index', 'subnet_show',
             'subnet_update', 'subnet_delete', 'subnet_id'),
            ('ports', ports, 'port_create', 'port_index', 'port_show', 'port_update',
             'port_delete', 'port_id'),
            ('floatingips', floatingips, 'fip_create', 'fip_index', 'fip_show',
             'fip_update', 'fip_delete', 'floatingip_id'),
            ('security-groups', secgroups, 'sg_create', 'sg_index', 'sg_show', 'sg_update',
             'sg_delete', 'security_group_id'),
            ('security-group-rules', secgroups, 'rule_create', 'rule_index', 'rule_show',
             None, 'rule_delete', 'rule_id'),
            ('routers', routers, 'router_create', 'router_index', 'router_show',
             'router_update', 'router_delete', 'router_id')):
        for suffix in ('', '.json'):
            add('GET', f'{p}/{coll}{suffix}', getattr(mod, index))
            add('POST', f'{p}/{coll}{suffix}', getattr(mod, create))
        item = f'{p}/{coll}/{{{idname}}}'
        add('GET', item, getattr(mod, show))
        if update:
            add('PUT', item, getattr(mod, update))
        add('DELETE', item, getattr(mod, delete))
    add('PUT', f'{p}/routers/{{router_id}}/add_router_interface', routers.add_interface)
    add('PUT', f'{p}/routers/{{router_id}}/remove_router_interface', routers.remove_interface)
    for suffix in ('', '.json'):
        add('GET', f'{p}/agents{suffix}', routers.agent_index)
        add('GET', f'{p}/service-providers{suffix}', routers.service_provider_index)
    openapi.install(r, 'iaas Networking API (Neutron v2.0)', '2.0')
    return r
