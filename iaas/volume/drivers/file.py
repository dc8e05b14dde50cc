"""The ``file`` backend: volumes as files under ``volumes_dir`` on this host.

Files (all in ``volumes_dir``, names built from UUIDs only)::

    volume-<vid>                     the volume (its path never changes)
    volume-<vid>.snap-<sid>          an overlay snapshot: frozen chain link
    volume-<vid>.snap-<sid>.deleted  a snapshot deleted while it could not be
                                     merged yet (volume in use); merged later
    volume-<vid>.copy-<sid>          a copy snapshot (standalone qcow2)
    volume-<vid>.new / .part         in-flight files of one operation

**Formats.** ``volume_format = qcow2`` (default): sparse qcow2 files.
``raw``: sparse raw files (what tgt exports; the iscsi backend forces it).
A volume's format is recorded in its ``provider_location`` (``qcow2:…``)
so changing the option later affects new volumes only; the driver never
guesses a format from the file's content (a guest could write a qcow2
header into a raw volume).

**Snapshots of a detached qcow2 volume are qcow2 overlays.** The volume's
file is renamed to ``volume-<vid>.snap-<sid>`` (from then on read-only)
and a new empty overlay backed by it takes the volume's name, so the chain
is ``volume-<vid> → .snap-<s3> → .snap-<s2> → .snap-<s1>`` (the oldest
holds the original data), the path stays stable and snapshotting costs no
copy. A snapshot's data is its file read with its backing chain. Deleting
snapshot S merges it with its child C (the next newer link, or the volume
itself): ``qemu-img commit -d C`` writes C's clusters into S, then S is
renamed over C. C's view is unchanged at every step (a crash in between
leaves a valid chain), every other snapshot keeps its data, and the cost is
the size of C's changes. Backing references are bare file names (the
directory may move).

**In-use snapshots are crash-consistent copies.** A running qemu (or
qemu-nbd, tgtd) holds the volume's file open, so it cannot be renamed under
it. When ``in_use`` is set, the volume is raw, or qemu-img finds the file
locked, the snapshot is ``qemu-img convert -U`` of the volume (with its
chain) into a standalone qcow2 ``.copy-<sid>``: what a power cut at that
moment would leave on disk (data the guest has not flushed is not in it;
qcow2 metadata being rewritten during the copy can make it inconsistent,
as for Nova's live snapshots — quiesce the guest for a clean one).
Deleting a snapshot whose merge needs the volume's file while it is in use
(locked) marks it ``.deleted`` and returns; the merge happens at the next
snapshot operation on that volume, or the files go with the volume.

Deleting a volume removes every file of it, snapshots included (the API
refuses to delete a volume that still has snapshots).

New volumes from an image, a snapshot or a volume are one ``qemu-img
convert`` straight into the destination (then grown to the volume's size):
standalone files, no chain across volumes. Images must not name other files:
a qcow2 with a backing file or an external data file (or any other format
qemu-img reports one for) is refused.
"""
import contextlib
import json
import os
import re
import struct

from oslo_config import cfg

from iaas.volume.drivers import base, nbdio
from iaas.volume.drivers.base import DriverError

QCOW2_MAGIC = b'QFI\xfb'
QCOW2_INCOMPAT_DATA_FILE = 1 << 2
MAX_CHAIN = 1000
VOLUME_FILE = re.compile(r'^volume-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-'
                         r'[0-9a-f]{12})$')

file_opts = [
    cfg.StrOpt('volumes_dir', default='$state_path/volumes',
               help='Directory of the volume files on this volume host (made at '
                    'start if missing). Local guests attach them by path.'),
    cfg.StrOpt('volume_format', default='qcow2', choices=['qcow2', 'raw'],
               help='Format of new volume files: qcow2 (thin; snapshots of detached '
                    'volumes are qcow2 overlays) or raw (sparse; every snapshot is a '
                    'copy). Existing volumes keep the format they were made with.'),
]


class Busy(DriverError):
    """The image is locked by another process (a running qemu, qemu-nbd)."""


