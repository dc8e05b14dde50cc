"""The "file" store: one file per image in a directory.

Data goes to a hidden temporary file in the same directory and is renamed
to the image id only once the whole upload was accepted, so a crash or a
refused upload never leaves a file under an image's name, and a reader
never sees a half-written image.

Writes use O_DIRECT where the filesystem allows it (``[image]
filesystem_store_direct_io``): the data goes from one page-aligned 1 MiB
buffer straight to the disk, which spares the CPU the page-cache copy
(a large part of an upload's cost once hashing runs on other cores) and
keeps a large upload from pushing everything else out of the page cache.
Elsewhere (tmpfs, …) buffered writes with early write-back are used.
"""
import contextlib
import mmap
import os
import uuid

from iaas.image.stores import CHUNK, NotFoundInStore, Store, StoreError

WRITEBACK_EVERY = 64 << 20
SYNC_FILE_RANGE_WRITE = 2
ALIGN = 4096


def _libc_sync_file_range():
    try:
        import ctypes
        import ctypes.util
        libc = ctypes.CDLL(ctypes.util.find_library('c') or 'libc.so.6', use_errno=True)
        fn = libc.sync_file_range
        fn.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
        return fn
    except (OSError, AttributeError):
        return None


_sync_file_range = _libc_sync_file_range()


def start_writeback(fd, offset, length):
    """Ask the kernel to start writing a range back (no wait); Linux only."""
    if _sync_file_range is not None:
        _sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE)


def _write_all(fd, view):
    while view:
        n = os.write(fd, view)
        view = view[n:]


class BufferedWriter:
    """Plain writes; starts write-back every WRITEBACK_EVERY bytes when the
    data will be fsynced, so the final fsync waits for the tail only."""

    def __init__(self, fd, fsync):
        self.fd, self.fsync = fd, fsync
        self.written = self.flushed = 0

    def write(self, chunk):
        _write_all(self.fd, memoryview(chunk))
        self.written += len(chunk)
        if self.fsync and self.written - self.flushed >= WRITEBACK_EVERY:
            start_writeback(self.fd, self.flushed, self.written - self.flushed)
            self.flushed = self.written

    def finish(self):
        return self.written

    def close(self):
        pass


class DirectWriter:
    """O_DIRECT writes of whole aligned blocks from one page-aligned buffer;
    the last block is padded and the file truncated to the real size."""

    def __init__(self, fd):
        self.fd = fd
        self.buf = mmap.mmap(-1, CHUNK)      # anonymous maps are page-aligned
        self.fill = 0
        self.written = 0

    def write(self, chunk):
        mv = memoryview(chunk)
        while mv:
            n = min(len(mv), CHUNK - self.fill)
            self.buf[self.fill:self.fill + n] = mv[:n]
            self.fill += n
            mv = mv[n:]
            if self.fill == CHUNK:
                self._flush(CHUNK)

    def _flush(self, n):
        with memoryview(self.buf) as view:
            done = os.write(self.fd, view[:n])
        if done != n:
            raise StoreError(f'short O_DIRECT write ({done} of {n} bytes)')
        self.written += n
        self.fill = 0

    def finish(self):
        """Write the tail; return the data size."""
        size = self.written + self.fill
        if self.fill:
            padded = -(-self.fill // ALIGN) * ALIGN
            self.buf[self.fill:padded] = bytes(padded - self.fill)
            self._flush(padded)
            os.ftruncate(self.fd, size)
        return size

    def close(self):
        self.buf.close()


class FileStore(Store):
    name = 'file'

    @property
    def datadir(self):
        return self.conf.image.filesystem_store_datadir

    def _path(self, url):
        if not url.startswith('file://'):
            raise StoreError(f'not a file store location: {url}')
        # Locations come from our own database, never from clients; an
        # image keeps its path even if the store directory is moved later.
        return url[len('file://'):]

    def _open(self, tmp):
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
        fsync = self.conf.image.filesystem_store_fsync
        if self.conf.image.filesystem_store_direct_io and hasattr(os, 'O_DIRECT'):
            try:
                fd = os.open(tmp, flags | os.O_DIRECT, 0o640)
                return fd, DirectWriter(fd)
            except OSError:
                # no O_DIRECT here (tmpfs, …): a plain file instead
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        fd = os.open(tmp, flags, 0o640)
        return fd, BufferedWriter(fd, fsync)

    def add(self, image_id, chunks, size=None):
        os.makedirs(self.datadir, exist_ok=True)
        final = os.path.join(self.datadir, image_id)
        tmp = os.path.join(self.datadir, f'.{image_id}.{uuid.uuid4().hex[:8]}.tmp')
        fd, writer = self._open(tmp)
        try:
            try:
                if size:
                    with contextlib.suppress(OSError):
                        os.posix_fallocate(fd, 0, size)
                for chunk in chunks:
                    writer.write(chunk)
                written = writer.finish()
                if size and written < size:
                    os.ftruncate(fd, written)
                if self.conf.image.filesystem_store_fsync:
                    os.fsync(fd)
            finally:
                writer.close()
                os.close(fd)
            os.rename(tmp, final)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        if self.conf.image.filesystem_store_fsync:
            dfd = os.open(self.datadir, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)
        return 'file://' + final, {}

    def get(self, url, meta, offset=0, length=None):
        path = self._path(url)
        try:
            f = open(path, 'rb', buffering=0)
        except FileNotFoundError:
            raise NotFoundInStore(f'image data {url} is missing') from None
        return _read_range(f, offset, length)

    def size(self, url, meta):
        try:
            return os.path.getsize(self._path(url))
        except FileNotFoundError:
            raise NotFoundInStore(f'image data {url} is missing') from None

    def delete(self, url, meta):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self._path(url))


def _read_range(f, offset, length):
    with f:
        if offset:
            f.seek(offset)
        with contextlib.suppress(OSError, AttributeError):
            os.posix_fadvise(f.fileno(), offset, length or 0, os.POSIX_FADV_SEQUENTIAL)
        remaining = length
        while remaining is None or remaining > 0:
            n = CHUNK if remaining is None else min(CHUNK, remaining)
            data = f.read(n)
            if not data:
                break
            if remaining is not None:
                remaining -= len(data)
            yield data
