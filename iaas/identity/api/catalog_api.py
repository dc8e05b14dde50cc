"""Services, endpoints and regions (the catalog), and credentials
(/v3/credentials and /v3/users/{id}/credentials/OS-EC2)."""
import json

from iaas import wsgi
from iaas.identity import catalog, credentials
from iaas.identity.api.common import (
    BOOL,
    ID,
    NAME,
    OPT_STR,
    body_of,
    collection_links,
    enforce,
    handles_errors,
    is_admin,
    link,
)


def _db():
    from iaas.db import identity as db
    return db


def service_view(req, s):
    return {'id': s['id'], 'type': s['type'], 'name': s['name'],
            'description': s['description'] or '', 'enabled': s['enabled'],
            'links': link(req, f"services/{s['id']}")}


def endpoint_view(req, e):
    return {'id': e['id'], 'service_id': e['service_id'], 'interface': e['interface'],
            'region': e['region_id'], 'region_id': e['region_id'], 'url': e['url'],
            'enabled': e['enabled'], 'links': link(req, f"endpoints/{e['id']}")}


SERVICE_PROPS = {'type': NAME, 'name': NAME, 'description': OPT_STR, 'enabled': BOOL}
INTERFACE = {'type': 'string', 'enum': list(catalog.INTERFACES)}
ENDPOINT_PROPS = {'service_id': {'type': 'string'}, 'interface': INTERFACE,
                  'url': {'type': 'string', 'minLength': 1, 'maxLength': 2048},
                  'region': ID, 'region_id': ID, 'enabled': BOOL}


@handles_errors
def service_list(req):
    enforce(req, 'identity:list_services')
    rows = _db().service_list(type=req.GET.get('type'), name=req.GET.get('name'))
    return {'services': [service_view(req, s) for s in rows], 'links': collection_links(req)}


@handles_errors
def service_create(req):
    enforce(req, 'identity:admin')
    s = body_of(req, 'service', SERVICE_PROPS, required=['type'])
    row = _db().service_create(s['type'], s.get('name') or s['type'],
                               description=s.get('description'),
                               enabled=s.get('enabled', True))
    catalog.invalidate()
    return 201, {'service': service_view(req, row)}


@handles_errors
def service_get(req, service_id):
    enforce(req, 'identity:list_services')
    return {'service': service_view(req, _db().service_get(service_id))}


@handles_errors
def service_update(req, service_id):
    enforce(req, 'identity:admin')
    s = body_of(req, 'service', SERVICE_PROPS)
    row = _db().service_update(service_id, **{k: s[k] for k in SERVICE_PROPS if k in s})
    catalog.invalidate()
    return {'service': service_view(req, row)}


@handles_errors
def service_delete(req, service_id):
    enforce(req, 'identity:admin')
    _db().service_delete(service_id)
    catalog.invalidate()
    return wsgi.json_response(None, status=204)


@handles_errors
def endpoint_list(req):
    enforce(req, 'identity:list_endpoints')
    rows = _db().endpoint_list(service_id=req.GET.get('service_id'),
                               interface=req.GET.get('interface'),
                               region_id=req.GET.get('region_id') or req.GET.get('region'))
    return {'endpoints': [endpoint_view(req, e) for e in rows],
            'links': collection_links(req)}


@handles_errors
def endpoint_create(req):
    enforce(req, 'identity:admin')
    e = body_of(req, 'endpoint', ENDPOINT_PROPS, required=['service_id', 'interface', 'url'])
    row = _db().endpoint_create(e['service_id'], e['interface'], e['url'],
                                region_id=e.get('region_id') or e.get('region'),
                                enabled=e.get('enabled', True))
    catalog.invalidate()
    return 201, {'endpoint': endpoint_view(req, row)}


@handles_errors
def endpoint_get(req, endpoint_id):
    enforce(req, 'identity:list_endpoints')
    return {'endpoint': endpoint_view(req, _db().endpoint_get(endpoint_id))}


@handles_errors
def endpoint_update(req, endpoint_id):
    enforce(req, 'identity:admin')
    e = body_of(req, 'endpoint', ENDPOINT_PROPS)
    values = {k: e[k] for k in ('service_id', 'interface', 'url', 'enabled') if k in e}
    if 'region_id' in e or 'region' in e:
        values['region_id'] = e.get('region_id') or e.get('region')
    row = _db().endpoint_update(endpoint_id, **values)
    catalog.invalidate()
    return {'endpoint': endpoint_view(req, row)}


@handles_errors
def endpoint_delete(req, endpoint_id):
    enforce(req, 'identity:admin')
    _db().endpoint_delete(endpoint_id)
    catalog.invalidate()
    return wsgi.json_response(None, status=204)


def _regions():
    from iaas.conf import CONF
    names = {CONF.identity.region}
    names |= {e['region_id'] for e in _db().endpoint_list() if e['region_id']}
    return sorted(names)


def _region_view(req, name):
    return {'id': name, 'description': '', 'parent_region_id': None,
            'links': link(req, f'regions/{name}')}


@handles_errors
def region_list(req):
    return {'regions': [_region_view(req, r) for r in _regions()],
            'links': collection_links(req)}


@handles_errors
def region_get(req, region_id):
    if region_id not in _regions():
        raise wsgi.NotFound(f'Could not find region: {region_id}.')
    return {'region': _region_view(req, region_id)}


# --- credentials -------------------------------------------------------------------

CRED_PROPS = {'user_id': {'type': 'string'}, 'project_id': ID,
              'type': {'type': 'string', 'minLength': 1, 'maxLength': 255},
              'blob': {'type': 'string', 'maxLength': 65535}}


