"""Volume attachments of servers in the API process (Nova's
``os-volume_attachments``): checks, the reservation, the cast.

Attaching reserves the volume (a compare-and-swap from ``available``, or
from ``in-use`` for a multiattach volume) and adds its attachment record
with the device name in one transaction, then casts to the server's host,
which plugs the disk in and completes the attachment through the
conductor. The server must be the caller's (404 otherwise) and the volume
visible to the caller (the volume service's rule: another project's is
"not found").
"""
from iaas import states
from iaas.compute import policies as P
from iaas.compute.api import API as ComputeAPI
from iaas.compute.api import ComputeError, Conflict, NotFound
from iaas.compute.virt import driver as virt_driver
from iaas.db import volumes as db_volumes
from iaas.exception import VolumeNotFound, VolumeStatusError
from iaas.volume import api as volume_api
from iaas.volume import states as volume_states

# Nova: attach/detach only while no task runs and the server is in one of these
ATTACH_VM_STATES = (states.ACTIVE, states.PAUSED, states.STOPPED, states.RESIZED,
                    states.SUSPENDED)
# ... and, from microversion 2.20, a shelved or shelved-offloaded one (an
# offloaded server has no host: the attachment is recorded, and its unshelve
# exports the volume to the host it lands on)
SHELVED_VM_STATES = (states.SHELVED, states.SHELVED_OFFLOADED)


class VolumeAttachments:
    def __init__(self, compute=None):
        self.compute = compute or ComputeAPI()
        self.volumes = volume_api.API()

    def _server(self, ctx, server_id, rule, busy_ok=False, shelved_ok=False):
        inst = self.compute.get(ctx, server_id, rule)
        if not busy_ok:
            allowed = ATTACH_VM_STATES + (SHELVED_VM_STATES if shelved_ok else ())
            if inst['vm_state'] not in allowed or inst['task_state']:
                raise Conflict(f"Cannot '{rule.rsplit(':', 1)[-1]}' instance {server_id} "
                               f"while it is in vm_state {inst['vm_state']} / task_state "
                               f"{inst['task_state']}")
            self.compute._check_locked(ctx, inst)
        return inst

    def _volume(self, ctx, volume_id):
        try:
            return self.volumes.get(ctx, volume_id)
        except VolumeNotFound:
            raise NotFound(f'Volume {volume_id} could not be found.') from None

    def list(self, ctx, server_id):
        inst = self._server(ctx, server_id, P.VOLUME_ATTACH_INDEX, busy_ok=True)
        return [a for a in inst['volumes_attached'] if a['attach_status'] != 'detached']

    def get(self, ctx, server_id, volume_id):
        for a in self.list(ctx, server_id):
            if a['volume_id'] == volume_id:
                return a
        raise NotFound(f'Volume {volume_id} is not attached to the server {server_id}.')

    def attach(self, ctx, server_id, volume_id, device=None, delete_on_termination=False,
               tag=None, shelved_ok=False):
        """Attach; ``shelved_ok`` (microversion 2.20+) also to a shelved or
        shelved-offloaded server."""
        inst = self._server(ctx, server_id, P.VOLUME_ATTACH_CREATE, shelved_ok=shelved_ok)
        vol = self._volume(ctx, volume_id)
        if any(a['volume_id'] == volume_id for a in inst['volumes_attached']):
            raise ComputeError(f'Invalid volume: volume {volume_id} is already attached to '
                               f'the server {server_id}.')
        if vol['status'] == volume_states.IN_USE and not vol['multiattach']:
            raise ComputeError(f'Invalid volume: volume {volume_id} is already attached '
                               f'(in-use) and is not multiattach.')
        offloaded = inst['vm_state'] == states.SHELVED_OFFLOADED
        if not inst['host'] and not offloaded:
            raise Conflict(f'Instance {server_id} is not on a host yet.')
        used = ['vda'] + [a['mountpoint'] for a in inst['volumes_attached'] if a['mountpoint']]
        try:
            dev = '/dev/' + virt_driver.pick_device(used, device)
        except virt_driver.DriverError as exc:
            raise ComputeError(str(exc)) from None
        expected = (volume_states.AVAILABLE, volume_states.IN_USE) if vol['multiattach'] \
            else (volume_states.AVAILABLE,)
        try:
            if offloaded:     # nothing to plug in: attached on record, in-use
                _, att = db_volumes.attach_unplugged(
                    volume_id, server_id, expected, mountpoint=dev,
                    delete_on_termination=bool(delete_on_termination))
                att['tag'] = tag
                return att
            _, att = db_volumes.reserve(volume_id, server_id, expected, mountpoint=dev,
                                        attached_host=inst['host'],
                                        delete_on_termination=bool(delete_on_termination))
        except VolumeStatusError as exc:
            raise ComputeError(str(exc)) from None
        self.compute.compute.attach_volume(ctx, inst['host'], server_id, volume_id,
                                           vol['host'], att['uuid'], dev)
        att['tag'] = tag
        return att

    def update(self, ctx, server_id, volume_id, delete_on_termination):
        self._server(ctx, server_id, P.VOLUME_ATTACH_UPDATE, busy_ok=True)
        att = self.get(ctx, server_id, volume_id)
        return db_volumes.attachment_update(
            att['uuid'], att['attach_status'], delete_on_termination=bool(delete_on_termination))

    def detach(self, ctx, server_id, volume_id, shelved_ok=False):
        """Detach; ``shelved_ok`` (microversion 2.20+) also from a shelved or
        shelved-offloaded server."""
        inst = self._server(ctx, server_id, P.VOLUME_ATTACH_DELETE, shelved_ok=shelved_ok)
        att = self.get(ctx, server_id, volume_id)
        if att.get('boot_index') == 0:
            raise ComputeError("Can't detach root device volume")
        if att['attach_status'] != 'attached':
            raise ComputeError(f'Invalid volume: volume {volume_id} is {att["attach_status"]}, '
                               f'not attached.')
        vol = self._volume(ctx, volume_id)
        if inst['vm_state'] == states.SHELVED_OFFLOADED:
            # no host holds it (the offload withdrew its export): detached now
            try:
                db_volumes.attachment_finish(att['uuid'], volume_states.AVAILABLE,
                                             (volume_states.IN_USE,), 'detached')
            except VolumeStatusError as exc:
                raise ComputeError(str(exc)) from None
            return
        try:
            db_volumes.swap(volume_id, (volume_states.IN_USE,), volume_states.DETACHING)
            att = db_volumes.attachment_update(att['uuid'], 'attached',
                                               attach_status='detaching')
        except VolumeStatusError as exc:
            raise ComputeError(str(exc)) from None
        att['volume_host'] = vol['host']
        self.compute.compute.detach_volume(ctx, inst['host'], server_id, att)
