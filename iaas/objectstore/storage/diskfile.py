"""Objects on a device: one directory per object, files named by timestamp.

    <device>/objects/<part>/<suffix>/<hash>/<timestamp>.data   data + metadata trailer
                                            <timestamp>.meta   metadata set by POST (JSON)
                                            <timestamp>.ts     tombstone (JSON)

A .data file is the object's bytes followed by its metadata as JSON, the
JSON's length (8 bytes, big endian) and the magic ``IAASOBJ1``: one file,
written to ``<device>/tmp``, fsynced and renamed into place, so a reader
sees the whole object with its metadata or nothing (no xattrs, whose size
ext4 limits). The newest .data or .ts wins; older files are removed.
"""
import errno
import fcntl
import hashlib
import json
import mmap
import os
import struct
import tempfile
import time
import uuid

from iaas.common import metrics
from iaas.objectstore.utils import in_dir, mkdirs

MAGIC = b'IAASOBJ1'
TRAILER = struct.Struct('>Q8s')
CHUNK = 1 << 20
RECLAIM_AGE = 7 * 86400   # seconds a tombstone is kept


DROP_CACHE_MIN = 4 * 1024 * 1024
# An upload that will be fsynced has its write-back started every this many
# bytes (sync_file_range(SYNC_FILE_RANGE_WRITE), no wait): the disk writes
# while the rest arrives and the final fsync waits for the tail only.
WRITEBACK_EVERY = 4 * 1024 * 1024
SYNC_FILE_RANGE_WRITE = 2
# Whole blocks of a big fsynced upload (DIRECT_MIN bytes or more) read into
# an aligned buffer are written with O_DIRECT: no copy into the page cache,
# no write-back, nothing to drop (small ones: one write and one fsync).
DIRECT_ALIGN = 4096
DIRECT_MIN = DROP_CACHE_MIN
_libc = None


def _load_libc():
    global _libc
    if _libc is None:
        import ctypes
        import ctypes.util
        libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)
        libc.fallocate.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int64,
                                   ctypes.c_int64]
        try:
            libc.sync_file_range.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64,
                                             ctypes.c_uint]
        except AttributeError:
            pass
        _libc = libc
    return _libc


def _fallocate(fd, size):
    """fallocate(FALLOC_FL_KEEP_SIZE) through libc; OSError when unsupported."""
    if _load_libc().fallocate(fd, 1, 0, size) != 0:
        import ctypes
        raise OSError(ctypes.get_errno(), 'fallocate failed')


def start_writeback(fd, offset, length):
    """Ask the kernel to start writing a range to the disk, without waiting
    (durability still comes from the fsync at commit); a no-op where
    sync_file_range is missing."""
    try:
        fn = _load_libc().sync_file_range
    except (AttributeError, OSError):
        return
    fn(fd, offset, length, SYNC_FILE_RANGE_WRITE)


NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


def no_space(exc):
    """True for "the device is full" (ENOSPC/EDQUOT, SQLite's "disk is full")."""
    if isinstance(exc, OSError):
        return exc.errno in NO_SPACE
    return type(exc).__name__ == 'OperationalError' and 'disk is full' in str(exc)


class DiskFileError(Exception):
    pass


class Corrupt(DiskFileError):
    pass


class NotFound(DiskFileError):
    def __init__(self, timestamp=None):
        super().__init__('not found')
        self.timestamp = timestamp  # tombstone time when deleted


def object_dir(device_path, part, name_hash):
    return os.path.join(device_path, 'objects', str(part), name_hash[-3:], name_hash)


def _write_small(path, tmp_dir, data, fsync=True):
    mkdirs(tmp_dir)
    fd, tmp = tempfile.mkstemp(dir=tmp_dir)
    try:
        os.write(fd, data)
        if fsync:
            os.fsync(fd)
    finally:
        os.close(fd)
    place(tmp, path)


def place(tmp, path):
    """Rename the file ``tmp`` to ``path``, making the directories on the
    way (again, when the replicator removed one meanwhile)."""
    in_dir(path, lambda: os.replace(tmp, path))


