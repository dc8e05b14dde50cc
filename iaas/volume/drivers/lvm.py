"""The ``lvm`` backend: LVM thin volumes exported by tgt (iSCSI).

Volumes are thin LVs ``<volume_group>/volume-<id>`` in the thin pool
``<volume_group>/<thin_pool>`` (``lvcreate -T VG/POOL -V Ng``); snapshots
are thin snapshots ``snapshot-<id>`` (``lvcreate -kn -s``: no activation
skip, so they are usable at once), and volumes from a snapshot or a volume
are thin snapshots of it grown with ``lvextend`` (instant, copy-on-write;
thin snapshots do not depend on their origin staying, so any of them can
be deleted in any order). Capacity is the pool's (``lvs``): its size, what
its data does not fill, and the sum of the thin volumes' sizes.

Every LVM command and the copy of an image into a volume run as root
through ``iaas.privileged.volume.execute`` (allow-listed argv). An image
that is not raw, or not under ``state_path``, is first converted (as the
service's user) into a raw file under ``image_conversion_dir``; the
privileged copy reads raw data only, so no image header can make root read
another file.

Exports are tgt targets as for the iscsi backend (:mod:`iaas.volume.drivers.tgt`).

*Limits:* ``open_volume`` opens ``/dev/VG/volume-<id>`` as the service's
user: it needs read/write access to the LV device nodes (root, or a udev
rule for the iaas user). There is no device-mapper on the development
machines, so this backend is tested at the command level only.
"""
import contextlib
import os
import tempfile

from oslo_config import cfg

from iaas.conf import CONF
from iaas.volume.drivers import base, file, tgt
from iaas.volume.drivers.base import DriverError

lvm_opts = [
    cfg.StrOpt('volume_group', default='iaas-volumes',
               help='LVM volume group holding the thin pool.'),
    cfg.StrOpt('thin_pool', default='iaas-pool',
               help='Thin pool (an LV of volume_group) the volumes are made in.'),
    cfg.StrOpt('image_conversion_dir', default='$state_path/volume-conversion',
               help='Where images that are not raw are converted before the copy '
                    'into a volume (must be under state_path).'),
]

REPORT = ['--noheadings', '--units', 'g', '--nosuffix', '--separator', '|', '-o']


def _float(value):
    try:
        return float(value.strip() or 0)
    except ValueError:
        return 0.0