def credential_view(req, c):
    return {**c, 'links': link(req, f"credentials/{c['id']}")}


def _own_or_admin(req, user_id):
    if not is_admin(req) and user_id != req.context.user_id:
        raise wsgi.Forbidden('You are not authorized to perform the requested action.')


def _check_project_access(req, user_id, project_id):
    """A non-admin may bind a credential only to a project it has a role on."""
    if project_id is None or is_admin(req):
        if project_id is not None:
            _db().project_get(project_id)
        return
    if not _db().roles_for(user_id, 'project', project_id):
        raise wsgi.Forbidden('The user has no role on that project.')


@handles_errors
def credential_list(req):
    user_id = req.GET.get('user_id')
    if not is_admin(req):
        user_id = req.context.user_id
    rows = _db().credential_list(user_id=user_id, type=req.GET.get('type'))
    return {'credentials': [credential_view(req, credentials.to_dict(r)) for r in rows],
            'links': collection_links(req)}


@handles_errors
def credential_create(req):
    c = body_of(req, 'credential', CRED_PROPS, required=['user_id', 'type', 'blob'])
    _own_or_admin(req, c['user_id'])
    _db().user_get(c['user_id'])
    _check_project_access(req, c['user_id'], c.get('project_id'))
    row = credentials.create(c['user_id'], c['type'], c['blob'],
                             project_id=c.get('project_id'))
    return 201, {'credential': credential_view(req, row)}


def _get_visible(req, credential_id):
    row = credentials.to_dict(_db().credential_get(credential_id))
    if not is_admin(req) and row['user_id'] != req.context.user_id:
        raise wsgi.NotFound(f'Could not find credential: {credential_id}.')
    return row


@handles_errors
def credential_get(req, credential_id):
    return {'credential': credential_view(req, _get_visible(req, credential_id))}


@handles_errors
def credential_delete(req, credential_id):
    _get_visible(req, credential_id)
    credentials.delete(credential_id)
    return wsgi.json_response(None, status=204)


def ec2_view(req, user_id, c):
    return {'access': c['access'], 'secret': c['secret'], 'user_id': user_id,
            'tenant_id': c['project_id'], 'trust_id': None,
            'links': link(req, f"users/{user_id}/credentials/OS-EC2/{c['access']}")}


def _ec2_rows(user_id):
    out = []
    for r in _db().credential_list(user_id=user_id, type='ec2'):
        blob = json.loads(credentials.decrypt_blob(r['encrypted_blob']))
        out.append({'access': r['access'], 'secret': blob['secret'],
                    'project_id': r['project_id'], 'id': r['id']})
    return out


@handles_errors
def ec2_create(req, user_id):
    enforce(req, 'identity:ec2_credentials', {'user_id': user_id})
    body = req.json()
    wsgi.validate(body, {'type': 'object', 'properties': {'tenant_id': {'type': 'string'}},
                         'required': ['tenant_id']})
    _db().user_get(user_id)
    _check_project_access(req, user_id, body['tenant_id'])
    c = credentials.create_ec2(user_id, body['tenant_id'])
    return 201, {'credential': ec2_view(req, user_id, c)}


@handles_errors
def ec2_list(req, user_id):
    enforce(req, 'identity:ec2_credentials', {'user_id': user_id})
    return {'credentials': [ec2_view(req, user_id, c) for c in _ec2_rows(user_id)],
            'links': collection_links(req)}


def _ec2_find(user_id, access):
    for c in _ec2_rows(user_id):
        if c['access'] == access:
            return c
    raise wsgi.NotFound(f'Could not find credential: {access}.')


@handles_errors
def ec2_get(req, user_id, access):
    enforce(req, 'identity:ec2_credentials', {'user_id': user_id})
    return {'credential': ec2_view(req, user_id, _ec2_find(user_id, access))}


@handles_errors
def ec2_delete(req, user_id, access):
    enforce(req, 'identity:ec2_credentials', {'user_id': user_id})
    credentials.delete(_ec2_find(user_id, access)['id'])
    return wsgi.json_response(None, status=204)


def add_routes(router):
    router.add('GET', '/v3/services', service_list)
    router.add('POST', '/v3/services', service_create)
    router.add('GET', '/v3/services/{service_id}', service_get)
    router.add('PATCH', '/v3/services/{service_id}', service_update)
    router.add('DELETE', '/v3/services/{service_id}', service_delete)
    router.add('GET', '/v3/endpoints', endpoint_list)
    router.add('POST', '/v3/endpoints', endpoint_create)
    router.add('GET', '/v3/endpoints/{endpoint_id}', endpoint_get)
    router.add('PATCH', '/v3/endpoints/{endpoint_id}', endpoint_update)
    router.add('DELETE', '/v3/endpoints/{endpoint_id}', endpoint_delete)
    router.add('GET', '/v3/regions', region_list)
    router.add('GET', '/v3/regions/{region_id}', region_get)
    router.add('GET', '/v3/credentials', credential_list)
    router.add('POST', '/v3/credentials', credential_create)
    router.add('GET', '/v3/credentials/{credential_id}', credential_get)
    router.add('DELETE', '/v3/credentials/{credential_id}', credential_delete)
    base = '/v3/users/{user_id}/credentials/OS-EC2'
    router.add('GET', base, ec2_list)
    router.add('POST', base, ec2_create)
    router.add('GET', base + '/{access}', ec2_get)
    router.add('DELETE', base + '/{access}', ec2_delete)
