"""Volume backups as chunks in an object store: chunking, hashing,
compression, incremental backups and the manifest.

Plain Python (no database, no bus): the volume manager hands
:meth:`BackupEngine.backup` a file object of the volume and records the
dict it returns; :meth:`~BackupEngine.restore` writes a backup back into a
file object. The store is any object with ``put(name, data)``,
``get(name) -> bytes`` (:class:`ObjectNotFound` when missing),
``delete(name)`` (a missing object is fine), ``list(prefix) -> [names]`` and
``ensure_container()``: :class:`iaas.volume.backup.swift.SwiftStore` (the
object store) or :class:`iaas.volume.backup.memory.MemoryStore` (tests).

Layout of backup ``B`` (``prefix`` is ``[backup] object_prefix``)::

    <prefix>/B/chunk-00000000 …  one object per stored chunk (n = offset / chunk size)
    <prefix>/B/manifest          JSON, written last: a backup without it is incomplete

The volume is cut into fixed-size chunks. Each is hashed (SHA-256 of the
raw bytes), then, unless it is all zeros (never stored: sparse volumes back
up in the time it takes to read them) or its hash is already held by the
parent backup (incremental: the manifest points at the parent's object),
compressed and stored. The manifest lists every non-zero chunk::

    {"offset", "length", "sha256", "object", "stored_length", "compression"}

``object`` may name an object of an ancestor backup; bytes no entry covers
are zeros (``chunk_count = len(chunks) + zero_chunks`` is checked on load).
An incremental copies its parent's references, so a restore reads each
chunk straight from whichever backup holds it, however long the chain.

Ownership: a backup owns the objects under its own name. :meth:`delete`
removes those only, so deleting a backup that an incremental still needs
breaks the incremental (its restore raises :class:`BackupCorrupt`, it never
restores partially). The rule is the volume manager's, as in Cinder: it
refuses to delete a backup with dependents ("Incremental backups exist for
this backup."); the ``depends_on`` list of the result says which backups an
incremental reads from.

Throughput: the caller's thread reads the volume sequentially (and, when
asked, a thread keeps the whole-volume SHA-256); ``workers`` threads hash,
compress and upload chunks (restores: download, check, decompress and
``pwrite``) meanwhile, with at most ``2 × workers`` chunks and
``BUFFER_BYTES`` in memory. hashlib, zlib and socket I/O release the GIL.
A chunk whose sample does not compress (random or already compressed data)
is stored as it is: zlib runs at ~50 MB/s on such data. The CPU is the
limit of a backup on a fast disk: SHA-256 (~1.8 GB/s a core with SHA-NI)
of every non-zero chunk, zlib level 1 (~550 MB/s on text, ~90 MB/s on
binaries) of the compressible ones; the whole-volume SHA-256 is off by
default for that reason.
"""
import collections
import concurrent.futures as cf
import datetime
import errno
import hashlib
import json
import logging
import os
import stat
import threading
import zlib

try:                                    # optional compressions
    import zstandard
except ImportError:                     # pragma: no cover - depends on the install
    zstandard = None
try:
    import lz4.frame as lz4frame
except ImportError:                     # pragma: no cover
    lz4frame = None

LOG = logging.getLogger(__name__)

FORMAT = 'iaas-backup/1'
DEFAULT_CHUNK_SIZE = 4 << 20
MIN_CHUNK_SIZE = 4096
MAX_CHUNK_SIZE = 1 << 30        # [backup] chunk_size_kb's maximum
BUFFER_BYTES = 256 << 20        # chunks in memory: at most 2 × workers, and this many bytes
WRITEBACK_STEP = 32 << 20       # restores start writeback every 32 MiB
# Compressibility probe: SAMPLES slices of SAMPLE_BYTES spread over the chunk
# must shrink below SAMPLE_RATIO with zlib level 1 for the chunk to be compressed.
SAMPLES, SAMPLE_BYTES, SAMPLE_RATIO = 8, 4096, 0.9


