"""/servers: create, list, show, update, delete, metadata, instance actions."""
import datetime
import secrets

from iaas import states, wsgi
from iaas.api.compute import microversion as mv
from iaas.api.compute import views
from iaas.compute.api import API

compute_api = API()
MAX_LIMIT = 1000

_name = {'type': 'string', 'minLength': 1, 'maxLength': 255,
         'pattern': r'^(?![\s])[\S\s]*(?<![\s])$'}
_ref = {'type': ['string', 'integer'], 'minLength': 1, 'maxLength': 255}

CREATE_SCHEMA = {
    'type': 'object', 'required': ['server'], 'properties': {
        'server': {
            'type': 'object', 'required': ['name', 'flavorRef'], 'properties': {
                'name': _name, 'imageRef': {'type': 'string', 'maxLength': 255},
                'flavorRef': _ref,
                'key_name': {'type': 'string', 'minLength': 1, 'maxLength': 255},
                'user_data': {'type': 'string', 'maxLength': 65535},
                'metadata': {'type': 'object', 'maxProperties': 128,
                             'additionalProperties': {'type': 'string', 'maxLength': 255}},
                'availability_zone': {'type': 'string', 'minLength': 1, 'maxLength': 255},
                'min_count': {'type': ['integer', 'string'], 'pattern': '^[0-9]+$',
                              'minimum': 1},
                'max_count': {'type': ['integer', 'string'], 'pattern': '^[0-9]+$',
                              'minimum': 1},
                'return_reservation_id': {'type': ['boolean', 'string']},
                'networks': {'oneOf': [
                    {'type': 'string', 'enum': ['auto', 'none']},
                    {'type': 'array', 'items': {'type': 'object'}}]},
                'security_groups': {'type': 'array', 'items': {'type': 'object'}},
                'description': {'type': ['string', 'null'], 'maxLength': 255},
                'config_drive': {'type': ['boolean', 'string']},
                'adminPass': {'type': 'string'},
                'block_device_mapping_v2': {'type': 'array'},
                'hostname': {'type': 'string', 'maxLength': 255},
            }},
        'os:scheduler_hints': {'type': 'object'},
        'OS-SCH-HNT:scheduler_hints': {'type': 'object'},
    }}


def _ctx(req):
    return req.context


def _respond(req, body, status=200, headers=None):
    v = mv.version(req)
    return status, body, {**mv.headers(v), **(headers or {})}


def _int(value, name):
    try:
        n = int(value)
    except (TypeError, ValueError):
        raise wsgi.BadRequest(f'{name} must be an integer') from None
    if n < 0:
        raise wsgi.BadRequest(f'{name} must be >= 0')
    return n


def _image_from_bdm(server):
    for bdm in server.get('block_device_mapping_v2') or []:
        if bdm.get('source_type') == 'image' and bdm.get('boot_index') in (0, '0'):
            return bdm.get('uuid')
    return None


def create(req):
    body = req.json()
    wsgi.validate(body, CREATE_SCHEMA)
    v = mv.version(req)
    s = body['server']
    if v >= (2, 37) and 'networks' not in s:
        raise wsgi.BadRequest("Invalid input for field/attribute server: 'networks' is a "
                              'required property')
    image_ref = s.get('imageRef') or _image_from_bdm(s)
    if not image_ref:
        raise wsgi.BadRequest('Missing imageRef attribute')
    min_count = _int(s.get('min_count', 1), 'min_count') or 1
    max_count = _int(s.get('max_count', min_count), 'max_count') or 1
    if min_count > max_count:
        raise wsgi.BadRequest('min_count must be <= max_count')
    hints = body.get('os:scheduler_hints') or body.get('OS-SCH-HNT:scheduler_hints') or {}
    created, reservation_id = compute_api.create(
        _ctx(req), s['name'], image_ref, str(s['flavorRef']), key_name=s.get('key_name'),
        user_data=s.get('user_data'), metadata=s.get('metadata'),
        availability_zone=s.get('availability_zone'), min_count=min_count,
        max_count=max_count, scheduler_hints=hints, description=s.get('description'),
        config_drive=s.get('config_drive') in (True, 'true', 'True'),
        networks=s.get('networks'), security_groups=s.get('security_groups'))
    if str(s.get('return_reservation_id')).lower() == 'true':
        return _respond(req, {'reservation_id': reservation_id}, 202)
    first = created[0]
    out = views.server_brief(req, first)
    out.update({'adminPass': s.get('adminPass') or secrets.token_urlsafe(9),
                'OS-DCF:diskConfig': 'MANUAL',
                'security_groups': s.get('security_groups') or [{'name': 'default'}]})
    location = out['links'][0]['href']
    return _respond(req, {'server': out}, 202, {'Location': location})