def qcow2_header(path):
    """``(virtual_size, backing_file or None, incompatible_features)`` of a
    qcow2 file; :class:`DriverError` when it is not one."""
    with open(path, 'rb') as f:
        head = f.read(80)
        if len(head) < 72 or head[:4] != QCOW2_MAGIC:
            raise DriverError(f'{os.path.basename(path)} is not a qcow2 image')
        version, bf_offset, bf_size = struct.unpack('>IQI', head[4:20])
        (size,) = struct.unpack('>Q', head[24:32])
        incompat = struct.unpack('>Q', head[72:80])[0] if version >= 3 and len(head) >= 80 \
            else 0
        backing = None
        if bf_offset:
            if bf_size > 1023:
                raise DriverError(f'{os.path.basename(path)}: backing file name too long')
            f.seek(bf_offset)
            backing = f.read(bf_size).decode('utf-8', 'replace')
    return size, backing, incompat


def check_image(qemu_img, image_path, image_format, max_size):
    """The image's virtual size; :class:`DriverError` for an image naming
    other files (backing file, external data file, extents) or larger than
    ``max_size``. qcow2 and raw are read here (no process), other formats
    through ``qemu_img('info', …)``."""
    if image_format == 'qcow2':
        size, backing, incompat = qcow2_header(image_path)
        if backing or incompat & QCOW2_INCOMPAT_DATA_FILE:
            raise DriverError('image refused: a qcow2 image with a backing file or an '
                              'external data file')
    elif image_format == 'raw':
        size = os.stat(image_path).st_size
    else:
        info = json.loads(qemu_img('info', '--output=json', '-f', image_format, image_path,
                                   timeout=120))
        size = int(info.get('virtual-size') or 0)
        data = (info.get('format-specific') or {}).get('data') or {}
        if info.get('backing-filename') or data.get('data-file') or \
                any(e.get('filename') not in (None, image_path)
                    for e in data.get('extents') or []):
            raise DriverError(f'image refused: a {image_format} image naming other files')
    if size > max_size:
        raise DriverError(f'image virtual size {size} bytes is larger than the volume '
                          f'({max_size} bytes)')
    return size


