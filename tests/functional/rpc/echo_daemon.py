"""A test daemon: the real Launcher + Service around an echo manager.

    python echo_daemon.py --config-file F [--topic T]

Prints READY on stdout once it consumes. Casts are appended to
$state_path/casts.log so a test can check none was lost.
"""
import os
import sys
import threading
import time

from oslo_config import cfg

from iaas import manager, rpc
from iaas.cmd import common
from iaas.conf import CONF
from iaas.service import Service


class EchoManager(manager.Manager):
    service_name = 'echo'

    def __init__(self, host):
        super().__init__(host)
        self._lock = threading.Lock()

    @rpc.expose
    def echo(self, context, value):
        return {'value': value, 'host': self.host, 'pid': os.getpid(),
                'request_id': context.request_id}

    @rpc.expose
    def fail(self, context, message):
        raise ValueError(message)

    @rpc.expose
    def slow(self, context, seconds):
        open(os.path.join(CONF.state_path, 'slow.started'), 'w').close()
        time.sleep(seconds)
        return 'done'

    @rpc.expose
    def record(self, context, n):
        with self._lock, open(os.path.join(CONF.state_path, 'casts.log'), 'a') as f:
            f.write(f'{n}\n')

    def not_exposed(self, context):
        return 'should never be reachable'


def main():
    CONF.register_cli_opt(cfg.StrOpt('topic', default='echo'))

    def build(launcher):
        launcher.add(Service('echo-daemon', CONF.topic, EchoManager(CONF.host)))

    return common.run_services('echo-daemon', build, sys.argv,
                               on_ready=lambda: print('READY', flush=True))


if __name__ == '__main__':
    sys.exit(main())
