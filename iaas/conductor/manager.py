"""The iaas-conductor RPC endpoint: the database on behalf of hypervisor and
network hosts, rescheduling of failed builds, and the build reaper.

iaas-compute and iaas-network hold no database credentials: a compromised
hypervisor host can only ask for what the methods below allow, each a
compare-and-swap where a state changes. Every call is signed with the
sending host's key (:mod:`iaas.conductor.hostauth`), and a compute host
acts only on its own: the instances placed on it, its service rows, its
compute node; another host's instance is "not found". Network hosts serve
every instance's ports (as Neutron's agents do), in the instance's own
project. Several
conductors may run (topic ``conductor``, any of them answers); the reaper's
changes are compare-and-swaps, so two reapers never fight.
"""
import datetime
import logging
import threading
import time

from iaas import manager, notifications, rpc, states
from iaas.conductor import hostauth, live_migration, ports, recovery, volumes
from iaas.conf import CONF
from iaas.db import compute_nodes as db_nodes
from iaas.db import instances as db
from iaas.db import services as db_services
from iaas.db.base import utcnow
from iaas.exception import HostNotAuthorized, InstanceNotFound
from iaas.scheduler import rpcapi as scheduler_rpcapi

LOG = logging.getLogger(__name__)

# What a hypervisor host may write on an instance (no project, flavor,
# quota or ownership fields).
HOST_WRITABLE = frozenset({'vm_state', 'task_state', 'power_state', 'launched_at',
                           'progress', 'host', 'node'})
# task_state an offload ends → the vm_state it finds (conductor instance_offloaded)
OFFLOAD_FROM = {states.SHELVING_OFFLOADING: states.SHELVED,
                states.UNSHELVING: states.SHELVED_OFFLOADED}
# What a hypervisor host reports about itself.
# Entries of one host_reports call (a process serving many hosts sends one a
# report interval).
MAX_HOST_REPORTS = 20_000
NODE_FIELDS = ('vcpus', 'memory_mb', 'local_gb', 'hypervisor_type', 'hypervisor_version',
               'cpu_info', 'cpu_allocation_ratio', 'ram_allocation_ratio',
               'disk_allocation_ratio')


