"""Block storage in the API process: checks, DB writes, casts.

The REST layer (``iaas/api/volume/``) calls this and nothing below it.
Ownership is decided by the volume policy rules (:mod:`iaas.volume.policies`)
on the resource's own project: one the caller may not show is not found
(404), one it may see but not change is 403. Every status change is a
compare-and-swap from the statuses of :mod:`iaas.volume.states`, so two
operations on one volume never interleave; the work runs on the volume's
host (cast), which ends the operation with another swap.
"""
import logging

from iaas import notifications
from iaas.billing import enforcement as budget
from iaas.conf import CONF
from iaas.db import images as db_images
from iaas.db import quotas
from iaas.db import services as db_services
from iaas.db import volume_backends as db_backends
from iaas.db import volume_backups as db_backups
from iaas.db import volume_snapshots as db_snapshots
from iaas.db import volume_type_quotas as type_quotas
from iaas.db import volume_types as db_types
from iaas.db import volumes as db
from iaas.exception import (
    BackupNotFound,
    InvalidVolume,
    MarkerNotFound,
    ServiceError,
    SnapshotNotFound,
    VolumeError,
    VolumeNotFound,
    VolumeStatusError,
    VolumeTypeNotFound,
)
from iaas.identity import policy
from iaas.image import access as image_access
from iaas.image import upload as image_upload
from iaas.scheduler import rpcapi as scheduler_rpcapi
from iaas.scheduler import volumes as scheduler_volumes
from iaas.volume import policies as P
from iaas.volume import rpcapi as volume_rpcapi
from iaas.volume import states
from iaas.volume import types as volume_types

LOG = logging.getLogger(__name__)
DEFAULT_TYPE_DESCRIPTION = 'Default Volume Type'
VOLUME_SORT_KEYS = db.SORT_KEYS
UPLOAD_FORMATS = ('raw', 'qcow2')
SNAPSHOT_SORT_KEYS = db_snapshots.SORT_KEYS
BACKUP_SORT_KEYS = db_backups.SORT_KEYS
# seconds a cascading volume delete waits for the volume's snapshots to go


class Forbidden(ServiceError):
    code = 403


class MarkerMissing(VolumeError):
    """A list's marker names nothing the caller may list (404, as Cinder's
    MarkerNotFound)."""
    code = 404


def allowed(ctx, rule, target):
    return policy.check(ctx, rule, target)


def enforce(ctx, rule, target):
    if not allowed(ctx, rule, target):
        raise Forbidden(f'Policy does not allow {rule} to be performed.')


def own_project(ctx):
    if not ctx.project_id:
        raise Forbidden('This action requires a project-scoped token.')
    return ctx.project_id


def owner_of(row):
    return {'project_id': row['project_id'], 'user_id': row.get('user_id')}


def visible(ctx, fetch, uuid, missing, show_rule, rule):
    """The record ``fetch(uuid)`` if ``ctx`` may show it (``missing(uuid)``,
    the kind's NotFound, otherwise — also for another project's) and may do
    ``rule`` on it (403 otherwise): every ``get`` of this API."""
    try:
        row = fetch(uuid) if uuid else None
    except missing:
        row = None
    if row is None or not allowed(ctx, show_rule, owner_of(row)):
        raise missing(uuid)
    if rule != show_rule:
        enforce(ctx, rule, owner_of(row))
    return row


def default_type():
    return db_types.ensure(CONF.volume.default_volume_type, DEFAULT_TYPE_DESCRIPTION)


def release_instance_volumes(ctx, instance_uuid, volume_rpc):
    """A server is gone: its volumes are detached (their records removed),
    and those marked ``delete_on_termination`` deleted. A volume still
    being made for the server's boot just loses its record."""
    for att in db.attachments(instance_uuid=instance_uuid):
        try:
            vol, _ = db.attachment_finish(
                att['uuid'], states.AVAILABLE,
                (states.IN_USE, states.RESERVED, states.ATTACHING, states.DETACHING),
                'detached')
        except VolumeStatusError:
            db.attachment_drop(att['uuid'])
            continue
        except VolumeNotFound:
            continue
        if att['delete_on_termination'] and vol['status'] == states.AVAILABLE:
            try:
                db.begin(vol['uuid'], (states.AVAILABLE,), states.DELETING)
                volume_rpc.delete_volume(ctx, vol['host'], vol['uuid'])
            except (VolumeStatusError, VolumeNotFound):
                pass


