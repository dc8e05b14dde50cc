"""RPC between separate processes over each transport (memory:// cannot
cross processes, so it is covered in-process in test_rpc_inprocess.py)."""
import os
import threading
import time

import pytest

from iaas import rpc
from iaas.context import RequestContext

pytestmark = pytest.mark.usefixtures('sqlite_db')


@pytest.fixture(params=['filesystem', 'rabbit'])
def bus(request, conf):
    from tests.conftest import RABBIT
    url = {'filesystem': 'filesystem://', 'rabbit': RABBIT}[request.param]
    conf.set_override('transport_url', url)
    return url


def client(topic='echo', timeout=10, **kw):
    return rpc.RPCClient(topic, timeout=timeout, **kw)


def test_call_roundtrip_between_processes(bus, echo_daemon):
    d = echo_daemon()
    ctx = RequestContext(user_id='u1', project_id='p1')
    reply = client().call(ctx, 'echo', value={'a': [1, 2, 'x']})
    assert reply['value'] == {'a': [1, 2, 'x']}
    assert reply['pid'] == d.proc.pid != os.getpid()
    assert reply['request_id'] == ctx.request_id


def test_remote_value_error_arrives_as_value_error(bus, echo_daemon):
    echo_daemon()
    with pytest.raises(ValueError, match='no such flavor') as info:
        client().call({}, 'fail', message='no such flavor')
    assert getattr(info.value, 'remote', False)


def test_unexposed_method_is_refused(bus, echo_daemon):
    echo_daemon()
    with pytest.raises(rpc.NoSuchMethod):
        client().call({}, 'not_exposed')
    with pytest.raises(rpc.NoSuchMethod):
        client().call({}, '__init__')


def test_call_to_unconsumed_topic_times_out(bus, conf):
    start = time.monotonic()
    with pytest.raises(rpc.RPCTimeout):
        client(topic='nobody-listens', timeout=1.5).call({}, 'echo', value=1)
    elapsed = time.monotonic() - start
    assert 1.4 <= elapsed < 4, elapsed


def test_host_routing_and_fanout(bus, echo_daemon):
    echo_daemon(host='h-a')
    echo_daemon(host='h-b')
    for host in ('h-a', 'h-b'):
        for _ in range(3):
            assert client(server=host).call({}, 'echo', value=1)['host'] == host
    # The shared topic reaches some server; fanout reaches both.
    assert client().call({}, 'echo', value=1)['host'] in ('h-a', 'h-b')
    client(fanout=True).cast({}, 'record', n=7)
    from iaas.conf import CONF
    path = os.path.join(CONF.state_path, 'casts.log')
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if os.path.exists(path) and open(path).read().split() == ['7', '7']:
            break
        time.sleep(0.05)
    assert open(path).read().split() == ['7', '7']


def test_sigterm_finishes_inflight_call(bus, echo_daemon):
    d = echo_daemon()
    result = {}

    def slow_call():
        try:
            result['value'] = client(timeout=30).call({}, 'slow', seconds=2)
        except Exception as exc:  # noqa: BLE001 - recorded for the assert
            result['error'] = exc

    t = threading.Thread(target=slow_call)
    t.start()
    from iaas.conf import CONF
    started = os.path.join(CONF.state_path, 'slow.started')
    deadline = time.monotonic() + 15
    while not os.path.exists(started) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert os.path.exists(started), 'the slow call never reached the daemon'
    code, _out, err = d.stop()
    t.join(30)
    assert result.get('value') == 'done', result
    assert code == 0, err[-2000:]
    assert 'Traceback' not in err, err[-3000:]
