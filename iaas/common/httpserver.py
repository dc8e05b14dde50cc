"""The HTTP/1.1 server under every API: one selector thread per port reads
request heads (and bodies up to ``prebuffer`` bytes) from every connection
without holding a worker, then hands complete requests to a pool of worker
threads that run the WSGI application.

A client that trickles its head or a small body only costs a file
descriptor and a buffer until ``header_timeout`` (head) or the minimum
rate (body) cuts it off; it never occupies a request thread. Streamed
bodies (image and object uploads) and responses are read and written by
the worker under the same minimum rate (iaas.common.httpbody). Connections
are capped per source address and in total. ``stop()`` refuses new
connections and lets in-flight requests finish.
"""
import collections
import dataclasses
import errno
import logging
import queue
import resource
import selectors
import socket
import threading
import time

from iaas.common import httpbody, httpgateway
from iaas.common.httpparse import (
    ChunkedDecoder,
    HTTPError,
    error_response,
    head_too_large,
    parse_head,
)

LOG = logging.getLogger(__name__)

HEAD, BODY, CHUNKED, BUSY, DRAIN = 'head', 'body', 'chunked', 'busy', 'drain'
SWEEP_INTERVAL = 0.1
# A chunked body (size unknown) is read ahead only this far: a JSON body of
# a chunking client is usually complete by then, and an upload's handler
# starts while the client still sends.
CHUNKED_PREBUFFER = 1 << 16
_LISTENER, _WAKE = object(), object()


@dataclasses.dataclass
class Limits:
    """Time and size limits of a server (defaults: [api] options)."""
    header_timeout: float = 10.0         # whole request head, from its first byte
    keepalive_timeout: float = 60.0      # idle connection between requests
    client_timeout: float = 60.0         # longest single wait on a client's socket
    min_rate: int = 1024                 # bytes/s a body or response must move …
    rate_window: float = 10.0            # … per this many seconds of waiting
    max_request_line: int = 16384
    max_header_size: int = 65536
    max_headers: int = 256               # Swift lets 90 metadata items + the rest through
    prebuffer: int = 1 << 20             # bodies up to this size are read before dispatch
    max_connections: int = 2048          # per port; 0: no cap
    max_connections_per_source: int = 128    # per port and client address; 0: no cap
    shutdown_timeout: float = 15.0       # stop(): how long in-flight requests may run

    @classmethod
    def from_conf(cls, conf):
        api = conf.api
        return cls(header_timeout=api.header_timeout, keepalive_timeout=api.keepalive_timeout,
                   client_timeout=api.client_timeout, min_rate=api.min_transfer_rate,
                   rate_window=api.transfer_rate_window,
                   max_header_size=api.max_header_size,
                   max_request_line=min(api.max_header_size, 16384),
                   prebuffer=api.max_request_body_size,
                   max_connections=api.max_connections,
                   max_connections_per_source=api.max_connections_per_source,
                   shutdown_timeout=api.shutdown_timeout)

    def guard(self):
        return httpbody.RateGuard(self.client_timeout, self.min_rate, self.rate_window)


class Conn:
    __slots__ = ('sock', 'addr', 'buf', 'state', 'deadline', 'idle', 'head', 'decoder',
                 'body', 'body_len', 'progress', 'registered', 'scanned')

    def __init__(self, sock, addr, deadline):
        self.sock, self.addr = sock, addr
        self.buf = bytearray()
        self.state = HEAD
        self.deadline = deadline
        self.idle = False           # between requests on a kept-alive connection
        self.head = self.decoder = None
        self.body = []
        self.body_len = self.progress = 0
        self.registered = False
        self.scanned = 0            # bytes of ``buf`` already searched for the head's end


_raised_nofile = []


