"""/v2.0/security-groups and /v2.0/security-group-rules."""
import webob

from iaas import wsgi
from iaas.api.network import common
from iaas.network import api as netapi

SG_FIELDS = {'name', 'description', 'project_id', 'tenant_id', 'stateful', 'tags'}
RULE_FIELDS = {'security_group_id', 'direction', 'ethertype', 'protocol', 'port_range_min',
               'port_range_max', 'remote_ip_prefix', 'remote_group_id', 'description',
               'project_id', 'tenant_id', 'remote_address_group_id'}


def sg_create(req):
    b = common.body_of(req, 'security_group')
    common.check_fields(b, SG_FIELDS, 'security_group')
    proj = common.owner(req, b)
    netapi.ensure_default_group(proj)
    if b.get('name') == 'default':
        raise wsgi.Fault('Default security group already exists.', code=409,
                         type='SecurityGroupDefaultAlreadyExists')
    g = netapi.sg_create(req.context, str(b.get('name') or ''), proj,
                         str(b.get('description') or ''))
    return 201, {'security_group': g}


def sg_index(req):
    if req.context.project_id:
        netapi.ensure_default_group(req.context.project_id)
    return common.listing(req, netapi.sg_list(common.scope(req)), 'security_groups')


def sg_show(req, security_group_id):
    return {'security_group': common.select_fields(
        req, netapi.sg_get(security_group_id, common.scope(req)))}


def sg_update(req, security_group_id):
    b = common.body_of(req, 'security_group')
    common.check_fields(b, {'name', 'description'}, 'security_group')
    return {'security_group': netapi.sg_update(req.context, security_group_id,
                                               common.scope(req), **b)}


def sg_delete(req, security_group_id):
    netapi.sg_delete(req.context, security_group_id, common.scope(req))
    return webob.Response(status=204)


def _port(v, name):
    if v is None:
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        raise wsgi.Fault(f'Invalid value for port {v}', code=400,
                         type='SecurityGroupInvalidPortValue') from None


def rule_create(req):
    b = common.body_of(req, 'security_group_rule')
    common.check_fields(b, RULE_FIELDS, 'security_group_rule')
    if not b.get('security_group_id') or b.get('direction') not in ('ingress', 'egress'):
        raise wsgi.Fault("Invalid input for operation: 'security_group_id' and 'direction' "
                         '(ingress|egress) are required.', code=400, type='InvalidInput')
    proto = b.get('protocol')
    r = netapi.rule_create(
        req.context, b['security_group_id'], b['direction'], project_id=common.scope(req),
        ethertype=b.get('ethertype') or 'IPv4',
        protocol=None if proto is None else str(proto),
        port_range_min=_port(b.get('port_range_min'), 'min'),
        port_range_max=_port(b.get('port_range_max'), 'max'),
        remote_ip_prefix=b.get('remote_ip_prefix'), remote_group_id=b.get('remote_group_id'),
        description=str(b.get('description') or ''))
    return 201, {'security_group_rule': r}


def rule_index(req):
    return common.listing(req, netapi.rule_list(common.scope(req)), 'security_group_rules')


def rule_show(req, rule_id):
    return {'security_group_rule': common.select_fields(
        req, netapi.rule_get(rule_id, common.scope(req)))}


def rule_delete(req, rule_id):
    netapi.rule_delete(req.context, rule_id, common.scope(req))
    return webob.Response(status=204)
