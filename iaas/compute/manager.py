"""The iaas-compute RPC endpoint: builds and acts on the instances of one host.

Builds and actions run in a worker pool (``[compute] max_concurrent_builds``
builds at once; more wait in line), one operation per instance at a time.
Every state change is a compare-and-swap on the instance's task_state, so
a delete that arrives during a build wins cleanly: the build notices and
removes what it made.
"""
import collections
import concurrent.futures
import logging
import threading
import traceback

from iaas import manager, rpc, states
from iaas.compute import snapshot, virt
from iaas.compute.virt import driver as virt_driver
from iaas.conf import CONF
from iaas.db import compute_nodes as db_nodes
from iaas.db import instances as db
from iaas.db.base import utcnow

LOG = logging.getLogger(__name__)

# action → (driver call, vm_state after, task_state expected, event name)
SIMPLE_ACTIONS = {
    'start': (lambda d, ctx, i, kw: d.power_on(ctx, i), states.ACTIVE, states.POWERING_ON),
    'stop': (lambda d, ctx, i, kw: d.power_off(i, CONF.compute.shutdown_timeout),
             states.STOPPED, states.POWERING_OFF),
    'reboot': (lambda d, ctx, i, kw: d.reboot(ctx, i, kw.get('reboot_type', 'SOFT')),
               states.ACTIVE, (states.REBOOTING, states.REBOOTING_HARD)),
    'pause': (lambda d, ctx, i, kw: d.pause(i), states.PAUSED, states.PAUSING),
    'unpause': (lambda d, ctx, i, kw: d.unpause(i), states.ACTIVE, states.UNPAUSING),
    'suspend': (lambda d, ctx, i, kw: d.suspend(ctx, i), states.SUSPENDED, states.SUSPENDING),
    'resume': (lambda d, ctx, i, kw: d.resume(ctx, i), states.ACTIVE, states.RESUMING),
}


def _simple_rpc(action):
    """An exposed ``<action>_instance(context, instance_uuid)`` running SIMPLE_ACTIONS[action]."""
    @rpc.expose
    def method(self, context, instance_uuid):
        self._run(self._simple, action, context, instance_uuid)
    method.__name__ = method.__qualname__ = f'{action}_instance'
    return method


