"""The identity API in process, on SQLite, PostgreSQL and MariaDB."""
import time

import pytest

from iaas import wsgi
from iaas.api import auth, ec2_auth
from tests.functional.identity.helpers import Client, admin_client

ADMIN_PW = 'admin-pass-1'


@pytest.fixture
def api(db_url):
    return admin_client(ADMIN_PW)


def make_member(api, name, project, role='member', password='pw-' + 'x' * 8):
    a = api.admin
    p = api.call('POST', '/v3/projects', {'project': {'name': project}}, a)
    pid = p.json['project']['id'] if p.status_int == 201 else \
        api.call('GET', f'/v3/projects?name={project}', token=a).json['projects'][0]['id']
    u = api.call('POST', '/v3/users', {'user': {'name': name, 'password': password}}, a)
    assert u.status_int == 201, u.body
    rid = api.call('GET', f'/v3/roles?name={role}', token=a).json['roles'][0]['id']
    uid = u.json['user']['id']
    assert api.call('PUT', f'/v3/projects/{pid}/users/{uid}/roles/{rid}',
                    token=a).status_int == 204
    r = api.token(name, password, project)
    assert r.status_int == 201, r.body
    return {'user_id': uid, 'project_id': pid, 'role_id': rid, 'password': password,
            'token': r.headers['X-Subject-Token']}


def test_version_discovery(api):
    r = api.call('GET', '/')
    assert r.status_int == 300 and r.headers['Location'].endswith('/v3/')
    assert r.json['versions']['values'][0]['id'] == 'v3.14'
    r = api.call('GET', '/v3')
    assert r.json['version']['status'] == 'stable'
    assert r.json['version']['links'][0]['href'].endswith('/v3/')


def test_token_body_shape(api):
    r = api.call('GET', '/v3/auth/tokens', token=api.admin,
                 headers={'X-Subject-Token': api.admin})
    assert r.status_int == 200
    t = r.json['token']
    assert t['user']['name'] == 'admin' and t['user']['domain'] == {
        'id': 'default', 'name': 'Default'}
    assert t['project']['name'] == 'admin'
    assert {x['name'] for x in t['roles']} == {'admin', 'member', 'reader'}
    assert t['methods'] == ['password'] and t['expires_at'].endswith('Z')
    types = {s['type'] for s in t['catalog']}
    # Only what this deployment serves (finding 14: no EC2).
    assert types == {'identity', 'compute', 'image', 'object-store', 'network', 'volumev3',
                     'block-storage', 'rating'}
    swift = next(s for s in t['catalog'] if s['type'] == 'object-store')
    assert {e['interface'] for e in swift['endpoints']} == {'public', 'internal', 'admin'}
    assert all(e['url'].endswith('/v1/AUTH_' + t['project']['id'])
               and e['region_id'] == 'RegionOne' for e in swift['endpoints'])
    assert api.call('HEAD', '/v3/auth/tokens', token=api.admin,
                    headers={'X-Subject-Token': api.admin}).status_int == 200


def test_unscoped_then_rescope_by_token(api):
    m = make_member(api, 'alice', 'proj-a')
    r = api.token('alice', m['password'])
    assert r.status_int == 201 and 'project' not in r.json['token']
    unscoped = r.headers['X-Subject-Token']
    r = api.call('POST', '/v3/auth/tokens', {'auth': {
        'identity': {'methods': ['token'], 'token': {'id': unscoped}},
        'scope': {'project': {'id': m['project_id']}}}})
    assert r.status_int == 201, r.body
    assert r.json['token']['project']['id'] == m['project_id']
    assert r.json['token']['methods'] == ['password', 'token']
    # Revoking the unscoped parent revokes the child (shared audit chain).
    child = r.headers['X-Subject-Token']
    assert api.call('DELETE', '/v3/auth/tokens', token=unscoped,
                    headers={'X-Subject-Token': unscoped}).status_int == 204
    with pytest.raises(wsgi.Unauthorized):
        auth.validate_token(child)


def test_wrong_password_same_401_as_unknown_user(api):
    make_member(api, 'bob', 'proj-b')
    wrong = api.token('bob', 'not-the-password', 'proj-b')
    unknown = api.token('nobody', 'whatever', 'proj-b')
    assert wrong.status_int == unknown.status_int == 401
    assert wrong.json == unknown.json
    assert 'password' not in wrong.json['error']['message'].lower()


