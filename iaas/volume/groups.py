"""Generic volume groups in the API process (Cinder 3.11–3.20): group types,
groups of volumes and group snapshots.

A group needs no work on a backend: it is a record its volumes name
(``volumes.group_id``). Its volumes are made, cloned, snapshotted and
deleted through the volume paths of :class:`iaas.volume.api.API`, so quota,
placement and status rules are the volumes' own. A group being made from a
source is ``updating`` while its volumes are added, then ``creating`` until
the last of them is made (the conductor settles it, see
:func:`iaas.db.volume_groups.settle`); a group snapshot likewise. A deleted
group (group snapshot) goes when its last volume (snapshot) went. Every
status change is a compare-and-swap; the reaper ends what never finishes.
"""
import logging

from iaas.conf import CONF
from iaas.db import volume_groups as db
from iaas.db import volumes as db_volumes
from iaas.exception import (
    GroupSnapshotNotFound,
    GroupTypeNotFound,
    InvalidVolume,
    MarkerNotFound,
    VolumeError,
    VolumeGroupNotFound,
    VolumeNotFound,
)
from iaas.volume import api as volume_api
from iaas.volume import policies as P
from iaas.volume import states

LOG = logging.getLogger(__name__)
DEFAULT_GROUP_TYPE = 'default_group_type'
SORT_KEYS = db.SORT_KEYS
TYPE_SORT_KEYS = db.TYPE_SORT_KEYS
GROUP_STATUSES = states.GROUP_STATUSES
GROUP_SNAPSHOT_STATUSES = states.GROUP_SNAPSHOT_STATUSES
# the statuses a group (group snapshot) may be deleted from
DELETABLE = states.op('group', 'delete').begin
allowed, enforce, owner_of = volume_api.allowed, volume_api.enforce, volume_api.owner_of


def reap(older_than):
    """The conductor's reaper: groups and group snapshots in a transitional
    status since before ``older_than`` end with their operation's failure
    outcome (a swap each); [(kind, uuid)] of those ended."""
    done = []
    for kind, uuid, status in db.stuck(sorted(states.GROUP_TRANSITIONAL), older_than):
        failure = states.op(kind, states.op_running(kind, status)).failure
        swap = db.swap if kind == 'group' else db.snapshot_swap
        try:
            swap(uuid, (status,), failure)
        except (InvalidVolume, VolumeNotFound):
            continue      # it moved on meanwhile
        done.append((kind, uuid))
    return done


def _page(fn, *args):
    try:
        return fn(*args)
    except MarkerNotFound as exc:
        raise volume_api.MarkerMissing(str(exc)) from None
    except ValueError as exc:
        raise InvalidVolume(str(exc)) from None