def write_empty_qcow2(path, size, cluster_bits=16):
    """Make an empty qcow2 (v3) of ``size`` bytes at ``path``, laid out as
    ``qemu-img create`` does (header, refcount table, one refcount block,
    L1 table), without starting a process: creating a volume then costs a
    file write, and a create from an image one ``qemu-img convert -n``."""
    cluster = 1 << cluster_bits
    l1_size = -(-size // (cluster * (cluster // 8)))
    l1_clusters = max(1, -(-l1_size * 8 // cluster))
    used = 3 + l1_clusters                  # header, refcount table, refcount block, L1
    if used > cluster // 2:                 # one 16-bit refcount block covers them
        raise DriverError(f'volume of {size} bytes too large for one qcow2 refcount block')
    header = struct.pack('>4sIQIIQIIQQIIQQQQII', QCOW2_MAGIC, 3, 0, 0, cluster_bits, size, 0,
                         l1_size, 3 * cluster, cluster, 1, 0, 0, 0, 0, 0, 4, 104)
    header += struct.pack('>II', 0, 0)      # end of header extensions
    with open(path, 'wb') as f:
        f.truncate(used * cluster)
        f.write(header)
        f.seek(cluster)
        f.write(struct.pack('>Q', 2 * cluster))          # refcount table -> block
        f.seek(2 * cluster)
        f.write(struct.pack(f'>{used}H', *([1] * used)))  # those clusters are in use
        f.flush()
        os.fsync(f.fileno())


class FileDriver(base.VolumeDriver):
    """Volumes as raw or qcow2 files under ``volumes_dir`` (see the module)."""

    protocol = 'file'
    options = file_opts
    forced_format = None        # subclasses exporting raw files only (tgt) set 'raw'

    def __init__(self, backend_name, conf, host):
        super().__init__(backend_name, conf, host)
        self.volumes_dir = os.path.abspath(conf.volumes_dir)

    # -- names -------------------------------------------------------------

    def _name(self, vid):
        return f'volume-{base.check_id(vid)}'

    def _path(self, name):
        return os.path.join(self.volumes_dir, name)

    def path(self, volume):
        return self._path(self._name(volume['id']))

    @property
    def new_format(self):
        return self.forced_format or self.conf.volume_format

    def _format_for(self, volume):
        """The format a new volume is made in: raw when several guests will
        write it (multiattach), else the backend's."""
        return 'raw' if volume.get('multiattach') else self.new_format

    def volume_format(self, volume):
        """The format the volume was made with (its provider_location)."""
        loc = volume.get('provider_location') or ''
        fmt = loc.partition(':')[0]
        if fmt in ('qcow2', 'raw'):
            return fmt
        return self.new_format

    def _location(self, vid, fmt):
        return {'provider_location': f'{fmt}:{self._name(vid)}'}

    # -- setup and capacity ------------------------------------------------

    def check_setup(self):
        base.require_binaries('qemu-img', 'qemu-nbd')
        base.require_dir(self.volumes_dir)
        for name in os.listdir(self.volumes_dir):
            stem, dot, ext = name.partition('.')
            m = VOLUME_FILE.match(stem)
            if m and dot and ext in ('new', 'part'):
                with self._lock(m.group(1)):
                    self._recover(m.group(1))

    def get_capacity(self):
        st = os.statvfs(self.volumes_dir)
        provisioned = 0
        for name in os.listdir(self.volumes_dir):
            if VOLUME_FILE.match(name):
                try:
                    provisioned += self._virtual_size(self._path(name))
                except (OSError, DriverError):
                    continue
        return {'total_gb': st.f_blocks * st.f_frsize / base.GiB,
                'free_gb': st.f_bavail * st.f_frsize / base.GiB,
                'provisioned_gb': provisioned / base.GiB, 'thin': True}

    def _virtual_size(self, path, fmt=None):
        """Bytes the guest sees; without ``fmt`` (capacity only) a qcow2
        backend reads qcow2 headers, a raw one file sizes."""
        if fmt is None:
            fmt = 'raw'
            if self.new_format == 'qcow2':
                with open(path, 'rb') as f:
                    fmt = 'qcow2' if f.read(4) == QCOW2_MAGIC else 'raw'
        return qcow2_header(path)[0] if fmt == 'qcow2' else os.stat(path).st_size

    # -- qemu-img ----------------------------------------------------------

    def _qemu_img(self, *args, timeout=3600):
        rc, out, err = self._execute(['qemu-img', *args], timeout=timeout, check=False)
        if rc != 0:
            if 'lock' in err:
                raise Busy(f'volume file in use ({err.strip()[:200]})')
            raise DriverError(f'qemu-img {args[0]} failed ({rc}): {err.strip()[:500]}')
        return out

    def _locked(self, path, fmt):
        """Whether another process (qemu, qemu-nbd) has the file open."""
        try:
            self._qemu_img('info', '-f', fmt, path, timeout=60)
        except Busy:
            return True
        return False

    def _grow(self, path, fmt, size):
        """Grow ``path`` to ``size`` bytes (never shrink)."""
        current = self._virtual_size(path, fmt)
        if size < current:
            raise DriverError(f'{os.path.basename(path)} is {current} bytes, larger than '
                              f'{size}')
        if size > current:
            if fmt == 'raw':
                os.truncate(path, size)
            else:
                self._qemu_img('resize', '-f', 'qcow2', path, str(size))

    def _fsync_dir(self):
        fd = os.open(self.volumes_dir, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def _chain(self, vid, fmt):
        """File names of the volume's chain, the volume first, oldest last."""
        name = self._name(vid)
        path = self._path(name)
        if not os.path.exists(path):
            return []
        chain = [name]
        if fmt != 'qcow2':
            return chain
        while len(chain) < MAX_CHAIN:
            _size, backing, _inc = qcow2_header(self._path(chain[-1]))
            if not backing:
                return chain
            if '/' in backing or not backing.startswith(name + '.snap-'):
                raise DriverError(f'{chain[-1]} has a foreign backing file {backing!r}')
            chain.append(backing)
        raise DriverError(f'backing chain of {name} is too long')

    # -- crash recovery ------------------------------------------------------

    def _recover(self, vid):
        """Finish or undo an overlay snapshot cut short (see create_snapshot);
        drop files of an interrupted create."""
        path = self._path(self._name(vid))
        new, part = path + '.new', path + '.part'
        if os.path.exists(new):
            if os.path.exists(path):
                os.unlink(new)              # the volume was not renamed yet
            else:
                os.rename(new, path)        # renamed to its snapshot: finish
                self._fsync_dir()
        if os.path.exists(part):
            os.unlink(part)

    # -- volumes -----------------------------------------------------------

    def create_volume(self, volume):
        vid = base.check_id(volume['id'])
        size = base.size_bytes(volume)
        fmt = self._format_for(volume)
        path = self.path(volume)
        with self._lock(vid):
            self._recover(vid)
            part = path + '.part'
            self._make_empty(part, fmt, size)
            os.replace(part, path)
        return self._location(vid, fmt)

    @staticmethod
    def _make_empty(path, fmt, size):
        if fmt == 'raw':
            with open(path, 'wb') as f:
                f.truncate(size)
        else:
            write_empty_qcow2(path, size)

    def _convert_into(self, volume, src, src_fmt, src_size, force_share=True):
        """The new volume made at its size, then one ``qemu-img convert -n
        --target-is-zero`` of ``src`` (``src_size`` bytes) into it: a bare
        convert's work, no second pass to grow it."""
        vid = base.check_id(volume['id'])
        size = base.size_bytes(volume)
        if src_size > size:
            raise DriverError(f'source of {src_size} bytes is larger than the volume '
                              f'({size} bytes)')
        fmt = self._format_for(volume)
        path = self.path(volume)
        part = path + '.part'
        with self._lock(vid):
            self._recover(vid)
            try:
                self._make_empty(part, fmt, size)
                self._qemu_img('convert', *(['-U'] if force_share else []), '-n',
                               '--target-is-zero', '-f', src_fmt, '-O', fmt, src, part)
                os.replace(part, path)
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(part)
                raise
        return self._location(vid, fmt)

    def create_volume_from_image(self, volume, image_path, image_format):
        image_format = base.qemu_format(image_format)
        src_size = check_image(self._qemu_img, image_path, image_format,
                               base.size_bytes(volume))
        return self._convert_into(volume, image_path, image_format, src_size,
                                  force_share=False)

    def _snapshot_file(self, snapshot):
        """``(kind, path)`` of a snapshot: kind 'overlay' or 'copy'."""
        vid = base.check_id(snapshot['volume_id'])
        sid = base.check_id(snapshot['id'], 'snapshot')
        kind = (snapshot.get('provider_location') or '').partition(':')[0]
        overlay = self._path(f'{self._name(vid)}.snap-{sid}')
        copy = self._path(f'{self._name(vid)}.copy-{sid}')
        if kind == 'overlay' or kind != 'copy' and os.path.exists(overlay):
            return 'overlay', overlay
        return 'copy', copy

    def create_volume_from_snapshot(self, volume, snapshot):
        _kind, path = self._snapshot_file(snapshot)
        if not os.path.exists(path):
            raise base.VolumeNotFoundInDriver(f'snapshot {snapshot["id"]} has no file')
        return self._convert_into(volume, path, 'qcow2', qcow2_header(path)[0])

    def create_cloned_volume(self, volume, src_volume):
        src = self.path(src_volume)
        if not os.path.exists(src):
            raise base.VolumeNotFoundInDriver(f'volume {src_volume["id"]} has no file')
        with self._lock(src_volume['id']):
            self._recover(src_volume['id'])
        fmt = self.volume_format(src_volume)
        return self._convert_into(volume, src, fmt, self._virtual_size(src, fmt))

    def delete_volume(self, volume):
        vid = base.check_id(volume['id'])
        name = self._name(vid)
        with self._lock(vid):
            for n in os.listdir(self.volumes_dir):
                if n == name or n.startswith(name + '.'):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(self._path(n))

    def extend_volume(self, volume, new_size_gb):
        vid = base.check_id(volume['id'])
        path = self.path(volume)
        with self._lock(vid):
            self._recover(vid)
            if not os.path.exists(path):
                raise base.VolumeNotFoundInDriver(f'volume {vid} has no file')
            try:
                self._grow(path, self.volume_format(volume), int(new_size_gb) * base.GiB)
            except Busy as e:
                raise base.VolumeBusy(f'volume {vid} is held by a running guest; its '
                                      f'hypervisor must grow it') from e

    # -- snapshots ---------------------------------------------------------

    def _in_use(self, volume):
        """Whether something other than qemu-img holds the volume (subclasses
        add their exports); qemu's lock is checked separately."""
        return False

    def create_snapshot(self, snapshot, volume, in_use=False):
        vid = base.check_id(volume['id'])
        sid = base.check_id(snapshot['id'], 'snapshot')
        name = self._name(vid)
        path = self._path(name)
        fmt = self.volume_format(volume)
        with self._lock(vid):
            self._recover(vid)
            if not os.path.exists(path):
                raise base.VolumeNotFoundInDriver(f'volume {vid} has no file')
            self._merge_deleted(vid, fmt)
            if fmt == 'qcow2' and not in_use and not self._in_use(volume) and \
                    not self._locked(path, fmt):
                snap = f'{name}.snap-{sid}'
                size = qcow2_header(path)[0]
                # The overlay first (backing not there yet: -u), then two
                # renames; _recover finishes or undoes a crash in between.
                self._qemu_img('create', '-q', '-f', 'qcow2', '-u', '-b', snap, '-F', 'qcow2',
                               path + '.new', str(size))
                os.rename(path, self._path(snap))
                os.rename(path + '.new', path)
                self._fsync_dir()
                return {'provider_location': f'overlay:{snap}'}
            copy = f'{name}.copy-{sid}'
            part = self._path(copy) + '.part'
            try:
                self._qemu_img('convert', '-U', '-f', fmt, '-O', 'qcow2', path, part)
                os.replace(part, self._path(copy))
            except BaseException:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(part)
                raise
            return {'provider_location': f'copy:{copy}'}

    def delete_snapshot(self, snapshot, volume):
        vid = base.check_id(snapshot['volume_id'])
        kind, path = self._snapshot_file(snapshot)
        with self._lock(vid):
            self._recover(vid)
            if kind == 'copy' or not os.path.exists(path):
                for p in (path, path + '.deleted'):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(p)
            else:
                with open(path + '.deleted', 'w'):
                    pass
            if os.path.exists(self._path(self._name(vid))):
                self._merge_deleted(vid, self.volume_format(volume))

    def _merge_deleted(self, vid, fmt):
        """Merge every chain link marked deleted into its child, while the
        files are free (a locked volume keeps them for the next time)."""
        chain = self._chain(vid, fmt)
        for i in range(len(chain) - 1, 0, -1):
            link = self._path(chain[i])
            if not os.path.exists(link + '.deleted'):
                continue
            child = self._path(chain[i - 1])
            try:
                self._qemu_img('commit', '-q', '-f', 'qcow2', '-d', child)
            except Busy:
                return
            os.rename(link, child)
            self._fsync_dir()
            os.unlink(link + '.deleted')
            chain.pop(i)
        # Markers of links no longer in the chain (merged, crash in between).
        prefix = f'{self._name(vid)}.snap-'
        for n in os.listdir(self.volumes_dir):
            if n.startswith(prefix) and n.endswith('.deleted') and n[:-8] not in chain:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self._path(n))
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self._path(n[:-8]))

    # -- attachments and data ------------------------------------------------

    def initialize_connection(self, volume, connector):
        path = self.path(volume)
        if not os.path.exists(path):
            raise base.VolumeNotFoundInDriver(f'volume {volume["id"]} has no file')
        return {'driver_volume_type': 'file',
                'data': {'path': path, 'format': self.volume_format(volume),
                         'volume_id': volume['id']}}

    def terminate_connection(self, volume, connector):
        pass

    @contextlib.contextmanager
    def open_volume(self, volume, mode='rb'):
        if mode not in ('rb', 'r+b'):
            raise DriverError(f'open_volume mode must be rb or r+b, not {mode!r}')
        path = self.path(volume)
        if not os.path.exists(path):
            raise base.VolumeNotFoundInDriver(f'volume {volume["id"]} has no file')
        fmt = self.volume_format(volume)
        f = open(path, mode) if fmt == 'raw' else \
            nbdio.open_image(path, fmt, writable=mode == 'r+b')
        try:
            yield f
        finally:
            f.close()

    def local_path(self, volume):
        return self.path(volume)
