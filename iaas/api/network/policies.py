"""The network API's policy rules (oslo.policy defaults in code, Neutron's names).

Every handler of ``iaas/api/network`` declares its collection rule with
``@wsgi.route_policy``; the router checks it against the caller's own
project. The handlers check the same rule again on the resource they load
(target: the resource's ``project_id``, ``shared`` and ``router:external``;
another project's resource is a 404) and the attribute rules
(``create_port:mac_address``, ``create_network:shared``, …) on the
attributes a body sets. Whether a caller sees every project's resources
(Neutron's admin) is the collection's ``get_*`` rule passing on a project
that is nobody's (:func:`iaas.api.network.common.scope`).
"""

from iaas.policies import documented

ADMIN = 'rule:admin_required'
READER = 'rule:project_reader'
MEMBER = 'rule:project_member'
SHARED = 'True:%(shared)s'
EXTERNAL = 'True:%(router:external)s'
NET_OWNER = 'rule:admin_required or project_id:%(network:project_id)s'
NET_OWNER_OR_SHARED = NET_OWNER + ' or True:%(network:shared)s'
ANY = '@'

P = '/v2.0'
RULES = []


def _rule(name, check, what, *ops):
    RULES.append(documented(name, check, what, ops))
    return name


def _crud(kind, coll, idname, get=READER, write=MEMBER, update=True):
    item = f'{P}/{coll}/{{{idname}}}'
    out = {
        'create': _rule(f'create_{kind}', write, f'Create a {kind}.', ('POST', f'{P}/{coll}')),
        'get': _rule(f'get_{kind}', get, f'List {kind}s or show one (passing on a project '
                     f'that is not the caller\'s: lists every project\'s).',
                     ('GET', f'{P}/{coll}'), ('GET', item)),
        'delete': _rule(f'delete_{kind}', write, f'Delete a {kind}.', ('DELETE', item)),
    }
    if update:
        out['update'] = _rule(f'update_{kind}', write, f'Update a {kind}.', ('PUT', item))
    return out


DISCOVERY = _rule('network:discovery', ANY, 'API version document, resources and '
                  'extensions (any valid token).', ('GET', P), ('GET', f'{P}/extensions'))

# -- networks ----------------------------------------------------------------------
NETWORK = _crud('network', 'networks', 'network_id',
                get=f'{READER} or {SHARED} or {EXTERNAL}')
_NET = f'{P}/networks'
NETWORK_ATTRS = {
    attr: _rule(f'create_network:{attr}', ADMIN, f'Create a network with {attr} set.',
                ('POST', _NET))
    for attr in ('shared', 'router:external', 'provider:network_type',
                 'provider:physical_network', 'provider:segmentation_id')}
NETWORK_UPDATE_SHARED = _rule('update_network:shared', ADMIN, 'Share or unshare a network.',
                              ('PUT', _NET + '/{network_id}'))

# -- subnets -----------------------------------------------------------------------
# (checked on the subnet's network's project: a member of the network's project)
# (an external network's subnets are its owner's: Neutron shows them to no one else)
SUBNET = _crud('subnet', 'subnets', 'subnet_id', get=f'{READER} or {SHARED}')

# -- ports -------------------------------------------------------------------------
PORT = _crud('port', 'ports', 'port_id')
_PORTS = f'{P}/ports'
_PORT = _PORTS + '/{port_id}'
PORT_ATTRS = {}
for _op, _method, _path in (('create', 'POST', _PORTS), ('update', 'PUT', _PORT)):
    for _attr, _check, _what in (
            ('device_owner', NET_OWNER, 'a network device owner ("network:…")'),
            ('mac_address', NET_OWNER, 'the MAC address'),
            ('fixed_ips', NET_OWNER_OR_SHARED, 'fixed IPs'),
            ('fixed_ips:ip_address', NET_OWNER, 'a given fixed IP address'),
            ('fixed_ips:subnet_id', NET_OWNER_OR_SHARED, 'fixed IPs from a given subnet'),
            ('port_security_enabled', NET_OWNER, 'port_security_enabled'),
            ('allowed_address_pairs', NET_OWNER, 'allowed address pairs'),
            ('binding:host_id', ADMIN, 'the host the port is bound to'),
            ('device_id', f'{ADMIN} or project_id:%(device:project_id)s',
             'a device_id naming an existing server (it must be the port\'s '
             'project\'s)')):
        PORT_ATTRS[f'{_op}:{_attr}'] = _rule(f'{_op}_port:{_attr}', _check,
                                             f'{_op.capitalize()} a port setting {_what}.',
                                             (_method, _path))

# -- floating IPs ------------------------------------------------------------------
FLOATINGIP = _crud('floatingip', 'floatingips', 'floatingip_id')
FLOATINGIP_ADDRESS = _rule('create_floatingip:floating_ip_address', ADMIN,
                           'Allocate a given floating IP address.',
                           ('POST', f'{P}/floatingips'))

# -- routers -----------------------------------------------------------------------
ROUTER = _crud('router', 'routers', 'router_id')
_ROUTERS = f'{P}/routers'
_ROUTER = _ROUTERS + '/{router_id}'
ROUTER_INTERFACE = {
    op: _rule(f'{op}_router_interface', MEMBER, f'{op.capitalize()} a router interface '
              '(a subnet or port of the router\'s project).',
              ('PUT', f'{_ROUTER}/{op}_router_interface'))
    for op in ('add', 'remove')}
ROUTER_ATTRS = {}
for _op, _method, _path in (('create', 'POST', _ROUTERS), ('update', 'PUT', _ROUTER)):
    for _attr, _check, _what in (
            ('external_gateway_info', MEMBER, 'an external gateway'),
            ('external_gateway_info:enable_snat', ADMIN, 'the gateway\'s enable_snat'),
            ('external_gateway_info:external_fixed_ips', ADMIN,
             'the gateway\'s external fixed IPs')):
        ROUTER_ATTRS[f'{_op}:{_attr}'] = _rule(f'{_op}_router:{_attr}', _check,
                                               f'{_op.capitalize()} a router setting {_what}.',
                                               (_method, _path))

# -- agents (none are exposed) -------------------------------------------------------
# Neutron answers the list to anyone, with only the agents ``get_agent`` lets
# the caller see (none for a non-admin).
AGENT = _rule('get_agent', ADMIN, 'See an agent in the agents list (admin).',
              ('GET', f'{P}/agents'))
AGENTS = _rule('network:list_agents', ANY, 'List agents (any valid token; each agent '
               'shown only to callers passing get_agent).', ('GET', f'{P}/agents'))

# -- service providers ---------------------------------------------------------------
SERVICE_PROVIDER = _rule('get_service_provider', ANY, 'List the service providers (any '
                         'valid token).', ('GET', f'{P}/service-providers'))

# -- security groups ---------------------------------------------------------------
SECURITY_GROUP = _crud('security_group', 'security-groups', 'security_group_id')
SECURITY_GROUP_RULE = _crud('security_group_rule', 'security-group-rules', 'rule_id',
                            update=False)


def list_rules():
    return list(RULES)
