"""EC2 ids of resources: ``i-`` instances, ``ami-`` images, ``vol-`` volumes,
``snap-`` snapshots, ``sg-`` security groups, ``eipalloc-`` /
``eipassoc-`` floating IPs and their associations, ``r-`` reservations,
``key-`` key pairs. Each is made once, at random, the first time its
resource is shown, and stays (:mod:`iaas.db.ec2_ids`).

    ids.to_ec2('instance', [uuid, …])      # {uuid: 'i-0f…'}
    ids.to_uuid('instance', ['i-0f…'])     # {'i-0f…': uuid} (unknown ones left out)
"""
import re

from iaas.db import ec2_ids

PREFIX = {'instance': 'i', 'image': 'ami', 'volume': 'vol', 'snapshot': 'snap',
          'security_group': 'sg', 'address': 'eipalloc', 'association': 'eipassoc',
          'reservation': 'r', 'keypair': 'key'}
_SHAPE = {kind: re.compile(rf'^{prefix}-[0-9a-f]{{8,17}}$') for kind, prefix in PREFIX.items()}


def well_formed(kind, ec2_id):
    return isinstance(ec2_id, str) and bool(_SHAPE[kind].match(ec2_id))


def new_for(kind, uuids):
    """{uuid: EC2 id} for resources being made (stored with them:
    ``create_with_quota(ec2_ids=…)``)."""
    return ec2_ids.made(PREFIX[kind], uuids)


def to_ec2(kind, uuids):
    return ec2_ids.ids_for(kind, PREFIX[kind], uuids)


def one(kind, uuid):
    return None if uuid is None else to_ec2(kind, [uuid])[uuid]


def to_uuid(kind, ids):
    """{ec2 id: uuid} of the well-formed ``ids`` that exist."""
    return ec2_ids.uuids_for(kind, [i for i in ids if well_formed(kind, i)])
