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
                written = 0
                for chunk in chunks:
                    mv = memoryview(chunk)
                    while mv:
                        n = f.write(mv)
                        mv = mv[n:]
                    written += len(chunk)
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