def _filters(req, ctx):
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
        from iaas.db import flavors as db_flavors
        try:
            f['flavor_id'] = db_flavors.get(p['flavor'].rsplit('/', 1)[-1])['id']
        except db_flavors.FlavorNotFound:
            return None
    since = p.get('changes-since') or p.get('changes_since')
    if since:
        try:
            f['changes_since'] = datetime.datetime.fromisoformat(
                since.replace('Z', '+00:00')).astimezone(datetime.UTC).replace(tzinfo=None)
        except ValueError:
            raise wsgi.BadRequest(f'Invalid changes-since value: {since}') from None
    for key in ('reservation_id', 'availability_zone'):
        if p.get(key):
            f[key] = p[key]
    if ctx.is_admin:
        if p.get('host'):
            f['host'] = p['host']
        if p.get('node'):
            f['node'] = p['node']
    if p.get('locked') is not None and p.get('locked') != '':
        f['locked'] = p['locked'].lower() in ('true', '1', 'yes')
    return f


def _sort(req):
    keys = req.GET.getall('sort_key') or []
    dirs = req.GET.getall('sort_dir') or []
    mapping = {'display_name': 'display_name', 'name': 'display_name',
               'created_at': 'created_at', 'updated_at': 'updated_at', 'uuid': 'uuid',
               'vm_state': 'vm_state', 'task_state': 'task_state', 'host': 'host',
               'launched_at': 'launched_at', 'power_state': 'power_state',
               'hostname': 'hostname', 'terminated_at': 'terminated_at'}
    out = []
    for i, k in enumerate(keys):
        if k not in mapping:
            raise wsgi.BadRequest(f'Invalid sort key: {k}')
        d = dirs[i] if i < len(dirs) else 'desc'
        if d not in ('asc', 'desc'):
            raise wsgi.BadRequest(f'Invalid sort direction: {d}')
        out.append((mapping[k], d))
    return out or [('created_at', 'desc')]


def _list(req, detail):
    ctx = _ctx(req)
    v = mv.version(req)
    all_tenants = req.GET.get('all_tenants', 'false').lower() not in ('false', '0', 'no') \
        if 'all_tenants' in req.GET else False
    if all_tenants and not ctx.is_admin:
        raise wsgi.Forbidden('Policy does not allow all_tenants to be performed.')
    project = req.GET.get('project_id') or req.GET.get('tenant_id')
    if project and not ctx.is_admin:
        project = None
    limit = _int(req.GET['limit'], 'limit') if req.GET.get('limit') else None
    limit = min(limit or MAX_LIMIT, MAX_LIMIT)
    filters = _filters(req, ctx)
    if filters is None:
        return _respond(req, {'servers': []})
    deleted = req.GET.get('deleted', 'false').lower() in ('true', '1')
    if deleted and ctx.is_admin:
        filters['vm_states'] = ['deleted']
        filters.setdefault('changes_since', datetime.datetime(1970, 1, 1))
    items = compute_api.list(ctx, filters=filters, all_tenants=all_tenants,
                             project_id=project, sort=_sort(req), limit=limit,
                             marker=req.GET.get('marker'))
    if detail:
        from iaas.network import api as network_api
        uuids = [i['uuid'] for i in items]
        addresses = network_api.addresses_for_instances(uuids)
        groups = network_api.security_groups_for_instances(uuids)
        servers = [views.server_detail(req, i, v, ctx.is_admin, addresses.get(i['uuid']),
                                       groups.get(i['uuid'])) for i in items]
    else:
        servers = [views.server_brief(req, i) for i in items]
    body = {'servers': servers}
    if limit and len(items) == limit:
        base = req.host_url + req.script_name + req.path_info
        query = {k: val for k, val in req.GET.items() if k != 'marker'}
        query['marker'] = items[-1]['uuid']
        from urllib.parse import urlencode
        body['servers_links'] = [{'rel': 'next', 'href': f'{base}?{urlencode(query)}'}]
    return _respond(req, body)


def index(req):
    return _list(req, detail=False)


def detail(req):
    return _list(req, detail=True)


