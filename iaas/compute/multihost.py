"""Many fake compute hosts in one iaas-compute process (scale simulation).

With ``[fake_driver] hosts = N`` iaas-compute runs N compute managers, named
``<host_prefix>-0001`` …, each with the fake driver, its own service row,
heartbeat and resource report, as N separate iaas-compute daemons would —
but sharing what a process has once, so the broker's and the database's
connection counts follow processes, not hosts:

* one consumer connection and loop over all N ``compute.<host>`` queues
  (and the topic's shared queue), dispatching each request by its routing
  key to that host's manager (:class:`MultiHostRPCServer`);
* one publishing connection for every thread (``Transport.share_publisher``)
  and the process's one reply queue for calls;
* one worker pool for every host's builds and actions (each host keeps its
  own ``[compute] max_concurrent_builds`` and per-instance locks);
* one reporter thread: every ``[service] report_interval`` all hosts'
  heartbeats go to iaas-conductor in one ``host_reports`` call (chunks of
  ``CHUNK``), which writes them with one UPDATE; every ``[compute]
  resource_report_interval`` their resource reports go the same way;
* one thread running the hosts' other periodic tasks (power-state sync).

Trust is unchanged: each entry of a batched report is signed by its own
host's key (:mod:`iaas.conductor.hostauth`) and the conductor checks each as
if it came alone, so the process speaks only for hosts whose keys it holds
(here derived from the master key, as on a conductor host).

No fanout queue per host: nothing fans out to the compute topic.
"""
import concurrent.futures
import logging
import threading
import time

import kombu

from iaas import rpc
from iaas.compute import rpcapi as compute_rpcapi
from iaas.compute.manager import ComputeManager
from iaas.conf import CONF
from iaas.context import get_admin_context

LOG = logging.getLogger(__name__)

BINARY = 'iaas-compute'
# Entries of one host_reports call (bounds the message and the conductor's
# time on one call).
CHUNK = 500


def host_names(prefix, count):
    return [f'{prefix}-{i:04d}' for i in range(1, count + 1)]


def chunks(items, size=None):
    size = size or CHUNK
    return [items[i:i + size] for i in range(0, len(items), size)]


class MultiHostRPCServer(rpc.RPCServer):
    """One consumer over every host's ``compute.<host>`` queue; a request
    goes to the manager its routing key names."""

    def __init__(self, managers, transport=None, workers=None):
        first = managers[0]
        super().__init__(compute_rpcapi.TOPIC, first.host, first, transport=transport,
                         workers=workers)
        self.managers = {m.host: m for m in managers}
        self.name = f'rpc-{self.topic}-{len(managers)}-hosts'

    def queues(self):
        ex, prefix, topic = self.transport.exchange, self.transport.exchange_name, self.topic
        return [kombu.Queue(f'{prefix}.{topic}', ex, routing_key=topic, durable=True)] + [
            kombu.Queue(f'{prefix}.{topic}.{host}', ex, routing_key=f'{topic}.{host}',
                        durable=True) for host in self.managers]

    def endpoint_for(self, message):
        key = (getattr(message, 'delivery_info', None) or {}).get('routing_key') or ''
        return self.managers.get(key[len(self.topic) + 1:], self.endpoint)


