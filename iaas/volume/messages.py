"""User messages (Cinder's ``/v3/{project_id}/messages``, 3.3+): why an
asynchronous volume, snapshot or backup operation ended in error.

A message is written where the error is recorded and the database is at
hand: the scheduler (no backend for a new volume), the conductor (the
outcomes the volume and compute hosts report, and the reaper's) and the
API. Its ``event_id`` is Cinder's ``VOLUME_<resource>_<action>_<detail>``
and its text ``"<action>:<detail>"`` from Cinder's tables below. A message
belongs to the resource's project (another project's is not found), lives
``[volume] message_ttl`` seconds and is purged by the conductor's reaper.
Writing one never fails the operation that reports the error.
"""
import datetime
import logging

from iaas.conf import CONF
from iaas.context import new_request_id
from iaas.db import volume_messages as db
from iaas.db.base import utcnow
from iaas.exception import InvalidVolume, MarkerNotFound, MessageNotFound
from iaas.volume import api as volume_api
from iaas.volume import policies as P
from iaas.volume import states

LOG = logging.getLogger(__name__)
SORT_KEYS = db.SORT_KEYS
FILTERS = db.FILTERS
LEVEL_ERROR = 'ERROR'

# resource types
VOLUME = 'VOLUME'
SNAPSHOT = 'VOLUME_SNAPSHOT'
BACKUP = 'VOLUME_BACKUP'

# Cinder's actions and details (cinder/message/message_field.py): (id, text)
SCHEDULE_ALLOCATE_VOLUME = ('001', 'schedule allocate volume')
ATTACH_VOLUME = ('002', 'attach volume')
COPY_VOLUME_TO_IMAGE = ('003', 'copy volume to image')
UPDATE_ATTACHMENT = ('004', 'update attachment')
COPY_IMAGE_TO_VOLUME = ('005', 'copy image to volume')
EXTEND_VOLUME = ('007', 'extend volume')
CREATE_VOLUME_FROM_BACKEND = ('008', 'create volume from backend storage')
SNAPSHOT_CREATE = ('009', 'create snapshot')
SNAPSHOT_DELETE = ('010', 'delete snapshot')
BACKUP_CREATE = ('013', 'create backup')
BACKUP_DELETE = ('014', 'delete backup')
BACKUP_RESTORE = ('015', 'restore backup')
REIMAGE_VOLUME = ('016', 'reimage volume')
ACTIONS = (SCHEDULE_ALLOCATE_VOLUME, ATTACH_VOLUME, COPY_VOLUME_TO_IMAGE, UPDATE_ATTACHMENT,
           COPY_IMAGE_TO_VOLUME, EXTEND_VOLUME, CREATE_VOLUME_FROM_BACKEND, SNAPSHOT_CREATE,
           SNAPSHOT_DELETE, BACKUP_CREATE, BACKUP_DELETE, BACKUP_RESTORE, REIMAGE_VOLUME)

UNKNOWN_ERROR = ('001', 'An unknown error occurred.')
NO_BACKEND_AVAILABLE = ('003', 'Could not find any available weighted backend.')
FAILED_TO_UPLOAD_VOLUME = ('004', 'Failed to upload volume to image at backend.')
NOT_ENOUGH_SPACE_FOR_IMAGE = ('007', 'Image used for creating volume exceeds available '
                                     'space.')
NOTIFY_COMPUTE_SERVICE_FAILED = ('009', 'Compute service failed to extend volume.')
DRIVER_FAILED_EXTEND = ('010', 'Volume Driver failed to extend volume.')
DRIVER_FAILED_CREATE = ('012', 'Driver failed to create the volume.')
SNAPSHOT_CREATE_ERROR = ('013', 'Snapshot failed to create.')
SNAPSHOT_DELETE_ERROR = ('016', 'Snapshot failed to delete.')
BACKUP_CREATE_DRIVER_ERROR = ('020', 'Backup driver failed to create backup.')
ATTACH_ERROR = ('021', 'Failed to attach volume.')
BACKUP_DELETE_DRIVER_ERROR = ('025', 'Backup driver failed to delete backup.')
BACKUP_RESTORE_ERROR = ('026', 'Backup driver failed to restore backup.')
REIMAGE_VOLUME_FAILED = ('028', 'Compute service failed to reimage volume.')
DETAILS = (UNKNOWN_ERROR, NO_BACKEND_AVAILABLE, FAILED_TO_UPLOAD_VOLUME,
           NOT_ENOUGH_SPACE_FOR_IMAGE, NOTIFY_COMPUTE_SERVICE_FAILED, DRIVER_FAILED_EXTEND,
           DRIVER_FAILED_CREATE, SNAPSHOT_CREATE_ERROR, SNAPSHOT_DELETE_ERROR,
           BACKUP_CREATE_DRIVER_ERROR, ATTACH_ERROR, BACKUP_DELETE_DRIVER_ERROR,
           BACKUP_RESTORE_ERROR, REIMAGE_VOLUME_FAILED)
_ACTION_TEXT = dict(ACTIONS)
_DETAIL_TEXT = dict(DETAILS)
# words of a fault saying an image did not fit its volume
_TOO_BIG = ('larger than', 'too big', 'exceeds', 'does not fit')


def event_id(resource_type, action, detail):
    return f'VOLUME_{resource_type}_{action[0]}_{detail[0]}'


def user_message(msg):
    """Cinder's text of a message: ``"<action>:<detail>"``."""
    return (f'{_ACTION_TEXT.get(msg["action_id"], "unknown action")}:'
            f'{_DETAIL_TEXT.get(msg["detail_id"], UNKNOWN_ERROR[1])}')