def cleanup_dir(hdir):
    """Drop superseded files; return the remaining file names, newest first.

    Kept: the newest .data or .ts, and the newest .meta when it is newer
    than a kept .data (or there is no .data yet, as replication may bring
    the .meta first).
    """
    try:
        files = sorted(os.listdir(hdir), reverse=True)
    except (FileNotFoundError, NotADirectoryError):
        return []
    base = next((f for f in files if f.endswith(('.data', '.ts'))), None)
    meta = next((f for f in files if f.endswith('.meta')), None)
    if meta and base and (base.endswith('.ts') or meta[:-5] <= base[:-5]):
        meta = None
    if base and base.endswith('.ts') and float(base[:-3]) < time.time() - RECLAIM_AGE:
        base = None      # old enough that every replica has seen the delete
    keep = [f for f in (meta, base) if f]
    for f in files:
        if f not in keep:
            try:
                os.unlink(os.path.join(hdir, f))
            except (FileNotFoundError, IsADirectoryError):
                pass
    if not keep:
        try:
            os.rmdir(hdir)
        except OSError:
            pass
    return keep


def read_trailer(f, size):
    if size < TRAILER.size:
        raise Corrupt('file too short')
    f.seek(size - TRAILER.size)
    length, magic = TRAILER.unpack(f.read(TRAILER.size))
    if magic != MAGIC or length > size - TRAILER.size:
        raise Corrupt('bad trailer')
    f.seek(size - TRAILER.size - length)
    try:
        meta = json.loads(f.read(length))
    except ValueError:
        raise Corrupt('bad metadata') from None
    data_len = size - TRAILER.size - length
    if int(meta.get('Content-Length', -1)) != data_len:
        raise Corrupt('length does not match metadata')
    return meta, data_len


class DiskFile:
    """One object on one device."""

    def __init__(self, device_path, part, name_hash, fsync=True):
        self.device_path = device_path
        self.part = part
        self.hash = name_hash
        self.dir = object_dir(device_path, part, name_hash)
        self.tmp_dir = os.path.join(device_path, 'tmp')
        self.fsync = fsync

    # --- reading -----------------------------------------------------------
    def open(self):
        """Return an :class:`ObjectReader`; raise NotFound (with the tombstone time)."""
        files = cleanup_dir(self.dir)
        meta_file = next((f for f in files if f.endswith('.meta')), None)
        base = next((f for f in files if not f.endswith('.meta')), None)
        if base is None:
            raise NotFound()
        if base.endswith('.ts'):
            raise NotFound(base[:-3])
        path = os.path.join(self.dir, base)
        try:
            f = open(path, 'rb')
        except FileNotFoundError:
            raise NotFound() from None
        try:
            meta, data_len = read_trailer(f, os.fstat(f.fileno()).st_size)
        except Corrupt:
            f.close()
            self.quarantine()
            raise NotFound() from None
        if meta_file and meta_file[:-5] > base[:-5]:
            try:
                with open(os.path.join(self.dir, meta_file)) as mf:
                    meta = merge_post_metadata(meta, json.load(mf))
            except (OSError, ValueError):
                pass
        return ObjectReader(self, f, meta, data_len)

    def quarantine(self):
        qdir = os.path.join(self.device_path, 'quarantined', 'objects')
        mkdirs(qdir)
        try:
            os.rename(self.dir, os.path.join(qdir, f'{self.hash}-{uuid.uuid4().hex[:8]}'))
            metrics.OBJECTSTORE_QUARANTINED.inc()
        except FileNotFoundError:
            pass

    # --- writing -----------------------------------------------------------
    def writer(self, checksum=None):
        return ObjectWriter(self, checksum)

    def write_tombstone(self, timestamp, name):
        path = os.path.join(self.dir, f'{timestamp}.ts')
        _write_small(path, self.tmp_dir, json.dumps(
            {'X-Timestamp': timestamp, 'name': name}).encode(), self.fsync)
        cleanup_dir(self.dir)

    def write_meta(self, timestamp, meta):
        path = os.path.join(self.dir, f'{timestamp}.meta')
        _write_small(path, self.tmp_dir, json.dumps(dict(meta, **{
            'X-Timestamp': timestamp})).encode(), self.fsync)
        cleanup_dir(self.dir)

    def newest_timestamp(self):
        files = cleanup_dir(self.dir)
        base = next((f for f in files if not f.endswith('.meta')), None)
        return base.rpartition('.')[0] if base else None


