"""The pool pings a connection only after it sat idle (iaas/db/engine.py):
a connection the server dropped while idle is replaced, a busy one costs
no round trip."""
import pytest
import sqlalchemy as sa

from iaas.db import engine as db_engine
from tests.conftest import MY_ADMIN, PG_ADMIN

KILL = {'postgresql': 'SELECT pg_terminate_backend(:pid)', 'mysql': 'KILL :pid'}
WHO = {'postgresql': 'SELECT pg_backend_pid()', 'mysql': 'SELECT CONNECTION_ID()'}


class _Conf:
    class database:
        echo = False
        max_pool_size = 1
        max_overflow = 0
        pool_timeout = 5

    def __init__(self, idle):
        self.database.ping_after_idle = idle


def _engine(url, idle):
    conf = _Conf(idle)
    return db_engine.make_engine(url, conf=conf)


def _drop_backend(url, eng):
    kind = eng.dialect.name
    with eng.connect() as c:
        pid = c.execute(sa.text(WHO[kind])).scalar()
    admin = sa.create_engine(url, isolation_level='AUTOCOMMIT')
    try:
        with admin.connect() as c:
            c.execute(sa.text(KILL[kind]), {'pid': pid})
    finally:
        admin.dispose()


@pytest.mark.parametrize('url', [PG_ADMIN, MY_ADMIN], ids=['postgresql', 'mysql'])
def test_a_connection_dropped_while_idle_is_replaced(url):
    eng = _engine(url, idle=0.0)
    try:
        _drop_backend(url, eng)
        with eng.connect() as c:        # pinged, found dead, replaced
            assert c.execute(sa.text('SELECT 1')).scalar() == 1
    finally:
        eng.dispose()


@pytest.mark.parametrize('url', [PG_ADMIN, MY_ADMIN], ids=['postgresql', 'mysql'])
def test_a_connection_in_use_is_not_pinged(url):
    """Within the idle window there is no ping: the dropped connection is
    handed out as it is (what the ping saves, and why the window is short)."""
    eng = _engine(url, idle=3600.0)
    try:
        _drop_backend(url, eng)
        with pytest.raises(sa.exc.DBAPIError) as err:
            with eng.connect() as c:
                c.execute(sa.text('SELECT 1'))
        assert err.value.connection_invalidated
        with eng.connect() as c:        # the pool replaced it after the error
            assert c.execute(sa.text('SELECT 1')).scalar() == 1
    finally:
        eng.dispose()