def test_rate_limit_after_five_failures(api, conf):
    m = make_member(api, 'carol', 'proj-c')
    for _ in range(5):
        assert api.token('carol', 'wrong-password', 'proj-c').status_int == 401
    r = api.token('carol', m['password'], 'proj-c')
    assert r.status_int == 429 and r.headers['Retry-After'] == '60'
    # A short window: the limit lifts once it passes.
    conf.set_override('lockout_duration', 1, group='identity')
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = api.token('carol', m['password'], 'proj-c')
            if r.status_int == 201:
                break
            time.sleep(0.2)
        assert r.status_int == 201
    finally:
        conf.clear_override('lockout_duration', group='identity')


def test_rate_limit_configurable_off(api, conf):
    conf.set_override('lockout_failure_attempts', 0, group='identity')
    try:
        m = make_member(api, 'dave', 'proj-d')
        for _ in range(7):
            assert api.token('dave', 'wrong-password', 'proj-d').status_int == 401
        assert api.token('dave', m['password'], 'proj-d').status_int == 201
    finally:
        conf.clear_override('lockout_failure_attempts', group='identity')


def test_revoke_token_then_401(api):
    m = make_member(api, 'erin', 'proj-e')
    tok = m['token']
    assert auth.validate_token(tok).user_id == m['user_id']
    assert api.call('DELETE', '/v3/auth/tokens', token=tok,
                    headers={'X-Subject-Token': tok}).status_int == 204
    assert api.call('GET', f'/v3/projects/{m["project_id"]}', token=tok).status_int == 401
    with pytest.raises(wsgi.Unauthorized):
        auth.validate_token(tok)


def test_revocation_seen_by_another_process_cache(api, conf):
    """A revocation written elsewhere is picked up within revocation_cache_time."""
    from iaas.db import identity as db
    from iaas.db.base import utcnow
    from iaas.identity import tokens
    m = make_member(api, 'frank', 'proj-f')
    auth.validate_token(m['token'])
    data = tokens.decode(m['token'])
    db.revocation_add(utcnow(), utcnow().replace(year=2100), audit_id=data.audit_id)
    deadline = time.monotonic() + conf.identity.revocation_cache_time + 5
    while time.monotonic() < deadline:
        try:
            auth.validate_token(m['token'])
        except wsgi.Unauthorized:
            break
        time.sleep(0.1)
    else:
        pytest.fail('revocation not seen')


def test_password_change_and_role_removal_revoke(api):
    m = make_member(api, 'gina', 'proj-g')
    a = api.admin
    r = api.call('DELETE', f'/v3/projects/{m["project_id"]}/users/{m["user_id"]}/roles/'
                 f'{m["role_id"]}', token=a)
    assert r.status_int == 204
    with pytest.raises(wsgi.Unauthorized):
        auth.validate_token(m['token'])
    m2 = make_member(api, 'hank', 'proj-g')
    r = api.call('PATCH', f'/v3/users/{m2["user_id"]}', {'user': {'password': 'new-pass-12'}}, a)
    assert r.status_int == 200
    with pytest.raises(wsgi.Unauthorized):
        auth.validate_token(m2['token'])
    assert api.token('hank', 'new-pass-12', 'proj-g').status_int == 201


def test_expired_token_401(api, conf):
    conf.set_override('token_expiration', 60, group='identity')
    try:
        from iaas.identity import tokens
        m = make_member(api, 'ivy', 'proj-i')
        data = tokens.decode(m['token'])
        tok, _ = tokens.issue(m['user_id'], ['password'], m['project_id'],
                              expires_s=int(time.time()) + 3)
        assert auth.validate_token(tok).project_id == data.project_id
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            r = api.call('GET', f'/v3/projects/{m["project_id"]}', token=tok)
            if r.status_int == 401:
                break
            time.sleep(0.2)
        assert r.status_int == 401
    finally:
        conf.clear_override('token_expiration', group='identity')


def test_member_isolation_and_reader(api):
    a = make_member(api, 'jack', 'proj-j')
    b = make_member(api, 'kate', 'proj-k')
    r = make_member(api, 'liam', 'proj-j', role='reader')
    # A member of project A is refused project B.
    assert api.call('GET', f'/v3/projects/{b["project_id"]}',
                    token=a['token']).status_int == 403
    assert api.call('GET', f'/v3/projects/{a["project_id"]}',
                    token=a['token']).status_int == 200
    listed = api.call('GET', '/v3/projects', token=a['token']).json['projects']
    assert [p['id'] for p in listed] == [a['project_id']]
    # Non-admins cannot manage identity.
    assert api.call('POST', '/v3/projects', {'project': {'name': 'x1'}},
                    a['token']).status_int == 403
    assert api.call('GET', '/v3/users', token=a['token']).status_int == 403
    # Reader semantics through the shared middleware and rules.
    rctx = auth.validate_token(r['token'])
    assert rctx.roles == ['reader'] and rctx.is_reader_only
    auth.enforce(rctx, 'project_reader', {'project_id': a['project_id']})
    with pytest.raises(wsgi.Forbidden):
        auth.enforce(rctx, 'project_member', {'project_id': a['project_id']})
    with pytest.raises(wsgi.Forbidden):
        auth.enforce(auth.validate_token(a['token']), 'project_member',
                     {'project_id': b['project_id']})
    admin = auth.validate_token(api.admin)
    auth.enforce(admin, 'project_member', {'project_id': b['project_id']})