class ConductorManager(recovery.MoveCalls, volumes.VolumeCalls,
                       live_migration.LiveMigrationCalls, manager.Manager):
    service_name = 'iaas-conductor'
    PLACEMENT_TTL = 2.0

    def __init__(self, host):
        super().__init__(host)
        self.scheduler = scheduler_rpcapi.SchedulerAPI()
        # the RPC server takes only calls signed with a host key
        self.rpc_verifier = hostauth.Verifier(hostauth.load_master(create=True))
        self._placements = {}       # uuid -> ((host, project_id), expires)
        self._placements_lock = threading.Lock()

    # -- who may ask ------------------------------------------------------------
    @staticmethod
    def _caller(context, role=None):
        caller = getattr(context, 'caller', None)
        if caller is None:
            raise HostNotAuthorized('the conductor takes only signed calls')
        if role is not None and caller.role != role:
            raise HostNotAuthorized(f'{caller.role} host {caller.host} may not do what '
                                    f'only a {role} host does')
        return caller

    def _own_host(self, context, host, role='compute'):
        caller = self._caller(context, role)
        if host != caller.host:
            raise HostNotAuthorized(f'{role} host {caller.host} may not act for host '
                                    f'{str(host)[:255]}')
        return host

    def _placement(self, instance_uuid, include_deleted=False, fresh=False):
        """(host, project_id), remembered for PLACEMENT_TTL seconds: one
        build makes several calls within milliseconds, and a query each
        (a transaction on the database server) was a fifth of the boot time.
        Moves this conductor makes forget the entry; a move made elsewhere (a
        scheduler claim) is seen at the latest PLACEMENT_TTL later by the
        host the instance left; the host it went to is never refused for a
        stale entry (a mismatch asks the database again)."""
        now = time.monotonic()
        with self._placements_lock:
            hit = self._placements.get(instance_uuid)
        if hit is not None and hit[1] > now and not fresh:
            return hit[0]
        placement = db.placement_of(instance_uuid, include_deleted)
        self._remember_placement(instance_uuid, placement, now)
        return placement

    def _remember_placement(self, instance_uuid, placement, now=None):
        """Keep (host, project_id) just read (by a query of its own or with
        the instance) for the next calls of the same operation."""
        expires = (now or time.monotonic()) + self.PLACEMENT_TTL
        with self._placements_lock:
            if len(self._placements) >= 100_000:
                self._placements.clear()
            self._placements[instance_uuid] = (placement, expires)

    def _forget_placement(self, instance_uuid):
        with self._placements_lock:
            self._placements.pop(instance_uuid, None)

    def _own_instance(self, context, instance_uuid, include_deleted=False):
        """Nothing, if the instance is placed on the calling compute host; to
        any other host it does not exist (InstanceNotFound)."""
        caller = self._caller(context, 'compute')
        if self._placement(instance_uuid, include_deleted)[0] != caller.host and \
                self._placement(instance_uuid, include_deleted, fresh=True)[0] != caller.host:
            raise InstanceNotFound(instance_uuid)

    # -- service rows -----------------------------------------------------------
    @rpc.expose
    def service_register(self, context, host, binary, topic):
        caller = self._caller(context)
        self._own_host(context, host, caller.role)
        if binary != f'iaas-{caller.role}':
            raise HostNotAuthorized(f'a {caller.role} host may not register {binary!r}')
        return db_services.service_register(host, binary, topic)

    @rpc.expose
    def service_heartbeat(self, context, service_id):
        caller = self._caller(context)
        mine = {s['id'] for s in db_services.service_list(binary=f'iaas-{caller.role}',
                                                           host=caller.host)}
        if service_id not in mine:
            raise HostNotAuthorized(f'service {service_id} is not one of {caller.host}\'s')
        db_services.service_heartbeat(service_id)

    @rpc.expose
    def host_reports(self, context, reports):
        """Many hosts' heartbeats and resource reports in one call (a process
        serving many hosts: iaas/compute/multihost.py). Each entry is a
        request signed by its own host (``ConductorAPI.signed_report``) and
        checked as if it came alone: a host heartbeats only its own service
        rows and reports only its own node, so a process speaks only for the
        hosts whose keys it holds. The heartbeats land in one UPDATE.
        Returns {'missing': service ids with no row (register again),
        'refused': indexes of entries refused}."""
        self._caller(context)
        if not isinstance(reports, list) or len(reports) > MAX_HOST_REPORTS:
            raise ValueError(f'host_reports takes a list of at most {MAX_HOST_REPORTS}')
        beats, nodes, refused = [], [], []
        for i, entry in enumerate(reports):
            try:
                request, caller = self.rpc_verifier(entry if isinstance(entry, dict) else {})
                args = request.get('args') or {}
                if request.get('method') == 'service_heartbeat':
                    beats.append((int(args['service_id']), caller, i))
                elif request.get('method') == 'compute_node_report' and \
                        caller.role == 'compute' and args.get('host') == caller.host and \
                        isinstance(args.get('node'), str) and \
                        isinstance(args.get('resources'), dict):
                    nodes.append(args)
                else:
                    raise HostNotAuthorized(f'{caller.host} may not report {request!r:.80}')
            except (HostNotAuthorized, KeyError, TypeError, ValueError) as exc:
                LOG.warning('host report %d refused: %s', i, exc)
                refused.append(i)
        owners = db_services.service_owners({sid for sid, _c, _i in beats})
        mine = []
        for sid, c, i in beats:
            if owners.get(sid) == (c.host, f'iaas-{c.role}'):
                mine.append(sid)
            elif sid in owners:
                LOG.warning('host report %d refused: service %s is not %s\'s', i, sid, c.host)
                refused.append(i)
        db_services.service_heartbeat_many(mine)
        for args in nodes:
            db_nodes.upsert(args['host'], args['node'], **{
                k: args['resources'][k] for k in NODE_FIELDS if k in args['resources']})
        return {'missing': sorted({sid for sid, _c, _i in beats} - set(owners)),
                'refused': sorted(refused)}

    # -- instances --------------------------------------------------------------
    @rpc.expose
    def instance_get(self, context, instance_uuid, start_event=None, event_if=None):
        caller = self._caller(context, 'compute')
        if start_event:
            # in the read's transaction; only on the caller's own instance
            inst = db.get_starting_event(instance_uuid, context.request_id, start_event,
                                         caller.host, dict(event_if or {}, host=caller.host))
        else:
            inst = db.get(instance_uuid)
        self._remember_placement(instance_uuid, (inst['host'], inst['project_id']))
        if inst['host'] != caller.host:
            raise InstanceNotFound(instance_uuid)
        return inst

    @rpc.expose
    def instance_update(self, context, instance_uuid, expected_task_state, values,
                        finish_event=None):
        bad = set(values) - HOST_WRITABLE
        if bad:
            raise ValueError(f'a compute host may not write {", ".join(sorted(bad))}')
        caller = self._caller(context, 'compute')
        if values.get('host') not in (None, caller.host) or \
                ('host' not in values and 'node' in values):
            raise HostNotAuthorized('a compute host may place an instance only on itself')
        if values.get('launched_at') is True:
            values['launched_at'] = utcnow()
        if 'host' in values:
            self._forget_placement(instance_uuid)
        # only the caller's own instance: checked by the write itself (another
        # host's instance does not exist for it, and nothing is written)
        inst = db.update(instance_uuid, expected_task_state=expected_task_state,
                         expected_host=caller.host,
                         finish_event=(context.request_id, finish_event) if finish_event
                         else None, **values)
        self._remember_placement(instance_uuid, (inst['host'], inst['project_id']))
        notifications.instance_updated(context, expected_task_state, values, inst)
        return inst

    @rpc.expose
    def instance_fault(self, context, instance_uuid, message, host):
        self._own_instance(context, instance_uuid)
        db.add_fault(instance_uuid, message, host=context.caller.host)

    @rpc.expose
    def instance_error(self, context, instance_uuid, message, host,
                       expected_task_state=None, any_task_state=False):
        # any_task_state: a failed delete ends in ERROR whatever the task.
        self._own_instance(context, instance_uuid)
        host = context.caller.host
        expected = db.ANY if any_task_state else expected_task_state
        inst = db.set_error(instance_uuid, message, host=host, expected_task_state=expected,
                            force=any_task_state)
        notifications.instance_error(context, inst)
        return inst

    @rpc.expose
    def instance_destroyed(self, context, instance_uuid, host, finish_event=None):
        self._own_instance(context, instance_uuid)
        host = context.caller.host
        notifications.instance_deleted(context, db.soft_delete(instance_uuid))
        self._forget_placement(instance_uuid)
        db_nodes.refresh_usage(host)
        if finish_event:
            db.event_finish(instance_uuid, context.request_id, finish_event, 'Success', None)

    @rpc.expose
    def instance_offloaded(self, context, instance_uuid, host, expected_task_state,
                           finish_event=None):
        """The caller destroyed the shelved guest (shelving_offloading), or
        could not spawn the offloaded one it was unshelving (unshelving): the
        instance is SHELVED_OFFLOADED on no host, and the host's usage is
        recounted."""
        if expected_task_state not in OFFLOAD_FROM:
            raise ValueError(f'an offload ends no task {str(expected_task_state)[:64]}')
        self._own_instance(context, instance_uuid)
        host = context.caller.host
        inst = db.update(instance_uuid, expected_vm_state=OFFLOAD_FROM[expected_task_state],
                         expected_task_state=expected_task_state,
                         finish_event=(context.request_id, finish_event) if finish_event
                         else None, vm_state=states.SHELVED_OFFLOADED, task_state=None,
                         power_state=states.NOSTATE, host=None, node=None)
        self._forget_placement(instance_uuid)
        db_nodes.refresh_usage(host)
        if expected_task_state == states.SHELVING_OFFLOADING:
            notifications.instance_event(context, notifications.INSTANCE_SHELVE_OFFLOAD, inst)
        return inst

    @rpc.expose
    def instances_on_host(self, context, host, busy_only=False):
        self._own_host(context, host)
        if busy_only:
            return db.in_progress_on_hosts([host])
        return db.list_(filters={'host': host})

    @rpc.expose
    def action_event(self, context, instance_uuid, event, host, finish=False,
                     result='Success', traceback=None):
        # the last event of a delete comes after the row is gone
        self._own_instance(context, instance_uuid, include_deleted=finish)
        host = context.caller.host
        if finish:
            db.event_finish(instance_uuid, context.request_id, event, result, traceback)
        else:
            db.event_start(instance_uuid, context.request_id, event, host=host)

    @rpc.expose
    def compute_node_report(self, context, host, node, resources):
        self._own_host(context, host)
        db_nodes.upsert(host, node, **{k: resources[k] for k in NODE_FIELDS
                                       if k in resources})

    # -- failed builds: reschedule or ERROR ---------------------------------------
    @rpc.expose
    def build_failed(self, context, instance_uuid, host, request_spec, attempt, message):
        self._own_instance(context, instance_uuid)
        host = context.caller.host
        uuid = instance_uuid
        self._forget_placement(uuid)
        if attempt < CONF.scheduler.max_attempts:
            try:
                db.update(uuid, expected_task_state=states.SPAWNING, host=None, node=None,
                          task_state=states.SCHEDULING)
            except (db.UnexpectedState, db.InstanceNotFound):
                return      # deleted or failed meanwhile: nothing to reschedule
            db_nodes.refresh_usage(host)
            spec = dict(request_spec, instance_uuids=[uuid], num_instances=1,
                        group=request_spec.get('group') or None,
                        ignore_hosts=list(request_spec.get('ignore_hosts') or []) + [host])
            self.scheduler.build_instances(context, spec, attempt=attempt + 1)
            return
        inst = db.set_error(uuid, f'Build of instance {uuid} failed after {attempt} '
                            f'attempts; last on {host}: {message}', host=host,
                            expected_task_state=states.SPAWNING)
        if inst is not None:
            notifications.instance_error(context, inst)
            self._release(uuid, host)

    def _release(self, uuid, host):
        """An instance now in ERROR holds no host's resources."""
        self._forget_placement(uuid)
        try:
            db.update(uuid, expected_vm_state=states.ERROR, host=None, node=None)
        except (db.UnexpectedState, db.InstanceNotFound):
            pass
        db_nodes.refresh_usage(host)

    # -- the reaper -----------------------------------------------------------------
    @manager.periodic_task(spacing=lambda: CONF.compute.reap_interval)
    def reap_stuck(self, context):
        """Builds stuck past ``[compute] build_timeout`` or on a compute host
        that went down → ERROR with a fault; deletes on a dead host finish
        locally; tasks stuck past ``action_timeout`` are cleared."""
        now = utcnow()
        down_hosts = [s['host'] for s in db_services.service_list(binary='iaas-compute')
                      if not db_services.is_up(s, CONF.service.service_down_time)]
        for inst in db.in_progress_on_hosts(down_hosts):
            if inst['vm_state'] == states.BUILDING:
                self._fail(inst, f'Compute host {inst["host"]} went down during the build',
                           context)
            elif inst['task_state'] == states.DELETING:
                # The host is gone: delete locally, as Nova does.
                notifications.instance_deleted(context, db.soft_delete(inst['uuid']))
                db_nodes.refresh_usage(inst['host'])
        cutoff = now - datetime.timedelta(seconds=CONF.compute.build_timeout)
        for inst in db.building_older_than(cutoff):
            self._fail(inst, f'Build timed out after {CONF.compute.build_timeout} s '
                             f'(task {inst["task_state"]}, host {inst["host"]})', context)
        cutoff = now - datetime.timedelta(seconds=CONF.compute.action_timeout)
        for inst in db.busy_older_than(cutoff):
            # an offloaded server whose unshelve timed out holds no host either
            freed = {'host': None, 'node': None} if \
                inst['vm_state'] == states.SHELVED_OFFLOADED else {}
            try:
                db.update(inst['uuid'], expected_task_state=inst['task_state'],
                          expected_vm_state=inst['vm_state'], task_state=None, **freed)
                if freed and inst['host']:
                    self._forget_placement(inst['uuid'])
                    db_nodes.refresh_usage(inst['host'])
                db.add_fault(inst['uuid'], f'Task {inst["task_state"]} timed out after '
                                           f'{CONF.compute.action_timeout} s')
            except (db.UnexpectedState, db.InstanceNotFound):
                pass

    def _fail(self, inst, message, context=None):
        failed = db.set_error(inst['uuid'], message, host=inst['host'],
                              expected_task_state=inst['task_state'])
        if failed is not None:
            notifications.instance_error(context, failed)
            LOG.warning('instance %s: %s', inst['uuid'], message)
            if inst['host']:
                self._release(inst['uuid'], inst['host'])

    # -- ports, for network hosts ------------------------------------------------
    @rpc.expose
    def ports_allocate(self, context, instance_uuid, project_id, requested_networks,
                       security_groups, host):
        self._caller(context, 'network')
        if self._placement(instance_uuid)[1] != project_id:
            raise HostNotAuthorized('ports are made in their instance\'s own project')
        ports.allocate(instance_uuid, project_id, requested_networks, security_groups, host)

    @rpc.expose
    def ports_deallocate(self, context, instance_uuid):
        self._caller(context, 'network')
        return ports.deallocate(instance_uuid, context)

    @rpc.expose
    def ports_of_instance(self, context, instance_uuid):
        self._caller(context, 'network')
        return ports.of_instance(instance_uuid)

    @rpc.expose
    def network_host_state(self, context, host):
        self._own_host(context, host, 'network')
        return ports.host_state(host)

    @rpc.expose
    def fixed_ips_leased(self, context, network_id, addresses):
        self._caller(context, 'network')
        return ports.leased(network_id, addresses)
