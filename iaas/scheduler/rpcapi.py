"""Client side of the iaas-scheduler RPC API: the only place naming its topic and methods."""
from iaas import rpc

TOPIC = 'scheduler'


class SchedulerAPI(rpc.ClientAPI):
    TOPIC = TOPIC
    VERSION = '1.0'

    def build_instances(self, context, request_spec, attempt=1):
        """Cast: place the instances of ``request_spec`` and start their builds."""
        self.client.cast(context, 'build_instances', request_spec=request_spec,
                         attempt=attempt)

    def resize_instance(self, context, instance_uuid, new_flavor, migration_id=None,
                        host=None, other_host=False):
        """Cast: pick a host for the instance with ``new_flavor`` and resize it
        there (a cold migration: ``other_host``, the flavor its own; ``host``:
        only that one); ``migration_id``: the record the move updates."""
        self.client.cast(context, 'resize_instance', instance_uuid=instance_uuid,
                         new_flavor=new_flavor, migration_id=migration_id, host=host,
                         other_host=other_host)

    def evacuate_instance(self, context, instance_uuid, migration_id, host=None):
        """Cast: claim a host other than the dead one the instance is on (only
        ``host`` when given) and have it rebuild the instance there."""
        self.client.cast(context, 'evacuate_instance', instance_uuid=instance_uuid,
                         migration_id=migration_id, host=host)

    def unshelve_instance(self, context, instance_uuid, request_spec, host=None):
        """Cast: place the SHELVED_OFFLOADED instance (on ``host`` if given),
        claim its resources and have that host spawn it."""
        self.client.cast(context, 'unshelve_instance', instance_uuid=instance_uuid,
                         request_spec=request_spec, host=host)

    def live_migrate_instance(self, context, instance_uuid, host=None,
                              block_migration='auto'):
        """Cast: claim a destination (``host``, or the best other host) for the
        migrating instance and have its host move it there live."""
        self.client.cast(context, 'live_migrate_instance', instance_uuid=instance_uuid,
                         host=host, block_migration=block_migration)

    def create_volume(self, context, volume_id, request_spec):
        """Cast: place the volume on a backend and start its creation there."""
        self.client.cast(context, 'create_volume', volume_id=volume_id,
                         request_spec=request_spec)
