"""EC2 ids ↔ UUIDs (:class:`iaas.db.ec2_models.Ec2Id`)."""
import secrets

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from iaas.db.ec2_models import Ec2Id
from iaas.db.engine import transaction

BATCH = 500


def _existing(s, kind, uuids):
    out = {}
    uuids = list(uuids)
    for i in range(0, len(uuids), BATCH):
        q = sa.select(Ec2Id.uuid, Ec2Id.ec2_id).where(Ec2Id.kind == kind,
                                                      Ec2Id.uuid.in_(uuids[i:i + BATCH]))
        out.update(s.execute(q).all())
    return out


def ids_for(kind, prefix, uuids):
    """{uuid: ec2 id} for ``uuids`` of one kind, made (``prefix-`` and 17
    random hex digits) for those that have none yet; one transaction."""
    return ids_for_kinds({kind: (prefix, uuids)})[kind]


def ids_for_kinds(wanted):
    """{kind: {uuid: ec2 id}} for ``wanted`` {kind: (prefix, uuids)}, all in
    one transaction (see :func:`ids_for`)."""
    wanted = {k: (prefix, list(dict.fromkeys(uuids))) for k, (prefix, uuids) in wanted.items()}
    if not any(uuids for _p, uuids in wanted.values()):
        return {k: {} for k in wanted}
    for _attempt in range(5):
        try:
            out = {}
            with transaction() as s:
                for kind, (prefix, uuids) in wanted.items():
                    found = out[kind] = _existing(s, kind, uuids) if uuids else {}
                    for u in uuids:
                        if u not in found:
                            found[u] = f'{prefix}-{secrets.token_hex(9)[:17]}'
                            s.add(Ec2Id(kind=kind, uuid=u, ec2_id=found[u]))
            return out
        except IntegrityError:
            continue          # another request made some of them: read again
    raise RuntimeError(f'could not make EC2 ids of {sorted(wanted)}')


def uuids_for(kind, ec2_ids):
    """{ec2 id: uuid} of those ``ec2_ids`` that name a resource of ``kind``."""
    ec2_ids = list(dict.fromkeys(ec2_ids))
    out = {}
    with transaction() as s:
        for i in range(0, len(ec2_ids), BATCH):
            q = sa.select(Ec2Id.ec2_id, Ec2Id.uuid).where(
                Ec2Id.kind == kind, Ec2Id.ec2_id.in_(ec2_ids[i:i + BATCH]))
            out.update(s.execute(q).all())
    return out
