"""Engines and transactions.

``transaction()`` is the one way facade code gets a session: it commits on
success and rolls back on any exception. Engines are cached per URL, so a
process talks to each database through one pool.
"""
import contextlib
import os
import threading
import time

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from iaas.common import metrics
from iaas.conf import CONF
from iaas.exception import NoDatabase

_lock = threading.Lock()
_engines: dict[str, sa.Engine] = {}
_makers: dict[str, sessionmaker] = {}


def connection_url(conf=CONF):
    url = conf.database.connection
    if url:
        return url
    os.makedirs(conf.state_path, exist_ok=True)
    return 'sqlite:///' + os.path.join(conf.state_path, 'iaas.sqlite')


def _sqlite_pragmas(dbapi_conn, _record):
    cur = dbapi_conn.cursor()
    # WAL lets readers run beside the single writer; busy_timeout makes a
    # second writer wait instead of failing at once.
    cur.execute('PRAGMA journal_mode=WAL')
    cur.execute('PRAGMA busy_timeout=30000')
    cur.execute('PRAGMA foreign_keys=ON')
    cur.execute('PRAGMA synchronous=NORMAL')
    cur.close()


def make_engine(url, conf=CONF):
    kw = {'echo': conf.database.echo, 'future': True}
    if url.startswith('sqlite'):
        kw['connect_args'] = {'check_same_thread': False, 'timeout': 30}
    else:
        kw.update(pool_size=conf.database.max_pool_size,
                  max_overflow=conf.database.max_overflow,
                  pool_timeout=conf.database.pool_timeout,
                  pool_recycle=3600)
        if url.startswith('mysql'):
            kw['isolation_level'] = 'READ COMMITTED'
    engine = sa.create_engine(url, **kw)
    if url.startswith('sqlite'):
        event.listen(engine, 'connect', _sqlite_pragmas)
    else:
        _ping_when_idle(engine, conf.database.ping_after_idle)
    metrics.watch_engine(engine)        # iaas_db_pool_* at each scrape
    return engine


def _ping_when_idle(engine, idle_s):
    """SQLAlchemy's pre-ping, but only for a connection that sat in the pool
    longer than ``idle_s``: one the server dropped meanwhile (restart,
    timeout) is replaced before a request uses it, while a busy pool pays
    no extra round trip per checkout."""

    @event.listens_for(engine, 'connect')
    @event.listens_for(engine, 'checkin')
    def _returned(_dbapi_conn, record):
        record.info['iaas_returned_at'] = time.monotonic()

    @event.listens_for(engine, 'checkout')
    def _maybe_ping(dbapi_conn, record, _proxy):
        returned = record.info.get('iaas_returned_at')
        if returned is not None and time.monotonic() - returned <= idle_s:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as exc:
            if not engine.dialect.is_disconnect(exc, dbapi_conn, None):
                raise
            alive = False
        if not alive:
            # the pool discards this connection and checks out a fresh one
            raise sa.exc.DisconnectionError('connection found dead by its ping')


_forbidden = None


def forbid(reason):
    """Refuse every database use in this process from now on (hypervisor and
    network hosts hold no database credentials): a stray access fails loudly
    instead of opening the embedded default."""
    global _forbidden
    _forbidden = reason


def get_engine(url=None):
    if _forbidden:
        raise NoDatabase(f'no database in this process: {_forbidden}')
    url = url or connection_url()
    with _lock:
        if url not in _engines:
            _engines[url] = make_engine(url)
            _makers[url] = sessionmaker(bind=_engines[url], expire_on_commit=False)
        return _engines[url]


def dispose_all():
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _makers.clear()


@contextlib.contextmanager
def transaction(url=None) -> Session:
    """A session in one transaction: commit on success, roll back on error."""
    get_engine(url)
    maker = _makers[url or connection_url()]
    with maker() as session:
        with session.begin():
            yield session


def is_sqlite(session_or_engine):
    bind = getattr(session_or_engine, 'bind', session_or_engine)
    return bind.dialect.name == 'sqlite'
