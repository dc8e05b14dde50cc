"""Updates a storage node sends on behalf of a request, without blocking it
when the other node is away:

* listing rows (object server → container server); when the container
  node does not answer the row goes to ``<device>/async_pending`` and
  :meth:`Updates.sweep_async` sends it later;
* container totals (container server → account servers), sent by a
  background thread for containers marked dirty, and for every container
  whose last report differs on a replication pass;
* expiring objects: ``<device>/expiring/<delete_at>-<hash>.json`` entries
  that :meth:`Updates.expire_due` turns into tombstones.
"""
import concurrent.futures
import json
import logging
import os
import threading
import time
import uuid

from iaas.objectstore import client
from iaas.objectstore.storage import db, diskfile
from iaas.objectstore.utils import mkdirs, normalize_timestamp

LOG = logging.getLogger(__name__)
EXECUTOR = concurrent.futures.ThreadPoolExecutor(16, thread_name_prefix='objstore-upd')


def quorum(n):
    return n // 2 + 1


class Updates:
    def __init__(self, server):
        self.server = server
        self._dirty = set()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread = None
        self._stop = threading.Event()

    # --- listing rows ----------------------------------------------------------
    def container_update(self, req, dev, part, a, c, o, ts, op, meta):
        host = req.headers.get('X-Container-Host')
        if not host:
            return
        ip, _, port = host.rpartition(':')
        item = {'op': op, 'a': a, 'c': c, 'o': o, 'ts': ts,
                'size': int(meta.get('X-Object-Sysmeta-Container-Update-Override-Size')
                            or meta.get('Content-Length', 0)),
                'ct': meta.get('Content-Type', ''),
                'etag': meta.get('X-Object-Sysmeta-Container-Update-Override-Etag')
                or meta.get('ETag', ''),
                'ip': ip, 'port': int(port), 'dev': req.headers['X-Container-Device'],
                'part': int(req.headers['X-Container-Partition'])}
        if not self.send_listing(item):
            self.write_async(dev, item)

    def send_listing(self, item):
        server = self.server
        if server.addr == (item['ip'], item['port']):
            meta = {'Content-Length': item['size'], 'Content-Type': item['ct'],
                    'ETag': item['etag']}
            return server.put_listing_local(item['dev'], item['part'], item['a'],
                                            item['c'], item['o'], item['ts'], item['op'],
                                            meta)
        path = f"/cont/{item['dev']}/{item['part']}/{item['a']}/{item['c']}/{item['o']}"
        headers = {'X-Timestamp': item['ts'], 'X-Size': str(item['size']),
                   'X-Content-Type': item['ct'], 'X-Etag': item['etag']}
        try:
            status, _, _ = client.request({'ip': item['ip'], 'port': item['port']},
                                          item['op'], path, headers, timeout=1)
        except Exception as exc:
            LOG.info('listing update to %s:%s failed: %s', item['ip'], item['port'], exc)
            return False
        return 200 <= status < 300

    def write_async(self, dev, item):
        d = os.path.join(self.server.devices, dev, 'async_pending')
        mkdirs(d)
        path = os.path.join(d, f"{item['ts']}-{uuid.uuid4().hex}.json")
        with open(path + '.tmp', 'w') as f:
            json.dump(item, f)
        os.replace(path + '.tmp', path)

    def sweep_async(self):
        """Send pending listing rows; return (sent, left)."""
        sent = left = 0
        for dev in _listdir(self.server.devices):
            d = os.path.join(self.server.devices, dev, 'async_pending')
            for name in sorted(_listdir(d)):
                if not name.endswith('.json'):
                    continue
                path = os.path.join(d, name)
                try:
                    with open(path) as f:
                        item = json.load(f)
                except (OSError, ValueError):
                    continue
                if self.send_listing(item):
                    os.unlink(path)
                    sent += 1
                else:
                    left += 1
        return sent, left

    # --- container totals → accounts --------------------------------------------
    def container_changed(self, path, now=False):
        if now and self.report(path):
            return
        with self._lock:
            self._dirty.add(path)
        self._ensure_thread()
        self._wake.set()

    def _ensure_thread(self):
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._loop, daemon=True,
                                                    name='objstore-account-reports')
                    self._thread.start()

    def _loop(self):
        while not self._stop.is_set():
            self._wake.wait(5)
            self._wake.clear()
            time.sleep(0.2)      # let a burst of updates coalesce
            with self._lock:
                dirty, self._dirty = self._dirty, set()
            failed = {p for p in dirty if not self.report(p)}
            if failed:
                with self._lock:
                    self._dirty |= failed
                self._stop.wait(1)

    def stop(self):
        self._stop.set()
        self._wake.set()

    def report(self, path):
        """Send one container's totals to its account's nodes; True when done."""
        ring = self.server.ring
        if ring is None:
            return True
        broker = db.ContainerBroker(path)
        try:
            info = broker.get_info()
        except db.DatabaseNotFound:
            return True
        key = broker.report_key(info)
        if info['reported'] == key:
            return True
        part, nodes = ring.get_nodes(info['account'])
        headers = {'X-Put-Timestamp': info['put_timestamp'],
                   'X-Delete-Timestamp': info['delete_timestamp'],
                   'X-Object-Count': str(info['object_count']),
                   'X-Bytes-Used': str(info['bytes_used']),
                   'X-Timestamp': normalize_timestamp()}
        apath = f"/acct/{{dev}}/{part}/{info['account']}/{info['container']}"

        def send(node):
            try:
                status, _, _ = client.request(node, 'PUT', apath.format(dev=node['device']),
                                              headers, timeout=1)
                return 200 <= status < 300
            except Exception:
                return False
        ok = sum(EXECUTOR.map(send, nodes))
        if ok >= quorum(len(nodes)):
            broker.set_reported(key)
            return True
        return False

    def report_all(self):
        """Replication pass: every local container whose totals were not sent."""
        n = 0
        for dev in _listdir(self.server.devices):
            root = os.path.join(self.server.devices, dev, 'containers')
            for path in _walk_dbs(root):
                if self.report(path):
                    n += 1
        return n

    # --- expiring objects ---------------------------------------------------------
    def expiring_add(self, dev, part, a, c, o, delete_at, req):
        d = os.path.join(self.server.devices, dev, 'expiring')
        mkdirs(d)
        h = self.server._hash(a, c, o)
        item = {'part': part, 'a': a, 'c': c, 'o': o, 'delete_at': str(int(delete_at)),
                'ip': None}
        host = req.headers.get('X-Container-Host')
        if host:
            ip, _, port = host.rpartition(':')
            item.update(ip=ip, port=int(port), dev=req.headers['X-Container-Device'],
                        cpart=int(req.headers['X-Container-Partition']))
        path = os.path.join(d, f'{int(delete_at):012d}-{h}.json')
        with open(path + '.tmp', 'w') as f:
            json.dump(item, f)
        os.replace(path + '.tmp', path)

    def expire_due(self, now=None):
        """Delete this node's replicas of objects whose X-Delete-At passed."""
        now = time.time() if now is None else now
        expired = 0
        for dev in _listdir(self.server.devices):
            d = os.path.join(self.server.devices, dev, 'expiring')
            for name in sorted(_listdir(d)):
                if not name.endswith('.json'):
                    continue
                if int(name.split('-', 1)[0]) > now:
                    break
                path = os.path.join(d, name)
                try:
                    with open(path) as f:
                        item = json.load(f)
                except (OSError, ValueError):
                    os.unlink(path)
                    continue
                if self._expire(dev, item):
                    expired += 1
                os.unlink(path)
        return expired

    def _expire(self, dev, item):
        a, c, o = item['a'], item['c'], item['o']
        df = diskfile.DiskFile(os.path.join(self.server.devices, dev), item['part'],
                               self.server._hash(a, c, o), self.server.fsync)
        try:
            reader = df.open()
        except diskfile.NotFound:
            return False
        reader.close()
        if str(reader.meta.get('X-Delete-At')) != item['delete_at']:
            return False     # overwritten or changed since
        ts = normalize_timestamp(max(float(item['delete_at']),
                                     float(reader.meta['X-Timestamp']) + 0.00001))
        df.write_tombstone(ts, f'/{a}/{c}/{o}')
        if item.get('ip'):
            row = {'op': 'DELETE', 'a': a, 'c': c, 'o': o, 'ts': ts, 'size': 0, 'ct': '',
                   'etag': '', 'ip': item['ip'], 'port': item['port'], 'dev': item['dev'],
                   'part': item['cpart']}
            if not self.send_listing(row):
                self.write_async(dev, row)
        return True


def _listdir(path):
    try:
        return os.listdir(path)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _walk_dbs(root):
    for part in _listdir(root):
        for suffix in _listdir(os.path.join(root, part)):
            for h in _listdir(os.path.join(root, part, suffix)):
                path = os.path.join(root, part, suffix, h, h + '.db')
                if os.path.exists(path):
                    yield path
