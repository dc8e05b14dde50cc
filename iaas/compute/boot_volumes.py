"""The volumes a server is created with (Nova's block_device_mapping_v2):
checked and made in the API process after the server's row, each with an
attachment record the compute host completes when it boots
(:meth:`iaas.compute.volume_ops.VolumeOps.prepare_boot_volumes`).
"""
import json

from iaas.compute.virt import driver as virt_driver
from iaas.db import volumes as db_volumes
from iaas.exception import InvalidVolume, VolumeNotFound, VolumeStatusError
from iaas.volume import api as volume_api
from iaas.volume import states as volume_states

BDM_SOURCES = ('image', 'volume', 'snapshot', 'blank')


def parse_bdms(bdms):
    """Nova's block_device_mapping_v2 entries, checked: [{source, uuid, size,
    boot_index, delete_on_termination, device}] of those with
    destination_type volume (``local`` image entries are the usual image
    boot and are left out). InvalidVolume for what is not valid."""
    out = []
    for i, b in enumerate(bdms or ()):
        src, dst = b.get('source_type'), b.get('destination_type', 'volume' if
                                                   b.get('source_type') != 'image' else 'local')
        if src not in BDM_SOURCES:
            raise InvalidVolume(f'Invalid block_device_mapping_v2[{i}]: source_type '
                               f'{str(src)[:32]!r} is not one of {", ".join(BDM_SOURCES)}')
        if dst == 'local':
            if src != 'image':
                raise InvalidVolume('Local (ephemeral/swap) block devices are not supported; '
                                   'use destination_type volume.')
            continue
        if dst != 'volume':
            raise InvalidVolume(f'Invalid destination_type {str(dst)[:32]!r}')
        boot = b.get('boot_index')
        try:
            boot = None if boot in (None, '', 'none', -1, '-1') else int(boot)
        except (TypeError, ValueError):
            raise InvalidVolume(f'Invalid boot_index {str(boot)[:16]!r}') from None
        size = b.get('volume_size')
        try:
            size = None if size in (None, '') else int(size)
        except (TypeError, ValueError):
            raise InvalidVolume(f'Invalid volume_size {str(size)[:16]!r}') from None
        if src in ('image', 'volume', 'snapshot') and not isinstance(b.get('uuid'), str):
            raise InvalidVolume(f'block_device_mapping_v2[{i}] with source_type {src} needs '
                               f'a uuid')
        if src == 'blank' and not size:
            raise InvalidVolume('A blank volume needs a volume_size.')
        if size is not None and size <= 0:
            raise InvalidVolume('volume_size must be greater than 0')
        dot = b.get('delete_on_termination', False)
        out.append({'source': src, 'uuid': b.get('uuid'), 'size': size, 'boot_index': boot,
                    'delete_on_termination': dot in (True, 'true', 'True', '1', 1),
                    'device': b.get('device_name'), 'volume_type': b.get('volume_type')})
    if sum(1 for b in out if b['boot_index'] == 0) > 1:
        raise InvalidVolume('Boot sequence for the instance and image/block device mapping '
                           'combination is not valid: more than one boot_index 0.')
    return out


def image_bdms(image):
    """The block device mappings a volume-backed image carries (Nova's
    ``bdm_v2`` and ``block_device_mapping`` properties, as a snapshot of a
    volume-backed server or EC2's RegisterImage leave them), checked like a
    request's; [] for an ordinary image."""
    props = image.get('properties') or {}
    raw = props.get('block_device_mapping')
    if not raw or str(props.get('bdm_v2', '')).lower() != 'true':
        return []
    try:
        entries = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        raise InvalidVolume(f'Image {image["id"]} has a malformed block_device_mapping.') \
            from None
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise InvalidVolume(f'Image {image["id"]} has a malformed block_device_mapping.')
    return parse_bdms([dict(e, uuid=e.get('snapshot_id') or e.get('volume_id')
                            or e.get('image_id') or e.get('uuid')) for e in entries])


