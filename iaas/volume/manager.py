"""The iaas-volume RPC endpoint: runs volume, snapshot and export operations
on this host's backends.

iaas-volume holds no database credentials: it reads and writes shared state
only through iaas-conductor (signed as a ``volume`` host, acting only on the
volumes placed on its backends). Each operation ends its status with a
compare-and-swap from the transitional status the API set (the outcomes of
:mod:`iaas.volume.states`); a delete that happened meanwhile makes the
swap fail and the work is undone. Drivers (``iaas/volume/drivers``) are
chosen per backend (``[volume] enabled_backends``, ``[backend_<name>]
volume_driver``) and never see the database or the bus.
"""
import concurrent.futures
import logging
import os
import subprocess
import tempfile

from iaas import manager, rpc
from iaas.common import plugins, qos
from iaas.compute import rpcapi as compute_rpcapi
from iaas.conductor import rpcapi as conductor_rpcapi
from iaas.conf import CONF
from iaas.conf import volume as volume_conf
from iaas.context import get_admin_context
from iaas.exception import SnapshotNotFound, VolumeNotFound, VolumeStatusError
from iaas.image import fetch as image_fetch
from iaas.image import upload as image_upload
from iaas.volume import backups, migration_ops, states
from iaas.volume.drivers import base as drivers_base
from iaas.volume.drivers import file as file_driver
from iaas.volume.drivers.base import VolumeBusy

LOG = logging.getLogger(__name__)
GROUP = 'iaas.volume.drivers'
GONE_OR_CHANGED = (VolumeNotFound, SnapshotNotFound, VolumeStatusError)
UPLOAD_CHUNK = 4 << 20


def _qemu_img(*args, timeout=120):
    return subprocess.run(['qemu-img', *args], check=True, capture_output=True, text=True,
                          timeout=timeout).stdout


def _image_meta(image_id, image):
    """A volume's ``volume_image_metadata`` from the image it was made from."""
    meta = {k: str(image[k]) for k in ('disk_format', 'container_format', 'min_ram',
                                       'min_disk', 'size', 'checksum')
            if image.get(k) is not None}
    meta.update({'image_id': image_id, 'image_name': str(image.get('name') or '')})
    return meta


def backend_conf(name):
    """(driver short name, option group view) of backend ``name``."""
    view = volume_conf.register_backend(CONF, name)
    driver_name = view.volume_driver or name
    cls = plugins.load(GROUP, driver_name, f'[backend_{name}] volume_driver')
    view = volume_conf.register_backend(CONF, name, cls.options)
    return driver_name, cls, view


def load_backends(host):
    """{backend name: (driver short name, driver, its option group view)}."""
    out = {}
    for name in CONF.volume.enabled_backends:
        driver_name, cls, view = backend_conf(name)
        out[name] = (driver_name, cls(name, view, host), view)
    return out


