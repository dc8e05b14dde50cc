"""Cinder's attachment API (3.27+) in the API process: checks, the
reservation, the export, completion and deletion.

The records are those of Nova's ``os-volume_attachments``
(``volume_attachments``), so either API sees the other's attachments.
An attachment belongs to its volume: one whose volume the caller may not
show is not found (404), one it may see but not change 403 (the rules of
:mod:`iaas.volume.policies`).

* **create** reserves the volume (a compare-and-swap from ``available``,
  or from ``in-use`` for a multiattach volume or a second attachment to
  the same server) and adds the record (``reserved``) in one transaction;
  with a connector it goes on as *update*.
* **update** asks the volume's host for an export to the connector
  (``initialize_connection``, the call the compute hosts make), then swaps
  the record and the volume to ``attaching`` with the connection_info in
  one transaction (an attached record just gets the new connection_info).
* **complete** (os-complete): the record ``attached``, the volume
  ``in-use`` (one swap, as the compute host's completion).
* **delete**: the record goes and the volume is ``available`` again
  (``in-use`` while other attachments remain) in one transaction, then the
  export is withdrawn on the volume's host.

A server named by ``instance_uuid`` must be one of the volume's project
(the records feed the servers' views and their delete).
"""
import logging

from iaas import rpc
from iaas.db import instances as db_instances
from iaas.db import volumes as db
from iaas.exception import (
    AttachmentNotFound,
    InstanceNotFound,
    InvalidVolume,
    MarkerNotFound,
    VolumeNotFound,
)
from iaas.volume import api as volume_api
from iaas.volume import policies as P
from iaas.volume import states
from iaas.volume.drivers.base import DriverError

LOG = logging.getLogger(__name__)
# the API's sort keys and filters → the record's columns
SORT_KEYS = {'created_at': 'created_at', 'updated_at': 'updated_at', 'id': 'id',
             'status': 'attach_status', 'attach_status': 'attach_status',
             'volume_id': 'volume_id', 'instance_id': 'instance_uuid',
             'instance_uuid': 'instance_uuid', 'attached_at': 'attach_time'}
# volume statuses an attachment may be completed / deleted from
COMPLETE_FROM = (states.RESERVED, states.ATTACHING, states.IN_USE)
DELETE_FROM = (states.AVAILABLE, states.RESERVED, states.ATTACHING, states.IN_USE)
CONNECTING = ('reserved', 'attaching')


