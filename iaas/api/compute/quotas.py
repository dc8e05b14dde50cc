"""/os-quota-sets and /limits."""
from iaas import wsgi
from iaas.api import auth
from iaas.api.compute.servers import _ctx, _respond
from iaas.db import quotas as db

SHOWN = ('instances', 'cores', 'ram', 'key_pairs', 'metadata_items', 'server_groups',
         'server_group_members', 'injected_files', 'injected_file_content_bytes',
         'injected_file_path_bytes')
LEGACY = {'fixed_ips': -1, 'floating_ips': -1, 'security_groups': -1,
          'security_group_rules': -1, 'networks': -1}


def _target(req, project_id):
    ctx = _ctx(req)
    if project_id != ctx.project_id and not ctx.is_admin:
        raise wsgi.Forbidden('Policy does not allow quotas of another project.')
    return ctx


def _usage(project_id):
    u = db.usage(project_id)
    return {'instances': u['instances'], 'cores': u['cores'], 'ram': u['ram'],
            'server_groups': u.get('server_groups', 0)}


def show(req, project_id):
    _target(req, project_id)
    limits = db.get_limits(project_id)
    out = {'id': project_id, **{k: limits[k] for k in SHOWN}}
    return _respond(req, {'quota_set': out})


def detail(req, project_id):
    _target(req, project_id)
    limits = db.get_limits(project_id)
    used = _usage(project_id)
    out = {'id': project_id}
    for k in SHOWN:
        out[k] = {'limit': limits[k], 'in_use': used.get(k, 0), 'reserved': 0}
    return _respond(req, {'quota_set': out})


def defaults(req, project_id):
    out = {'id': project_id, **{k: v for k, v in db.defaults().items() if k in SHOWN}}
    return _respond(req, {'quota_set': out})


def update(req, project_id):
    auth.enforce(_ctx(req), 'admin_required')
    body = req.json()
    qs = body.get('quota_set')
    if not isinstance(qs, dict):
        raise wsgi.BadRequest('quota_set is required')
    values = {}
    for k, v in qs.items():
        if k in ('force', 'tenant_id', 'id'):
            continue
        if k in LEGACY:
            continue
        if k not in SHOWN:
            raise wsgi.BadRequest(f'Bad key(s) {k} in quota_set')
        try:
            v = int(v)
        except (TypeError, ValueError):
            raise wsgi.BadRequest(f'Quota value for {k} must be an integer') from None
        if v < -1:
            raise wsgi.BadRequest(f'Quota limit {v} for {k} must be -1 or greater.')
        values[k] = v
    limits = db.set_limits(project_id, values)
    return _respond(req, {'quota_set': {k: limits[k] for k in SHOWN}})


def delete(req, project_id):
    auth.enforce(_ctx(req), 'admin_required')
    db.reset_limits(project_id)
    return _respond(req, None, 202)


def limits(req):
    ctx = _ctx(req)
    project_id = req.GET.get('tenant_id') if ctx.is_admin and req.GET.get('tenant_id') \
        else ctx.project_id
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
