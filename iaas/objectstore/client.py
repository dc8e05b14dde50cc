"""HTTP to storage nodes: pooled keep-alive connections, small helpers."""
import http.client
import json
import select
import socket
import threading
import time
import urllib.parse

from iaas.objectstore import local

CHUNK = 1 << 20


class NodeError(Exception):
    pass


class Pool:
    """Idle keep-alive connections per (host, port)."""

    def __init__(self, max_idle=64):
        self._idle = {}
        self._lock = threading.Lock()
        self.max_idle = max_idle

    def get(self, host, port, conn_timeout, timeout):
        while True:
            with self._lock:
                conns = self._idle.get((host, port))
                conn, since = conns.pop() if conns else (None, 0)
            if conn is None:
                break
            if time.monotonic() - since > MAX_IDLE or _dropped(conn.sock):
                conn.close()     # the server closed it (or soon will)
                continue
            conn.sock.settimeout(timeout)
            return conn, True
        conn = http.client.HTTPConnection(host, port, timeout=conn_timeout)
        conn.connect()
        conn.sock.settimeout(timeout)
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, False

    def put(self, host, port, conn):
        with self._lock:
            conns = self._idle.setdefault((host, port), [])
            if len(conns) < self.max_idle:
                conns.append((conn, time.monotonic()))
                return
        conn.close()


POOL = Pool()
MAX_IDLE = 30.0    # seconds; storage servers close idle connections after 60


def _dropped(sock):
    """An idle keep-alive socket that is readable has been closed by the peer."""
    if sock is None:
        return True
    try:
        readable, _, _ = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _idle(sock):
    try:
        readable, _, _ = select.select([sock], [], [], 0.2)
    except (OSError, ValueError):
        return True
    return not readable


QUERY = '\x00'   # separates a path from its (encoded) query; names never hold NUL


def quote_path(path):
    """Quote a path; a query after QUERY (already encoded) is kept as it is."""
    path, q, query = path.partition(QUERY)
    return urllib.parse.quote(path.encode('utf-8', 'surrogateescape'), safe='/') + \
        ('?' + query if q else '')


class BackendConn:
    """One request to a storage node, body sent in pieces."""

    def __init__(self, node, method, path, headers, conn_timeout=0.5, timeout=10,
                 chunked=False, pool=POOL):
        self.node, self.pool = node, pool
        self.host, self.port = node['ip'], node['port']
        self.chunked = chunked
        self.resp = None
        self.failed = False
        for attempt in (0, 1):
            self.conn, reused = pool.get(self.host, self.port, conn_timeout, timeout)
            try:
                self.conn.putrequest(method, quote_path(path), skip_host=False,
                                     skip_accept_encoding=True)
                for k, v in headers.items():
                    self.conn.putheader(k, v)
                if chunked:
                    self.conn.putheader('Transfer-Encoding', 'chunked')
                self.conn.endheaders()
                return
            except (OSError, http.client.HTTPException):
                self.conn.close()
                if not reused or attempt:
                    raise

    def send(self, data):
        if self.chunked:
            self.conn.sock.sendall(b'%x\r\n' % len(data) + data + b'\r\n')
        else:
            self.conn.sock.sendall(data)

    def finish(self):
        if self.chunked:
            self.conn.sock.sendall(b'0\r\n\r\n')

    def answered(self):
        """True when the node has sent something back (e.g. an early 507)."""
        return self.conn.sock is not None and not _idle(self.conn.sock)

    def getresponse(self):
        try:
            self.resp = self.conn.getresponse()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        return self.resp

    def read_all(self):
        try:
            data = self.resp.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            raise
        self.release()
        return data

    def release(self):
        if self.resp is not None and self.resp.isclosed() and not self.resp.will_close:
            self.pool.put(self.host, self.port, self.conn)
        else:
            self.conn.close()

    def close(self):
        self.conn.close()


def connect(node, method, path, headers, conn_timeout=0.5, timeout=10, chunked=False):
    """A BackendConn, or a LocalConn when the node's server is in this process."""
    app = local.lookup(node) if local.LOCAL else None
    if app is not None:
        return local.LocalConn(app, node, method, path, headers, timeout, chunked)
    return BackendConn(node, method, path, headers, conn_timeout, timeout, chunked)


def request(node, method, path, headers=None, body=b'', conn_timeout=0.5, timeout=10,
            pool=POOL):
    """A whole request: (status, headers, body). Raises OSError/HTTPException."""
    headers = dict(headers or {})
    if body is not None and not isinstance(body, (bytes, bytearray)):
        body = json.dumps(body).encode()
        headers.setdefault('Content-Type', 'application/json')
    headers['Content-Length'] = str(len(body or b''))
    bc = connect(node, method, path, headers, conn_timeout, timeout)
    if body:
        bc.send(body)
    resp = bc.getresponse()
    data = bc.read_all()
    return resp.status, resp.headers, data
