"""/os-quota-sets and /limits."""
from iaas import wsgi
from iaas.api import auth
from iaas.api.compute import microversion as mv
from iaas.api.compute import schemas
from iaas.api.compute.servers import _ctx, _respond
from iaas.compute import policies as P
from iaas.compute import quotas

SHOWN = schemas.QUOTA_RESOURCES
INJECTED = ('injected_files', 'injected_file_content_bytes', 'injected_file_path_bytes')
# Before 2.36 Nova shows its network quotas too (Neutron enforces them now):
# its defaults, fixed, as Nova with Neutron does.
LEGACY = {'fixed_ips': -1, 'floating_ips': 10, 'security_groups': 10,
          'security_group_rules': 20}


def _shown(req):
    """The quota names of the request's microversion: the network ones
    only before 2.36, the injected-file ones only before 2.57."""
    v = mv.version(req)
    return tuple(k for k in SHOWN if v < (2, 57) or k not in INJECTED)


def _quota_set(req, limits, project_id=None):
    out = {'id': project_id} if project_id is not None else {}
    out.update({k: limits[k] for k in _shown(req)})
    if mv.version(req) < (2, 36):
        out.update(LEGACY)
    return out


# The router checks each route's rule with the path's {project_id} as target
# (another project's quotas: admin only by default).

@wsgi.route_policy(P.QUOTA_SHOW)
def show(req, project_id):
    return _respond(req, {'quota_set': _quota_set(req, quotas.get_limits(project_id), project_id)})


@wsgi.route_policy(P.QUOTA_DETAIL)
def detail(req, project_id):
    limits = quotas.get_limits(project_id)
    used = quotas.usage(project_id)
    out = {'id': project_id}
    for k in _shown(req):
        out[k] = {'limit': limits[k], 'in_use': used.get(k, 0), 'reserved': 0}
    if mv.version(req) < (2, 36):
        out.update({k: {'limit': n, 'in_use': 0, 'reserved': 0} for k, n in LEGACY.items()})
    return _respond(req, {'quota_set': out})


@wsgi.route_policy(P.QUOTA_DEFAULTS)
def defaults(req, project_id):
    return _respond(req, {'quota_set': _quota_set(req, quotas.defaults(), project_id)})


@wsgi.route_policy(P.QUOTA_UPDATE)
@wsgi.accepts(schemas.QUOTA_UPDATE)
def update(req, project_id):
    """Values are integers from -1 (unlimited) to 2^31-1; ``1.5`` or ``2^63``
    is a 400 and changes nothing."""
    body = req.json()
    wsgi.validate(body, schemas.QUOTA_UPDATE)
    shown = _shown(req)
    extra = set(body['quota_set']) - set(shown) - {'force', 'tenant_id', 'id'}
    if mv.version(req) < (2, 36):
        extra -= set(LEGACY)
    if extra:
        raise wsgi.BadRequest('Invalid input for field/attribute quota_set. Additional '
                              f'properties are not allowed ({sorted(extra)[0][:64]!r} '
                              'was unexpected)')
    values = {k: schemas.int_in(v, k, -1) for k, v in body['quota_set'].items()
              if k in shown}
    limits = quotas.set_limits(project_id, values)
    return _respond(req, {'quota_set': _quota_set(req, limits)})


@wsgi.route_policy(P.QUOTA_DELETE)
def delete(req, project_id):
    quotas.reset_limits(project_id)
    return _respond(req, None, 202)


@wsgi.route_policy(P.LIMITS)
def limits(req):
    ctx = _ctx(req)
    project_id = req.GET.get('tenant_id') or ctx.project_id
    if project_id != ctx.project_id:
        auth.enforce(ctx, P.LIMITS_OTHER, {'project_id': project_id})
    lim = quotas.get_limits(project_id)
    used = quotas.usage(project_id)
    absolute = {'maxTotalInstances': lim['instances'], 'maxTotalCores': lim['cores'],
                'maxTotalRAMSize': lim['ram'], 'maxTotalKeypairs': lim['key_pairs'],
                'maxServerMeta': lim['metadata_items'],
                'maxServerGroups': lim['server_groups'],
                'maxServerGroupMembers': lim['server_group_members'],
                'totalInstancesUsed': used['instances'], 'totalCoresUsed': used['cores'],
                'totalRAMUsed': used['ram'], 'totalServerGroupsUsed': used['server_groups']}
    v = mv.version(req)
    if v < (2, 36):
        absolute.update({'maxTotalFloatingIps': LEGACY['floating_ips'],
                         'maxSecurityGroups': LEGACY['security_groups'],
                         'maxSecurityGroupRules': LEGACY['security_group_rules'],
                         'totalFloatingIpsUsed': 0, 'totalSecurityGroupsUsed': 0})
    if v < (2, 39):
        absolute['maxImageMeta'] = lim['metadata_items']
    if v < (2, 57):
        absolute.update({'maxPersonality': lim['injected_files'],
                         'maxPersonalitySize': lim['injected_file_content_bytes']})
    return _respond(req, {'limits': {'rate': [], 'absolute': absolute}})
