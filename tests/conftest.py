"""Fixtures shared by every test layer.

* ``conf``: the global CONF with a private state_path, reset afterwards.
* ``db_url`` (parametrized sqlite / postgresql / mysql): a fresh, migrated
  database of each kind, wired into CONF. PostgreSQL and MariaDB are the
  real servers on 127.0.0.1 (see README); each test gets its own database.
* ``sqlite_db``: only the embedded SQLite (fast unit tests).
* ``transport_url`` (parametrized memory / filesystem / rabbit): a bus with
  a private exchange name, so tests never see each other's messages.
"""
import os
import uuid

import pytest
import sqlalchemy as sa

from iaas.conf import CONF, register_all

PG_ADMIN = os.environ.get('IAAS_TEST_PG', 'postgresql+psycopg2://postgres@127.0.0.1:5432/test')
MY_ADMIN = os.environ.get('IAAS_TEST_MYSQL', 'mysql+pymysql://root@127.0.0.1:3306/test')
RABBIT = os.environ.get('IAAS_TEST_RABBIT', 'pyamqp://guest:guest@127.0.0.1:5672//')

RUN_ID = uuid.uuid4().hex[:8]
# Exchanges (and so queue names, which start with the exchange) of this run.
TEST_EXCHANGE_PREFIX = f'iaas-test-{RUN_ID}-'


def pytest_configure(config):
    # What every entry point does before it parses its command line.
    register_all(CONF)
    # The all-in-ones tests start note themselves here, not in the user's
    # ~/.local/state (iaas-manage's discovery, iaas/cmd/common.py).
    import tempfile
    os.environ.setdefault('IAAS_ALLINONE_RECORD', os.path.join(
        tempfile.gettempdir(), f'iaas-test-{RUN_ID}-allinone.json'))


# --- running on several workers (pytest-xdist, tools/run-tests.sh) -----------------------
# Tests run in groups; a group runs on one worker, one test after another.
# A module is a group (its module fixtures are made once), except:
# * every test that boots a real guest or touches libvirtd is in one group
#   ("guests"): one test restarts libvirtd, the test images are built once
#   into a shared directory, and two TCG guests at once on a 2-CPU machine
#   would starve each other's boot deadlines;
# * the fuzz tests share one all-in-one cloud (a session fixture).
# Tests marked ``exclusive`` (they stop a shared server such as RabbitMQ)
# are not run on workers at all: run-tests.sh runs them alone afterwards.
GROUPS = (
    ('guests', ('tests/probe/libvirt/', 'tests/probe/network/test_guests_e2e.py',
                'tests/probe/network/test_real_guests_vxlan.py',
                'tests/probe/ec2/test_ec2_guest.py',
                'tests/probe/dashboard/test_real_guest_journey.py')),
    ('fuzz', ('tests/fuzz/',)),
    # the dashboard's tests share one all-in-one cloud (a session fixture)
    ('dashboard', ('tests/functional/dashboard/',)),
)


def worker_group(nodeid):
    """The worker group of the test ``nodeid``."""
    for name, prefixes in GROUPS:
        if nodeid.startswith(prefixes):
            return name
    return nodeid.split('::', 1)[0]


def pytest_collection_modifyitems(config, items):
    """The database kinds each test runs on (``select_db_kinds``); on xdist
    workers, the longest groups first, so they start at once instead of
    ending the run alone (the scheduler keeps this order)."""
    select_db_kinds(config, items)
    if not os.environ.get('PYTEST_XDIST_WORKER'):
        return
    rank = {name: i for i, (name, _) in enumerate(GROUPS)}
    items.sort(key=lambda item: rank.get(worker_group(item.nodeid), len(rank)))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """xdist's scope scheduling with our groups as the scopes."""
    from xdist.scheduler import LoadScopeScheduling

    class GroupScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid):
            return worker_group(nodeid)
    return GroupScheduling(config, log)


def pytest_runtest_logreport(report):
    """With IAAS_TEST_TIMINGS=FILE, one line per test phase as it ends
    (seconds, phase, outcome, node id): where the time goes while a long
    run is still going (tools/test-timings.py sums it per file)."""
    path = os.environ.get('IAAS_TEST_TIMINGS')
    if path:
        with open(path, 'a') as f:
            f.write(f'{report.duration:.3f}\t{report.when}\t{report.outcome}\t{report.nodeid}\n')


