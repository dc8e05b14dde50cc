"""Client side of the iaas-compute RPC API: the only place naming its topic and methods.

Every request for an instance goes to ``compute.<instance host>``.
"""
from iaas import rpc
from iaas.conf import CONF

TOPIC = 'compute'
# the action event of a build, started where the build is claimed
BUILD_EVENT = 'compute_build_and_run_instance'
# the action event of an offloaded server's unshelve, started where it is claimed
UNSHELVE_EVENT = 'compute_unshelve_instance'
# the action event of an evacuation's rebuild, started where it is claimed
EVACUATE_EVENT = 'compute_rebuild_instance'
# a live migration's action event: started by the claim on the destination,
# finished where the move ends (iaas/compute/live_migration.py)
LIVE_MIGRATION_EVENT = 'compute_live_migration'
# the system metadata the claim writes for a live migration in progress:
# {source_host, source_node, dest_host, dest_node, block_migration}
LIVE_MIGRATION_RECORD = 'live_migration'


class ComputeAPI(rpc.ClientAPI):
    TOPIC = TOPIC
    VERSION = '1.0'

    def _cast(self, context, host, method, **kwargs):
        self.client.prepare(server=host).cast(context, method, **kwargs)

    def build_and_run_instance(self, context, host, instance_uuid, request_spec, attempt,
                               instance=None):
        """Cast: build the instance the scheduler placed on ``host``.
        ``instance``: its row as the claim left it, with the build's action
        event (BUILD_EVENT) started there, so the host need not ask for it."""
        kw = {'instance': instance} if instance is not None else {}
        self._cast(context, host, 'build_and_run_instance', instance_uuid=instance_uuid,
                   request_spec=request_spec, attempt=attempt, **kw)

    def terminate_instance(self, context, host, instance_uuid):
        self._cast(context, host, 'terminate_instance', instance_uuid=instance_uuid)

    def instance_action(self, context, host, instance_uuid, action, **kwargs):
        """Cast one of the power/lifecycle ACTIONS; each is the exposed manager
        method ``<action>_instance``."""
        if action not in ACTIONS:
            raise ValueError(f'unknown compute action {action}')
        self._cast(context, host, f'{action}_instance', instance_uuid=instance_uuid,
                   **kwargs)

    def revert_resize(self, context, host, instance_uuid, old_flavor, vm_state, moved=False):
        """Cast to the original host: take the old flavor back (``moved``: the
        server comes back from another host, with its ports and volumes)."""
        self._cast(context, host, 'revert_resize_instance', instance_uuid=instance_uuid,
                   old_flavor=old_flavor, vm_state=vm_state, moved=moved)

    def cleanup_resize_source(self, context, host, instance_uuid, volumes=None):
        """Cast to the host a resized server left: remove the old guest and
        withdraw the exports to it of ``volumes`` ([{volume_id, volume_host}])."""
        self._cast(context, host, 'cleanup_resize_source', instance_uuid=instance_uuid,
                   volumes=volumes or [])

    def evacuate_instance(self, context, host, instance_uuid, image, migration_id):
        """Cast to the host claimed for an instance of a dead host: rebuild it
        here (from ``image``, or its root volume) with its ports and volumes."""
        self._cast(context, host, 'evacuate_instance', instance_uuid=instance_uuid,
                   image=image, migration_id=migration_id)

    def migrate_disk_and_power_off(self, context, host, instance, dest_host):
        """Call (deadline ``[compute] action_timeout``) the host a cold
        migration leaves: power the guest of ``instance`` (its dict, as the
        destination read it) off and hand its disk over for ``dest_host``;
        returns the driver's disk_info (InstanceNotFound: no such guest)."""
        cctx = self.client.prepare(server=host, timeout=CONF.compute.action_timeout)
        return cctx.call(context, 'migrate_disk_and_power_off', instance=instance,
                         dest_host=dest_host)

    # -- shelve (iaas/compute/shelve_ops.py) -------------------------------------
    def shelve_instance(self, context, host, instance_uuid, image_id=None, offload=False):
        """Cast: power the guest off, snapshot it into ``image_id`` (None: a
        volume-backed server, no snapshot), SHELVED; then offload it at once
        when ``offload``."""
        self._cast(context, host, 'shelve_instance', instance_uuid=instance_uuid,
                   image_id=image_id, offload=offload)

    def shelve_offload_instance(self, context, host, instance_uuid):
        """Cast: destroy the SHELVED guest and free this host's resources."""
        self._cast(context, host, 'shelve_offload_instance', instance_uuid=instance_uuid)

    def unshelve_instance(self, context, host, instance_uuid, request_spec=None):
        """Cast: power the SHELVED guest on again; with ``request_spec`` (an
        offloaded server the scheduler claimed this host for): spawn it from
        the spec's image or its root volume."""
        kw = {'request_spec': request_spec} if request_spec is not None else {}
        self._cast(context, host, 'unshelve_instance', instance_uuid=instance_uuid, **kw)

    # -- live migration (iaas/compute/live_migration_ops.py) ---------------------
    def live_migration(self, context, host, instance, dest, block_migration):
        """Cast to the source ``host``: move the running guest of
        ``instance`` (its row as the scheduler's claim left it) to ``dest``."""
        self._cast(context, host, 'live_migration', instance=instance, dest=dest,
                   block_migration=block_migration)

    def pre_live_migration(self, context, host, instance_uuid, block_migration, disk_info):
        """Call the destination ``host`` (deadline [libvirt]
        live_migration_prepare_timeout): prepare it for the incoming guest;
        returns what the source's driver needs (e.g. the migration URI)."""
        cctx = self.client.prepare(server=host,
                                   timeout=CONF.libvirt.live_migration_prepare_timeout)
        return cctx.call(context, 'pre_live_migration', instance_uuid=instance_uuid,
                         block_migration=block_migration, disk_info=disk_info)

    def post_live_migration_at_destination(self, context, host, instance_uuid, migrate_data):
        """Call the destination ``host`` (deadline [libvirt]
        live_migration_prepare_timeout): the guest runs there now; bind its
        ports there and end the task. Returns False when the instance is gone."""
        cctx = self.client.prepare(server=host,
                                   timeout=CONF.libvirt.live_migration_prepare_timeout)
        return cctx.call(context, 'post_live_migration_at_destination',
                         instance_uuid=instance_uuid, migrate_data=migrate_data)

    def rollback_live_migration_at_destination(self, context, host, instance_uuid,
                                               migrate_data, message):
        """Call the destination ``host`` (deadline [libvirt]
        live_migration_prepare_timeout): the move failed; remove what was
        prepared and hand the instance back to its source. Returns False when
        the instance is gone."""
        cctx = self.client.prepare(server=host,
                                   timeout=CONF.libvirt.live_migration_prepare_timeout)
        return cctx.call(context, 'rollback_live_migration_at_destination',
                         instance_uuid=instance_uuid, migrate_data=migrate_data,
                         message=message)

    def get_console_output(self, context, host, instance_uuid, length=None):
        """Call (deadline rpc_response_timeout): the guest's console log."""
        cctx = self.client.prepare(server=host, timeout=CONF.rpc_response_timeout)
        return cctx.call(context, 'get_console_output', instance_uuid=instance_uuid,
                         length=length)

    def get_serial_console(self, context, host, instance_uuid):
        """Call (deadline rpc_response_timeout): where the guest's serial
        port is served, {'host', 'port'} (ConsoleTypeUnavailable when not)."""
        cctx = self.client.prepare(server=host, timeout=CONF.rpc_response_timeout)
        return cctx.call(context, 'get_serial_console', instance_uuid=instance_uuid)

    # -- volumes ---------------------------------------------------------------
    def attach_volume(self, context, host, instance_uuid, volume_id, volume_host,
                      attachment_id, device):
        """Cast: plug the reserved volume into the guest as ``device``."""
        self._cast(context, host, 'attach_volume', instance_uuid=instance_uuid,
                   volume_id=volume_id, volume_host=volume_host,
                   attachment_id=attachment_id, device=device)

    def detach_volume(self, context, host, instance_uuid, attachment):
        """Cast: unplug the volume of ``attachment`` (its record) from the guest."""
        self._cast(context, host, 'detach_volume', instance_uuid=instance_uuid,
                   attachment=attachment)

    def extend_volume(self, context, host, instance_uuid, volume_id, new_size, report=False):
        """Cast: the volume grew to ``new_size`` GiB: let the guest see it.
        ``report``: the guest holds the image, so this resize is the extend
        itself; the host ends the volume's extend through the conductor."""
        kw = {'report': True} if report else {}
        self._cast(context, host, 'extend_volume', instance_uuid=instance_uuid,
                   volume_id=volume_id, new_size=new_size, **kw)


ACTIONS = ('start', 'stop', 'reboot', 'pause', 'unpause', 'suspend', 'resume', 'rebuild',
           'snapshot', 'resize')
