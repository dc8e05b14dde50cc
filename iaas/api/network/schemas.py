"""JSON schemas of the network API's request bodies (one per write route).

Each handler declares its schema with ``@wsgi.accepts`` (the API's OpenAPI
document) and checks the body with it through
:func:`iaas.api.network.common.body_of`: a wrong type (null, a list or an
object where a string is expected, a string where a boolean is), a huge
integer or a list longer than Neutron's caps is a 400 before any work.
The attributes a body may carry are the schema's ``properties`` (others:
Neutron's "Unrecognized attribute(s)").
"""
NAME = {'type': 'string', 'maxLength': 255}
DESCRIPTION = {'type': 'string', 'maxLength': 255}
ID = {'type': 'string', 'minLength': 1, 'maxLength': 64}
OPT_ID = {'type': ['string', 'null'], 'maxLength': 64}
PROJECT = {'type': 'string', 'minLength': 1, 'maxLength': 64}
# Neutron converts "true"/"false" (any case) too; anything else is a 400.
BOOL = {'oneOf': [{'type': 'boolean'},
                  {'type': 'string', 'pattern': '^([Tt][Rr][Uu][Ee]|[Ff][Aa][Ll][Ss][Ee])$'}]}
ADDRESS = {'type': 'string', 'minLength': 1, 'maxLength': 64}
OPT_ADDRESS = {'type': ['string', 'null'], 'maxLength': 64}
TAGS = {'type': 'array', 'maxItems': 64, 'items': {'type': 'string', 'maxLength': 255}}
# Lists bounded before any work: caps as Neutron's defaults ([network]
# max_fixed_ips_per_port, max_dns_nameservers, max_subnet_host_routes are
# checked again with the configured value).
MAX_LIST = 1000


def _body(key, props, required=()):
    inner = {'type': 'object', 'properties': props, 'required': list(required)}
    return {'type': 'object', 'properties': {key: inner}, 'required': [key]}


def _int(lo, hi, null=False):
    return {'type': ['integer', 'null'] if null else 'integer', 'minimum': lo, 'maximum': hi}


_NETWORK = {
    'name': NAME, 'description': DESCRIPTION, 'admin_state_up': BOOL, 'shared': BOOL,
    'router:external': BOOL, 'mtu': _int(68, 65535),
    'port_security_enabled': BOOL, 'project_id': PROJECT, 'tenant_id': PROJECT,
    'provider:network_type': {'type': 'string', 'maxLength': 16},
    'provider:segmentation_id': _int(0, 16777215, null=True),
    'provider:physical_network': {'type': ['string', 'null'], 'maxLength': 15},  # a link
    'availability_zone_hints': {'type': 'array', 'maxItems': 16,
                                'items': {'type': 'string', 'maxLength': 255}},
    'is_default': BOOL, 'dns_domain': {'type': 'string', 'maxLength': 255},
    'qos_policy_id': OPT_ID, 'tags': TAGS,
}
NETWORK_CREATE = _body('network', _NETWORK)
NETWORK_UPDATE = _body('network', {k: _NETWORK[k] for k in (
    'name', 'admin_state_up', 'description', 'shared', 'mtu', 'port_security_enabled')})

_POOL = {'type': 'object', 'properties': {'start': ADDRESS, 'end': ADDRESS},
         'required': ['start', 'end'], 'additionalProperties': False}
_ROUTE = {'type': 'object', 'properties': {'destination': ADDRESS, 'nexthop': ADDRESS},
          'required': ['destination', 'nexthop'], 'additionalProperties': False}
_SUBNET = {
    'name': NAME, 'description': DESCRIPTION, 'network_id': ID, 'cidr': ADDRESS,
    'ip_version': {'enum': [4, 6]}, 'gateway_ip': OPT_ADDRESS,
    'dns_nameservers': {'type': 'array', 'maxItems': 5, 'items': ADDRESS},
    'allocation_pools': {'type': 'array', 'maxItems': 100, 'items': _POOL},
    'host_routes': {'type': 'array', 'maxItems': 20, 'items': _ROUTE},
    'enable_dhcp': BOOL, 'project_id': PROJECT, 'tenant_id': PROJECT,
    'ipv6_ra_mode': {'type': ['string', 'null'], 'maxLength': 32},
    'ipv6_address_mode': {'type': ['string', 'null'], 'maxLength': 32},
    'subnetpool_id': OPT_ID, 'service_types': TAGS, 'use_default_subnetpool': BOOL,
    'tags': TAGS, 'segment_id': OPT_ID, 'prefixlen': _int(0, 128),
}
SUBNET_CREATE = _body('subnet', _SUBNET, required=('network_id', 'cidr'))
SUBNET_UPDATE = _body('subnet', {k: _SUBNET[k] for k in (
    'name', 'description', 'dns_nameservers', 'enable_dhcp', 'host_routes', 'gateway_ip',
    'allocation_pools')})

_FIXED_IP = {'type': 'object', 'properties': {'subnet_id': ID, 'ip_address': ADDRESS},
             'additionalProperties': False}