class API:
    def __init__(self):
        self.scheduler = scheduler_rpcapi.SchedulerAPI()
        self.volume = volume_rpcapi.VolumeAPI()

    # -- lookups -------------------------------------------------------------------
    def get(self, ctx, uuid, rule=P.VOLUME_GET):
        """The volume if ``ctx`` may show it (404 otherwise, also for another
        project's) and may do ``rule`` on it (403 otherwise)."""
        return visible(ctx, db.get, uuid, VolumeNotFound, P.VOLUME_GET, rule)

    def list(self, ctx, filters=None, all_tenants=False, project_id=None, sort=None,
             limit=None, marker=None, offset=None):
        if not all_tenants:
            project_id = own_project(ctx)
        elif project_id is None:
            project_id = db.ALL_PROJECTS
        try:
            return db.list_(project_id, filters, sort or (('created_at', 'desc'),),
                            limit, marker, offset)
        except MarkerNotFound as exc:
            raise MarkerMissing(str(exc)) from None
        except ValueError as exc:
            raise InvalidVolume(str(exc)) from None

    def attachments_of(self, volume_ids):
        return db.attachments_of_volumes(volume_ids)

    def volume_type(self, ctx, ident):
        """A type the caller may use, by id or name (404 otherwise)."""
        t = db_types.get(ident)
        if not t['is_public'] and ctx.project_id not in t['projects'] and \
                not allowed(ctx, P.TYPE_ACCESS, {'project_id': ctx.project_id}):
            raise VolumeTypeNotFound(ident)
        return t

    def types_by_id(self):
        return {t['uuid']: t for t in db_types.list_(include_private=True)}

    # -- create --------------------------------------------------------------------
    def create(self, ctx, size=None, name=None, description=None, volume_type=None,
               metadata=None, availability_zone=None, snapshot_id=None, source_volid=None,
               image_ref=None, multiattach=False, restore_from=None, group=None):
        """``group``: the group (dict) the volume joins; its type must be one
        of the group's (:mod:`iaas.volume.groups` checks the rest)."""
        project_id = own_project(ctx)
        budget.check(project_id, 'volumes')
        source, backend, image = {}, None, None
        if restore_from:
            if restore_from['status'] != 'available':
                raise InvalidVolume(f'Invalid backup: Backup status must be available, but '
                                    f'it is {restore_from["status"]}.')
            size = size or restore_from['size']
            if size < restore_from['size']:
                raise InvalidVolume(f'Invalid input received: volume size {size}GB is '
                                    f'smaller than the backup size {restore_from["size"]}GB.')
            source = {'backup_id': restore_from['uuid']}
        elif snapshot_id:
            snap = self.get_snapshot(ctx, snapshot_id)
            if snap['status'] != 'available':
                raise InvalidVolume(f'Invalid snapshot: Originating snapshot status must be '
                                    f'one of available values, but it is {snap["status"]}.')
            src = db.get(snap['volume_id'])
            size = size or snap['volume_size']
            if size < snap['volume_size']:
                raise InvalidVolume(f'Invalid input received: Volume size {size}GB cannot '
                                    f'be smaller than the snapshot size '
                                    f'{snap["volume_size"]}GB. They must be >= original '
                                    f'snapshot size.')
            source, backend = {'snapshot': snap}, src['host']
            volume_type = volume_type or src['volume_type_id']
            availability_zone = availability_zone or src['availability_zone']
        elif source_volid:
            src = self.get(ctx, source_volid)
            if src['status'] not in ('available', 'in-use'):
                raise InvalidVolume(f'Invalid volume: Source volume status must be '
                                    f'available or in-use, but it is {src["status"]}.')
            size = size or src['size']
            if size < src['size']:
                raise InvalidVolume(f'Invalid input received: Clones currently must be >= '
                                    f'original volume size ({size} < {src["size"]}).')
            source, backend = {'volume': src}, src['host']
            volume_type = volume_type or src['volume_type_id']
            availability_zone = availability_zone or src['availability_zone']
        elif image_ref:
            enforce(ctx, P.VOLUME_CREATE_FROM_IMAGE, {'project_id': project_id})
            image = self._image(ctx, image_ref)
            need = max(image.get('min_disk') or 0, -(-(image.get('size') or 0) // (1 << 30)))
            size = size or need
            if size < need:
                raise InvalidVolume(f'Invalid input received: Image minDisk size {need} is '
                                    f'larger than the volume size {size}.')
            source = {'image_id': image['id']}
        if not size or size <= 0:
            raise InvalidVolume(f'Invalid input received: Volume size \'{size}\' must be an '
                                f'integer and greater than 0.')
        if size > CONF.volume.max_volume_size:
            raise InvalidVolume(f'Invalid input received: Volume size {size}G exceeds the '
                                f'largest allowed ({CONF.volume.max_volume_size}G).')
        vtype = self.volume_type(ctx, volume_type) if volume_type else default_type()
        volume_types.refuse_encrypted(vtype)
        if group and vtype['uuid'] not in group['volume_type_ids']:
            raise InvalidVolume(f'Invalid input received: volume type {vtype["uuid"]} is not '
                                f'one of the volume types of group {group["uuid"]}.')
        if availability_zone and availability_zone not in self.zones():
            raise InvalidVolume(f'Invalid input received: Availability zone '
                                f"'{availability_zone}' is invalid.")
        if restore_from:     # the backup is this restore's until it ends
            db_backups.swap(restore_from['uuid'], ('available',), 'restoring')
        try:
            vol = self._create_row(ctx, project_id, size, name, description, vtype, metadata,
                                   availability_zone, snapshot_id, source_volid, image,
                                   multiattach, source, restore_from,
                                   src if snapshot_id else None,
                                   group['uuid'] if group else None)
        except Exception:
            if restore_from:
                db_backups.swap(restore_from['uuid'], ('restoring',), 'available')
            raise
        if restore_from:
            db_backups.swap(restore_from['uuid'], ('restoring',), 'restoring',
                            restore_volume_id=vol['uuid'])
        spec = {'size': size, 'availability_zone': availability_zone,
                'extra_specs': vtype['extra_specs'], 'source': source, 'backend': backend}
        self.scheduler.create_volume(ctx, vol['uuid'], spec)
        return vol

    @staticmethod
    def _create_row(ctx, project_id, size, name, description, vtype, metadata,
                    availability_zone, snapshot_id, source_volid, image, multiattach, source,
                    restore_from, snapshot_source, group_id=None):
        return db.create({
            'group_id': group_id,
            'backup_id': restore_from['uuid'] if restore_from else None,
            'project_id': project_id, 'user_id': ctx.user_id, 'size': size,
            'display_name': name, 'display_description': description,
            'volume_type_id': vtype['uuid'], 'metadata_': dict(metadata or {}),
            'availability_zone': availability_zone or CONF.compute.default_availability_zone,
            'snapshot_id': snapshot_id, 'source_volid': source_volid,
            'image_id': image['id'] if image else None, 'multiattach': bool(multiattach),
            'bootable': bool(source.get('volume', {}).get('bootable') or
                             (snapshot_source or {}).get('bootable')),
        })

    def _image(self, ctx, image_ref):
        try:
            image = db_images.image_get(image_ref)
        except (db_images.ImageNotFound, ValueError):
            image = None
        if image is None or not image_access.can_see(ctx, image):
            raise InvalidVolume(f'Invalid image identifier or unable to access requested '
                                f'image. (image {image_ref} could not be found)')
        if image['status'] != 'active':
            raise InvalidVolume(f'Image {image_ref} is not active.')
        return image

    def zones(self):
        zones = {b['availability_zone'] for b in db_backends.list_()}
        return zones or {CONF.compute.default_availability_zone}

    # -- update / delete -----------------------------------------------------------
    def update(self, ctx, uuid, **values):
        self.get(ctx, uuid, P.VOLUME_UPDATE)
        return db.set_fields(uuid, **values)

    def delete(self, ctx, uuid, cascade=False, force=False, with_group=False):
        """``with_group``: the volume's group is being deleted with its
        volumes (a volume of a group is not deleted alone, as in Cinder)."""
        vol = self.get(ctx, uuid, P.VOLUME_FORCE_DELETE if force else P.VOLUME_DELETE)
        deps = db.dependents(uuid)
        if deps['attachments'] or vol['attach_status'] == 'attached' or \
                (vol.get('group_id') and not with_group):
            raise InvalidVolume('Invalid volume: Volume status must be available or error or '
                                'error_restoring or error_extending or error_managing and '
                                'must not be migrating, attached, belong to a group, have '
                                'snapshots, awaiting a transfer, or be disassociated from '
                                'snapshots after volume transfer.')
        snaps = []
        if deps['snapshots']:
            if not cascade:
                raise InvalidVolume(f'Invalid volume: Volume {uuid} still has '
                                    f'{deps["snapshots"]} dependent snapshots.')
            snaps = db_snapshots.list_(db.ALL_PROJECTS, {'volume_id': uuid})
            deletable = states.op('snapshot', 'delete').begin
            busy = [x['uuid'] for x in snaps if x['status'] not in deletable]
            if busy:
                raise InvalidVolume(f'Invalid volume: Snapshot {busy[0]} of volume {uuid} '
                                    f'is {next(x["status"] for x in snaps if x["uuid"] == busy[0])}'
                                    f', it cannot be deleted now.')
            for snap in snaps:
                enforce(ctx, P.SNAPSHOT_DELETE, owner_of(snap))
        expected = states.op('volume', 'delete').begin
        if force:
            expected = tuple(set(states.VOLUME_STATUSES) - {states.IN_USE, states.DELETING})
        db.begin(uuid, expected, states.DELETING)
        for snap in snaps:
            # cascade: the volume host drops them, then the volume
            try:
                db_snapshots.swap(snap['uuid'], states.op('snapshot', 'delete').begin,
                                  'deleting')
            except (SnapshotNotFound, VolumeStatusError):
                pass       # gone, or another delete already runs
        if vol['host']:
            self.volume.delete_volume(ctx, vol['host'], uuid)
        else:
            db.destroy(uuid)     # never placed: nothing on any backend

    # -- actions -------------------------------------------------------------------
    def reserve(self, ctx, uuid):
        """os-reserve: available → reserved (the reaper frees a reservation
        nothing completes within ``[volume] action_timeout``)."""
        self.get(ctx, uuid, P.VOLUME_RESERVE)
        db.begin(uuid, states.op('volume', 'reserve').begin, states.RESERVED)

    def unreserve(self, ctx, uuid):
        """os-unreserve: a reservation without an attachment → available."""
        self.get(ctx, uuid, P.VOLUME_UNRESERVE)
        db.unreserve(uuid)

    def extend(self, ctx, uuid, new_size):
        vol = self.get(ctx, uuid, P.VOLUME_EXTEND)
        if vol['status'] == states.IN_USE:
            enforce(ctx, P.VOLUME_EXTEND_ATTACHED, owner_of(vol))
        if new_size > CONF.volume.max_volume_size:
            raise InvalidVolume(f'Invalid input received: New size {new_size}G exceeds the '
                                f'largest allowed ({CONF.volume.max_volume_size}G).')
        vol = db.extend(uuid, vol['project_id'], new_size, states.op('volume', 'extend').begin)
        self.volume.extend_volume(ctx, vol['host'], uuid, new_size)

    def upload_to_image(self, ctx, uuid, image_name, force=False, disk_format='raw',
                        container_format='bare', visibility='private', protected=False):
        """Copy the volume into a new image (queued now, active once the
        volume host uploaded it); returns (volume, image id)."""
        vol = self.get(ctx, uuid, P.VOLUME_UPLOAD)
        if visibility == 'public':
            enforce(ctx, P.VOLUME_UPLOAD_PUBLIC, owner_of(vol))
        if vol['status'] == states.IN_USE and not force:
            raise InvalidVolume(f'Invalid volume: Volume {uuid} status must be available to '
                                f'upload to an image; use force for an in-use volume.')
        if disk_format not in UPLOAD_FORMATS:
            raise InvalidVolume(f'Invalid disk-format {disk_format[:32]!r}: one of '
                                f'{", ".join(UPLOAD_FORMATS)}.')
        meta = {k: v for k, v in (vol['image_metadata'] or {}).items()
                if k in ('min_ram', 'min_disk', 'architecture', 'os_type', 'os_distro')}
        body = {'name': image_name, 'disk_format': disk_format,
                'container_format': container_format, 'visibility': visibility,
                'protected': bool(protected), 'volume_id': uuid, **meta}
        try:
            image_id = image_upload.create_record(ctx.auth_token, body)
        except image_upload.ImageServiceError as exc:
            raise VolumeError(str(exc), code=exc.code) from None
        try:
            vol = db.begin(uuid, states.op('volume', 'upload').begin, states.UPLOADING)
        except ServiceError:
            image_upload.discard(image_id)
            raise
        self.volume.upload_to_image(ctx, vol['host'], uuid, image_id, disk_format)
        return vol, image_id

    def force_detach(self, ctx, uuid, attachment_id=None):
        """Take the volume off its servers (or the one of ``attachment_id``)
        without their hosts: the export is withdrawn on the volume's host and
        the records removed, so the volume can be attached elsewhere (an
        operator's tool for a dead compute host)."""
        vol = self.get(ctx, uuid, P.VOLUME_FORCE_DETACH)
        atts = [a for a in db.attachments(volume_id=uuid)
                if attachment_id in (None, a['uuid'])]
        if attachment_id and not atts:
            raise VolumeNotFound(attachment_id, 'Volume attachment')
        for att in atts:
            if att['connector'] and vol['host']:
                try:
                    self.volume.terminate_connection(ctx, vol['host'], uuid, att['connector'])
                except Exception:     # the volume host may be gone too
                    LOG.exception('withdrawing the export of %s failed', uuid)
            db.attachment_finish(att['uuid'], states.AVAILABLE,
                                 tuple(set(states.VOLUME_STATUSES)), 'detached')

    def reset_status(self, ctx, uuid, status=None, attach_status=None, migration_status=None):
        vol = self.get(ctx, uuid, P.VOLUME_RESET_STATUS)
        values = {}
        if attach_status:
            values['attach_status'] = attach_status
        if migration_status:
            values['migration_status'] = migration_status
        db.swap(uuid, vol['status'], status or vol['status'], **values)

    def set_image_metadata(self, ctx, uuid, metadata):
        vol = self.get(ctx, uuid, P.VOLUME_IMAGE_METADATA)
        meta = dict(vol['image_metadata'] or {})
        meta.update(metadata)
        self._check_metadata(meta)
        return db.set_fields(uuid, image_metadata=meta)['image_metadata']

    def unset_image_metadata(self, ctx, uuid, key):
        vol = self.get(ctx, uuid, P.VOLUME_IMAGE_METADATA)
        meta = dict(vol['image_metadata'] or {})
        if key not in meta:
            raise VolumeNotFound(f'{uuid} image metadata key {key}', 'Metadata of volume')
        del meta[key]
        db.set_fields(uuid, image_metadata=meta)

    def retype(self, ctx, uuid, new_type, migration_policy='never'):
        """Give the volume another type its backend suits (no migration:
        a type that wants another backend is refused whatever the policy)."""
        vol = self.get(ctx, uuid, P.VOLUME_RETYPE)
        if vol['status'] not in (states.AVAILABLE, states.IN_USE):
            raise VolumeStatusError(f'Invalid volume: volume {uuid} status must be available '
                                    f'or in-use, but it is {vol["status"]}.')
        vtype = self.volume_type(ctx, new_type)
        volume_types.refuse_encrypted(vtype)
        if vtype['uuid'] == vol['volume_type_id']:
            raise InvalidVolume('Invalid input received: the new volume type is the '
                                'volume\'s type.')
        specs = vtype['extra_specs'] or {}
        backend = next((b for b in db_backends.list_() if b['name'] == vol['host']), None)
        if backend is None or not scheduler_volumes.suits(backend, specs):
            how = ' (migration_policy on-demand: volume migration is not supported)' \
                if migration_policy == 'on-demand' else ''
            raise InvalidVolume(f'Invalid volume: type {vtype["name"]} needs another backend '
                                f'than {vol["host"]}{how}.')
        # within the new type's quota of the volume's project (413 when over)
        vol = db.retype(uuid, (vol['status'],), vtype['uuid'])
        notifications.volume_retyped(ctx, vol, vtype['name'])
        return vol

    def set_bootable(self, ctx, uuid, bootable):
        self.get(ctx, uuid, P.VOLUME_BOOTABLE)
        db.set_fields(uuid, bootable=bool(bootable))

    def set_metadata(self, ctx, uuid, metadata, replace=False, rule=P.VOLUME_UPDATE):
        vol = self.get(ctx, uuid, rule)
        meta = {} if replace else dict(vol['metadata'] or {})
        meta.update(metadata)
        self._check_metadata(meta)
        return db.set_fields(uuid, metadata=meta)['metadata']

    def delete_metadata(self, ctx, uuid, key):
        vol = self.get(ctx, uuid, P.VOLUME_UPDATE)
        meta = dict(vol['metadata'] or {})
        if key not in meta:
            raise VolumeNotFound(f'{uuid} metadata key {key}', 'Metadata of volume')
        del meta[key]
        db.set_fields(uuid, metadata=meta)

    @staticmethod
    def _check_metadata(meta):
        if len(meta) > CONF.volume.max_metadata_items:
            raise InvalidVolume(f'Invalid input received: more than '
                                f'{CONF.volume.max_metadata_items} metadata items.')

    # -- snapshots -----------------------------------------------------------------
    def get_snapshot(self, ctx, uuid, rule=P.SNAPSHOT_GET):
        return visible(ctx, db_snapshots.get, uuid, SnapshotNotFound, P.SNAPSHOT_GET, rule)

    def list_snapshots(self, ctx, filters=None, all_tenants=False, sort=None, limit=None,
                       marker=None, offset=None):
        project_id = db.ALL_PROJECTS if all_tenants else own_project(ctx)
        try:
            return db_snapshots.list_(project_id, filters, sort or (('created_at', 'desc'),),
                                      limit, marker, offset)
        except MarkerNotFound as exc:
            raise MarkerMissing(str(exc)) from None
        except ValueError as exc:
            raise InvalidVolume(str(exc)) from None

    def create_snapshot(self, ctx, volume_id, name=None, description=None, metadata=None,
                        force=False, group_snapshot_id=None):
        vol = self.get(ctx, volume_id, P.SNAPSHOT_CREATE)
        budget.check(vol['project_id'], 'snapshots')
        self._check_metadata(metadata or {})
        snap = db_snapshots.create({
            'group_snapshot_id': group_snapshot_id,
            'volume_id': volume_id, 'project_id': vol['project_id'], 'user_id': ctx.user_id,
            'display_name': name, 'display_description': description,
            'metadata_': dict(metadata or {})}, force=force)
        self.volume.create_snapshot(ctx, snap['volume_host'], snap['uuid'], force)
        return snap

    def update_snapshot(self, ctx, uuid, **values):
        self.get_snapshot(ctx, uuid, P.SNAPSHOT_UPDATE)
        return db_snapshots.set_fields(uuid, **values)

    def set_snapshot_metadata(self, ctx, uuid, metadata, replace=False):
        snap = self.get_snapshot(ctx, uuid, P.SNAPSHOT_UPDATE)
        meta = {} if replace else dict(snap['metadata'] or {})
        meta.update(metadata)
        self._check_metadata(meta)
        return db_snapshots.set_fields(uuid, metadata=meta)['metadata']

    def delete_snapshot_metadata(self, ctx, uuid, key):
        snap = self.get_snapshot(ctx, uuid, P.SNAPSHOT_UPDATE)
        meta = dict(snap['metadata'] or {})
        if key not in meta:
            raise VolumeNotFound(f'{uuid} metadata key {key}', 'Metadata of snapshot')
        del meta[key]
        db_snapshots.set_fields(uuid, metadata=meta)

    def delete_snapshot(self, ctx, uuid, force=False):
        """Delete (``force``: whatever its status, admin only) the snapshot."""
        snap = self.get_snapshot(ctx, uuid, P.SNAPSHOT_FORCE_DELETE if force
                                 else P.SNAPSHOT_DELETE)
        begin = states.SNAPSHOT_STATUSES if force else states.op('snapshot', 'delete').begin
        snap = db_snapshots.swap(uuid, begin, 'deleting')
        vol = db.get(snap['volume_id'])
        self.volume.delete_snapshot(ctx, vol['host'], uuid)

    # os-update_snapshot_status: the transitions Cinder allows
    SNAPSHOT_UPDATES = {'creating': ('creating', 'available', 'error'),
                        'deleting': ('deleting', 'error_deleting')}

    def update_snapshot_status(self, ctx, uuid, status, progress=None):
        snap = self.get_snapshot(ctx, uuid, P.SNAPSHOT_UPDATE_STATUS)
        if status not in self.SNAPSHOT_UPDATES.get(snap['status'], ()):
            raise InvalidVolume(f'Invalid input received: snapshot status may not change '
                                f'from {snap["status"]} to {str(status)[:32]}.')
        values = {'progress': progress} if progress is not None else {}
        notifications.snapshot_updated(ctx, snap['status'], status, db_snapshots.swap(
            uuid, snap['status'], status, **values), 'volume-api')

    def reset_snapshot_status(self, ctx, uuid, status):
        snap = self.get_snapshot(ctx, uuid, P.SNAPSHOT_RESET_STATUS)
        if status not in states.SNAPSHOT_STATUSES:
            raise InvalidVolume(f'Invalid input received: Invalid status {status}.')
        db_snapshots.swap(uuid, snap['status'], status)

    # -- backups -------------------------------------------------------------------
    def get_backup(self, ctx, uuid, rule=P.BACKUP_GET):
        return visible(ctx, db_backups.get, uuid, BackupNotFound, P.BACKUP_GET, rule)

    def list_backups(self, ctx, filters=None, all_tenants=False, sort=None, limit=None,
                     marker=None, offset=None):
        project_id = db.ALL_PROJECTS if all_tenants else own_project(ctx)
        try:
            return db_backups.list_(project_id, filters, sort or (('created_at', 'desc'),),
                                    limit, marker, offset)
        except MarkerNotFound as exc:
            raise MarkerMissing(str(exc)) from None
        except ValueError as exc:
            raise InvalidVolume(str(exc)) from None

    def create_backup(self, ctx, volume_id, name=None, description=None, incremental=False,
                      force=False, metadata=None):
        vol = self.get(ctx, volume_id, P.BACKUP_CREATE)
        budget.check(vol['project_id'], 'backups')
        begin = (states.AVAILABLE, states.IN_USE) if force else (states.AVAILABLE,)
        if vol['status'] == states.IN_USE and not force:
            raise InvalidVolume(f'Invalid volume: Volume {volume_id} is in-use; use force '
                                f'to back up an attached volume.')
        backup = db_backups.create({
            'volume_id': volume_id, 'project_id': vol['project_id'], 'user_id': ctx.user_id,
            'display_name': name, 'display_description': description,
            'container': CONF.backup.container, 'metadata_': dict(metadata or {})},
            begin, incremental=incremental)
        self.volume.create_backup(ctx, backup['volume_host'], backup['uuid'])
        return backup

    def update_backup(self, ctx, uuid, **values):
        self.get_backup(ctx, uuid, P.BACKUP_UPDATE)
        return db_backups.set_fields(uuid, **values)

    def delete_backup(self, ctx, uuid, force=False):
        self.get_backup(ctx, uuid, P.BACKUP_FORCE_DELETE if force else P.BACKUP_DELETE)
        begin = states.BACKUP_STATUSES if force else states.op('backup', 'delete').begin
        db_backups.begin_delete(uuid, tuple(s for s in begin if s != 'deleting'))
        self.volume.delete_backup(ctx, uuid)

    def restore_backup(self, ctx, uuid, volume_id=None, name=None):
        """Into ``volume_id`` (the caller's, available, large enough) or a new
        volume of the backup's size; returns (backup, volume)."""
        backup = self.get_backup(ctx, uuid, P.BACKUP_RESTORE)
        if backup['status'] != 'available':
            raise InvalidVolume(f'Invalid backup: Backup status must be available, but it '
                                f'is {backup["status"]}.')
        if volume_id:
            vol = self.get(ctx, volume_id, P.VOLUME_UPDATE)
            backup, vol = db_backups.begin_restore(uuid, vol['uuid'], vol['project_id'])
            self.volume.restore_backup(ctx, vol['host'], uuid, vol['uuid'])
            return backup, vol
        vol = self.create(ctx, size=backup['size'], name=name or f'restore_backup_{uuid}',
                          restore_from=backup)
        return backup, vol

    def reset_backup_status(self, ctx, uuid, status):
        backup = self.get_backup(ctx, uuid, P.BACKUP_RESET_STATUS)
        if status not in ('available', 'error'):
            raise InvalidVolume(f'Invalid input received: Invalid status {status}.')
        db_backups.swap(uuid, backup['status'], status)

    # -- quotas --------------------------------------------------------------------
    # A project's quota set: Cinder's resources, then volumes_<type>,
    # gigabytes_<type>, snapshots_<type> of every volume type (-1: unlimited).
    @staticmethod
    def quota_limits(project_id):
        default_type()     # made on first use: its keys are listed from the start
        return {**quotas.get_limits(project_id, resources=quotas.VOLUME_RESOURCES),
                **type_quotas.project_limits(project_id)}

    @staticmethod
    def quota_defaults():
        default_type()
        return {**quotas.defaults(quotas.VOLUME_RESOURCES), **type_quotas.project_defaults()}

    @staticmethod
    def quota_keys():
        """The keys a quota set may have (those of the types that exist now)."""
        default_type()
        return (*quotas.VOLUME_RESOURCES, *type_quotas.known_keys())

    @staticmethod
    def quota_set(project_id, values):
        quotas.set_limits(project_id, values, resources=API.quota_keys())
        return API.quota_limits(project_id)

    @staticmethod
    def quota_reset(project_id):
        quotas.reset_limits(project_id, resources=API.quota_keys())

    @staticmethod
    def quota_usage(project_id):
        return {**db.project_usage(project_id), **type_quotas.project_usage(project_id)}

    # quota classes: those of class 'default' are every project's defaults
    @staticmethod
    def quota_class(class_name):
        """The limits of a quota class: the defaults (per-volume-type keys of
        every type included) under those set on it."""
        return {**API.quota_defaults(), **quotas.class_limits(class_name)}

    @staticmethod
    def quota_class_set(class_name, values):
        quotas.set_class_limits(class_name, values)
        return API.quota_class(class_name)

    # -- services and backends -----------------------------------------------------
    @staticmethod
    def services():
        out = []
        for svc in db_services.service_list():
            if svc['binary'] not in ('iaas-volume', 'iaas-scheduler'):
                continue
            out.append(dict(svc, up=db_services.is_up(svc, CONF.service.service_down_time)))
        return out

    @staticmethod
    def set_service_disabled(host, binary, disabled, reason=None):
        """Enable or disable the services of ``binary`` (Cinder's name) on
        ``host`` (Cinder's host filter); VolumeNotFound when there is none."""
        ours = {'cinder-volume': 'iaas-volume', 'cinder-scheduler': 'iaas-scheduler'}
        name = host.split('@', 1)[0]
        svcs = [s for s in db_services.service_list(binary=ours.get(binary, '-'))
                if s['host'] == name] if binary in ours else []
        if not svcs:
            raise VolumeNotFound(f'{binary} on {host}', 'Service')
        for svc in svcs:
            db_services.service_update(svc['host'], svc['binary'], disabled=disabled,
                                       disabled_reason=reason if disabled else None)

    @staticmethod
    def backends():
        return db_backends.list_()
