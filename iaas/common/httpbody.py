"""Request bodies that stream to the application (image and object
uploads) and the guard that cuts off a client trickling them.

Small bodies never get here: the server reads them whole before a worker
sees the request (iaas.common.httpserver). A streamed body is read from
the socket in the worker thread, each wait bounded by ``timeout`` and, per
window of ``window`` seconds spent waiting, at least ``min_rate`` bytes/s —
so a client that sends one byte every few seconds loses the connection
within one window instead of holding a worker for hours.
"""
import socket
import time

from iaas.common.httpparse import ChunkedDecoder, HTTPError

READ_SIZE = 1 << 16
MAX_RECV = 4 << 20


class TooSlow(TimeoutError):
    """The client sent (or took) data slower than the minimum rate."""


class BodyError(ValueError):
    """The request body breaks HTTP framing (a bad chunk, a cut chunked body)."""

    def __init__(self, message, status=400):
        super().__init__(message)
        self.status = status


class RateGuard:
    """Bounds the time a transfer may wait on the client: each wait at most
    ``timeout`` s; per ``window`` s of waiting at least ``min_rate`` × window
    bytes (``min_rate`` 0: only the per-wait timeout)."""

    def __init__(self, timeout, min_rate, window, clock=time.monotonic):
        self.timeout = timeout
        self.min_rate = min_rate
        self.window = window
        self.clock = clock
        self.waited = 0.0   # seconds waited in the current window
        self.moved = 0      # bytes moved in the current window

    def budget(self):
        """How long the next wait may last."""
        if not self.min_rate:
            return self.timeout
        return max(0.001, min(self.timeout, self.window - self.waited))

    def account(self, waited, nbytes):
        """Record a wait of ``waited`` s that moved ``nbytes``; raises
        TooSlow when a full window moved too little."""
        self.waited += waited
        self.moved += nbytes
        if self.min_rate and self.waited >= self.window:
            if self.moved < self.min_rate * self.window:
                raise TooSlow(f'client moved {self.moved} bytes in {self.waited:.1f} s '
                              f'(minimum {self.min_rate} bytes/s)')
            self.waited, self.moved = 0.0, 0

    def run(self, sock, op, arg):
        """``op(arg)`` (``sock.recv`` or ``sock.send``) under the guard;
        returns its result (b'' from recv: the client closed)."""
        total = 0.0
        while True:
            sock.settimeout(self.budget())
            start = self.clock()
            try:
                result = op(arg)
            except (TimeoutError, socket.timeout):
                result = None
            waited = self.clock() - start
            total += waited
            if result is not None:
                self.account(waited, result if isinstance(result, int) else len(result))
                return result
            self.account(waited, 0)
            if total >= self.timeout:
                raise TooSlow(f'client idle for {total:.0f} s')


class StreamInput:
    """``wsgi.input`` for a body read from the socket while the application
    consumes it: Content-Length (``length``) or chunked (``decoder``), with
    100-continue sent on the first read from the socket (``on_first_read``).
    ``prefix``: bytes the server already read past the head (raw);
    ``pending``: decoded chunked data it already holds.
    """

    def __init__(self, sock, guard, length=None, decoder=None, prefix=b'', pending=b'',
                 on_first_read=None):
        self.sock = sock
        self.guard = guard
        self.chunked = length is None
        self.decoder = (decoder or ChunkedDecoder()) if self.chunked else None
        if self.chunked:
            self.buf, self.raw, self.left = bytearray(pending), bytearray(prefix), 0
        else:
            self.buf, self.raw = bytearray(prefix[:length]), bytearray(prefix[length:])
            self.left = length - len(self.buf)      # still on the socket
        self.on_first_read = on_first_read
        self.error = None           # the BodyError/TooSlow the application saw
        self.eof = False            # the client closed before the end

    @property
    def complete(self):
        """True when the whole body has been read from the socket."""
        return self.decoder.done if self.chunked else self.left == 0

    def leftover(self):
        """Bytes read past the body (a pipelined next request)."""
        return bytes(self.raw)

    def _recv(self, size):
        return self._guarded(self.sock.recv, min(size, MAX_RECV))

    def _guarded(self, op, arg):
        """``sock.recv(n)`` or ``sock.recv_into(buffer)`` under the guard."""
        if self.on_first_read is not None:
            cb, self.on_first_read = self.on_first_read, None
            cb()
        try:
            data = self.guard.run(self.sock, op, arg)
        except (TooSlow, OSError) as exc:
            self.error = exc
            raise
        if not data:
            self.eof = True
        return data

    def _fill(self, want):
        """Add decoded body bytes to ``buf``; False at the end of the body."""
        if not self.chunked:
            if self.left <= 0 or self.eof:
                return False
            data = self._recv(min(max(want, READ_SIZE), self.left))
            self.left -= len(data)
            self.buf += data
            return bool(data)
        while not self.decoder.done:
            try:
                pieces, pos = self.decoder.decode(self.raw, 0, max(want, READ_SIZE))
            except HTTPError as exc:
                self.error = BodyError(exc.message, exc.status)
                raise self.error from None
            del self.raw[:pos]
            if pieces:
                for p in pieces:
                    self.buf += p
                return True
            if self.decoder.done:
                break
            data = self._recv(max(want, READ_SIZE))
            if not data:
                self.error = BodyError('The client closed the connection inside a '
                                       'chunked body')
                raise self.error
            self.raw += data
        return False

    def _take(self, n):
        if n >= len(self.buf):
            out, self.buf = bytes(self.buf), bytearray()
            return out
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read(self, size=-1):
        if size is None or size < 0:
            while self._fill(MAX_RECV):
                pass
            return self._take(len(self.buf))
        if not self.chunked and not self.buf:
            return self._read_direct(size)
        while len(self.buf) < size and self._fill(size - len(self.buf)):
            pass
        return self._take(size)

    def readinto(self, b):
        """Fill ``b`` with the next body bytes; returns how many (fewer
        only at the end of the body). A Content-Length body goes from the
        socket straight into ``b``."""
        view = memoryview(b).cast('B')
        if self.chunked or self.buf:
            data = self.read(len(view))
            view[:len(data)] = data
            return len(data)
        have = 0
        while have < len(view) and self.left > 0 and not self.eof:
            n = self._guarded(self.sock.recv_into,
                              view[have:have + min(len(view) - have, self.left)])
            self.left -= n
            have += n
        return have

    def _read_direct(self, size):
        """read(size) of a Content-Length body straight from the socket:
        no copy when one recv brings it all, one join otherwise."""
        parts, have = [], 0
        while have < size and self.left > 0 and not self.eof:
            data = self._recv(min(size - have, self.left))
            self.left -= len(data)
            if data:
                parts.append(data)
                have += len(data)
        return parts[0] if len(parts) == 1 else b''.join(parts)

    def readline(self, size=-1):
        start = 0
        while True:
            nl = self.buf.find(b'\n', start)
            if nl >= 0:
                end = nl + 1
                break
            if 0 <= size <= len(self.buf):
                end = size
                break
            start = len(self.buf)
            if not self._fill(READ_SIZE):
                end = len(self.buf)
                break
        if 0 <= size < end:
            end = size
        return self._take(end)

    def readlines(self, hint=-1):
        lines, total = [], 0
        for line in self:
            lines.append(line)
            total += len(line)
            if 0 < hint <= total:
                break
        return lines

    def __iter__(self):
        while True:
            line = self.readline()
            if not line:
                return
            yield line