def show(req, server_id):
    ctx = _ctx(req)
    inst = compute_api.get(ctx, server_id)
    return _respond(req, {'server': views.server_detail(req, inst, mv.version(req),
                                                        ctx.is_admin)})


UPDATE_SCHEMA = {'type': 'object', 'required': ['server'], 'properties': {'server': {
    'type': 'object', 'additionalProperties': False, 'properties': {
        'name': _name, 'description': {'type': ['string', 'null'], 'maxLength': 255},
        'accessIPv4': {'type': 'string'}, 'accessIPv6': {'type': 'string'},
        'OS-DCF:diskConfig': {'type': 'string'}, 'hostname': {'type': 'string'}}}}}


def update(req, server_id):
    body = req.json()
    wsgi.validate(body, UPDATE_SCHEMA)
    s = body['server']
    values = {}
    if 'name' in s:
        values['display_name'] = s['name']
    if 'description' in s:
        if mv.version(req) < (2, 19):
            raise wsgi.BadRequest('description is supported from microversion 2.19')
        values['display_description'] = s['description']
    ctx = _ctx(req)
    inst = compute_api.update(ctx, server_id, **values) if values else \
        compute_api.get(ctx, server_id)
    return _respond(req, {'server': views.server_detail(req, inst, mv.version(req),
                                                        ctx.is_admin)})


def delete(req, server_id):
    compute_api.delete(_ctx(req), server_id)
    return _respond(req, None, 204)


# -- metadata ------------------------------------------------------------------

MD_SCHEMA = {'type': 'object', 'required': ['metadata'], 'properties': {'metadata': {
    'type': 'object', 'additionalProperties': {'type': 'string', 'maxLength': 255},
    'propertyNames': {'minLength': 1, 'maxLength': 255}}}}


def metadata_index(req, server_id):
    return _respond(req, {'metadata': compute_api.get(_ctx(req), server_id)['metadata']})


def metadata_update(req, server_id, replace=False):
    body = req.json()
    wsgi.validate(body, MD_SCHEMA)
    md = compute_api.set_metadata(_ctx(req), server_id, body['metadata'], replace=replace)
    return _respond(req, {'metadata': md})


def metadata_replace(req, server_id):
    return metadata_update(req, server_id, replace=True)


def metadata_show(req, server_id, key):
    md = compute_api.get(_ctx(req), server_id)['metadata']
    if key not in md:
        raise wsgi.NotFound('Metadata item was not found')
    return _respond(req, {'meta': {key: md[key]}})


def metadata_put(req, server_id, key):
    body = req.json()
    meta = body.get('meta')
    if not isinstance(meta, dict) or len(meta) != 1 or key not in meta:
        raise wsgi.BadRequest('Request body and URI mismatch')
    md = compute_api.set_metadata(_ctx(req), server_id, meta)
    return _respond(req, {'meta': {key: md[key]}})


def metadata_delete(req, server_id, key):
    compute_api.delete_metadata(_ctx(req), server_id, key)
    return _respond(req, None, 204)


# -- instance actions ------------------------------------------------------------

def _action_view(a):
    return {'action': a['action'], 'instance_uuid': a['instance_uuid'],
            'request_id': a['request_id'], 'user_id': a['user_id'],
            'project_id': a['project_id'], 'start_time': wsgi.isotime(a['start_time'], False),
            'message': a['message'], 'updated_at': wsgi.isotime(
                a['updated_at'] or a['created_at'], False)}


def actions_index(req, server_id):
    from iaas.db import instances as db
    compute_api.get(_ctx(req), server_id)
    return _respond(req, {'instanceActions': [_action_view(a)
                                              for a in db.actions_list(server_id)]})


def actions_show(req, server_id, request_id):
    from iaas.db import instances as db
    ctx = _ctx(req)
    compute_api.get(ctx, server_id)
    a = db.action_get(server_id, request_id)
    if a is None:
        raise wsgi.NotFound(f'Action for request_id {request_id} on instance {server_id} '
                            'not found')
    out = _action_view(a)
    out['events'] = [{'event': e['event'], 'start_time': wsgi.isotime(e['start_time'], False),
                      'finish_time': wsgi.isotime(e['finish_time'], False),
                      'result': e['result'],
                      **({'traceback': e['traceback'], 'host': e['host']}
                         if ctx.is_admin else {})} for e in a['events']]
    return _respond(req, {'instanceAction': out})
