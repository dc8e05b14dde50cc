"""The real daemon binaries as separate processes: they start, register,
answer over the bus, and stop cleanly on SIGTERM.

Runs over RabbitMQ + PostgreSQL and over filesystem:// + SQLite.
"""
import functools
import os
import signal
import subprocess
import sys
import time

import pytest

from iaas.compute import rpcapi as compute_rpcapi
from iaas.conductor import rpcapi as conductor_rpcapi
from iaas.db import services as db_services
from iaas.network import rpcapi as network_rpcapi
from iaas.scheduler import rpcapi as scheduler_rpcapi
from iaas.volume import rpcapi as volume_rpcapi

pytestmark = pytest.mark.slow

BIN = os.path.dirname(sys.executable)
RPC_DAEMONS = {
    # a compute host's client: its calls are signed (key from the master
    # key in the shared state_path)
    'iaas-conductor': functools.partial(conductor_rpcapi.ConductorAPI, 'compute'),
    'iaas-scheduler': scheduler_rpcapi.SchedulerAPI,
    'iaas-compute': compute_rpcapi.ComputeAPI,
    'iaas-network': network_rpcapi.NetworkAPI,
    'iaas-volume': volume_rpcapi.VolumeAPI,
}


@pytest.fixture(params=['rabbit-postgresql', 'filesystem-sqlite'])
def deployment(request, conf, tmp_path):
    from iaas.db import migration
    from tests.conftest import RABBIT, make_empty_db
    bus, kind = request.param.split('-')
    url, drop = make_empty_db(kind, tmp_path)
    migration.upgrade(url)
    conf.set_override('connection', url, group='database')
    conf.set_override('transport_url', RABBIT if bus == 'rabbit' else 'filesystem://')
    cfg = tmp_path / 'iaas.conf'
    cfg.write_text(f"""[DEFAULT]
host = probe-host
state_path = {conf.state_path}
transport_url = {conf.transport_url}
control_exchange = {conf.control_exchange}
[database]
connection = {url}
[service]
report_interval = 1
""")
    yield cfg
    drop()


def test_rpc_daemons_start_serve_and_stop(deployment):
    procs = {name: subprocess.Popen([os.path.join(BIN, name), '--config-file', str(deployment)],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in RPC_DAEMONS}
    try:
        for name, api in RPC_DAEMONS.items():
            deadline = time.monotonic() + 60
            while True:
                try:
                    reply = api().ping({}, host='probe-host', timeout=2)
                    break
                except Exception:
                    assert procs[name].poll() is None, procs[name].communicate()[1][-3000:]
                    assert time.monotonic() < deadline, f'{name} never answered'
            assert reply == {'service': name, 'host': 'probe-host'}
            assert db_services.service_get('probe-host', name)['topic'] == \
                getattr(api, 'func', api).TOPIC
    finally:
        for p in procs.values():
            p.send_signal(signal.SIGTERM)
        outputs = {name: p.communicate(timeout=60) for name, p in procs.items()}
    for name, p in procs.items():
        err = outputs[name][1]
        assert p.returncode == 0, (name, err[-3000:])
        assert 'Traceback' not in err, (name, err[-3000:])
        assert 'started on host probe-host' in err, (name, err[-2000:])
        assert 'stopped' in err
