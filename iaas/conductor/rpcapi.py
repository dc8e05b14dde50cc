"""Client side of the iaas-conductor RPC API: the only place naming its topic and methods.

Hypervisor (iaas-compute) and network (iaas-network) hosts hold no database
credentials; every read and write of shared state they need is one of the
calls below, served by iaas-conductor (topic ``conductor``, any conductor
host). Each is a call with a deadline (``rpc_response_timeout``), so the
caller knows its write landed; exceptions come back by type
(``iaas.exception.InstanceNotFound``, ``UnexpectedState``,
``ServiceNotFound``).

Instance writes are compare-and-swaps: ``expected_task_state`` is a required
argument (a value or a list; ``None`` means "no task running").
"""
from iaas import rpc
from iaas.conductor import hostauth
from iaas.conf import CONF

TOPIC = 'conductor'


class ConductorAPI(rpc.ClientAPI):
    """``role``: the caller's (``compute`` or ``network``); every call is
    signed with this host's key for it (:mod:`iaas.conductor.hostauth`)."""
    TOPIC = TOPIC
    VERSION = '1.0'

    def __init__(self, role, host=None, transport=None):
        super().__init__(transport=transport)
        self.client.signer = hostauth.Signer(role, host)

    def _call(self, context, method, **kwargs):
        cctx = self.client.prepare(timeout=CONF.rpc_response_timeout)
        return cctx.call(context, method, **kwargs)

    # -- service rows (the heartbeat of a host without a database) ----------
    def service_register(self, context, host, binary, topic):
        """Call: create or refresh the service row of (host, binary); returns it."""
        return self._call(context, 'service_register', host=host, binary=binary, topic=topic)

    def service_heartbeat(self, context, service_id):
        """Call: the service is alive (ServiceNotFound if its row is gone)."""
        return self._call(context, 'service_heartbeat', service_id=service_id)

    def host_reports(self, context, reports):
        """Call: many hosts' heartbeats and resource reports at once, each entry
        made by :meth:`signed_report` with its own host's API; returns
        {'missing': service ids to register again, 'refused': entry indexes}."""
        return self._call(context, 'host_reports', reports=reports)

    def signed_report(self, method, **args):
        """One entry of :meth:`host_reports`: ``service_heartbeat`` (service_id)
        or ``compute_node_report`` (host, node, resources), signed by this host."""
        return self.client.signer({'iaas': rpc.ENVELOPE_VERSION, 'method': method,
                                   'args': args})

    # -- instances ------------------------------------------------------------
    def instance_get(self, context, instance_uuid, start_event=None, event_if=None):
        """Call: the instance as a dict (InstanceNotFound if gone).

        ``start_event``: also start that event of this request's action, in
        the same round trip, when the instance's fields match ``event_if``
        (a dict; None: always), as :meth:`action_event` would."""
        kw = {'start_event': start_event, 'event_if': event_if} if start_event else {}
        return self._call(context, 'instance_get', instance_uuid=instance_uuid, **kw)

    def instance_update(self, context, instance_uuid, expected_task_state,
                        finish_event=None, **values):
        """Call: compare-and-swap ``values`` if the task_state is as expected
        (UnexpectedState otherwise); returns the new dict. ``launched_at=True``
        stamps the conductor's current time. ``finish_event``: once the swap
        is done, finish that event of this request's action with Success, in
        the same round trip."""
        kw = {'finish_event': finish_event} if finish_event else {}
        return self._call(context, 'instance_update', instance_uuid=instance_uuid,
                          expected_task_state=expected_task_state, values=values, **kw)

    def live_migration_finish(self, context, instance_uuid, success, message=None,
                              power_state=None):
        """Call, from the destination of a live migration: the move ended.
        Success: the task is cleared (``power_state`` set); failure: the
        instance goes back to its source host with a fault ``message``.
        Returns the instance."""
        return self._call(context, 'live_migration_finish', instance_uuid=instance_uuid,
                          success=success, message=message, power_state=power_state)

    def instance_fault(self, context, instance_uuid, message, host):
        """Call: record a fault (the instance keeps its state)."""
        return self._call(context, 'instance_fault', instance_uuid=instance_uuid,
                          message=message, host=host)

    def instance_error(self, context, instance_uuid, message, host,
                       expected_task_state=None, any_task_state=False):
        """Call: ERROR with a fault, in one transaction; None if the instance
        is gone or no longer in ``expected_task_state`` (``any_task_state``:
        whatever its task)."""
        return self._call(context, 'instance_error', instance_uuid=instance_uuid,
                          message=message, host=host, expected_task_state=expected_task_state,
                          any_task_state=any_task_state)

    def instance_destroyed(self, context, instance_uuid, host, finish_event=None):
        """Call: the guest is gone from ``host``: mark the instance deleted and
        recount the host's usage; ``finish_event``: then finish that event of
        this request's action (Success), in the same round trip."""
        kw = {'finish_event': finish_event} if finish_event else {}
        return self._call(context, 'instance_destroyed', instance_uuid=instance_uuid,
                          host=host, **kw)

    def instance_offloaded(self, context, instance_uuid, host, expected_task_state,
                           finish_event=None):
        """Call: the shelved guest is gone from ``host`` (``expected_task_state``
        shelving_offloading), or an unshelve here failed (unshelving): the
        instance becomes SHELVED_OFFLOADED on no host and the host's usage is
        recounted; ``finish_event``: finish that event of this request's
        action (Success) in the same round trip. UnexpectedState otherwise."""
        kw = {'finish_event': finish_event} if finish_event else {}
        return self._call(context, 'instance_offloaded', instance_uuid=instance_uuid,
                          host=host, expected_task_state=expected_task_state, **kw)

    def build_failed(self, context, instance_uuid, host, request_spec, attempt, message):
        """Call: the build on ``host`` failed (its guest removed): reschedule
        to another host, or ERROR with a fault after ``[scheduler]
        max_attempts``."""
        return self._call(context, 'build_failed', instance_uuid=instance_uuid, host=host,
                          request_spec=request_spec, attempt=attempt, message=message)

    def instances_on_host(self, context, host, busy_only=False):
        """Call: the live instances placed on ``host`` (``busy_only``: those
        building or with a task running)."""
        return self._call(context, 'instances_on_host', host=host, busy_only=busy_only)

    def action_event(self, context, instance_uuid, event, host, finish=False,
                     result='Success', traceback=None):
        """Call: start (or finish, with its result) an event of the instance
        action of this request (``context.request_id``)."""
        return self._call(context, 'action_event', instance_uuid=instance_uuid, event=event,
                          host=host, finish=finish, result=result, traceback=traceback)

    def compute_node_report(self, context, host, node, resources):
        """Call: the hypervisor's capacity (vcpus, memory_mb, local_gb,
        hypervisor_type/version, cpu_info), reserved amounts already taken off."""
        return self._call(context, 'compute_node_report', host=host, node=node,
                          resources=resources)

    # -- migrations (for compute hosts) -----------------------------------------
    def migration_update(self, context, migration_id, expected_status, status):
        """Call: move the record of a migration this host is an end of to
        ``status`` if it is ``expected_status``; the new dict or None."""
        return self._call(context, 'migration_update', migration_id=migration_id,
                          expected_status=expected_status, status=status)

    def evacuated_from_host(self, context, host):
        """Call: the evacuations from this host whose guests it still holds."""
        return self._call(context, 'evacuated_from_host', host=host)

    def evacuations_cleaned(self, context, host, migration_ids):
        """Call: this host destroyed the guests of these evacuations (completed)."""
        return self._call(context, 'evacuations_cleaned', host=host,
                          migration_ids=migration_ids)

    # -- network (for iaas-network hosts) ----------------------------------------
    def ports_allocate(self, context, instance_uuid, project_id, requested_networks,
                       security_groups, host):
        """Call: make (or re-bind to ``host``, after a reschedule) the
        instance's ports in the project's networks."""
        return self._call(context, 'ports_allocate', instance_uuid=instance_uuid,
                          project_id=project_id, requested_networks=requested_networks,
                          security_groups=security_groups, host=host)

    def ports_deallocate(self, context, instance_uuid):
        """Call: delete the instance's ports; returns their ids."""
        return self._call(context, 'ports_deallocate', instance_uuid=instance_uuid)

    def ports_of_instance(self, context, instance_uuid):
        """Call: [{'port', 'network', 'subnets'}] for each port of the instance."""
        return self._call(context, 'ports_of_instance', instance_uuid=instance_uuid)

    def network_host_state(self, context, host):
        """Call: what network ``host`` must apply (networks with subnets and
        ports, its ports, security groups, floating IPs)."""
        return self._call(context, 'network_host_state', host=host)

    def fixed_ips_leased(self, context, network_id, addresses):
        """Call: the addresses of ``network_id`` that dnsmasq has leased."""
        return self._call(context, 'fixed_ips_leased', network_id=network_id,
                          addresses=addresses)

    # -- volumes (for volume hosts) -------------------------------------------------
    def volume_get(self, context, volume_id):
        """Call: a volume placed on this host (VolumeNotFound otherwise)."""
        return self._call(context, 'volume_get', volume_id=volume_id)

    def volume_update(self, context, volume_id, expected_status, status, **values):
        """Call: compare-and-swap the volume's status (VolumeStatusError when
        it is not ``expected_status``); returns the new dict."""
        return self._call(context, 'volume_update', volume_id=volume_id,
                          expected_status=expected_status, status=status, values=values)

    def volume_snapshots(self, context, volume_id):
        """Call: the snapshots of a volume of this host."""
        return self._call(context, 'volume_snapshots', volume_id=volume_id)

    def volume_destroyed(self, context, volume_id):
        """Call: the backend dropped the volume (it was ``deleting``)."""
        return self._call(context, 'volume_destroyed', volume_id=volume_id)

    def snapshot_get(self, context, snapshot_id):
        """Call: a snapshot of a volume placed on this host."""
        return self._call(context, 'snapshot_get', snapshot_id=snapshot_id)

    def snapshot_update(self, context, snapshot_id, expected_status, status, **values):
        return self._call(context, 'snapshot_update', snapshot_id=snapshot_id,
                          expected_status=expected_status, status=status, values=values)

    def snapshot_destroyed(self, context, snapshot_id):
        return self._call(context, 'snapshot_destroyed', snapshot_id=snapshot_id)

    def volume_backend_report(self, context, backend_name, driver, protocol,
                              availability_zone, capacity, max_over_subscription_ratio,
                              reserved_percentage):
        """Call: this host's backend ``backend_name`` has ``capacity``."""
        return self._call(context, 'volume_backend_report', backend_name=backend_name,
                          driver=driver, protocol=protocol,
                          availability_zone=availability_zone, capacity=capacity,
                          max_over_subscription_ratio=max_over_subscription_ratio,
                          reserved_percentage=reserved_percentage)

    def volumes_on_host(self, context):
        """Call: this host's volumes in a transitional status."""
        return self._call(context, 'volumes_on_host')

    # -- backups (for volume hosts) ------------------------------------------------
    def backup_get(self, context, backup_id):
        """Call: the backup (with ``chain``, the manifests it builds on)."""
        return self._call(context, 'backup_get', backup_id=backup_id)

    def backup_update(self, context, backup_id, expected_status, status, **values):
        return self._call(context, 'backup_update', backup_id=backup_id,
                          expected_status=expected_status, status=status, values=values)

    def backup_destroyed(self, context, backup_id):
        return self._call(context, 'backup_destroyed', backup_id=backup_id)

    # -- attachments (for compute hosts) -----------------------------------------
    def attachment_complete(self, context, attachment_id, connection_info, connector,
                            mountpoint):
        """Call: the guest has the volume's disk (attachment attached, volume in-use)."""
        return self._call(context, 'attachment_complete', attachment_id=attachment_id,
                          connection_info=connection_info, connector=connector,
                          mountpoint=mountpoint)

    def attachment_failed(self, context, attachment_id):
        """Call: the attach failed (record removed, volume as it was)."""
        return self._call(context, 'attachment_failed', attachment_id=attachment_id)

    def detach_complete(self, context, attachment_id):
        return self._call(context, 'detach_complete', attachment_id=attachment_id)

    def detach_failed(self, context, attachment_id):
        return self._call(context, 'detach_failed', attachment_id=attachment_id)

    def attached_volume_extended(self, context, instance_uuid, volume_id, error=None):
        """Call: this host grew the volume its guest holds (``error``: why not)."""
        return self._call(context, 'attached_volume_extended', instance_uuid=instance_uuid,
                          volume_id=volume_id, error=error)

    def boot_volumes_reserve(self, context, instance_uuid):
        """Call: the boot volumes' attachments (each volume reserved), or None
        while one is still being made (VolumeStatusError if one failed)."""
        return self._call(context, 'boot_volumes_reserve', instance_uuid=instance_uuid)

    def instance_volumes(self, context, instance_uuid):
        """Call: the instance's volume attachments (with ``volume_host``)."""
        return self._call(context, 'instance_volumes', instance_uuid=instance_uuid)

    def instance_volumes_released(self, context, instance_uuid):
        """Call: the deleted instance's volumes are free (and deleted when
        marked delete_on_termination)."""
        return self._call(context, 'instance_volumes_released', instance_uuid=instance_uuid)