class BootVolumes:
    """The volumes a server is created with: made (or reserved) after the
    server's row, each with an attachment record the compute host completes
    when it boots (:meth:`iaas.compute.volume_ops.VolumeOps.prepare_boot_volumes`)."""

    def __init__(self):
        self.volumes = volume_api.API()

    def root_image(self, ctx, bdms):
        """The image a volume-backed server is made from (its root volume's
        source image, or the image the root volume was made from), or None."""
        for b in bdms:
            if b['boot_index'] != 0:
                continue
            if b['source'] == 'image':
                return b['uuid']
            if b['source'] == 'volume':
                vol = self._volume(ctx, b['uuid'])
                if not vol['bootable']:
                    raise InvalidVolume(f'Volume {vol["uuid"]} is not bootable.')
                return (vol['image_metadata'] or {}).get('image_id')
        return None

    def _volume(self, ctx, volume_id):
        try:
            return self.volumes.get(ctx, volume_id)
        except VolumeNotFound:
            raise InvalidVolume(f'Invalid volume: volume {volume_id} could not be '
                               f'found.') from None

    def check(self, ctx, bdms, count):
        if not bdms:
            return
        if count != 1:
            raise InvalidVolume('Creating several servers at once with volumes is not '
                               'supported.')
        for b in bdms:
            if b['source'] == 'volume':
                vol = self._volume(ctx, b['uuid'])
                if vol['status'] != volume_states.AVAILABLE:
                    raise InvalidVolume(f'Invalid volume: volume {vol["uuid"]} status must '
                                       f'be available, but it is {vol["status"]}.')

    def create(self, ctx, instance_uuid, bdms):
        """Make the server's volumes and their attachment records; returns
        what the compute host reads (system metadata ``block_devices``)."""
        used, out = [], []
        for b in sorted(bdms, key=lambda x: (x['boot_index'] is None, x['boot_index'] or 0)):
            if b['boot_index'] == 0:
                dev = 'vda'
            else:
                dev = virt_driver.pick_device(['vda'] + used, b['device'])
            used.append(dev)
            if b['source'] == 'volume':
                vol_id = b['uuid']
                db_volumes.reserve(vol_id, instance_uuid, (volume_states.AVAILABLE,),
                                   mountpoint='/dev/' + dev, boot_index=b['boot_index'],
                                   delete_on_termination=b['delete_on_termination'])
            else:
                kw = {'image_ref': b['uuid']} if b['source'] == 'image' else \
                    {'snapshot_id': b['uuid']} if b['source'] == 'snapshot' else {}
                vol = self.volumes.create(ctx, size=b['size'], volume_type=b['volume_type'],
                                          name=f'{instance_uuid}-{dev}', **kw)
                vol_id = vol['uuid']
                db_volumes.add_attachment(vol_id, instance_uuid, mountpoint='/dev/' + dev,
                                          boot_index=b['boot_index'],
                                          delete_on_termination=b['delete_on_termination'])
            out.append({'volume_id': vol_id, 'device': '/dev/' + dev,
                        'boot_index': b['boot_index']})
        return out

    @staticmethod
    def begin_reimage(inst):
        """Begin overwriting the root volume of volume-backed ``inst`` (a
        rebuild at 2.93+): its volume goes ``downloading``. Returns what the
        compute host needs; VolumeStatusError when it cannot begin."""
        root = [a for a in db_volumes.attachments(instance_uuid=inst['uuid'])
                if a['boot_index'] == 0 and a['attach_status'] == 'attached']
        if not root:
            raise VolumeStatusError(f'instance {inst["uuid"]} has no attached root volume')
        op = volume_states.op('volume', 'reimage')
        try:
            vol = db_volumes.begin(root[0]['volume_id'], op.begin, op.during)
        except VolumeNotFound:
            raise VolumeStatusError(f'volume {root[0]["volume_id"]} is gone') from None
        return {'volume_id': vol['uuid'], 'volume_host': vol['host']}

    @staticmethod
    def abort_reimage(reimage):
        op = volume_states.op('volume', 'reimage')
        vol = db_volumes.get(reimage['volume_id'])
        try:
            db_volumes.swap(vol['uuid'], (op.during,), vol['previous_status'] or op.begin[0])
        except (VolumeStatusError, VolumeNotFound):
            pass
