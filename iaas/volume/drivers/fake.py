"""The ``fake`` backend: in-memory bookkeeping, instant.

For control-plane tests and benchmarks: it records volumes (size, origin),
snapshots and connections in memory, reports capacity from its options, and
keeps written data in sparse 1 MiB chunks (so ``open_volume`` round trips,
volumes from snapshots and clones carry data, and a 1 TiB volume costs
nothing). State lives in the driver object: a new process starts empty.
Optional failure injection (``fail_operations``) lets tests drive the
manager's error paths.
"""
import contextlib
import copy
import io
import threading
import time

from oslo_config import cfg

from iaas.volume.drivers import base
from iaas.volume.drivers.base import DriverError, VolumeNotFoundInDriver

CHUNK = 1 << 20

fake_opts = [
    cfg.FloatOpt('fake_total_gb', default=1000.0, min=0,
                 help='Capacity the fake backend reports.'),
    cfg.FloatOpt('fake_delay', default=0.0, min=0, max=3600,
                 help='Seconds every driver operation takes (tests that kill a volume '
                      'host mid-operation).'),
    cfg.ListOpt('fake_fail_operations', default=[],
                help='Driver methods that raise DriverError (tests of error paths), '
                     'e.g. create_volume,extend_volume.'),
]


class SparseData:
    """A volume's bytes: 1 MiB chunks, absent chunks read as zeros."""

    def __init__(self, size, chunks=None):
        self.size = size
        self.chunks = chunks if chunks is not None else {}

    def copy(self, size=None):
        return SparseData(self.size if size is None else size,
                          {k: bytearray(v) for k, v in self.chunks.items()})

    def read(self, offset, n):
        n = max(0, min(n, self.size - offset))
        out = bytearray(n)
        pos = 0
        while pos < n:
            idx, off = divmod(offset + pos, CHUNK)
            k = min(n - pos, CHUNK - off)
            chunk = self.chunks.get(idx)
            if chunk is not None:
                out[pos:pos + k] = chunk[off:off + k]
            pos += k
        return bytes(out)

    def write(self, offset, data):
        if offset + len(data) > self.size:
            raise DriverError('write beyond the end of the volume')
        pos = 0
        while pos < len(data):
            idx, off = divmod(offset + pos, CHUNK)
            k = min(len(data) - pos, CHUNK - off)
            chunk = self.chunks.setdefault(idx, bytearray(CHUNK))
            chunk[off:off + k] = data[pos:pos + k]
            pos += k


class SparseFile(io.RawIOBase):
    """A file object over :class:`SparseData`."""

    def __init__(self, data, writable):
        super().__init__()
        self._data, self._writable, self._pos = data, writable, 0

    def readable(self):
        return True

    def writable(self):
        return self._writable

    def seekable(self):
        return True

    def seek(self, offset, whence=io.SEEK_SET):
        base_ = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._data.size}[whence]
        self._pos = max(0, base_ + offset)
        return self._pos

    def tell(self):
        return self._pos

    def readinto(self, b):
        data = self._data.read(self._pos, len(b))
        b[:len(data)] = data
        self._pos += len(data)
        return len(data)

    def write(self, b):
        if not self._writable:
            raise io.UnsupportedOperation('not writable')
        data = bytes(b)
        self._data.write(self._pos, data)
        self._pos += len(data)
        return len(data)


