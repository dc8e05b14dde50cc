"""The iaas-scheduler RPC endpoint: places instances and claims their
resources, then hands each build to its compute host.

Several schedulers may run: claims are atomic in the database. A failed
build comes back through iaas-conductor, which reschedules it here (with the
failed host in ``ignore_hosts``); the conductor also runs the build reaper.
"""
import logging
import math
import threading
import time

from iaas import manager, notifications, rpc, states
from iaas.compute import rpcapi as compute_rpcapi
from iaas.conf import CONF
from iaas.db import compute_nodes as db_nodes
from iaas.db import instances as db
from iaas.db import server_migrations as migrations
from iaas.db import services as db_services
from iaas.db import volume_backends as db_backends
from iaas.db import volumes as db_volumes
from iaas.db.base import utcnow
from iaas.exception import VolumeNotFound, VolumeStatusError
from iaas.scheduler import driver as sched_driver
from iaas.scheduler import live_migration
from iaas.scheduler import volumes as volume_placement
from iaas.scheduler.host_state import HostState, NoValidHost, RequestSpec
from iaas.volume import messages as user_messages
from iaas.volume import rpcapi as volume_rpcapi

LOG = logging.getLogger(__name__)

CLAIM_ROUNDS = 5


class SchedulerManager(manager.Manager):
    service_name = 'iaas-scheduler'

    def __init__(self, host):
        super().__init__(host)
        self.driver = sched_driver.FilterScheduler()
        # [scheduler] host_state_cache_seconds: (read at, host states)
        self._cached = (-math.inf, [])
        self._cache_lock = threading.Lock()
        self._reading = False
        self.compute = compute_rpcapi.ComputeAPI()
        self.volume = volume_rpcapi.VolumeAPI()

    # -- host states ---------------------------------------------------------
    def cached_host_states(self):
        """The host states of the last read while younger than ``[scheduler]
        host_state_cache_seconds`` (the placements made since consumed on
        them), else a fresh read. One thread reads at a time: the others
        keep deciding on the states they have meanwhile (claims stay atomic
        in the database, so a stale state can only lose a claim)."""
        ttl = CONF.scheduler.host_state_cache_seconds
        with self._cache_lock:
            read_at, hosts = self._cached
            if time.monotonic() - read_at < ttl or (self._reading and hosts):
                return hosts
            self._reading = True
        try:
            return self._fresh_host_states()
        finally:
            with self._cache_lock:
                self._reading = False

    def _fresh_host_states(self):
        """A read of every host, kept as the cache's states when it is on."""
        started = time.monotonic()
        hosts = self.host_states()
        if CONF.scheduler.host_state_cache_seconds:
            with self._cache_lock:
                self._cached = (started, hosts)
        return hosts

    def _select(self, spec, hosts, stale=False):
        if not CONF.scheduler.host_state_cache_seconds:
            return self.driver.select_destinations(spec, hosts)
        # one decision at a time on shared (cached) states: each sees what
        # the one before it consumed
        with self._cache_lock:
            return self.driver.select_destinations(spec, hosts, stale=stale)

    def host_states(self):
        down_time = CONF.service.service_down_time
        out = []
        for cn, svc in db_nodes.host_states():
            out.append(HostState(
                host=cn['host'], node=cn['hypervisor_hostname'], uuid=cn['uuid'],
                vcpus=cn['vcpus'], vcpus_used=cn['vcpus_used'], memory_mb=cn['memory_mb'],
                memory_mb_used=cn['memory_mb_used'], local_gb=cn['local_gb'],
                local_gb_used=cn['local_gb_used'],
                cpu_allocation_ratio=cn['cpu_allocation_ratio'],
                ram_allocation_ratio=cn['ram_allocation_ratio'],
                disk_allocation_ratio=cn['disk_allocation_ratio'],
                availability_zone=svc['availability_zone'] or
                CONF.compute.default_availability_zone,
                service_up=db_services.is_up(svc, down_time),
                service_disabled=svc['disabled'], disabled_reason=svc['disabled_reason'],
                hypervisor_type=cn['hypervisor_type'], num_instances=cn['running_vms'],
                generation=cn['generation'], updated_at=cn['updated_at']))
        return out

    def _with_group(self, spec):
        if not spec.group:
            return spec
        members = set(spec.group.get('members') or [])
        by_host = db_nodes.instances_by_host(members) if members else {}
        spec.group = dict(spec.group, hosts=sorted(by_host))
        return spec

    # -- placement -----------------------------------------------------------
    @rpc.expose
    def build_instances(self, context, request_spec, attempt=1):
        spec = RequestSpec.from_dict(request_spec)
        remaining = list(spec.instance_uuids)
        error = None
        for rnd in range(CLAIM_ROUNDS):
            spec.instance_uuids, spec.num_instances = remaining, len(remaining)
            # the driver skips spec.ignore_hosts; claims lost: fresh states
            cached = rnd == 0 and CONF.scheduler.host_state_cache_seconds
            hosts = self.cached_host_states() if cached else self._fresh_host_states()
            try:
                chosen = self._select(self._with_group(spec), hosts, stale=bool(cached))
            except NoValidHost as exc:
                error = str(exc)
                if rnd == 0 and CONF.scheduler.host_state_cache_seconds:
                    continue    # perhaps stale: once more on fresh states
                break
            lost = []
            for uuid, hs in zip(remaining, chosen, strict=False):
                # the claim starts the build's event and hands the row on,
                # so the compute host starts spawning without a round trip
                got = db_nodes.claim(hs.host, hs.node, uuid, spec.flavor,
                                     task_state=states.SPAWNING,
                                     availability_zone=hs.availability_zone,
                                     scheduled_at=utcnow(),
                                     start_event=(context.request_id,
                                                  compute_rpcapi.BUILD_EVENT),
                                     # a cached state may miss a host disabled
                                     # or fenced since: the claim checks that
                                     service_enabled=bool(cached))
                if isinstance(got, dict):
                    one = dict(spec.to_dict(), instance_uuids=[uuid], num_instances=1)
                    self.compute.build_and_run_instance(context, hs.host, uuid, one, attempt,
                                                        instance=got)
                elif got is False:
                    lost.append(uuid)   # another claim took the room first: retry
            remaining = lost
            if not remaining:
                return
        msg = error or 'No valid host was found. Claims kept failing under contention.'
        if attempt > 1:
            msg = f'{msg} (attempt {attempt}; tried hosts: {", ".join(spec.ignore_hosts)})'
        for uuid in remaining:
            LOG.info('no host for %s: %s', uuid, msg)
            notifications.instance_error(context, db.set_error(
                uuid, msg, code=500, expected_task_state=states.SCHEDULING), 'scheduler')

    @rpc.expose
    def resize_instance(self, context, instance_uuid, new_flavor, migration_id=None,
                        host=None, other_host=False):
        """Resize (or, ``other_host``, cold-migrate) the instance: claim a
        host for ``new_flavor`` (only ``host`` when given) and cast the
        resize there; the migration record follows (migrating, error)."""
        try:
            inst = db.get(instance_uuid)
        except db.InstanceNotFound:
            return
        spec = RequestSpec(instance_uuids=[instance_uuid], flavor=new_flavor,
                           project_id=inst['project_id'],
                           availability_zone=inst['availability_zone'])
        hosts = [h for h in self.host_states() if host is None or h.host == host]
        if other_host or not CONF.compute.allow_resize_to_same_host:
            hosts = [h for h in hosts if h.host != inst['host']]
        old_host = inst['host']
        sysmeta = dict(inst['system_metadata'] or {},
                       old_flavor=inst['flavor'], old_host=old_host, old_node=inst['node'],
                       old_vm_state=inst['vm_state'])
        try:
            for hs in self.driver.select_destinations(spec, hosts):
                got = db_nodes.claim(
                    hs.host, hs.node, instance_uuid, new_flavor,
                    expected_task_state=states.RESIZE_PREP,
                    task_state=states.RESIZE_MIGRATING, flavor=new_flavor,
                    flavor_id=new_flavor.get('id'), vcpus=new_flavor['vcpus'],
                    memory_mb=new_flavor['memory_mb'], root_gb=new_flavor['root_gb'],
                    ephemeral_gb=new_flavor.get('ephemeral_gb', 0), system_metadata=sysmeta)
                if got:
                    if old_host and old_host != hs.host:
                        db_nodes.refresh_usage(old_host)
                    migrations.update(migration_id, 'pre-migrating', status='migrating',
                                      dest_compute=hs.host, dest_node=hs.node)
                    self.compute.instance_action(context, hs.host, instance_uuid, 'resize',
                                                 new_flavor=new_flavor, old_host=old_host,
                                                 migration_id=migration_id)
                    return
        except NoValidHost as exc:
            msg = str(exc)
        else:
            msg = 'No valid host was found for the resize.'
        migrations.update(migration_id, 'pre-migrating', status='error')
        self._not_placed(instance_uuid, msg, states.RESIZE_PREP)

    def _place(self, context, uuid, spec, host, event, **expected):
        """Claim a host for the instance (only ``host`` when given; never one
        of ``spec.ignore_hosts``) as a build is placed, starting ``event``
        there: (host state, None), (None, why not), or (None, None) when the
        instance changed meanwhile (``expected``: the claim's states)."""
        msg = 'No valid host was found. Claims kept failing under contention.'
        for _ in range(CLAIM_ROUNDS):
            hosts = [h for h in self.host_states() if host is None or h.host == host]
            try:
                hs = self.driver.select_destinations(spec, hosts)[0]
            except NoValidHost as exc:
                return None, str(exc)
            got = db_nodes.claim(hs.host, hs.node, uuid, spec.flavor,
                                 availability_zone=hs.availability_zone,
                                 scheduled_at=utcnow(),
                                 start_event=(context.request_id, event), **expected)
            if got is None:
                return None, None      # deleted (or changed) meanwhile
            if got:
                return hs, None
        return None, msg

    @rpc.expose
    def unshelve_instance(self, context, instance_uuid, request_spec, host=None):
        """Place a SHELVED_OFFLOADED instance being unshelved (task_state
        unshelving) as a build is placed (on ``host`` only, when given):
        claim the resources of its flavor atomically and have that host
        spawn it. No host: it stays SHELVED_OFFLOADED, with a fault."""
        spec = RequestSpec.from_dict(request_spec)
        hs, msg = self._place(context, instance_uuid, spec, host,
                              compute_rpcapi.UNSHELVE_EVENT,
                              expected_vm_state=states.SHELVED_OFFLOADED,
                              expected_task_state=states.UNSHELVING)
        if hs is not None:
            self.compute.unshelve_instance(context, hs.host, instance_uuid,
                                           request_spec=spec.to_dict())
            return
        if msg is None:
            return
        LOG.info('no host to unshelve %s: %s', instance_uuid, msg)
        self._not_placed(instance_uuid, f'Unshelve failed: {msg}', states.UNSHELVING,
                         expected_vm_state=states.SHELVED_OFFLOADED)

    @staticmethod
    def _not_placed(uuid, message, task_state, **expected):
        """No host: a fault, and the task cleared (the instance as it was)."""
        db.add_fault(uuid, message, code=400)
        try:
            db.update(uuid, expected_task_state=task_state, task_state=None, **expected)
        except (db.UnexpectedState, db.InstanceNotFound):
            pass

    @rpc.expose
    def evacuate_instance(self, context, instance_uuid, migration_id, host=None):
        """Place an instance being evacuated (task_state rebuilding) on a host
        other than its dead one (only ``host`` when given) and have that host
        rebuild it. No host: the migration is ``error``, the instance keeps
        its state (still on the dead host) with a fault."""
        try:
            inst = db.get(instance_uuid)
        except db.InstanceNotFound:
            return
        source = inst['host']
        image = {} if (inst['system_metadata'] or {}).get('boot_from_volume') else \
            {'id': inst['image_ref'], 'properties': {}}
        spec = RequestSpec(instance_uuids=[instance_uuid], flavor=inst['flavor'],
                           project_id=inst['project_id'], image=image,
                           availability_zone=inst['availability_zone'],
                           ignore_hosts=[source] if source else [], num_instances=1)
        hs, msg = self._place(context, instance_uuid, spec, host,
                              compute_rpcapi.EVACUATE_EVENT,
                              expected_task_state=states.REBUILDING)
        if hs is not None:
            if source:
                db_nodes.refresh_usage(source)
            migrations.update(migration_id, 'accepted', status='pre-migrating',
                              dest_compute=hs.host, dest_node=hs.node)
            self.compute.evacuate_instance(context, hs.host, instance_uuid, image,
                                           migration_id)
            return
        migrations.update(migration_id, 'accepted', status='error')
        if msg is None:
            return
        LOG.info('no host to evacuate %s to: %s', instance_uuid, msg)
        self._not_placed(instance_uuid, f'Evacuation failed: {msg}', states.REBUILDING)

    @rpc.expose
    def live_migrate_instance(self, context, instance_uuid, host=None,
                              block_migration='auto'):
        """Claim a destination for a live migration (iaas/scheduler/live_migration.py)."""
        live_migration.place(self, context, instance_uuid, host, block_migration)

    # -- volumes ---------------------------------------------------------------
    @rpc.expose
    def create_volume(self, context, volume_id, request_spec):
        """Place a ``creating`` volume on a backend (atomic claim) and cast its
        creation there; no backend → the volume ends in error with a fault.
        ``request_spec``: size, availability_zone, extra_specs, source
        (what the volume is made from) and, for a volume made from a snapshot
        or another volume, ``backend`` (it must go where its source is)."""
        size = request_spec['size']
        up = {s['host'] for s in db_services.service_list(binary='iaas-volume')
              if db_services.is_up(s, CONF.service.service_down_time) and not s['disabled']}
        tried = set()
        for _ in range(CLAIM_ROUNDS):
            backends = db_backends.list_()
            if request_spec.get('backend'):
                backends = [b for b in backends if b['name'] == request_spec['backend']]
            found = volume_placement.candidates(
                backends, size, request_spec.get('availability_zone'),
                request_spec.get('extra_specs'), up, ignore=tried)
            if not found:
                break
            for b in found:
                got = db_backends.claim(b['host'], b['backend_name'], volume_id, size)
                if got is None:
                    return      # deleted (or changed) meanwhile
                if got:
                    vol = db_volumes.get(volume_id)
                    self.volume.create_volume(context, b['host'], vol,
                                              request_spec.get('source') or {})
                    return
                tried.add(b['name'])
        try:
            vol = db_volumes.swap(volume_id, 'creating', 'error',
                                  fault=f'No valid backend was found for {size} GiB')
        except (VolumeNotFound, VolumeStatusError):
            return
        user_messages.record(context, user_messages.VOLUME, vol,
                             user_messages.SCHEDULE_ALLOCATE_VOLUME,
                             user_messages.NO_BACKEND_AVAILABLE)
