"""Credentials from OS_* variables / the config file, login, token cache,
re-authentication and the error messages for missing or bad credentials."""
import datetime as dt
import io
import json
import os
import socket
import stat

from iaas.cli import auth


def token_posts(fake):
    return fake.calls('POST', '/identity/v3/auth/tokens')


def test_env_credentials_issue_token_like_openstackclient(fake, osenv, run):
    rc, out, err = run('flavor', 'list')
    assert rc == 0, err
    (post,) = token_posts(fake)
    assert post[4] == auth.token_request_body({
        'username': 'demo', 'password': 'secret', 'project_name': 'demo',
        'user_domain_name': 'Default', 'project_domain_name': 'Default'})
    assert 'm1.tiny' in out and 'm1.small' in out
    # the compute call carried the token and the negotiated microversion
    (flv,) = fake.calls('GET', '/compute/v2.1/flavors/detail')
    assert flv[3]['X-Auth-Token'] in fake.tokens
    assert flv[3]['Openstack-Api-Version'] == 'compute 2.79'
    assert flv[3]['X-Openstack-Nova-Api-Version'] == '2.79'


def test_token_request_body_matches_openstackclient():
    body = auth.token_request_body({'username': 'demo', 'password': 'secret',
                                    'project_name': 'demo', 'user_domain_name': 'Default',
                                    'project_domain_name': 'Default'})
    assert body == {'auth': {'identity': {'methods': ['password'], 'password': {'user': {
        'password': 'secret', 'name': 'demo', 'domain': {'name': 'Default'}}}},
        'scope': {'project': {'name': 'demo', 'domain': {'name': 'Default'}}}}}


def test_microversion_lowered_to_server_maximum(fake, osenv, run):
    fake.max_microversion = '2.60'
    assert run('flavor', 'list')[0] == 0
    (flv,) = fake.calls('GET', '/compute/v2.1/flavors/detail')
    assert flv[3]['Openstack-Api-Version'] == 'compute 2.60'


def test_no_microversion_header_without_microversions(fake, osenv, run):
    fake.max_microversion = ''
    assert run('flavor', 'list')[0] == 0
    (flv,) = fake.calls('GET', '/compute/v2.1/flavors/detail')
    assert 'Openstack-Api-Version' not in flv[3]


def test_missing_env_and_no_config(cfg_path, run):
    rc, out, err = run('server', 'list')
    assert rc == 1 and out == ''
    assert 'OS_AUTH_URL' in err and 'iaas login' in err


def test_partial_env_names_missing_variables(fake, cfg_path, run, monkeypatch):
    monkeypatch.setenv('OS_AUTH_URL', fake.auth_url)
    monkeypatch.setattr('sys.stdin', io.StringIO(''))
    rc, _, err = run('server', 'list')
    assert rc == 1
    assert 'OS_USERNAME' in err and 'OS_PASSWORD' in err and 'OS_PROJECT_NAME' in err


def test_bad_password_prints_keystone_message(fake, osenv, run, monkeypatch):
    monkeypatch.setenv('OS_PASSWORD', 'wrong')
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


def test_region_and_interface_select_endpoint(fake, osenv, run, monkeypatch):
    monkeypatch.setenv('OS_REGION_NAME', 'RegionTwo')      # points at a dead port
    rc, _, err = run('flavor', 'list')
    assert rc == 1 and 'cannot connect to http://127.0.0.1:9' in err
    monkeypatch.setenv('OS_REGION_NAME', 'RegionThree')
    rc, _, err = run('flavor', 'list')
    assert rc == 1 and "no public endpoint for 'compute' in region 'RegionThree'" in err


def login(fake, run, monkeypatch, *extra, password='secret'):
    monkeypatch.setattr('sys.stdin', io.StringIO(password + '\n'))
    return run('--os-auth-url', fake.auth_url, '--os-username', 'demo',
               '--os-project-name', 'demo', 'login', '--password-stdin', *extra)