class MultiHostService:
    """What :class:`iaas.service.Service` does for one host, for many."""

    def __init__(self, hosts, transport=None, report_interval=None, managers=None):
        self.transport = transport or rpc.get_transport()
        self.transport.share_publisher()
        self.report_interval = report_interval or CONF.service.report_interval
        self.pool = concurrent.futures.ThreadPoolExecutor(
            CONF.compute.max_concurrent_builds + 8, thread_name_prefix='compute-op')
        self.managers = managers or [ComputeManager(h, pool=self.pool) for h in hosts]
        for m in self.managers:
            m.batched_tasks = frozenset({'report_resources'})
        self.host = self.managers[0].host
        self.service_ids = {}           # host -> service row id
        self.rpcserver = None
        self._stop = threading.Event()
        self._threads = []

    def __repr__(self):
        return f'<MultiHostService {BINARY} on {len(self.managers)} hosts>'

    # -- start / stop -----------------------------------------------------------
    def _register(self, mgr):
        row = mgr.conductor.service_register(get_admin_context(), mgr.host, BINARY,
                                             compute_rpcapi.TOPIC)
        self.service_ids[mgr.host] = row['id']

    def _start_host(self, mgr):
        self._register(mgr)
        mgr.init_host()

    def start(self):
        t0 = time.monotonic()
        # registration and init_host (a few conductor calls each), several at once
        with concurrent.futures.ThreadPoolExecutor(8, thread_name_prefix='host-start') as p:
            list(p.map(self._start_host, self.managers))
        self.rpcserver = MultiHostRPCServer(self.managers, transport=self.transport)
        self.rpcserver.start()
        self._spawn(self._report_loop, 'reports')
        self._spawn(self._periodic_loop, 'periodic')
        LOG.info('%s started %d hosts (%s…) in %.1f s', BINARY, len(self.managers),
                 self.host, time.monotonic() - t0)

    def wait_ready(self, timeout=30):
        return self.rpcserver is None or self.rpcserver.ready.wait(timeout)

    def _spawn(self, target, name):
        t = threading.Thread(target=target, name=f'{BINARY}-{name}', daemon=True)
        t.start()
        self._threads.append(t)

    def stop(self, graceful_timeout=None):
        self._stop.set()
        if self.rpcserver is not None:
            self.rpcserver.stop(graceful_timeout)
        for t in self._threads:
            t.join(5)
        self.pool.shutdown(wait=True, cancel_futures=False)
        for m in self.managers:
            m.cleanup_host()
        LOG.info('%s on %d hosts stopped', BINARY, len(self.managers))

    # -- batched reports ----------------------------------------------------------
    def _send(self, entries):
        """host_reports in chunks; the union of the service ids to register again."""
        conductor = self.managers[0].conductor
        missing = set()
        for part in chunks(entries):
            out = conductor.host_reports(get_admin_context(), part)
            missing.update(out.get('missing') or ())
            if out.get('refused'):
                LOG.warning('conductor refused %d of %d host reports', len(out['refused']),
                            len(part))
        return missing

    def heartbeat(self):
        """All hosts' heartbeats, batched; hosts whose row vanished register again."""
        beating = [m for m in self.managers if m.host in self.service_ids]
        missing = self._send([m.conductor.signed_report(
            'service_heartbeat', service_id=self.service_ids[m.host]) for m in beating])
        for m in beating:
            if self.service_ids.get(m.host) in missing:
                LOG.warning('service row of %s vanished; registering again', m.host)
                self._register(m)
        return len(beating)

    def report_resources(self):
        """All hosts' resource reports, batched."""
        self._send([m.conductor.signed_report('compute_node_report', **m.resource_report())
                    for m in self.managers])

    def _report_loop(self):
        next_report = time.monotonic() + CONF.compute.resource_report_interval
        while not self._stop.wait(self.report_interval):
            self._guarded('heartbeat', self.heartbeat)
            if time.monotonic() >= next_report:
                next_report = time.monotonic() + CONF.compute.resource_report_interval
                self._guarded('resource report', self.report_resources)

    def _guarded(self, what, func):
        try:
            func()
        except Exception:
            LOG.exception('batched %s of %d hosts failed; will retry', what,
                          len(self.managers))

    def _periodic_loop(self):
        ctx = get_admin_context()
        while not self._stop.is_set():
            idle = 60.0
            for m in self.managers:
                if self._stop.is_set():
                    return
                idle = min(idle, m.run_periodic_tasks(ctx))
            self._stop.wait(max(0.05, idle))
