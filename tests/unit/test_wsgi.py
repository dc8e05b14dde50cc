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


# --- hostile input bounded before any handler (issue #12) ---------------

def test_deep_nesting_refused_without_recursion_error():
    for depth in (33, 1000, 100_000):
        resp = call_big('POST', '/things', b'[' * depth + b']' * depth)
        assert resp.status_int == 400, (depth, resp.body)
        resp = call_big('POST', '/things', b'{"a":' * depth + b'1' + b'}' * depth)
        assert resp.status_int == 400, (depth, resp.body)
    nested = b'{"a":' * 31 + b'1' + b'}' * 31
    assert call_big('POST', '/things', nested).status_int == 201


def test_lone_surrogates_and_constants_refused():
    for raw in (b'{"name": "\\ud800"}', b'{"\\udfff": 1}', b'{"a": ["x", {"b": "\\ud83d"}]}',
                b'{"a": NaN}', b'{"a": Infinity}', b'{"a": -Infinity}',
                b'{"a": "\xed\xa0\x80"}', '{"a": "\\ud800"}'.encode('utf-16')):
        resp = call_big('POST', '/things', raw)
        assert resp.status_int == 400, (raw, resp.body)
    # a proper pair is fine
    assert call_big('POST', '/things', b'{"name": "\\ud83d\\ude00"}').json == {'name': '\U0001f600'}


def test_invalid_utf8_in_path_or_query_is_400():
    for path in ('/things/%ff', '/things/a?name=%ff', '/things/a?na%ffme=1',
                 '/things/a?name=%ed%a0%80'):
        resp = call('GET', path)
        assert resp.status_int == 400, (path, resp.body)
        assert resp.json['badRequest']['message']


def test_list_limit():
    def limit(qs, **kw):
        return wsgi.list_limit(wsgi.Request.blank('/x' + qs), **kw)
    assert limit('') is None and limit('', default=5000) == 1000
    assert limit('?limit=0') == 0 and limit('?limit=7') == 7
    assert limit('?limit=99999999999999999999') == 1000
    for bad in ('?limit=-1', '?limit=abc', '?limit=1.5'):
        try:
            limit(bad)
        except wsgi.BadRequest:
            continue
        raise AssertionError(bad)


def call_big(method, path, raw):
    r = wsgi.Router(fault_formatter=wsgi.nova_fault, max_body=1 << 20)
    r.add('POST', '/things', lambda req: (201, req.json()))
    req = webob.Request.blank(path, method=method, body=raw)
    req.content_type = 'application/json'
    return req.get_response(r)


# --- route policies ----------------------------------------------------

def test_route_policy_declaration():
    @wsgi.route_policy('some:rule', scope=wsgi.ANY, reader_may_write=True)
    def h(req):
        return {}
    assert h.route_policy == wsgi.RoutePolicy('some:rule', wsgi.ANY, True)
    r = wsgi.Router()
    r.add('GET', '/h', h)
    assert r.routes[0].policy.rule == 'some:rule'
    assert r.routes[0].methods == {'GET', 'HEAD'}
    for bad in (lambda: wsgi.RoutePolicy(None, wsgi.PROJECT),
                lambda: wsgi.RoutePolicy('r', 'system')):
        try:
            bad()
        except ValueError:
            continue
        raise AssertionError('accepted')


def test_authorizer_runs_after_match_and_can_refuse():
    seen = []

    def authorizer(req, route, params):
        seen.append((route.template, params))
        if params.get('thing_id') == 'secret':
            raise wsgi.NotFound('no such thing')
    r = wsgi.Router(authorizer=authorizer)
    r.add('GET', '/things/{thing_id}', lambda req, thing_id: {'id': thing_id})
    assert webob.Request.blank('/things/a').get_response(r).status_int == 200
    assert webob.Request.blank('/things/secret').get_response(r).status_int == 404
    assert webob.Request.blank('/nope').get_response(r).status_int == 404
    assert seen == [('/things/{thing_id}', {'thing_id': 'a'}),
                    ('/things/{thing_id}', {'thing_id': 'secret'})]


def test_undeclared_route_is_refused(conf):
    from iaas.api import auth
    r = wsgi.Router(authorizer=auth.authorize)
    r.add('GET', '/open', lambda req: {'ok': True})      # no policy declared
    resp = webob.Request.blank('/open').get_response(r)
    assert resp.status_int == 403