def raise_nofile_limit(want=65536):
    """Let the process hold as many sockets as the hard limit allows."""
    if _raised_nofile:
        return
    _raised_nofile.append(True)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = want if hard == resource.RLIM_INFINITY else min(want, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        except (ValueError, OSError):
            pass


class HTTPServer:
    def __init__(self, app, host, port, name='http', threads=16, limits=None):
        self.app, self.host, self.name = app, host, name
        self.port = port
        self.threads = threads
        self.limits = limits or Limits()
        self.stopping = False
        self._listener = None
        self._sel = None
        self._conns = set()
        self._per_source = collections.Counter()
        self._returned = collections.deque()
        self._work = queue.SimpleQueue()
        self._busy = 0
        self._thread = None
        self._workers = []
        self._stop_deadline = None
        self._next_sweep = 0.0
        self._accept_paused = None
        self._last_reject_log = 0.0

    # --- life cycle ----------------------------------------------------------
    def bind(self):
        family, stype, proto, _, addr = socket.getaddrinfo(
            self.host, self.port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)[0]
        sock = socket.socket(family, stype, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(addr)
            sock.listen(1024)
        except OSError:
            sock.close()
            raise
        sock.setblocking(False)
        self._listener = sock
        self.port = sock.getsockname()[1]

    @property
    def bind_addr(self):
        return self._listener.getsockname()[:2]

    def start(self):
        if self._listener is None:
            self.bind()
        raise_nofile_limit()
        self._sel = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._sel.register(self._listener, selectors.EVENT_READ, _LISTENER)
        self._sel.register(self._wake_r, selectors.EVENT_READ, _WAKE)
        for i in range(self.threads):
            t = threading.Thread(target=self._worker, daemon=True,
                                 name=f'{self.name}-worker-{i}')
            t.start()
            self._workers.append(t)
        self._thread = threading.Thread(target=self._run, daemon=True, name=f'{self.name}-io')
        self._thread.start()

    def stop(self, timeout=None):
        """Refuse new connections, let in-flight requests finish (at most
        ``timeout`` s, default ``shutdown_timeout``), close everything."""
        if self._thread is None:
            if self._listener is not None:
                self._listener.close()
            return
        timeout = self.limits.shutdown_timeout if timeout is None else timeout
        self._stop_deadline = time.monotonic() + timeout
        self.stopping = True
        self._wake()
        self._thread.join(timeout + 5)
        for _ in self._workers:
            self._work.put(None)
        for t in self._workers:
            t.join(1)
        self._thread = None

    def _wake(self):
        try:
            self._wake_w.send(b'\0')
        except OSError:
            pass

    # --- the selector thread ---------------------------------------------------
    def _run(self):
        try:
            while True:
                # Idle (no connection, accepting), nothing has a deadline:
                # sleep until a client or _wake() comes, not SWEEP_INTERVAL.
                idle = not (self._conns or self._accept_paused or self.stopping)
                events = self._sel.select(None if idle else SWEEP_INTERVAL)
                self._take_returns()    # kept-alive connections count as idle before accepting
                for key, _ in events:
                    if key.data is _LISTENER:
                        self._accept()
                    elif key.data is _WAKE:
                        self._drain_wake()
                    else:
                        self._readable(key.data)
                self._take_returns()
                now = time.monotonic()
                if now >= self._next_sweep:
                    self._next_sweep = now + SWEEP_INTERVAL
                    self._sweep(now)
                if self.stopping and self._stop_step(now):
                    break
        except Exception:
            LOG.exception('%s: HTTP server loop failed', self.name)
        finally:
            for conn in list(self._conns):
                self._close(conn)
            for s in (self._listener, self._wake_r, self._wake_w):
                s.close()
            self._sel.close()

    def _stop_step(self, now):
        if self._listener.fileno() >= 0:
            if self._accept_paused is None:
                self._sel.unregister(self._listener)
            self._listener.close()
            for conn in list(self._conns):
                if conn.state != BUSY:
                    self._close(conn)
        if self._busy == 0:
            return True
        if now >= self._stop_deadline:
            LOG.warning('%s: %d requests still running at shutdown', self.name, self._busy)
            for conn in self._conns:
                try:
                    conn.sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            return True
        return False

    def _drain_wake(self):
        try:
            while self._wake_r.recv(4096):
                pass
        except BlockingIOError:
            pass

    def _accept(self):
        lim = self.limits
        for _ in range(64):
            try:
                sock, addr = self._listener.accept()
            except BlockingIOError:
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    LOG.warning('%s: cannot accept connections: %s', self.name, exc)
                    self._sel.unregister(self._listener)
                    self._accept_paused = time.monotonic() + 0.5
                    return
                continue
            source = addr[0]
            if (lim.max_connections and len(self._conns) >= lim.max_connections
                    and not self._evict_idle(None)):
                self._reject(sock, 503, 'Too many connections; try again later.', source)
            elif (lim.max_connections_per_source
                    and self._per_source[source] >= lim.max_connections_per_source
                    and not self._evict_idle(source)):
                self._reject(sock, 429, 'Too many connections from your address.', source)
            else:
                sock.setblocking(False)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                conn = Conn(sock, addr, time.monotonic() + lim.header_timeout)
                self._conns.add(conn)
                self._per_source[source] += 1
                self._register(conn)

    def _evict_idle(self, source):
        """At a connection cap: close the kept-alive connection (of
        ``source``, or any) idle longest, so a client's idle pool never
        locks it out; False when none is idle."""
        idle = [c for c in self._conns
                if c.idle and not c.buf and (source is None or c.addr[0] == source)]
        if not idle:
            return False
        self._close(min(idle, key=lambda c: c.deadline))
        return True

    def _reject(self, sock, status, message, source):
        now = time.monotonic()
        if now - self._last_reject_log > 10:
            self._last_reject_log = now
            LOG.warning('%s: refusing a connection from %s (%d)', self.name, source, status)
        try:
            sock.setblocking(False)
            sock.send(error_response(status, message, ('Retry-After: 1',)))
        except OSError:
            pass
        sock.close()

    def _register(self, conn):
        self._sel.register(conn.sock, selectors.EVENT_READ, conn)
        conn.registered = True

    def _close(self, conn):
        if conn not in self._conns:
            return
        self._conns.discard(conn)
        self._per_source[conn.addr[0]] -= 1
        if self._per_source[conn.addr[0]] <= 0:
            del self._per_source[conn.addr[0]]
        if conn.registered:
            self._sel.unregister(conn.sock)
            conn.registered = False
        conn.sock.close()

    def _linger(self, conn):
        """Close after a response: stop sending, but read (and drop) what
        the client still sends for a moment, so that the kernel does not
        reset the connection before the client has read the response."""
        try:
            conn.sock.setblocking(False)
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn)
            return
        if self.stopping:
            self._close(conn)
            return
        conn.state, conn.buf, conn.idle = DRAIN, bytearray(), False
        conn.deadline = time.monotonic() + 2
        self._register(conn)

    def _fail(self, conn, status, message):
        """Answer ``status`` and close (after reading what the client still sends)."""
        if status >= 500:
            LOG.warning('%s: %d for %s: %s', self.name, status, conn.addr[0], message)
        try:
            conn.sock.send(error_response(status, message))
            conn.sock.shutdown(socket.SHUT_WR)
        except OSError:
            self._close(conn)
            return
        conn.state = DRAIN
        conn.buf = bytearray()
        conn.deadline = time.monotonic() + 2

    def _readable(self, conn):
        try:
            data = conn.sock.recv(1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b''
        if not data:
            self._close(conn)
            return
        if conn.state == DRAIN:
            return
        conn.buf += data
        if conn.state in (BODY, CHUNKED):
            conn.progress += len(data)
            if not self.limits.min_rate:
                conn.deadline = time.monotonic() + self.limits.client_timeout
        self._advance(conn)

    def _advance(self, conn):
        try:
            if conn.state == HEAD and not self._read_head(conn):
                return
            if conn.state == BODY:
                n = conn.head.length
                if len(conn.buf) >= n:
                    body = bytes(conn.buf[:n])
                    del conn.buf[:n]
                    self._dispatch(conn, body)
            elif conn.state == CHUNKED:
                self._read_chunked(conn)
        except HTTPError as exc:
            self._fail(conn, exc.status, exc.message)

    def _read_head(self, conn):
        lim, buf = self.limits, conn.buf
        while buf[:2] == b'\r\n':
            del buf[:2]
        if not buf:
            return False
        if conn.idle:       # the first byte of a request on a kept-alive connection
            conn.idle = False
            conn.deadline = time.monotonic() + lim.header_timeout
        end = buf.find(b'\r\n\r\n', max(0, conn.scanned - 3))
        if end < 0:
            err = head_too_large(buf, lim.max_request_line, lim.max_header_size, conn.scanned)
            if err:
                raise err
            conn.scanned = len(buf)
            return False
        conn.scanned = 0
        if end > lim.max_header_size:
            raise HTTPError(431, f'Request header block larger than {lim.max_header_size} '
                                 f'bytes')
        head = parse_head(bytes(buf[:end]), lim.max_request_line, lim.max_headers)
        del buf[:end + 4]
        conn.head = head
        if head.chunked:
            conn.state = CHUNKED
            conn.decoder = ChunkedDecoder(max_trailers=lim.max_header_size)
            conn.body, conn.body_len = [], 0
        elif head.length == 0:
            self._dispatch(conn, b'')
            return False
        elif head.length <= lim.prebuffer:
            conn.state = BODY
        else:
            self._dispatch_stream(conn)
            return False
        if head.expect_continue:
            try:
                conn.sock.send(b'HTTP/1.1 100 Continue\r\n\r\n')
            except OSError:
                pass
        conn.progress = len(buf)
        conn.deadline = time.monotonic() + (lim.rate_window if lim.min_rate
                                            else lim.client_timeout)
        return True

    def _read_chunked(self, conn):
        limit = min(self.limits.prebuffer, CHUNKED_PREBUFFER)
        pieces, pos = conn.decoder.decode(conn.buf, 0, limit + 1 - conn.body_len)
        del conn.buf[:pos]
        conn.body += pieces
        conn.body_len += sum(len(p) for p in pieces)
        if conn.decoder.done:
            self._dispatch(conn, b''.join(conn.body))
        elif conn.body_len > limit:
            self._dispatch_stream(conn, decoder=conn.decoder, pending=b''.join(conn.body))

    def _dispatch_stream(self, conn, decoder=None, pending=b''):
        head = conn.head
        body = httpbody.StreamInput(conn.sock, self.limits.guard(),
                                    length=None if head.chunked else head.length,
                                    decoder=decoder, prefix=bytes(conn.buf), pending=pending)
        conn.buf = bytearray()
        self._dispatch(conn, body)

    def _dispatch(self, conn, body):
        conn.state = BUSY
        conn.body, conn.decoder = [], None
        if conn.registered:
            self._sel.unregister(conn.sock)
            conn.registered = False
        self._busy += 1
        self._work.put((conn, conn.head, body))

    def _take_returns(self):
        while self._returned:
            conn, keep = self._returned.popleft()
            self._busy -= 1
            if not keep or self.stopping:
                self._linger(conn)
                continue
            conn.sock.setblocking(False)
            conn.state, conn.head, conn.idle = HEAD, None, True
            conn.deadline = time.monotonic() + self.limits.keepalive_timeout
            self._register(conn)
            if conn.buf:
                self._advance(conn)

    def _sweep(self, now):
        if self._accept_paused and now >= self._accept_paused and not self.stopping:
            self._accept_paused = None
            self._sel.register(self._listener, selectors.EVENT_READ, _LISTENER)
        lim = self.limits
        for conn in [c for c in self._conns if c.state != BUSY and now >= c.deadline]:
            if conn.state == HEAD:
                if conn.idle or not conn.buf:
                    self._close(conn)
                else:
                    self._fail(conn, 408, f'The request head did not arrive within '
                                          f'{lim.header_timeout:g} s')
            elif conn.state == DRAIN:
                self._close(conn)
            elif lim.min_rate and conn.progress >= lim.min_rate * lim.rate_window:
                conn.progress = 0
                conn.deadline = now + lim.rate_window
            else:
                self._fail(conn, 408, 'The request body arrived too slowly')

    # --- worker threads -----------------------------------------------------------
    def _worker(self):
        while True:
            item = self._work.get()
            if item is None:
                return
            conn, head, body = item
            keep = False
            try:
                keep = httpgateway.handle(self, conn, head, body)
                if keep and isinstance(body, httpbody.StreamInput):
                    conn.buf = bytearray(body.leftover())
            except Exception:
                LOG.exception('%s: request failed', self.name)
            self._returned.append((conn, keep))
            self._wake()
