"""Each API's OpenAPI 3.1 document: valid against the OpenAPI 3.1
meta-schema, lists every route of the API's router (a new route is in the
document without anyone writing it there) with its policy, and is served
at GET /openapi.json without a token."""
import json

import pytest
import webob
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from iaas import wsgi
from iaas.api import openapi


def _builders():
    from iaas.api.compute import app as compute_app
    from iaas.api.identity import app as identity_api
    from iaas.api.image import app as image_app
    from iaas.api.network import app as network_app
    from iaas.api.rating import app as rating_app
    from iaas.api.volume import app as volume_app
    return {'identity': identity_api.build_app, 'compute': compute_app.build_app,
            'network': network_app.build_app, 'image': image_app.build_app,
            'volume': volume_app.build_app, 'rating': rating_app.build_app}


API_NAMES = ('identity', 'compute', 'network', 'image', 'volume', 'rating')


@pytest.fixture
def router(conf, request):
    return _builders()[request.param]()


def _operations(doc):
    for template, item in doc['paths'].items():
        for method, op in item.items():
            if method in openapi.STANDARD_METHODS:
                yield template, method.upper(), op
        for method, op in item.get('x-additional-operations', {}).items():
            yield template, method, op


def _served(router, path='/openapi.json'):
    req = webob.Request.blank(path, base_url='http://api.example:1234')
    resp = req.get_response(router)
    return resp


@pytest.mark.parametrize('router', API_NAMES, indirect=True)
def test_document_is_valid_openapi_31_and_lists_every_route(router):
    resp = _served(router)
    assert resp.status_int == 200, resp.text
    doc = json.loads(resp.body)
    validate(doc)      # the OpenAPI 3.1 meta-schema (and its own checks)
    assert doc['openapi'].startswith('3.1')
    assert doc['servers'] == [{'url': 'http://api.example:1234'}]
    ops = {(t, m): op for t, m, op in _operations(doc)}
    for route in router.routes:
        for method in route.methods:
            if method == 'HEAD' and 'GET' in route.methods:
                continue
            op = ops.get((route.template, method))
            assert op is not None, f'{method} {route.template} missing from the document'
            pol = route.policy
            if pol is not None:
                assert op['x-policy-rule'] == pol.rule
                assert op['x-scope'] == pol.scope
                assert (op['security'] == []) == (pol.scope == wsgi.PUBLIC)
            else:
                assert op['security'] == [{openapi.TOKEN_SCHEME: []}]
            names = set(openapi._PARAM.findall(route.template))
            assert {p['name'] for p in doc['paths'][route.template].get('parameters', [])
                    if p['in'] == 'path'} == names
            if route.body_schema is not None:
                content = op['requestBody']['content']
                assert route.body_schema in [c['schema'] for c in content.values()]
            elif method in openapi.BODY_METHODS:
                assert ('requestBody' in op) == ((method, route.template)
                                                 not in openapi.NO_BODY)
    # Nothing in the document the router does not serve.
    served = {(r.template, m) for r in router.routes for m in r.methods}
    assert set(ops) <= served
    assert ops[('/openapi.json', 'GET')]['security'] == []


def test_document_of_a_small_router():
    """Bodies, public routes, extensions and non-standard verbs, by hand."""
    schema = {'type': 'object', 'properties': {'thing': {'type': 'object'}},
              'required': ['thing']}

    @wsgi.route_policy('things:create', scope=wsgi.PROJECT)
    @wsgi.accepts(schema)
    def create(req):
        return {}

    @wsgi.route_policy('things:show', scope=wsgi.ANY)
    def show(req, thing_id):
        return {}

    @wsgi.public
    def root(req):
        return {}

    def undeclared(req, thing_id):
        return {}

    r = wsgi.Router()
    r.add('GET', '/', root)
    r.add('POST', '/things', create)
    r.add('GET', '/things/{thing_id}', show)
    r.add('PUT', '/things/{thing_id}', undeclared)
    r.add('COPY', '/things/{thing_id}', undeclared)
    doc = openapi.document(r, 'things', '1.0')
    validate(doc)
    assert 'head' not in doc['paths']['/']
    assert doc['paths']['/']['get']['security'] == []
    post = doc['paths']['/things']['post']
    assert post['requestBody']['content']['application/json']['schema'] == schema
    assert post['x-policy-rule'] == 'things:create' and post['x-scope'] == 'project'
    assert post['security'] == [{'token': []}]
    item = doc['paths']['/things/{thing_id}']
    assert item['parameters'] == [{'name': 'thing_id', 'in': 'path', 'required': True,
                                   'schema': {'type': 'string'}}]
    assert item['get']['x-scope'] == 'any' and 'requestBody' not in item['get']
    assert item['put']['x-policy-rule'] is None
    assert item['put']['requestBody']['content']['application/json']['schema'][
        'type'] == 'object'
    assert set(item['x-additional-operations']) == {'COPY'}
    # The declared schema is copied, not shared.
    post['requestBody']['content']['application/json']['schema']['required'].append('x')
    assert schema['required'] == ['thing']


def test_a_broken_document_is_refused():
    """The validator used above does refuse what is not OpenAPI 3.1."""
    doc = openapi.document(wsgi.Router(), 'empty', '1')
    validate(doc)
    doc['paths']['/x'] = {'get': {'responses': {'200': {}}}}   # no description
    with pytest.raises(OpenAPIValidationError):
        validate(doc)


def test_objectstore_document():
    from iaas.api.objectstore import policies
    doc = openapi.objectstore_document('http://swift.example:8080')
    validate(doc)
    ops = {(t, m): op for t, m, op in _operations(doc)}
    acct, cont, obj = policies.ACCT, policies.CONT, policies.OBJ
    assert {m for t, m in ops if t == acct} == {'GET', 'HEAD', 'POST'}
    assert {m for t, m in ops if t == cont} == {'GET', 'HEAD', 'PUT', 'POST', 'DELETE'}
    assert {m for t, m in ops if t == obj} == {'GET', 'HEAD', 'PUT', 'POST', 'DELETE',
                                               'COPY'}
    assert ops[(obj, 'COPY')]['x-policy-rule'] == 'objectstore:object:put'
    assert ops[(obj, 'PUT')]['requestBody']['content']['application/octet-stream']
    for rule in policies.list_rules():
        for o in rule.operations:
            assert ops[(o['path'], o['method'])]['x-policy-rule'] == rule.name
    assert ops[('/info', 'GET')]['security'] == []
    listing = {p['name'] for p in ops[(cont, 'GET')]['parameters'] if p['in'] == 'query'}
    assert {'limit', 'marker', 'end_marker', 'prefix', 'delimiter', 'format'} <= listing
    assert 'X-Copy-From' in {p['name'] for p in ops[(obj, 'PUT')]['parameters']}


def test_every_daemon_serves_its_document(aio):
    """The real daemons answer GET /openapi.json without a token, each with
    its own valid document whose server is the address called."""
    import requests
    titles = set()
    # the EC2 Query API has one route and no document (tests/fuzz/test_ec2.py)
    documented = {api: url for api, url in aio.urls.items() if api != 'ec2'}
    for api, url in documented.items():
        r = requests.get(url + '/openapi.json', timeout=30)
        assert r.status_code == 200, (api, r.status_code, r.text[:300])
        assert r.headers['Content-Type'].startswith('application/json')
        doc = r.json()
        validate(doc)
        assert doc['servers'] == [{'url': url}], api
        titles.add(doc['info']['title'])
    assert len(titles) == len(documented)