class GroupAPI:
    def __init__(self, volumes=None):
        self.volumes = volumes or volume_api.API()

    # -- group types ---------------------------------------------------------------
    @staticmethod
    def is_admin(ctx):
        """May the caller see private group types and group specs?"""
        return allowed(ctx, P.GROUP_TYPE_SPECS_READ, {'project_id': ctx.project_id})

    def get_type(self, ctx, ident):
        if ident == 'default':
            return self.default_type()
        t = db.type_get(ident)
        if not t['is_public'] and not self.is_admin(ctx):
            raise GroupTypeNotFound(ident)
        return t

    @staticmethod
    def default_type():
        return db.type_ensure(DEFAULT_GROUP_TYPE, 'Default group type')

    def list_types(self, ctx, is_public=True, sort=None):
        """Public types; admins choose with ``is_public`` (None: all)."""
        if not self.is_admin(ctx):
            is_public = True
        self.default_type()
        return db.type_list(is_public, sort or (('created_at', 'asc'),))

    create_type = staticmethod(db.type_create)
    update_type = staticmethod(db.type_update)
    delete_type = staticmethod(db.type_delete)
    set_type_specs = staticmethod(db.type_set_specs)
    delete_type_spec = staticmethod(db.type_delete_spec)

    # -- groups --------------------------------------------------------------------
    def get(self, ctx, uuid, rule=P.GROUP_GET):
        """The group if ``ctx`` may show it (404 otherwise, also another
        project's) and may do ``rule`` on it (403 otherwise)."""
        return volume_api.visible(ctx, db.get, uuid, VolumeGroupNotFound, P.GROUP_GET, rule)

    def list(self, ctx, filters=None, sort=None, limit=None, marker=None, offset=None):
        return _page(db.list_, volume_api.own_project(ctx), filters,
                     sort or (('created_at', 'desc'),), limit, marker, offset)

    @staticmethod
    def volume_ids(group_ids):
        return db.volume_ids_of(group_ids)

    def group_for_volume(self, ctx, group_id):
        """The group a new volume joins: the caller's to update, available."""
        group = self.get(ctx, group_id, P.GROUP_UPDATE)
        if group['status'] != 'available':
            raise InvalidVolume(f'Invalid group: Group {group_id} status must be available, '
                                f'but current status is: {group["status"]}.')
        return group

    def create(self, ctx, group_type, volume_types, name=None, description=None,
               availability_zone=None):
        project_id = volume_api.own_project(ctx)
        gtype = self.get_type(ctx, group_type)
        type_ids = []
        for ident in volume_types:
            uuid = self.volumes.volume_type(ctx, ident)['uuid']
            if uuid not in type_ids:
                type_ids.append(uuid)
        if availability_zone and availability_zone not in self.volumes.zones():
            raise InvalidVolume(f'Invalid input received: Availability zone '
                                f"'{availability_zone}' is invalid.")
        group = db.create({
            'project_id': project_id, 'user_id': ctx.user_id, 'group_type_id': gtype['uuid'],
            'volume_type_ids': type_ids, 'display_name': name,
            'display_description': description,
            'availability_zone': availability_zone or CONF.compute.default_availability_zone})
        db.settle(group['uuid'])      # no volumes to make: available at once
        return db.get(group['uuid'])

    def create_from_src(self, ctx, name=None, description=None, group_snapshot_id=None,
                        source_group_id=None):
        """A new group with a volume made from each snapshot of the group
        snapshot, or a clone of each volume of the source group."""
        project_id = volume_api.own_project(ctx)
        if bool(group_snapshot_id) == bool(source_group_id):
            raise InvalidVolume('Invalid input received: Either \'group_snapshot_id\' or '
                                '\'source_group_id\' must be provided to create group '
                                f'{name} from source.')
        if group_snapshot_id:
            gsnap = self.get_snapshot(ctx, group_snapshot_id)
            if gsnap['status'] != 'available':
                raise InvalidVolume(f'Invalid GroupSnapshot: Group snapshot '
                                    f'{group_snapshot_id} status must be available, but '
                                    f'current status is: {gsnap["status"]}.')
            source = db.get(gsnap['group_id'])
            members = [dict(snapshot_id=s['uuid'], volume_type=db_volumes.get(
                s['volume_id'])['volume_type_id'], name=s['display_name'])
                for s in db.snapshot_members(group_snapshot_id)]
        else:
            source = self.get(ctx, source_group_id)
            if source['status'] != 'available':
                raise InvalidVolume(f'Invalid group: Source group {source_group_id} status '
                                    f'must be available, but current status is: '
                                    f'{source["status"]}.')
            members = [dict(source_volid=v['uuid'], volume_type=v['volume_type_id'],
                            name=v['display_name']) for v in db.volumes(source_group_id)]
        group = db.create({
            'project_id': project_id, 'user_id': ctx.user_id,
            'group_type_id': source['group_type_id'],
            'volume_type_ids': list(source['volume_type_ids']), 'display_name': name,
            'display_description': description,
            'availability_zone': source['availability_zone'],
            'group_snapshot_id': group_snapshot_id, 'source_group_id': source_group_id},
            status='updating')
        self._fill(group, lambda: [self.volumes.create(ctx, group=group, **m)
                                   for m in members], db.swap, db.settle)
        return db.get(group['uuid'])

    @staticmethod
    def _fill(row, make_members, swap, settle):
        """Make the members of a new group (group snapshot) that is
        ``updating``; then ``creating`` until the last member is made. A
        failure leaves it in error (the members made so far stay in it)."""
        try:
            make_members()
        except Exception:
            swap(row['uuid'], ('updating',), 'error')
            raise
        swap(row['uuid'], ('updating',), states.op('group', 'fill').success)
        settle(row['uuid'])

    def update(self, ctx, uuid, name=None, description=None, add=(), remove=(),
               rename=False):
        """Rename (``rename``: name/description given), add and remove volumes."""
        group = self.get(ctx, uuid, P.GROUP_UPDATE)
        if not (rename or add or remove):
            raise InvalidVolume('Invalid input received: Name, description, add_volumes, and '
                                'remove_volumes can not be all empty in the request body.')
        if group['status'] != 'available':
            raise InvalidVolume(f'Invalid group: Group status must be available, but current '
                                f'status is: {group["status"]}.')
        for vid in add:        # another project's volume is not found
            self.volumes.get(ctx, vid)
        if add or remove:
            db.update_members(uuid, add, remove)
        if rename:
            db.set_fields(uuid, display_name=name, display_description=description)
        return db.get(uuid)

    def delete(self, ctx, uuid, delete_volumes=False):
        """Delete the group (``delete_volumes``: and its volumes)."""
        group = self.get(ctx, uuid, P.GROUP_DELETE)
        vols = db.volumes(uuid)
        if vols and not delete_volumes:
            raise InvalidVolume(f'Invalid group: Group {uuid} still contains volumes. The '
                                f'delete-volumes flag is required to delete it.')
        if db.snapshot_count(uuid):
            raise InvalidVolume(f'Invalid group: Group {uuid} still has dependent group '
                                f'snapshots.')
        if group['status'] not in DELETABLE:
            raise InvalidVolume(f'Invalid group: Group status must be available or error, '
                                f'but current status is: {group["status"]}.')
        deletable = states.op('volume', 'delete').begin
        for vol in vols:
            deps = db_volumes.dependents(vol['uuid'])
            if deps['attachments'] or vol['status'] not in deletable:
                raise InvalidVolume(f'Invalid group: Volume {vol["uuid"]} in group {uuid} is '
                                    f'{vol["status"]}; it cannot be deleted now.')
            if deps['snapshots']:
                raise InvalidVolume(f'Invalid group: Volume {vol["uuid"]} in group {uuid} '
                                    f'still has dependent snapshots.')
        db.swap(uuid, DELETABLE, 'deleting')
        for vol in vols:
            try:
                self.volumes.delete(ctx, vol['uuid'], with_group=True)
            except VolumeError as exc:      # the reaper ends the group in error_deleting
                LOG.warning('group %s: volume %s not deleted: %s', uuid, vol['uuid'], exc)
        db.finish_delete(uuid)

    def reset_status(self, ctx, uuid, status):
        group = self.get(ctx, uuid, P.GROUP_RESET_STATUS)
        if status not in GROUP_STATUSES:
            raise InvalidVolume(f'Invalid input received: Invalid status {status}.')
        db.swap(uuid, (group['status'],), status)

    # -- group snapshots -----------------------------------------------------------
    def get_snapshot(self, ctx, uuid, rule=P.GROUP_SNAPSHOT_GET):
        return volume_api.visible(ctx, db.snapshot_get, uuid, GroupSnapshotNotFound,
                                  P.GROUP_SNAPSHOT_GET, rule)

    def list_snapshots(self, ctx, filters=None, sort=None, limit=None, marker=None,
                       offset=None):
        return _page(db.snapshot_list, volume_api.own_project(ctx), filters,
                     sort or (('created_at', 'desc'),), limit, marker, offset)

    def create_snapshot(self, ctx, group_id, name=None, description=None):
        """A snapshot of every volume of the group (each through the
        volumes' snapshot path, naming the group snapshot)."""
        group = self.get(ctx, group_id, P.GROUP_SNAPSHOT_CREATE)
        if group['status'] != 'available':
            raise InvalidVolume(f'Invalid group: Group {group_id} status must be available, '
                                f'but current status is: {group["status"]}.')
        vols = db.volumes(group_id)
        for vol in vols:
            if vol['status'] not in ('available', 'in-use'):
                raise InvalidVolume(f'Invalid volume: Volume {vol["uuid"]} of group '
                                    f'{group_id} status must be available or in-use, but '
                                    f'current status is: {vol["status"]}.')
        gsnap = db.snapshot_create({
            'project_id': group['project_id'], 'user_id': ctx.user_id, 'group_id': group_id,
            'group_type_id': group['group_type_id'], 'display_name': name,
            'display_description': description})
        self._fill(gsnap, lambda: [self.volumes.create_snapshot(
            ctx, v['uuid'], force=True, group_snapshot_id=gsnap['uuid']) for v in vols],
            db.snapshot_swap, db.snapshot_settle)
        return db.snapshot_get(gsnap['uuid'])

    def delete_snapshot(self, ctx, uuid):
        gsnap = self.get_snapshot(ctx, uuid, P.GROUP_SNAPSHOT_DELETE)
        if gsnap['status'] not in DELETABLE:
            raise InvalidVolume(f'Invalid GroupSnapshot: Group snapshot status must be '
                                f'available or error, but current status is: '
                                f'{gsnap["status"]}.')
        members = db.snapshot_members(uuid)
        deletable = states.op('snapshot', 'delete').begin
        busy = [s for s in members if s['status'] not in deletable + ('deleting',)]
        if busy:
            raise InvalidVolume(f'Invalid GroupSnapshot: Snapshot {busy[0]["uuid"]} is '
                                f'{busy[0]["status"]}; it cannot be deleted now.')
        db.snapshot_swap(uuid, DELETABLE, 'deleting')
        for snap in members:
            if snap['status'] == 'deleting':
                continue
            try:
                self.volumes.delete_snapshot(ctx, snap['uuid'])
            except VolumeError as exc:   # the reaper ends it in error_deleting
                LOG.warning('group snapshot %s: snapshot %s not deleted: %s', uuid,
                            snap['uuid'], exc)
        db.snapshot_finish_delete(uuid)

    def reset_snapshot_status(self, ctx, uuid, status):
        gsnap = self.get_snapshot(ctx, uuid, P.GROUP_SNAPSHOT_RESET_STATUS)
        if status not in GROUP_SNAPSHOT_STATUSES:
            raise InvalidVolume(f'Invalid input received: Invalid status {status}.')
        db.snapshot_swap(uuid, (gsnap['status'],), status)
