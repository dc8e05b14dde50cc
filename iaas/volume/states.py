"""The one table of volume, snapshot and backup statuses and transitions.

Every status write is a compare-and-swap (``iaas.db.volumes.swap``): an
operation begins by swapping one of the statuses it may start from
(``begin``) for its transitional status (``during``), and ends by swapping
``during`` for its outcome (``success``/``failure``). ``'previous'`` means
"the status the volume had when the operation began" (kept in
``previous_status``), as Cinder does for extend, upload and backup of an
in-use volume. Nothing stays in a transitional status forever: the reaper
(``iaas.volume.reaper``) ends operations older than ``[volume]
action_timeout`` with their ``failure`` outcome.
"""
import collections

CREATING = 'creating'
AVAILABLE = 'available'
RESERVED = 'reserved'
ATTACHING = 'attaching'
IN_USE = 'in-use'
DETACHING = 'detaching'
EXTENDING = 'extending'
UPLOADING = 'uploading'
BACKING_UP = 'backing-up'
RESTORING = 'restoring-backup'
DOWNLOADING = 'downloading'
DELETING = 'deleting'
ERROR = 'error'
ERROR_DELETING = 'error_deleting'
ERROR_EXTENDING = 'error_extending'
ERROR_RESTORING = 'error_restoring'
# offered to another project (a volume transfer): a resting status, not a running
# operation -- it lasts until the transfer is accepted or deleted, never reaped
AWAITING_TRANSFER = 'awaiting-transfer'
# an admin's migration to another backend runs (iaas/volume/migration.py)
MAINTENANCE = 'maintenance'

VOLUME_STATUSES = (CREATING, AVAILABLE, RESERVED, ATTACHING, IN_USE, DETACHING, EXTENDING,
                   UPLOADING, BACKING_UP, RESTORING, DOWNLOADING, DELETING, ERROR, ERROR_DELETING,
                   ERROR_EXTENDING, ERROR_RESTORING, MAINTENANCE, AWAITING_TRANSFER)
PREVIOUS = 'previous'

Op = collections.namedtuple('Op', 'begin during success failure')

# operation → (may begin from, status while it runs, on success, on failure)
VOLUME_OPS = {
    'create': Op((), CREATING, AVAILABLE, ERROR),
    'delete': Op((AVAILABLE, ERROR, ERROR_EXTENDING, ERROR_RESTORING, ERROR_DELETING),
                 DELETING, None, ERROR_DELETING),
    'extend': Op((AVAILABLE, IN_USE), EXTENDING, PREVIOUS, ERROR_EXTENDING),
    'reserve': Op((AVAILABLE,), RESERVED, None, PREVIOUS),
    'attach': Op((RESERVED,), ATTACHING, IN_USE, AVAILABLE),
    'detach': Op((IN_USE,), DETACHING, AVAILABLE, IN_USE),
    'upload': Op((AVAILABLE, IN_USE), UPLOADING, PREVIOUS, PREVIOUS),
    'backup': Op((AVAILABLE, IN_USE), BACKING_UP, PREVIOUS, PREVIOUS),
    'restore': Op((AVAILABLE,), RESTORING, AVAILABLE, ERROR_RESTORING),
    # the root volume of a server rebuilt at compute 2.93+ (Cinder's os-reimage)
    'reimage': Op((AVAILABLE, IN_USE), DOWNLOADING, PREVIOUS, ERROR),
    'clone_source': Op((AVAILABLE, IN_USE), None, None, None),
    # accepted: available in the receiving project; deleted: back to the donor
    'transfer': Op((AVAILABLE,), AWAITING_TRANSFER, AVAILABLE, AVAILABLE),
    # os-migrate_volume: failure is available *with a fault* (as upload's), on
    # the old host; migration_status tells (iaas/db/volumes.py: swap)
    'migrate': Op((AVAILABLE,), MAINTENANCE, AVAILABLE, AVAILABLE),
}
# a volume's migration_status (Cinder's) as its migration goes
MIGRATING, COMPLETING, MIGRATION_SUCCESS, MIGRATION_ERROR = (
    'migrating', 'completing', 'success', 'error')
# statuses an operation leaves a volume in until a user ends it
RESTING = frozenset({AWAITING_TRANSFER})

# the statuses an operation is running in (the reaper's and the UI's "busy")
TRANSITIONAL = frozenset(op.during for op in VOLUME_OPS.values() if op.during) - RESTING

SNAPSHOT_STATUSES = ('creating', 'available', 'deleting', 'error', 'error_deleting',
                     'backing-up', 'restoring')
SNAPSHOT_OPS = {
    'create': Op((), 'creating', 'available', 'error'),
    'delete': Op(('available', 'error', 'error_deleting'), 'deleting', None, 'error_deleting'),
}

BACKUP_STATUSES = ('creating', 'available', 'deleting', 'error', 'error_deleting',
                   'restoring')
BACKUP_OPS = {
    'create': Op((), 'creating', 'available', 'error'),
    'delete': Op(('available', 'error', 'error_deleting'), 'deleting', None, 'error_deleting'),
    'restore': Op(('available',), 'restoring', 'available', 'available'),
}

# generic volume groups and group snapshots (iaas/volume/groups.py): 'fill' is
# the API adding the members of a new one, 'create' its members being made
# (the conductor settles it); adding/removing volumes is one transaction.
GROUP_STATUSES = ('creating', 'available', 'deleting', 'error', 'error_deleting',
                  'updating', 'in-use')
GROUP_SNAPSHOT_STATUSES = ('creating', 'available', 'deleting', 'error', 'error_deleting',
                           'updating')
GROUP_OPS = {
    'fill': Op((), 'updating', 'creating', 'error'),
    'create': Op((), 'creating', 'available', 'error'),
    'delete': Op(('available', 'error', 'error_deleting'), 'deleting', None, 'error_deleting'),
}
GROUP_TRANSITIONAL = frozenset(o.during for o in GROUP_OPS.values())

TABLES = {'volume': VOLUME_OPS, 'snapshot': SNAPSHOT_OPS, 'backup': BACKUP_OPS,
          'group': GROUP_OPS, 'group_snapshot': GROUP_OPS}


def op(kind, name):
    """The :class:`Op` of ``name`` on a ``kind`` ('volume', 'snapshot', 'backup')."""
    return TABLES[kind][name]


def outcome(op_, which, previous_status):
    """The status ``op_`` ends in: ``which`` is 'success' or 'failure'."""
    status = getattr(op_, which)
    return previous_status if status == PREVIOUS else status


def op_running(kind, status):
    """The name of the operation running in ``status``, or None."""
    for name, o in TABLES[kind].items():
        if o.during == status:
            return name
    return None
