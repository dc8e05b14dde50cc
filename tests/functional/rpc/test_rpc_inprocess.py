"""RPC semantics in one process, on every transport (memory, filesystem, rabbit)."""
import threading
import time

import pytest

from iaas import manager, rpc
from iaas.service import Service


class Endpoint(manager.Manager):
    service_name = 'inproc'

    def __init__(self, host):
        super().__init__(host)
        self.casts = []
        self.got = threading.Event()

    @rpc.expose
    def add(self, context, a, b):
        return a + b

    @rpc.expose
    def note(self, context, value):
        self.casts.append(value)
        self.got.set()

    @rpc.expose
    def missing(self, context):
        raise KeyError('k1')


@pytest.fixture
def server(conf, sqlite_db, transport_url):
    ep = Endpoint('h1')
    svc = Service('inproc', 'inproc', ep, host='h1')
    svc.start()
    assert svc.wait_ready(20)
    yield ep
    svc.stop(graceful_timeout=5)


def test_call_cast_and_ping(server):
    c = rpc.RPCClient('inproc', timeout=10)
    assert c.call({}, 'add', a=2, b=3) == 5
    assert c.call({}, 'ping') == {'service': 'inproc', 'host': 'h1'}
    c.cast({}, 'note', value='x')
    assert server.got.wait(10)
    assert server.casts == ['x']


def test_builtin_exceptions_keep_their_type(server):
    with pytest.raises(KeyError):
        rpc.RPCClient('inproc', timeout=10).call({}, 'missing')


def test_call_without_deadline_cannot_be_sent(server):
    with pytest.raises(ValueError, match='no deadline'):
        rpc.RPCClient('inproc').call({}, 'add', a=1, b=1)


def test_concurrent_calls(server):
    c = rpc.RPCClient('inproc', timeout=20)
    results = [None] * 40

    def work(i):
        results[i] = c.call({}, 'add', a=i, b=1)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(40)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [i + 1 for i in range(40)]


def test_a_connection_declares_what_it_publishes_to_once(server, transport_url, monkeypatch):
    """A publisher declares the exchange and the topic's queue on its first
    publish over a connection, not on every one; a new connection (after a
    broker error) declares them again. The casts arrive either way."""
    if transport_url in ('memory://', 'filesystem://'):
        pytest.skip('declarations are AMQP')
    import kombu
    declared = []
    real = kombu.Producer.publish

    def publish(self, body, **kw):
        declared.append(len(kw.get('declare') or ()))
        return real(self, body, **kw)
    monkeypatch.setattr(kombu.Producer, 'publish', publish)
    client = rpc.RPCClient('inproc')
    for value in range(3):
        client.cast({}, 'note', value=value)
    transport = client.transport
    transport._reset_producer()            # as after a broker error
    client.cast({}, 'note', value=3)
    assert declared == [2, 0, 0, 2]
    end = time.monotonic() + 10
    while len(server.casts) < 4 and time.monotonic() < end:
        time.sleep(0.05)
    assert sorted(server.casts) == [0, 1, 2, 3]
