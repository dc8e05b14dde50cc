import os
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def write_config(path, **groups):
    with open(path, 'w') as f:
        for group, opts in groups.items():
            f.write(f'[{group}]\n')
            for k, v in opts.items():
                f.write(f'{k} = {v}\n')
    return path


class Daemon:
    """A test daemon process; stop() sends SIGTERM and returns its output."""

    def __init__(self, argv, env=None):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env)

    def wait_ready(self, timeout=30):
        deadline = time.monotonic() + timeout
        line = ''
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if 'READY' in line:
                return
            if self.proc.poll() is not None:
                break
        raise AssertionError(f'daemon not ready: {line!r} {self.proc.stderr.read()[-3000:]}')

    def stop(self, timeout=60):
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
        return self.proc.returncode, out, err


@pytest.fixture
def echo_daemon(conf, tmp_path):
    """Start echo daemons as separate processes sharing this test's bus and DB."""
    started = []

    def start(host='echo-host', topic='echo'):
        # One state_path for all: the filesystem bus lives under it.
        cfg = write_config(
            tmp_path / f'{host}.conf',
            DEFAULT={'host': host, 'state_path': conf.state_path,
                     'transport_url': conf.transport_url,
                     'control_exchange': conf.control_exchange,
                     'rpc_workers': 4},
            database={'connection': conf.database.connection},
            service={'report_interval': 1, 'graceful_shutdown_timeout': 20})
        d = Daemon([sys.executable, os.path.join(HERE, 'echo_daemon.py'),
                    '--config-file', str(cfg), '--topic', topic])
        started.append(d)
        d.wait_ready()
        return d

    yield start
    for d in started:
        d.stop()
