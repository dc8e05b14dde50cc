"""Replication: every storage node pushes what it has to the other holders
of each partition, so replicas heal after a node was away, after a disk
was replaced and after a rebalance (a device that is no longer a primary
for a partition hands it to the primaries, then drops it).

Objects are compared per suffix (a digest of file names per directory of
hashes) and only differing suffixes' files are sent. Listing databases
send the rows written since the last sync with that replica.

Server side (:class:`ReplicationHandler`, under /repl on the storage server):
    GET  /repl/obj/<dev>/<part>[?suffixes=a,b]   suffix digests / their files
    PUT  /repl/obj/<dev>/<part>/<hash>/<file>    one .data/.meta/.ts file
    GET  /repl/db/<kind>/<dev>/<part>/<hash>     {id, hash} of a listing DB
    POST /repl/db/<kind>/<dev>/<part>/<hash>     merge {info, rows}
"""
import json
import logging
import os
import shutil
import time

import webob

from iaas.common import metrics
from iaas.objectstore import client
from iaas.objectstore.storage import db, diskfile

LOG = logging.getLogger(__name__)
DB_KINDS = {'containers': db.ContainerBroker, 'accounts': db.AccountBroker}
BATCH = 1000


def _json(data, status=200):
    return webob.Response(status=status, body=json.dumps(data).encode(),
                          content_type='application/json', charset=None)


class ReplicationHandler:
    def __init__(self, server):
        self.server = server

    def handle(self, req, rest):
        parts = rest.split('/')
        if parts[0] == 'obj' and len(parts) == 3 and req.method == 'GET':
            dpath = self.server.device_path(parts[1])
            part = int(parts[2])
            if req.GET.get('suffixes'):
                return _json({s: diskfile.suffix_files(dpath, part, s)
                              for s in req.GET['suffixes'].split(',')})
            return _json(diskfile.suffix_hashes(dpath, part))
        if parts[0] == 'obj' and len(parts) == 5 and req.method == 'PUT':
            return self._put_file(req, *parts[1:])
        if parts[0] == 'db' and len(parts) == 5 and parts[1] in DB_KINDS:
            kind, dev, part, h = parts[1:]
            path = db.db_path(self.server.device_path(dev), kind, int(part), h)
            broker = DB_KINDS[kind](path)
            if req.method == 'GET':
                if not broker.exists():
                    return _json({}, 404)
                return _json({'id': broker.get_info()['id'], 'hash': broker.content_hash()})
            if req.method == 'POST':
                body = json.loads(req.body)
                info = body['info']
                if not broker.exists():
                    names = {k: info[k] for k in ('account', 'container') if k in info}
                    broker.initialize(info['created_at'], dict(
                        names, put_timestamp=info['put_timestamp']))
                broker.merge_info(info)
                if body.get('rows'):
                    broker.merge_items(body['rows'])
                if kind == 'containers':
                    self.server.updates.container_changed(path)
                return _json({'id': broker.get_info()['id']})
        return webob.Response(status=400)

    def _put_file(self, req, dev, part, name_hash, filename):
        if '/' in filename or not filename.endswith(('.data', '.meta', '.ts')) or \
                len(name_hash) != 32:
            raise ValueError('bad file name')
        df = diskfile.DiskFile(self.server.device_path(dev), int(part), name_hash,
                               self.server.fsync)
        if os.path.exists(os.path.join(df.dir, filename)):
            return webob.Response(status=202)
        writer = df.writer()
        try:
            inp, left = req.environ['wsgi.input'], req.content_length or 0
            while left > 0:
                chunk = inp.read(min(1 << 20, left))
                if not chunk:
                    raise ValueError('short body')
                writer.write_raw(chunk)
                left -= len(chunk)
            writer.commit_file(filename)
        except BaseException:
            writer.abort()
            raise
        if filename.endswith('.data'):
            self._note_expiring(dev, int(part), df, req)
        return webob.Response(status=201)

    def _note_expiring(self, dev, part, df, req):
        try:
            reader = df.open()
        except diskfile.NotFound:
            return
        reader.close()
        meta = reader.meta
        if meta.get('X-Delete-At') and meta.get('name'):
            _, a, c, o = meta['name'].split('/', 3)
            self.server.updates.expiring_add(dev, part, a, c, o, meta['X-Delete-At'], req)