class BackupError(Exception):
    """A backup, restore or delete failed."""


class BackupNotFound(BackupError):
    """No manifest of that name: the backup does not exist (or is incomplete)."""


class BackupCorrupt(BackupError):
    """The backup's data do not match its manifest (a chunk missing, truncated
    or altered, a manifest that does not parse)."""


class StoreError(BackupError):
    """The object store failed (after its retries)."""


class ObjectNotFound(StoreError):
    """``store.get`` of a missing object."""


# -- compression ---------------------------------------------------------------------

class _Zlib:
    name = 'zlib'

    def __init__(self, level):
        self.level = min(max(level, 1), 9)

    def compress(self, data):
        return zlib.compress(data, self.level)

    @staticmethod
    def decompress(data, length):
        d = zlib.decompressobj()
        out = d.decompress(data, length + 1)     # bounded: no decompression bomb
        if not d.eof:
            raise ValueError('truncated or oversized zlib stream')
        return out


class _Zstd:
    name = 'zstd'

    def __init__(self, level):
        self.level = min(max(level, 1), 19)

    def compress(self, data):
        return zstandard.ZstdCompressor(level=self.level).compress(data)

    @staticmethod
    def decompress(data, length):
        return zstandard.ZstdDecompressor().decompress(data, max_output_size=length + 1)


class _Lz4:
    name = 'lz4'

    def __init__(self, level):
        self.level = level

    @staticmethod
    def compress(data):
        return lz4frame.compress(data)

    @staticmethod
    def decompress(data, length):
        return lz4frame.decompress(data)


def compressions():
    """The compression algorithms this process can use."""
    out = ['none', 'zlib']
    if zstandard is not None:
        out.append('zstd')
    if lz4frame is not None:
        out.append('lz4')
    return out


def _codec(name, level=1):
    codecs = {'zlib': _Zlib, 'zstd': _Zstd, 'lz4': _Lz4}
    if name == 'none':
        return None
    if name not in codecs:
        raise BackupError(f'unknown compression {name!r}; known: none, zlib, zstd, lz4')
    if name not in compressions():
        raise BackupError(f'compression {name!r} needs a Python package that is not '
                          f'installed; available: {", ".join(compressions())}')
    return codecs[name](level)


def _compressible(data):
    n = len(data)
    if n < 4 * SAMPLES * SAMPLE_BYTES:
        return True
    step = n // SAMPLES
    sample = b''.join(data[i * step:i * step + SAMPLE_BYTES] for i in range(SAMPLES))
    return len(zlib.compress(sample, 1)) < SAMPLE_RATIO * len(sample)


# -- helpers -------------------------------------------------------------------------

def _read_exact(reader, n):
    data = reader.read(n)
    if data is None:
        raise BackupError('the volume reader returned no data (non-blocking file?)')
    if len(data) == n or not data:
        return data
    parts, got = [data], len(data)
    while got < n:
        more = reader.read(n - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b''.join(parts)


def _sequential(f):
    """Ask for a larger read-ahead on the volume (best effort)."""
    try:
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_SEQUENTIAL)
    except (AttributeError, OSError, ValueError):
        pass


def _check_id(backup_id):
    if not isinstance(backup_id, str) or not backup_id or '/' in backup_id \
            or backup_id in ('.', '..'):
        raise BackupError(f'invalid backup id {backup_id!r}')


def _owner(object_name):
    """The backup id an object belongs to (``<prefix>/<id>/<leaf>``)."""
    parts = object_name.rsplit('/', 2)
    return parts[-2] if len(parts) == 3 else None


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='seconds')


