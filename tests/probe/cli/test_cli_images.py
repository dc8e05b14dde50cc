"""The ``iaas`` CLI (a subprocess) against real iaas-api (identity) and
iaas-image daemons: login with a token cached 0600, image upload / list /
delete, and clean errors for bad credentials and refused connections."""
import hashlib
import json
import os
import stat
import subprocess

import pytest
import requests

from tests.probe.fixtures import BIN, Cloud, free_ports

pytestmark = pytest.mark.slow


def iaas(cloud_env, *args, stdin=None, check=True, timeout=120):
    try:
        r = subprocess.run([os.path.join(BIN, 'iaas'), '--debug', *args], env=cloud_env,
                           input=stdin, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f'iaas {args} still running after {timeout}s:\n'
                             f'{exc.stderr}') from None
    assert 'Traceback' not in r.stderr, r.stderr
    if check:
        assert r.returncode == 0, f'iaas {args} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}'
    return r


def base_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith('OS_')}
    env['IAAS_CONFIG'] = str(tmp_path / 'iaas-cli' / 'config')
    env['IAAS_POLL_INTERVAL'] = '0.2'
    return env


@pytest.fixture
def image_cloud(tmp_path):
    c = Cloud.create(tmp_path)
    c.start('iaas-api')
    c.start('iaas-image', wait_port=c.ports['image'])
    yield c
    c.stop_all()


def test_login_and_images(image_cloud, tmp_path):
    c = image_cloud
    env = base_env(tmp_path)
    r = iaas(env, '--os-auth-url', c.auth_url, '--os-username', 'admin', '--os-project-name',
             'admin', '--os-region-name', 'RegionOne', 'login', '--password-stdin', '-f',
             'json', stdin=c.admin_password + '\n')
    info = json.loads(r.stdout)
    assert info['user'] == 'admin' and info['project'] == 'admin' and info['expires_at']
    cfg_path = tmp_path / 'iaas-cli' / 'config'
    assert stat.S_IMODE(os.stat(cfg_path).st_mode) == 0o600
    cfg = json.loads(cfg_path.read_text())
    assert cfg['token'] and 'password' not in cfg

    data = os.urandom(3 << 20) + b'end'
    src = tmp_path / 'disk.raw'
    src.write_bytes(data)
    img = json.loads(iaas(env, 'image', 'upload', 'cli-img', str(src), '-f', 'json').stdout)
    assert img['status'] == 'active' and img['size'] == len(data)
    assert img['checksum'] == hashlib.md5(data).hexdigest()
    assert img['disk_format'] == 'raw' and img['container_format'] == 'bare'
    # the unmodified openstack client sees the same image
    shown = c.openstack('image', 'show', img['id'])
    assert shown['name'] == 'cli-img' and shown['checksum'] == img['checksum']

    listed = json.loads(iaas(env, 'image', 'list', '-f', 'json').stdout)
    assert [i['Name'] for i in listed if i['ID'] == img['id']] == ['cli-img']
    r = iaas(env, 'image', 'delete', 'cli-img')
    listed = json.loads(iaas(env, 'image', 'list', '-f', 'json').stdout)
    assert img['id'] not in {i['ID'] for i in listed}
    r = iaas(env, 'image', 'delete', 'cli-img', check=False)
    assert r.returncode == 1 and "No image with a name or ID of 'cli-img'" in r.stderr

    # logout revokes the token at the real identity service
    token = cfg['token']
    iaas(env, 'logout')
    r = requests.get(f'{c.auth_url}/auth/catalog', headers={'X-Auth-Token': token},
                     timeout=30)
    assert r.status_code == 401


def test_errors_are_one_line_messages(image_cloud, tmp_path):
    c = image_cloud
    env = {**base_env(tmp_path), **c.env(password='wrong-password')}
    env['IAAS_CONFIG'] = str(tmp_path / 'none' / 'config')
    r = iaas(env, 'image', 'list', check=False)
    assert r.returncode == 1 and r.stdout == ''
    assert 'Error: authentication failed' in r.stderr and '(HTTP 401)' in r.stderr

    env = base_env(tmp_path)
    env['IAAS_CONFIG'] = str(tmp_path / 'none' / 'config')
    r = iaas(env, 'server', 'list', check=False)
    assert r.returncode == 1 and 'OS_AUTH_URL' in r.stderr and 'iaas login' in r.stderr

    (port,) = free_ports(1)
    env.update({'OS_AUTH_URL': f'http://127.0.0.1:{port}/v3', 'OS_USERNAME': 'admin',
                'OS_PASSWORD': 'x', 'OS_PROJECT_NAME': 'admin'})
    r = iaas(env, 'image', 'list', check=False)
    assert r.returncode == 1 and f'cannot connect to http://127.0.0.1:{port}' in r.stderr
