"""OpenAPI 3.1 documents of the APIs, built from their routers.

Every API built on :class:`iaas.wsgi.Router` serves its own document at
``GET /openapi.json`` (:func:`install`): each route's path template and
methods, its path parameters, its request body schema (declared with
``@wsgi.accepts``; a generic JSON object otherwise), and who may call it
(``security`` from the declared :class:`wsgi.RoutePolicy`, plus the
``x-policy-rule`` and ``x-scope`` extensions naming the oslo.policy rule
and the token scope). The object store is not a ``Router``: its Swift
paths are described from its policy rules (:func:`objectstore_document`).

The documents serve users (client generators, API browsers) and the
fuzzing tests in tests/fuzz, which run schemathesis against each daemon.
"""
import copy
import re

from iaas import wsgi
from iaas.api.objectstore import policies

OPENAPI_VERSION = '3.1.0'
_PARAM = re.compile(r'\{(\w+)\}')   # as in wsgi.compile_template
TOKEN_SCHEME = 'token'
# Path-item fields OpenAPI 3.1 knows; other verbs (Swift's COPY) go to
# ``x-additional-operations`` (OpenAPI 3.2's ``additionalOperations``).
STANDARD_METHODS = ('get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace')
BODY_METHODS = frozenset({'POST', 'PUT', 'PATCH'})
JSON = 'application/json'
GENERIC_BODY = {'type': 'object', 'description': 'A JSON object (no schema declared).'}
# Bodies that are not JSON objects, by (method, template), for routes that
# declare no schema of their own.
MEDIA_TYPES = {
    ('PUT', '/v2/images/{image_id}/file'):
        ('application/octet-stream', {'type': 'string', 'contentMediaType':
                                      'application/octet-stream'}),
    ('PATCH', '/v2/images/{image_id}'):
        ('application/openstack-images-v2.1-json-patch',
         {'type': 'array', 'items': {'type': 'object', 'required': ['op', 'path'],
                                     'properties': {'op': {'type': 'string'},
                                                    'path': {'type': 'string'},
                                                    'value': {}}}}),
}
# Write routes that read no body, for routes that declare no schema.
NO_BODY = frozenset({
    ('POST', '/v2/images/{image_id}/actions/deactivate'),
    ('POST', '/v2/images/{image_id}/actions/reactivate'),
    ('PUT', '/v2/images/{image_id}/tags/{tag}'),
    ('PUT', '/v3/projects/{target_id}/users/{user_id}/roles/{role_id}'),
    ('PUT', '/v3/domains/{target_id}/users/{user_id}/roles/{role_id}'),
})
RESPONSES = {
    '2XX': {'description': 'Success.'},
    '4XX': {'description': "The request was refused; the body tells why, in the API's "
                           "own error format."},
    'default': {'description': 'Any other answer.'},
}


def _security_schemes():
    return {TOKEN_SCHEME: {
        'type': 'apiKey', 'in': 'header', 'name': 'X-Auth-Token',
        'description': 'An identity (Keystone v3) token: POST /v3/auth/tokens on the '
                       'identity API answers it in X-Subject-Token.'}}


def _path_parameters(template):
    return [{'name': name, 'in': 'path', 'required': True, 'schema': {'type': 'string'}}
            for name in _PARAM.findall(template)]


def _body(method, template, schema):
    """The requestBody of an operation, or None."""
    if schema is not None:
        media = schema.get('contentMediaType') if schema.get('type') == 'string' else None
        return {'required': True,
                'content': {media or JSON: {'schema': copy.deepcopy(schema)}}}
    if (method, template) in MEDIA_TYPES:
        media, schema = MEDIA_TYPES[(method, template)]
        return {'required': True, 'content': {media: {'schema': copy.deepcopy(schema)}}}
    if method in BODY_METHODS and (method, template) not in NO_BODY:
        return {'required': False, 'content': {JSON: {'schema': dict(GENERIC_BODY)}}}
    return None


def _handler_name(handler):
    fn = getattr(handler, '__wrapped__', handler)
    name = getattr(fn, '__name__', None) or type(fn).__name__
    return name if name != '<lambda>' else None