POST_KEYS = ('content-type', 'content-disposition', 'content-encoding', 'x-delete-at',
             'x-object-manifest', 'cache-control', 'content-language', 'expires',
             'x-robots-tag')


def merge_post_metadata(meta, post):
    """The .data metadata with a POST's user metadata replacing the old."""
    out = {k: v for k, v in meta.items()
           if not k.lower().startswith('x-object-meta-')
           and k.lower() not in POST_KEYS[1:]}
    for k, v in post.items():
        if k == 'X-Timestamp':
            out['X-Meta-Timestamp'] = v
        else:
            out[k] = v
    return out


class ObjectReader:
    """An open object: metadata, length and a chunk iterator over a range."""

    def __init__(self, diskfile, f, meta, length):
        self.diskfile, self.f, self.meta, self.length = diskfile, f, meta, length

    def iter_range(self, start=0, stop=None, check_md5=False):
        stop = self.length if stop is None else min(stop, self.length)
        whole = check_md5 and start == 0 and stop == self.length
        md5 = hashlib.md5() if whole else None
        try:
            self.f.seek(start)
            left = stop - start
            while left > 0:
                chunk = self.f.read(min(CHUNK, left))
                if not chunk:
                    break
                left -= len(chunk)
                if md5 is not None:
                    md5.update(chunk)
                yield chunk
            if md5 is not None and md5.hexdigest() != self.meta.get('ETag'):
                self.diskfile.quarantine()
        finally:
            self.close()

    def close(self):
        if self.f is not None:
            self.f.close()
            self.f = None


def aligned_buffer(size):
    """A page-aligned buffer for :meth:`ObjectWriter.write` ``aligned``."""
    return memoryview(mmap.mmap(-1, size))


class ObjectWriter:
    """Streams an upload into a temp file; :meth:`commit` makes it visible.
    ``checksum``: what :meth:`write` hashes (anything with update()): by
    default the MD5, the ETag; a footer upload's CRC-32 (iaas.objectstore.footer)."""

    def __init__(self, diskfile, checksum=None):
        self.df = diskfile
        mkdirs(diskfile.tmp_dir)
        self.fd, self.tmp = tempfile.mkstemp(dir=diskfile.tmp_dir)
        self.checksum = hashlib.md5() if checksum is None else checksum
        self.size = 0
        self.flushed = 0      # bytes whose write-back has been started
        self.direct = False   # O_DIRECT set on the file
        self.can_direct = self.df.fsync

    def write(self, chunk, aligned=False):
        """Append ``chunk``; ``aligned``: it starts on a page boundary
        (:func:`aligned_buffer`), so whole blocks may go with O_DIRECT."""
        self.checksum.update(chunk)
        self.size += len(chunk)
        if aligned and self.can_direct and not len(chunk) % DIRECT_ALIGN and \
                not (self.size - len(chunk)) % DIRECT_ALIGN and self._set_direct(True):
            self._write_direct(chunk)
            self.flushed = self.size
            return
        self._set_direct(False)
        self.write_raw(chunk)
        if self.size - self.flushed >= WRITEBACK_EVERY and self.df.fsync:
            start_writeback(self.fd, self.flushed, self.size - self.flushed)
            self.flushed = self.size

    def _write_direct(self, chunk):
        view = memoryview(chunk)
        while view:
            try:
                n = os.write(self.fd, view)
            except OSError as exc:
                if exc.errno != errno.EINVAL:
                    raise
                # refused by the file system: the rest (and what follows)
                # through the page cache, from where the file stands
                self.can_direct = False
                self._set_direct(False)
                self.write_raw(view)
                return
            view = view[n:]

    def _set_direct(self, on):
        """O_DIRECT on or off; False when the file system refuses it."""
        if self.direct == on:
            return True
        flags = fcntl.fcntl(self.fd, fcntl.F_GETFL)
        try:
            fcntl.fcntl(self.fd, fcntl.F_SETFL,
                        flags | os.O_DIRECT if on else flags & ~os.O_DIRECT)
        except OSError:
            if not on:
                raise
            self.can_direct = False           # e.g. tmpfs
            return False
        self.direct = on
        return True

    def preallocate(self, size):
        """Reserve the blocks of a known-size upload (less fragmentation,
        faster fsync); the file's size is not changed."""
        try:
            _fallocate(self.fd, size + 4096)
        except OSError as exc:
            if exc.errno in NO_SPACE:     # the device is full: 507, not a short write
                raise

    def commit(self, timestamp, meta):
        """Append the metadata trailer, fsync, rename into place."""
        meta = dict(meta, **{'X-Timestamp': timestamp, 'Content-Length': str(self.size),
                             'ETag': meta.get('ETag') or self.checksum.hexdigest()})
        blob = json.dumps(meta).encode()
        self._set_direct(False)
        self.write_raw(blob + TRAILER.pack(len(blob), MAGIC))
        if self.df.fsync:
            os.fsync(self.fd)
            if self.size > DROP_CACHE_MIN:
                # written and durable: do not let big uploads crowd the page cache
                os.posix_fadvise(self.fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(self.fd)
        self.fd = None
        place(self.tmp, os.path.join(self.df.dir, f'{timestamp}.data'))
        cleanup_dir(self.df.dir)
        return meta

    def write_raw(self, data):
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]

    def commit_file(self, filename):
        """Replication: the temp file already holds a whole .data/.meta/.ts file."""
        if self.df.fsync:
            os.fsync(self.fd)
        os.close(self.fd)
        self.fd = None
        place(self.tmp, os.path.join(self.df.dir, filename))
        cleanup_dir(self.df.dir)

    def abort(self):
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
        try:
            os.unlink(self.tmp)
        except FileNotFoundError:
            pass


