"""Daemons: an RPC service (manager + RPC server + periodic tasks +
heartbeat) or a WSGI service, and the launcher that runs one or many of
them in a process until SIGTERM.
"""
import logging
import os
import signal
import socket
import threading

from iaas import rpc, servicegroup
from iaas.common import httpserver, observe
from iaas.conf import CONF
from iaas.exception import ServiceNotFound

LOG = logging.getLogger(__name__)


class Service:
    """Runs a manager for ``binary`` on ``host``: RPC, periodic tasks, heartbeat."""

    def __init__(self, binary, topic, manager, host=None, transport=None,
                 report_interval=None, registry=None):
        self.binary = binary
        self.topic = topic
        self.host = host or CONF.host
        self.manager = manager
        self.transport = transport
        self.report_interval = report_interval or CONF.service.report_interval
        # the service row: in the database, or through the conductor
        self.registry = registry or servicegroup.for_manager(manager, transport)
        self.rpcserver = None
        self.service_ref = None
        self._stop = threading.Event()
        self._threads = []

    def __repr__(self):
        return f'<Service {self.binary} on {self.host}>'

    def start(self):
        self.service_ref = self.registry.register(self.host, self.binary, self.topic)
        self.manager.init_host()
        if self.topic:
            self.rpcserver = rpc.RPCServer(self.topic, self.host, self.manager,
                                           transport=self.transport,
                                           verifier=getattr(self.manager, 'rpc_verifier', None))
            self.rpcserver.start()
        self._spawn(self._heartbeat_loop, 'heartbeat')
        if self.manager.periodic_tasks_list():
            self._spawn(self._periodic_loop, 'periodic')
        LOG.info('%s started on host %s (topic %s)', self.binary, self.host, self.topic)

    def wait_ready(self, timeout=30):
        return self.rpcserver is None or self.rpcserver.ready.wait(timeout)

    def _spawn(self, target, name):
        t = threading.Thread(target=target, name=f'{self.binary}-{name}', daemon=True)
        t.start()
        self._threads.append(t)

    def _heartbeat_loop(self):
        while not self._stop.wait(self.report_interval):
            self.heartbeat()

    def heartbeat(self):
        try:
            self.registry.heartbeat(self.service_ref['id'])
        except ServiceNotFound:
            LOG.warning('service row of %s vanished; registering again', self.binary)
            self.service_ref = self.registry.register(self.host, self.binary, self.topic)
        except Exception:
            LOG.exception('heartbeat of %s failed; will retry', self.binary)

    def _periodic_loop(self):
        while not self._stop.is_set():
            idle = self.manager.run_periodic_tasks()
            self._stop.wait(max(0.05, idle))

    def stop(self, graceful_timeout=None):
        self._stop.set()
        if self.rpcserver is not None:
            self.rpcserver.stop(graceful_timeout)
        for t in self._threads:
            t.join(5)
        self.manager.cleanup_host()
        LOG.info('%s on %s stopped', self.binary, self.host)


class WSGIService:
    """Serves a WSGI application on a port (iaas.common.httpserver: request
    heads and small bodies read off the request threads, limits from [api]),
    with /metrics, /healthcheck and request ids (iaas.common.observe)."""

    def __init__(self, name, app, host, port, threads=None, limits=None):
        self.name, self.app = name, app
        self.server = httpserver.HTTPServer(
            observe.wrap(app, name), host, port, name=name, threads=threads or CONF.api.threads,
            limits=limits or httpserver.Limits.from_conf(CONF))

    @property
    def port(self):
        return self.server.port

    def start(self):
        self.server.bind()  # binds now, so a port conflict fails at start
        self.server.start()
        LOG.info('%s listening on http://%s:%s', self.name, *self.server.bind_addr)

    def wait_ready(self, timeout=30):
        return True

    def stop(self, graceful_timeout=None):
        self.server.stop(graceful_timeout)


def sd_notify(state):
    """Tell systemd (Type=notify units) about our state; no-op elsewhere."""
    addr = os.environ.get('NOTIFY_SOCKET')
    if not addr:
        return
    if addr.startswith('@'):
        addr = '\0' + addr[1:]
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
        s.connect(addr)
        s.sendall(state.encode())


class Launcher:
    """Starts services, waits for SIGTERM/SIGINT, stops them in reverse order."""

    def __init__(self):
        self.services = []
        self._stop = threading.Event()

    def add(self, service):
        self.services.append(service)
        return service

    def start(self):
        for svc in self.services:
            svc.start()
        for svc in self.services:
            svc.wait_ready()

    def install_signal_handlers(self):
        def handler(signum, _frame):
            LOG.info('caught %s, stopping', signal.Signals(signum).name)
            self._stop.set()
        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    def stop(self):
        sd_notify('STOPPING=1')
        for svc in reversed(self.services):
            try:
                svc.stop()
            except Exception:
                LOG.exception('error stopping %r', svc)
        rpc.cleanup()

    def run(self, on_ready=None):
        """Start everything, serve until signalled, stop cleanly."""
        self.install_signal_handlers()
        try:
            self.start()
            if on_ready:
                on_ready()
            sd_notify('READY=1')
            while not self._stop.wait(1):
                pass
        finally:
            self.stop()
        return 0