class ComputeManager(manager.Manager):
    service_name = 'iaas-compute'

    def __init__(self, host, driver=None):
        super().__init__(host)
        self.driver = driver or virt.load_driver(CONF.compute.compute_driver, host)
        self._locks = collections.defaultdict(threading.Lock)
        self._locks_guard = threading.Lock()
        self._builds = threading.BoundedSemaphore(CONF.compute.max_concurrent_builds)
        self._pool = concurrent.futures.ThreadPoolExecutor(
            CONF.compute.max_concurrent_builds + 8, thread_name_prefix='compute-op')
        from iaas.scheduler import rpcapi as scheduler_rpcapi
        self.scheduler = scheduler_rpcapi.SchedulerAPI()
        from iaas.network import rpcapi as network_rpcapi
        self.network_api = network_rpcapi.NetworkAPI()

    # -- lifecycle ----------------------------------------------------------
    def init_host(self):
        self.driver.init_host()
        self.report_resources(None)
        # Operations this host was running when it stopped cannot finish now.
        for inst in db.in_progress_on_hosts([self.host]):
            if inst['vm_state'] == states.BUILDING:
                db.set_error(inst['uuid'], 'Compute service restarted during the build',
                             host=self.host)
            elif inst['task_state'] == states.DELETING:
                self._pool.submit(self._terminate, None, inst['uuid'])
            else:
                try:
                    db.update(inst['uuid'], expected_task_state=inst['task_state'],
                              task_state=None)
                except (db.UnexpectedState, db.InstanceNotFound):
                    pass
        self._sync_power_states()

    def cleanup_host(self):
        self._pool.shutdown(wait=True, cancel_futures=False)
        self.driver.cleanup_host()

    def _lock(self, uuid):
        with self._locks_guard:
            return self._locks[uuid]

    def _run(self, func, *args):
        """Run an operation in the pool; the RPC worker is free at once."""
        def wrapped():
            try:
                func(*args)
            except Exception:
                LOG.exception('%s failed', func.__name__)
        return self._pool.submit(wrapped)

    # -- build ---------------------------------------------------------------
    @rpc.expose
    def build_and_run_instance(self, context, instance_uuid, request_spec, attempt=1):
        self._run(self._build, context, instance_uuid, request_spec, attempt)

    def _build(self, context, uuid, spec, attempt):
        with self._builds, self._lock(uuid):
            try:
                inst = db.get(uuid)
            except db.InstanceNotFound:
                return
            if inst['task_state'] != states.SPAWNING or inst['host'] != self.host:
                LOG.info('build of %s dropped: now %s on %s', uuid, inst['task_state'],
                         inst['host'])
                return
            rid = context.request_id
            db.event_start(uuid, rid, 'compute_build_and_run_instance', host=self.host)
            try:
                sysmeta = inst.get('system_metadata') or {}
                network_info = []
                if sysmeta.get('networks') not in (None, 'none', []):
                    network_info = self.network_api.allocate_for_instance(
                        context, uuid, self.host, inst['project_id'],
                        requested_networks=sysmeta['networks'],
                        security_groups=sysmeta.get('security_groups'))
                self.driver.spawn(context, inst, spec.get('image') or {},
                                  admin_password=None, network_info=network_info)
            except Exception as exc:
                db.event_finish(uuid, rid, 'compute_build_and_run_instance', 'Error',
                                traceback.format_exc())
                self._build_failed(context, inst, spec, attempt, exc)
                return
            try:
                db.update(uuid, expected_task_state=states.SPAWNING,
                          vm_state=states.ACTIVE, task_state=None,
                          power_state=states.RUNNING, launched_at=utcnow(), progress=100)
            except (db.UnexpectedState, db.InstanceNotFound):
                # Deleted while spawning: the terminate waiting on our lock
                # removes the guest. Gone, or failed meanwhile (the reaper timed
                # the build out, or saw this host down, and released its
                # resources): nobody else will, so remove it here.
                LOG.info('instance %s changed during its build; not activating', uuid)
                if _orphaned(uuid, self.host):
                    self.driver.destroy(context, inst)
                return
            db.event_finish(uuid, rid, 'compute_build_and_run_instance')
            LOG.info('instance %s active on %s', uuid, self.host)

    def _build_failed(self, context, inst, spec, attempt, exc):
        uuid = inst['uuid']
        LOG.warning('build of %s on %s failed (attempt %d): %s', uuid, self.host, attempt, exc)
        try:
            self.driver.destroy(context, inst)
        except Exception:
            LOG.exception('cleanup of failed build %s', uuid)
        max_attempts = getattr(getattr(CONF, 'scheduler', None), 'max_attempts', 3)
        if attempt < max_attempts:
            try:
                db.update(uuid, expected_task_state=states.SPAWNING, host=None, node=None,
                          task_state=states.SCHEDULING)
            except (db.UnexpectedState, db.InstanceNotFound):
                return
            db_nodes.refresh_usage(self.host)
            spec = dict(spec)
            spec['instance_uuids'] = [uuid]
            spec['num_instances'] = 1
            spec['group'] = None if not spec.get('group') else spec['group']
            spec['ignore_hosts'] = list(spec.get('ignore_hosts') or []) + [self.host]
            self.scheduler.build_instances(context, spec, attempt=attempt + 1)
            return
        db.set_error(uuid, f'Build of instance {uuid} failed after {attempt} attempts; '
                     f'last on {self.host}: {exc}', host=self.host,
                     expected_task_state=states.SPAWNING)
        try:
            db.update(uuid, host=None, node=None)
        except (db.UnexpectedState, db.InstanceNotFound):
            pass
        db_nodes.refresh_usage(self.host)

    # -- delete -------------------------------------------------------------
    @rpc.expose
    def terminate_instance(self, context, instance_uuid):
        self._run(self._terminate, context, instance_uuid)

    def _terminate(self, context, uuid):
        with self._lock(uuid):
            try:
                inst = db.get(uuid)
            except db.InstanceNotFound:
                return
            try:
                self.driver.destroy(context, inst)
            except Exception as exc:
                LOG.exception('destroy of %s failed', uuid)
                db.set_error(uuid, f'Delete failed: {exc}', host=self.host)
                return
            if (inst.get('system_metadata') or {}).get('networks') not in (None, 'none', []):
                try:
                    self.network_api.deallocate_for_instance(context, uuid, self.host)
                except Exception:
                    LOG.exception('releasing the ports of %s failed', uuid)
            db.soft_delete(uuid)
            db_nodes.refresh_usage(self.host)
            with self._locks_guard:
                self._locks.pop(uuid, None)
            if context is not None:
                db.event_finish(uuid, context.request_id, 'compute_terminate_instance')
            LOG.info('instance %s deleted', uuid)

    # -- power and lifecycle actions -----------------------------------------
    def _simple(self, action, context, uuid, **kw):
        call, vm_after, expected = SIMPLE_ACTIONS[action]
        event = f'compute_{action}_instance'
        with self._lock(uuid):
            try:
                inst = db.get(uuid)
            except db.InstanceNotFound:
                return
            db.event_start(uuid, context.request_id, event, host=self.host)
            try:
                call(self.driver, context, inst, kw)
                power = self.driver.get_info(inst)['power_state']
            except Exception as exc:
                LOG.exception('%s of %s failed', action, uuid)
                db.event_finish(uuid, context.request_id, event, 'Error',
                                traceback.format_exc())
                db.add_fault(uuid, f'{action} failed: {exc}', host=self.host)
                try:
                    db.update(uuid, expected_task_state=expected, task_state=None)
                except (db.UnexpectedState, db.InstanceNotFound):
                    pass
                return
            try:
                db.update(uuid, expected_task_state=expected, vm_state=vm_after,
                          task_state=None, power_state=power)
            except (db.UnexpectedState, db.InstanceNotFound):
                LOG.info('%s of %s: instance changed meanwhile', action, uuid)
            db.event_finish(uuid, context.request_id, event)

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
    def rebuild_instance(self, context, instance_uuid, image=None):
        self._run(self._rebuild, context, instance_uuid, image or {})

    def _rebuild(self, context, uuid, image):
        with self._lock(uuid):
            try:
                inst = db.get(uuid)
                db.event_start(uuid, context.request_id, 'compute_rebuild_instance',
                               host=self.host)
                self.driver.rebuild(context, inst, image)
                stopped = inst['vm_state'] == states.STOPPED
                if stopped:     # as Nova: a stopped server is stopped again after
                    self.driver.power_off(inst, CONF.compute.shutdown_timeout)
                db.update(uuid, expected_task_state=states.REBUILDING,
                          vm_state=states.STOPPED if stopped else states.ACTIVE,
                          task_state=None, launched_at=utcnow(),
                          power_state=states.SHUTDOWN if stopped else states.RUNNING)
                db.event_finish(uuid, context.request_id, 'compute_rebuild_instance')
            except (db.UnexpectedState, db.InstanceNotFound):
                return
            except Exception as exc:
                LOG.exception('rebuild of %s failed', uuid)
                db.event_finish(uuid, context.request_id, 'compute_rebuild_instance', 'Error',
                                traceback.format_exc())
                db.set_error(uuid, f'Rebuild failed: {exc}', host=self.host)

    @rpc.expose
    def snapshot_instance(self, context, instance_uuid, image_id):
        self._run(self._snapshot, context, instance_uuid, image_id)

    def _snapshot(self, context, uuid, image_id):
        with self._lock(uuid):
            event = 'compute_snapshot_instance'
            try:
                inst = db.get(uuid)
            except db.InstanceNotFound:
                return
            db.event_start(uuid, context.request_id, event, host=self.host)
            try:
                self.driver.snapshot(context, inst, image_id, snapshot.uploader(image_id))
                result, tb = 'Success', None
            except Exception as exc:
                LOG.exception('snapshot of %s failed', uuid)
                result, tb = 'Error', traceback.format_exc()
                db.add_fault(uuid, f'Snapshot failed: {exc}', host=self.host)
                snapshot.discard(image_id)
            try:
                db.update(uuid, expected_task_state=states.IMAGE_SNAPSHOT, task_state=None)
            except (db.UnexpectedState, db.InstanceNotFound):
                pass
            db.event_finish(uuid, context.request_id, event, result, tb)

    @rpc.expose
    def resize_instance(self, context, instance_uuid, new_flavor, old_host=None):
        self._run(self._resize, context, instance_uuid, new_flavor)

    def _resize(self, context, uuid, new_flavor):
        """Runs on the destination host the scheduler claimed."""
        with self._lock(uuid):
            try:
                inst = db.get(uuid)
                db.event_start(uuid, context.request_id, 'compute_resize_instance',
                               host=self.host)
                if self.driver.list_instances().count(uuid):
                    self.driver.resize(context, inst, new_flavor)
                else:
                    self.driver.spawn(context, inst, {}, None, None)
                power = self.driver.get_info(inst)['power_state']
                db.update(uuid, expected_task_state=states.RESIZE_MIGRATING,
                          vm_state=states.RESIZED, task_state=None, power_state=power)
                db.event_finish(uuid, context.request_id, 'compute_resize_instance')
            except (db.UnexpectedState, db.InstanceNotFound):
                return
            except Exception as exc:
                LOG.exception('resize of %s failed', uuid)
                db.set_error(uuid, f'Resize failed: {exc}', host=self.host)

    @rpc.expose
    def revert_resize_instance(self, context, instance_uuid, old_flavor, vm_state):
        self._run(self._revert_resize, context, instance_uuid, old_flavor, vm_state)

    def _revert_resize(self, context, uuid, old_flavor, vm_state):
        """Runs on the original host, which the API claimed back."""
        with self._lock(uuid):
            try:
                inst = db.get(uuid)
                if uuid in self.driver.list_instances():
                    self.driver.resize(context, inst, old_flavor)
                else:
                    self.driver.spawn(context, inst, {}, None, None)
                if vm_state == states.STOPPED:
                    self.driver.power_off(inst, 0)
                power = self.driver.get_info(inst)['power_state']
                db.update(uuid, expected_task_state=states.RESIZE_REVERTING,
                          vm_state=vm_state, task_state=None, power_state=power)
                db.event_finish(uuid, context.request_id, 'compute_revert_resize')
            except (db.UnexpectedState, db.InstanceNotFound):
                return
            except Exception as exc:
                LOG.exception('revert of resize of %s failed', uuid)
                db.set_error(uuid, f'Resize revert failed: {exc}', host=self.host)

    @rpc.expose
    def cleanup_resize_source(self, context, instance_uuid):
        """After a confirmed resize that moved hosts: drop the old guest here."""
        self._run(lambda: self.driver.destroy(context, {'uuid': instance_uuid}))

    # -- reads ---------------------------------------------------------------
    @rpc.expose
    def get_console_output(self, context, instance_uuid, length=None):
        inst = db.get(instance_uuid)
        try:
            text = self.driver.get_console_output(context, inst)
        except virt_driver.InstanceNotFoundInDriver:
            text = ''
        if length is not None:
            text = '\n'.join(text.splitlines()[-int(length):]) + ('\n' if length else '')
        return text

    # -- periodic tasks -----------------------------------------------------
    @manager.periodic_task(spacing=lambda: CONF.compute.resource_report_interval)
    def report_resources(self, context):
        res = self.driver.get_available_resource()
        sched = getattr(CONF, 'scheduler', None)
        db_nodes.upsert(
            self.host, res.get('hypervisor_hostname') or self.host,
            vcpus=res['vcpus'],
            memory_mb=max(0, res['memory_mb'] - CONF.compute.reserved_host_memory_mb),
            local_gb=max(0, res['local_gb'] - CONF.compute.reserved_host_disk_gb),
            hypervisor_type=res.get('hypervisor_type', 'unknown'),
            hypervisor_version=res.get('hypervisor_version', 0),
            cpu_info=res.get('cpu_info'),
            cpu_allocation_ratio=getattr(sched, 'cpu_allocation_ratio', 16.0),
            ram_allocation_ratio=getattr(sched, 'ram_allocation_ratio', 1.5),
            disk_allocation_ratio=getattr(sched, 'disk_allocation_ratio', 1.0))

    @manager.periodic_task(spacing=lambda: CONF.compute.sync_power_state_interval)
    def sync_power_states(self, context):
        self._sync_power_states()

    def _sync_power_states(self):
        present = set(self.driver.list_instances())
        for inst in db.list_(filters={'host': self.host}):
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
                    try:
                        db.update(inst['uuid'], expected_task_state=None, **values)
                    except (db.UnexpectedState, db.InstanceNotFound):
                        pass


def _orphaned(uuid, host):
    """True if a guest of ``uuid`` on ``host`` belongs to no live instance there."""
    try:
        inst = db.get(uuid)
    except db.InstanceNotFound:
        return True
    return inst['host'] != host or inst['vm_state'] == states.ERROR
