"""The ``rbd`` backend: Ceph RBD images through librbd's Python bindings.

Volumes are images ``<rbd_pool>/volume-<id>`` (layering on). Snapshots are
RBD snapshots ``snapshot-<id>``, protected so volumes can be cloned from
them: a volume from a snapshot is a copy-on-write clone (flattened at once
with ``rbd_flatten_volume_from_snapshot``); deleting a snapshot that has
clones flattens them first, so a snapshot can always go. A cloned volume is
a clone of a temporary snapshot of its source, flattened, the snapshot then
dropped: a full, independent copy. An image is written into a volume by
``qemu-img convert`` to ``rbd:pool/name`` (qemu's rbd driver, Debian's
qemu-block-extra). Capacity is the pool's (``ceph df``: stored plus
max_avail), provisioned the sum of the images' sizes. Guests attach
through librbd (libvirt ``<disk type='network'><source protocol='rbd'>``),
with the monitors' addresses and the Ceph user's libvirt secret
(``rbd_secret_uuid``) in the connection info.

The bindings (``rados``, ``rbd``; Debian's python3-rados/python3-rbd) are
imported when the driver starts, so a host without Ceph loads the other
backends. They are not in the project's virtualenv: a host serving RBD
volumes runs iaas-volume with them importable (a venv made with
``--system-site-packages``), else :meth:`RBDDriver.check_setup` says so.
"""
import contextlib
import io
import json

from oslo_config import cfg

from iaas.volume.drivers import base, file
from iaas.volume.drivers.base import DriverError, VolumeNotFoundInDriver

rbd_opts = [
    cfg.StrOpt('rbd_pool', default='volumes', help='RADOS pool of the volumes.'),
    cfg.StrOpt('rbd_user', default='cinder',
               help='Ceph user (without "client.") the service and the guests use; '
                    'empty: no cephx authentication.'),
    cfg.StrOpt('rbd_ceph_conf', default='/etc/ceph/ceph.conf',
               help='Ceph configuration file (monitors, keyring).'),
    cfg.StrOpt('rbd_cluster_name', default='ceph', help='Ceph cluster name.'),
    cfg.StrOpt('rbd_secret_uuid',
               help='UUID of the libvirt secret holding rbd_user\'s key on the '
                    'compute hosts.'),
    cfg.IntOpt('rbd_connect_timeout', default=30, min=1,
               help='Seconds to wait for the cluster when connecting.'),
    cfg.BoolOpt('rbd_flatten_volume_from_snapshot', default=False,
                help='Flatten volumes made from snapshots (full copies) instead of '
                     'keeping them copy-on-write clones.'),
]


def import_bindings():
    """``(rados, rbd)`` modules; :class:`DriverError` when not importable."""
    try:
        import rados
        import rbd
    except ImportError as e:
        raise DriverError('the Ceph Python bindings (rados, rbd: Debian python3-rados, '
                          f'python3-rbd) are not importable here: {e}') from e
    return rados, rbd


class RBDFile(io.RawIOBase):
    """A seekable binary file over an open ``rbd.Image``."""

    def __init__(self, image, writable):
        super().__init__()
        self._image, self._writable, self._pos = image, writable, 0
        self.size = image.size()

    def readable(self):
        return True

    def writable(self):
        return self._writable

    def seekable(self):
        return True

    def tell(self):
        return self._pos

    def seek(self, offset, whence=io.SEEK_SET):
        base_ = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base_ + offset)
        return self._pos

    def readinto(self, b):
        n = max(0, min(len(b), self.size - self._pos))
        if n == 0:
            return 0
        data = self._image.read(self._pos, n)
        b[:len(data)] = data
        self._pos += len(data)
        return len(data)

    def write(self, b):
        if not self._writable:
            raise io.UnsupportedOperation('not writable')
        data = bytes(b)
        if self._pos + len(data) > self.size:
            raise DriverError('write beyond the end of the volume')
        self._image.write(data, self._pos)
        self._pos += len(data)
        return len(data)

    def flush(self):
        if self._writable and not self.closed:
            self._image.flush()


