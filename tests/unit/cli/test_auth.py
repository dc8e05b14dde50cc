"""Credentials from OS_* variables / the config file, login, token cache,
re-authentication and the error messages for missing or bad credentials,
against the real identity and compute APIs in this process
(tests/unit/cli/real_cloud.py)."""
import datetime as dt
import io
import json
import os
import socket
import stat

import pytest

from iaas.api.compute import microversion, versions
from iaas.cli import auth
from tests.functional.identity import helpers

TOKENS = '/v3/auth/tokens'
FLAVORS = '/v2.1/flavors/detail'


def osc_body(user, password, project, domain='Default'):
    """The password auth body openstackclient sends (CALLS.md §1b)."""
    return {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'password': password, 'name': user, 'domain': {'name': domain}}}},
        'scope': {'project': {'name': project, 'domain': {'name': domain}}}}}


def token_posts(real):
    return real.calls('identity', 'POST', TOKENS)


def valid(real, token):
    """Whether the identity service still accepts ``token``."""
    app = real.http['identity'].app.app
    r = helpers.Client(app).call('GET', TOKENS, token=real.admin,
                                 headers={'X-Subject-Token': token})
    return r.status_int == 200


def test_env_credentials_issue_token_like_openstackclient(real, flavors, real_user, run):
    rc, out, err = run('flavor', 'list')
    assert rc == 0, err
    (post,) = token_posts(real)
    assert post[5] == osc_body(real_user.name, helpers.MEMBER_PW, f'p-{real_user.name}')
    assert 'm1.tiny' in out and 'm1.small' in out
    # the compute call carried a valid token and the negotiated microversion
    (flv,) = real.calls('compute', 'GET', FLAVORS)
    assert valid(real, flv[4]['X-Auth-Token'])
    assert flv[4]['OpenStack-API-Version'] == 'compute 2.79'
    assert flv[4]['X-OpenStack-Nova-API-Version'] == '2.79'


def test_ids_go_into_the_token_request_as_openstackclient_sends_them(real, cfg_path, run,
                                                                     monkeypatch):
    for k, v in {'OS_AUTH_URL': real.auth_url, 'OS_USER_ID': 'u1', 'OS_PASSWORD': 'secret',
                 'OS_PROJECT_ID': 'p1'}.items():
        monkeypatch.setenv(k, v)
    rc, _, err = run('flavor', 'list')
    assert rc == 1 and 'authentication failed' in err     # no such user
    assert token_posts(real)[-1][5] == {'auth': {'identity': {'methods': ['password'],
                                        'password': {'user': {'id': 'u1', 'password': 'secret'}}},
                                        'scope': {'project': {'id': 'p1'}}}}


def test_microversion_lowered_to_server_maximum(real, flavors, real_user, run, monkeypatch):
    monkeypatch.setattr(microversion, 'MAX_VERSION', (2, 60))
    assert run('flavor', 'list')[0] == 0
    (flv,) = real.calls('compute', 'GET', FLAVORS)
    assert flv[4]['OpenStack-API-Version'] == 'compute 2.60'


def test_no_microversion_header_without_microversions(real, flavors, real_user, run,
                                                      monkeypatch):
    """A compute API whose version document names no microversion range."""
    monkeypatch.setattr(versions, '_v21', lambda req: {'id': 'v2.1', 'status': 'CURRENT',
                                                       'links': []})
    assert run('flavor', 'list')[0] == 0
    (flv,) = real.calls('compute', 'GET', FLAVORS)
    assert 'OpenStack-API-Version' not in flv[4]


def test_missing_env_and_no_config(cfg_path, run):
    rc, out, err = run('server', 'list')
    assert rc == 1 and out == ''
    assert 'OS_AUTH_URL' in err and 'iaas login' in err


def test_partial_env_names_missing_variables(real, cfg_path, run, monkeypatch):
    monkeypatch.setenv('OS_AUTH_URL', real.auth_url)
    monkeypatch.setattr('sys.stdin', io.StringIO(''))
    rc, _, err = run('server', 'list')
    assert rc == 1
    assert 'OS_USERNAME' in err and 'OS_PASSWORD' in err and 'OS_PROJECT_NAME' in err