def _operation(method, template, route):
    pol = route.policy
    op = {'operationId': f'{method.lower()} {template}',
          'responses': copy.deepcopy(RESPONSES)}
    name = _handler_name(route.handler)
    if name:
        op['summary'] = name.replace('_', ' ').strip()
    if pol is None:
        # Not declared yet: the router still asks for a token.
        op['security'] = [{TOKEN_SCHEME: []}]
        op['x-policy-rule'] = None
        op['x-scope'] = wsgi.PROJECT
    else:
        op['security'] = [] if pol.scope == wsgi.PUBLIC else [{TOKEN_SCHEME: []}]
        op['x-policy-rule'] = pol.rule
        op['x-scope'] = pol.scope
        if pol.reader_may_write:
            op['x-reader-may-write'] = True
    body = _body(method, template, route.body_schema)
    if body is not None:
        op['requestBody'] = body
    return op


def _add_operation(item, method, op):
    m = method.lower()
    if m in STANDARD_METHODS:
        item.setdefault(m, op)
    else:
        item.setdefault('x-additional-operations', {}).setdefault(method.upper(), op)


def document(router, title, version, server_url=None, description=None):
    """The OpenAPI 3.1 document (a dict) of ``router``'s routes.

    HEAD is listed only where a route declares it without GET (the router
    answers HEAD wherever it answers GET). The first route of a (template,
    method) wins, as in :meth:`wsgi.Router.match`.
    """
    paths = {}
    for route in router.routes:
        item = paths.setdefault(route.template, {})
        params = _path_parameters(route.template)
        if params:
            item.setdefault('parameters', params)
        for method in sorted(route.methods):
            if method == 'HEAD' and 'GET' in route.methods:
                continue
            _add_operation(item, method, _operation(method, route.template, route))
    return _wrap(title, version, paths, server_url, description)


def _wrap(title, version, paths, server_url, description):
    doc = {'openapi': OPENAPI_VERSION,
           'info': {'title': title, 'version': version},
           'paths': paths,
           'components': {'securitySchemes': _security_schemes()}}
    if description:
        doc['info']['description'] = description
    if server_url:
        doc['servers'] = [{'url': server_url.rstrip('/') or '/'}]
    return doc


def install(router, title, version, description=None):
    """Serve ``router``'s document at ``GET /openapi.json`` (no token needed).

    The document is built when asked, so routes added after this call are
    in it too; its server URL is the one the client called.
    """
    @wsgi.public
    def openapi_document(req):
        return document(router, title, version, server_url=req.host_url,
                        description=description)
    router.add('GET', '/openapi.json', openapi_document)
    return router


# --- the object store (Swift API; not a wsgi.Router) -----------------------------------

SWIFT_PARAMS = {
    'account': 'The account, AUTH_<project id>.',
    'container': 'A container name (at most 256 bytes).',
    'object': 'An object name (at most 1024 bytes; may contain "/", sent as is).',
}
LISTING_QUERY = [('limit', {'type': 'integer', 'minimum': 0}), ('marker', None),
                 ('end_marker', None), ('prefix', None), ('delimiter', None),
                 ('format', {'type': 'string', 'enum': ['json', 'xml', 'plain']}),
                 ('reverse', None)]
