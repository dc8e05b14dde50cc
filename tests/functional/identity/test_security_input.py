"""Hostile input on the identity API (issue #12, finding 12): a clear 400,
never a 500, never a change.

Every write route declares its body schema (``@wsgi.accepts``) and checks
it; null, lists and objects where strings are expected, overlong strings
and ``"enabled": "yes"`` are refused field by field, generated from the
declared schemas. The public routes refuse 100,000-deep nesting and lone
surrogates. Lists are capped (``limit``; "truncated" when cut).
"""
import json

import pytest
import webob

from tests.functional.identity.helpers import ADMIN_PW, admin_client

WRITES = {'POST', 'PUT', 'PATCH'}
# Write routes that take no body at all.
NO_BODY = {('PUT', '/v3/projects/{target_id}/users/{user_id}/roles/{role_id}'),
           ('PUT', '/v3/domains/{target_id}/users/{user_id}/roles/{role_id}')}


@pytest.fixture
def api(sqlite_db, conf):
    conf.set_override('user_write_rate', 0, group='api')
    yield admin_client()
    conf.clear_override('user_write_rate', group='api')


def _write_routes(app):
    for route in app.routes:
        for method in sorted(route.methods & WRITES):
            yield method, route


def _raw(api, method, path, raw, token=None):
    req = webob.Request.blank(path, method=method, body=raw)
    req.content_type = 'application/json'
    if token:
        req.headers['X-Auth-Token'] = token
    return req.get_response(api.app)


def test_every_write_route_declares_its_body_schema(api):
    missing = [f'{m} {r.template}' for m, r in _write_routes(api.app)
               if r.body_schema is None and (m, r.template) not in NO_BODY
               and r.template != '/openapi.json']
    assert not missing, missing


def _bad_values(prop):
    types = prop.get('type')
    types = [types] if isinstance(types, str) else list(types or [])
    if 'string' in types:
        yield from ([], {}, 12)
        if 'null' not in types:
            yield None
        if 'maxLength' in prop:
            yield 'x' * (prop['maxLength'] + 1)
    if types == ['boolean']:
        yield from ('yes', None, 1)


def _cases(app):
    """(method, template, body) with one field wrong, for every field of
    every declared ``{key: {...}}`` body."""
    for method, route in _write_routes(app):
        schema = route.body_schema
        if not schema or route.policy.scope == 'public':
            continue
        for key, inner in schema.get('properties', {}).items():
            if inner.get('type') != 'object':
                for bad in _bad_values(inner):
                    yield method, route.template, {key: bad}
                continue
            for field, prop in inner.get('properties', {}).items():
                for bad in _bad_values(prop):
                    yield method, route.template, {key: {field: bad}}


def test_wrong_types_and_lengths_are_400(api):
    from iaas.db import identity as db
    before = (db.user_list(), db.project_list(), db.role_list(), db.domain_list(),
              db.credential_list(), db.service_list())
    from iaas.db import app_credentials
    cases = list(_cases(api.app))
    assert len(cases) > 60
    admin_id = db.user_get_by_name('admin', 'default')['id']
    for method, template, body in cases:
        # Only a user itself may make its application credentials.
        template_ = template.replace('{user_id}/application_credentials',
                                     f'{admin_id}/application_credentials')
        path = template_.replace('{', '').replace('}', '')   # ids that do not exist
        r = api.call(method, path, body, api.admin)
        assert r.status_int == 400, (method, template, body, r.status_int, r.body)
        assert r.json['error']['code'] == 400 and r.json['error']['message']
    assert before == (db.user_list(), db.project_list(), db.role_list(), db.domain_list(),
                      db.credential_list(), db.service_list())
    assert app_credentials.list_for_user(admin_id) == []


@pytest.mark.parametrize('path,body', [
    ('/v3/users', {'user': {'name': 'x' * 256}}),
    ('/v3/users', {'user': {'name': None}}),
    ('/v3/users', {'user': {'name': ['admin']}}),
    ('/v3/users', {'user': {'name': 'ok', 'enabled': 'yes'}}),
    ('/v3/users', {'user': 'ok'}),
    ('/v3/projects', {'project': {'name': {'a': 1}}}),
    ('/v3/projects', {'project': {'name': 'ok', 'enabled': 'yes'}}),
    ('/v3/projects', {'project': {'name': 'ok', 'description': ['d']}}),
    ('/v3/roles', {'role': {'name': 'x' * 300}}),
    ('/v3/domains', {'domain': {'name': 'ok', 'enabled': 'no'}}),
])
def test_examples_of_finding_12(api, path, body):
    r = api.call('POST', path, body, api.admin)
    assert r.status_int == 400, r.body