def test_bad_password_prints_keystone_message(real, real_user, run, monkeypatch):
    monkeypatch.setenv('OS_PASSWORD', 'wrong-password')
    rc, out, err = run('server', 'list')
    assert rc == 1 and out == ''
    assert 'authentication failed' in err
    assert 'The request you have made requires authentication. (HTTP 401)' in err


def test_connection_refused(cfg_path, run, monkeypatch):
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    for k, v in {'OS_AUTH_URL': f'http://127.0.0.1:{port}/v3', 'OS_USERNAME': 'demo',
                 'OS_PASSWORD': 'x', 'OS_PROJECT_NAME': 'demo'}.items():
        monkeypatch.setenv(k, v)
    rc, _, err = run('image', 'list')
    assert rc == 1
    assert f'cannot connect to http://127.0.0.1:{port}' in err


@pytest.fixture
def region_two(real):
    """RegionTwo, whose compute endpoint is a port nothing listens on."""
    def call(method, path, body=None):
        r = real.api('identity', method, path, real.admin, body)
        assert r.status_int < 300, r.body
        return r.json_body_or_none
    compute = call('GET', '/v3/services?type=compute')['services'][0]['id']
    ep = call('POST', '/v3/endpoints', {'endpoint': {
        'service_id': compute, 'interface': 'public', 'region_id': 'RegionTwo',
        'url': 'http://127.0.0.1:9/v2.1'}})['endpoint']['id']
    yield
    call('DELETE', f'/v3/endpoints/{ep}')


def test_region_and_interface_select_endpoint(real, flavors, real_user, run, monkeypatch,
                                              region_two):
    assert run('flavor', 'list')[0] == 0          # RegionOne's
    monkeypatch.setenv('OS_REGION_NAME', 'RegionTwo')
    rc, _, err = run('flavor', 'list')
    assert rc == 1 and 'cannot connect to http://127.0.0.1:9' in err
    monkeypatch.setenv('OS_REGION_NAME', 'RegionThree')
    rc, _, err = run('flavor', 'list')
    assert rc == 1 and "no public endpoint for 'compute' in region 'RegionThree'" in err
    monkeypatch.setenv('OS_REGION_NAME', 'RegionOne')
    monkeypatch.setenv('OS_INTERFACE', 'internal')
    assert run('flavor', 'list')[0] == 0


def login(real, user, run, monkeypatch, *extra, password=helpers.MEMBER_PW):
    for k in list(user.env):
        monkeypatch.delenv(k)
    monkeypatch.setattr('sys.stdin', io.StringIO(password + '\n'))
    return run('--os-auth-url', real.auth_url, '--os-username', user.name,
               '--os-project-name', f'p-{user.name}', 'login', '--password-stdin', *extra)


