"""The kinds of resources the EC2 API shows, for what works across kinds
(tags, ``ResourceId.N`` of any kind): the EC2 resource type, the
``*.NotFound`` code, and which of some UUIDs are the caller's project's
(visible to it; the action's rule decides whether it may change them).

A topic module registers its kind once::

    resources.register('volume', 'volume', 'InvalidVolume.NotFound', owned)

where ``owned(ctx, uuids)`` answers the subset of the caller's project
(another project's resource is simply not in it: NotFound, never a hint).
"""
import dataclasses

from iaas.api.ec2 import errors
from iaas.ec2 import ids


@dataclasses.dataclass(frozen=True)
class Kind:
    kind: str
    resource_type: str
    not_found: str
    owned: object


KINDS = {}
_BY_PREFIX = {}


def register(kind, resource_type, not_found, owned):
    KINDS[kind] = Kind(kind, resource_type, not_found, owned)
    _BY_PREFIX[ids.PREFIX[kind]] = kind


def by_type(resource_type):
    return next((k for k in KINDS.values() if k.resource_type == resource_type), None)


def resolve(ctx, ec2_ids):
    """{kind: {ec2 id: uuid}} of ids of the caller's project; ids of others
    (or that do not exist) raise their kind's NotFound, an id of no known
    kind InvalidID."""
    grouped = {}
    for i in ec2_ids:
        kind = _BY_PREFIX.get(i.partition('-')[0]) if '-' in i else None
        if kind is None or not ids.well_formed(kind, i):
            raise errors.EC2Error('InvalidID', f"The ID '{i[:64]}' is not valid")
        grouped.setdefault(kind, []).append(i)
    out = {}
    for kind, wanted in grouped.items():
        k = KINDS[kind]
        found = ids.to_uuid(kind, wanted)
        mine = k.owned(ctx, list(found.values()))
        missing = [i for i in wanted if found.get(i) not in mine]
        if missing:
            raise errors.not_found(k.not_found, missing)
        out[kind] = {i: found[i] for i in wanted}
    return out
