"""The iaas-compute RPC endpoint: builds and acts on the instances of one host.

Builds and actions run in a worker pool (``[compute] max_concurrent_builds``
builds at once; more wait in line), one operation per instance at a time.
Every state change is a compare-and-swap on the instance's task_state, so
a delete that arrives during a build wins cleanly: the build notices and
removes what it made.

A compute host holds no database credentials: it reads and writes instances,
action events and its resource report through iaas-conductor
(:mod:`iaas.conductor.rpcapi`), and hands a failed build back to it for
rescheduling.
"""
import collections
import concurrent.futures
import logging
import threading
import time
import traceback

from iaas import manager, rpc, states
from iaas.common import metrics
from iaas.compute import live_migration_ops, move_ops, shelve_ops, virt, volume_ops
from iaas.compute import rpcapi as compute_rpcapi
from iaas.compute.virt import driver as virt_driver
from iaas.conductor import rpcapi as conductor_rpcapi
from iaas.conf import CONF
from iaas.context import get_admin_context
from iaas.exception import ConsoleTypeUnavailable, InstanceNotFound, UnexpectedState
from iaas.image import upload as image_upload
from iaas.network import rpcapi as network_rpcapi

GONE_OR_CHANGED = (UnexpectedState, InstanceNotFound)

# What each long operation's completion expects and writes: iaas/states.py.
BUILD = states.ACTIONS['build']
REBUILD = states.ACTIONS['rebuild']
SNAPSHOT = states.ACTIONS['snapshot']
RESIZE = states.ACTIONS['resize']
REVERT = states.ACTIONS['revert_resize']

LOG = logging.getLogger(__name__)

# action → (driver call, vm_state after, task_state expected): the last
# two are the state table's (states.completion).
SIMPLE_ACTIONS = {
    'start': (lambda d, ctx, i, kw: d.power_on(ctx, i), *states.completion('start')),
    'stop': (lambda d, ctx, i, kw: d.power_off(i, CONF.compute.shutdown_timeout),
             *states.completion('stop')),
    'reboot': (lambda d, ctx, i, kw: d.reboot(ctx, i, kw.get('reboot_type', 'SOFT')),
               *states.completion('reboot')),
    'pause': (lambda d, ctx, i, kw: d.pause(i), *states.completion('pause')),
    'unpause': (lambda d, ctx, i, kw: d.unpause(i), *states.completion('unpause')),
    'suspend': (lambda d, ctx, i, kw: d.suspend(ctx, i), *states.completion('suspend')),
    'resume': (lambda d, ctx, i, kw: d.resume(ctx, i), *states.completion('resume')),
}


def _simple_rpc(action):
    """An exposed ``<action>_instance(context, instance_uuid)`` running SIMPLE_ACTIONS[action]."""
    @rpc.expose
    def method(self, context, instance_uuid):
        self._run(self._simple, action, context, instance_uuid)
    method.__name__ = method.__qualname__ = f'{action}_instance'
    return method


