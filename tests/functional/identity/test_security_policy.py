"""The identity API's one authorization layer (issue #12): every route
declares a Keystone policy rule and scope; a user acts on itself with any
token, a reader may still change its password, revoke its token and manage
its EC2 credentials; everything else is the admin's. Rules are named, so an
operator's policy file changes them."""
import pathlib
import re

import pytest

from iaas import wsgi
from tests.functional.identity.helpers import admin_client, new_member

PW = 'pw-' + 'x' * 9


@pytest.fixture
def api(sqlite_db):
    return admin_client()


def _user(api, name, role='member'):
    return new_member(api, name, role=role, password=PW)


def test_every_route_declares_a_registered_rule(api):
    from iaas.identity import policy
    names = {r.name for r in policy.list_rules()}
    for route in api.app.routes:
        pol = route.policy
        assert pol is not None, route.template
        if pol.scope != wsgi.PUBLIC:
            assert pol.rule in names, (route.template, pol.rule)
    # The grant routes' handlers are bound per target type: their policy too.
    grants = [r for r in api.app.routes if '/users/{user_id}/roles' in r.template]
    assert len(grants) == 10
    assert {r.policy.rule for r in grants} == {
        'identity:list_grants', 'identity:check_grant', 'identity:create_grant',
        'identity:revoke_grant'}


def test_no_inline_admin_checks():
    src = pathlib.Path(__file__).parents[3] / 'iaas' / 'identity' / 'api'
    for f in src.glob('*.py'):
        assert not re.search(r'is_admin|user_is_admin', f.read_text()), f


def test_unscoped_token_acts_on_itself_only(api):
    me, other = _user(api, 'ursula'), _user(api, 'victor')
    tok, uid = me['unscoped'], me['id']
    assert api.call('GET', f'/v3/users/{uid}', token=tok).status_int == 200
    assert api.call('GET', f'/v3/users/{other["id"]}', token=tok).status_int == 403
    assert api.call('GET', f'/v3/users/{uid}/projects', token=tok).json['projects'][0][
        'id'] == me['project_id']
    assert api.call('GET', '/v3/auth/projects', token=tok).status_int == 200
    assert api.call('GET', '/v3/auth/tokens', token=tok,
                    headers={'X-Subject-Token': tok}).status_int == 200
    ec2 = api.call('POST', f'/v3/users/{uid}/credentials/OS-EC2',
                   {'tenant_id': me['project_id']}, tok)
    assert ec2.status_int == 201
    assert api.call('GET', f'/v3/users/{uid}/credentials/OS-EC2', token=tok).status_int == 200
    # Project data and admin routes need a project-scoped token (403).
    for method, path in (('GET', '/v3/users'), ('GET', f'/v3/projects/{me["project_id"]}'),
                         ('GET', '/v3/roles'), ('GET', '/v3/services')):
        r = api.call(method, path, token=tok)
        assert r.status_int == 403, path
    assert api.call('POST', '/v3/projects', {'project': {'name': 'evil'}},
                    tok).status_int == 403
    # Another user's token: 403 to validate or revoke.
    for method in ('GET', 'DELETE'):
        assert api.call(method, '/v3/auth/tokens', token=tok,
                        headers={'X-Subject-Token': other['token']}).status_int == 403
    assert api.call('POST', f'/v3/users/{uid}/password', {'user': {
        'original_password': PW, 'password': 'new-pass-123'}}, tok).status_int == 204


def test_reader_may_change_its_password_revoke_its_token_and_own_credentials(api):
    r = _user(api, 'rhea', role='reader')
    uid, tok = r['id'], r['token']
    ec2 = api.call('POST', f'/v3/users/{uid}/credentials/OS-EC2',
                   {'tenant_id': r['project_id']}, tok)
    assert ec2.status_int == 201
    access = ec2.json['credential']['access']
    assert api.call('DELETE', f'/v3/users/{uid}/credentials/OS-EC2/{access}',
                    token=tok).status_int == 204
    assert api.call('PATCH', f'/v3/users/{uid}', {'user': {'email': 'r@x'}},
                    tok).status_int == 403
    assert api.call('POST', '/v3/projects', {'project': {'name': 'x'}}, tok).status_int == 403
    assert api.call('DELETE', '/v3/auth/tokens', token=tok,
                    headers={'X-Subject-Token': tok}).status_int == 204
    fresh = api.token('rhea', PW, 'p-rhea').headers['X-Subject-Token']
    assert api.call('POST', f'/v3/users/{uid}/password', {'user': {
        'original_password': PW, 'password': 'new-pass-123'}}, fresh).status_int == 204


def test_member_is_not_admin_and_others_credentials_are_404(api):
    m, o = _user(api, 'mona'), _user(api, 'otto')
    tok = m['token']
    for method, path, body in (
            ('GET', '/v3/users', None), ('POST', '/v3/users', {'user': {'name': 'e'}}),
            ('PATCH', f'/v3/projects/{m["project_id"]}', {'project': {'name': 'e'}}),
            ('DELETE', f'/v3/users/{o["id"]}', None),
            ('GET', f'/v3/role_assignments?user.id={o["id"]}', None),
            ('GET', '/v3/role_assignments', None),
            ('GET', f'/v3/credentials?user_id={o["id"]}', None),
            ('POST', '/v3/credentials', {'credential': {
                'user_id': o['id'], 'type': 'cert', 'blob': 'x'}})):
        assert api.call(method, path, body, tok).status_int == 403, (method, path)
    c = api.call('POST', '/v3/credentials', {'credential': {
        'user_id': o['id'], 'type': 'cert', 'blob': 'x'}}, o['token'])
    assert c.status_int == 201
    cid = c.json['credential']['id']
    assert api.call('GET', f'/v3/credentials/{cid}', token=tok).status_int == 404
    assert api.call('DELETE', f'/v3/credentials/{cid}', token=tok).status_int == 404
    assert api.call('GET', '/v3/credentials', token=tok).json['credentials'] == []
    assert api.call('GET', f'/v3/credentials/{cid}', token=api.admin).status_int == 200
    own = api.call('GET', f'/v3/role_assignments?user.id={m["id"]}', token=tok)
    assert own.status_int == 200 and len(own.json['role_assignments']) == 1


def test_rules_are_overridable_by_name(api, conf, tmp_path):
    from iaas.identity import policy
    m = _user(api, 'nina')
    f = tmp_path / 'policy.yaml'
    f.write_text('"identity:list_users": "rule:reader"\n"identity:change_password": "!"\n')
    conf.set_override('policy_file', str(f), group='identity')
    policy.reset()
    try:
        assert api.call('GET', '/v3/users', token=m['token']).status_int == 200
        assert api.call('POST', f'/v3/users/{m["id"]}/password', {'user': {
            'original_password': PW, 'password': 'new-pass-123'}},
            m['token']).status_int == 403
    finally:
        conf.clear_override('policy_file', group='identity')
        policy.reset()
