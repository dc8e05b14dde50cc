"""Application credentials: /v3/users/{id}/application_credentials and the
``application_credential`` auth method (Keystone's), on every database."""
import datetime

import pytest

from tests.functional.identity.helpers import admin_client, new_member

ADMIN_PW = 'admin-pass-1'


@pytest.fixture
def api(db_url):
    return admin_client(ADMIN_PW)


def _create(api, m, token=None, **body):
    body.setdefault('name', 'ci')
    return api.call('POST', f'/v3/users/{m["id"]}/application_credentials',
                    {'application_credential': body}, token or m['token'])


def _auth(api, **ref):
    return api.call('POST', '/v3/auth/tokens', {'auth': {'identity': {
        'methods': ['application_credential'], 'application_credential': ref}}})


def _ok(api, token):
    return api.call('GET', '/v3/auth/tokens', token=token,
                    headers={'X-Subject-Token': token}).status_int == 200


def test_create_show_list_and_secret_once(api):
    m = new_member(api, 'alice')
    r = _create(api, m, description='ci bot')
    assert r.status_int == 201, r.body
    cred = r.json['application_credential']
    assert cred['project_id'] == m['project_id'] and cred['unrestricted'] is False
    assert {x['name'] for x in cred['roles']} == {'member', 'reader'}
    secret = cred['secret']
    assert len(secret) >= 64
    path = f'/v3/users/{m["id"]}/application_credentials'
    shown = api.call('GET', f'{path}/{cred["id"]}', token=m['token']).json
    assert 'secret' not in shown['application_credential']
    assert shown['application_credential']['name'] == 'ci'
    listed = api.call('GET', path, token=m['unscoped']).json['application_credentials']
    assert [c['id'] for c in listed] == [cred['id']] and 'secret' not in listed[0]
    assert api.call('GET', f'{path}?name=other', token=m['token']).json[
        'application_credentials'] == []
    # Hashed at rest: the secret is nowhere in the row.
    from iaas.db import app_credentials
    row = app_credentials.get(cred['id'])
    assert secret not in str(row) and row['secret_hash'].startswith('$2')
    # Names are unique per user.
    assert _create(api, m).status_int == 409


def test_authenticate_by_id_and_by_name(api):
    m = new_member(api, 'bob')
    cred = _create(api, m, secret='my-own-secret').json['application_credential']
    r = _auth(api, id=cred['id'], secret='my-own-secret')
    assert r.status_int == 201, r.body
    tok = r.json['token']
    assert tok['methods'] == ['application_credential']
    assert tok['project']['id'] == m['project_id']
    assert tok['application_credential'] == {'id': cred['id'], 'name': 'ci',
                                             'restricted': True}
    r = _auth(api, name='ci', secret='my-own-secret',
              user={'name': 'bob', 'domain': {'name': 'Default'}})
    assert r.status_int == 201, r.body
    assert _auth(api, name='ci', secret='my-own-secret',
                 user={'id': m['id']}).status_int == 201
    assert _auth(api, id=cred['id'], secret='wrong').status_int == 401
    assert _auth(api, id='nope', secret='my-own-secret').status_int == 401
    assert _auth(api, id=cred['id']).status_int == 400
    # No scope may be asked for.
    body = {'auth': {'identity': {'methods': ['application_credential'],
                                  'application_credential': {'id': cred['id'],
                                                             'secret': 'my-own-secret'}},
                     'scope': {'project': {'id': m['project_id']}}}}
    assert api.call('POST', '/v3/auth/tokens', body).status_int == 401


def test_roles_are_a_subset_of_the_creators(api):
    m = new_member(api, 'carol')
    r = _create(api, m, roles=[{'name': 'reader'}])
    assert r.status_int == 201, r.body
    cred = r.json['application_credential']
    assert [x['name'] for x in cred['roles']] == ['reader']
    tok = _auth(api, id=cred['id'], secret=cred['secret'])
    assert [x['name'] for x in tok.json['token']['roles']] == ['reader']
    # A role the creator does not hold is refused.
    assert _create(api, m, name='x', roles=[{'name': 'admin'}]).status_int == 404
    # The reader-only token may read but not write elsewhere.
    from iaas.api import auth
    ctx = auth.validate_token(tok.headers['X-Subject-Token'])
    assert ctx.roles == ['reader'] and not ctx.is_admin


