"""/servers: create, list, show, update, delete, metadata, instance actions."""
import datetime
import ipaddress
import secrets
from urllib.parse import urlencode

from iaas import states, wsgi
from iaas.api import auth
from iaas.api.compute import microversion as mv
from iaas.api.compute import schemas, views
from iaas.compute import boot_volumes, instances
from iaas.compute import policies as P
from iaas.compute.api import API, ComputeError
from iaas.compute.api import NotFound as ComputeNotFound
from iaas.exception import InstanceNotFound
from iaas.identity import policy
from iaas.network import api as network_api

compute_api = API()
MAX_LIMIT = 1000
CREATE_SCHEMA = schemas.SERVER_CREATE


def _ctx(req):
    return req.context


def _respond(req, body, status=200, headers=None):
    v = mv.version(req)
    return status, body, {**mv.headers(v), **(headers or {})}


def _may(ctx, rule, project_id=None):
    """Whether ``ctx`` passes ``rule`` on ``project_id`` (default: its own)."""
    return policy.check(ctx, rule, {'project_id': project_id or ctx.project_id,
                                    'user_id': ctx.user_id})


def _image_from_bdm(server):
    for bdm in server.get('block_device_mapping_v2') or []:
        if isinstance(bdm, dict) and bdm.get('source_type') == 'image' \
                and bdm.get('boot_index') in (0, '0') and isinstance(bdm.get('uuid'), str):
            return bdm['uuid']
    return None


@wsgi.route_policy(P.SERVERS_CREATE)
@wsgi.accepts(schemas.SERVER_CREATE)
def create(req):
    body = req.json()
    wsgi.validate(body, schemas.SERVER_CREATE)
    v = mv.version(req)
    s = body['server']
    if 'personality' in s:
        raise wsgi.BadRequest("Invalid input for field/attribute server: Additional "
                              "properties are not allowed ('personality' was unexpected)")
    if v >= (2, 37) and 'networks' not in s:
        raise wsgi.BadRequest("Invalid input for field/attribute server: 'networks' is a "
                              'required property')
    bdms = boot_volumes.parse_bdms(s.get('block_device_mapping_v2'))
    image_ref = s.get('imageRef') or _image_from_bdm(s) or \
        compute_api.boot_volumes.root_image(_ctx(req), bdms)
    if not image_ref:
        raise wsgi.BadRequest('Missing imageRef attribute')
    min_count = schemas.int_in(s.get('min_count', 1), 'min_count', 1, None)
    max_count = schemas.int_in(s.get('max_count', min_count), 'max_count', 1, None)
    if min_count > max_count:
        raise wsgi.BadRequest('min_count must be <= max_count')
    hints = body.get('os:scheduler_hints') or body.get('OS-SCH-HNT:scheduler_hints') or {}
    created, reservation_id = compute_api.create(
        _ctx(req), s['name'], image_ref, str(s['flavorRef']), key_name=s.get('key_name'),
        user_data=s.get('user_data'), metadata=s.get('metadata'),
        availability_zone=s.get('availability_zone'), min_count=min_count,
        max_count=max_count, scheduler_hints=hints, description=s.get('description'),
        config_drive=schemas.truthy(s.get('config_drive', False)),
        networks=s.get('networks'), security_groups=s.get('security_groups'),
        system_metadata=access_ips(s), block_devices=bdms)
    if schemas.truthy(s.get('return_reservation_id', False)):
        return _respond(req, {'reservation_id': reservation_id}, 202)
    first = created[0]
    # Nova's create view: id, links, OS-DCF:diskConfig, the requested groups
    # (or default) and the password; not the name.
    out = {'id': first['uuid'], 'links': views.server_brief(req, first)['links'],
           'OS-DCF:diskConfig': s.get('OS-DCF:diskConfig') or 'MANUAL',
           'security_groups': s.get('security_groups') or [{'name': 'default'}],
           'adminPass': s.get('adminPass') or secrets.token_urlsafe(9)}
    location = out['links'][0]['href']
    return _respond(req, {'server': out}, 202, {'Location': location})