@pytest.mark.parametrize('path', ['/v3/auth/tokens', '/v3/signup'])
def test_public_routes_refuse_deep_nesting_and_surrogates(api, path):
    # 100,000 levels are larger than [api] max_request_body_size (413,
    # refused unread); 10,000 and 40 levels fit and are refused as nested.
    for depth, status in ((100000, 413), (10000, 400), (40, 400)):
        deep = b'{"auth": ' + b'[' * depth + b']' * depth + b'}'
        assert _raw(api, 'POST', path, deep).status_int == status, depth
        deep_obj = b'{"user": ' + b'{"a": ' * depth + b'1' + b'}' * depth + b'}'
        assert _raw(api, 'POST', path, deep_obj).status_int == status, depth
    if path == '/v3/signup':
        body = {'user': {'name': '\ud800', 'password': 'long-enough-1'}}
    else:
        body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
            'name': '\ud800', 'domain': {'name': 'Default'}, 'password': 'x'}}}}}
    raw = json.dumps(body).encode()      # "\ud800" escaped: valid JSON, no valid text
    assert b'\\ud800' in raw
    r = _raw(api, 'POST', path, raw)
    assert r.status_int == 400 and r.json['error']['code'] == 400


@pytest.mark.parametrize('body', [
    {'user': None}, {'user': []}, {'user': {'name': None, 'password': 'long-enough-1'}},
    {'user': {'name': ['a'], 'password': 'long-enough-1'}},
    {'user': {'name': 'okname', 'password': {'x': 1}}},
    {'user': {'name': 'okname', 'password': 'long-enough-1', 'email': ['e']}},
    {'user': {'name': 'okname', 'password': 'long-enough-1'}, 'project': 'p'},
    {'user': {'name': 'okname', 'password': 'long-enough-1'}, 'project': {'name': 5}},
    {'user': {'name': 'x' * 100, 'password': 'long-enough-1'}},
])
def test_signup_wrong_types_are_400(api, body):
    r = api.call('POST', '/v3/signup', body)
    assert r.status_int == 400, r.body


@pytest.mark.parametrize('auth', [
    None, [], 'x', {'identity': None}, {'identity': {'methods': None}},
    {'identity': {'methods': [None]}}, {'identity': {'methods': [['password']]}},
    {'identity': {'methods': ['password'], 'password': {'user': {'name': None}}}},
    {'identity': {'methods': ['password'], 'password': {'user': {
        'name': {'a': 1}, 'domain': {'name': 'Default'}, 'password': 'x'}}}},
    {'identity': {'methods': ['password'], 'password': {'user': {
        'id': ['x'], 'password': 'x'}}}},
    {'identity': {'methods': ['token'], 'token': {'id': None}}},
    {'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'admin', 'domain': {'name': ['Default']}, 'password': 'x'}}}},
    {'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'admin', 'domain': {'name': 'Default'}, 'password': ADMIN_PW}}},
     'scope': {'project': {'name': None, 'domain': {'name': 'Default'}}}},
    {'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'admin', 'domain': {'name': 'Default'}, 'password': ADMIN_PW}}},
     'scope': {'project': {'id': ['x']}}},
])
def test_auth_wrong_types_are_400(api, auth):
    r = api.call('POST', '/v3/auth/tokens', {'auth': auth})
    assert r.status_int == 400, (auth, r.status_int, r.body)


def test_lists_are_capped(api, conf):
    from iaas.api.identity import common
    rid = api.call('GET', '/v3/roles?name=member', token=api.admin).json['roles'][0]['id']
    for i in range(4):
        p = api.call('POST', '/v3/projects', {'project': {'name': f'lp{i}'}}, api.admin)
        u = api.call('POST', '/v3/users', {'user': {'name': f'lu{i}'}}, api.admin)
        assert api.call('PUT', f'/v3/projects/{p.json["project"]["id"]}/users/'
                        f'{u.json["user"]["id"]}/roles/{rid}', token=api.admin).status_int == 204
    r = api.call('GET', '/v3/projects?limit=2', token=api.admin)
    assert r.status_int == 200
    assert len(r.json['projects']) == 2 and r.json['truncated'] is True
    r = api.call('GET', '/v3/projects?limit=100000', token=api.admin)
    assert len(r.json['projects']) == 5 and 'truncated' not in r.json
    for bad in ('-1', 'abc', '1e3'):
        assert api.call('GET', f'/v3/projects?limit={bad}',
                        token=api.admin).status_int == 400
    old, common.LIST_LIMIT = common.LIST_LIMIT, 3
    try:
        for path, key in (('/v3/projects', 'projects'), ('/v3/users', 'users'),
                          ('/v3/role_assignments', 'role_assignments'),
                          ('/v3/services', 'services'), ('/v3/endpoints', 'endpoints')):
            r = api.call('GET', path, token=api.admin)
            assert len(r.json[key]) == 3 and r.json['truncated'] is True, path
    finally:
        common.LIST_LIMIT = old
