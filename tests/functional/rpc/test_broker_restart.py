"""RabbitMQ stopped and started again mid-test: the service keeps serving
and no cast sent after the restart is lost.

The fixture always starts the broker app again, since later tests and CI
share this broker.
"""
import os
import shutil
import subprocess
import time

import pytest

from iaas import rpc

# exclusive: every other test using RabbitMQ would see the broker go away.
pytestmark = [pytest.mark.usefixtures('sqlite_db'), pytest.mark.rabbit, pytest.mark.slow,
              pytest.mark.exclusive]


def rabbitmqctl(*args):
    return subprocess.run(['rabbitmqctl', *args], capture_output=True, text=True, timeout=120)


@pytest.fixture
def rabbit_restart(conf):
    from tests.conftest import RABBIT
    if not shutil.which('rabbitmqctl'):
        pytest.fail('rabbitmqctl not found: the broker-restart test needs the local RabbitMQ')
    conf.set_override('transport_url', RABBIT)
    yield
    rabbitmqctl('start_app')


def wait_serving(deadline_s=60):
    deadline = time.monotonic() + deadline_s
    last = None
    while time.monotonic() < deadline:
        try:
            return rpc.RPCClient('echo', timeout=2).call({}, 'echo', value='ping')
        except (rpc.RPCTimeout, rpc.RPCError) as exc:
            last = exc
            time.sleep(0.2)
    raise AssertionError(f'service not serving again: {last}')


def test_service_survives_broker_restart(rabbit_restart, echo_daemon):
    from iaas.conf import CONF
    echo_daemon()
    assert wait_serving()['value'] == 'ping'
    # Casts before the restart are acknowledged by the broker.
    for n in range(10):
        rpc.RPCClient('echo').cast({}, 'record', n=n)

    r = rabbitmqctl('stop_app')
    assert r.returncode == 0, r.stderr
    r = rabbitmqctl('start_app')
    assert r.returncode == 0, r.stderr

    # Casts sent after the restart, before the server has even reconnected:
    # the publisher reconnects, the durable queue keeps them for the server.
    sent = list(range(100, 300))
    for n in sent:
        rpc.RPCClient('echo').cast({}, 'record', n=n)
    assert wait_serving()['value'] == 'ping'

    path = os.path.join(CONF.state_path, 'casts.log')
    deadline = time.monotonic() + 30
    got = set()
    while time.monotonic() < deadline:
        got = {int(x) for x in open(path).read().split()} if os.path.exists(path) else set()
        if set(sent) <= got:
            break
        time.sleep(0.1)
    missing = set(sent) - got
    assert not missing, f'{len(missing)} casts sent after the restart were lost'
