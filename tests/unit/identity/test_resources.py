"""The identity service's records (iaas.identity.resources) on SQLite: each
change carries what must go with it (revocation, app-credential cleanup,
cache invalidation) without the REST layer's help."""
import pytest

from iaas.db import migration
from iaas.exception import IdentityConflict, IdentityForbidden, IdentityNotFound
from iaas.identity import app_credentials, bootstrap, core, passwords
from iaas.identity import resources as ident


@pytest.fixture
def cloud(conf, tmp_path):
    url = f'sqlite:///{tmp_path}/id.sqlite'
    migration.upgrade(url)
    conf.set_override('connection', url, group='database')
    conf.set_override('min_password_length', 8, group='identity')
    out = bootstrap.bootstrap('admin-password')
    yield out
    conf.clear_override('min_password_length', group='identity')


def test_sign_up_makes_user_project_and_member_grant(cloud):
    user, project = ident.sign_up('alice', 'secret-pass', 'alice', 'Default')
    roles = {r['name'] for r in ident.roles_for(user['id'], 'project', project['id'])}
    assert roles == {'member'} and user['default_project_id'] == project['id']
    with pytest.raises(IdentityConflict, match='user name ALICE is taken'):
        ident.sign_up('ALICE', 'secret-pass', 'other', 'Default')
    with pytest.raises(IdentityConflict, match='project name Alice is taken'):
        ident.sign_up('bob', 'secret-pass', 'Alice', 'Default')
    assert [p['name'] for p in ident.project_list(name='other')] == []   # nothing left over


def _token(name, password, project_id):
    token, _ = core.authenticate({'auth': {
        'identity': {'methods': ['password'], 'password': {'user': {
            'name': name, 'password': password, 'domain': {'id': 'default'}}}},
        'scope': {'project': {'id': project_id}}}})
    return token


def test_revoking_a_project_grant_drops_tokens_and_app_credentials(cloud):
    user, project = ident.sign_up('carol', 'secret-pass', 'carol', 'Default')
    member = [r for r in ident.role_list() if r['name'] == 'member'][0]
    row, secret = ident.app_credential_create(user['id'], project['id'], 'ci',
                                              [{'id': member['id'], 'name': 'member'}])
    assert app_credentials.check_secret(secret, row['secret_hash'])
    token = _token('carol', 'secret-pass', project['id'])
    assert core.validate(token).project['id'] == project['id']
    ident.revoke_grant(user['id'], 'project', project['id'], member['id'])
    assert ident.app_credential_of_user(user['id'], row['id']) is None
    assert not ident.has_project_role(user['id'], project['id'])
    with pytest.raises(core.AuthFailed):
        core.validate(token)
    with pytest.raises(IdentityNotFound):
        ident.check_grant(user['id'], 'project', project['id'], member['id'])


def test_app_credential_of_another_user_is_none(cloud):
    user, project = ident.sign_up('dave', 'secret-pass', 'dave', 'Default')
    row, _ = ident.app_credential_create(user['id'], project['id'], 'x', [])
    assert ident.app_credential_of_user(user['id'], row['id'])['id'] == row['id']
    assert ident.app_credential_of_user(cloud['user']['id'], row['id']) is None
    assert ident.app_credential_of_user(user['id'], 'a\x00b') is None


def test_change_password_checks_original_policy_and_counts_failures(cloud):
    user, _ = ident.sign_up('erin', 'secret-pass', 'erin', 'Default')
    with pytest.raises(core.AuthFailed):
        ident.change_password(user['id'], 'wrong-pass', 'new-secret-pass', '10.0.0.1')
    with pytest.raises(ValueError, match='at least 8'):
        ident.change_password(user['id'], 'secret-pass', 'short', '10.0.0.1')
    token = _token('erin', 'secret-pass', user['default_project_id'])
    ident.change_password(user['id'], 'secret-pass', 'new-secret-pass', '10.0.0.1')
    with pytest.raises(core.AuthFailed):
        core.validate(token)
    assert passwords.check_password('new-secret-pass', ident.user_get(user['id'])['password_hash'])


def test_enabled_domain_cannot_be_deleted(cloud):
    d = ident.domain_create('acme')
    with pytest.raises(IdentityForbidden):
        ident.domain_delete(d['id'])
    ident.domain_update(d['id'], enabled=False)
    ident.domain_delete(d['id'])
    with pytest.raises(IdentityNotFound):
        ident.domain_get(d['id'])
    assert ident.domain_of(None, 'default') == 'default'
    with pytest.raises(IdentityNotFound):
        ident.domain_of(d['id'], 'default')