class Attachments:
    def __init__(self, volumes=None):
        self.volumes = volumes or volume_api.API()

    @property
    def volume_rpc(self):
        return self.volumes.volume

    # -- lookups -------------------------------------------------------------------
    def get(self, ctx, uuid, rule=P.VOLUME_GET):
        """(attachment, its volume) if ``ctx`` may show the volume (404
        otherwise) and do ``rule`` on it (403 otherwise)."""
        try:
            att = db.attachment_get(uuid) if uuid else None
        except AttachmentNotFound:
            att = None
        if att is None:
            raise AttachmentNotFound(uuid)
        try:
            vol = self.volumes.get(ctx, att['volume_id'])
        except VolumeNotFound:
            raise AttachmentNotFound(uuid) from None
        if rule != P.VOLUME_GET:
            volume_api.enforce(ctx, rule, volume_api.owner_of(vol))
        return att, vol

    def list(self, ctx, filters=None, all_tenants=False, project_id=None, sort=None,
             limit=None, marker=None, offset=None):
        if not all_tenants:
            project_id = volume_api.own_project(ctx)
        elif project_id is None:
            project_id = db.ALL_PROJECTS
        sort = [(SORT_KEYS[k], d) for k, d in sort or (('created_at', 'desc'),)]
        try:
            return db.attachment_list(project_id, filters, sort, limit, marker, offset)
        except MarkerNotFound as exc:
            raise volume_api.MarkerMissing(str(exc)) from None
        except ValueError as exc:
            raise InvalidVolume(str(exc)) from None

    # -- create --------------------------------------------------------------------
    def create(self, ctx, volume_id, instance_uuid=None, connector=None, mode=None):
        vol = self.volumes.get(ctx, volume_id, P.ATTACHMENT_CREATE)
        if vol['multiattach'] and vol['bootable']:
            volume_api.enforce(ctx, P.MULTIATTACH_BOOTABLE, volume_api.owner_of(vol))
        if instance_uuid:
            self._check_server(vol, instance_uuid)
        expected = (states.AVAILABLE,)
        if vol['status'] == states.IN_USE:
            others = db.attachments(volume_id=volume_id)
            # a multiattach volume, or the same server again (a move to another host)
            if not vol['multiattach'] and (not instance_uuid or any(
                    a['instance_uuid'] != instance_uuid for a in others)):
                raise InvalidVolume(f'Invalid volume: volume {volume_id} is already attached '
                                    f'(in-use) and is not multiattach.')
            expected = (states.AVAILABLE, states.IN_USE)
        mode = mode or (connector or {}).get('mode') or 'rw'
        _, att = db.reserve(volume_id, instance_uuid, expected, vol['project_id'],
                            attach_mode=mode)
        if not connector:
            return att
        try:
            return self._connect(ctx, vol, att, connector)
        except Exception:
            self._drop(att['uuid'])
            raise

    @staticmethod
    def _check_server(vol, instance_uuid):
        try:
            db_instances.get(instance_uuid, vol['project_id'])
        except InstanceNotFound:
            raise InvalidVolume(f'Invalid input received: instance {instance_uuid} is not a '
                                f'server of the volume\'s project.') from None

    @staticmethod
    def _drop(uuid):
        """Undo a reservation whose export failed."""
        try:
            db.attachment_finish(uuid, states.AVAILABLE, DELETE_FROM, 'detached')
        except Exception:
            LOG.exception('undoing the reservation of attachment %s failed', uuid)
            db.attachment_drop(uuid)

    # -- export --------------------------------------------------------------------
    def update(self, ctx, uuid, connector):
        att, vol = self.get(ctx, uuid, P.ATTACHMENT_UPDATE)
        return self._connect(ctx, vol, att, connector)

    def _connect(self, ctx, vol, att, connector):
        if att['attach_status'] not in CONNECTING + ('attached',):
            raise InvalidVolume(f'Invalid attachment: status must be reserved, attaching or '
                                f'attached, but it is {att["attach_status"]}.')
        if not vol['host']:
            raise InvalidVolume(f'Invalid volume: volume {vol["uuid"]} is on no backend.')
        try:
            info = self.volume_rpc.initialize_connection(ctx, vol['host'], vol['uuid'],
                                                         connector)
        except DriverError as exc:
            raise InvalidVolume(f'Unable to update attachment.({str(exc)[:300]}).') from None
        if isinstance(info, dict) and isinstance(info.get('data'), dict):
            info['data']['access_mode'] = att['attach_mode'] or 'rw'
        values = {'connector': connector, 'connection_info': info,
                  'attached_host': connector.get('host') or att['attached_host']}
        try:
            if att['attach_status'] == 'attached':
                _, att = db.attachment_swap(att['uuid'], ('attached',), 'attached', **values)
            else:
                _, att = db.attachment_swap(att['uuid'], CONNECTING, 'attaching',
                                            (states.RESERVED, states.ATTACHING),
                                            states.ATTACHING, **values)
        except Exception:
            # deleted or changed meanwhile: the export made for it goes too
            self._unexport(ctx, vol, connector)
            raise
        return att

    def _unexport(self, ctx, vol, connector):
        if not (connector and vol['host']):
            return
        try:
            self.volume_rpc.terminate_connection(ctx, vol['host'], vol['uuid'], connector)
        except (rpc.RPCError, DriverError, VolumeNotFound):
            LOG.exception('withdrawing the export of volume %s failed', vol['uuid'])

    # -- complete / delete ---------------------------------------------------------
    def complete(self, ctx, uuid):
        """os-complete: the attachment attached, its volume in-use."""
        self.get(ctx, uuid, P.ATTACHMENT_COMPLETE)
        _, att = db.attachment_finish(uuid, states.IN_USE, COMPLETE_FROM, 'attached')
        return att

    def delete(self, ctx, uuid):
        """Drop the attachment (the volume available again, or in-use while
        others remain), then withdraw its export; returns the volume's
        remaining attachments."""
        att, vol = self.get(ctx, uuid, P.ATTACHMENT_DELETE)
        db.attachment_finish(uuid, states.AVAILABLE, DELETE_FROM, 'detached')
        self._unexport(ctx, vol, att['connector'])
        return db.attachments(volume_id=vol['uuid'])
