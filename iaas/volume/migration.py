"""Volume migration (Cinder's admin actions ``os-migrate_volume`` and
``os-migrate_volume_completion``) in the API process: checks, the claim on
the target backend, the cast.

An ``available`` volume without snapshots or group moves to another
backend (``host@backend[#pool]``) of the same availability zone whose
volume service is up and which suits its type: under the target backend's
lock its size is claimed there and the volume swaps to ``maintenance``
(``migration_status`` migrating, ``migration_host`` the target) in one
transaction; its own host copies it (:mod:`iaas.volume.migration_ops`)
and the volume keeps its id. The volume is always locked during a
migration (Cinder's ``lock_volume``: the only safe way with compare-and-swap
statuses), and the copy is always the generic host copy
(``force_host_copy``). An in-use volume is refused (400): moving a
guest's disk needs the hypervisor's block copy.

``os-migrate_volume_completion`` completes a migration that made a new
volume in Cinder; here none is made (the volume keeps its id), so it only
aborts a running one (``error``: true, ``new_volume`` the volume itself),
which ends ``available`` on its old host with migration_status ``error``.
"""
from iaas.conf import CONF
from iaas.db import services as db_services
from iaas.db import volume_backends as db_backends
from iaas.db import volumes as db
from iaas.exception import InvalidVolume
from iaas.scheduler import volumes as scheduler_volumes
from iaas.volume import api as volume_api
from iaas.volume import policies as P
from iaas.volume import states

RUNNING = (states.MIGRATING, states.COMPLETING)


class Migrations:
    def __init__(self, volumes=None):
        self.volumes = volumes or volume_api.API()

    def migrate(self, ctx, uuid, host, force_host_copy=False, lock_volume=False):
        """Begin the migration of the volume to backend ``host``."""
        vol = self.volumes.get(ctx, uuid, P.VOLUME_MIGRATE)
        dest = str(host).split('#', 1)[0]
        self._check_volume(vol)
        backend = self._check_target(vol, dest)
        claimed = db_backends.claim_migration(
            dest, uuid, (states.AVAILABLE,), states.MAINTENANCE,
            previous_status=states.AVAILABLE, migration_status=states.MIGRATING, fault=None)
        if claimed is False:
            raise InvalidVolume(f'Invalid host: backend {dest} has no room for volume '
                                f'{uuid} ({vol["size"]}G).')
        self.volumes.volume.migrate_volume(ctx, vol['host'], uuid, backend['name'])
        return claimed

    @staticmethod
    def _check_volume(vol):
        uuid = vol['uuid']
        if vol['status'] == states.IN_USE:
            raise InvalidVolume(f'Invalid volume: volume {uuid} is in-use; migrating an '
                                f'attached volume is not supported, detach it first.')
        if vol['status'] != states.AVAILABLE or vol['migration_status'] in RUNNING:
            raise InvalidVolume(f'Invalid volume: Volume {uuid} status must be available '
                                f'and not migrating, but current status is: '
                                f'{vol["status"]} (migration {vol["migration_status"]}).')
        if db.dependents(uuid)['snapshots']:
            raise InvalidVolume(f'Invalid volume: Volume {uuid} must not have snapshots.')
        if vol.get('group_id'):
            raise InvalidVolume(f'Invalid volume: Volume {uuid} must not be part of a '
                                f'group.')
        if not vol['host']:
            raise InvalidVolume(f'Invalid volume: Volume {uuid} is on no backend.')

    def _check_target(self, vol, dest):
        if dest == vol['host']:
            raise InvalidVolume('Invalid host: Destination host must be different than the '
                                'current host.')
        backend = next((b for b in db_backends.list_() if b['name'] == dest), None)
        if backend is None:
            raise InvalidVolume(f'Invalid host: no volume backend {dest[:255]!r}.')
        up = any(s['host'] == backend['host'] and not s['disabled'] and
                 db_services.is_up(s, CONF.service.service_down_time)
                 for s in db_services.service_list(binary='iaas-volume'))
        if not up:
            raise InvalidVolume(f'Invalid host: the volume service of {dest} is down or '
                                f'disabled.')
        if backend['availability_zone'] != vol['availability_zone']:
            raise InvalidVolume(f'Invalid host: backend {dest} is in availability zone '
                                f'{backend["availability_zone"]}, the volume in '
                                f'{vol["availability_zone"]}.')
        vtype = self.volumes.types_by_id().get(vol['volume_type_id'])
        if not scheduler_volumes.suits(backend, (vtype or {}).get('extra_specs') or {}):
            raise InvalidVolume(f'Invalid host: backend {dest} does not suit the volume '
                                f'type {(vtype or {}).get("name")}.')
        return backend

    def complete(self, ctx, uuid, new_volume, error=False):
        """os-migrate_volume_completion: abort the volume's running
        migration (``error``); returns the id of the volume kept."""
        vol = self.volumes.get(ctx, uuid, P.VOLUME_MIGRATE_COMPLETION)
        new = self.volumes.get(ctx, new_volume)
        if vol['status'] != states.MAINTENANCE or vol['migration_status'] not in RUNNING:
            raise InvalidVolume('Invalid volume: Source volume not mid-migration.')
        if new['uuid'] != vol['uuid'] or not error:
            raise InvalidVolume('Invalid volume: Destination volume not mid-migration '
                                '(a migration here keeps the volume\'s id and completes '
                                'on its own; only error=true, to abort it, is accepted).')
        db.swap(uuid, (states.MAINTENANCE,), states.AVAILABLE,
                fault='migration aborted by an administrator')
        return uuid