def test_token_middleware(api):
    m = make_member(api, 'mia', 'proj-m')
    rd = make_member(api, 'noah', 'proj-m', role='reader')
    router = wsgi.Router(fault_formatter=wsgi.nova_fault)
    router.middleware.append(auth.make_token_middleware(public_paths=('/',)))
    router.add('GET', '/', lambda req: {'versions': []})
    router.add(['GET', 'POST'], '/things', lambda req: {
        'project': req.context.project_id, 'roles': req.context.roles})
    c = Client(router)
    assert c.call('GET', '/').status_int == 200
    assert c.call('GET', '/things').status_int == 401
    assert c.call('GET', '/things', token='garbage').status_int == 401
    r = c.call('GET', '/things', token=m['token'])
    assert r.status_int == 200 and r.json['project'] == m['project_id']
    assert c.call('POST', '/things', {}, token=m['token']).status_int == 200
    assert c.call('GET', '/things', token=rd['token']).status_int == 200
    assert c.call('POST', '/things', {}, token=rd['token']).status_int == 403


def test_crud_and_conflicts(api):
    a = api.admin
    r = api.call('POST', '/v3/projects', {'project': {'name': 'dup'}}, a)
    assert r.status_int == 201
    assert api.call('POST', '/v3/projects', {'project': {'name': 'dup'}}, a).status_int == 409
    assert api.call('POST', '/v3/projects', {'project': {}}, a).status_int == 400
    assert api.call('POST', '/v3/projects', {'nope': 1}, a).status_int == 400
    pid = r.json['project']['id']
    r = api.call('PATCH', f'/v3/projects/{pid}', {'project': {'description': 'd'}}, a)
    assert r.json['project']['description'] == 'd'
    assert api.call('GET', '/v3/projects/nope', token=a).status_int == 404
    r = api.call('POST', '/v3/domains', {'domain': {'name': 'd2'}}, a)
    assert r.status_int == 201
    did = r.json['domain']['id']
    assert api.call('DELETE', f'/v3/domains/{did}', token=a).status_int == 403
    api.call('PATCH', f'/v3/domains/{did}', {'domain': {'enabled': False}}, a)
    assert api.call('DELETE', f'/v3/domains/{did}', token=a).status_int == 204
    r = api.call('POST', '/v3/roles', {'role': {'name': 'custom'}}, a)
    assert r.status_int == 201
    assert api.call('POST', '/v3/roles', {'role': {'name': 'custom'}}, a).status_int == 409
    # Catalog rows.
    s = api.call('POST', '/v3/services', {'service': {'type': 'metering', 'name': 'meter'}}, a)
    assert s.status_int == 201
    e = api.call('POST', '/v3/endpoints', {'endpoint': {
        'service_id': s.json['service']['id'], 'interface': 'public',
        'url': 'http://127.0.0.1:1/m', 'region': 'RegionOne'}}, a)
    assert e.status_int == 201
    tok = api.call('GET', '/v3/auth/catalog', token=a).json['catalog']
    assert any(x['type'] == 'metering' for x in tok)
    assert api.call('DELETE', f'/v3/projects/{pid}', token=a).status_int == 204
    assert api.call('GET', f'/v3/projects/{pid}', token=a).status_int == 404


