"""/os-quota-sets and /limits."""
from iaas import wsgi
from iaas.api import auth
from iaas.api.compute import policies as P
from iaas.api.compute import schemas
from iaas.api.compute.servers import _ctx, _respond
from iaas.db import quotas as db

SHOWN = schemas.QUOTA_RESOURCES


def _usage(project_id):
    u = db.usage(project_id)
    return {'instances': u['instances'], 'cores': u['cores'], 'ram': u['ram'],
            'server_groups': u.get('server_groups', 0)}


# The router checks each route's rule with the path's {project_id} as target
# (another project's quotas: admin only by default).

@wsgi.route_policy(P.QUOTA_SHOW)
def show(req, project_id):
    limits = db.get_limits(project_id)
    out = {'id': project_id, **{k: limits[k] for k in SHOWN}}
    return _respond(req, {'quota_set': out})


@wsgi.route_policy(P.QUOTA_DETAIL)
def detail(req, project_id):
    limits = db.get_limits(project_id)
    used = _usage(project_id)
    out = {'id': project_id}
    for k in SHOWN:
        out[k] = {'limit': limits[k], 'in_use': used.get(k, 0), 'reserved': 0}
    return _respond(req, {'quota_set': out})


@wsgi.route_policy(P.QUOTA_DEFAULTS)
def defaults(req, project_id):
    out = {'id': project_id, **{k: v for k, v in db.defaults().items() if k in SHOWN}}
    return _respond(req, {'quota_set': out})


@wsgi.route_policy(P.QUOTA_UPDATE)
@wsgi.accepts(schemas.QUOTA_UPDATE)
def update(req, project_id):
    """Values are integers from -1 (unlimited) to 2^31-1; ``1.5`` or ``2^63``
    is a 400 and changes nothing."""
    body = req.json()
    wsgi.validate(body, schemas.QUOTA_UPDATE)
    values = {k: schemas.int_in(v, k, -1) for k, v in body['quota_set'].items()
              if k in SHOWN}
    limits = db.set_limits(project_id, values)
    return _respond(req, {'quota_set': {k: limits[k] for k in SHOWN}})


@wsgi.route_policy(P.QUOTA_DELETE)
def delete(req, project_id):
    db.reset_limits(project_id)
    return _respond(req, None, 202)


@wsgi.route_policy(P.LIMITS)
def limits(req):
    ctx = _ctx(req)
    project_id = req.GET.get('tenant_id') or ctx.project_id
    if project_id != ctx.project_id:
        auth.enforce(ctx, P.LIMITS_OTHER, {'project_id': project_id})
    lim = db.get_limits(project_id)
    used = _usage(project_id)
    absolute = {'maxTotalInstances': lim['instances'], 'maxTotalCores': lim['cores'],
                'maxTotalRAMSize': lim['ram'], 'maxTotalKeypairs': lim['key_pairs'],
                'maxServerMeta': lim['metadata_items'],
                'maxServerGroups': lim['server_groups'],
                'maxServerGroupMembers': lim['server_group_members'],
                'maxPersonality': lim['injected_files'],
                'maxPersonalitySize': lim['injected_file_content_bytes'],
                'totalInstancesUsed': used['instances'], 'totalCoresUsed': used['cores'],
                'totalRAMUsed': used['ram'], 'totalServerGroupsUsed': used['server_groups']}
    return _respond(req, {'limits': {'rate': [], 'absolute': absolute}})
