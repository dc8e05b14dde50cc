"""iaas-all: everything in one process under one state_path; restart keeps
the data; two clouds side by side on different ports."""
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa

from tests.ports import free_ports  # noqa: F401 (re-exported)

pytestmark = pytest.mark.slow

BIN = os.path.dirname(sys.executable)
PORT_OPTS = ['identity_port', 'compute_port', 'ec2_port', 'volume_port', 'network_port',
             'metadata_port', 'rating_port']


def write_conf(tmp_path, name):
    ports = free_ports(len(PORT_OPTS) + 3)
    lines = ['[DEFAULT]', f'host = {name}', 'transport_url = filesystem://',
             '[api]', 'listen = 127.0.0.1']
    lines += [f'{opt} = {p}' for opt, p in zip(PORT_OPTS, ports, strict=False)]
    lines += ['[image]', f'port = {ports[-3]}', '[objectstore]', f'port = {ports[-2]}',
              '[dashboard]', f'port = {ports[-1]}']
    path = tmp_path / f'{name}.conf'
    path.write_text('\n'.join(lines) + '\n')
    return path, dict(zip(PORT_OPTS, ports, strict=False))


class AllInOne:
    """``wrap``: argv in front of iaas-all (e.g. ``ip netns exec NS``)."""

    def __init__(self, conf_path, state, wrap=()):
        self.state = state
        self.proc = subprocess.Popen(
            [*wrap, os.path.join(BIN, 'iaas-all'), '--config-file', str(conf_path),
             '--state-path', str(state)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True)

    def wait_ready(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if 'ready' in line:
                return
            if self.proc.poll() is not None:
                break
        raise AssertionError(self.proc.stderr.read()[-3000:] + self.log()[-3000:])

    def log(self):
        path = os.path.join(self.state, 'logs', 'iaas-all.log')
        return open(path).read() if os.path.exists(path) else ''

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        _out, err = self.proc.communicate(timeout=90)
        return self.proc.returncode, err


def services(state):
    eng = sa.create_engine(f'sqlite:///{state}/iaas.sqlite')
    try:
        with eng.connect() as c:
            return {(r.binary, r.host): r.id for r in c.execute(
                sa.text('select id, binary, host from services where deleted = 0'))}
    finally:
        eng.dispose()


def test_allinone_restart_keeps_state(tmp_path):
    conf_path, ports = write_conf(tmp_path, 'aio-a')
    state = tmp_path / 'state'
    cloud = AllInOne(conf_path, state)
    cloud.wait_ready()
    openrc = (state / 'admin-openrc').read_text()
    assert f"OS_AUTH_URL='http://127.0.0.1:{ports['identity_port']}/v3'" in openrc
    assert "OS_USERNAME='admin'" in openrc
    before = services(state)
    assert {'iaas-scheduler', 'iaas-compute', 'iaas-network', 'iaas-volume'} <= \
        {b for b, _h in before}
    # Every piece of state lives under state_path.
    assert (state / 'iaas.sqlite').exists() and (state / 'bus').is_dir()
    assert (state / 'logs' / 'iaas-all.log').exists()
    code, err = cloud.stop()
    assert code == 0 and 'Traceback' not in err + cloud.log(), err[-2000:]

    cloud = AllInOne(conf_path, state)
    cloud.wait_ready()
    try:
        assert (state / 'admin-openrc').read_text() == openrc   # same password
        assert services(state) == before                        # same rows
    finally:
        code, err = cloud.stop()
    assert code == 0, err[-2000:]


def test_two_clouds_side_by_side(tmp_path):
    clouds = []
    for name in ('aio-b', 'aio-c'):
        conf_path, ports = write_conf(tmp_path, name)
        clouds.append((AllInOne(conf_path, tmp_path / name), ports))
    try:
        for cloud, ports in clouds:
            cloud.wait_ready()
            with socket.create_connection(('127.0.0.1', ports['identity_port']), timeout=5):
                pass
        assert services(tmp_path / 'aio-b') and services(tmp_path / 'aio-c')
    finally:
        results = [cloud.stop() for cloud, _ in clouds]
    assert [code for code, _ in results] == [0, 0], [err[-1500:] for _, err in results]