def record(ctx, resource_type, row, action, detail=UNKNOWN_ERROR, level=LEVEL_ERROR):
    """Write a message about ``row`` (a volume, snapshot or backup dict:
    its project owns the message) under ``ctx``'s request id. A failure to
    write is logged, never raised: the error it reports stays recorded."""
    try:
        return db.create({
            'project_id': row['project_id'], 'resource_type': resource_type,
            'resource_uuid': row['uuid'],
            'request_id': getattr(ctx, 'request_id', None) or new_request_id(),
            'event_id': event_id(resource_type, action, detail), 'action_id': action[0],
            'detail_id': detail[0], 'message_level': level,
            'expires_at': utcnow() + datetime.timedelta(seconds=CONF.volume.message_ttl)})
    except Exception:
        LOG.exception('user message %s on %s %s not recorded',
                      event_id(resource_type, action, detail), resource_type, row.get('uuid'))
        return None


# -- what an ending status means -------------------------------------------------------
def _volume_event(op, row, values):
    """(action, detail) of a volume operation ``op`` that failed, or None
    (a restore's failure is told on the backup)."""
    fault = str(values.get('fault') or row.get('fault') or '').lower()
    if op == 'create':
        if row.get('backup_id'):
            return None
        if row.get('image_id'):
            return COPY_IMAGE_TO_VOLUME, (NOT_ENOUGH_SPACE_FOR_IMAGE
                                          if any(w in fault for w in _TOO_BIG)
                                          else UNKNOWN_ERROR)
        return CREATE_VOLUME_FROM_BACKEND, DRIVER_FAILED_CREATE
    return {'extend': (EXTEND_VOLUME, DRIVER_FAILED_EXTEND),
            'reimage': (REIMAGE_VOLUME, REIMAGE_VOLUME_FAILED),
            'attach': (ATTACH_VOLUME, ATTACH_ERROR),
            'reserve': (ATTACH_VOLUME, ATTACH_ERROR),
            'upload': (COPY_VOLUME_TO_IMAGE, FAILED_TO_UPLOAD_VOLUME)}.get(op)


def volume_ended(ctx, row, expected, status, values):
    """The volume host (or the reaper) ended the operation running in
    ``expected`` with ``status``: a message when that is its failure
    (an upload's failure is its previous status with a fault)."""
    op = states.op_running('volume', expected)
    if op is None:
        return
    failed = states.op('volume', op).failure
    if op == 'upload':
        if not values.get('fault'):
            return
    elif status != failed and not (failed == states.PREVIOUS and values.get('fault')):
        return
    event = _volume_event(op, row, values)
    if event:
        record(ctx, VOLUME, row, *event)


_SNAPSHOT_EVENTS = {('creating', 'error'): (SNAPSHOT_CREATE, SNAPSHOT_CREATE_ERROR),
                    ('deleting', 'error_deleting'): (SNAPSHOT_DELETE, SNAPSHOT_DELETE_ERROR)}
_BACKUP_EVENTS = {('creating', 'error'): (BACKUP_CREATE, BACKUP_CREATE_DRIVER_ERROR),
                  ('deleting', 'error_deleting'): (BACKUP_DELETE, BACKUP_DELETE_DRIVER_ERROR)}


def snapshot_ended(ctx, row, expected, status):
    event = _SNAPSHOT_EVENTS.get((expected, status))
    if event:
        record(ctx, SNAPSHOT, row, *event)


def backup_ended(ctx, row, expected, status, values):
    """A backup's create or delete that failed; a restore that failed (the
    backup is available again, with a ``fail_reason``)."""
    event = _BACKUP_EVENTS.get((expected, status))
    if expected == 'restoring' and values.get('fail_reason'):
        event = BACKUP_RESTORE, BACKUP_RESTORE_ERROR
    if event:
        record(ctx, BACKUP, row, *event)


def purge_expired():
    n = db.purge_expired()
    if n:
        LOG.info('%d expired user messages deleted', n)
    return n


# -- the API ---------------------------------------------------------------------------
class Messages:
    """Show, list, delete in the API process: another project's message is
    not found (404) unless the caller may read that project (an admin)."""

    @staticmethod
    def get(ctx, uuid, rule=P.MESSAGE_GET):
        try:
            msg = db.get(uuid) if uuid else None
        except MessageNotFound:
            msg = None
        if msg is None or not volume_api.allowed(ctx, P.MESSAGE_GET,
                                                 {'project_id': msg['project_id']}):
            raise MessageNotFound(uuid)
        if rule != P.MESSAGE_GET:
            volume_api.enforce(ctx, rule, {'project_id': msg['project_id']})
        return msg

    @staticmethod
    def list(ctx, filters=None, sort=None, limit=None, marker=None, offset=None):
        """The caller's project's messages; every project's for an admin (Cinder)."""
        project_id = db.ALL_PROJECTS if volume_api.allowed(ctx, 'admin_required', {}) \
            else volume_api.own_project(ctx)
        try:
            return db.list_(project_id, filters, sort or (('created_at', 'desc'),),
                            limit, marker, offset)
        except MarkerNotFound as exc:
            raise volume_api.MarkerMissing(str(exc)) from None
        except ValueError as exc:
            raise InvalidVolume(f'Invalid input received: {exc}') from None

    def delete(self, ctx, uuid):
        msg = self.get(ctx, uuid, P.MESSAGE_DELETE)
        db.delete(msg['uuid'])