class FakeDriver(base.VolumeDriver):
    protocol = 'fake'
    options = fake_opts

    def __init__(self, backend_name, conf, host):
        super().__init__(backend_name, conf, host)
        self.volumes = {}       # id -> {'size': GiB, 'data': SparseData, 'snapshots': set()}
        self.snapshots = {}     # id -> {'volume_id', 'size', 'data'}
        self.connections = {}   # volume id -> {connector host: connector}
        self.calls = []         # (method, id) in order, for tests
        self._mutex = threading.Lock()

    def _call(self, method, oid):
        self.calls.append((method, oid))
        if self.conf.fake_delay:
            time.sleep(self.conf.fake_delay)
        if method in (self.conf.fake_fail_operations or []):
            raise DriverError(f'fake backend: {method} fails (fake_fail_operations)')

    def _volume(self, vid):
        try:
            return self.volumes[vid]
        except KeyError:
            raise VolumeNotFoundInDriver(f'volume {vid} is not in the fake backend') from None

    def get_capacity(self):
        with self._mutex:
            provisioned = sum(v['size'] for v in self.volumes.values())
        total = float(self.conf.fake_total_gb)
        return {'total_gb': total, 'free_gb': max(0.0, total - provisioned),
                'provisioned_gb': float(provisioned), 'thin': True}

    def _add(self, volume, data=None):
        size = base.size_bytes(volume)
        with self._mutex:
            self.volumes[base.check_id(volume['id'])] = {
                'size': volume['size'], 'snapshots': set(),
                'data': data.copy(size) if data is not None else SparseData(size)}
        return {'provider_location': f'fake:{volume["id"]}'}

    def create_volume(self, volume):
        self._call('create_volume', volume['id'])
        return self._add(volume)

    def create_volume_from_image(self, volume, image_path, image_format):
        self._call('create_volume_from_image', volume['id'])
        image_format = base.qemu_format(image_format)
        update = self._add(volume)
        if image_format == 'raw':
            with open(image_path, 'rb') as f:
                data = f.read(base.size_bytes(volume) + 1)
            if len(data) > base.size_bytes(volume):
                raise DriverError('image larger than the volume')
            self.volumes[volume['id']]['data'].write(0, data)
        return update

    def create_volume_from_snapshot(self, volume, snapshot):
        self._call('create_volume_from_snapshot', volume['id'])
        try:
            snap = self.snapshots[snapshot['id']]
        except KeyError:
            raise VolumeNotFoundInDriver(f'snapshot {snapshot["id"]} is not in the fake '
                                         'backend') from None
        if volume['size'] < snap['size']:
            raise DriverError('volume smaller than the snapshot')
        return self._add(volume, snap['data'])

    def create_cloned_volume(self, volume, src_volume):
        self._call('create_cloned_volume', volume['id'])
        src = self._volume(src_volume['id'])
        if volume['size'] < src['size']:
            raise DriverError('volume smaller than its source')
        return self._add(volume, src['data'])

    def delete_volume(self, volume):
        self._call('delete_volume', volume['id'])
        with self._mutex:
            v = self.volumes.get(volume['id'])
            if v is None:
                return
            if v['snapshots']:
                raise DriverError(f'volume {volume["id"]} has snapshots: '
                                  f'{", ".join(sorted(v["snapshots"]))}')
            del self.volumes[volume['id']]
            self.connections.pop(volume['id'], None)

    def extend_volume(self, volume, new_size_gb):
        self._call('extend_volume', volume['id'])
        v = self._volume(volume['id'])
        if new_size_gb < v['size']:
            raise DriverError('a volume cannot shrink')
        v['size'] = new_size_gb
        v['data'].size = new_size_gb * base.GiB

    def create_snapshot(self, snapshot, volume, in_use=False):
        self._call('create_snapshot', snapshot['id'])
        v = self._volume(volume['id'])
        with self._mutex:
            self.snapshots[base.check_id(snapshot['id'], 'snapshot')] = {
                'volume_id': volume['id'], 'size': v['size'], 'data': v['data'].copy(),
                'in_use': in_use}
            v['snapshots'].add(snapshot['id'])
        return {'provider_location': f'fake:{snapshot["id"]}'}

    def delete_snapshot(self, snapshot, volume):
        self._call('delete_snapshot', snapshot['id'])
        with self._mutex:
            snap = self.snapshots.pop(snapshot['id'], None)
            if snap and snap['volume_id'] in self.volumes:
                self.volumes[snap['volume_id']]['snapshots'].discard(snapshot['id'])

    def initialize_connection(self, volume, connector):
        self._call('initialize_connection', volume['id'])
        self._volume(volume['id'])
        with self._mutex:
            self.connections.setdefault(volume['id'], {})[connector.get('host')] = \
                copy.deepcopy(connector)
        return {'driver_volume_type': 'fake',
                'data': {'volume_id': volume['id'], 'backend': self.backend_name,
                         'host': connector.get('host')}}

    def terminate_connection(self, volume, connector):
        self._call('terminate_connection', volume['id'])
        with self._mutex:
            self.connections.get(volume['id'], {}).pop(connector.get('host'), None)

    @contextlib.contextmanager
    def open_volume(self, volume, mode='rb'):
        if mode not in ('rb', 'r+b'):
            raise DriverError(f'open_volume mode must be rb or r+b, not {mode!r}')
        f = SparseFile(self._volume(volume['id'])['data'], mode == 'r+b')
        try:
            yield f
        finally:
            f.close()