class ComputeManager(move_ops.MoveOps, shelve_ops.ShelveOps, volume_ops.VolumeOps,
                     live_migration_ops.LiveMigrationOps, manager.Manager):
    service_name = 'iaas-compute'
    # holds no database credentials: state through the conductor, as a compute host
    conductor_role = 'compute'

    def __init__(self, host, driver=None, pool=None):
        super().__init__(host)
        self.driver = driver or virt.load_driver(CONF.compute.compute_driver, host)
        self._locks = collections.defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()
        self._builds = threading.BoundedSemaphore(CONF.compute.max_concurrent_builds)
        # ``pool``: shared by the hosts of one process (iaas/compute/multihost.py),
        # which shuts it down itself
        self._own_pool = pool is None
        self._pool = pool or concurrent.futures.ThreadPoolExecutor(
            CONF.compute.max_concurrent_builds + 8, thread_name_prefix='compute-op')
        self.conductor = conductor_rpcapi.ConductorAPI(self.conductor_role, host)
        self.network_api = network_rpcapi.NetworkAPI()

    def _update(self, context, uuid, expected_task_state, finish_event=None, **values):
        """Compare-and-swap through the conductor; False if the instance is
        gone or no longer in ``expected_task_state``. ``finish_event``: the
        action event this ends (Success), recorded in the same call."""
        try:
            self.conductor.instance_update(context, uuid, expected_task_state,
                                           finish_event=finish_event, **values)
            return True
        except GONE_OR_CHANGED:
            return False

    def _get(self, context, uuid, start_event=None, event_if=None):
        """The instance (None if gone); ``start_event``: the action event
        this operation starts, recorded in the same call (when the instance
        matches ``event_if``)."""
        try:
            return self.conductor.instance_get(context, uuid, start_event=start_event,
                                               event_if=event_if)
        except InstanceNotFound:
            return None

    def _event(self, context, uuid, event, finish=False, result='Success', tb=None):
        self.conductor.action_event(context, uuid, event, self.host, finish=finish,
                                    result=result, traceback=tb)

    # -- lifecycle ----------------------------------------------------------
    def init_host(self):
        self.driver.init_host()
        ctx = get_admin_context()
        # Guests of servers evacuated while this host was down run elsewhere
        # now: gone before this host does anything else with its guests.
        self.destroy_evacuated(ctx)
        self.report_resources(ctx)
        # Operations this host was running when it stopped cannot finish now.
        for inst in self.conductor.instances_on_host(ctx, self.host, busy_only=True):
            if inst['vm_state'] == states.BUILDING:
                self.conductor.instance_error(
                    ctx, inst['uuid'], 'Compute service restarted during the build',
                    self.host, expected_task_state=inst['task_state'])
            elif inst['task_state'] == states.DELETING:
                self._pool.submit(self._terminate, ctx, inst['uuid'])
            elif inst['vm_state'] == states.SHELVED_OFFLOADED:
                # an unshelve claimed this host: the server goes back to none
                try:
                    self.conductor.instance_offloaded(ctx, inst['uuid'], self.host,
                                                      inst['task_state'])
                except Exception:
                    LOG.warning('instance %s: not released', inst['uuid'], exc_info=True)
            else:
                self._update(ctx, inst['uuid'], inst['task_state'], task_state=None)
        self._sync_power_states(ctx)

    def cleanup_host(self):
        if self._own_pool:
            self._pool.shutdown(wait=True, cancel_futures=False)
        self.driver.cleanup_host()

    def _lock(self, uuid):
        with self._locks_guard:
            return self._locks[uuid]

    # -- build ---------------------------------------------------------------
    @rpc.expose
    def build_and_run_instance(self, context, instance_uuid, request_spec, attempt=1,
                               instance=None):
        self._run(self._timed_build, context, instance_uuid, request_spec, attempt, instance)

    def _timed_build(self, *args):
        start, outcome = time.monotonic(), 'error'
        try:
            outcome = self._build(*args)
        finally:
            metrics.build_finished(outcome, time.monotonic() - start)

    def _build(self, context, uuid, spec, attempt, inst=None):
        """The build of one instance: 'active', 'failed' (handed back to the
        conductor) or 'dropped' (gone or moved meanwhile)."""
        event = compute_rpcapi.BUILD_EVENT
        with self._builds, self._lock(uuid):
            if inst is None or inst.get('uuid') != uuid or inst.get('host') != self.host:
                # not handed on by the claim: one round trip for the
                # instance and the build's event (when still this host's)
                inst = self._get(context, uuid, start_event=event,
                                 event_if={'task_state': BUILD.task_state, 'host': self.host})
            # (a row handed on is the claim's: a delete since then makes
            # the final swap fail, and the guest is removed below)
            if inst is None:
                return 'dropped'
            if inst['task_state'] != BUILD.task_state or inst['host'] != self.host:
                LOG.info('build of %s dropped: now %s on %s', uuid, inst['task_state'],
                         inst['host'])
                return 'dropped'
            bdi = None
            try:
                sysmeta = inst.get('system_metadata') or {}
                network_info = []
                if sysmeta.get('networks') not in (None, 'none', []):
                    network_info = self.network_api.allocate_for_instance(
                        context, uuid, self.host, inst['project_id'],
                        requested_networks=sysmeta['networks'],
                        security_groups=sysmeta.get('security_groups'))
                if sysmeta.get('boot_volumes'):
                    bdi = self.prepare_boot_volumes(context, inst)
                self.driver.spawn(context, inst, spec.get('image') or {},
                                  admin_password=None, network_info=network_info,
                                  block_device_info=bdi)
            except Exception as exc:
                self._event(context, uuid, event, True, 'Error', traceback.format_exc())
                self.undo_boot_volumes(context, bdi)
                self._build_failed(context, inst, spec, attempt, exc)
                return 'failed'
            # Deleted while spawning: the terminate waiting on our lock removes
            # the guest. Gone, or failed meanwhile (the reaper timed the build
            # out, or saw this host down, and released its resources): nobody
            # else will, so _activate removes it here.
            if not self._activate(context, inst, bdi, BUILD.expected_task_state, event,
                                  vm_state=BUILD.vm_state, power_state=BUILD.power_state,
                                  progress=100):
                LOG.info('instance %s changed during its build; not activating', uuid)
                return 'dropped'
            LOG.info('instance %s active on %s', uuid, self.host)
            return 'active'

    def _activate(self, context, inst, bdi, expected_task, event, **fields):
        """The swap that ends a spawn (build, unshelve): ``expected_task`` →
        no task, ``fields`` set; then the boot volumes' attachments are
        completed. False when the server changed meanwhile: a guest nobody
        else will remove (the server gone or failed) is destroyed here."""
        uuid = inst['uuid']
        if not self._update(context, uuid, expected_task, finish_event=event, task_state=None,
                            launched_at=True, **fields):
            if self._orphaned(context, uuid):
                self.driver.destroy(context, inst)
                self.undo_boot_volumes(context, bdi)
            return False
        if bdi:
            self.complete_boot_volumes(context, bdi)
        return True

    def _build_failed(self, context, inst, spec, attempt, exc):
        uuid = inst['uuid']
        LOG.warning('build of %s on %s failed (attempt %d): %s', uuid, self.host, attempt, exc)
        try:
            self.driver.destroy(context, inst)
        except Exception:
            LOG.exception('cleanup of failed build %s', uuid)
        # The conductor reschedules (another host) or moves it to ERROR.
        try:
            self.conductor.build_failed(context, uuid, self.host, spec, attempt, str(exc))
        except InstanceNotFound:
            LOG.info('instance %s gone during its failed build', uuid)

    # -- delete -------------------------------------------------------------
    @rpc.expose
    def terminate_instance(self, context, instance_uuid):
        self._run(self._terminate, context, instance_uuid)

    def _terminate(self, context, uuid):
        with self._lock(uuid):
            inst = self._get(context, uuid)
            if inst is None:
                return
            try:
                self.driver.destroy(context, inst)
            except Exception as exc:
                LOG.exception('destroy of %s failed', uuid)
                self.conductor.instance_error(context, uuid, f'Delete failed: {exc}',
                                              self.host, any_task_state=True)
                return
            if (inst.get('system_metadata') or {}).get('networks') not in (None, 'none', []):
                try:
                    self.network_api.deallocate_for_instance(context, uuid, self.host)
                except Exception:
                    LOG.exception('releasing the ports of %s failed', uuid)
            self.release_volumes(context, uuid)
            self.conductor.instance_destroyed(context, uuid, self.host,
                                              finish_event='compute_terminate_instance')
            with self._locks_guard:
                self._locks.pop(uuid, None)
            LOG.info('instance %s deleted', uuid)

    # -- power and lifecycle actions -----------------------------------------
    def _simple(self, action, context, uuid, **kw):
        call, vm_after, expected = SIMPLE_ACTIONS[action]
        event = f'compute_{action}_instance'
        with self._lock(uuid):
            inst = self._get(context, uuid, start_event=event)
            if inst is None:
                return
            try:
                call(self.driver, context, inst, kw)
                power = self.driver.get_info(inst)['power_state']
            except Exception as exc:
                LOG.exception('%s of %s failed', action, uuid)
                self._event(context, uuid, event, True, 'Error', traceback.format_exc())
                self.conductor.instance_fault(context, uuid, f'{action} failed: {exc}',
                                              self.host)
                self._update(context, uuid, expected, task_state=None)
                return
            if not self._update(context, uuid, expected, finish_event=event,
                                vm_state=vm_after, task_state=None, power_state=power):
                LOG.info('%s of %s: instance changed meanwhile', action, uuid)
                self._event(context, uuid, event, True)

    start_instance = _simple_rpc('start')
    stop_instance = _simple_rpc('stop')
    pause_instance = _simple_rpc('pause')
    unpause_instance = _simple_rpc('unpause')
    suspend_instance = _simple_rpc('suspend')
    resume_instance = _simple_rpc('resume')

    @rpc.expose
    def reboot_instance(self, context, instance_uuid, reboot_type='SOFT'):
        self._run(lambda: self._simple('reboot', context, instance_uuid,
                                       reboot_type=reboot_type))

    @rpc.expose
    def rebuild_instance(self, context, instance_uuid, image=None, reimage=None):
        self._run(self._rebuild, context, instance_uuid, image or {}, reimage)

    def _rebuild(self, context, uuid, image, reimage=None):
        """``reimage`` ({volume_id, volume_host}): the root volume (already
        ``downloading``) is overwritten with the image while the guest is off."""
        event = 'compute_rebuild_instance'
        with self._lock(uuid):
            inst = self._get(context, uuid, start_event=event)
            if inst is None:
                return
            try:
                if reimage:
                    self.driver.power_off(inst, CONF.compute.shutdown_timeout)
                    self.volume_api.reimage_volume(
                        context, reimage['volume_host'], reimage['volume_id'], image['id'],
                        timeout=CONF.volume.action_timeout)
                self.driver.rebuild(context, inst, image)
                stopped = inst['vm_state'] == states.STOPPED
                if stopped:     # as Nova: a stopped server is stopped again after
                    self.driver.power_off(inst, CONF.compute.shutdown_timeout)
            except Exception as exc:
                LOG.exception('rebuild of %s failed', uuid)
                self._event(context, uuid, event, True, 'Error', traceback.format_exc())
                self._failed(context, uuid, f'Rebuild failed: {exc}',
                             REBUILD.expected_task_state)
                return
            self._update(context, uuid, REBUILD.expected_task_state, finish_event=event,
                         vm_state=states.STOPPED if stopped else states.ACTIVE,
                         task_state=None, launched_at=True,
                         power_state=states.SHUTDOWN if stopped else states.RUNNING)

    def _failed(self, context, uuid, message, expected_task_state):
        """ERROR with a fault, if the operation still owns the instance."""
        self.conductor.instance_error(context, uuid, message, self.host,
                                      expected_task_state=expected_task_state)

    @rpc.expose
    def snapshot_instance(self, context, instance_uuid, image_id):
        self._run(self._snapshot, context, instance_uuid, image_id)

    def _snapshot(self, context, uuid, image_id):
        with self._lock(uuid):
            event = 'compute_snapshot_instance'
            inst = self._get(context, uuid)
            if inst is None:
                return
            self._event(context, uuid, event)
            try:
                self.driver.snapshot(context, inst, image_id, image_upload.uploader(image_id))
                result, tb = 'Success', None
            except Exception as exc:
                LOG.exception('snapshot of %s failed', uuid)
                result, tb = 'Error', traceback.format_exc()
                self.conductor.instance_fault(context, uuid, f'Snapshot failed: {exc}',
                                              self.host)
                image_upload.discard(image_id)
            self._update(context, uuid, SNAPSHOT.expected_task_state, task_state=None)
            self._event(context, uuid, event, True, result, tb)

    @rpc.expose
    def resize_instance(self, context, instance_uuid, new_flavor, old_host=None,
                        migration_id=None):
        self._run(self._resize, context, instance_uuid, new_flavor, old_host, migration_id)

    def _resize(self, context, uuid, new_flavor, old_host=None, migration_id=None):
        """Runs on the destination host the scheduler claimed (a guest from
        another host comes with its disk: move_ops.finish_migration)."""
        event = 'compute_resize_instance'
        with self._lock(uuid):
            inst = self._get(context, uuid, start_event=event)
            if inst is None:
                return
            try:
                if self.driver.list_instances().count(uuid):
                    self.driver.resize(context, inst, new_flavor)
                else:
                    self.finish_migration(context, inst, old_host)
                power = self.driver.get_info(inst)['power_state']
                was = (inst.get('system_metadata') or {}).get('old_vm_state')
                if was == states.STOPPED and power != states.SHUTDOWN:
                    # a stopped server stays stopped through a resize (as in Nova)
                    self.driver.power_off(inst, 0)
                    power = self.driver.get_info(inst)['power_state']
            except Exception as exc:
                LOG.exception('resize of %s failed', uuid)
                self._migration(context, migration_id, 'migrating', 'error')
                self._failed(context, uuid, f'Resize failed: {exc}',
                             RESIZE.expected_task_state)
                return
            if self._update(context, uuid, RESIZE.expected_task_state, finish_event=event,
                            vm_state=RESIZE.vm_state, task_state=None, power_state=power):
                self._migration(context, migration_id, 'migrating', 'finished')

    @rpc.expose
    def revert_resize_instance(self, context, instance_uuid, old_flavor, vm_state,
                               moved=False):
        self._run(self._revert_resize, context, instance_uuid, old_flavor, vm_state, moved)

    def _revert_resize(self, context, uuid, old_flavor, vm_state, moved=False):
        """Runs on the original host, which the API claimed back (``moved``:
        from another host, so the ports and volumes come back here)."""
        with self._lock(uuid):
            inst = self._get(context, uuid)
            if inst is None:
                return
            try:
                if uuid in self.driver.list_instances():
                    self.driver.resize(context, inst, old_flavor)
                else:
                    self.driver.spawn(context, inst, {}, None, None)
                if moved:
                    self.rebind_here(context, inst)
                if vm_state == states.STOPPED:
                    self.driver.power_off(inst, 0)
                elif self.driver.get_info(inst)['power_state'] != states.RUNNING:
                    self.driver.power_on(context, inst)   # a cold migration stopped it
                power = self.driver.get_info(inst)['power_state']
            except Exception as exc:
                LOG.exception('revert of resize of %s failed', uuid)
                self._failed(context, uuid, f'Resize revert failed: {exc}',
                             REVERT.expected_task_state)
                return
            if self._update(context, uuid, REVERT.expected_task_state, vm_state=vm_state,
                            task_state=None, power_state=power):
                self._event(context, uuid, 'compute_revert_resize', True)

    # -- reads ---------------------------------------------------------------
    @rpc.expose
    def get_console_output(self, context, instance_uuid, length=None):
        inst = self.conductor.instance_get(context, instance_uuid)
        try:
            text = self.driver.get_console_output(context, inst)
        except virt_driver.InstanceNotFoundInDriver:
            text = ''
        if length is not None:
            text = '\n'.join(text.splitlines()[-int(length):]) + ('\n' if length else '')
        return text

    @rpc.expose
    def get_serial_console(self, context, instance_uuid):
        """{'host', 'port'} of the guest's serial port (the driver's)."""
        inst = self.conductor.instance_get(context, instance_uuid)
        try:
            info = self.driver.get_serial_console(context, inst)
        except virt_driver.InstanceNotFoundInDriver:
            raise ConsoleTypeUnavailable(
                f'Instance {instance_uuid} has no guest on this host') from None
        return {'host': info['host'], 'port': int(info['port'])}

    # -- periodic tasks -----------------------------------------------------
    @manager.periodic_task(spacing=lambda: CONF.compute.resource_report_interval)
    def report_resources(self, context):
        self.conductor.compute_node_report(context, **self.resource_report())

    def resource_report(self):
        """The arguments of the conductor's ``compute_node_report`` for this host."""
        res = self.driver.get_available_resource()
        sched = CONF.scheduler
        return dict(
            host=self.host, node=res.get('hypervisor_hostname') or self.host, resources={
                'vcpus': res['vcpus'],
                'memory_mb': max(0, res['memory_mb'] - CONF.compute.reserved_host_memory_mb),
                'local_gb': max(0, res['local_gb'] - CONF.compute.reserved_host_disk_gb),
                'hypervisor_type': res.get('hypervisor_type', 'unknown'),
                'hypervisor_version': res.get('hypervisor_version', 0),
                'cpu_info': res.get('cpu_info'),
                'cpu_allocation_ratio': sched.cpu_allocation_ratio,
                'ram_allocation_ratio': sched.ram_allocation_ratio,
                'disk_allocation_ratio': sched.disk_allocation_ratio})

    @manager.periodic_task(spacing=lambda: CONF.compute.sync_power_state_interval)
    def sync_power_states(self, context):
        self._sync_power_states(context)

    def _sync_power_states(self, context):
        present = set(self.driver.list_instances())
        for inst in self.conductor.instances_on_host(context, self.host):
            if inst['task_state'] is not None or inst['vm_state'] == states.BUILDING:
                continue   # an operation owns it
            with self._lock(inst['uuid']):
                if inst['uuid'] in present:
                    try:
                        power = self.driver.get_info(inst)['power_state']
                    except virt_driver.InstanceNotFoundInDriver:
                        power = states.NOSTATE
                else:
                    power = states.NOSTATE
                values = {}
                if power != inst['power_state']:
                    values['power_state'] = power
                if inst['vm_state'] == states.ACTIVE and power in (states.SHUTDOWN,
                                                                    states.NOSTATE,
                                                                    states.CRASHED):
                    values['vm_state'] = states.STOPPED
                    LOG.info('instance %s stopped by itself; now SHUTOFF', inst['uuid'])
                if values:
                    self._update(context, inst['uuid'], None, **values)

    def _orphaned(self, context, uuid):
        """True if a guest of ``uuid`` here belongs to no live instance here."""
        inst = self._get(context, uuid)
        return inst is None or inst['host'] != self.host or inst['vm_state'] == states.ERROR
