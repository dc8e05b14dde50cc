"""Compute orchestration in the API process: checks, DB writes, casts.

The REST layer (``iaas/api/compute/``) calls this and nothing below it.
Ownership is decided by the compute policy rules
(:mod:`iaas.compute.policies`) on the instance's own project: one the
caller may not show is simply not found (404), one it may see but not
change is 403. A context without a project owns nothing: it creates
nothing and lists nothing of its own (defence in depth; the router
already refuses such tokens on every project-scoped route).
"""
import base64
import binascii
import logging
import re

import requests

from iaas import notifications, states
from iaas.billing import enforcement as budget
from iaas.compute import boot_volumes, live_migration, moves, shelve
from iaas.compute import policies as P
from iaas.compute import rpcapi as compute_rpcapi
from iaas.compute.errors import (  # noqa: F401  (the API's names)
    ComputeError,
    Conflict,
    Forbidden,
    NotFound,
    allowed,
    enforce,
    owner_of,
)
from iaas.conf import CONF
from iaas.console import tokens as console_tokens
from iaas.db import compute_nodes as db_nodes
from iaas.db import flavors as db_flavors
from iaas.db import images as db_images
from iaas.db import instances as db
from iaas.db import keypairs as db_keypairs
from iaas.db import quotas
from iaas.db import server_groups as db_groups
from iaas.db import services as db_services
from iaas.db import volumes as db_volumes
from iaas.ec2 import ids as ec2_ids
from iaas.exception import (
    ConsoleTypeUnavailable,
    ServiceError,
    VolumeNotFound,
    VolumeStatusError,
)
from iaas.image import access as image_access
from iaas.image import upload as image_upload
from iaas.network import api as network_api
from iaas.scheduler import rpcapi as scheduler_rpcapi
from iaas.scheduler.host_state import RequestSpec
from iaas.volume import api as volume_api
from iaas.volume import rpcapi as volume_rpcapi

LOG = logging.getLogger(__name__)

HOSTNAME_BAD = re.compile(r'[^a-z0-9-]+')
# Instances one create may make, whatever the quota (an unlimited quota too).
MAX_PER_REQUEST = 1000


def own_project(ctx):
    """The caller's project; 403 for a context without one (never "all")."""
    if not ctx.project_id:
        raise Forbidden('This action requires a project-scoped token.')
    return ctx.project_id


def _sees_everything(ctx):
    return allowed(ctx, 'admin_required', {'project_id': None})


FLAVOR_SNAPSHOT_KEYS = ('id', 'flavorid', 'name', 'memory_mb', 'vcpus', 'root_gb',
                        'ephemeral_gb', 'swap', 'extra_specs')


def flavor_snapshot_of(flavor):
    """The flavor as an instance keeps it (flavors may change or go later)."""
    return {k: flavor[k] for k in FLAVOR_SNAPSHOT_KEYS}


def hostname_for(name, uuid):
    host = HOSTNAME_BAD.sub('-', (name or '').lower()).strip('-')[:63]
    return host or f'server-{uuid[:8]}'


