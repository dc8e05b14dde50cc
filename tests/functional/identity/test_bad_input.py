"""Bad input gets a clear Keystone-format 4xx, never a 500."""
import pytest

from tests.functional.identity.helpers import Client

BAD_AUTH = [
    {}, {'auth': None}, {'auth': {}}, {'auth': {'identity': {}}},
    {'auth': {'identity': {'methods': 'password'}}},
    {'auth': {'identity': {'methods': []}}},
    {'auth': {'identity': {'methods': ['totp']}}},
    {'auth': {'identity': {'methods': ['password']}}},
    {'auth': {'identity': {'methods': ['password'], 'password': {'user': 'x'}}}},
    {'auth': {'identity': {'methods': ['password'], 'password': {'user': {'name': 'admin'}}}}},
    {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'admin', 'domain': {}, 'password': 'x'}}}}},
    {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'admin', 'domain': {'name': 'Default'}, 'password': 5}}}}},
    {'auth': {'identity': {'methods': ['token'], 'token': {}}}},
    {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'admin', 'domain': {'name': 'Default'}, 'password': 'admin-pass-1'}}},
        'scope': {'domain': {'name': 'Default'}}}},
    {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'admin', 'domain': {'name': 'Default'}, 'password': 'admin-pass-1'}}},
        'scope': 'everything'}},
    {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'name': 'admin', 'domain': {'name': 'Default'}, 'password': 'admin-pass-1'}}},
        'scope': {'project': {'name': 'admin'}}}},
]


@pytest.fixture
def api(sqlite_db):
    from iaas.api.identity import app as identity_api
    from iaas.identity import bootstrap
    bootstrap.first_start('admin-pass-1')
    return Client(identity_api.build_app())


@pytest.mark.parametrize('body', BAD_AUTH)
def test_bad_auth_bodies_are_400(api, body):
    r = api.call('POST', '/v3/auth/tokens', body)
    assert r.status_int == 400, r.body
    assert r.json['error']['code'] == 400 and r.json['error']['message']


def test_not_json_and_too_big(api):
    r = api.call('POST', '/v3/auth/tokens', headers={'Content-Type': 'application/json'})
    assert r.status_int == 400
    import webob
    req = webob.Request.blank('/v3/auth/tokens', method='POST', body=b'{nope')
    assert req.get_response(api.app).status_int == 400
    req = webob.Request.blank('/v3/auth/tokens', method='POST', body=b'{' + b' ' * (2 << 20))
    assert req.get_response(api.app).status_int == 413


def test_ids_instead_of_names_and_unknown_scope(api):
    from iaas.db import identity as db
    user = db.user_get_by_name('admin', 'default')
    project = db.project_get_by_name('admin', 'default')
    body = {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'id': user['id'], 'password': 'admin-pass-1'}}},
        'scope': {'project': {'id': project['id']}}}}
    r = api.call('POST', '/v3/auth/tokens', body)
    assert r.status_int == 201 and r.json['token']['project']['id'] == project['id']
    body['auth']['scope'] = {'project': {'id': 'no-such-project'}}
    assert api.call('POST', '/v3/auth/tokens', body).status_int == 401
    body['auth']['scope'] = {'project': {'name': 'admin', 'domain': {'name': 'Nope'}}}
    assert api.call('POST', '/v3/auth/tokens', body).status_int == 401


def test_token_endpoints_need_tokens(api):
    assert api.call('GET', '/v3/auth/tokens').status_int == 401
    assert api.call('GET', '/v3/auth/tokens', token='bad',
                    headers={'X-Subject-Token': 'bad'}).status_int == 401
    r = api.token('admin', 'admin-pass-1', 'admin')
    tok = r.headers['X-Subject-Token']
    assert api.call('GET', '/v3/auth/tokens', token=tok).status_int == 400
    assert api.call('GET', '/v3/auth/tokens', token=tok,
                    headers={'X-Subject-Token': 'garbage'}).status_int == 404
    assert api.call('GET', '/v3/projects').status_int == 401
    assert 'WWW-Authenticate' in api.call('GET', '/v3/projects').headers


@pytest.mark.parametrize('method,path,body', [
    ('POST', '/v3/users', {'user': {'name': ''}}),
    ('POST', '/v3/users', {'user': {'name': 'x', 'password': 'p' * 100}}),
    ('POST', '/v3/users', {'user': {'name': 'x', 'domain_id': 'nope'}}),
    ('POST', '/v3/projects', {'project': {'name': 'x', 'enabled': 'yes'}}),
    ('POST', '/v3/endpoints', {'endpoint': {'service_id': 'nope', 'interface': 'public',
                                            'url': 'http://x'}}),
    ('POST', '/v3/endpoints', {'endpoint': {'service_id': 'x', 'interface': 'weird',
                                            'url': 'http://x'}}),
    ('POST', '/v3/credentials', {'credential': {'user_id': 'x', 'type': 'ec2',
                                                'blob': 'not json'}}),
    ('PATCH', '/v3/users/nope', {'user': {'name': 'y'}}),
    ('PUT', '/v3/projects/nope/users/nope/roles/nope', None),
])
def test_admin_bad_requests(api, method, path, body):
    tok = api.token('admin', 'admin-pass-1', 'admin').headers['X-Subject-Token']
    r = api.call(method, path, body, tok)
    assert 400 <= r.status_int < 500, (r.status_int, r.body)
    assert r.json['error']['message']