def test_expiry(api):
    m = new_member(api, 'dave')
    when = datetime.datetime.now(datetime.UTC).replace(tzinfo=None) + \
        datetime.timedelta(hours=1)
    r = _create(api, m, expires_at=when.isoformat())
    assert r.status_int == 201, r.body
    cred = r.json['application_credential']
    assert cred['expires_at'] == when.isoformat()
    tok = _auth(api, id=cred['id'], secret=cred['secret']).json['token']
    assert tok['expires_at'] <= when.strftime('%Y-%m-%dT%H:%M:%S.999999Z')
    later = _create(api, m, name='later', expires_at='2099-01-01T00:00:00Z')
    assert later.json['application_credential']['expires_at'] == '2099-01-01T00:00:00.000000'
    assert _create(api, m, name='old', expires_at='2001-01-01T00:00:00').status_int == 400
    assert _create(api, m, name='bad', expires_at='tomorrow').status_int == 400
    # Once expired it no longer authenticates.
    from iaas.db import app_credentials
    from iaas.db.engine import transaction
    with transaction() as s:
        s.get(app_credentials.ApplicationCredential, cred['id']).expires_at = \
            datetime.datetime(2001, 1, 1)
    assert _auth(api, id=cred['id'], secret=cred['secret']).status_int == 401


def test_delete_and_role_removal_invalidate_tokens(api):
    m = new_member(api, 'erin')
    path = f'/v3/users/{m["id"]}/application_credentials'
    cred = _create(api, m).json['application_credential']
    token = _auth(api, id=cred['id'], secret=cred['secret']).headers['X-Subject-Token']
    assert _ok(api, token)
    assert api.call('DELETE', f'{path}/{cred["id"]}', token=m['token']).status_int == 204
    assert not _ok(api, token)
    assert _auth(api, id=cred['id'], secret=cred['secret']).status_int == 401
    assert api.call('GET', f'{path}/{cred["id"]}', token=m['token']).status_int == 404
    # Role removal: its tokens stop working, the credential goes (Keystone).
    cred = _create(api, m, name='two').json['application_credential']
    token = _auth(api, id=cred['id'], secret=cred['secret']).headers['X-Subject-Token']
    assert _ok(api, token)
    assert api.call('DELETE', f'/v3/projects/{m["project_id"]}/users/{m["id"]}/roles/'
                    f'{m["role_id"]}', token=api.admin).status_int == 204
    assert not _ok(api, token)
    assert _auth(api, id=cred['id'], secret=cred['secret']).status_int == 401


def test_user_loses_a_role_the_credential_carries(api):
    """Re-checked on validation: no event needed."""
    from iaas.db import identity as db
    from iaas.identity import core
    m = new_member(api, 'frank')
    cred = _create(api, m).json['application_credential']
    token = _auth(api, id=cred['id'], secret=cred['secret']).headers['X-Subject-Token']
    db.assignment_remove(m['id'], 'project', m['project_id'], m['role_id'])
    reader = db.role_get_by_name('reader')
    db.assignment_add(m['id'], 'project', m['project_id'], reader['id'])
    core.invalidate(user_id=m['id'])
    assert not _ok(api, token)


