"""``BlockDeviceMapping.N`` of RunInstances and RegisterImage: one parser of
EC2's fields, each caller turning them into its Nova form."""
import dataclasses

from iaas.api.ec2 import errors


@dataclasses.dataclass
class Ebs:
    device: str
    size: int | None             # GiB, None when not given
    snapshot_id: str | None      # EC2 snap- id, None when not given
    delete_on_termination: bool


def ebs_mappings(p):
    """The EBS entries of ``BlockDeviceMapping.N`` (``NoDevice`` and
    ephemeral ``VirtualName`` entries skipped), fields checked."""
    out = []
    for b in p.structs('BlockDeviceMapping'):
        device = b.str('DeviceName', required=True, max_len=64)
        if b.has('NoDevice') or b.has('VirtualName'):
            continue
        ebs = b.struct('Ebs')
        if ebs.bool('Encrypted'):
            raise errors.invalid('Encrypted volumes are not supported.')
        ebs.str('VolumeType', max_len=16)
        out.append(Ebs(device, ebs.int('VolumeSize', low=1, high=16384),
                       ebs.str('SnapshotId', max_len=64),
                       ebs.bool('DeleteOnTermination', default=True)))
    return out
