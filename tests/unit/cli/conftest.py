import pytest

from iaas.cli.main import main
from tests.unit.cli.fake_cloud import FakeCloud


@pytest.fixture
def fake():
    cloud = FakeCloud().start()
    yield cloud
    cloud.stop()


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
def osenv(fake, cfg_path, monkeypatch):
    """OS_* variables pointing at the fake cloud."""
    env = {'OS_AUTH_URL': fake.auth_url, 'OS_USERNAME': 'demo', 'OS_PASSWORD': 'secret',
           'OS_PROJECT_NAME': 'demo', 'OS_USER_DOMAIN_NAME': 'Default',
           'OS_PROJECT_DOMAIN_NAME': 'Default', 'OS_REGION_NAME': 'RegionOne',
           'OS_INTERFACE': 'public'}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


@pytest.fixture
def run(capsys):
    """run('server', 'list') -> (exit code, stdout, stderr)."""
    def _run(*argv):
        rc = main(list(argv))
        out, err = capsys.readouterr()
        assert 'Traceback' not in err
        return rc, out, err
    return _run
