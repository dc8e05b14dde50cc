"""The compute host's side of block storage: plug volumes into guests and
unplug them (Nova's ``attach_volume``/``detach_volume``).

The host asks the volume's host for an export to itself
(``initialize_connection`` with this host's connector), gives the
connection_info to the virt driver, and ends the attachment through the
conductor (``attachment_complete``/``attachment_failed``…), which swaps the
volume's and the attachment's statuses in one transaction. Mixed into
:class:`iaas.compute.manager.ComputeManager`; like it, it holds no database
credentials.
"""
import logging
import time

from iaas import rpc
from iaas.conf import CONF
from iaas.exception import AttachmentNotFound, VolumeNotFound, VolumeStatusError
from iaas.volume import rpcapi as volume_rpcapi

LOG = logging.getLogger(__name__)
GiB = 1 << 30
VOLUME_GONE = (AttachmentNotFound, VolumeNotFound, VolumeStatusError)


def connector(host):
    """This host as a volume backend sees it (Cinder's connector)."""
    return {'host': host, 'ip': CONF.my_ip, 'initiator': f'iqn.2010-10.org.iaas:{host}',
            'multipath': False, 'platform': 'x86_64', 'os_type': 'linux'}


class VolumeOps:
    """Needs ``self.driver``, ``self.conductor``, ``self.host``, ``self._lock``,
    ``self._get`` and ``self._run`` of the compute manager."""

    @property
    def volume_api(self):
        api = getattr(self, '_volume_api', None)
        if api is None:
            api = self._volume_api = volume_rpcapi.VolumeAPI()
        return api

    @rpc.expose
    def attach_volume(self, context, instance_uuid, volume_id, volume_host, attachment_id,
                      device):
        self._run(self._attach_volume, context, instance_uuid, volume_id, volume_host,
                  attachment_id, device)

    def _attach_volume(self, context, instance_uuid, volume_id, volume_host, attachment_id,
                       device):
        conn = connector(self.host)
        with self._lock(instance_uuid):
            inst = self._get(context, instance_uuid)
            info = None
            try:
                if inst is None:
                    raise VolumeNotFound(volume_id, 'Server of volume')
                info = self.volume_api.initialize_connection(context, volume_host, volume_id,
                                                             conn)
                used = self.driver.attach_volume(context, inst, info, mountpoint=device,
                                                 serial=volume_id)
                self.conductor.attachment_complete(context, attachment_id, info, conn,
                                                   f'/dev/{used}' if used and '/' not in used
                                                   else used or device)
                LOG.info('volume %s attached to %s as %s', volume_id, instance_uuid, used)
            except Exception:
                LOG.exception('attaching volume %s to %s failed', volume_id, instance_uuid)
                self._undo_attach(context, inst, info, volume_id, volume_host, conn, device)
                try:
                    self.conductor.attachment_failed(context, attachment_id)
                except VOLUME_GONE:
                    pass

    def _undo_attach(self, context, inst, info, volume_id, volume_host, conn, device):
        if info is None:
            return
        if inst is not None:
            try:
                self.driver.detach_volume(context, inst, info, device, serial=volume_id)
            except Exception:
                LOG.debug('nothing to unplug for volume %s', volume_id, exc_info=True)
        try:
            self.volume_api.terminate_connection(context, volume_host, volume_id, conn)
        except Exception:
            LOG.exception('removing the export of volume %s failed', volume_id)

    @rpc.expose
    def detach_volume(self, context, instance_uuid, attachment):
        self._run(self._detach_volume, context, instance_uuid, attachment)

    def _detach_volume(self, context, instance_uuid, attachment):
        volume_id, att_id = attachment['volume_id'], attachment['uuid']
        with self._lock(instance_uuid):
            inst = self._get(context, instance_uuid)
            try:
                if inst is not None:
                    self.driver.detach_volume(context, inst, attachment['connection_info'],
                                              attachment['mountpoint'], serial=volume_id)
            except Exception:
                LOG.exception('detaching volume %s from %s failed', volume_id, instance_uuid)
                try:
                    self.conductor.detach_failed(context, att_id)
                except VOLUME_GONE:
                    pass
                return
            self._release_export(context, attachment)
            try:
                self.conductor.detach_complete(context, att_id)
            except VOLUME_GONE:
                pass
            LOG.info('volume %s detached from %s', volume_id, instance_uuid)

    def _release_export(self, context, attachment):
        try:
            self.volume_api.terminate_connection(
                context, attachment['volume_host'], attachment['volume_id'],
                attachment.get('connector') or connector(self.host))
        except Exception:
            LOG.exception('removing the export of volume %s failed', attachment['volume_id'])

    def release_volumes(self, context, instance_uuid):
        """After a guest is destroyed: drop its volumes' exports and free
        them (deleting those marked delete_on_termination)."""
        try:
            atts = self.conductor.instance_volumes(context, instance_uuid)
        except Exception:
            LOG.exception('reading the volumes of %s failed', instance_uuid)
            return
        if not atts:
            return
        for att in atts:
            if att.get('connection_info'):
                self._release_export(context, att)
        self.conductor.instance_volumes_released(context, instance_uuid)

    # -- boot from volume --------------------------------------------------------
    def prepare_boot_volumes(self, context, inst):
        """Wait (deadline ``[compute] block_device_wait_timeout``) until the
        server's volumes are made, export each to this host, and return the
        driver's ``block_device_info``."""
        uuid = inst['uuid']
        deadline = time.monotonic() + CONF.compute.block_device_wait_timeout
        while True:
            atts = self.conductor.boot_volumes_reserve(context, uuid)
            if atts is not None:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f'the volumes of {uuid} were not made within '
                                   f'{CONF.compute.block_device_wait_timeout} s')
            time.sleep(0.5)
        return self.export_volumes(context, atts)

    def export_volumes(self, context, atts):
        """Export the attachment records ``atts`` to this host: the driver's
        ``block_device_info`` (on a failure, the exports made are withdrawn)."""
        conn = connector(self.host)
        mappings = []
        try:
            for att in atts:
                info = self.volume_api.initialize_connection(context, att['volume_host'],
                                                             att['volume_id'], conn)
                mappings.append({'connection_info': info, 'mount_device': att['mountpoint'],
                                 'boot_index': att.get('boot_index'),
                                 'serial': att['volume_id'],
                                 'delete_on_termination': att['delete_on_termination'],
                                 'attachment_id': att['uuid'],
                                 'volume_host': att['volume_host'], 'connector': conn})
        except Exception:
            self.undo_boot_volumes(context, {'block_device_mapping': mappings})
            raise
        return {'root_device_name': '/dev/vda', 'block_device_mapping': mappings}

    def complete_boot_volumes(self, context, block_device_info):
        for m in block_device_info['block_device_mapping']:
            try:
                self.conductor.attachment_complete(context, m['attachment_id'],
                                                   m['connection_info'], m['connector'],
                                                   m['mount_device'])
            except VOLUME_GONE:
                LOG.warning('boot volume %s changed during the build', m['serial'])

    def undo_boot_volumes(self, context, block_device_info):
        """A failed build: withdraw the exports (the records stay reserved
        for a reschedule, or for the server's delete)."""
        for m in (block_device_info or {}).get('block_device_mapping') or ():
            self._release_export(context, {'volume_host': m['volume_host'],
                                           'volume_id': m['serial'],
                                           'connector': m['connector']})

    @rpc.expose
    def extend_volume(self, context, instance_uuid, volume_id, new_size, report=False):
        self._run(self._extend_volume, context, instance_uuid, volume_id, new_size, report)

    def _extend_volume(self, context, instance_uuid, volume_id, new_size, report=False):
        with self._lock(instance_uuid):
            error = None
            try:
                inst = self._get(context, instance_uuid)
                if inst is None:
                    raise VolumeNotFound(volume_id, 'Server of volume')
                for att in self.conductor.instance_volumes(context, instance_uuid):
                    if att['volume_id'] == volume_id and att.get('connection_info'):
                        self.driver.extend_volume(context, inst, att['connection_info'],
                                                  new_size * GiB, serial=volume_id)
                        break
                else:
                    raise VolumeNotFound(volume_id, 'Attachment of volume')
            except Exception as exc:
                LOG.exception('growing volume %s of %s failed', volume_id, instance_uuid)
                error = str(exc)[:400]
            if report:
                try:
                    self.conductor.attached_volume_extended(context, instance_uuid, volume_id,
                                                            error)
                except VOLUME_GONE:
                    pass