class API(shelve.ShelveAPI, moves.MoveAPI, live_migration.LiveMigrationAPI):
    def __init__(self):
        self.scheduler = scheduler_rpcapi.SchedulerAPI()
        self.compute = compute_rpcapi.ComputeAPI()
        self.boot_volumes = boot_volumes.BootVolumes()
        self.volume_rpc = volume_rpcapi.VolumeAPI()

    # -- lookups ---------------------------------------------------------------
    def get(self, ctx, uuid, rule=P.SERVERS_SHOW):
        """The instance if ``ctx`` may show it (404 otherwise, also for another
        project's), and may do ``rule`` on it (403 otherwise)."""
        try:
            inst = db.get(uuid)
        except db.InstanceNotFound:
            inst = None
        target = owner_of(inst) if inst is not None else None
        if inst is None or not allowed(ctx, P.SERVERS_SHOW, target):
            raise NotFound(f'Instance {uuid} could not be found.')
        if rule != P.SERVERS_SHOW:
            enforce(ctx, rule, target)
        inst['volumes_attached'] = db_volumes.attachments_of_instances([uuid])[uuid]
        return inst

    def list(self, ctx, filters=None, all_tenants=False, project_id=None, sort=None,
             limit=None, marker=None):
        """The caller's project's instances; with ``all_tenants`` (checked by
        the caller against its rule) every project's, or ``project_id``'s."""
        if not all_tenants:
            project_id = own_project(ctx)
        elif project_id is None:
            project_id = db.ALL_PROJECTS
        try:
            rows = db.list_(project_id=project_id, filters=filters,
                            sort=sort or (('created_at', 'desc'),), limit=limit,
                            marker=marker)
            atts = db_volumes.attachments_of_instances([r['uuid'] for r in rows])
            for r in rows:
                r['volumes_attached'] = atts[r['uuid']]
            return rows
        except db.MarkerNotFound as exc:
            raise ComputeError(str(exc)) from None
        except ValueError as exc:
            raise ComputeError(str(exc)) from None

    def image(self, ctx, image_ref, for_boot=False):
        get = db_images.image_get_for_boot if for_boot else db_images.image_get
        try:
            image = get(image_ref)
        except (db_images.ImageNotFound, ValueError):
            raise ComputeError(f'Image {image_ref} could not be found.') from None
        if not image_access.can_see(ctx, image):    # the image service's rule
            raise ComputeError(f'Image {image_ref} could not be found.')
        return image

    def flavor(self, ctx, flavor_ref):
        try:
            return db_flavors.get(flavor_ref, ctx.project_id, include_private=allowed(
                ctx, P.FLAVOR_ACCESS, {'project_id': ctx.project_id}))
        except db_flavors.FlavorNotFound:
            raise ComputeError(f'Flavor {flavor_ref} could not be found.') from None

    # -- create ------------------------------------------------------------------
    def create(self, ctx, name, image_ref, flavor_ref, key_name=None, user_data=None,
               metadata=None, availability_zone=None, min_count=1, max_count=1,
               scheduler_hints=None, description=None, config_drive=False,
               networks=None, security_groups=None, system_metadata=None,
               block_devices=None, client_token=None):
        """Servers of ``image_ref`` and ``flavor_ref`` (a flavor id, or a
        flavor the caller has looked up already through
        :mod:`iaas.compute.flavors`); ``client_token``: (token, digest) of an
        EC2 RunInstances, recorded with the servers in their transaction
        (:class:`iaas.db.ec2_tokens.Taken` when another request has it)."""
        project_id = own_project(ctx)
        budget.check(project_id, 'servers')
        bdms = block_devices or []
        if availability_zone and ':' in availability_zone:
            enforce(ctx, P.SERVERS_FORCED_HOST, {'project_id': project_id})
        flavor = flavor_ref if isinstance(flavor_ref, dict) else self.flavor(ctx, flavor_ref)
        if flavor['disabled']:
            raise ComputeError(f"Flavor {flavor['flavorid']} is disabled.")
        image = self.image(ctx, image_ref, for_boot=True)
        if image['status'] != 'active':
            raise ComputeError(f'Image {image_ref} is not active.')
        if not any(b['boot_index'] == 0 for b in bdms):
            # a volume-backed image: its root is a new volume of its snapshot
            bdms = boot_volumes.image_bdms(image) + bdms
        if image.get('min_ram') and flavor['memory_mb'] < image['min_ram']:
            raise ComputeError("Flavor's memory is too small for requested image.")
        min_disk = max(image.get('min_disk') or 0,
                       -(-(image.get('size') or 0) // (1 << 30)) if flavor['root_gb'] else 0)
        boot_volume = any(b['boot_index'] == 0 for b in bdms)
        if flavor['root_gb'] and min_disk > flavor['root_gb'] and not boot_volume:
            raise ComputeError("Flavor's disk is too small for requested image.")
        key_data = None
        if key_name:
            try:
                key_data = db_keypairs.get(ctx.user_id, key_name)['public_key']
            except db_keypairs.KeyPairNotFound:
                raise ComputeError(f'Invalid key_name provided: {key_name}') from None
        if user_data:
            try:
                base64.b64decode(user_data, validate=True)
            except (binascii.Error, ValueError):
                raise ComputeError('User data needs to be valid base 64.') from None
        networks = self._check_networks(ctx, networks)
        self._check_security_groups(ctx, security_groups)
        zone = availability_zone
        if zone and zone not in self.availability_zones(ctx, only_available=False):
            raise ComputeError(f'The requested availability zone is not available: {zone}')
        group = None
        hints = scheduler_hints or {}
        if hints.get('group'):
            try:
                group = db_groups.get(hints['group'])
            except db_groups.GroupNotFound:
                group = None
            if group is None or not allowed(ctx, P.GROUPS_SHOW, owner_of(group)):
                raise ComputeError(f"Invalid server group {hints['group']}")
        limits = quotas.get_limits(project_id)      # one read for every check below
        self._check_metadata_quota(limits, metadata)
        count = self._instance_room(project_id, flavor, min_count, max_count, limits)
        self.boot_volumes.check(ctx, bdms, count)
        if bdms:
            system_metadata = {**(system_metadata or {}), 'boot_volumes': True,
                               'boot_from_volume': boot_volume}
        if client_token:
            system_metadata = {**(system_metadata or {}), 'ec2_client_token': client_token[0]}
        flavor_snapshot = flavor_snapshot_of(flavor)
        import uuid as uuid_mod
        reservation_id = 'r-' + uuid_mod.uuid4().hex[:8]
        values_list = []
        uids = [str(uuid_mod.uuid4()) for _ in range(count)]
        # the EC2 ids the guest's metadata and config drive show (the same the
        # EC2 API shows for the server and its image), made once, here
        # stored with the instances, in their transaction
        ec2 = ec2_ids.new_for('instance', uids)
        ami = ec2_ids.one('image', image['id'])
        for i in range(count):
            uid = uids[i]
            shown = name if max_count == 1 else f'{name}-{i + 1}'
            values_list.append(dict(
                uuid=uid, display_name=shown, display_description=description,
                hostname=hostname_for(shown, uid), project_id=project_id,
                user_id=ctx.user_id, image_ref=image['id'], flavor_id=flavor['id'],
                flavor=flavor_snapshot, key_name=key_name, key_data=key_data,
                user_data=user_data, metadata_=dict(metadata or {}),
                system_metadata={**(system_metadata or {}), 'image_name': image.get('name'),
                                 'networks': networks, 'security_groups': security_groups,
                                 'ec2_id': ec2[uid], 'ec2_image_id': ami},
                vm_state=states.BUILDING, task_state=states.SCHEDULING,
                power_state=states.NOSTATE, availability_zone=zone,
                vcpus=flavor['vcpus'], memory_mb=flavor['memory_mb'],
                root_gb=flavor['root_gb'], ephemeral_gb=flavor['ephemeral_gb'],
                config_drive=bool(config_drive), reservation_id=reservation_id,
                launch_index=i))
        try:
            created = db.create_with_quota(
                project_id, values_list, min_count=min_count, limits=limits,
                ec2_ids={'instance': ec2},
                group_id=group['id'] if group else None,
                action={'action': 'create', 'request_id': ctx.request_id,
                        'user_id': ctx.user_id, 'project_id': project_id},
                client_token=client_token)
        except quotas.QuotaExceeded as exc:
            raise ComputeError(str(exc), code=403) from None
        if bdms:
            try:
                self.boot_volumes.create(ctx, created[0]['uuid'], bdms)
            except ServiceError as exc:
                notifications.instance_error(ctx, db.set_error(
                    created[0]['uuid'], f'Volumes of the server: {exc}'[:255],
                    code=exc.code, expected_task_state=states.SCHEDULING), 'compute-api')
                raise
        spec = RequestSpec(
            instance_uuids=[i['uuid'] for i in created], flavor=flavor_snapshot,
            project_id=project_id,
            image={'id': image['id'], 'properties': image.get('properties') or {},
                   'min_disk': image.get('min_disk'), 'min_ram': image.get('min_ram'),
                   'disk_format': image.get('disk_format'), 'size': image.get('size')},
            availability_zone=zone, scheduler_hints=hints,
            group={'uuid': group['uuid'], 'policy': group['policy'],
                   'members': group['members'] + [i['uuid'] for i in created]}
            if group else None,
            num_instances=len(created))
        self.scheduler.build_instances(ctx, spec.to_dict())
        return created, reservation_id

    @staticmethod
    def _instance_room(project_id, flavor, min_count, max_count, limits=None):
        """How many instances to build (≤ max_count): what the project's
        quota has room for, and at most MAX_PER_REQUEST; 403 (Nova's quota
        exceeded) when not even ``min_count`` fit. Checked before anything
        proportional to the requested count exists."""
        per = {'instances': 1, 'cores': flavor['vcpus'], 'ram': flavor['memory_mb']}
        try:
            room = quotas.instance_room(project_id, per, min_count, max_count, limits)
        except quotas.QuotaExceeded as exc:
            raise ComputeError(str(exc), code=403) from None
        if min_count > MAX_PER_REQUEST:
            raise ComputeError(f'min_count {min_count} is more than the {MAX_PER_REQUEST} '
                               'instances one request may create.')
        return min(room, MAX_PER_REQUEST)

    @staticmethod
    def _check_metadata_quota(limits, metadata):
        limit = limits['metadata_items']
        if metadata and 0 <= limit < len(metadata):
            raise ComputeError('Quota exceeded for metadata items', code=403)

    def _check_networks(self, ctx, networks):
        """Requested networks/ports must exist and be visible to the project.
        'auto' with no network the project could use becomes 'none' (no NIC)."""
        if networks in (None, 'auto'):
            usable = network_api.network_usable_exists(project_id=own_project(ctx))
            return networks if usable else 'none'
        if not isinstance(networks, list):
            return networks   # 'none'
        project = network_api.ALL_PROJECTS if _sees_everything(ctx) else own_project(ctx)
        for item in networks:
            if not isinstance(item, dict):
                raise ComputeError('Bad networks format')
            try:
                if item.get('port'):
                    network_api.port_get(item['port'], project)
                elif item.get('uuid'):
                    network_api.network_get(item['uuid'], project)
                    network_api.check_fixed_ip(item['uuid'], item.get('fixed_ip'))
                else:
                    raise ComputeError('Bad networks format: each entry needs a uuid or '
                                       'a port')
            except network_api.NotFound:
                what = 'Port' if item.get('port') else 'Network'
                raise ComputeError(f"{what} {item.get('port') or item.get('uuid')} could "
                                   'not be found.') from None
        return networks

    def _check_security_groups(self, ctx, groups):
        """Each requested group (``{'name': name or id}``) must be one of the
        project's, as Nova checks before it accepts the server."""
        for item in groups or []:
            name = item.get('name') if isinstance(item, dict) else None
            if not isinstance(name, str) or not name:
                raise ComputeError('Bad security_groups format: each entry needs a name')
            if name == 'default':       # always there (made on first use by the ports)
                continue
            try:
                network_api.find_security_group(own_project(ctx), name)
            except network_api.NetworkError as exc:
                if exc.code == 404:     # Nova: 400 for a group it cannot find
                    raise ComputeError(
                        f"Unable to find security_group with name or id '{name}'") from None
                raise ComputeError(str(exc), exc.code) from None

    # -- delete -------------------------------------------------------------------
    def delete(self, ctx, uuid):
        inst = self.get(ctx, uuid, P.SERVERS_DELETE)
        self._check_locked(ctx, inst)
        db.action_start(uuid, 'delete', ctx.request_id, ctx.user_id, ctx.project_id)
        host = inst['host']
        self.release_shelved(ctx, inst)
        if host and self._host_up(host):
            try:
                db.update(uuid, expected_task_state=_not_deleting(inst),
                          task_state=states.DELETING)
            except db.UnexpectedState:
                return   # a delete is already under way
            except db.InstanceNotFound:
                raise NotFound(f'Instance {uuid} could not be found.') from None
            self.compute.terminate_instance(ctx, host, uuid)
            return
        # Nowhere to ask (not placed yet, or its host is down): delete here.
        notifications.instance_deleted(ctx, db.soft_delete(uuid), 'compute-api')
        if host:
            db_nodes.refresh_usage(host)
        if inst['volumes_attached']:
            volume_api.release_instance_volumes(ctx, uuid, self.volume_rpc)

    def _host_up(self, host):
        try:
            svc = db_services.service_get(host, 'iaas-compute')
        except db_services.ServiceNotFound:
            return False
        return db_services.is_up(svc, CONF.service.service_down_time)

    def _check_locked(self, ctx, inst):
        if inst['locked'] and not allowed(ctx, P.UNLOCK_OVERRIDE, owner_of(inst)):
            raise Conflict(f"Instance {inst['uuid']} is locked")

    # -- actions -------------------------------------------------------------------
    def _begin(self, ctx, uuid, action, record=None, rule=None, need_host=True):
        """Check and take the action's task_state atomically; return the instance
        (``need_host``: 409 for an instance on no host)."""
        inst = self.get(ctx, uuid, rule or ACTION_RULES[action])
        self._check_locked(ctx, inst)
        try:
            task = states.check_action(action, inst['vm_state'], inst['task_state'])
        except states.InvalidState as exc:
            raise Conflict(str(exc)) from None
        if need_host and not inst['host']:
            raise Conflict(f'Instance {uuid} is not on any host.')
        try:
            inst = db.update(uuid, expected_vm_state=inst['vm_state'],
                             expected_task_state=inst['task_state'], task_state=task)
        except db.UnexpectedState as exc:
            raise Conflict(str(exc)) from None
        except db.InstanceNotFound:
            raise NotFound(f'Instance {uuid} could not be found.') from None
        db.action_start(uuid, record or action, ctx.request_id, ctx.user_id, ctx.project_id)
        return inst

    def action(self, ctx, uuid, action, **kwargs):
        """start, stop, pause, unpause, suspend, resume."""
        inst = self._begin(ctx, uuid, action)
        self.compute.instance_action(ctx, inst['host'], uuid, action, **kwargs)

    def reboot(self, ctx, uuid, reboot_type='SOFT'):
        hard = reboot_type.upper() == 'HARD'
        inst = self._begin(ctx, uuid, 'reboot_hard' if hard else 'reboot', 'reboot',
                           ACTION_RULES['reboot'])
        self.compute.instance_action(ctx, inst['host'], uuid, 'reboot',
                                     reboot_type='HARD' if hard else 'SOFT')

    def rebuild(self, ctx, uuid, image_ref, name=None, metadata=None,
                reimage_boot_volume=False):
        """Rebuild from ``image_ref``. A volume-backed server keeps its root
        volume (so only its own image) unless ``reimage_boot_volume`` (compute
        2.93+): then the root volume is overwritten with the image."""
        inst = self.get(ctx, uuid, ACTION_RULES['rebuild'])   # 404 before any image check
        image = self.image(ctx, image_ref)
        reimage = None
        if (inst['system_metadata'] or {}).get('boot_from_volume'):
            if not reimage_boot_volume and image['id'] != inst['image_ref']:
                raise ComputeError('Unable to rebuild with a different image for a '
                                   'volume-backed server.')
            if reimage_boot_volume:
                try:
                    reimage = self.boot_volumes.begin_reimage(inst)
                except VolumeStatusError as exc:
                    raise Conflict(f'The root volume cannot be rebuilt: {exc}') from None
        try:
            inst = self._begin(ctx, uuid, 'rebuild')
        except ComputeError:
            if reimage:
                self.boot_volumes.abort_reimage(reimage)
            raise
        values = {'image_ref': image['id'], 'system_metadata': {
            **(inst['system_metadata'] or {}), 'ec2_image_id': ec2_ids.one('image', image['id'])}}
        if name:
            values['display_name'] = name
        if metadata is not None:
            values['metadata'] = metadata
        try:    # still ours: a delete may have taken the instance meanwhile
            db.update(uuid, expected_task_state=inst['task_state'], **values)
        except db.UnexpectedState as exc:
            raise Conflict(str(exc)) from None
        except db.InstanceNotFound:
            raise NotFound(f'Instance {uuid} could not be found.') from None
        self.compute.instance_action(ctx, inst['host'], uuid, 'rebuild',
                                     image={'id': image['id'],
                                            'properties': image.get('properties') or {}},
                                     reimage=reimage)
        return db.get(uuid)

    def snapshot(self, ctx, uuid, name, metadata=None):
        inst = self.get(ctx, uuid, ACTION_RULES['snapshot'])
        try:
            states.check_action('snapshot', inst['vm_state'], inst['task_state'])
        except states.InvalidState as exc:
            raise Conflict(str(exc)) from None
        image_id = self._create_snapshot_image(ctx, inst, name, metadata)
        try:
            inst = self._begin(ctx, uuid, 'snapshot', 'createImage')
        except ComputeError:
            self._delete_image(ctx, image_id)
            raise
        self.compute.instance_action(ctx, inst['host'], uuid, 'snapshot', image_id=image_id)
        return image_id

    def image_url(self, ctx):
        return image_upload.image_url()

    def _create_snapshot_image(self, ctx, inst, name, metadata):
        body = {'name': name, 'visibility': 'private',
                'instance_uuid': inst['uuid'], 'image_type': 'snapshot',
                'base_image_ref': inst['image_ref'] or ''}
        body.update({k: str(v) for k, v in (metadata or {}).items()
                     if k not in ('name', 'visibility', 'id')})
        try:
            return image_upload.create_record(ctx.auth_token, body)
        except image_upload.ImageServiceError as exc:
            raise ComputeError(str(exc).replace('the image:', 'the snapshot:'),
                               code=exc.code) from None

    def rotate_backups(self, ctx, inst, backup_type, rotation):
        """Delete the instance's ``backup_type`` backups beyond the newest
        ``rotation`` (Nova's createBackup rotation)."""
        backups = db_images.image_list(
            inst['project_id'], filters={'owner': inst['project_id'], 'properties': {
                'image_type': 'backup', 'backup_type': backup_type,
                'instance_uuid': inst['uuid']}},
            sort=(('created_at', 'desc'),), limit=1000)
        for image in backups[rotation:]:
            self._delete_image(ctx, image['id'])

    def _delete_image(self, ctx, image_id):
        try:
            requests.delete(f'{self.image_url(ctx)}/v2/images/{image_id}', timeout=30,
                            headers={'X-Auth-Token': ctx.auth_token or ''})
        except requests.RequestException:
            LOG.warning('could not delete image %s', image_id)

    def resize(self, ctx, uuid, flavor_ref):
        inst = self.get(ctx, uuid, ACTION_RULES['resize'])
        flavor = self.flavor(ctx, flavor_ref)
        if inst['flavor'] and flavor['flavorid'] == inst['flavor'].get('flavorid'):
            raise ComputeError('When resizing, instances must change flavor!')
        if flavor['root_gb'] < (inst['root_gb'] or 0):
            raise ComputeError('Resize to a smaller disk is not supported.')
        self._check_locked(ctx, inst)
        self._begin_move(ctx, inst, 'resize', moves.migrations.RESIZE,
                         flavor_snapshot_of(flavor))

    def confirm_resize(self, ctx, uuid):
        inst = self.get(ctx, uuid, P.ACTION_RULES['confirmResize'])
        try:
            states.check_action('confirm_resize', inst['vm_state'], inst['task_state'])
        except states.InvalidState as exc:
            raise Conflict(str(exc)) from None
        sysmeta = dict(inst['system_metadata'] or {})
        old_host = sysmeta.pop('old_host', None)
        was = sysmeta.pop('old_vm_state', None)
        for k in ('old_flavor', 'old_node'):
            sysmeta.pop(k, None)
        try:
            confirm = states.ACTIONS['confirm_resize']
            done = db.update(uuid, expected_vm_state=confirm.vm_states,
                             expected_task_state=None,
                             vm_state=states.resize_confirmed(was), system_metadata=sysmeta)
        except db.UnexpectedState as exc:
            raise Conflict(str(exc)) from None
        notifications.instance_event(ctx, notifications.INSTANCE_RESIZE_CONFIRM, done,
                                     service='compute-api')
        db.action_start(uuid, 'confirmResize', ctx.request_id, ctx.user_id, ctx.project_id)
        self._end_move(inst, 'confirmed')
        if old_host and old_host != inst['host']:
            self.compute.cleanup_resize_source(ctx, old_host, uuid,
                                               volumes=self._volume_hosts(uuid))

    def revert_resize(self, ctx, uuid):
        inst = self.get(ctx, uuid, P.ACTION_RULES['revertResize'])
        try:
            states.check_action('revert_resize', inst['vm_state'], inst['task_state'])
        except states.InvalidState as exc:
            raise Conflict(str(exc)) from None
        sysmeta = dict(inst['system_metadata'] or {})
        old = sysmeta.pop('old_flavor', None)
        old_host, old_node = sysmeta.pop('old_host', None), sysmeta.pop('old_node', None)
        old_vm_state = sysmeta.pop('old_vm_state', states.ACTIVE)
        if not old or not old_host:
            raise Conflict('Nothing to revert.')
        got = db_nodes.claim(old_host, old_node, uuid, old,
                             expected_vm_state=states.RESIZED, expected_task_state=None,
                             task_state=states.ACTIONS['revert_resize'].task_state,
                             flavor=old, flavor_id=old.get('id'), vcpus=old['vcpus'],
                             memory_mb=old['memory_mb'], root_gb=old['root_gb'],
                             ephemeral_gb=old.get('ephemeral_gb', 0),
                             system_metadata=sysmeta)
        if not got:
            raise Conflict('The original host has no room to revert the resize.')
        new_host = inst['host']
        if new_host != old_host:
            db_nodes.refresh_usage(new_host)
            self.compute.cleanup_resize_source(ctx, new_host, uuid,
                                               volumes=self._volume_hosts(uuid))
        db.action_start(uuid, 'revertResize', ctx.request_id, ctx.user_id, ctx.project_id)
        self._end_move(inst, 'reverted')
        self.compute.revert_resize(ctx, old_host, uuid, old, old_vm_state,
                                   moved=new_host != old_host)

    @staticmethod
    def _volume_hosts(uuid):
        """[{volume_id, volume_host}] of the server's attached volumes (what a
        host it left withdraws its exports of)."""
        out = []
        for att in db_volumes.attachments_of_instances([uuid])[uuid]:
            try:
                out.append({'volume_id': att['volume_id'],
                            'volume_host': db_volumes.get(att['volume_id'])['host']})
            except VolumeNotFound:
                continue
        return out

    def console_output(self, ctx, uuid, length=None):
        inst = self.get(ctx, uuid, P.ACTION_RULES['os-getConsoleOutput'])
        try:
            states.check_action('console_output', inst['vm_state'], inst['task_state'])
        except states.InvalidState as exc:
            raise Conflict(str(exc)) from None
        if not inst['host']:
            raise Conflict(f'Instance {uuid} is not on any host yet.')
        return self.compute.get_console_output(ctx, inst['host'], uuid, length)

    def get_serial_console(self, ctx, uuid, protocol='serial', console_type='serial'):
        """A one-time URL of the server's serial console: {'protocol',
        'type', 'url'}. 404 for a server the caller may not see, 400 for
        another console than serial or when serial consoles are off, 409
        when the server is not ACTIVE."""
        inst = self.get(ctx, uuid, P.REMOTE_CONSOLES)
        if protocol != console_tokens.SERIAL or console_type != console_tokens.SERIAL \
                or not CONF.serial_console.enabled:
            raise ConsoleTypeUnavailable(f'Unavailable console type {console_type}.')
        if inst['vm_state'] != states.ACTIVE or inst['task_state'] is not None \
                or not inst['host']:
            raise Conflict(f'Instance {uuid} is not ready (vm_state '
                           f'{inst["vm_state"]}, task_state {inst["task_state"]}).')
        where = self.compute.get_serial_console(ctx, inst['host'], uuid)
        _token, url = console_tokens.issue(inst, console_tokens.SERIAL, where['host'],
                                           where['port'])
        return {'protocol': 'serial', 'type': 'serial', 'url': url}

    def console_auth_token(self, ctx, token):
        """What an unused console token opens (admin): {'instance_uuid',
        'host', 'port', 'internal_access_path'}."""
        enforce(ctx, P.CONSOLE_AUTH_TOKENS, {'project_id': None})
        rec = console_tokens.show(token)
        if rec is None:
            raise NotFound('The token is invalid or has expired.')
        return {'instance_uuid': rec['instance_uuid'], 'host': rec['host'],
                'port': rec['port'], 'internal_access_path': None}

    def lock(self, ctx, uuid, reason=None):
        inst = self.get(ctx, uuid, P.ACTION_RULES['lock'])
        # As Nova: locked by someone of another project (an operator) → 'admin'.
        db.set_fields(uuid, locked=True,
                  locked_by='owner' if inst['project_id'] == ctx.project_id else 'admin')
        db.action_start(uuid, 'lock', ctx.request_id, ctx.user_id, ctx.project_id)
        return inst

    def unlock(self, ctx, uuid):
        inst = self.get(ctx, uuid, P.ACTION_RULES['unlock'])
        if inst['locked'] and inst.get('locked_by') == 'admin' and \
                not allowed(ctx, P.UNLOCK_OVERRIDE, owner_of(inst)):
            raise Forbidden('Instance was locked by an administrator.')
        db.set_fields(uuid, locked=False, locked_by=None)
        db.action_start(uuid, 'unlock', ctx.request_id, ctx.user_id, ctx.project_id)

    def update(self, ctx, uuid, **values):
        self.get(ctx, uuid, P.SERVERS_UPDATE)
        return db.set_fields(uuid, **values)

    def set_metadata(self, ctx, uuid, metadata, replace=False, rule=None):
        inst = self.get(ctx, uuid, rule or (P.METADATA_UPDATE_ALL if replace
                                            else P.METADATA_CREATE))
        new = dict(metadata) if replace else {**(inst['metadata'] or {}), **metadata}
        self._check_metadata_quota(quotas.get_limits(inst['project_id']), new)
        return db.set_fields(uuid, metadata=new)['metadata']

    def delete_metadata(self, ctx, uuid, key):
        inst = self.get(ctx, uuid, P.METADATA_DELETE)
        md = dict(inst['metadata'] or {})
        if key not in md:
            raise NotFound(f'Metadata item was not found: {key}')
        del md[key]
        db.set_fields(uuid, metadata=md)

    def availability_zones(self, ctx, only_available=True):
        zones = {CONF.compute.default_availability_zone}
        for s in db_services.service_list(binary='iaas-compute'):
            if not only_available or (not s['disabled'] and
                                      db_services.is_up(s, CONF.service.service_down_time)):
                zones.add(s['availability_zone'] or CONF.compute.default_availability_zone)
        return zones


# compute action (states.check_action's name) → policy rule
ACTION_RULES = {'start': P.ACTION_RULES['os-start'], 'stop': P.ACTION_RULES['os-stop'],
                'pause': P.ACTION_RULES['pause'], 'unpause': P.ACTION_RULES['unpause'],
                'suspend': P.ACTION_RULES['suspend'], 'resume': P.ACTION_RULES['resume'],
                'reboot': P.ACTION_RULES['reboot'], 'rebuild': P.ACTION_RULES['rebuild'],
                'resize': P.ACTION_RULES['resize'],
                'snapshot': P.ACTION_RULES['createImage']}


def _not_deleting(inst):
    """Every task_state but 'deleting' (a second delete is a no-op)."""
    return [t for t in (None, inst['task_state']) if t != states.DELETING] or [None]