def test_login_writes_0600_config_and_reuses_token(fake, cfg_path, run, monkeypatch):
    rc, out, err = login(fake, run, monkeypatch)
    assert rc == 0, err
    assert 'expires_at' in out and str(cfg_path) in out
    mode = stat.S_IMODE(os.stat(cfg_path).st_mode)
    assert mode == 0o600
    assert stat.S_IMODE(os.stat(cfg_path.parent).st_mode) == 0o700
    cfg = json.loads(cfg_path.read_text())
    assert cfg['token'] in fake.tokens and cfg['expires_at']
    assert 'password' not in cfg
    assert cfg['auth_url'] == fake.auth_url and cfg['username'] == 'demo'
    # later commands use the saved token: no new token request
    assert len(token_posts(fake)) == 1
    rc, out, err = run('flavor', 'list')
    assert rc == 0, err
    assert len(token_posts(fake)) == 1


def test_login_bad_password_writes_nothing(fake, cfg_path, run, monkeypatch):
    rc, _, err = login(fake, run, monkeypatch, password='nope')
    assert rc == 1 and 'HTTP 401' in err
    assert not cfg_path.exists()


def expire(cfg_path):
    cfg = json.loads(cfg_path.read_text())
    past = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)
    cfg['expires_at'] = past.strftime('%Y-%m-%dT%H:%M:%S.%fZ')
    cfg_path.write_text(json.dumps(cfg))


def test_expired_token_without_saved_password_asks_to_login(fake, cfg_path, run,
                                                             monkeypatch):
    assert login(fake, run, monkeypatch)[0] == 0
    expire(cfg_path)
    monkeypatch.setattr('sys.stdin', io.StringIO(''))   # not a terminal: no prompt
    rc, _, err = run('flavor', 'list')
    assert rc == 1 and 'iaas login' in err and 'expired' in err


def test_expired_token_renewed_with_saved_password(fake, cfg_path, run, monkeypatch):
    assert login(fake, run, monkeypatch, '--save-password')[0] == 0
    assert json.loads(cfg_path.read_text())['password'] == 'secret'
    old = json.loads(cfg_path.read_text())['token']
    expire(cfg_path)
    rc, _, err = run('flavor', 'list')
    assert rc == 0, err
    new = json.loads(cfg_path.read_text())
    assert new['token'] != old and len(token_posts(fake)) == 2
    assert stat.S_IMODE(os.stat(cfg_path).st_mode) == 0o600


def test_expired_token_prompts_on_terminal(fake, cfg_path, run, monkeypatch):
    assert login(fake, run, monkeypatch)[0] == 0
    expire(cfg_path)
    monkeypatch.setattr(auth, '_tty', lambda: True)
    monkeypatch.setattr(auth.getpass, 'getpass', lambda prompt: 'secret')
    rc, _, err = run('flavor', 'list')
    assert rc == 0, err
    assert len(token_posts(fake)) == 2


def test_revoked_token_is_renewed_once_on_401(fake, cfg_path, run, monkeypatch):
    assert login(fake, run, monkeypatch, '--save-password')[0] == 0
    fake.tokens.clear()   # server-side revocation
    rc, _, err = run('flavor', 'list')
    assert rc == 0, err
    assert len(token_posts(fake)) == 2


def test_ini_config_file(fake, cfg_path, run):
    cfg_path.parent.mkdir()
    cfg_path.write_text(f'[auth]\nauth_url = {fake.auth_url}\nusername = demo\n'
                        f'password = secret\nproject_name = demo\nregion_name = RegionOne\n')
    rc, out, err = run('flavor', 'list', '-f', 'json')
    assert rc == 0, err
    assert [f['Name'] for f in json.loads(out)] == ['m1.tiny', 'm1.small']


def test_broken_config_file(cfg_path, run):
    cfg_path.parent.mkdir()
    cfg_path.write_text('{not json')
    rc, _, err = run('flavor', 'list')
    assert rc == 1 and 'not valid JSON' in err


def test_logout_revokes_and_forgets_token(fake, cfg_path, run, monkeypatch):
    assert login(fake, run, monkeypatch)[0] == 0
    token = json.loads(cfg_path.read_text())['token']
    rc, _, err = run('logout')
    assert rc == 0, err
    assert token not in fake.tokens
    cfg = json.loads(cfg_path.read_text())
    assert 'token' not in cfg and cfg['username'] == 'demo'