class _Writer:
    """Writes at offsets into the target: ``os.pwrite`` from any thread when
    it has a file descriptor, else seek + write under a lock (BytesIO…)."""

    def __init__(self, target):
        self.target = target
        self._lock = threading.Lock()
        if hasattr(target, 'flush'):
            target.flush()
        try:
            self.fd = target.fileno()
        except (AttributeError, OSError, ValueError):
            self.fd = None
        self._flushed = 0
        st = os.fstat(self.fd) if self.fd is not None else None
        self.regular = bool(st and stat.S_ISREG(st.st_mode))
        # A regular file reads zeros past its end once extended: holes there need no write.
        self.initial_end = st.st_size if self.regular else None

    def needs_zeros(self, offset):
        return not self.regular or offset < self.initial_end

    def write(self, offset, data):
        if self.fd is None:
            with self._lock:
                self.target.seek(offset)
                self.target.write(data)
            return
        view = memoryview(data)
        while view:
            n = os.pwrite(self.fd, view, offset)
            view, offset = view[n:], offset + n

    def written_upto(self, offset):
        """Everything before ``offset`` is written: start its writeback now
        (POSIX_FADV_DONTNEED writes dirty pages back asynchronously, then
        drops them), so the final fsync waits for the tail only and a
        restore does not fill the page cache with the volume."""
        if self.fd is None or offset - self._flushed < WRITEBACK_STEP:
            return
        try:
            os.posix_fadvise(self.fd, self._flushed, offset - self._flushed,
                             os.POSIX_FADV_DONTNEED)
        except (AttributeError, OSError):
            pass
        self._flushed = offset

    def finish(self, size):
        if self.fd is None:
            if hasattr(self.target, 'flush'):
                self.target.flush()
            return
        if self.regular and os.fstat(self.fd).st_size < size:
            os.ftruncate(self.fd, size)
        try:
            os.fsync(self.fd)
        except OSError as exc:
            if exc.errno not in (errno.EINVAL, errno.EROFS):    # a pipe, /dev/null…
                raise


# -- the engine ----------------------------------------------------------------------

