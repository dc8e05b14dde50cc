"""Container and account listings: one small SQLite file each.

    <device>/containers/<part>/<suffix>/<hash>/<hash>.db   rows: objects
    <device>/accounts/<part>/<suffix>/<hash>/<hash>.db     rows: containers

Updates (an object written, a container's totals) are appended to
``<db>.pending`` (one JSON line each, cheap, never blocking on SQLite) and
merged in one transaction before the next read. Rows carry timestamps and
a deleted flag, so replicas merge in any order and converge.
"""
import fcntl
import hashlib
import json
import os
import sqlite3
import uuid

from iaas.objectstore.utils import in_dir, normalize_timestamp

PENDING_MAX = 128 * 1024


class DatabaseNotFound(Exception):
    pass


def db_path(device_path, kind, part, name_hash):
    return os.path.join(device_path, kind, str(part), name_hash[-3:], name_hash,
                        name_hash + '.db')


class Broker:
    kind = None          # 'containers' | 'accounts'
    table = None
    columns = ()
    schema = ''

    def __init__(self, path):
        self.path = path
        self.pending = path + '.pending'

    def exists(self):
        return os.path.exists(self.path)

    def _connect(self):
        if not os.path.exists(self.path):
            raise DatabaseNotFound(self.path)
        conn = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        conn.execute('PRAGMA synchronous = NORMAL')
        return conn

    def initialize(self, timestamp, info):
        """Create the file (atomically) if missing; return True when created."""
        if os.path.exists(self.path):
            return False
        tmp = f'{self.path}.{uuid.uuid4().hex}.tmp'
        conn = _create(tmp)
        try:
            conn.executescript(self.schema)
            cols = dict(info, id=uuid.uuid4().hex, created_at=timestamp,
                        put_timestamp=info.get('put_timestamp', '0'),
                        delete_timestamp='0', metadata='{}')
            conn.execute(f'INSERT INTO info ({", ".join(cols)}) VALUES '
                         f'({", ".join("?" * len(cols))})', list(cols.values()))
        finally:
            conn.close()
        try:
            os.link(tmp, self.path)   # fails if another request created it first
            created = True
        except FileExistsError:
            created = False
        os.unlink(tmp)
        return created

    # --- pending updates ------------------------------------------------
    def put_pending(self, item):
        line = (json.dumps(item) + '\n').encode()
        with open(self.pending, 'ab') as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            f.write(line)
            size = f.tell()
        if size > PENDING_MAX:
            self.merge_pending()

    def merge_pending(self):
        if not os.path.exists(self.pending):
            return
        with open(self.pending, 'r+b') as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            lines = f.read().splitlines()
            if not lines:
                return
            items = []
            for line in lines:
                try:
                    items.append(json.loads(line))
                except ValueError:
                    continue
            self.merge_items(items)
            f.seek(0)
            f.truncate()

    # --- rows -------------------------------------------------------------
    def merge_items(self, items, conn=None):
        """Insert rows that are newer than what we have, and fix the totals."""
        own = conn is None
        conn = conn or self._connect()
        try:
            if own:
                conn.execute('BEGIN IMMEDIATE')
            for item in items:
                old = conn.execute(f'SELECT {", ".join(self.columns)} FROM {self.table} '
                                   'WHERE name = ?', (item['name'],)).fetchone()
                if old is not None and not self._newer(item, dict(zip(self.columns, old, strict=False))):
                    continue
                if old is not None:
                    self._count(conn, dict(zip(self.columns, old, strict=False)), -1)
                    conn.execute(f'DELETE FROM {self.table} WHERE name = ?', (item['name'],))
                row = [item.get(c, 0 if c in ('size', 'deleted') else '')
                       for c in self.columns]
                conn.execute(f'INSERT INTO {self.table} ({", ".join(self.columns)}) VALUES '
                             f'({", ".join("?" * len(self.columns))})', row)
                self._count(conn, dict(zip(self.columns, row, strict=False)), 1)
            if own:
                conn.execute('COMMIT')
        except BaseException:
            if own:
                conn.execute('ROLLBACK')
            raise
        finally:
            if own:
                conn.close()

    def _newer(self, item, old):
        return item['created_at'] > old['created_at']

    def _count(self, conn, row, sign):
        raise NotImplementedError

    def get_info(self):
        self.merge_pending()
        conn = self._connect()
        try:
            cur = conn.execute('SELECT * FROM info')
            names = [d[0] for d in cur.description]
            info = dict(zip(names, cur.fetchone(), strict=False))
        finally:
            conn.close()
        info['metadata'] = json.loads(info['metadata'] or '{}')
        return info

    def is_deleted(self, info=None):
        info = info or self.get_info()
        return info['delete_timestamp'] > info['put_timestamp']

    def update_put_timestamp(self, timestamp):
        self._exec('UPDATE info SET put_timestamp = ? WHERE put_timestamp < ?',
                   (timestamp, timestamp))

    def update_delete_timestamp(self, timestamp):
        self._exec('UPDATE info SET delete_timestamp = ? WHERE delete_timestamp < ?',
                   (timestamp, timestamp))

    def update_metadata(self, updates):
        """Merge {key: (value, timestamp)}; newer timestamps win, '' deletes."""
        if not updates:
            return
        conn = self._connect()
        try:
            conn.execute('BEGIN IMMEDIATE')
            md = json.loads(conn.execute('SELECT metadata FROM info').fetchone()[0] or '{}')
            for k, (v, ts) in updates.items():
                if k not in md or md[k][1] < ts:
                    md[k] = [v, ts]
            conn.execute('UPDATE info SET metadata = ?', (json.dumps(md),))
            conn.execute('COMMIT')
        finally:
            conn.close()

    def _exec(self, sql, args=()):
        conn = self._connect()
        try:
            conn.execute(sql, args)
        finally:
            conn.close()

    # --- replication ---------------------------------------------------------
    def rows_since(self, row_id, limit=10000):
        self.merge_pending()
        conn = self._connect()
        try:
            cur = conn.execute(f'SELECT ROWID, {", ".join(self.columns)} FROM {self.table} '
                               'WHERE ROWID > ? ORDER BY ROWID LIMIT ?', (row_id, limit))
            return [dict(zip(('ROWID',) + tuple(self.columns), r, strict=False)) for r in cur]
        finally:
            conn.close()

    def sync_point(self, remote_id):
        conn = self._connect()
        try:
            r = conn.execute('SELECT sync_point FROM sync WHERE remote_id = ?',
                             (remote_id,)).fetchone()
            return r[0] if r else -1
        finally:
            conn.close()

    def set_sync_point(self, remote_id, point):
        self._exec('INSERT OR REPLACE INTO sync (remote_id, sync_point) VALUES (?, ?)',
                   (remote_id, point))

    def merge_info(self, info):
        """Replication: take the newer put/delete timestamps and metadata."""
        self.update_put_timestamp(info['put_timestamp'])
        self.update_delete_timestamp(info['delete_timestamp'])
        self.update_metadata({k: tuple(v) for k, v in info.get('metadata', {}).items()})

    def content_hash(self):
        """A digest of the rows and info, to tell whether replicas agree."""
        self.merge_pending()
        conn = self._connect()
        try:
            md5 = hashlib.md5()
            for row in conn.execute(f'SELECT name, created_at, deleted FROM {self.table} '
                                    'ORDER BY name'):
                md5.update(repr(row).encode())
            md5.update(repr(conn.execute(
                'SELECT put_timestamp, delete_timestamp, metadata FROM info').fetchone()).encode())
            return md5.hexdigest()
        finally:
            conn.close()

    def list(self, limit, marker='', end_marker='', prefix='', delimiter='', reverse=False,
             path=False):
        """Swift's listing: rows (dicts) and subdirs ({'subdir': …}) in order;
        ``path``: only the rows directly under ``prefix`` (no subdirs)."""
        self.merge_pending()
        conn = self._connect()
        try:
            return self._list(conn, limit, marker, end_marker, prefix, delimiter, reverse,
                              path)
        finally:
            conn.close()

    def _list(self, conn, limit, marker, end_marker, prefix, delimiter, reverse, path=False):
        out = []
        cols = ', '.join(self.columns)
        orig_marker = marker
        if reverse:
            marker, end_marker = end_marker, marker
        while len(out) < limit:
            q, args = f'SELECT {cols} FROM {self.table} WHERE deleted = 0', []
            if marker:
                q += ' AND name > ?'
                args.append(marker)
            if end_marker:
                q += ' AND name < ?'
                args.append(end_marker)
            if prefix:
                q += ' AND name >= ? AND name < ?'
                args += [prefix, prefix[:-1] + chr(ord(prefix[-1]) + 1)]
            q += f' ORDER BY name {"DESC" if reverse else "ASC"} LIMIT ?'
            args.append(limit - len(out))
            rows = conn.execute(q, args).fetchall()
            if not rows:
                break
            stop = False
            for row in rows:
                item = dict(zip(self.columns, row, strict=False))
                name = item['name']
                if path and name == prefix:
                    if reverse:
                        end_marker = name
                    else:
                        marker = name
                    continue
                if delimiter:
                    idx = name.find(delimiter, len(prefix))
                    if path and (idx < 0 or idx + len(delimiter) == len(name)):
                        pass                 # a direct child (or a "dir/" marker)
                    elif path:
                        if reverse:
                            end_marker = name[:idx + 1]
                        else:
                            marker = name[:idx + 1] + '\U0010ffff'
                        stop = True
                        break
                    elif idx >= 0:
                        sub = name[:idx + len(delimiter)]
                        if reverse or sub != orig_marker:
                            out.append({'subdir': sub})
                        if reverse:
                            end_marker = sub
                        else:
                            marker = sub + '\U0010ffff'
                        stop = True
                        break
                out.append(item)
                if reverse:
                    end_marker = name
                else:
                    marker = name
            if not stop and len(rows) < limit:
                break
        return out[:limit]