# (method, level) → [(in, name, schema or None for a string)]
SWIFT_PARAMETERS = {
    ('GET', 'account'): [('query', n, sch) for n, sch in LISTING_QUERY],
    ('GET', 'container'): [('query', n, sch) for n, sch in LISTING_QUERY]
    + [('query', 'path', None)],
    ('GET', 'object'): [('query', 'multipart-manifest', {'type': 'string',
                                                         'enum': ['get']}),
                        ('header', 'Range', None), ('header', 'If-Match', None),
                        ('header', 'If-None-Match', None)],
    ('PUT', 'object'): [('query', 'multipart-manifest', {'type': 'string',
                                                         'enum': ['put']}),
                        ('header', 'Content-Type', None), ('header', 'ETag', None),
                        ('header', 'X-Object-Meta-Name', None),
                        ('header', 'X-Delete-At', {'type': 'integer'}),
                        ('header', 'X-Delete-After', {'type': 'integer'}),
                        ('header', 'X-Copy-From', None),
                        ('header', 'X-Object-Manifest', None)],
    ('POST', 'object'): [('header', 'X-Object-Meta-Name', None),
                         ('header', 'X-Delete-At', {'type': 'integer'}),
                         ('header', 'Content-Type', None)],
    ('DELETE', 'object'): [('query', 'multipart-manifest', {'type': 'string',
                                                            'enum': ['delete']})],
    ('COPY', 'object'): [('header', 'Destination', None),
                         ('header', 'Destination-Account', None),
                         ('header', 'X-Fresh-Metadata', None)],
    ('PUT', 'container'): [('header', 'X-Container-Read', None),
                           ('header', 'X-Container-Write', None),
                           ('header', 'X-Container-Meta-Name', None)],
    ('POST', 'container'): [('header', 'X-Container-Read', None),
                            ('header', 'X-Container-Write', None),
                            ('header', 'X-Container-Meta-Name', None)],
    ('POST', 'account'): [('header', 'X-Account-Meta-Name', None)],
}
SWIFT_BODIES = {('PUT', 'object'): 'application/octet-stream',
                ('POST', 'account'): None, ('POST', 'container'): None,
                ('POST', 'object'): None, ('PUT', 'container'): None}


def objectstore_document(server_url=None):
    """The OpenAPI 3.1 document of the object store's Swift API, from the
    operations its policy rules (iaas.api.objectstore.policies) name; plus the
    public ``/info`` and ``/auth/v1.0``. S3 is described by AWS, not here.
    Errors are Swift's plain-text bodies."""
    paths = {
        '/info': {'get': {'operationId': 'get /info', 'summary': 'cluster capabilities',
                          'security': [], 'x-policy-rule': None, 'x-scope': wsgi.PUBLIC,
                          'responses': copy.deepcopy(RESPONSES)}},
        '/auth/v1.0': {'get': {
            'operationId': 'get /auth/v1.0', 'summary': 'v1 (tempauth) authentication',
            'security': [], 'x-policy-rule': None, 'x-scope': wsgi.PUBLIC,
            'parameters': [{'name': h, 'in': 'header', 'required': False,
                            'schema': {'type': 'string'}}
                           for h in ('X-Auth-User', 'X-Auth-Key')],
            'responses': copy.deepcopy(RESPONSES)}},
    }
    for rule in policies.list_rules():
        for op in rule.operations:
            template, method = op['path'], op['method']
            level = _PARAM_LEVEL[len(_PARAM.findall(template))]
            item = paths.setdefault(template, {})
            item.setdefault('parameters', [
                {'name': n, 'in': 'path', 'required': True, 'schema': {'type': 'string'},
                 'description': SWIFT_PARAMS[n]} for n in _PARAM.findall(template)])
            operation = {'operationId': f'{method.lower()} {template}',
                         'summary': rule.description, 'security': [{TOKEN_SCHEME: []}],
                         'x-policy-rule': rule.name, 'x-scope': wsgi.PROJECT,
                         'responses': copy.deepcopy(RESPONSES)}
            extra = SWIFT_PARAMETERS.get((method, level))
            if extra:
                operation['parameters'] = [
                    {'name': n, 'in': where, 'required': False,
                     'schema': sch or {'type': 'string'}} for where, n, sch in extra]
            if (method, level) in SWIFT_BODIES:
                media = SWIFT_BODIES[(method, level)]
                if media:
                    operation['requestBody'] = {'required': False, 'content': {media: {
                        'schema': {'type': 'string', 'contentMediaType': media}}}}
            _add_operation(item, method, operation)
    return _wrap('iaas Object Storage API (Swift)', '1.0', paths, server_url,
                 'The Swift-compatible object store; errors are plain text.')


_PARAM_LEVEL = {1: 'account', 2: 'container', 3: 'object'}
