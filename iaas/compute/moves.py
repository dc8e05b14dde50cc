"""Moving servers between hosts, in the processes holding the database (the
API, iaas-conductor's recovery, ``iaas-manage host drain``): evacuate and
cold migrate (Nova's os-evacuate and os-migrate-server), and the migration
records (Nova's os-migrations).

Evacuate rebuilds a server of a dead compute host on another host: the
API checks the source host's service is down (400 otherwise, as Nova),
swaps the server to ``rebuilding`` (the ``evacuate`` row of
:mod:`iaas.states`), records an ``evacuation`` and casts to the scheduler,
which claims a destination other than the source (only ``host`` when
given) and casts the rebuild there (:mod:`iaas.compute.move_ops`). The
server keeps its uuid, ports (re-bound to the new host), floating IPs,
metadata and volumes; an image-backed one gets a new root disk from its
image. The source host, when it comes back, destroys the stale guest
before it reports up.

Cold migrate is a resize to the server's own flavor on another host (the
same states: RESIZE, VERIFY_RESIZE, then confirmResize/revertResize); the
destination takes the source's disk (the driver copies it).
"""
import logging

from iaas import states
from iaas.compute import policies as P
from iaas.compute.errors import ComputeError, Conflict, NotFound, enforce, owner_of
from iaas.conf import CONF
from iaas.db import instances as db
from iaas.db import server_migrations as migrations
from iaas.db import services as db_services

LOG = logging.getLogger(__name__)
COMPUTE = 'iaas-compute'


def compute_service(host):
    """The compute service row of ``host``; 404 when there is none."""
    try:
        return db_services.service_get(host, COMPUTE)
    except db_services.ServiceNotFound:
        raise NotFound(f'Compute host {str(host)[:255]} not found.') from None


def _swap(inst, action):
    """The action's task_state taken by compare-and-swap; 409 when refused."""
    uuid = inst['uuid']
    try:
        task = states.check_action(action, inst['vm_state'], inst['task_state'])
        return db.update(uuid, expected_vm_state=inst['vm_state'],
                         expected_task_state=inst['task_state'], task_state=task)
    except (states.InvalidState, db.UnexpectedState) as exc:
        raise Conflict(str(exc)) from None
    except db.InstanceNotFound:
        raise NotFound(f'Instance {uuid} could not be found.') from None


def begin_evacuation(ctx, inst, scheduler, host=None):
    """Evacuate ``inst`` (its dict, already authorized) off its dead host:
    the migration record (``evacuation``, accepted). 400 when the source's
    compute service is up or ``host`` is the source, 404 for an unknown
    ``host``, 409 when the server's state does not allow it (or another
    evacuation took it first: the swap is the one-evacuation guard)."""
    source = inst['host']
    if not source:
        raise Conflict(f"Instance {inst['uuid']} is not on any host.")
    try:
        svc = db_services.service_get(source, COMPUTE)
    except db_services.ServiceNotFound:
        svc = None
    if svc is not None and db_services.is_up(svc, CONF.service.service_down_time):
        raise ComputeError(f'Compute service of {source} is still in use.')
    if host is not None:
        if host == source:
            raise ComputeError("The target host can't be the same one.")
        compute_service(host)
    inst = _swap(inst, 'evacuate')
    uuid = inst['uuid']
    db.action_start(uuid, 'evacuate', ctx.request_id, ctx.user_id, ctx.project_id)
    mig = migrations.create(inst, migrations.EVACUATION, 'accepted', dest_compute=host,
                            user_id=ctx.user_id)
    LOG.info('evacuating %s from %s (migration %s)', uuid, source, mig['id'])
    scheduler.evacuate_instance(ctx, uuid, mig['id'], host=host)
    return mig


class MoveAPI:
    """Mixed into :class:`iaas.compute.api.API`; needs ``get``,
    ``_check_locked`` and ``scheduler``."""

    def evacuate(self, ctx, uuid, host=None):
        """Rebuild the server of a dead host elsewhere (admin)."""
        inst = self.get(ctx, uuid, P.ACTION_RULES['evacuate'])
        return begin_evacuation(ctx, inst, self.scheduler, host=host)

    def migrate(self, ctx, uuid, host=None):
        """Cold-migrate the server to another host (``host``: that one)."""
        inst = self.get(ctx, uuid, P.ACTION_RULES['migrate'])
        self._check_locked(ctx, inst)
        if inst['host'] and not db_services.is_up(compute_service(inst['host']),
                                                  CONF.service.service_down_time):
            # the source hands its disk over: a dead host's server is evacuated
            raise Conflict(f"Compute service of {inst['host']} is unavailable at this "
                           'time (evacuate a server of a dead host).')
        if host is not None:
            if host == inst['host']:
                raise ComputeError('The target host cannot be the host the server is on.')
            compute_service(host)
        return self._begin_move(ctx, inst, 'migrate', migrations.MIGRATION, inst['flavor'],
                                host=host)

    def _begin_move(self, ctx, inst, action, migration_type, new_flavor, host=None):
        """Resize or migrate: the swap, the action, the migration record
        (pre-migrating) and the scheduler's cast."""
        inst = _swap(inst, action)
        uuid = inst['uuid']
        db.action_start(uuid, action, ctx.request_id, ctx.user_id, ctx.project_id)
        mig = migrations.create(inst, migration_type, 'pre-migrating', dest_compute=host,
                                old_flavor=inst['flavor'], new_flavor=new_flavor,
                                user_id=ctx.user_id)
        self.scheduler.resize_instance(ctx, uuid, new_flavor, migration_id=mig['id'],
                                       host=host,
                                       other_host=migration_type == migrations.MIGRATION)
        return mig

    @staticmethod
    def _end_move(inst, status):
        """The move VERIFY_RESIZE was waiting on ends (confirmed, reverted)."""
        mig = migrations.latest(inst['uuid'], status='finished')
        if mig is not None and mig['migration_type'] != migrations.EVACUATION:
            migrations.update(mig['id'], expected_status='finished', status=status)

    def migrations_of(self, ctx, uuid):
        """The migrations of a server (admin; 404 for one the caller may not see)."""
        inst = self.get(ctx, uuid)
        enforce(ctx, P.SERVER_MIGRATIONS_INDEX, owner_of(inst))
        return migrations.list_(instance_uuid=uuid)

    @staticmethod
    def migrations_list(ctx, filters):
        """Every server's migrations (admin): filters instance_uuid, host,
        status, migration_type, project_id, changes_since, limit."""
        enforce(ctx, P.MIGRATIONS_INDEX, {'project_id': None})
        return migrations.list_(**filters)


def is_ha(inst):
    """Whether the server asked for automatic evacuation: server metadata
    ``HA_Enabled=True`` (Masakari's) or flavor extra spec ``ha:enabled=true``."""
    flag = (inst.get('metadata') or {}).get('HA_Enabled')
    spec = ((inst.get('flavor') or {}).get('extra_specs') or {}).get('ha:enabled')
    return any(str(v).strip().lower() in ('true', '1', 'yes', 'on') for v in (flag, spec)
               if v is not None)