CONTAINER_SCHEMA = '''
CREATE TABLE objects (name TEXT PRIMARY KEY, created_at TEXT, size INTEGER,
                      content_type TEXT, etag TEXT, deleted INTEGER DEFAULT 0);
CREATE TABLE info (id TEXT, account TEXT, container TEXT, created_at TEXT,
                   put_timestamp TEXT, delete_timestamp TEXT, metadata TEXT,
                   object_count INTEGER DEFAULT 0, bytes_used INTEGER DEFAULT 0,
                   reported TEXT DEFAULT '');
CREATE TABLE sync (remote_id TEXT PRIMARY KEY, sync_point INTEGER);
'''

ACCOUNT_SCHEMA = '''
CREATE TABLE containers (name TEXT PRIMARY KEY, put_timestamp TEXT, delete_timestamp TEXT,
                         object_count INTEGER, bytes_used INTEGER, deleted INTEGER DEFAULT 0,
                         created_at TEXT);
CREATE TABLE info (id TEXT, account TEXT, created_at TEXT, put_timestamp TEXT,
                   delete_timestamp TEXT, metadata TEXT,
                   container_count INTEGER DEFAULT 0, object_count INTEGER DEFAULT 0,
                   bytes_used INTEGER DEFAULT 0);
CREATE TABLE sync (remote_id TEXT PRIMARY KEY, sync_point INTEGER);
'''


