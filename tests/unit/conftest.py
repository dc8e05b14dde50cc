"""Module-scoped in-process clouds for the REST layer and CLI tests: one SQLite
database, the ``memory://`` bus and a bootstrapped identity service per
test module (``api_env``), so each module pays for the set-up once; and
the daemons a server needs on that bus (``hosts``).

The function-scoped ``conf`` fixture of tests/conftest.py resets CONF after
each test; these modules do not use it, and ``api_env`` undoes its own
overrides when the module ends."""
import logging
import os
import uuid

import pytest

from iaas import identity, rpc
from iaas.api import ratelimit
from iaas.conf import CONF
from iaas.db import engine, migration
from tests.conftest import RUN_ID, TEST_EXCHANGE_PREFIX
from tests.inprocess import control_plane, running


@pytest.fixture(autouse=True)
def _root_logging_restored():
    """Whatever a test does to the root logger (a command's main() calls
    iaas.common.logs.setup, which replaces its handlers with one writing to
    the sys.stderr of that moment: pytest's capture, closed after the test)
    is undone, so a later test does not see 'Logging error' tracebacks."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    yield
    root.handlers[:], level = saved
    root.setLevel(level)


@pytest.fixture(scope='module')
def api_env(tmp_path_factory):
    """CONF on a fresh migrated SQLite database and the memory bus."""
    tmp = tmp_path_factory.mktemp('api')
    CONF([], project='iaas', default_config_files=[])
    overrides = [('state_path', str(tmp / 'state'), None), ('host', f'test-{RUN_ID}', None),
                 ('control_exchange', f'{TEST_EXCHANGE_PREFIX}{uuid.uuid4().hex[:8]}', None),
                 ('transport_url', 'memory://', None),
                 ('bcrypt_rounds', 4, 'identity'), ('user_write_rate', 0, 'api')]
    url = f'sqlite:///{tmp}/api.sqlite'
    migration.upgrade(url)
    overrides.append(('connection', url, 'database'))
    for name, value, group in overrides:
        CONF.set_override(name, value, group=group)
    os.makedirs(CONF.state_path, exist_ok=True)
    identity.reset_state()
    ratelimit.reset()
    yield CONF
    identity.reset_state()
    ratelimit.reset()
    rpc.cleanup()
    engine.dispose_all()
    for name, _value, group in overrides:
        CONF.clear_override(name, group=group)
    CONF.reset()


HOST = 'fc1'


@pytest.fixture(scope='module')
def hosts(api_env):
    """The conductor, the scheduler, one compute host (fake driver, spawning
    at once) and its network host (IPAM only, no netns) in this process, as
    tests/functional/network/test_compute_wiring.py's ``services``."""
    api_env.set_override('spawn_delay', 0, group='fake_driver')
    api_env.set_override('report_interval', 1, group='service')
    with running(control_plane(compute=[HOST], network=[HOST])) as started:
        yield started