class LVMDriver(tgt.TgtExports, base.VolumeDriver):
    protocol = 'iscsi'
    options = lvm_opts + tgt.tgt_opts

    @property
    def vg(self):
        return self.conf.volume_group

    def _lv(self, name):
        return f'{self.vg}/{name}'

    def _volume_lv(self, volume):
        return f'volume-{base.check_id(volume["id"])}'

    def _snapshot_lv(self, snapshot):
        return f'snapshot-{base.check_id(snapshot["id"], "snapshot")}'

    def _root(self, argv, timeout=600):
        return self._execute(argv, root=True, timeout=timeout)

    def _lvs(self):
        """``{lv name: {'size': GiB, 'data_percent': float, 'pool': str}}``."""
        out = self._root(['lvs', *REPORT, 'lv_name,lv_size,data_percent,pool_lv', self.vg])
        lvs = {}
        for line in out.splitlines():
            parts = [p.strip() for p in line.split('|')]
            if len(parts) >= 4 and parts[0]:
                lvs[parts[0]] = {'size': _float(parts[1]), 'data_percent': _float(parts[2]),
                                 'pool': parts[3]}
        return lvs

    def export_path(self, volume):
        return f'/dev/{self.vg}/{self._volume_lv(volume)}'

    def local_path(self, volume):
        return self.export_path(volume)

    # -- setup and capacity ------------------------------------------------

    def check_setup(self):
        base.require_binaries('lvcreate', 'lvs', 'vgs', 'qemu-img')
        rc, _out, err = self._execute(['vgs', *REPORT, 'vg_name,vg_size,vg_free', self.vg],
                                      root=True, timeout=60, check=False)
        if rc != 0:
            raise DriverError(f'volume group {self.vg} is missing: {err.strip()[:200]}')
        if self.conf.thin_pool not in self._lvs():
            raise DriverError(f'thin pool {self.vg}/{self.conf.thin_pool} is missing')
        self.check_tgt()
        self.restore_exports()

    def get_capacity(self):
        lvs = self._lvs()
        pool = lvs.get(self.conf.thin_pool)
        if pool is None:
            raise DriverError(f'thin pool {self.vg}/{self.conf.thin_pool} is missing')
        provisioned = sum(lv['size'] for name, lv in lvs.items()
                          if lv['pool'] == self.conf.thin_pool and name.startswith('volume-'))
        return {'total_gb': pool['size'],
                'free_gb': pool['size'] * (1 - pool['data_percent'] / 100.0),
                'provisioned_gb': provisioned, 'thin': True}

    # -- volumes -----------------------------------------------------------

    def create_volume(self, volume):
        base.size_bytes(volume)
        self._root(['lvcreate', '-T', self._lv(self.conf.thin_pool), '-V',
                    f'{volume["size"]}g', '-n', self._volume_lv(volume)])
        return {'provider_location': self._lv(self._volume_lv(volume))}

    def _thin_copy(self, volume, source_lv, source_size):
        """The new volume as a thin snapshot of ``source_lv``, grown."""
        base.size_bytes(volume)
        if volume['size'] < source_size:
            raise DriverError(f'volume of {volume["size"]} GiB is smaller than its source '
                              f'({source_size} GiB)')
        name = self._volume_lv(volume)
        self._root(['lvcreate', '-kn', '-s', '-n', name, self._lv(source_lv)])
        if volume['size'] > source_size:
            self._root(['lvextend', '-L', f'{volume["size"]}g', self._lv(name)])
        return {'provider_location': self._lv(name)}

    def create_volume_from_snapshot(self, volume, snapshot):
        return self._thin_copy(volume, self._snapshot_lv(snapshot),
                               snapshot.get('volume_size') or volume['size'])

    def create_cloned_volume(self, volume, src_volume):
        return self._thin_copy(volume, self._volume_lv(src_volume), src_volume['size'])

    def create_volume_from_image(self, volume, image_path, image_format):
        image_format = base.qemu_format(image_format)
        size = base.size_bytes(volume)
        file.check_image(lambda *a, **kw: self._execute(['qemu-img', *a], **kw),
                         image_path, image_format, size)
        self.create_volume(volume)
        dev = self.export_path(volume)
        try:
            top = os.path.realpath(CONF.state_path)     # what the allow-list checks
            if image_format == 'raw' and os.path.realpath(image_path).startswith(top + os.sep):
                self._copy_raw(image_path, dev)
            else:
                os.makedirs(self.conf.image_conversion_dir, exist_ok=True)
                fd, tmp = tempfile.mkstemp(prefix='image-', dir=self.conf.image_conversion_dir)
                os.close(fd)
                try:
                    self._execute(['qemu-img', 'convert', '-f', image_format, '-O', 'raw',
                                   image_path, tmp], timeout=3600)
                    self._copy_raw(tmp, dev)
                finally:
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(tmp)
        except BaseException:
            with contextlib.suppress(DriverError):
                self.delete_volume(volume)
            raise
        return {'provider_location': self._lv(self._volume_lv(volume))}

    def _copy_raw(self, src, dev):
        self._root(['qemu-img', 'convert', '-f', 'raw', '-O', 'raw', '-n', src, dev],
                   timeout=3600)

    def delete_volume(self, volume):
        name = self._volume_lv(volume)
        self.remove_export(volume)
        if name in self._lvs():
            self._root(['lvremove', '-f', self._lv(name)])

    def extend_volume(self, volume, new_size_gb):
        name = self._volume_lv(volume)
        if name not in self._lvs():
            raise base.VolumeNotFoundInDriver(f'volume {volume["id"]} has no LV')
        self._root(['lvextend', '-L', f'{int(new_size_gb)}g', self._lv(name)])

    # -- snapshots ---------------------------------------------------------

    def create_snapshot(self, snapshot, volume, in_use=False):
        name = self._snapshot_lv(snapshot)
        self._root(['lvcreate', '-kn', '-s', '-n', name, self._lv(self._volume_lv(volume))])
        return {'provider_location': self._lv(name)}

    def delete_snapshot(self, snapshot, volume):
        name = self._snapshot_lv(snapshot)
        if name in self._lvs():
            self._root(['lvremove', '-f', self._lv(name)])

    # -- data --------------------------------------------------------------

    @contextlib.contextmanager
    def open_volume(self, volume, mode='rb'):
        if mode not in ('rb', 'r+b'):
            raise DriverError(f'open_volume mode must be rb or r+b, not {mode!r}')
        try:
            f = open(self.export_path(volume), mode)
        except FileNotFoundError:
            raise base.VolumeNotFoundInDriver(f'volume {volume["id"]} has no LV') from None
        except PermissionError as e:
            raise DriverError(f'no access to {self.export_path(volume)}: {e}') from e
        try:
            yield f
        finally:
            f.close()