def pytest_sessionfinish(session, exitstatus):
    """Delete the queues this run left on the shared RabbitMQ (topic queues
    are durable, so they would pile up run after run)."""
    import shutil
    import subprocess
    if not shutil.which('rabbitmqctl'):
        return
    try:
        out = subprocess.run(['rabbitmqctl', '-q', 'list_queues', 'name'], capture_output=True,
                             text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return
    names = [n.strip() for n in out.splitlines() if n.strip().startswith(TEST_EXCHANGE_PREFIX)]
    if not names:
        return
    import kombu
    try:
        with kombu.Connection(RABBIT, connect_timeout=5) as conn:
            ch = conn.channel()
            for name in names:
                ch.queue_delete(name)
    except Exception:  # noqa: BLE001 - best-effort cleanup
        pass


@pytest.fixture
def conf(tmp_path):
    from iaas import rpc
    from iaas.conf import CONF
    from iaas.db import engine
    CONF([], project='iaas', default_config_files=[])
    CONF.set_override('state_path', str(tmp_path / 'state'))
    CONF.set_override('host', f'test-{RUN_ID}')
    CONF.set_override('control_exchange', f'{TEST_EXCHANGE_PREFIX}{uuid.uuid4().hex[:8]}')
    os.makedirs(CONF.state_path, exist_ok=True)
    yield CONF
    rpc.cleanup()
    engine.dispose_all()
    CONF.reset()
    CONF.clear_override('state_path')
    CONF.clear_override('host')
    CONF.clear_override('control_exchange')
    CONF.clear_override('connection', group='database')
    CONF.clear_override('transport_url')


def _server_db(admin_url, name):
    """Create database ``name`` on the server of ``admin_url``; return its URL and a dropper."""
    admin = sa.create_engine(admin_url, isolation_level='AUTOCOMMIT')
    with admin.connect() as c:
        if admin.dialect.name == 'postgresql':
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        else:
            c.execute(sa.text(f'CREATE DATABASE `{name}` CHARACTER SET utf8mb4'))
    url = admin_url.rsplit('/', 1)[0] + '/' + name
    if admin.dialect.name == 'mysql':
        url += '?charset=utf8mb4'

    def drop():
        from iaas.db import engine
        engine.dispose_all()
        with admin.connect() as c:
            if admin.dialect.name == 'postgresql':
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS `{name}`'))
        admin.dispose()
    return url, drop


def make_empty_db(kind, tmp_path):
    """(url, drop) for an empty database of ``kind``."""
    name = f'iaas_{RUN_ID}_{uuid.uuid4().hex[:8]}'
    if kind == 'sqlite':
        return f'sqlite:///{tmp_path}/{name}.sqlite', lambda: None
    return _server_db(PG_ADMIN if kind == 'postgresql' else MY_ADMIN, name)


DB_KINDS = ('sqlite', 'postgresql', 'mysql')
# Modules whose every test runs on each database: the database layer itself
# and the tests of concurrency (claims, quotas under racing requests, locks),
# time precision and transactions, where the dialects differ. Every other
# test taking ``db_url`` runs on ONE of the three, chosen by its name (stable
# from run to run, spread evenly over the kinds), unless IAAS_TEST_ALL_DBS=1:
# the service code above iaas/db is the same on each, and the 2-CPU CI
# machine cannot run the whole matrix three times within its time limit.
ALL_DB_MODULES = (
    'tests/functional/db/', 'tests/functional/compute/test_atomicity.py',
    'tests/functional/volume/test_type_quotas.py', 'tests/functional/volume/test_volumes.py',
    'tests/functional/volume/test_transfers.py', 'tests/functional/network/test_db_networks.py',
    'tests/functional/billing/', 'tests/functional/notifications/',
)


@pytest.fixture(params=DB_KINDS)
def db_kind(request):
    return request.param


def db_kind_for(nodeid):
    """The one database kind a test (``nodeid`` without its db parameter)
    runs on, or None when it runs on all of them."""
    if os.environ.get('IAAS_TEST_ALL_DBS') == '1' or nodeid.startswith(ALL_DB_MODULES):
        return None
    import zlib
    return DB_KINDS[zlib.crc32(nodeid.encode()) % len(DB_KINDS)]


def _without_db_param(item):
    """``item``'s node id with its db_kind parameter left out."""
    kind = item.callspec.params['db_kind']
    base, _, params = item.nodeid.partition('[')
    rest = [p for p in params.rstrip(']').split('-') if p != kind]
    return base + (f'[{"-".join(rest)}]' if rest else '')


def select_db_kinds(config, items):
    """Deselect the database kinds a test does not run on (see
    ``ALL_DB_MODULES``)."""
    kept, dropped = [], []
    for item in items:
        kind = getattr(item, 'callspec', None) and item.callspec.params.get('db_kind')
        want = kind and db_kind_for(_without_db_param(item))
        (dropped if want and want != kind else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture
def empty_db_url(db_kind, tmp_path):
    url, drop = make_empty_db(db_kind, tmp_path)
    yield url
    drop()


@pytest.fixture
def db_url(conf, empty_db_url):
    from iaas.db import migration
    migration.upgrade(empty_db_url)
    conf.set_override('connection', empty_db_url, group='database')
    yield empty_db_url


@pytest.fixture
def sqlite_db(conf, tmp_path):
    from iaas.db import migration
    url = f'sqlite:///{tmp_path}/unit.sqlite'
    migration.upgrade(url)
    conf.set_override('connection', url, group='database')
    yield url


@pytest.fixture(params=['memory', 'filesystem', 'rabbit'])
def transport_url(request, conf):
    url = {'memory': 'memory://', 'filesystem': 'filesystem://', 'rabbit': RABBIT}[request.param]
    conf.set_override('transport_url', url)
    yield url
