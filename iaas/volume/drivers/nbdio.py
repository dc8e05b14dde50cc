"""Raw bytes of any image qemu reads: a minimal NBD client over ``qemu-nbd``.

:func:`open_image` starts ``qemu-nbd`` on a private Unix socket for one
image (qcow2 with its backing chain, raw, …) and returns an
:class:`NBDFile`, a seekable binary file over the image's *guest-visible*
bytes; closing it disconnects, and qemu-nbd (not ``--persistent``) exits.
The client speaks the fixed-newstyle handshake with ``NBD_OPT_EXPORT_NAME``
and simple replies (``NBD_CMD_READ``/``WRITE``/``FLUSH``/``DISC``), which
every qemu-nbd serves.
"""
import io
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time

NBDMAGIC = b'NBDMAGIC'
IHAVEOPT = b'IHAVEOPT'
OPT_EXPORT_NAME = 1
FLAG_FIXED_NEWSTYLE = 1
FLAG_NO_ZEROES = 2
REQUEST_MAGIC = 0x25609513
REPLY_MAGIC = 0x67446698
CMD_READ, CMD_WRITE, CMD_DISC, CMD_FLUSH = 0, 1, 2, 3
CHUNK = 4 << 20             # below qemu-nbd's 32 MiB request limit


class NBDError(OSError):
    """The NBD server refused or broke the conversation."""


def _recv_exact(sock, n):
    buf = bytearray(n)
    view, got = memoryview(buf), 0
    while got < n:
        k = sock.recv_into(view[got:], n - got)
        if not k:
            raise NBDError('NBD server closed the connection')
        got += k
    return bytes(buf)


class NBDFile(io.RawIOBase):
    """A connected NBD export as a seekable binary file."""

    def __init__(self, sock, export, writable, on_close=None):
        super().__init__()
        self._sock = sock
        self._writable = writable
        self._on_close = on_close
        self._pos = 0
        self._cookie = 0
        self.size = self._handshake(export)

    def _handshake(self, export):
        s = self._sock
        head = _recv_exact(s, 18)
        if head[:8] != NBDMAGIC or head[8:16] != IHAVEOPT:
            raise NBDError('not a newstyle NBD server')
        (flags,) = struct.unpack('>H', head[16:])
        mine = flags & (FLAG_FIXED_NEWSTYLE | FLAG_NO_ZEROES)
        s.sendall(struct.pack('>I', mine))
        name = export.encode()
        s.sendall(IHAVEOPT + struct.pack('>II', OPT_EXPORT_NAME, len(name)) + name)
        size, _tflags = struct.unpack('>QH', _recv_exact(s, 10))
        if not mine & FLAG_NO_ZEROES:
            _recv_exact(s, 124)
        return size

    def _request(self, cmd, offset=0, length=0, data=b''):
        self._cookie += 1
        self._sock.sendall(struct.pack('>IHHQQI', REQUEST_MAGIC, 0, cmd, self._cookie,
                                       offset, length) + data)
        if cmd == CMD_DISC:
            return b''
        magic, error, cookie = struct.unpack('>IIQ', _recv_exact(self._sock, 16))
        if magic != REPLY_MAGIC or cookie != self._cookie:
            raise NBDError('unexpected NBD reply')
        if error:
            raise NBDError(error, f'NBD command {cmd} failed: {os.strerror(error)}')
        return _recv_exact(self._sock, length) if cmd == CMD_READ else b''

    def readable(self):
        return True

    def writable(self):
        return self._writable

    def seekable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, offset, whence=io.SEEK_SET):
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        if base + offset < 0:
            raise ValueError('negative seek position')
        self._pos = base + offset
        return self._pos

    def readinto(self, b):
        n = max(0, min(len(b), self.size - self._pos, CHUNK))
        if n == 0:
            return 0
        data = self._request(CMD_READ, self._pos, n)
        b[:n] = data
        self._pos += n
        return n

    def write(self, b):
        if not self._writable:
            raise io.UnsupportedOperation('not writable')
        data = bytes(b)
        if self._pos + len(data) > self.size:
            raise NBDError(28, 'write beyond the end of the volume')
        for i in range(0, len(data), CHUNK):
            part = data[i:i + CHUNK]
            self._request(CMD_WRITE, self._pos, len(part), part)
            self._pos += len(part)
        return len(data)

    def flush(self):
        if self._writable and self._sock is not None:
            self._request(CMD_FLUSH)

    def close(self):
        if self.closed:
            return
        try:
            try:
                self.flush()
            finally:
                try:
                    self._request(CMD_DISC)
                except OSError:
                    pass
                self._sock.close()
                self._sock = None
        finally:
            super().close()
            if self._on_close:
                self._on_close()


def open_image(path, fmt, writable=False, timeout=30):
    """An :class:`NBDFile` over ``path`` (format ``fmt``) served by a private
    qemu-nbd (our child: waited for when the file closes); read-only opens
    share an image in use (file locking off)."""
    tmp = tempfile.mkdtemp(prefix='iaas-nbdio-')
    sock_path = os.path.join(tmp, 'sock')
    argv = ['qemu-nbd', '-k', sock_path, '-x', 'v', '--cache=writeback']
    if writable:
        argv += ['-f', fmt, path]
    else:           # qemu-nbd 7.2 has no --force-share: turn the file locking off
        argv += ['-r', '--image-opts', f'driver={fmt},file.driver=file,file.locking=off,'
                 f'file.filename={path.replace(",", ",,")}']
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE)

    def stop():
        try:
            proc.wait(timeout=10)       # it exits when its one client leaves
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        proc.stderr.close()
        shutil.rmtree(tmp, ignore_errors=True)

    try:
        sock = _connect(sock_path, proc, timeout)
        return NBDFile(sock, 'v', writable, on_close=stop)
    except BaseException:
        if proc.poll() is None:
            proc.kill()
        stop()
        raise


def _connect(sock_path, proc, timeout):
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise NBDError(f'qemu-nbd failed ({proc.returncode}): '
                           f'{proc.stderr.read().decode(errors="replace").strip()[:300]}')
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(sock_path)
            return sock
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            if time.monotonic() > deadline:
                raise NBDError('qemu-nbd did not start listening') from None
            time.sleep(0.005)
