"""EC2 ids ↔ UUIDs (:class:`iaas.db.ec2_models.Ec2Id`)."""
import secrets
import threading

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from iaas.db.ec2_models import Ec2Id
from iaas.db.engine import connection_url, transaction

BATCH = 500
# Mappings this process has read or made, both ways: (database, kind, uuid)
# → EC2 id and (database, kind, EC2 id) → uuid. A mapping never changes and
# is never deleted once made (a UUID is not reused), so the AMI of a boot or
# a RunInstances, or the polled ``i-`` id of a DescribeInstances, costs no
# query after the first. Ids not found are not kept (they may be made later).
_KNOWN: dict = {}
_UUIDS: dict = {}
KNOWN_MAX = 100_000
_lock = threading.Lock()


def _remember(db, kind, pairs):
    """Keep ``pairs`` {uuid: EC2 id} (committed) of ``kind`` in both maps."""
    with _lock:
        if len(_KNOWN) + len(pairs) > KNOWN_MAX:
            _KNOWN.clear()
            _UUIDS.clear()
        for u, e in pairs.items():
            _KNOWN[(db, kind, u)] = e
            _UUIDS[(db, kind, e)] = u


def _existing(s, kind, uuids):
    out = {}
    uuids = list(uuids)
    for i in range(0, len(uuids), BATCH):
        q = sa.select(Ec2Id.uuid, Ec2Id.ec2_id).where(Ec2Id.kind == kind,
                                                      Ec2Id.uuid.in_(uuids[i:i + BATCH]))
        out.update(s.execute(q).all())
    return out


def made(prefix, uuids):
    """{uuid: a new EC2 id} for resources just made (none can have one
    yet): stored by :func:`store` in the transaction that creates them."""
    return {u: f'{prefix}-{secrets.token_hex(9)[:17]}' for u in uuids}


_INSERT = sa.insert(Ec2Id.__table__)


def store(s, kind, pairs):
    """Add the mappings ``pairs`` {uuid: EC2 id} in the caller's transaction
    (one prebuilt Core INSERT, run now: a clash raises IntegrityError here)."""
    if pairs:
        s.connection().execute(_INSERT, [{'kind': kind, 'uuid': u, 'ec2_id': e}
                                         for u, e in pairs.items()])


def ids_for(kind, prefix, uuids):
    """{uuid: ec2 id} for ``uuids`` of one kind, made (``prefix-`` and 17
    random hex digits) for those that have none yet; one transaction."""
    return ids_for_kinds({kind: (prefix, uuids)})[kind]


def ids_for_kinds(wanted):
    """{kind: {uuid: ec2 id}} for ``wanted`` {kind: (prefix, uuids)}, all in
    one transaction (see :func:`ids_for`)."""
    wanted = {k: (prefix, list(dict.fromkeys(uuids))) for k, (prefix, uuids) in wanted.items()}
    db = connection_url()
    known = {k: {u: _KNOWN[(db, k, u)] for u in uuids if (db, k, u) in _KNOWN}
             for k, (_p, uuids) in wanted.items()}
    wanted = {k: (prefix, [u for u in uuids if u not in known[k]])
              for k, (prefix, uuids) in wanted.items()}
    if not any(uuids for _p, uuids in wanted.values()):
        return known
    for _attempt in range(5):
        try:
            out = {}
            with transaction() as s:
                for kind, (prefix, uuids) in wanted.items():
                    found = out[kind] = _existing(s, kind, uuids) if uuids else {}
                    new = made(prefix, [u for u in uuids if u not in found])
                    store(s, kind, new)
                    found.update(new)
            for kind, pairs in out.items():
                _remember(db, kind, pairs)
                pairs.update(known[kind])
            return out
        except IntegrityError:
            continue          # another request made some of them: read again
    raise RuntimeError(f'could not make EC2 ids of {sorted(wanted)}')


def uuids_for(kind, ec2_ids):
    """{ec2 id: uuid} of those ``ec2_ids`` that name a resource of ``kind``."""
    db = connection_url()
    out, todo = {}, []
    for e in dict.fromkeys(ec2_ids):
        u = _UUIDS.get((db, kind, e))
        if u is None:
            todo.append(e)
        else:
            out[e] = u
    if not todo:
        return out
    read = {}
    with transaction() as s:
        for i in range(0, len(todo), BATCH):
            q = sa.select(Ec2Id.ec2_id, Ec2Id.uuid).where(
                Ec2Id.kind == kind, Ec2Id.ec2_id.in_(todo[i:i + BATCH]))
            read.update(s.execute(q).all())
    _remember(db, kind, {u: e for e, u in read.items()})
    out.update(read)
    return out