def test_restricted_credential_cannot_manage_credentials(api):
    m = new_member(api, 'grace')
    path = f'/v3/users/{m["id"]}/application_credentials'
    cred = _create(api, m).json['application_credential']
    token = _auth(api, id=cred['id'], secret=cred['secret']).headers['X-Subject-Token']
    assert _create(api, m, token=token, name='child').status_int == 403
    assert api.call('DELETE', f'{path}/{cred["id"]}', token=token).status_int == 403
    free = _create(api, m, name='free', unrestricted=True).json['application_credential']
    token = _auth(api, id=free['id'], secret=free['secret']).headers['X-Subject-Token']
    assert _create(api, m, token=token, name='child').status_int == 201
    # A token rescoped from an application credential's keeps its limits.
    r = api.call('POST', '/v3/auth/tokens', {'auth': {'identity': {
        'methods': ['token'], 'token': {'id': token}}}})
    assert r.status_int == 201
    assert r.json['token']['application_credential']['id'] == free['id']


def test_isolation_between_users(api):
    a = new_member(api, 'heidi')
    b = new_member(api, 'ivan')
    cred = _create(api, a).json['application_credential']
    pa = f'/v3/users/{a["id"]}/application_credentials'
    for method, path in (('GET', pa), ('GET', f'{pa}/{cred["id"]}'),
                         ('DELETE', f'{pa}/{cred["id"]}')):
        assert api.call(method, path, token=b['token']).status_int == 403, (method, path)
    # Another user's id under one's own path is not found.
    pb = f'/v3/users/{b["id"]}/application_credentials/{cred["id"]}'
    assert api.call('GET', pb, token=b['token']).status_int == 404
    assert api.call('DELETE', pb, token=b['token']).status_int == 404
    # Nobody creates one for another user, not even an admin.
    assert _create(api, a, token=b['token']).status_int == 403
    assert _create(api, a, token=api.admin, name='adm').status_int == 403
    # An admin may list, show and delete them.
    assert api.call('GET', pa, token=api.admin).status_int == 200
    assert api.call('DELETE', f'{pa}/{cred["id"]}', token=api.admin).status_int == 204


def test_bad_bodies(api):
    m = new_member(api, 'judy')
    for body in ({}, {'name': ''}, {'name': 'x' * 256}, {'name': 'a', 'unrestricted': 'yes'},
                 {'name': 'a', 'roles': 'member'}, {'name': 'a', 'secret': ''},
                 {'name': 'a\x00b'}, {'name': 'a', 'description': '\x00'},
                 {'name': 'a', 'access_rules': [{'path': '/', 'method': 'GET',
                                                 'service': 'compute'}]}):
        r = api.call('POST', f'/v3/users/{m["id"]}/application_credentials',
                     {'application_credential': body}, m['token'])
        assert r.status_int == 400, (body, r.body)
    path = f'/v3/users/{m["id"]}/application_credentials'
    assert api.call('GET', path + '?name=a%00', token=m['token']).json[
        'application_credentials'] == []
    assert api.call('GET', path + '/a%00', token=m['token']).status_int == 404
    assert _auth(api, id='a\x00', secret='s').status_int == 401
    assert _auth(api, name='a\x00', user={'id': m['id']}, secret='s').status_int == 401
    # An unscoped token has no project to give the credential.
    assert _create(api, m, token=m['unscoped']).status_int == 403


def test_go_with_their_user_or_project(api):
    from iaas.db import app_credentials
    from iaas.db.identity import NotFound
    m = new_member(api, 'kate')
    cred = _create(api, m).json['application_credential']
    token = _auth(api, id=cred['id'], secret=cred['secret']).headers['X-Subject-Token']
    assert api.call('DELETE', f'/v3/users/{m["id"]}', token=api.admin).status_int == 204
    with pytest.raises(NotFound):
        app_credentials.get(cred['id'])
    assert not _ok(api, token)
    n = new_member(api, 'leo')
    cred = _create(api, n).json['application_credential']
    assert api.call('PATCH', f'/v3/projects/{n["project_id"]}',
                    {'project': {'enabled': False}}, api.admin).status_int == 200
    assert _auth(api, id=cred['id'], secret=cred['secret']).status_int == 401
    assert api.call('DELETE', f'/v3/projects/{n["project_id"]}',
                    token=api.admin).status_int == 204
    with pytest.raises(NotFound):
        app_credentials.get(cred['id'])
