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

    def resize_instance(self, context, instance_uuid, new_flavor):
        """Cast: pick a host for the instance with ``new_flavor`` and resize it there."""
        self.client.cast(context, 'resize_instance', instance_uuid=instance_uuid,
                         new_flavor=new_flavor)

    def unshelve_instance(self, context, instance_uuid, request_spec, host=None):
        """Cast: place the SHELVED_OFFLOADED instance (on ``host`` if given),
        claim its resources and have that host spawn it."""
        self.client.cast(context, 'unshelve_instance', instance_uuid=instance_uuid,
                         request_spec=request_spec, host=host)

    def create_volume(self, context, volume_id, request_spec):
        """Cast: place the volume on a backend and start its creation there."""
        self.client.cast(context, 'create_volume', volume_id=volume_id,
                         request_spec=request_spec)
