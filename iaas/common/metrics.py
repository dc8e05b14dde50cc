"""Prometheus metrics of every daemon: one registry per process
(prometheus_client's default, so iaas-all shows everything on each of its
ports), filled by small hooks in the layers that do the work.

* HTTP: :mod:`iaas.common.observe` (every WSGI port), by route template.
* RPC: :mod:`iaas.rpc` (client calls/casts, server handling, queue depth).
* Builds (compute manager), scheduling decisions (scheduler driver),
  object store operations, bytes, quarantines and replication passes.
* The database pool (:func:`watch_engine`, called by iaas.db.engine),
  the process (CPU, memory, file descriptors: prometheus_client's
  collectors; threads: ``iaas_process_threads``).

Label values are bounded: routes are templates, RPC methods are the
declared ones (anything else is ``unknown``), HTTP methods outside the
usual set are ``other``.

Who may read it: :func:`address_allowed` (``[metrics] allowed_networks``).
"""
import contextlib
import functools
import ipaddress
import logging
import os
import threading
import time
import weakref

import prometheus_client
from prometheus_client import Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily

from iaas.conf import CONF

LOG = logging.getLogger(__name__)

REGISTRY = prometheus_client.REGISTRY
CONTENT_TYPE = prometheus_client.CONTENT_TYPE_LATEST
UNKNOWN = 'unknown'
HTTP_METHODS = frozenset({'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'COPY'})
FAST = (.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30)
SLOW = (.1, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)

# -- HTTP ---------------------------------------------------------------------
HTTP_REQUESTS = Counter('iaas_http_requests', 'HTTP requests answered, by API service, '
                        'route template, method and status code',
                        ['service', 'route', 'method', 'status'])
HTTP_LATENCY = Histogram('iaas_http_request_duration_seconds',
                         'Time to the response head (streamed bodies not included)',
                         ['service', 'route', 'method'], buckets=FAST)
HTTP_IN_PROGRESS = Gauge('iaas_http_requests_in_progress', 'HTTP requests being handled',
                         ['service'])

# -- RPC ----------------------------------------------------------------------
RPC_CLIENT = Counter('iaas_rpc_client_requests', 'RPC requests sent, by topic, method, '
                     'kind (call, cast) and outcome (ok, timeout, remote_error, error)',
                     ['topic', 'method', 'kind', 'outcome'])
RPC_CLIENT_LATENCY = Histogram('iaas_rpc_client_duration_seconds',
                               'Time of a call until its reply, of a cast until published',
                               ['topic', 'method', 'kind'], buckets=FAST)
RPC_SERVER = Counter('iaas_rpc_server_requests', 'RPC requests handled, by topic, method '
                     'and outcome (ok, error, expired: dropped as its caller gave up)',
                     ['topic', 'method', 'outcome'])
RPC_SERVER_LATENCY = Histogram('iaas_rpc_server_duration_seconds',
                               'Time an RPC server spent on a request', ['topic', 'method'],
                               buckets=FAST)

# -- compute, scheduler -------------------------------------------------------
BUILDS = Counter('iaas_compute_builds', 'Builds run by this compute host, by outcome '
                 '(active, failed: handed back to be rescheduled or put in ERROR, '
                 'dropped: deleted or moved meanwhile)', ['outcome'])
BUILD_DURATION = Histogram('iaas_compute_build_duration_seconds',
                           'Time of a build on its compute host', ['outcome'], buckets=SLOW)
SCHEDULER_DECISIONS = Counter('iaas_scheduler_decisions', 'Placement decisions, by outcome '
                              '(placed, no_valid_host; stale: no host on cached host '
                              'states, taken again on fresh ones)', ['outcome'])
SCHEDULER_INSTANCES = Counter('iaas_scheduler_instances_placed',
                              'Instances given a host by the filter scheduler')
SCHEDULER_LATENCY = Histogram('iaas_scheduler_decision_duration_seconds',
                              'Time of filtering and weighing one request', ['outcome'],
                              buckets=FAST)

# -- object store ---------------------------------------------------------------
OBJECTSTORE_OPS = Counter('iaas_objectstore_storage_ops', 'Storage server operations, by '
                          'kind (obj, cont, acct, repl), method and status',
                          ['kind', 'method', 'status'])
OBJECTSTORE_BYTES = Counter('iaas_objectstore_storage_bytes', 'Object bytes received (in) '
                            'and sent (out) by the storage server', ['direction'])
OBJECTSTORE_QUARANTINED = Counter('iaas_objectstore_quarantined_objects',
                                  'Objects moved to quarantine (corrupt or unreadable)')
OBJECTSTORE_REPLICATION = Gauge('iaas_objectstore_replication_last_pass',
                                'Counts of the last replication pass (pushed_files, '
                                'suffixes_synced, failures…): non-zero pushes mean the '
                                'replicas were behind', ['stat'])
OBJECTSTORE_REPLICATION_TIME = Gauge('iaas_objectstore_replication_last_pass_timestamp',
                                     'When the last replication pass ended (Unix time)')

# -- process --------------------------------------------------------------------
PROCESS_THREADS = Gauge('iaas_process_threads', 'Threads of this process')
PROCESS_THREADS.set_function(threading.active_count)


def render():
    """(body, content type) of the whole registry in the text format."""
    return prometheus_client.generate_latest(REGISTRY), CONTENT_TYPE


# -- who may read ----------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _networks(entries):
    out = []
    for entry in entries:
        try:
            out.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            LOG.warning('[metrics] allowed_networks: %r is not a network; ignored', entry)
    return tuple(out)


def address_allowed(addr, networks=None):
    """Whether a client at ``addr`` may read /metrics (and health detail):
    its address is in ``networks`` (default ``[metrics] allowed_networks``).
    IPv4-mapped IPv6 addresses count as their IPv4 address."""
    if networks is None:
        networks = CONF.metrics.allowed_networks
    try:
        ip = ipaddress.ip_address((addr or '').split('%', 1)[0])
    except ValueError:
        return False
    if ip.version == 6 and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return any(ip in net for net in _networks(tuple(networks)))


# -- hooks ------------------------------------------------------------------------
def http_request(service, route, method, status, seconds):
    method = method if method in HTTP_METHODS else 'other'
    HTTP_REQUESTS.labels(service, route, method, str(status)).inc()
    HTTP_LATENCY.labels(service, route, method).observe(seconds)


def _rpc_outcome(exc):
    """An exception's outcome label: RPC errors name theirs
    (``metrics_outcome``); a remote exception raised again here is
    ``remote_error``."""
    return getattr(exc, 'metrics_outcome', None) or \
        ('remote_error' if getattr(exc, 'remote', False) else 'error')


@contextlib.contextmanager
def rpc_sent(topic, method, kind):
    """Around an RPC client's call or cast."""
    start = time.monotonic()
    outcome = 'ok'
    try:
        yield
    except Exception as exc:
        outcome = _rpc_outcome(exc)
        raise
    finally:
        RPC_CLIENT.labels(topic, method, kind, outcome).inc()
        RPC_CLIENT_LATENCY.labels(topic, method, kind).observe(time.monotonic() - start)


class _Served:
    reply = None


@contextlib.contextmanager
def rpc_served(topic, method, methods):
    """Around an RPC server's dispatch of ``method``: set ``.reply`` on the
    yielded object to the reply dict (None: dropped as expired)."""
    if method not in methods:
        method = UNKNOWN
    served = _Served()
    start = time.monotonic()
    try:
        yield served
    finally:
        reply = served.reply
        outcome = 'expired' if reply is None else ('error' if 'failure' in reply else 'ok')
        RPC_SERVER.labels(topic, method, outcome).inc()
        RPC_SERVER_LATENCY.labels(topic, method).observe(time.monotonic() - start)


def build_finished(outcome, seconds):
    BUILDS.labels(outcome).inc()
    BUILD_DURATION.labels(outcome).observe(seconds)


@contextlib.contextmanager
def scheduling(no_valid_host, none_found='no_valid_host'):
    """Around one placement; ``no_valid_host`` is the exception type that
    means none was found (counted as ``none_found``). Yields a list to
    append the chosen hosts to."""
    start = time.monotonic()
    chosen = []
    outcome = 'placed'
    try:
        yield chosen
    except no_valid_host:
        outcome = none_found
        raise
    except Exception:
        outcome = 'error'
        raise
    finally:
        SCHEDULER_DECISIONS.labels(outcome).inc()
        SCHEDULER_LATENCY.labels(outcome).observe(time.monotonic() - start)
        SCHEDULER_INSTANCES.inc(len(chosen))


def objectstore_op(kind, method, status, bytes_in=0, bytes_out=0):
    if kind not in ('obj', 'cont', 'acct', 'repl'):
        kind = 'other'
    method = method if method in HTTP_METHODS or method == 'REPLICATE' else 'other'
    OBJECTSTORE_OPS.labels(kind, method, str(status)).inc()
    if bytes_in:
        OBJECTSTORE_BYTES.labels('in').inc(bytes_in)
    if bytes_out:
        OBJECTSTORE_BYTES.labels('out').inc(bytes_out)


def replication_pass(stats):
    for stat, value in stats.items():
        if isinstance(value, (int, float)):
            OBJECTSTORE_REPLICATION.labels(stat).set(value)
    OBJECTSTORE_REPLICATION_TIME.set_to_current_time()


# -- collected at scrape time: RPC queues, the database pool -------------------------
_rpc_servers = weakref.WeakSet()
_engines = weakref.WeakSet()


def track_rpc_server(server):
    """Report ``server``'s requests in progress and its queues' depth."""
    _rpc_servers.add(server)


def watch_engine(engine):
    """Report a SQLAlchemy engine's connection pool."""
    _engines.add(engine)


def _queue_depths(server):
    """[(queue name, messages waiting)] of the server's request queues, where
    the transport tells (AMQP and the kombu virtual transports do)."""
    out = []
    conn = server.transport.connection()
    try:
        conn.ensure_connection(max_retries=1)
        channel = conn.channel()
        for queue in server.queues()[:2]:      # the topic's and this host's
            try:
                ok = queue(channel).queue_declare(passive=True)
                out.append((queue.name, ok.message_count))
            except Exception as exc:   # not declared yet, or no count here
                LOG.debug('no depth for queue %s: %s', queue.name, exc)
    finally:
        conn.release()
    return out


class _ScrapeCollector:
    def collect(self):
        depth = GaugeMetricFamily('iaas_rpc_queue_messages',
                                  'Requests waiting in an RPC server\'s queues', labels=['queue'])
        busy = GaugeMetricFamily('iaas_rpc_server_requests_in_progress',
                                 'Requests an RPC server is running', labels=['topic'])
        for server in list(_rpc_servers):
            busy.add_metric([server.topic], getattr(server, '_inflight', 0))
            try:
                for name, count in _queue_depths(server):
                    depth.add_metric([name], count)
            except Exception as exc:
                LOG.debug('no queue depth for %s: %s', server.topic, exc)
        yield depth
        yield busy
        yield from _pool_families()


def _pool_families():
    values = {}         # (family, database) -> value: engines on one database add up
    for engine in list(_engines):
        pool = engine.pool
        db = f'{engine.dialect.name}:{os.path.basename(engine.url.database or "")}'
        for name, fn in (('checked_out', 'checkedout'), ('size', 'size'),
                         ('overflow', 'overflow')):
            if callable(getattr(pool, fn, None)):
                values[name, db] = values.get((name, db), 0) + getattr(pool, fn)()
    for name, text in (('checked_out', 'Database connections in use'),
                       ('size', 'Connections the pool keeps'),
                       ('overflow', 'Connections beyond the pool size (negative: not all '
                                    'of the pool is open yet)')):
        fam = GaugeMetricFamily(f'iaas_db_pool_{name}', text, labels=['database'])
        for (n, db), value in sorted(values.items()):
            if n == name:
                fam.add_metric([db], value)
        yield fam


REGISTRY.register(_ScrapeCollector())
