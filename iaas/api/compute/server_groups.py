"""/os-server-groups (affinity, anti-affinity, soft variants stored as given)."""
from iaas import wsgi
from iaas.api import auth
from iaas.api.compute import microversion as mv
from iaas.api.compute import schemas
from iaas.api.compute.servers import _ctx, _may, _respond
from iaas.compute import policies as P
from iaas.compute import server_groups as groups
from iaas.compute.api import own_project
from iaas.exception import GroupNotFound, QuotaExceeded
from iaas.identity import policy

POLICIES = ('affinity', 'anti-affinity', 'soft-affinity', 'soft-anti-affinity')


def _view(g, v):
    out = {'id': g['uuid'], 'name': g['name'], 'members': g['members']}
    if v >= (2, 64):    # Nova 2.64: policy and rules replace policies and metadata
        out.update({'policy': g['policy'], 'rules': g['rules'] or {}})
    else:
        out.update({'policies': [g['policy']], 'metadata': {}})
    if v >= (2, 13):
        out.update({'project_id': g['project_id'], 'user_id': g['user_id']})
    return out


def _int_param(req, key):
    return schemas.query_int(req, key, 0)


@wsgi.route_policy(P.GROUPS_INDEX)
def index(req):
    ctx = _ctx(req)
    all_projects = req.GET.get('all_projects', '').lower() in ('true', '1') and \
        _may(ctx, P.GROUPS_INDEX_ALL)
    limit = wsgi.list_limit(req, default=1000)
    if limit == 0:
        return _respond(req, {'server_groups': []})
    rows = groups.list_(None if all_projects else own_project(ctx), limit=limit,
                    offset=_int_param(req, 'offset'))
    return _respond(req, {'server_groups': [_view(g, mv.version(req)) for g in rows]})


@wsgi.route_policy(P.GROUPS_CREATE)
@wsgi.accepts(schemas.SERVER_GROUP_CREATE)
def create(req):
    ctx = _ctx(req)
    v = mv.version(req)
    body = req.json()
    wsgi.validate(body, schemas.SERVER_GROUP_CREATE)
    sg = body['server_group']
    if v >= (2, 64):
        policy = sg.get('policy')
    else:
        policy = (sg.get('policies') or [None])[0]
    if policy not in POLICIES:
        raise wsgi.BadRequest(f'Invalid policy; one of {", ".join(POLICIES)}')
    try:
        g = groups.create(own_project(ctx), ctx.user_id, sg['name'], policy, sg.get('rules'))
    except QuotaExceeded:
        raise wsgi.Forbidden('Quota exceeded, too many server groups.') from None
    return _respond(req, {'server_group': _view(g, v)})


def _group(req, group_id, rule):
    """The group if the caller may show it (404 otherwise) and do ``rule``."""
    ctx = _ctx(req)
    try:
        g = groups.get(group_id)
    except GroupNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    target = {'project_id': g['project_id'], 'user_id': g['user_id']}
    if not policy.check(ctx, P.GROUPS_SHOW, target):
        raise wsgi.NotFound(f'Server group {group_id} could not be found.')
    auth.enforce(ctx, rule, target)
    return g


@wsgi.route_policy(P.GROUPS_SHOW)
def show(req, group_id):
    return _respond(req, {'server_group': _view(_group(req, group_id, P.GROUPS_SHOW),
                                                mv.version(req))})


@wsgi.route_policy(P.GROUPS_DELETE)
def delete(req, group_id):
    g = _group(req, group_id, P.GROUPS_DELETE)
    try:
        groups.delete(group_id, g['project_id'])
    except GroupNotFound as exc:
        raise wsgi.NotFound(str(exc)) from None
    return _respond(req, None, 204)