def access_ips(s):
    """The system metadata keeping ``accessIPv4``/``accessIPv6`` (canonical
    text; '' clears) and ``OS-DCF:diskConfig`` of a create, update, rebuild
    or resize body; 400 for what is not an address of that family (as
    Nova's ipv4/ipv6 formats)."""
    out = {}
    if s.get('OS-DCF:diskConfig') in ('AUTO', 'MANUAL'):
        out['disk_config'] = s['OS-DCF:diskConfig']
    for key, field, cls in (('accessIPv4', 'access_ip_v4', ipaddress.IPv4Address),
                            ('accessIPv6', 'access_ip_v6', ipaddress.IPv6Address)):
        if key not in s:
            continue
        raw = s[key]
        if raw in ('', None):
            out[field] = ''
            continue
        try:
            out[field] = str(cls(raw))
        except ValueError:
            raise wsgi.BadRequest(f'Invalid input for field/attribute {key}. Value: '
                                  f'{str(raw)[:64]}. {str(raw)[:64]!r} is not a \''
                                  f"{'ipv4' if key.endswith('4') else 'ipv6'}'") from None
    return out


def _since(p, key):
    raw = p.get(key) or p.get(key.replace('-', '_'))
    if not raw:
        return None
    try:
        dt = datetime.datetime.fromisoformat(raw.replace('Z', '+00:00'))
    except ValueError:
        raise wsgi.BadRequest(f'Invalid filter field: {key}: {raw[:64]!r} is not an '
                              'ISO 8601 time') from None
    if dt.tzinfo is not None:
        dt = dt.astimezone(datetime.UTC).replace(tzinfo=None)
    return dt


def _filters(req, ctx, all_filters):
    p = req.GET
    f = {}
    if p.get('name'):
        f['name'] = p['name']
    if p.get('status'):
        wanted = []
        for st in p.getall('status'):
            if st.upper() not in states.STATUS_TO_VM_STATES:
                return None
            wanted += states.STATUS_TO_VM_STATES[st.upper()]
        f['vm_states'] = wanted
    if p.get('image'):
        f['image_ref'] = p['image'].rsplit('/', 1)[-1]
    if p.get('flavor'):
        try:
            f['flavor_id'] = compute_api.flavor(ctx, p['flavor'].rsplit('/', 1)[-1])['id']
        except ComputeError:     # a flavor the caller cannot see matches nothing
            return None
    since = _since(p, 'changes-since')
    if since is not None:
        f['changes_since'] = since
    for key in ('reservation_id', 'availability_zone'):
        if p.get(key):
            f[key] = p[key]
    if all_filters:
        if p.get('host'):
            f['host'] = p['host']
        if p.get('node'):
            f['node'] = p['node']
    if p.get('locked') is not None and p.get('locked') != '':
        f['locked'] = p['locked'].lower() in ('true', '1', 'yes')
    return f


SORT_KEYS = {'display_name': 'display_name', 'name': 'display_name',
             'created_at': 'created_at', 'updated_at': 'updated_at', 'uuid': 'uuid',
             'vm_state': 'vm_state', 'task_state': 'task_state', 'host': 'host',
             'launched_at': 'launched_at', 'power_state': 'power_state',
             'hostname': 'hostname', 'terminated_at': 'terminated_at'}


def _sort(req):
    keys = req.GET.getall('sort_key') or []
    dirs = req.GET.getall('sort_dir') or []
    if len(keys) > len(SORT_KEYS) or len(dirs) > len(SORT_KEYS):
        raise wsgi.BadRequest('Too many sort keys')
    for d in dirs:
        if d not in ('asc', 'desc'):
            raise wsgi.BadRequest(f'Invalid sort direction: {d[:64]}')
    out = []
    for i, k in enumerate(keys):
        if k not in SORT_KEYS:
            raise wsgi.BadRequest(f'Invalid sort key: {k[:64]}')
        d = dirs[i] if i < len(dirs) else 'desc'
        out.append((SORT_KEYS[k], d))
    return out or [('created_at', 'desc')]


def _flag(req, key):
    return req.GET.get(key, 'false').lower() not in ('false', '0', 'no', 'off', '') \
        if key in req.GET else False