def test_login_writes_0600_config_and_reuses_token(real, flavors, real_user, cfg_path, run,
                                                   monkeypatch):
    rc, out, err = login(real, real_user, run, monkeypatch)
    assert rc == 0, err
    assert 'expires_at' in out and str(cfg_path) in out
    mode = stat.S_IMODE(os.stat(cfg_path).st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(os.stat(cfg_path.parent).st_mode) == 0o700
    cfg = json.loads(cfg_path.read_text())
    assert valid(real, cfg['token']) and cfg['expires_at']
    assert 'password' not in cfg
    assert cfg['auth_url'] == real.auth_url and cfg['username'] == real_user.name
    # later commands use the saved token: no new token request
    assert len(token_posts(real)) == 1
    rc, out, err = run('flavor', 'list')
    assert rc == 0, err
    assert len(token_posts(real)) == 1


def test_login_bad_password_writes_nothing(real, real_user, cfg_path, run, monkeypatch):
    rc, _, err = login(real, real_user, run, monkeypatch, password='nope-nope')
    assert rc == 1 and 'HTTP 401' in err
    assert not cfg_path.exists()


def expire(cfg_path):
    cfg = json.loads(cfg_path.read_text())
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    cfg['expires_at'] = past.strftime('%Y-%m-%dT%H:%M:%S.%fZ')
    cfg_path.write_text(json.dumps(cfg))


def test_expired_token_without_saved_password_asks_to_login(real, real_user, cfg_path, run,
                                                             monkeypatch):
    assert login(real, real_user, run, monkeypatch)[0] == 0
    expire(cfg_path)
    monkeypatch.setattr('sys.stdin', io.StringIO(''))   # not a terminal: no prompt
    rc, _, err = run('flavor', 'list')
    assert rc == 1 and 'iaas login' in err and 'expired' in err


def test_expired_token_renewed_with_saved_password(real, flavors, real_user, cfg_path, run,
                                                   monkeypatch):
    assert login(real, real_user, run, monkeypatch, '--save-password')[0] == 0
    assert json.loads(cfg_path.read_text())['password'] == helpers.MEMBER_PW
    old = json.loads(cfg_path.read_text())['token']
    expire(cfg_path)
    rc, _, err = run('flavor', 'list')
    assert rc == 0, err
    new = json.loads(cfg_path.read_text())
    assert new['token'] != old and len(token_posts(real)) == 2
    assert valid(real, new['token'])
    assert stat.S_IMODE(os.stat(cfg_path).st_mode) == 0o600


def test_expired_token_prompts_on_terminal(real, flavors, real_user, cfg_path, run,
                                           monkeypatch):
    assert login(real, real_user, run, monkeypatch)[0] == 0
    expire(cfg_path)
    monkeypatch.setattr(auth, '_tty', lambda: True)
    monkeypatch.setattr(auth.getpass, 'getpass', lambda prompt: helpers.MEMBER_PW)
    rc, _, err = run('flavor', 'list')
    assert rc == 0, err
    assert len(token_posts(real)) == 2


def test_revoked_token_is_renewed_once_on_401(real, flavors, real_user, cfg_path, run,
                                              monkeypatch):
    assert login(real, real_user, run, monkeypatch, '--save-password')[0] == 0
    token = json.loads(cfg_path.read_text())['token']
    app = real.http['identity'].app.app
    r = helpers.Client(app).call('DELETE', TOKENS, token=real.admin,
                                 headers={'X-Subject-Token': token})
    assert r.status_int == 204, r.body          # server-side revocation
    assert not valid(real, token)
    rc, _, err = run('flavor', 'list')
    assert rc == 0, err
    assert len(token_posts(real)) == 2


def test_ini_config_file(real, flavors, real_user, cfg_path, run, monkeypatch):
    for k in list(real_user.env):
        monkeypatch.delenv(k)
    cfg_path.parent.mkdir()
    cfg_path.write_text(f'[auth]\nauth_url = {real.auth_url}\nusername = {real_user.name}\n'
                        f'password = {helpers.MEMBER_PW}\nproject_name = p-{real_user.name}\n'
                        'region_name = RegionOne\n')
    rc, out, err = run('flavor', 'list', '-f', 'json')
    assert rc == 0, err
    assert [f['Name'] for f in json.loads(out)] == ['m1.tiny', 'm1.small']


def test_broken_config_file(cfg_path, run):
    cfg_path.parent.mkdir()
    cfg_path.write_text('{not json')
    rc, _, err = run('flavor', 'list')
    assert rc == 1 and 'not valid JSON' in err


def test_logout_revokes_and_forgets_token(real, real_user, cfg_path, run, monkeypatch):
    assert login(real, real_user, run, monkeypatch)[0] == 0
    token = json.loads(cfg_path.read_text())['token']
    rc, _, err = run('logout')
    assert rc == 0, err
    assert not valid(real, token)
    cfg = json.loads(cfg_path.read_text())
    assert 'token' not in cfg and cfg['username'] == real_user.name