class RBDDriver(base.VolumeDriver):
    protocol = 'rbd'
    options = rbd_opts

    def __init__(self, backend_name, conf, host, bindings=None):
        super().__init__(backend_name, conf, host)
        self._bindings = bindings           # (rados, rbd); tests pass fakes

    @property
    def rados(self):
        return self.bindings[0]

    @property
    def rbd(self):
        return self.bindings[1]

    @property
    def bindings(self):
        if self._bindings is None:
            self._bindings = import_bindings()
        return self._bindings

    @contextlib.contextmanager
    def _client(self):
        """``(cluster, ioctx)`` connected for one operation."""
        kwargs = {'conffile': self.conf.rbd_ceph_conf, 'clustername': self.conf.rbd_cluster_name}
        if self.conf.rbd_user:
            kwargs['rados_id'] = self.conf.rbd_user
        cluster = self.rados.Rados(**kwargs)
        try:
            cluster.connect(timeout=self.conf.rbd_connect_timeout)
            ioctx = cluster.open_ioctx(self.conf.rbd_pool)
        except self.rados.Error as e:
            cluster.shutdown()
            raise DriverError(f'cannot reach RBD pool {self.conf.rbd_pool}: {e}') from e
        try:
            yield cluster, ioctx
        finally:
            ioctx.close()
            cluster.shutdown()

    @staticmethod
    def _name(volume):
        return f'volume-{base.check_id(volume["id"])}'

    @staticmethod
    def _snap(snapshot):
        return f'snapshot-{base.check_id(snapshot["id"], "snapshot")}'

    def _location(self, volume):
        return {'provider_location': f'{self.conf.rbd_pool}/{self._name(volume)}'}

    def _mon_json(self, cluster, prefix):
        ret, out, status = cluster.mon_command(json.dumps({'prefix': prefix,
                                                           'format': 'json'}), b'')
        if ret != 0:
            raise DriverError(f'ceph {prefix} failed ({ret}): {status}')
        return json.loads(out)

    # -- setup and capacity ------------------------------------------------

    def check_setup(self):
        _ = self.bindings
        base.require_binaries('qemu-img')
        with self._client():
            pass

    def get_capacity(self):
        with self._client() as (cluster, ioctx):
            total = free = None
            try:
                for pool in self._mon_json(cluster, 'df').get('pools', []):
                    if pool.get('name') == self.conf.rbd_pool:
                        stats = pool.get('stats', {})
                        free = stats.get('max_avail', 0)
                        total = stats.get('stored', stats.get('bytes_used', 0)) + free
            except DriverError:
                pass
            if total is None:
                stats = cluster.get_cluster_stats()
                total, free = stats['kb'] * 1024, stats['kb_avail'] * 1024
            provisioned = 0
            for name in self.rbd.RBD().list(ioctx):
                with contextlib.suppress(self.rbd.ImageNotFound):
                    with self.rbd.Image(ioctx, name, read_only=True) as image:
                        provisioned += image.size()
        return {'total_gb': total / base.GiB, 'free_gb': free / base.GiB,
                'provisioned_gb': provisioned / base.GiB, 'thin': True}

    # -- volumes -----------------------------------------------------------

    def create_volume(self, volume):
        size = base.size_bytes(volume)
        with self._client() as (_cluster, ioctx):
            self.rbd.RBD().create(ioctx, self._name(volume), size, old_format=False,
                                  features=self.rbd.RBD_FEATURE_LAYERING)
        return self._location(volume)

    def _rbd_target(self, volume):
        """qemu's ``rbd:`` filename of the volume (':' and '\\' escaped)."""
        def esc(v):
            return str(v).replace('\\', '\\\\').replace(':', '\\:')
        target = f'rbd:{esc(self.conf.rbd_pool)}/{self._name(volume)}'
        if self.conf.rbd_user:
            target += f':id={esc(self.conf.rbd_user)}'
        return target + f':conf={esc(self.conf.rbd_ceph_conf)}'

    def create_volume_from_image(self, volume, image_path, image_format):
        image_format = base.qemu_format(image_format)
        file.check_image(lambda *a, **kw: self._execute(['qemu-img', *a], **kw),
                         image_path, image_format, base.size_bytes(volume))
        update = self.create_volume(volume)
        try:
            self._execute(['qemu-img', 'convert', '-n', '-f', image_format, '-O', 'raw',
                           image_path, self._rbd_target(volume)], timeout=3600)
        except BaseException:
            with contextlib.suppress(DriverError):
                self.delete_volume(volume)
            raise
        return update

    def _grow(self, ioctx, name, size):
        with self.rbd.Image(ioctx, name) as image:
            if image.size() < size:
                image.resize(size)

    def create_volume_from_snapshot(self, volume, snapshot):
        size = base.size_bytes(volume)
        src = f'volume-{base.check_id(snapshot["volume_id"])}'
        with self._client() as (_cluster, ioctx):
            try:
                self.rbd.RBD().clone(ioctx, src, self._snap(snapshot), ioctx, self._name(volume),
                                     features=self.rbd.RBD_FEATURE_LAYERING)
            except self.rbd.ImageNotFound as e:
                raise VolumeNotFoundInDriver(f'snapshot {snapshot["id"]} is not in RBD') from e
            self._grow(ioctx, self._name(volume), size)
            if self.conf.rbd_flatten_volume_from_snapshot:
                with self.rbd.Image(ioctx, self._name(volume)) as image:
                    image.flatten()
        return self._location(volume)

    def create_cloned_volume(self, volume, src_volume):
        size = base.size_bytes(volume)
        src, snap = self._name(src_volume), f'clone-{base.check_id(volume["id"])}'
        with self._client() as (_cluster, ioctx):
            try:
                source = self.rbd.Image(ioctx, src)
            except self.rbd.ImageNotFound as e:
                raise VolumeNotFoundInDriver(f'volume {src_volume["id"]} is not in RBD') from e
            with source:
                source.create_snap(snap)
                try:
                    source.protect_snap(snap)
                    self.rbd.RBD().clone(ioctx, src, snap, ioctx, self._name(volume),
                                         features=self.rbd.RBD_FEATURE_LAYERING)
                    with self.rbd.Image(ioctx, self._name(volume)) as clone:
                        clone.flatten()
                        if clone.size() < size:
                            clone.resize(size)
                finally:
                    if source.is_protected_snap(snap):
                        source.unprotect_snap(snap)
                    source.remove_snap(snap)
        return self._location(volume)

    def delete_volume(self, volume):
        name = self._name(volume)
        with self._client() as (_cluster, ioctx):
            try:
                image = self.rbd.Image(ioctx, name)
            except self.rbd.ImageNotFound:
                return
            with image:
                for snap in list(image.list_snaps()):
                    if image.is_protected_snap(snap['name']):
                        with self.rbd.Image(ioctx, name, snapshot=snap['name'],
                                            read_only=True) as at:
                            if list(at.list_children()):
                                raise DriverError(
                                    f'volume {volume["id"]} has snapshot {snap["name"]} '
                                    'with volumes cloned from it')
                        image.unprotect_snap(snap['name'])
                    image.remove_snap(snap['name'])
            try:
                self.rbd.RBD().remove(ioctx, name)
            except self.rbd.ImageNotFound:
                return
            except (self.rbd.ImageBusy, self.rbd.ImageHasSnapshots) as e:
                raise DriverError(f'volume {volume["id"]} cannot be removed (in use or '
                                  f'has snapshots): {e}') from e

    def extend_volume(self, volume, new_size_gb):
        with self._client() as (_cluster, ioctx):
            try:
                self._grow(ioctx, self._name(volume), int(new_size_gb) * base.GiB)
            except self.rbd.ImageNotFound as e:
                raise VolumeNotFoundInDriver(f'volume {volume["id"]} is not in RBD') from e

    # -- snapshots ---------------------------------------------------------

    def create_snapshot(self, snapshot, volume, in_use=False):
        snap = self._snap(snapshot)
        with self._client() as (_cluster, ioctx):
            try:
                image = self.rbd.Image(ioctx, self._name(volume))
            except self.rbd.ImageNotFound as e:
                raise VolumeNotFoundInDriver(f'volume {volume["id"]} is not in RBD') from e
            with image:
                image.create_snap(snap)
                image.protect_snap(snap)
        return {'provider_location': f'{self.conf.rbd_pool}/{self._name(volume)}@{snap}'}

    def delete_snapshot(self, snapshot, volume):
        snap = self._snap(snapshot)
        name = f'volume-{base.check_id(snapshot["volume_id"])}'
        with self._client() as (cluster, ioctx):
            try:
                image = self.rbd.Image(ioctx, name)
            except self.rbd.ImageNotFound:
                return
            with image:
                if snap not in [s['name'] for s in image.list_snaps()]:
                    return
                if image.is_protected_snap(snap):
                    with self.rbd.Image(ioctx, name, snapshot=snap, read_only=True) as at:
                        children = list(at.list_children())
                    for pool, child in children:
                        child_ioctx = cluster.open_ioctx(pool)
                        try:
                            with self.rbd.Image(child_ioctx, child) as c:
                                c.flatten()
                        finally:
                            child_ioctx.close()
                    image.unprotect_snap(snap)
                image.remove_snap(snap)

    # -- attachments and data ------------------------------------------------

    def initialize_connection(self, volume, connector):
        with self._client() as (cluster, ioctx):
            try:
                self.rbd.Image(ioctx, self._name(volume), read_only=True).close()
            except self.rbd.ImageNotFound as e:
                raise VolumeNotFoundInDriver(f'volume {volume["id"]} is not in RBD') from e
            hosts, ports = self._monitors(cluster)
        return {'driver_volume_type': 'rbd',
                'data': {'name': f'{self.conf.rbd_pool}/{self._name(volume)}',
                         'hosts': hosts, 'ports': ports,
                         'cluster_name': self.conf.rbd_cluster_name,
                         'auth_enabled': bool(self.conf.rbd_user),
                         'auth_username': self.conf.rbd_user or None,
                         'secret_type': 'ceph', 'secret_uuid': self.conf.rbd_secret_uuid,
                         'volume_id': volume['id'], 'discard': True}}

    def _monitors(self, cluster):
        """The monitors' (v1) addresses, as libvirt's ``<host>`` list wants."""
        hosts, ports = [], []
        for mon in self._mon_json(cluster, 'mon dump').get('mons', []):
            addr = None
            for a in (mon.get('public_addrs') or {}).get('addrvec', []):
                if a.get('type') == 'v1':
                    addr = a.get('addr')
            addr = (addr or mon.get('addr') or '').split('/')[0]
            host, sep, port = addr.rpartition(':')
            if sep:
                hosts.append(host.strip('[]'))
                ports.append(port)
        return hosts, ports

    def terminate_connection(self, volume, connector):
        pass

    @contextlib.contextmanager
    def open_volume(self, volume, mode='rb'):
        if mode not in ('rb', 'r+b'):
            raise DriverError(f'open_volume mode must be rb or r+b, not {mode!r}')
        with self._client() as (_cluster, ioctx):
            try:
                image = self.rbd.Image(ioctx, self._name(volume), read_only=mode == 'rb')
            except self.rbd.ImageNotFound as e:
                raise VolumeNotFoundInDriver(f'volume {volume["id"]} is not in RBD') from e
            with image:
                f = RBDFile(image, mode == 'r+b')
                try:
                    yield f
                finally:
                    f.close()
