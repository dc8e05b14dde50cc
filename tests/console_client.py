"""A tiny websocket client of the console proxy for the tests (over
iaas.console.websocket): open a console URL, read until a pattern shows
up (with a deadline, never a sleep), type."""
import re
import socket
import time
from urllib.parse import urlsplit

from iaas.console import websocket as ws


class Console:
    def __init__(self, url, origin=None, protocols=('binary',), timeout=10):
        u = urlsplit(url)
        self.sock = socket.create_connection((u.hostname, u.port or 80), timeout)
        path = u.path or '/'
        if u.query:
            path += '?' + u.query
        try:
            self.conn, self.protocol = ws.client_handshake(
                self.sock, u.netloc, path, origin=origin, protocols=protocols)
        except BaseException:
            self.sock.close()
            raise
        self.seen = b''

    def type(self, data):
        self.conn.send(data.encode() if isinstance(data, str) else data, ws.BINARY)

    def expect(self, pattern, timeout=15):
        """Read until ``pattern`` (bytes regex) is in what was received; the match."""
        rx = re.compile(pattern)
        end = time.monotonic() + timeout
        while True:
            m = rx.search(self.seen)
            if m:
                return m
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f'{pattern!r} not seen within {timeout}s; got '
                                     f'{self.seen[-2000:]!r}')
            self.sock.settimeout(min(left, 1.0))
            try:
                msg = self.conn.recv()
            except TimeoutError:
                continue
            if msg is None:
                raise AssertionError(f'console closed before {pattern!r}; got '
                                     f'{self.seen[-2000:]!r}')
            self.seen += msg[1]

    def echo_times(self, count, clear=None, clear_every=40):
        """Seconds from sending one byte to seeing it come back, for
        ``count`` keystrokes (a-z in turn), and the answers that held more
        than that byte. ``clear``: bytes sent every ``clear_every`` keys (a
        guest shell's ^U, so its line does not grow), their echo read away."""
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.settimeout(10)
        times, odd = [], []
        for i in range(count):
            if clear and i and i % clear_every == 0:
                self.type(clear)
                self.drain()
            key = bytes([ord('a') + i % 26])
            t0 = time.perf_counter()
            self.conn.send(key, ws.BINARY)
            got = b''
            while key not in got:
                msg = self.conn.recv()
                if msg is None:
                    raise AssertionError('console closed')
                got += msg[1]
            times.append(time.perf_counter() - t0)
            if got != key:
                odd.append(got)
        if clear:
            self.type(clear)
        return times, odd

    def drain(self, quiet=0.2):
        """Read away whatever arrives until ``quiet`` seconds pass without any."""
        self.sock.settimeout(quiet)
        try:
            while self.conn.recv() is not None:
                pass
        except (socket.timeout, TimeoutError):
            pass
        self.sock.settimeout(10)

    def close(self):
        self.conn.close()
        self.conn.shutdown()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def refusal(url, origin=None):
    """The HTTP status the proxy refuses ``url`` with (0: it accepted)."""
    try:
        Console(url, origin=origin).close()
    except ws.HandshakeError as exc:
        return exc.status
    return 0
