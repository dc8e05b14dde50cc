"""The "file" store: one file per image in a directory.

Data goes to a hidden temporary file in the same directory and is renamed
to the image id only once the whole upload was accepted, so a crash or a
refused upload never leaves a file under an image's name, and a reader
never sees a half-written image.
"""
import contextlib
import os
import uuid

from iaas.image.stores import CHUNK, NotFoundInStore, Store, StoreError

WRITEBACK_EVERY = 64 << 20
SYNC_FILE_RANGE_WRITE = 2


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

    def add(self, image_id, chunks, size=None):
        os.makedirs(self.datadir, exist_ok=True)
        final = os.path.join(self.datadir, image_id)
        tmp = os.path.join(self.datadir, f'.{image_id}.{uuid.uuid4().hex[:8]}.tmp')
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o640)
        try:
            with os.fdopen(fd, 'wb', buffering=0) as f:
                if size:
                    with contextlib.suppress(OSError):
                        os.posix_fallocate(f.fileno(), 0, size)
                written = flushed = 0
                fsync = self.conf.image.filesystem_store_fsync
                for chunk in chunks:
                    mv = memoryview(chunk)
                    while mv:
                        n = f.write(mv)
                        mv = mv[n:]
                    written += len(chunk)
                    if fsync and written - flushed >= WRITEBACK_EVERY:
                        # start writing back what we have, so the final
                        # fsync waits for the tail only
                        start_writeback(f.fileno(), flushed, written - flushed)
                        flushed = written
                if size and written < size:
                    f.truncate(written)
                if self.conf.image.filesystem_store_fsync:
                    os.fsync(f.fileno())
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
