"""The proxy's view of the storage nodes: which to ask, in which order,
which failed lately, and how to pick the answer of several replicas."""
import concurrent.futures
import logging
import threading
import time

from iaas.objectstore import client

LOG = logging.getLogger(__name__)


def quorum(n):
    return n // 2 + 1


class Cluster:
    def __init__(self, ring, conn_timeout=0.5, node_timeout=10.0, error_interval=10.0,
                 threads=64):
        self.ring = ring
        self.conn_timeout, self.node_timeout = conn_timeout, node_timeout
        self.error_interval = error_interval
        self._errors = {}
        self._lock = threading.Lock()
        self.executor = concurrent.futures.ThreadPoolExecutor(
            threads, thread_name_prefix='objstore-proxy')

    def error(self, node, why=''):
        LOG.info('storage node %s:%s/%s failed: %s', node['ip'], node['port'],
                 node['device'], why)
        with self._lock:
            self._errors[node['id']] = time.monotonic() + self.error_interval

    def limited(self, node):
        until = self._errors.get(node['id'])
        return until is not None and until > time.monotonic()

    def iter_nodes(self, part, primaries):
        """Healthy primaries, then handoffs, then the failed primaries."""
        skipped = []
        for n in primaries:
            if self.limited(n):
                skipped.append(n)
            else:
                yield n
        count = 0
        for n in self.ring.get_more_nodes(part):
            if count >= len(primaries):
                break
            if not self.limited(n):
                count += 1
                yield n
        yield from skipped

    def handoff_iter(self, part, primaries):
        """Thread-safe iterator of handoffs (for replacing failed primaries)."""
        it = (n for n in self.ring.get_more_nodes(part) if not self.limited(n))
        lock = threading.Lock()

        def next_node():
            with lock:
                return next(it, None)
        return next_node

    def request(self, node, method, path, headers=None, body=b''):
        return client.request(node, method, path, headers, body, self.conn_timeout,
                              self.node_timeout)

    def fanout(self, part, nodes, method, path_fn, headers_fn, body=b''):
        """The same request to every primary (a handoff for each one that fails).

        ``path_fn(node)`` and ``headers_fn(index)`` build each request;
        returns [(status, headers, body)] for the nodes that answered.
        """
        next_handoff = self.handoff_iter(part, nodes)

        def one(index, node):
            full = None
            while node is not None:
                if not self.limited(node):
                    try:
                        status, hdrs, data = self.request(node, method, path_fn(node),
                                                          headers_fn(index), body)
                        if status != 507 and status < 500:
                            return status, hdrs, data
                        if hdrs.get('X-Backend-No-Space'):
                            # a full device refuses this write; it stays in use
                            full = (status, hdrs, data)
                        else:
                            self.error(node, f'status {status}')
                    except Exception as exc:
                        self.error(node, exc)
                node = next_handoff()
            return full or (503, {}, b'')
        futures = [self.executor.submit(one, i, n) for i, n in enumerate(nodes)]
        return [f.result() for f in futures]

    def first(self, part, nodes, method, path_fn, headers=None):
        """Ask nodes in order until one has the thing; (status, headers, body)."""
        best = (503, {}, b'')
        for node in self.iter_nodes(part, nodes):
            try:
                status, hdrs, data = self.request(node, method, path_fn(node), headers)
            except Exception as exc:
                self.error(node, exc)
                continue
            if status == 507 or status >= 500:
                self.error(node, f'status {status}')
                continue
            if status == 404:
                best = (status, hdrs, data)
                continue
            return status, hdrs, data
        return best


def best_status(statuses, n):
    """Swift's choice: the status class a quorum of the n replicas agree on."""
    q = quorum(n)
    for lo in (200, 300, 400):
        hits = [s for s in statuses if lo <= s < lo + 100]
        if len(hits) >= q:
            return max(set(hits), key=hits.count)
    return 503