class ContainerBroker(Broker):
    kind = 'containers'
    table = 'objects'
    columns = ('name', 'created_at', 'size', 'content_type', 'etag', 'deleted')
    schema = CONTAINER_SCHEMA

    def _count(self, conn, row, sign):
        if not row['deleted']:
            conn.execute('UPDATE info SET object_count = object_count + ?, '
                         'bytes_used = bytes_used + ?', (sign, sign * int(row['size'])))

    def put_object(self, name, timestamp, size, content_type, etag, deleted=0):
        self.put_pending({'name': name, 'created_at': timestamp, 'size': int(size),
                          'content_type': content_type, 'etag': etag,
                          'deleted': int(deleted)})

    def empty(self):
        return self.get_info()['object_count'] == 0

    def report_key(self, info):
        return f"{info['put_timestamp']}|{info['delete_timestamp']}|" \
               f"{info['object_count']}|{info['bytes_used']}"

    def set_reported(self, key):
        self._exec('UPDATE info SET reported = ?', (key,))


class AccountBroker(Broker):
    kind = 'accounts'
    table = 'containers'
    columns = ('name', 'put_timestamp', 'delete_timestamp', 'object_count', 'bytes_used',
               'deleted', 'created_at')
    schema = ACCOUNT_SCHEMA

    def _newer(self, item, old):
        return (item['put_timestamp'], item['delete_timestamp'], item['created_at']) > \
            (old['put_timestamp'], old['delete_timestamp'], old['created_at'])

    def _count(self, conn, row, sign):
        if not row['deleted']:
            conn.execute('UPDATE info SET container_count = container_count + ?, '
                         'object_count = object_count + ?, bytes_used = bytes_used + ?',
                         (sign, sign * int(row['object_count']),
                          sign * int(row['bytes_used'])))

    def put_container(self, name, put_timestamp, delete_timestamp, object_count,
                      bytes_used):
        deleted = 1 if delete_timestamp > put_timestamp else 0
        self.put_pending({'name': name, 'put_timestamp': put_timestamp,
                          'delete_timestamp': delete_timestamp,
                          'object_count': int(object_count), 'bytes_used': int(bytes_used),
                          'deleted': deleted, 'created_at': normalize_timestamp()})



def _create(path):
    """A new SQLite file at ``path``, its directories made (again, when the
    replicator removed one that was empty for a moment)."""
    in_dir(path, lambda: open(path, 'xb').close())     # empty: a valid database
    return sqlite3.connect(path, isolation_level=None)