def test_ec2_credentials(api):
    m = make_member(api, 'olga', 'proj-o')
    other = make_member(api, 'pete', 'proj-p')
    base = f'/v3/users/{m["user_id"]}/credentials/OS-EC2'
    r = api.call('POST', base, {'tenant_id': m['project_id']}, m['token'])
    assert r.status_int == 201, r.body
    c = r.json['credential']
    got = ec2_auth.lookup(c['access'])
    assert (got.access, got.secret, got.user_id, got.project_id) == (
        c['access'], c['secret'], m['user_id'], m['project_id'])
    assert ec2_auth.context_for(c['access']).project_id == m['project_id']
    assert ec2_auth.lookup('nope') is None
    # Not for a project the user has no role on, nor for another user.
    assert api.call('POST', base, {'tenant_id': other['project_id']},
                    m['token']).status_int == 403
    assert api.call('GET', base, token=other['token']).status_int == 403
    # /v3/credentials type ec2 works the same way.
    import json
    blob = json.dumps({'access': 'AKIDEXAMPLE', 'secret': 's3cr3t'})
    r = api.call('POST', '/v3/credentials', {'credential': {
        'user_id': m['user_id'], 'project_id': m['project_id'], 'type': 'ec2',
        'blob': blob}}, m['token'])
    assert r.status_int == 201
    assert ec2_auth.lookup('AKIDEXAMPLE').secret == 's3cr3t'
    assert sorted(x['access'] for x in api.call('GET', base, token=m['token']).json[
        'credentials']) == sorted([c['access'], 'AKIDEXAMPLE'])
    assert api.call('DELETE', f'{base}/{c["access"]}', token=m['token']).status_int == 204
    assert ec2_auth.lookup(c['access']) is None
    # Secrets are not stored in clear.
    from iaas.db import identity as db
    assert all('s3cr3t' not in row['encrypted_blob'] for row in db.credential_list())


def test_signup(api, conf):
    body = {'user': {'name': 'quinn', 'password': 'long-enough-1', 'email': 'q@x.org'}}
    r = api.call('POST', '/v3/signup', body)
    assert r.status_int == 201, r.body
    assert r.json['project']['name'] == 'quinn'
    t = api.token('quinn', 'long-enough-1', 'quinn')
    assert t.status_int == 201
    assert {x['name'] for x in t.json['token']['roles']} == {'member', 'reader'}
    assert api.call('POST', '/v3/signup', body).status_int == 409
    for bad in ({'user': {'name': 'x', 'password': 'long-enough-1'}},
                {'user': {'name': 'bad name!', 'password': 'long-enough-1'}},
                {'user': {'name': 'okname', 'password': 'short'}},
                {'user': {'name': 'okname'}}, {}):
        r = api.call('POST', '/v3/signup', bad)
        assert r.status_int == 400, (bad, r.body)
        assert r.json['error']['message']
    conf.set_override('allow_signup', False, group='identity')
    try:
        r = api.call('POST', '/v3/signup', {'user': {'name': 'rita', 'password': 'long-enough-1'}})
        assert r.status_int == 403
    finally:
        conf.clear_override('allow_signup', group='identity')


def test_bootstrap_idempotent_and_catalog_follows_config(api, conf):
    from iaas.identity import bootstrap
    conf.set_override('compute_port', 18774, group='api')
    try:
        bootstrap.bootstrap(ADMIN_PW)
        r = api.call('GET', '/v3/auth/catalog', token=api.admin).json['catalog']
        nova = next(s for s in r if s['type'] == 'compute')
        assert {e['url'] for e in nova['endpoints']} == {'http://127.0.0.1:18774/v2.1'}
        assert len([s for s in r if s['type'] == 'compute']) == 1
    finally:
        conf.clear_override('compute_port', group='api')


def test_unknown_user_rate_limited_like_a_known_one(api):
    for _ in range(5):
        assert api.token('ghost', 'wrong-password', 'admin').status_int == 401
    assert api.token('ghost', 'wrong-password', 'admin').status_int == 429
    assert api.token('admin', ADMIN_PW, 'admin').status_int == 201


def test_no_scope_uses_default_project(api):
    r = api.call('POST', '/v3/signup', {'user': {'name': 'sam', 'password': 'long-enough-1'}})
    assert r.status_int == 201
    t = api.token('sam', 'long-enough-1')
    assert t.status_int == 201
    assert t.json['token']['project']['id'] == r.json['project']['id']
    m = make_member(api, 'tess', 'proj-t')          # no default project: unscoped
    assert 'project' not in api.token('tess', m['password']).json['token']


def test_warm_validation_makes_no_database_call(api, conf, monkeypatch):
    """Once caches are warm, validate_token never touches the database."""
    from iaas.db import identity as db
    from iaas.identity import revision
    m = make_member(api, 'uma', 'proj-u')
    conf.set_override('revocation_cache_time', 3600, group='identity')
    revision.WATCH.reset()      # the next check polls, then not for an hour
    try:
        auth.validate_token(m['token'])
        fresh = api.token('uma', m['password'], 'proj-u').headers['X-Subject-Token']

        def no_db(*a, **kw):
            raise AssertionError('database used during validation')
        monkeypatch.setattr(db, 'transaction', no_db)
        for tok in (m['token'], fresh):     # cached and first-seen tokens
            ctx = auth.validate_token(tok)
            assert ctx.project_id == m['project_id'] and 'member' in ctx.roles
    finally:
        conf.clear_override('revocation_cache_time', group='identity')
