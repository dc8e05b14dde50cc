"""Run iaas-objectstore daemons as real processes for probe tests."""
import os
import subprocess
import sys
import time

import requests

from tests.ports import free_port  # noqa: F401 (re-exported)

BIN = os.path.join(os.path.dirname(sys.executable), 'iaas-objectstore')


def write_conf(path, state, **opts):
    lines = ['[DEFAULT]', f'state_path = {state}', f'log_dir = {state}/logs',
             '[objectstore]']
    lines += [f'{k} = {v}' for k, v in opts.items()]
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    return path


def wait_http(url, timeout=20, proc=None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f'daemon exited with {proc.returncode}')
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise TimeoutError(url)


class Daemon:
    def __init__(self, conf, *args):
        self.conf, self.args = conf, args
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen([BIN, *self.args, '--config-file', self.conf],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def run(*args, conf=None, check=True, env=None):
    cmd = [BIN, *args] + (['--config-file', conf] if conf else [])
    return subprocess.run(cmd, capture_output=True, text=True, check=check, timeout=120,
                          env=env)