def _list(req, detail):
    """Nova's rules: ``all_tenants`` (or a ``tenant_id`` other than the
    caller's) needs the list's get_all_tenants rule (403 otherwise);
    ``project_id``/``host``/``node``/``deleted`` filters need
    allow_all_filters and are ignored without it."""
    ctx = _ctx(req)
    v = mv.version(req)
    all_filters = _may(ctx, P.SERVERS_ALL_FILTERS)
    tenant = req.GET.get('tenant_id')
    all_tenants = _flag(req, 'all_tenants') or bool(tenant and tenant != ctx.project_id)
    if all_tenants:
        auth.enforce(ctx, P.SERVERS_DETAIL_ALL if detail else P.SERVERS_INDEX_ALL)
    project = tenant if all_tenants and tenant else None
    if all_filters and req.GET.get('project_id'):
        project, all_tenants = req.GET['project_id'], True
    limit = wsgi.list_limit(req, default=MAX_LIMIT, maximum=MAX_LIMIT)
    sort = _sort(req)
    filters = _filters(req, ctx, all_filters)
    if filters is None or limit == 0:
        return _respond(req, {'servers': []})
    if all_filters and _flag(req, 'deleted'):
        filters['vm_states'] = ['deleted']
        filters.setdefault('changes_since', datetime.datetime(1970, 1, 1))
    if req.GET.get('ip') or req.GET.get('ip6'):
        filters['uuids'] = _ip_matches(req, ctx, filters, all_tenants, project)
    items = compute_api.list(ctx, filters=filters, all_tenants=all_tenants,
                             project_id=project, sort=sort, limit=limit,
                             marker=req.GET.get('marker'))
    if detail:
        uuids = [i['uuid'] for i in items]
        addresses = network_api.addresses_for_instances(uuids)
        groups = network_api.security_groups_for_instances(uuids)
        extended = _may(ctx, P.EXTENDED_ATTRIBUTES)
        servers = [views.server_detail(req, i, v, extended, addresses.get(i['uuid']),
                                       groups.get(i['uuid']), kind='list') for i in items]
    else:
        servers = [views.server_brief(req, i) for i in items]
    body = {'servers': servers}
    if limit and len(items) == limit:
        base = req.host_url + req.script_name + req.path_info
        query = {k: val for k, val in req.GET.items() if k != 'marker'}
        query['marker'] = items[-1]['uuid']
        body['servers_links'] = [{'rel': 'next', 'href': f'{base}?{urlencode(query)}'}]
    return _respond(req, body)


def _ip_matches(req, ctx, filters, all_tenants, project):
    """uuids of the servers (among those the other filters keep) with an
    address matching the ``ip`` (IPv4) or ``ip6`` (IPv6) regular expression,
    searched anywhere in the address as Nova does (RE2: linear time)."""
    wanted = []
    for key, version in (('ip', 4), ('ip6', 6)):
        if req.GET.get(key):
            try:
                wanted.append((version, instances.name_filter(req.GET[key])))
            except ValueError as exc:
                raise wsgi.BadRequest(str(exc).replace('name filter', f'{key} filter')) \
                    from None
    candidates = [i['uuid'] for i in compute_api.list(
        ctx, filters=filters, all_tenants=all_tenants, project_id=project)]
    out = []
    for uuid, addrs in network_api.addresses_for_instances(candidates).items():
        if all(any(a['version'] == version and rx.search(a['addr'])
                   for items in addrs.values() for a in items) for version, rx in wanted):
            out.append(uuid)
    return out


@wsgi.route_policy(P.SERVERS_INDEX)
def index(req):
    return _list(req, detail=False)


@wsgi.route_policy(P.SERVERS_DETAIL)
def detail(req):
    return _list(req, detail=True)


def _detail_view(req, ctx, inst, status=200, kind='show', extra=None):
    extended = _may(ctx, P.EXTENDED_ATTRIBUTES, inst['project_id'])
    out = views.server_detail(req, inst, mv.version(req), extended, kind=kind)
    out.update(extra or {})
    return _respond(req, {'server': out}, status)


@wsgi.route_policy(P.SERVERS_SHOW)
def show(req, server_id):
    ctx = _ctx(req)
    return _detail_view(req, ctx, compute_api.get(ctx, server_id))


@wsgi.route_policy(P.SERVERS_UPDATE)
@wsgi.accepts(schemas.SERVER_UPDATE)
def update(req, server_id):
    body = req.json()
    wsgi.validate(body, schemas.SERVER_UPDATE)
    s = body['server']
    values = {}
    if 'name' in s:
        values['display_name'] = s['name']
    if 'description' in s:
        if mv.version(req) < (2, 19):
            raise wsgi.BadRequest('description is supported from microversion 2.19')
        values['display_description'] = s['description']
    ctx = _ctx(req)
    ips = access_ips(s)
    if ips:
        inst = compute_api.get(ctx, server_id, P.SERVERS_UPDATE)
        values['system_metadata'] = {**(inst['system_metadata'] or {}), **ips}
    inst = compute_api.update(ctx, server_id, **values) if values else \
        compute_api.get(ctx, server_id, P.SERVERS_UPDATE)
    return _detail_view(req, ctx, inst, kind='update')


@wsgi.route_policy(P.SERVERS_DELETE)
def delete(req, server_id):
    compute_api.delete(_ctx(req), server_id)
    return _respond(req, None, 204)


# -- metadata ------------------------------------------------------------------

