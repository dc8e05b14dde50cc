"""RegisterImage: an EBS-backed AMI from the caller's volume snapshots.

The image is what Nova makes of a snapshot of a volume-backed server: an
image with no bytes whose ``bdm_v2``/``block_device_mapping`` properties
name the snapshot; a server booted from it (RunInstances or ``openstack
server create --image``) gets a new root volume made from that snapshot
(:func:`iaas.compute.boot_volumes.image_bdms`). Instance-store bundles in
S3 (``ImageLocation``) are not supported.
"""
import json
import re

from iaas.api import ec2_auth
from iaas.api.ec2 import block_devices, errors, resources
from iaas.api.ec2.actions import action
from iaas.api.ec2.images import ROOT_DEVICE
from iaas.api.ec2.volumes import VOLUMES
from iaas.ec2 import ids
from iaas.exception import ServiceError
from iaas.image import api as images
from iaas.image import upload as image_upload

ARCHITECTURES = ('x86_64', 'i386', 'arm64')
NAME_CHARS = re.compile(r"[A-Za-z0-9()\[\] ./\-'@_]+")


def _mapping(ctx, m, root_device):
    """A Nova block device mapping (image property form) of one EBS entry
    of ``BlockDeviceMapping.N`` (:func:`block_devices.ebs_mappings`)."""
    root = m.device == root_device
    entry = {'source_type': 'blank', 'destination_type': 'volume', 'device_name': m.device,
             'boot_index': 0 if root else None, 'volume_size': m.size,
             'delete_on_termination': m.delete_on_termination}
    if m.snapshot_id:
        snap_id = m.snapshot_id
        uuid = resources.resolve(ctx, [snap_id])['snapshot'][snap_id]
        try:
            snap = VOLUMES.get_snapshot(ctx, uuid)
        except ServiceError:
            raise errors.not_found('InvalidSnapshot.NotFound', snap_id) from None
        if snap['status'] != 'available':
            raise errors.EC2Error('IncorrectState', f"Snapshot '{snap_id}' is not "
                                  f"completed (it is {snap['status']}).")
        if m.size is not None and m.size < snap['volume_size']:
            raise errors.invalid(f'Volume of {m.size} GiB is smaller than snapshot '
                                 f"'{snap_id}' ({snap['volume_size']} GiB).")
        entry.update(source_type='snapshot', snapshot_id=uuid,
                     volume_size=m.size or snap['volume_size'])
    elif root:
        raise errors.invalid(f'The root device {m.device} needs Ebs.SnapshotId.')
    elif m.size is None:
        raise errors.missing(f'BlockDeviceMapping Ebs.VolumeSize of {m.device}')
    return entry


@action('RegisterImage', 'image:add_image', write=True)
def register_image(ctx, p):
    if p.str('ImageLocation', max_len=1024) is not None:
        raise errors.invalid('ImageLocation (an image bundle in S3) is not supported; '
                             'register a snapshot (BlockDeviceMapping Ebs.SnapshotId) or '
                             'upload the image through the image API.')
    name = p.str('Name', required=True, max_len=128)
    if len(name) < 3 or not NAME_CHARS.fullmatch(name):
        raise errors.invalid('AMI names are 3 to 128 letters, digits and ( ) [ ] space '
                             ". / - ' @ _")
    description = p.str('Description', max_len=255)
    arch = p.str('Architecture', default='x86_64', max_len=16, choices=ARCHITECTURES)
    p.str('VirtualizationType', max_len=16, choices=('hvm', 'paravirtual'))
    for unsupported in ('KernelId', 'RamdiskId', 'BillingProduct'):
        if p.has(unsupported):
            raise errors.invalid(f'{unsupported} is not supported.')
    structs = p.structs('BlockDeviceMapping')
    if not structs:
        raise errors.missing('BlockDeviceMapping')
    if len(structs) > 16:
        raise errors.invalid('An image may map at most 16 block devices.')
    ebs = block_devices.ebs_mappings(p)
    root_device = p.str('RootDeviceName', max_len=64)
    if root_device is None:         # the first device given a snapshot
        root_device = next((m.device for m in ebs if m.snapshot_id), ROOT_DEVICE)
    mappings = [_mapping(ctx, m, root_device) for m in ebs]
    if not any(m['boot_index'] == 0 for m in mappings):
        raise errors.invalid(f'No block device mapping for the root device {root_device}.')
    if len({m['device_name'] for m in mappings}) != len(mappings):
        raise errors.invalid('A device name is mapped twice.')
    if images.image_list(ctx.project_id, False, filters={'name': name,
                                                         'owner': ctx.project_id},
                         limit=1, visibility='all', member_status='all'):
        raise errors.EC2Error('InvalidAMIName.Duplicate',
                              f'AMI name {name} is already in use by an AMI you own.')
    body = {'name': name, 'disk_format': 'raw', 'container_format': 'bare',
            'visibility': 'private', 'bdm_v2': 'True', 'architecture': arch,
            'root_device_name': root_device, 'block_device_mapping': json.dumps(mappings)}
    if description:
        body['description'] = description
    # made over HTTP as the user, as CreateImage does
    token = ec2_auth.on_behalf_token(ctx)
    try:
        uuid = image_upload.create_volume_backed(token, body)
    except image_upload.ImageServiceError as exc:
        if exc.code in (403, 413):
            raise errors.EC2Error('ResourceLimitExceeded', str(exc)) from None
        raise errors.EC2Error('Unavailable', str(exc), 503) from None
    return {'imageId': ids.one('image', uuid)}