# --- partition walking (replicator, auditor) ---------------------------------
def list_partitions(device_path, kind='objects'):
    try:
        return [int(p) for p in os.listdir(os.path.join(device_path, kind)) if p.isdigit()]
    except FileNotFoundError:
        return []


def suffix_hashes(device_path, part, kind='objects'):
    """{suffix: md5 of its objects' file names} for one partition."""
    pdir = os.path.join(device_path, kind, str(part))
    out = {}
    try:
        suffixes = os.listdir(pdir)
    except FileNotFoundError:
        return out
    for suffix in suffixes:
        sdir = os.path.join(pdir, suffix)
        md5 = hashlib.md5()
        try:
            hashes = sorted(os.listdir(sdir))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for h in hashes:
            files = cleanup_dir(os.path.join(sdir, h)) if kind == 'objects' else \
                sorted(os.listdir(os.path.join(sdir, h)))
            if files:
                md5.update(h.encode())
                for f in files:
                    md5.update(f.encode())
        if not hashes:
            try:
                os.rmdir(sdir)
            except OSError:
                pass
            continue
        out[suffix] = md5.hexdigest()
    return out


def suffix_files(device_path, part, suffix, kind='objects'):
    """{hash: [file names]} in one suffix of a partition."""
    sdir = os.path.join(device_path, kind, str(part), suffix)
    out = {}
    try:
        hashes = os.listdir(sdir)
    except FileNotFoundError:
        return out
    for h in hashes:
        files = cleanup_dir(os.path.join(sdir, h)) if kind == 'objects' else \
            sorted(os.listdir(os.path.join(sdir, h)))
        if files:
            out[h] = files
    return out


def iter_object_dirs(device_path):
    """(part, hash, dir) of every object on a device."""
    root = os.path.join(device_path, 'objects')
    for part in list_partitions(device_path):
        pdir = os.path.join(root, str(part))
        for suffix in _listdir(pdir):
            for h in _listdir(os.path.join(pdir, suffix)):
                yield part, h, os.path.join(pdir, suffix, h)


def _listdir(path):
    try:
        return os.listdir(path)
    except (FileNotFoundError, NotADirectoryError):
        return []
