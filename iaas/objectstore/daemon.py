"""Builds the object store's services from [objectstore] options: the
proxy, the storage server and the background loops (replicator, auditor,
expirer); also their one-shot runs and the ring made on first start."""
import json
import logging
import os
import threading

from iaas.conf import CONF

LOG = logging.getLogger(__name__)


def ensure_ring():
    """A single-node ring over ``default_devices`` local devices, if none exists."""
    from iaas.objectstore.ring import RingBuilder
    oc = CONF.objectstore
    os.makedirs(oc.devices, exist_ok=True)
    if os.path.exists(oc.ring_path) or not oc.create_ring:
        return
    n = oc.default_devices
    b = RingBuilder(oc.default_part_power, min(oc.default_replicas, n))
    for i in range(n):
        os.makedirs(os.path.join(oc.devices, f'd{i}'), exist_ok=True)
        b.add_dev(oc.storage_ip, oc.storage_port, f'd{i}', 100, zone=i + 1)
    b.rebalance()
    b.save(oc.ring_path)
    LOG.info('created ring %s: %d devices under %s', oc.ring_path, n, oc.devices)


def load_ring():
    from iaas.objectstore.ring import Ring
    oc = CONF.objectstore
    return Ring(oc.ring_path, oc.hash_path_prefix, oc.hash_path_suffix)


def make_storage(ring):
    from iaas.objectstore.storage.server import StorageServer
    oc = CONF.objectstore
    return StorageServer(oc.devices, ring, fsync=oc.fsync, direct_io=oc.direct_io,
                         max_file_size=oc.max_file_size,
                         addr=(oc.storage_ip, oc.storage_port),
                         listing_limit=oc.container_listing_limit)


def make_proxy(ring):
    from iaas.api.objectstore.auth import Auth
    from iaas.api.objectstore.proxy import Proxy
    from iaas.objectstore.cluster import Cluster
    oc = CONF.objectstore
    cluster = Cluster(ring, oc.conn_timeout, oc.node_timeout, oc.error_suppression_interval)
    return Proxy(ring, cluster, Auth.from_conf(CONF), max_file_size=oc.max_file_size,
                 listing_limit=oc.container_listing_limit, s3_region=oc.s3_region)


def loop_function(name, server, ring):
    oc = CONF.objectstore
    if name == 'replicator':
        from iaas.objectstore.storage.replication import Replicator
        rep = Replicator(server, ring, oc.conn_timeout)
        return rep.run_once, oc.replicator_interval
    if name == 'auditor':
        from iaas.objectstore.storage.auditor import audit_once
        return (lambda: audit_once(oc.devices, oc.auditor_bytes_per_second)), \
            oc.auditor_interval
    if name == 'expirer':
        def expire():
            n = server.updates.expire_due()
            server.updates.sweep_async()
            return {'expired': n}
        return expire, oc.expirer_interval
    raise ValueError(name)


class LoopService:
    """Runs ``fn`` every ``interval`` seconds in a thread."""

    def __init__(self, name, fn, interval):
        self.name, self.fn, self.interval = name, fn, interval
        self._stop = threading.Event()
        self._thread = None

    def start(self):
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name=f'objectstore-{self.name}')
        self._thread.start()

    def _run(self):
        while not self._stop.wait(self.interval):
            try:
                self.fn()
            except Exception:
                LOG.exception('objectstore %s pass failed', self.name)

    def wait_ready(self, timeout=30):
        return True

    def stop(self, graceful_timeout=None):
        self._stop.set()
        if self._thread:
            self._thread.join(10)


def build(launcher, roles=None, in_process=False):
    """Add the services of ``roles``; ``in_process`` (iaas-all): the proxy calls
    this node's storage server directly and no storage port is opened."""
    from iaas.objectstore import local, usage
    from iaas.service import WSGIService
    oc = CONF.objectstore
    roles = roles or oc.roles
    ensure_ring()
    ring = load_ring()
    server = make_storage(ring)
    if in_process:
        local.register(oc.storage_ip, oc.storage_port, server)
    elif 'storage' in roles:
        launcher.add(WSGIService('objectstore-storage', server, oc.storage_ip, oc.storage_port,
                                 threads=oc.workers))
    if 'proxy' in roles:
        launcher.add(WSGIService('objectstore-proxy', make_proxy(ring), oc.bind_ip, oc.port,
                                 threads=oc.workers))
        launcher.add(usage.TrafficFlusher())         # objectstore.account.traffic
    if in_process or 'storage' in roles:
        launcher.add(usage.usage_loop(ring))         # objectstore.account.usage
    for name in ('replicator', 'auditor', 'expirer'):
        if name in roles:
            fn, interval = loop_function(name, server, ring)
            launcher.add(LoopService(name, fn, interval))


def run_once(name):
    from iaas.objectstore import local
    oc = CONF.objectstore
    ring = load_ring()
    server = make_storage(ring)
    # this node's own devices are reached directly (works with the daemon down)
    local.register(oc.storage_ip, oc.storage_port, server)
    fn, _ = loop_function(name, server, ring)
    stats = fn()
    server.updates.stop()
    print(json.dumps({name: stats}), flush=True)
    return 0
