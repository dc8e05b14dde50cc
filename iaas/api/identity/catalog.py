"""Services, endpoints and regions (the catalog), and credentials
(/v3/credentials and /v3/users/{id}/credentials/OS-EC2)."""
from iaas import wsgi
from iaas.api.identity.common import (
    BOOL,
    ID,
    NAME,
    OPT_STR,
    allowed,
    body_of,
    body_schema,
    collection,
    collection_links,
    enforce,
    handles_errors,
    link,
    list_limit,
)
from iaas.identity import catalog, credentials
from iaas.identity import resources as ident

ANY = wsgi.ANY


def service_view(req, s):
    return {'id': s['id'], 'type': s['type'], 'name': s['name'],
            'description': s['description'] or '', 'enabled': s['enabled'],
            'links': link(req, f"services/{s['id']}")}


def endpoint_view(req, e):
    return {'id': e['id'], 'service_id': e['service_id'], 'interface': e['interface'],
            'region': e['region_id'], 'region_id': e['region_id'], 'url': e['url'],
            'enabled': e['enabled'], 'links': link(req, f"endpoints/{e['id']}")}


SERVICE_PROPS = {'type': NAME, 'name': NAME, 'description': OPT_STR, 'enabled': BOOL}
SERVICE_CREATE = body_schema('service', SERVICE_PROPS, required=['type'])
SERVICE_UPDATE = body_schema('service', SERVICE_PROPS)
INTERFACE = {'type': 'string', 'enum': list(catalog.INTERFACES)}
ENDPOINT_PROPS = {'service_id': {'type': 'string', 'minLength': 1, 'maxLength': 64},
                  'interface': INTERFACE,
                  'url': {'type': 'string', 'minLength': 1, 'maxLength': 2048},
                  'region': ID, 'region_id': ID, 'enabled': BOOL}
ENDPOINT_CREATE = body_schema('endpoint', ENDPOINT_PROPS,
                              required=['service_id', 'interface', 'url'])
ENDPOINT_UPDATE = body_schema('endpoint', ENDPOINT_PROPS)


@wsgi.route_policy('identity:list_services')
@handles_errors
def service_list(req):
    limit = list_limit(req)
    rows = catalog.service_list(type=req.GET.get('type'), name=req.GET.get('name'),
                              limit=limit + 1)
    return collection(req, 'services', rows, service_view, limit)


@wsgi.route_policy('identity:create_service')
@wsgi.accepts(SERVICE_CREATE)
@handles_errors
def service_create(req):
    s = body_of(req, 'service', SERVICE_CREATE)
    row = catalog.service_create(s['type'], s.get('name') or s['type'],
                               description=s.get('description'),
                               enabled=s.get('enabled', True))
    return 201, {'service': service_view(req, row)}


@wsgi.route_policy('identity:get_service')
@handles_errors
def service_get(req, service_id):
    return {'service': service_view(req, catalog.service_get(service_id))}


@wsgi.route_policy('identity:update_service')
@wsgi.accepts(SERVICE_UPDATE)
@handles_errors
def service_update(req, service_id):
    s = body_of(req, 'service', SERVICE_UPDATE)
    row = catalog.service_update(service_id, **{k: s[k] for k in SERVICE_PROPS if k in s})
    return {'service': service_view(req, row)}


@wsgi.route_policy('identity:delete_service')
@handles_errors
def service_delete(req, service_id):
    catalog.service_delete(service_id)
    return wsgi.json_response(None, status=204)


@wsgi.route_policy('identity:list_endpoints')
@handles_errors
def endpoint_list(req):
    limit = list_limit(req)
    rows = catalog.endpoint_list(service_id=req.GET.get('service_id'),
                               interface=req.GET.get('interface'),
                               region_id=req.GET.get('region_id') or req.GET.get('region'),
                               limit=limit + 1)
    return collection(req, 'endpoints', rows, endpoint_view, limit)


@wsgi.route_policy('identity:create_endpoint')
@wsgi.accepts(ENDPOINT_CREATE)
@handles_errors
def endpoint_create(req):
    e = body_of(req, 'endpoint', ENDPOINT_CREATE)
    row = catalog.endpoint_create(e['service_id'], e['interface'], e['url'],
                                region_id=e.get('region_id') or e.get('region'),
                                enabled=e.get('enabled', True))
    return 201, {'endpoint': endpoint_view(req, row)}


@wsgi.route_policy('identity:get_endpoint')
@handles_errors
def endpoint_get(req, endpoint_id):
    return {'endpoint': endpoint_view(req, catalog.endpoint_get(endpoint_id))}


@wsgi.route_policy('identity:update_endpoint')
@wsgi.accepts(ENDPOINT_UPDATE)
@handles_errors
def endpoint_update(req, endpoint_id):
    e = body_of(req, 'endpoint', ENDPOINT_UPDATE)
    values = {k: e[k] for k in ('service_id', 'interface', 'url', 'enabled') if k in e}
    if 'region_id' in e or 'region' in e:
        values['region_id'] = e.get('region_id') or e.get('region')
    row = catalog.endpoint_update(endpoint_id, **values)
    return {'endpoint': endpoint_view(req, row)}


@wsgi.route_policy('identity:delete_endpoint')
@handles_errors
def endpoint_delete(req, endpoint_id):
    catalog.endpoint_delete(endpoint_id)
    return wsgi.json_response(None, status=204)


def _region_view(req, name):
    return {'id': name, 'description': '', 'parent_region_id': None,
            'links': link(req, f'regions/{name}')}


