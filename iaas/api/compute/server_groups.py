"""/os-server-groups (affinity, anti-affinity, soft variants stored as given)."""
from iaas import wsgi
from iaas.api.compute import microversion as mv
from iaas.api.compute.servers import _ctx, _respond
from iaas.db import quotas
from iaas.db import server_groups as db

POLICIES = ('affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity')


def _view(g, v):
    out = {'id': g['uuid'], 'name': g['name'], 'members': g['members'],
           'metadata': {}}
    if v >= (2, 64):
        out.update({'policy': g['policy'], 'rules': g['rules'] or {}})
    else:
        out['policies'] = [g['policy']]
    if v >= (2, 13):
        out.update({'project_id': g['project_id'], 'user_id': g['user_id']})
    return out


def index(req):
    ctx = _ctx(req)
    all_projects = ctx.is_admin and req.GET.get('all_projects', '').lower() in ('true', '1')
    rows = db.list_(None if all_projects else ctx.project_id,
                    limit=int(req.GET['limit']) if req.GET.get('limit', '').isdigit() else None,
                    offset=int(req.GET['offset']) if req.GET.get('offset', '').isdigit()
                    else None)
    return _respond(req, {'server_groups': [_view(g, mv.version(req)) for g in rows]})


def create(req):
    ctx = _ctx(req)
    v = mv.version(req)
    body = req.json()
    sg = body.get('server_group')
    if not isinstance(sg, dict) or not isinstance(sg.get('name'), str) or not sg['name']:
        raise wsgi.BadRequest('server_group with a name is required')
    if v >= (2, 64):
        policy = sg.get('policy')
    else:
        pols = sg.get('policies')
        policy = pols[0] if isinstance(pols, list) and len(pols) == 1 else None
    if policy not in POLICIES:
        raise wsgi.BadRequest(f'Invalid policy; one of {", ".join(POLICIES)}')
    try:
        g = db.create(ctx.project_id, ctx.user_id, sg['name'], policy, sg.get('rules'))
    except quotas.QuotaExceeded:
        raise wsgi.Forbidden('Quota exceeded, too many server groups.') from None
    return _respond(req, {'server_group': _view(g, v)})


def show(req, group_id):
    ctx = _ctx(req)
    try:
        g = db.get(group_id, None if ctx.is_admin else ctx.project_id)
    except db.GroupNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    return _respond(req, {'server_group': _view(g, mv.version(req))})


def delete(req, group_id):
    ctx = _ctx(req)
    try:
        db.delete(group_id, None if ctx.is_admin else ctx.project_id)
    except db.GroupNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    return _respond(req, None, 204)
