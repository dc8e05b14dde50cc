"""Fixtures of the CLI tests: the real APIs in this process (``real``, one
per module, tests/unit/cli/real_cloud.py), a new user logged in through
OS_* variables (``real_user``), a private config path and ``run``."""
import uuid
from types import SimpleNamespace

import pytest

from iaas.cli.main import main
from tests.functional.identity import helpers
from tests.unit.cli.real_cloud import RealCloud


@pytest.fixture
def cfg_path(tmp_path, monkeypatch):
    for var in list(__import__('os').environ):
        if var.startswith('OS_'):
            monkeypatch.delenv(var)
    path = tmp_path / 'cfg' / 'config'
    monkeypatch.setenv('IAAS_CONFIG', str(path))
    monkeypatch.setenv('IAAS_POLL_INTERVAL', '0.01')
    return path


@pytest.fixture
def run(capsys):
    """run('server', 'list') -> (exit code, stdout, stderr)."""
    def _run(*argv):
        rc = main(list(argv))
        out, err = capsys.readouterr()
        assert 'Traceback' not in err
        return rc, out, err
    return _run


@pytest.fixture(scope='module')
def real(api_env, hosts):
    cloud = RealCloud(api_env).start()
    yield cloud
    cloud.stop()


@pytest.fixture
def real_user(real, cfg_path, monkeypatch):
    """A new user, member of its own new project, and the OS_* variables
    that log the CLI in as it (requests recorded from here on)."""
    name = f'u{uuid.uuid4().hex[:8]}'
    user = real.member(name, f'p-{name}')
    env = {'OS_AUTH_URL': real.auth_url, 'OS_USERNAME': name,
           'OS_PASSWORD': helpers.MEMBER_PW, 'OS_PROJECT_NAME': f'p-{name}',
           'OS_USER_DOMAIN_NAME': 'Default', 'OS_PROJECT_DOMAIN_NAME': 'Default',
           'OS_INTERFACE': 'public'}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    real.requests.clear()
    return SimpleNamespace(name=name, env=env, **user)


@pytest.fixture(scope='module')
def flavors(real):
    """Public flavors m1.tiny (ID 1) and m1.small (ID 2)."""
    for body in ({'name': 'm1.tiny', 'ram': 512, 'vcpus': 1, 'disk': 1, 'id': '1'},
                 {'name': 'm1.small', 'ram': 2048, 'vcpus': 1, 'disk': 20, 'id': '2'}):
        r = real.api('compute', 'POST', '/v2.1/flavors', real.admin, {'flavor': body})
        assert r.status_int == 200, r.body