@wsgi.route_policy('identity:list_regions', scope=ANY)
@handles_errors
def region_list(req):
    return {'regions': [_region_view(req, r) for r in catalog.regions()],
            'links': collection_links(req)}


@wsgi.route_policy('identity:get_region', scope=ANY)
@handles_errors
def region_get(req, region_id):
    if region_id not in catalog.regions():
        raise wsgi.NotFound(f'Could not find region: {region_id}.')
    return {'region': _region_view(req, region_id)}


# --- credentials -------------------------------------------------------------------

CRED_PROPS = {'user_id': {'type': 'string', 'minLength': 1, 'maxLength': 64},
              'project_id': ID,
              'type': {'type': 'string', 'minLength': 1, 'maxLength': 255},
              'blob': {'type': 'string', 'maxLength': 65535}}
CRED_CREATE = body_schema('credential', CRED_PROPS, required=['user_id', 'type', 'blob'])
EC2_CREATE = {'type': 'object', 'required': ['tenant_id'],
              'properties': {'tenant_id': {'type': 'string', 'minLength': 1,
                                           'maxLength': 64}}}


def credential_view(req, c):
    return {**c, 'links': link(req, f"credentials/{c['id']}")}


def _check_project_access(user_id, project_id):
    """An EC2 credential names a project its user has a role on (Keystone
    requires a project for EC2 credentials: it scopes every S3/EC2 request)."""
    if project_id is None:
        raise wsgi.BadRequest('An EC2 credential needs a project (project_id/tenant_id).')
    if not ident.has_project_role(user_id, project_id):
        raise wsgi.Forbidden('The user has no role on that project.')


@wsgi.route_policy('identity:list_credentials', scope=ANY)
@handles_errors
def credential_list(req):
    user_id = req.GET.get('user_id')
    if not allowed(req, 'identity:list_credentials', {'user_id': user_id}):
        if user_id is not None:
            raise wsgi.Forbidden('You are not authorized to perform the requested action.')
        user_id = req.context.user_id
    limit = list_limit(req)
    rows = credentials.list_(user_id=user_id, type=req.GET.get('type'), limit=limit + 1)
    return collection(req, 'credentials', [credentials.to_dict(r) for r in rows],
                      credential_view, limit)


@wsgi.route_policy('identity:create_credential', scope=ANY, reader_may_write=True)
@wsgi.accepts(CRED_CREATE)
@handles_errors
def credential_create(req):
    c = body_of(req, 'credential', CRED_CREATE)
    enforce(req, 'identity:create_credential', {'user_id': c['user_id']})
    ident.user_get(c['user_id'])
    if c['type'] == 'ec2':
        _check_project_access(c['user_id'], c.get('project_id'))
    elif c.get('project_id') is not None:
        ident.project_get(c['project_id'])
    row = credentials.create(c['user_id'], c['type'], c['blob'],
                             project_id=c.get('project_id'))
    return 201, {'credential': credential_view(req, row)}


def _get_visible(req, credential_id, rule):
    row = credentials.get(credential_id)
    if not allowed(req, rule, {'user_id': row['user_id']}):
        raise wsgi.NotFound(f'Could not find credential: {credential_id}.')
    return row


@wsgi.route_policy('identity:get_credential', scope=ANY)
@handles_errors
def credential_get(req, credential_id):
    return {'credential': credential_view(
        req, _get_visible(req, credential_id, 'identity:get_credential'))}


@wsgi.route_policy('identity:delete_credential', scope=ANY, reader_may_write=True)
@handles_errors
def credential_delete(req, credential_id):
    _get_visible(req, credential_id, 'identity:delete_credential')
    credentials.delete(credential_id)
    return wsgi.json_response(None, status=204)


def ec2_view(req, user_id, c):
    return {'access': c['access'], 'secret': c['secret'], 'user_id': user_id,
            'tenant_id': c['project_id'], 'trust_id': None,
            'links': link(req, f"users/{user_id}/credentials/OS-EC2/{c['access']}")}


@wsgi.route_policy('identity:ec2_create_credential', scope=ANY, reader_may_write=True)
@wsgi.accepts(EC2_CREATE)
@handles_errors
def ec2_create(req, user_id):
    body = req.json()
    wsgi.validate(body, EC2_CREATE)
    ident.user_get(user_id)
    _check_project_access(user_id, body['tenant_id'])
    c = credentials.create_ec2(user_id, body['tenant_id'])
    return 201, {'credential': ec2_view(req, user_id, c)}


@wsgi.route_policy('identity:ec2_list_credentials', scope=ANY)
@handles_errors
def ec2_list(req, user_id):
    limit = list_limit(req)
    return collection(req, 'credentials', credentials.ec2_of_user(user_id, limit + 1),
                      lambda req, c: ec2_view(req, user_id, c), limit)


def _ec2_find(user_id, access):
    row = credentials.get_ec2_row(access)
    if row is None or row['user_id'] != user_id:
        raise wsgi.NotFound(f'Could not find credential: {access}.')
    return row


@wsgi.route_policy('identity:ec2_get_credential', scope=ANY)
@handles_errors
def ec2_get(req, user_id, access):
    return {'credential': ec2_view(req, user_id, _ec2_find(user_id, access))}


@wsgi.route_policy('identity:ec2_delete_credential', scope=ANY, reader_may_write=True)
@handles_errors
def ec2_delete(req, user_id, access):
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