_PORT = {
    'name': NAME, 'description': DESCRIPTION, 'network_id': ID,
    'fixed_ips': {'type': 'array', 'maxItems': MAX_LIST, 'items': _FIXED_IP},
    'mac_address': {'type': 'string', 'pattern': '^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$'},
    'device_id': {'type': 'string', 'maxLength': 255},
    'device_owner': {'type': 'string', 'maxLength': 255},
    'binding:host_id': {'type': 'string', 'maxLength': 255},
    'security_groups': {'type': 'array', 'maxItems': 100, 'items': ID},
    'admin_state_up': BOOL, 'project_id': PROJECT, 'tenant_id': PROJECT,
    'port_security_enabled': BOOL,
    'binding:vnic_type': {'type': 'string', 'maxLength': 64},
    'binding:profile': {'type': 'object', 'maxProperties': 32},
    'allowed_address_pairs': {'type': 'array', 'maxItems': 10, 'items': {
        'type': 'object', 'required': ['ip_address'], 'additionalProperties': False,
        'properties': {'ip_address': ADDRESS, 'mac_address': {
            'type': 'string', 'pattern': '^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$'}}}},
    'extra_dhcp_opts': {'type': 'array', 'maxItems': 10},
    'dns_name': {'type': 'string', 'maxLength': 255}, 'tags': TAGS, 'qos_policy_id': OPT_ID,
}
PORT_CREATE = _body('port', _PORT, required=('network_id',))
PORT_UPDATE = _body('port', {k: _PORT[k] for k in (
    'name', 'device_id', 'device_owner', 'binding:host_id', 'security_groups',
    'admin_state_up', 'description', 'port_security_enabled', 'binding:profile',
    'binding:vnic_type', 'dns_name', 'fixed_ips', 'allowed_address_pairs')})

_FIP = {
    'floating_network_id': ID, 'floating_ip_address': ADDRESS, 'port_id': OPT_ID,
    'fixed_ip_address': OPT_ADDRESS, 'description': DESCRIPTION, 'project_id': PROJECT,
    'tenant_id': PROJECT, 'subnet_id': OPT_ID, 'dns_domain': {'type': 'string',
                                                               'maxLength': 255},
    'dns_name': {'type': 'string', 'maxLength': 255}, 'qos_policy_id': OPT_ID, 'tags': TAGS,
}
FLOATINGIP_CREATE = _body('floatingip', _FIP, required=('floating_network_id',))
FLOATINGIP_UPDATE = _body('floatingip', {k: _FIP[k] for k in (
    'port_id', 'fixed_ip_address', 'description')})

SECURITY_GROUP_CREATE = _body('security_group', {
    'name': NAME, 'description': DESCRIPTION, 'project_id': PROJECT, 'tenant_id': PROJECT,
    'stateful': BOOL, 'tags': TAGS})
SECURITY_GROUP_UPDATE = _body('security_group', {'name': NAME, 'description': DESCRIPTION})

# Range checked by the handler with Neutron's messages ("Invalid value for port").
_PORT_NUMBER = {'oneOf': [_int(-2 ** 31, 2 ** 31, null=True),
                          {'type': 'string', 'pattern': '^-?[0-9]{1,10}$'}]}
SECURITY_GROUP_RULE_CREATE = _body('security_group_rule', {
    'security_group_id': ID, 'direction': {'enum': ['ingress', 'egress']},
    'ethertype': {'enum': ['IPv4', 'IPv6']},
    'protocol': {'oneOf': [{'type': 'null'}, {'type': 'string', 'maxLength': 16},
                           _int(0, 255)]},
    'port_range_min': _PORT_NUMBER, 'port_range_max': _PORT_NUMBER,
    'remote_ip_prefix': OPT_ADDRESS, 'remote_group_id': OPT_ID,
    'remote_address_group_id': OPT_ID, 'description': DESCRIPTION, 'project_id': PROJECT,
    'tenant_id': PROJECT}, required=('security_group_id', 'direction'))


_GATEWAY = {'type': ['object', 'null'], 'additionalProperties': False, 'properties': {
    'network_id': ID, 'enable_snat': BOOL,
    'external_fixed_ips': {'type': 'array', 'maxItems': 5, 'items': _FIXED_IP}}}
_ROUTER = {
    'name': NAME, 'description': DESCRIPTION, 'admin_state_up': BOOL,
    'external_gateway_info': _GATEWAY, 'project_id': PROJECT, 'tenant_id': PROJECT,
    'routes': {'type': ['array', 'null'], 'maxItems': 50, 'items': _ROUTE},
    'availability_zone_hints': {'type': 'array', 'maxItems': 16,
                                'items': {'type': 'string', 'maxLength': 255}},
    'tags': TAGS,
}
ROUTER_CREATE = _body('router', {k: v for k, v in _ROUTER.items() if k != 'routes'})
ROUTER_UPDATE = _body('router', {k: _ROUTER[k] for k in (
    'name', 'description', 'admin_state_up', 'external_gateway_info', 'routes')})
# add_router_interface / remove_router_interface: a bare object, one of the two
ROUTER_INTERFACE = {'type': 'object', 'additionalProperties': False,
                    'properties': {'subnet_id': ID, 'port_id': ID}}


def fields(schema):
    """The attributes a body of ``schema`` may carry (its one key's properties)."""
    (inner,) = schema['properties'].values()
    return inner['properties']
