import json

import webob

from iaas import wsgi


def app():
    r = wsgi.Router(fault_formatter=wsgi.nova_fault, max_body=64)
    r.add('GET', '/things/{thing_id}', lambda req, thing_id: {'id': thing_id})
    r.add('POST', '/things', lambda req: (201, req.json()))
    r.add('GET', '/boom', lambda req: 1 / 0)

    def bad(req):
        raise wsgi.Conflict('in use')
    r.add('DELETE', '/things/{thing_id}', lambda req, thing_id: bad(req))
    return r


def call(method, path, body=None):
    req = webob.Request.blank(path, method=method)
    if body is not None:
        req.body = body if isinstance(body, bytes) else json.dumps(body).encode()
        req.content_type = 'application/json'
    return req.get_response(app())


def test_route_params_and_request_id():
    resp = call('GET', '/things/abc')
    assert resp.json == {'id': 'abc'}
    assert resp.headers['X-OpenStack-Request-ID'].startswith('req-')


def test_unknown_path_and_method():
    assert call('GET', '/nope').status_int == 404
    resp = call('PUT', '/things/1')
    assert resp.status_int == 405 and 'GET' in resp.headers['Allow']
    assert resp.json['badMethod']['code'] == 405


def test_fault_format_and_500_hides_traceback():
    resp = call('DELETE', '/things/1')
    assert resp.status_int == 409
    assert resp.json == {'conflictingRequest': {'code': 409, 'message': 'in use'}}
    resp = call('GET', '/boom')
    assert resp.status_int == 500
    assert 'ZeroDivision' not in resp.text and 'Traceback' not in resp.text


def test_json_body_errors():
    assert call('POST', '/things', {'a': 1}).status_int == 201
    assert call('POST', '/things', b'{not json').status_int == 400
    assert call('POST', '/things', b'[1, 2]').status_int == 400
    assert call('POST', '/things', {'a': 'x' * 100}).status_int == 413


def test_validate():
    schema = {'type': 'object', 'properties': {'n': {'type': 'integer'}}, 'required': ['n']}
    wsgi.validate({'n': 1}, schema)
    try:
        wsgi.validate({'n': 'x'}, schema)
    except wsgi.BadRequest as exc:
        assert 'n' in exc.message
    else:
        raise AssertionError('validation passed')