class BackupEngine:
    """Backs volumes up into ``store`` and restores them; see the module doc.

    ``volume_sha256=True`` also records the SHA-256 of the whole volume (the
    result's ``sha256``, else None): a second pass of SHA-256 over every byte
    besides the chunks' own, about a third of a backup's CPU. Off by default:
    restores check every chunk's own SHA-256 either way."""

    def __init__(self, store, chunk_size=DEFAULT_CHUNK_SIZE, compression='zlib', workers=4,
                 prefix='backup', compression_level=1, volume_sha256=False):
        if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
            raise BackupError(f'chunk size {chunk_size} is not between {MIN_CHUNK_SIZE} '
                              f'and {MAX_CHUNK_SIZE} bytes')
        if workers < 1:
            raise BackupError('workers must be at least 1')
        if not prefix or prefix.startswith('/') or prefix.endswith('/'):
            raise BackupError(f'invalid object prefix {prefix!r}')
        self.store = store
        self.chunk_size = int(chunk_size)
        self.compression = compression
        self._codec = _codec(compression, compression_level)
        self.compression_level = compression_level
        self.workers = workers
        self.prefix = prefix
        self.volume_sha256 = volume_sha256

    # -- names

    def manifest_name(self, backup_id):
        _check_id(backup_id)
        return f'{self.prefix}/{backup_id}/manifest'

    def _chunk_name(self, backup_id, index):
        return f'{self.prefix}/{backup_id}/chunk-{index:08d}'

    def _backup_id_of(self, manifest_name):
        head, sep, leaf = manifest_name.rpartition('/')
        if not sep or leaf != 'manifest' or not head.startswith(self.prefix + '/'):
            raise BackupError(f'{manifest_name!r} is not a manifest under {self.prefix!r}/')
        backup_id = head[len(self.prefix) + 1:]
        _check_id(backup_id)
        return backup_id

    # -- backup

    def backup(self, backup_id, reader, size_bytes, parent=None, progress=None):
        """Back up ``size_bytes`` bytes read sequentially from ``reader``.

        ``parent``: the dict an earlier :meth:`backup` of the same volume
        returned (or its manifest name): only chunks it does not hold are
        stored. ``progress(done_bytes, size_bytes)`` is called from this
        thread as chunks complete (an exception it raises aborts the
        backup). Returns the result to record (see :meth:`_result`). On
        failure the objects written so far are removed and
        :class:`BackupError` is raised.
        """
        _check_id(backup_id)
        if size_bytes < 0:
            raise BackupError(f'invalid volume size {size_bytes}')
        chunk_size, known, parent_name, parent_at = self.chunk_size, {}, None, {}
        if parent is not None:
            parent_name = parent['manifest'] if isinstance(parent, dict) else parent
            pm = self._load(parent_name)
            if pm['backup_id'] == backup_id:
                raise BackupError('a backup cannot be its own parent')
            chunk_size = pm['chunk_size']     # same cuts as the parent, or nothing matches
            for e in pm['chunks']:
                known.setdefault(e['sha256'], e)
                parent_at[e['offset']] = e['sha256']
        self.store.ensure_container()
        if self.store.list(f'{self.prefix}/{backup_id}/'):
            raise BackupError(f'backup {backup_id} already has objects in the store')
        own = _Own()
        pool = cf.ThreadPoolExecutor(self.workers, thread_name_prefix=f'backup-{backup_id[:8]}')
        inflight = collections.deque()
        try:
            entries, volume_sha = self._run_backup(pool, inflight, own, backup_id, reader,
                                                   size_bytes, chunk_size, known, progress)
            pool.shutdown(wait=True)
            manifest = self._manifest(backup_id, size_bytes, chunk_size, volume_sha,
                                      parent_name, entries, parent_at)
            body = json.dumps(manifest, separators=(',', ':'), sort_keys=True).encode()
            name = self.manifest_name(backup_id)
            own.add(name)
            self.store.put(name, body)
        except BaseException as exc:
            for f in inflight:
                f.cancel()
            pool.shutdown(wait=True)
            self._remove(own.names())
            if isinstance(exc, BackupError):
                raise
            if isinstance(exc, Exception):
                raise BackupError(f'backup {backup_id} failed: {exc}') from exc
            raise
        return self._result(name, manifest, len(body))

    def _run_backup(self, pool, inflight, own, backup_id, reader, size, chunk_size, known,
                    progress):
        zeros = bytes(chunk_size)
        volume_sha = hashlib.sha256() if self.volume_sha256 else None
        entries, done = [], 0

        def chunk(index, offset, data):
            if data == (zeros if len(data) == chunk_size else bytes(len(data))):
                return None
            digest = hashlib.sha256(data).hexdigest()
            ref = known.get(digest)
            if ref is not None and ref['length'] == len(data):
                return dict(ref, offset=offset)
            algo, payload = self._encode(data)
            name = self._chunk_name(backup_id, index)
            own.add(name)        # before the PUT: a failed PUT is cleaned up too
            self.store.put(name, payload)
            return {'offset': offset, 'length': len(data), 'sha256': digest, 'object': name,
                    'stored_length': len(payload), 'compression': algo}

        def task(index, offset, data):
            return chunk(index, offset, data), len(data)

        def collect(future):
            nonlocal done
            entry, length = future.result()
            if entry is not None:
                entries.append(entry)
            done += length
            if progress is not None:
                progress(done, size)

        # The whole-volume hash runs in a thread of its own, in order, so this
        # thread only reads (the read's I/O wait and the hash overlap).
        _sequential(reader)
        hasher = cf.ThreadPoolExecutor(1, thread_name_prefix='backup-sha256')
        hashing = collections.deque()
        offset, index, limit = 0, 0, self._window(chunk_size)
        try:
            while offset < size:
                n = min(chunk_size, size - offset)
                data = _read_exact(reader, n)
                if len(data) < n:
                    raise BackupError(f'the volume ended at byte {offset + len(data)}, '
                                      f'{size} expected')
                inflight.append(pool.submit(task, index, offset, data))
                if volume_sha is not None:
                    hashing.append(hasher.submit(volume_sha.update, data))
                del data
                offset += n
                index += 1
                while hashing and (len(hashing) >= limit or hashing[0].done()):
                    hashing.popleft().result()
                while inflight and (len(inflight) >= limit or inflight[0].done()):
                    collect(inflight.popleft())
            while inflight:
                collect(inflight.popleft())
            while hashing:
                hashing.popleft().result()
        finally:
            for f in hashing:
                f.cancel()
            hasher.shutdown(wait=True)
        return entries, volume_sha and volume_sha.hexdigest()

    def _window(self, chunk_size):
        """Chunks queued or in work at once: bounded in count and bytes, so
        the largest chunk size (from the options or a parent's manifest)
        cannot take the memory."""
        return max(2, min(2 * self.workers, BUFFER_BYTES // chunk_size))

    def _encode(self, data):
        if self._codec is None or not _compressible(data):
            return 'none', data
        out = self._codec.compress(data)
        if len(out) >= len(data):
            return 'none', data
        return self._codec.name, out

    def _manifest(self, backup_id, size, chunk_size, volume_sha, parent_name, entries,
                  parent_at):
        count = -(-size // chunk_size)
        own_prefix = f'{self.prefix}/{backup_id}/'
        changed = 0
        for e in entries:
            if parent_at.get(e['offset']) != e['sha256']:
                changed += 1
        if parent_name is not None:     # chunks that became zeros changed too
            nonzero = {e['offset'] for e in entries}
            changed += sum(1 for off in parent_at if off not in nonzero and off < size)
        return {
            'format': FORMAT, 'backup_id': backup_id, 'created_at': _now(),
            'size_bytes': size, 'chunk_size': chunk_size, 'chunk_count': count,
            'zero_chunks': count - len(entries), 'changed_chunks': changed,
            'compression': self.compression, 'sha256': volume_sha, 'parent': parent_name,
            'depends_on': sorted({_owner(e['object']) for e in entries
                                  if not e['object'].startswith(own_prefix)}),
            'chunks': entries,
        }

    @staticmethod
    def _result(manifest_name, m, manifest_length):
        """What :meth:`backup` returns (and :meth:`describe`): the manifest
        without its chunk list; ``object_count``/``stored_bytes``/``stored_chunks``
        count this backup's own objects (manifest included), ``changed_chunks``
        the chunks that differ from the parent (or from zeros for a full
        backup), ``depends_on`` the backups whose objects it reads."""
        own_prefix = manifest_name.rpartition('/')[0] + '/'
        own = [e for e in m['chunks'] if e['object'].startswith(own_prefix)]
        return {
            'manifest': manifest_name, 'backup_id': m['backup_id'],
            'parent': m['parent'], 'depends_on': list(m['depends_on']),
            'object_count': len(own) + 1,
            'size_bytes': m['size_bytes'],
            'stored_bytes': sum(e['stored_length'] for e in own) + manifest_length,
            'chunks': m['chunk_count'], 'changed_chunks': m['changed_chunks'],
            'stored_chunks': len(own), 'zero_chunks': m['zero_chunks'],
            'chunk_size': m['chunk_size'], 'compression': m['compression'],
            'sha256': m['sha256'], 'created_at': m['created_at'],
        }

    # -- restore

    def restore(self, manifest_name, writer, size_bytes=None, progress=None):
        """Write the backup's bytes into ``writer`` (seekable, e.g. a volume
        opened ``r+b``; it may be larger than the backup, bytes past the
        backup are left alone). Every chunk's length and SHA-256 is checked;
        :class:`BackupCorrupt` on a mismatch or a missing object (the target
        is then partly written: it must not be used). ``size_bytes``: the
        target's size, refused when smaller than the backup. Returns
        ``{'size_bytes', 'sha256', 'chunks', 'written_bytes'}``."""
        m = self._load(manifest_name)
        size = m['size_bytes']
        if size_bytes is not None and size_bytes < size:
            raise BackupError(f'the target ({size_bytes} bytes) is smaller than the '
                              f'backup ({size} bytes)')
        try:
            out = _Writer(writer)
        except OSError as exc:
            raise BackupError(f'cannot restore into the target: {exc}') from exc
        tasks = self._restore_tasks(m, out)
        pool = cf.ThreadPoolExecutor(self.workers, thread_name_prefix='restore')
        inflight = collections.deque()
        done, written = 0, 0
        zeros = bytes(m['chunk_size'])
        window = self._window(m['chunk_size'])

        def run(kind, offset, length, entry):
            if kind == 'zero':
                out.write(offset, zeros if length == len(zeros) else bytes(length))
            elif kind == 'chunk':
                out.write(offset, self._fetch(entry))
            return offset + length, length, kind != 'skip'

        def collect(future):
            nonlocal done, written
            end, length, wrote = future.result()
            done, written = done + length, written + (length if wrote else 0)
            out.written_upto(end)       # tasks complete in offset order here
            if progress is not None:
                progress(done, size)

        try:
            for task in tasks:
                inflight.append(pool.submit(run, *task))
                while inflight and (len(inflight) >= window or inflight[0].done()):
                    collect(inflight.popleft())
            while inflight:
                collect(inflight.popleft())
            out.finish(size)
        except BaseException as exc:
            for f in inflight:
                f.cancel()
            if isinstance(exc, BackupError) or not isinstance(exc, Exception):
                raise
            raise BackupError(f'restore of {manifest_name} failed: {exc}') from exc
        finally:
            pool.shutdown(wait=True)
        return {'size_bytes': size, 'sha256': m['sha256'], 'chunks': m['chunk_count'],
                'written_bytes': written}

    def _restore_tasks(self, m, out):
        """(kind, offset, length, entry) in offset order: 'chunk' to fetch,
        'zero' to write zeros, 'skip' (a hole past a regular file's end)."""
        chunk_size, pos = m['chunk_size'], 0
        for e in sorted(m['chunks'], key=lambda e: e['offset']) + [None]:
            end = m['size_bytes'] if e is None else e['offset']
            while pos < end:
                n = min(chunk_size, end - pos)
                yield ('zero' if out.needs_zeros(pos) else 'skip', pos, n, None)
                pos += n
            if e is not None:
                yield ('chunk', e['offset'], e['length'], e)
                pos = e['offset'] + e['length']

    def _fetch(self, e):
        try:
            payload = self.store.get(e['object'])
        except ObjectNotFound as exc:
            raise BackupCorrupt(f'chunk at offset {e["offset"]}: object {e["object"]} is '
                                'missing (was the backup holding it deleted?)') from exc
        if len(payload) != e['stored_length']:
            raise BackupCorrupt(f'object {e["object"]}: {len(payload)} bytes, '
                                f'{e["stored_length"]} expected')
        if e['compression'] == 'none':
            data = payload
        else:
            try:
                data = _codec(e['compression']).decompress(payload, e['length'])
            except BackupError:
                raise
            except Exception as exc:
                raise BackupCorrupt(f'object {e["object"]} does not decompress: '
                                    f'{exc}') from exc
        if len(data) != e['length'] or hashlib.sha256(data).hexdigest() != e['sha256']:
            raise BackupCorrupt(f'chunk at offset {e["offset"]} ({e["object"]}) does not '
                                'match its SHA-256')
        return data

    # -- manifest, describe, delete

    def _load(self, manifest_name):
        try:
            raw = self.store.get(manifest_name)
        except ObjectNotFound as exc:
            raise BackupNotFound(f'backup manifest {manifest_name} not found') from exc
        try:
            m = json.loads(raw)
            if m.get('format') != FORMAT:
                raise ValueError(f'unknown format {m.get("format")!r}')
            size, cs = int(m['size_bytes']), int(m['chunk_size'])
            if not MIN_CHUNK_SIZE <= cs <= MAX_CHUNK_SIZE or size < 0:
                raise ValueError(f'chunk size {cs} or size {size} out of range')
            count = -(-size // cs)
            if m['chunk_count'] != count or len(m['chunks']) + m['zero_chunks'] != count:
                raise ValueError('chunk counts do not add up')
            pos = 0
            for e in sorted(m['chunks'], key=lambda e: e['offset']):
                if e['offset'] < pos or e['offset'] % cs or not 0 < e['length'] <= cs \
                        or e['offset'] + e['length'] > size \
                        or not isinstance(e['object'], str) or len(e['sha256']) != 64 \
                        or not isinstance(e['stored_length'], int) \
                        or not isinstance(e['compression'], str):
                    raise ValueError(f'bad chunk entry at offset {e["offset"]}')
                pos = e['offset'] + e['length']
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BackupCorrupt(f'manifest {manifest_name} is damaged: {exc}') from exc
        return m

    def describe(self, manifest_name):
        """The manifest without its chunk list, as :meth:`backup` returned it."""
        m = self._load(manifest_name)
        raw_len = len(json.dumps(m, separators=(',', ':'), sort_keys=True).encode())
        return self._result(manifest_name, m, raw_len)

    def delete(self, manifest_name, keep_objects_of=()):
        """Delete the backup's own objects (those under ``<prefix>/<id>/``),
        manifest last; idempotent, and also cleans up a backup that never
        completed (no manifest).

        ``keep_objects_of``: manifest names of other backups whose objects
        must stay (normally empty: the manager refuses to delete a backup
        with dependents). Objects kept that way for a deleted ancestor are
        removed with the last backup referencing them, provided the caller
        lists the remaining backups of the chain in ``keep_objects_of``."""
        backup_id = self._backup_id_of(manifest_name)
        keep = set()
        for other in keep_objects_of:
            keep.update(e['object'] for e in self._load(other)['chunks'])
        names = set(self.store.list(f'{self.prefix}/{backup_id}/'))
        try:
            m = self._load(manifest_name)
        except BackupNotFound:
            m = None
        except BackupCorrupt:
            LOG.warning('deleting backup %s whose manifest is damaged', backup_id)
            m = None
        if m is not None:       # objects of deleted ancestors kept for this backup
            for owner in m['depends_on']:
                if not self.store.list(self.manifest_name(owner)):
                    names.update(e['object'] for e in m['chunks']
                                 if _owner(e['object']) == owner)
        names -= keep
        names.discard(manifest_name)
        self._remove(sorted(names), strict=True)
        self.store.delete(manifest_name)

    def _remove(self, names, strict=False):
        if not names:
            return
        errors = []

        def rm(name):
            try:
                self.store.delete(name)
            except Exception as exc:        # noqa: BLE001 - reported below
                errors.append((name, exc))
        with cf.ThreadPoolExecutor(self.workers, thread_name_prefix='backup-delete') as pool:
            for i in range(0, len(names), 1000):
                list(pool.map(rm, names[i:i + 1000]))
        if errors:
            LOG.warning('could not delete %d backup objects (first: %s: %s)', len(errors),
                        *errors[0])
            if strict:
                raise BackupError(f'could not delete {len(errors)} objects, first '
                                  f'{errors[0][0]}: {errors[0][1]}')


class _Own:
    """Objects a backup in progress wrote (thread-safe), for cleanup on failure."""

    def __init__(self):
        self._lock = threading.Lock()
        self._names = []

    def add(self, name):
        with self._lock:
            self._names.append(name)

    def names(self):
        with self._lock:
            return list(self._names)