@wsgi.route_policy(P.METADATA_INDEX)
def metadata_index(req, server_id):
    inst = compute_api.get(_ctx(req), server_id, P.METADATA_INDEX)
    return _respond(req, {'metadata': inst['metadata']})


@wsgi.route_policy(P.METADATA_CREATE)
@wsgi.accepts(schemas.METADATA)
def metadata_update(req, server_id, replace=False):
    body = req.json()
    wsgi.validate(body, schemas.METADATA)
    md = compute_api.set_metadata(_ctx(req), server_id, body['metadata'], replace=replace)
    return _respond(req, {'metadata': md})


@wsgi.route_policy(P.METADATA_UPDATE_ALL)
@wsgi.accepts(schemas.METADATA)
def metadata_replace(req, server_id):
    return metadata_update(req, server_id, replace=True)


@wsgi.route_policy(P.METADATA_SHOW)
def metadata_show(req, server_id, key):
    md = compute_api.get(_ctx(req), server_id, P.METADATA_SHOW)['metadata']
    if key not in md:
        raise wsgi.NotFound('Metadata item was not found')
    return _respond(req, {'meta': {key: md[key]}})


@wsgi.route_policy(P.METADATA_UPDATE)
@wsgi.accepts(schemas.METADATA_ITEM)
def metadata_put(req, server_id, key):
    body = req.json()
    wsgi.validate(body, schemas.METADATA_ITEM)
    meta = body['meta']
    if key not in meta:
        raise wsgi.BadRequest('Request body and URI mismatch')
    md = compute_api.set_metadata(_ctx(req), server_id, meta, rule=P.METADATA_UPDATE)
    return _respond(req, {'meta': {key: md[key]}})


@wsgi.route_policy(P.METADATA_DELETE)
def metadata_delete(req, server_id, key):
    compute_api.delete_metadata(_ctx(req), server_id, key)
    return _respond(req, None, 204)


# -- instance actions ------------------------------------------------------------

def _action_view(a, v):
    out = {'action': a['action'], 'instance_uuid': a['instance_uuid'],
           'request_id': a['request_id'], 'user_id': a['user_id'],
           'project_id': a['project_id'], 'start_time': wsgi.isotime(a['start_time'], False),
           'message': a['message']}
    if v >= (2, 58):
        out['updated_at'] = wsgi.isotime(a['updated_at'] or a['created_at'], False)
    return out


def _actions_instance(req, ctx, server_id, rule):
    """The server whose actions are asked for; from 2.21 a deleted one too
    (as Nova), with the same rules on its project."""
    try:
        return compute_api.get(ctx, server_id, rule)
    except ComputeNotFound:
        if mv.version(req) < (2, 21):
            raise
    try:
        inst = instances.get_including_deleted(server_id)
    except InstanceNotFound:
        inst = None
    if inst is None or not (_may(ctx, P.SERVERS_SHOW, inst['project_id'])
                            and _may(ctx, rule, inst['project_id'])):
        raise wsgi.NotFound(f'Instance {server_id} could not be found.')
    return inst


@wsgi.route_policy(P.ACTIONS_LIST)
def actions_index(req, server_id):
    _actions_instance(req, _ctx(req), server_id, P.ACTIONS_LIST)
    v = mv.version(req)
    return _respond(req, {'instanceActions': [_action_view(a, v)
                                              for a in instances.actions_list(server_id)]})


@wsgi.route_policy(P.ACTIONS_SHOW)
def actions_show(req, server_id, request_id):
    """Nova: events for everyone from 2.51 (before: only with the details
    rule), their traceback with the details rule; from 2.62 each event's
    hostId, and its host with the details rule."""
    ctx = _ctx(req)
    v = mv.version(req)
    inst = _actions_instance(req, ctx, server_id, P.ACTIONS_SHOW)
    a = instances.action_get(server_id, request_id)
    if a is None:
        raise wsgi.NotFound(f'Action for request_id {request_id} on instance {server_id} '
                            'not found')
    details = _may(ctx, P.ACTIONS_EVENT_DETAILS, inst['project_id'])
    out = _action_view(a, v)
    if v >= (2, 51) or details:
        out['events'] = [_event_view(e, v, details, inst['project_id']) for e in a['events']]
    return _respond(req, {'instanceAction': out})


def _event_view(e, v, details, project_id):
    out = {'event': e['event'], 'start_time': wsgi.isotime(e['start_time'], False),
           'finish_time': wsgi.isotime(e['finish_time'], False), 'result': e['result']}
    if details:
        out['traceback'] = e['traceback']
    if v >= (2, 62):
        out['hostId'] = views.host_id(project_id, e['host'])
        if details:
            out['host'] = e['host'] or ''
    return out