class Replicator:
    """One pass over this node's devices (objects, then listing DBs)."""

    def __init__(self, server, ring, conn_timeout=0.5, timeout=30):
        self.server, self.ring = server, ring
        self.conn_timeout, self.timeout = conn_timeout, timeout
        self.stats = {}

    def local_devices(self):
        ip, port = self.server.addr
        return [d for d in self.ring.local_devices(ip, port)
                if os.path.isdir(os.path.join(self.server.devices, d['device']))]

    def run_once(self):
        self.stats = {'pushed_files': 0, 'suffixes_synced': 0, 'handoffs_removed': 0,
                      'dbs_synced': 0, 'failures': 0}
        for dev in self.local_devices():
            dpath = os.path.join(self.server.devices, dev['device'])
            self.stats['tmp_removed'] = _clean_tmp(os.path.join(dpath, 'tmp'))
            for part in diskfile.list_partitions(dpath):
                try:
                    self.replicate_partition(dev, dpath, part)
                except Exception:
                    self.stats['failures'] += 1
                    LOG.exception('replicating partition %s of %s failed', part, dpath)
            for kind in DB_KINDS:
                for part in diskfile.list_partitions(dpath, kind):
                    try:
                        self.replicate_db_partition(dev, dpath, kind, part)
                    except Exception:
                        self.stats['failures'] += 1
                        LOG.exception('replicating %s partition %s failed', kind, part)
        self.server.updates.sweep_async()
        self.server.updates.report_all()
        LOG.info('replication pass: %s', self.stats)
        metrics.replication_pass(self.stats)
        return self.stats

    def _targets(self, dev, part):
        nodes = self.ring.get_part_nodes(part)
        primary = any(n['id'] == dev['id'] for n in nodes)
        return primary, [n for n in nodes if n['id'] != dev['id']]

    def _req(self, node, method, path, body=b'', headers=None):
        return client.request(node, method, path, headers, body, self.conn_timeout,
                              self.timeout)

    # --- objects -----------------------------------------------------------------
    def replicate_partition(self, dev, dpath, part):
        primary, targets = self._targets(dev, part)
        local = diskfile.suffix_hashes(dpath, part)
        ok = 0
        for node in targets:
            try:
                self._sync_objects(node, dpath, part, local)
                ok += 1
            except Exception as exc:
                self.stats['failures'] += 1
                LOG.info('object replication of %s/%s to %s:%s/%s failed: %s', dev['device'],
                         part, node['ip'], node['port'], node['device'], exc)
        if not primary and ok == len(targets):
            shutil.rmtree(os.path.join(dpath, 'objects', str(part)), ignore_errors=True)
            self.stats['handoffs_removed'] += 1

    def _sync_objects(self, node, dpath, part, local):
        if not local:
            return
        status, _, body = self._req(node, 'GET', f"/repl/obj/{node['device']}/{part}")
        if status != 200:
            raise client.NodeError(f'hashes: {status}')
        remote = json.loads(body)
        diff = [s for s, h in local.items() if remote.get(s) != h]
        if not diff:
            return
        self.stats['suffixes_synced'] += len(diff)
        status, _, body = self._req(
            node, 'GET', f"/repl/obj/{node['device']}/{part}\x00suffixes={','.join(diff)}")
        if status != 200:
            raise client.NodeError(f'suffix files: {status}')
        remote_files = json.loads(body)
        for suffix in diff:
            theirs = remote_files.get(suffix, {})
            for h, files in diskfile.suffix_files(dpath, part, suffix).items():
                have = theirs.get(h, [])
                newest_theirs = max((f.rpartition('.')[0] for f in have), default='')
                for f in files:
                    if f in have or f.rpartition('.')[0] < newest_theirs and \
                            not f.endswith('.meta'):
                        continue
                    self._push_file(node, dpath, part, suffix, h, f)

    def _push_file(self, node, dpath, part, suffix, h, filename):
        path = os.path.join(dpath, 'objects', str(part), suffix, h, filename)
        try:
            f = open(path, 'rb')
        except FileNotFoundError:
            return
        with f:
            size = os.fstat(f.fileno()).st_size
            bc = client.connect(node, 'PUT', f"/repl/obj/{node['device']}/{part}/{h}/"
                                    f'{filename}', {'Content-Length': str(size),
                                                    'X-Backend-Replication': 'yes'},
                                    self.conn_timeout, self.timeout)
            try:
                while True:
                    chunk = f.read(1 << 20)
                    if not chunk:
                        break
                    bc.send(chunk)
                resp = bc.getresponse()
                bc.read_all()
            except BaseException:
                bc.close()
                raise
        if resp.status not in (201, 202):
            raise client.NodeError(f'push {filename}: {resp.status}')
        self.stats['pushed_files'] += 1

    # --- listing databases ----------------------------------------------------------
    def replicate_db_partition(self, dev, dpath, kind, part):
        primary, targets = self._targets(dev, part)
        pdir = os.path.join(dpath, kind, str(part))
        all_ok = True
        for suffix in _listdir(pdir):
            for h in _listdir(os.path.join(pdir, suffix)):
                path = os.path.join(pdir, suffix, h, h + '.db')
                if not os.path.exists(path):
                    continue
                broker = DB_KINDS[kind](path)
                for node in targets:
                    try:
                        self._sync_db(node, kind, part, h, broker)
                    except Exception as exc:
                        all_ok = False
                        self.stats['failures'] += 1
                        LOG.info('%s replication to %s:%s failed: %s', kind, node['ip'],
                                 node['port'], exc)
        if not primary and all_ok:
            shutil.rmtree(pdir, ignore_errors=True)
            self.stats['handoffs_removed'] += 1

    def _sync_db(self, node, kind, part, h, broker):
        path = f"/repl/db/{kind}/{node['device']}/{part}/{h}"
        status, _, body = self._req(node, 'GET', path)
        if status == 200:
            remote = json.loads(body)
            if remote['hash'] == broker.content_hash():
                return
            point = broker.sync_point(remote['id'])
        elif status == 404:
            remote, point = None, -1
        else:
            raise client.NodeError(f'db info: {status}')
        info = broker.get_info()
        while True:
            rows = broker.rows_since(point, BATCH)
            status, _, body = self._req(node, 'POST', path,
                                        {'info': info, 'rows': [
                                            {k: v for k, v in r.items() if k != 'ROWID'}
                                            for r in rows]})
            if status != 200:
                raise client.NodeError(f'db merge: {status}')
            remote_id = json.loads(body)['id']
            if rows:
                point = rows[-1]['ROWID']
                broker.set_sync_point(remote_id, point)
            if len(rows) < BATCH:
                break
        self.stats['dbs_synced'] += 1


def _listdir(path):
    try:
        return os.listdir(path)
    except (FileNotFoundError, NotADirectoryError):
        return []


def _clean_tmp(tmp, age=3600):
    """Remove temp files of uploads that died with their process."""
    removed = 0
    cutoff = time.time() - age
    for name in _listdir(tmp):
        path = os.path.join(tmp, name)
        try:
            if os.stat(path).st_mtime < cutoff:
                os.unlink(path)
                removed += 1
        except OSError:
            pass
    return removed
