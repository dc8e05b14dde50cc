"""/v2.0/security-groups and /v2.0/security-group-rules."""
import webob

from iaas import wsgi
from iaas.api.network import common, schemas
from iaas.api.network import policies as pol
from iaas.network import api as netapi

SG = pol.SECURITY_GROUP
RULE = pol.SECURITY_GROUP_RULE


@wsgi.route_policy(SG['create'])
@wsgi.accepts(schemas.SECURITY_GROUP_CREATE)
def sg_create(req):
    b = common.body_of(req, 'security_group', schemas.SECURITY_GROUP_CREATE)
    proj = common.owner(req, b, SG['create'])
    netapi.ensure_default_group(proj)
    if b.get('name') == 'default':
        raise wsgi.Fault('Default security group already exists.', code=409,
                         type='SecurityGroupDefaultAlreadyExists')
    g = netapi.sg_create(req.context, b.get('name', ''), proj, b.get('description', ''))
    return 201, {'security_group': g}


@wsgi.route_policy(SG['get'])
def sg_index(req):
    if req.context.project_id:
        netapi.ensure_default_group(req.context.project_id)
    return common.listing(req, netapi.sg_list(common.scope(req, SG['get'])),
                          'security_groups')


def _group(req, security_group_id, rule):
    g = netapi.sg_get(security_group_id, common.scope(req, SG['get']))
    return common.check_item(req, rule, g, 'Security group', security_group_id)


@wsgi.route_policy(SG['get'])
def sg_show(req, security_group_id):
    return {'security_group': common.select_fields(
        req, _group(req, security_group_id, SG['get']))}


@wsgi.route_policy(SG['update'])
@wsgi.accepts(schemas.SECURITY_GROUP_UPDATE)
def sg_update(req, security_group_id):
    b = common.body_of(req, 'security_group', schemas.SECURITY_GROUP_UPDATE)
    g = _group(req, security_group_id, SG['update'])
    if b.get('name') == 'default' and g['name'] != 'default':
        raise wsgi.Fault('Default security group already exists.', code=409,
                         type='SecurityGroupDefaultAlreadyExists')
    return {'security_group': netapi.sg_update(req.context, security_group_id,
                                               common.scope(req, SG['update']), **b)}


@wsgi.route_policy(SG['delete'])
def sg_delete(req, security_group_id):
    _group(req, security_group_id, SG['delete'])
    netapi.sg_delete(req.context, security_group_id, common.scope(req, SG['delete']))
    return webob.Response(status=204)


def _port(v):
    """Neutron's port value conversion: None, or an integer 0-65535."""
    if v is None:
        return None
    if not 0 <= int(v) <= 65535:
        raise wsgi.Fault(f'Invalid value for port {v}', code=400,
                         type='SecurityGroupInvalidPortValue')
    return int(v)


@wsgi.route_policy(RULE['create'])
@wsgi.accepts(schemas.SECURITY_GROUP_RULE_CREATE)
def rule_create(req):
    b = common.body_of(req, 'security_group_rule', schemas.SECURITY_GROUP_RULE_CREATE)
    g = _group(req, b['security_group_id'], RULE['create'])
    proto = b.get('protocol')
    pmin, pmax = _port(b.get('port_range_min')), _port(b.get('port_range_max'))
    r = netapi.rule_create(
        req.context, g['id'], b['direction'], project_id=common.scope(req, RULE['create']),
        ethertype=b.get('ethertype') or 'IPv4',
        protocol=None if proto is None else str(proto),
        port_range_min=pmin, port_range_max=pmax,
        remote_ip_prefix=b.get('remote_ip_prefix'), remote_group_id=b.get('remote_group_id'),
        description=b.get('description', ''))
    return 201, {'security_group_rule': r}


@wsgi.route_policy(RULE['get'])
def rule_index(req):
    return common.listing(req, netapi.rule_list(common.scope(req, RULE['get'])),
                          'security_group_rules')


def _rule(req, rule_id, rule):
    r = netapi.rule_get(rule_id, common.scope(req, RULE['get']))
    return common.check_item(req, rule, r, 'Security group rule', rule_id)


@wsgi.route_policy(RULE['get'])
def rule_show(req, rule_id):
    return {'security_group_rule': common.select_fields(req, _rule(req, rule_id, RULE['get']))}


@wsgi.route_policy(RULE['delete'])
def rule_delete(req, rule_id):
    _rule(req, rule_id, RULE['delete'])
    netapi.rule_delete(req.context, rule_id, common.scope(req, RULE['delete']))
    return webob.Response(status=204)