class VolumeManager(backups.BackupOps, migration_ops.MigrationOps, manager.Manager):
    service_name = 'iaas-volume'
    # holds no database credentials: state through the conductor, as a volume host
    conductor_role = 'volume'

    def __init__(self, host, backends=None):
        super().__init__(host)
        self.backends = backends if backends is not None else load_backends(host)
        self.conductor = conductor_rpcapi.ConductorAPI(self.conductor_role, host)
        self.compute = compute_rpcapi.ComputeAPI()
        self._pool = concurrent.futures.ThreadPoolExecutor(
            8, thread_name_prefix='volume-op')

    # -- lifecycle ---------------------------------------------------------------
    def init_host(self):
        for _, driver, _ in self.backends.values():
            driver.check_setup()
        ctx = get_admin_context()
        self.report_capacity(ctx)
        # Operations this host was running when it stopped cannot finish now.
        for vol in self.conductor.volumes_on_host(ctx):
            name = states.op_running('volume', vol['status'])
            if name == 'delete':
                self._run(self._delete, ctx, vol['uuid'])
                continue
            outcome = states.outcome(states.op('volume', name), 'failure',
                                     vol['previous_status']) if name else None
            self._swap(ctx, vol['uuid'], vol['status'], outcome or states.ERROR,
                       fault='volume service restarted during the operation')

    def cleanup_host(self):
        self._pool.shutdown(wait=True, cancel_futures=False)

    @manager.periodic_task(spacing=lambda: CONF.volume.capacity_report_interval)
    def report_capacity(self, context):
        for name, (driver_name, driver, view) in self.backends.items():
            try:
                cap = driver.get_capacity()
            except Exception:
                LOG.exception('backend %s: capacity unknown', name)
                continue
            self.conductor.volume_backend_report(
                context, name, driver_name, driver.protocol,
                view.availability_zone or CONF.compute.default_availability_zone, cap,
                view.max_over_subscription_ratio, view.reserved_percentage)

    # -- helpers -----------------------------------------------------------------
    def _driver(self, volume):
        backend = (volume.get('host') or '').split('@', 1)[-1]
        try:
            return self.backends[backend][1]
        except KeyError:
            raise VolumeNotFound(volume.get('uuid')) from None

    def _swap(self, context, volume_id, expected, status, **values):
        """Compare-and-swap through the conductor; None when the volume is
        gone or no longer ``expected``."""
        try:
            return self.conductor.volume_update(context, volume_id, expected, status,
                                                **values)
        except GONE_OR_CHANGED:
            return None

    @staticmethod
    def _plain(volume):
        return {k: volume.get(k) for k in ('uuid', 'size', 'host', 'provider_location',
                                          'display_name', 'multiattach')} | \
            {'id': volume['uuid']}

    # -- create ------------------------------------------------------------------
    @rpc.expose
    def create_volume(self, context, volume, source):
        self._run(self._create, context, volume, source or {})

    def _create(self, context, volume, source):
        vid = volume['uuid']
        if source.get('backup_id'):
            self._restore_backup(context, source['backup_id'], vid, new_volume=True)
            return
        driver = self._driver(volume)
        plain = self._plain(volume)
        values = {}
        try:
            if source.get('snapshot'):
                update = driver.create_volume_from_snapshot(plain, self._snap(source['snapshot']))
            elif source.get('volume'):
                update = driver.create_cloned_volume(plain, self._plain(source['volume']))
            elif source.get('image_id'):
                update, values = self._from_image(driver, plain, source['image_id'])
            else:
                update = driver.create_volume(plain)
        except Exception as exc:
            LOG.exception('volume %s: create failed', vid)
            self._swap(context, vid, states.CREATING, states.ERROR,
                       fault=f'create failed: {str(exc)[:500]}')
            return
        values.update(update or {})
        if self._swap(context, vid, states.CREATING, states.AVAILABLE, **values) is None:
            # deleted while it was being made: drop what was made
            LOG.info('volume %s: deleted during its creation', vid)
            try:
                driver.delete_volume(plain)
            except Exception:
                LOG.exception('volume %s: cleanup failed', vid)

    @staticmethod
    def _snap(snapshot):
        return {'id': snapshot['uuid'], 'volume_id': snapshot['volume_id'],
                'volume_size': snapshot['volume_size'],
                'provider_location': snapshot.get('provider_location')}

    def _from_image(self, driver, plain, image_id):
        workdir = CONF.volume.image_conversion_dir
        os.makedirs(workdir, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=workdir) as tmp:
            path = os.path.join(tmp, 'image')
            image = image_fetch.fetch_as_service(image_id, path)
            fmt = image.get('disk_format') or 'raw'
            update = driver.create_volume_from_image(plain, path, fmt)
        return update, {'bootable': True, 'image_metadata': _image_meta(image_id, image)}

    # -- reimage (the root volume of a server rebuilt at compute 2.93+) ------------
    @rpc.expose
    def reimage_volume(self, context, volume_id, image_id):
        """Overwrite the volume (``downloading``; its guest is off) with the
        image's data from offset 0; back to its previous status, or ``error``
        and the caller hears why."""
        volume = self.conductor.volume_get(context, volume_id)
        if volume['status'] != states.DOWNLOADING:
            raise VolumeStatusError(f'volume {volume_id} is {volume["status"]}, '
                                    f'not {states.DOWNLOADING}')
        try:
            meta = self._write_image(self._driver(volume), self._plain(volume), image_id)
        except Exception as exc:
            LOG.exception('volume %s: reimage failed', volume_id)
            self._swap(context, volume_id, states.DOWNLOADING, states.ERROR,
                       fault=f'reimage failed: {str(exc)[:500]}')
            raise
        back = volume['previous_status'] or states.AVAILABLE
        if self._swap(context, volume_id, states.DOWNLOADING, back, bootable=True,
                      image_metadata=meta) is None:
            raise VolumeStatusError(f'volume {volume_id} changed during its reimage')

    @staticmethod
    def _write_image(driver, plain, image_id):
        workdir = CONF.volume.image_conversion_dir
        os.makedirs(workdir, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=workdir) as tmp:
            path = os.path.join(tmp, 'image')
            image = image_fetch.fetch_as_service(image_id, path)
            fmt = drivers_base.qemu_format(image.get('disk_format') or 'raw')
            file_driver.check_image(_qemu_img, path, fmt, drivers_base.size_bytes(plain))
            if fmt != 'raw':
                _qemu_img('convert', '-f', fmt, '-O', 'raw', path, path + '.raw', timeout=3600)
                path += '.raw'
            with open(path, 'rb') as src, driver.open_volume(plain, 'r+b') as dst:
                for chunk in iter(lambda: src.read(UPLOAD_CHUNK), b''):
                    dst.write(chunk)
        return _image_meta(image_id, image)

    # -- delete / extend -----------------------------------------------------------
    @rpc.expose
    def delete_volume(self, context, volume_id):
        self._run(self._delete, context, volume_id)

    def _delete(self, context, volume_id):
        try:
            volume = self.conductor.volume_get(context, volume_id)
        except VolumeNotFound:
            return
        try:
            for snap in self.conductor.volume_snapshots(context, volume_id):
                # a cascade delete: the snapshots (all 'deleting') go first
                self._delete_snapshot(context, snap['uuid'])
            self._driver(volume).delete_volume(self._plain(volume))
        except Exception as exc:
            LOG.exception('volume %s: delete failed', volume_id)
            self._swap(context, volume_id, states.DELETING, states.ERROR_DELETING,
                       fault=f'delete failed: {str(exc)[:500]}')
            return
        try:
            self.conductor.volume_destroyed(context, volume_id)
        except GONE_OR_CHANGED:
            pass

    @rpc.expose
    def extend_volume(self, context, volume_id, new_size):
        self._run(self._extend, context, volume_id, new_size)

    def _extend(self, context, volume_id, new_size):
        try:
            volume = self.conductor.volume_get(context, volume_id)
            self._driver(volume).extend_volume(self._plain(volume), new_size)
        except VolumeNotFound:
            return
        except VolumeBusy:
            attached = [a for a in volume.get('attachments') or ()
                        if a['attach_status'] == 'attached' and a['attached_host']]
            if len(attached) == 1:
                # the guest's qemu holds the image: its host grows it and
                # ends the extend through the conductor
                att = attached[0]
                self.compute.extend_volume(context, att['attached_host'],
                                           att['instance_uuid'], volume_id, new_size,
                                           report=True)
                return
            self._swap(context, volume_id, states.EXTENDING, states.ERROR_EXTENDING,
                       fault='extend failed: the volume is held by more than one guest')
            return
        except Exception as exc:
            LOG.exception('volume %s: extend failed', volume_id)
            self._swap(context, volume_id, states.EXTENDING, states.ERROR_EXTENDING,
                       fault=f'extend failed: {str(exc)[:500]}')
            return
        back = volume['previous_status'] or states.AVAILABLE
        if self._swap(context, volume_id, states.EXTENDING, back) is None:
            return
        for att in volume.get('attachments') or ():
            if att['attach_status'] == 'attached' and att['attached_host']:
                # the guest sees the new size (Nova's extend_volume event)
                self.compute.extend_volume(context, att['attached_host'],
                                           att['instance_uuid'], volume_id, new_size)

    # -- upload to image ---------------------------------------------------------
    @rpc.expose
    def upload_to_image(self, context, volume_id, image_id, disk_format):
        self._run(self._upload, context, volume_id, image_id, disk_format)

    def _upload(self, context, volume_id, image_id, disk_format):
        try:
            volume = self.conductor.volume_get(context, volume_id)
        except VolumeNotFound:
            image_upload.discard(image_id)
            return
        back = volume['previous_status'] or states.AVAILABLE
        driver = self._driver(volume)
        plain = self._plain(volume)
        try:
            upload = image_upload.uploader(image_id)
            if disk_format == 'raw':
                with driver.open_volume(plain, 'rb') as f:
                    upload(iter(lambda: f.read(UPLOAD_CHUNK), b''), 'raw')
            else:
                self._upload_converted(driver, plain, upload, disk_format)
        except Exception as exc:
            LOG.exception('upload of volume %s to image %s failed', volume_id, image_id)
            image_upload.discard(image_id)
            self._swap(context, volume_id, states.UPLOADING, back,
                       fault=f'upload to image failed: {str(exc)[:400]}')
            return
        self._swap(context, volume_id, states.UPLOADING, back)

    @staticmethod
    def _upload_converted(driver, plain, upload, disk_format):
        """qemu-img convert of the volume's raw bytes to ``disk_format`` in a
        work file, then streamed."""
        workdir = CONF.volume.image_conversion_dir
        os.makedirs(workdir, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=workdir) as tmp:
            raw, out = os.path.join(tmp, 'raw'), os.path.join(tmp, 'out')
            with driver.open_volume(plain, 'rb') as f, open(raw, 'wb') as w:
                for chunk in iter(lambda: f.read(UPLOAD_CHUNK), b''):
                    if chunk.count(0) == len(chunk):
                        w.seek(len(chunk), os.SEEK_CUR)     # keep it sparse
                    else:
                        w.write(chunk)
                w.truncate()
            subprocess.run(['qemu-img', 'convert', '-f', 'raw', '-O', disk_format, raw, out],
                           check=True, capture_output=True, timeout=3600)
            with open(out, 'rb') as f:
                upload(iter(lambda: f.read(UPLOAD_CHUNK), b''), disk_format)

    # -- snapshots -----------------------------------------------------------------
    @rpc.expose
    def create_snapshot(self, context, snapshot_id, force=False):
        self._run(self._create_snapshot, context, snapshot_id, force)

    def _create_snapshot(self, context, snapshot_id, force):
        try:
            snap = self.conductor.snapshot_get(context, snapshot_id)
            volume = self.conductor.volume_get(context, snap['volume_id'])
        except GONE_OR_CHANGED:
            return
        try:
            update = self._driver(volume).create_snapshot(
                self._snap(snap), self._plain(volume),
                in_use=volume['status'] == states.IN_USE)
        except Exception as exc:
            LOG.exception('snapshot %s: create failed', snapshot_id)
            self._snapshot_swap(context, snapshot_id, 'creating', 'error',
                                fault=f'create failed: {str(exc)[:500]}')
            return
        self._snapshot_swap(context, snapshot_id, 'creating', 'available', progress='100%',
                            **(update or {}))

    def _snapshot_swap(self, context, snapshot_id, expected, status, **values):
        try:
            return self.conductor.snapshot_update(context, snapshot_id, expected, status,
                                                  **values)
        except GONE_OR_CHANGED:
            return None

    @rpc.expose
    def delete_snapshot(self, context, snapshot_id):
        self._run(self._delete_snapshot, context, snapshot_id)

    def _delete_snapshot(self, context, snapshot_id):
        try:
            snap = self.conductor.snapshot_get(context, snapshot_id)
            volume = self.conductor.volume_get(context, snap['volume_id'])
        except GONE_OR_CHANGED:
            return
        try:
            self._driver(volume).delete_snapshot(self._snap(snap), self._plain(volume))
        except Exception as exc:
            LOG.exception('snapshot %s: delete failed', snapshot_id)
            self._snapshot_swap(context, snapshot_id, 'deleting', 'error_deleting',
                                fault=f'delete failed: {str(exc)[:500]}')
            return
        try:
            self.conductor.snapshot_destroyed(context, snapshot_id)
        except GONE_OR_CHANGED:
            pass

    # -- exports -------------------------------------------------------------------
    @rpc.expose
    def initialize_connection(self, context, volume_id, connector):
        volume = self.conductor.volume_get(context, volume_id)
        info = self._driver(volume).initialize_connection(self._plain(volume), connector)
        if volume.get('multiattach'):
            data = info.setdefault('data', {})
            if str(data.get('format') or 'raw') != 'raw':
                # two writers of one qcow2 image corrupt its metadata
                raise drivers_base.DriverError(
                    f'volume {volume_id} is multiattach but stored as {data["format"]}; '
                    f'only raw volumes can be written by several guests')
            data['multiattach'] = True
        # the front-end QoS of the volume's type (None without): the
        # hypervisor enforces it, as Cinder's connection_info says
        consumer, specs = volume.get('qos') or (None, None)
        info.setdefault('data', {})['qos_specs'] = qos.front_end(consumer, specs,
                                                                 volume.get('size'))
        return info

    @rpc.expose
    def terminate_connection(self, context, volume_id, connector):
        volume = self.conductor.volume_get(context, volume_id)
        self._driver(volume).terminate_connection(self._plain(volume), connector)
