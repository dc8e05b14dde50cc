"""Client side of the iaas-volume RPC API: the only place naming its topic and methods.

Every method goes to one volume host (``volume.<host>``): the host of the
volume's backend (``host@backend`` → ``host``).
"""
from iaas import rpc
from iaas.conf import CONF

TOPIC = 'volume'


def host_of(backend):
    """'host@backend' → 'host'."""
    return backend.split('@', 1)[0]


class VolumeAPI(rpc.ClientAPI):
    TOPIC = TOPIC
    VERSION = '1.0'

    def _cast(self, context, host, method, **kwargs):
        self.client.prepare(server=host_of(host)).cast(context, method, **kwargs)

    def _call(self, context, host, method, timeout=None, **kwargs):
        cctx = self.client.prepare(server=host_of(host),
                                   timeout=timeout or CONF.rpc_response_timeout)
        return cctx.call(context, method, **kwargs)

    def create_volume(self, context, host, volume, source):
        """Cast: make ``volume`` (its dict, placed on ``host``) from ``source``
        ({} blank, {'image_id'}, {'snapshot_id'}, {'source_volid'})."""
        self._cast(context, host, 'create_volume', volume=volume, source=source)

    def delete_volume(self, context, host, volume_id):
        """Cast: drop the volume from its backend (it is ``deleting``)."""
        self._cast(context, host, 'delete_volume', volume_id=volume_id)

    def extend_volume(self, context, host, volume_id, new_size):
        """Cast: grow the volume (it is ``extending``) to ``new_size`` GiB."""
        self._cast(context, host, 'extend_volume', volume_id=volume_id, new_size=new_size)

    def upload_to_image(self, context, host, volume_id, image_id, disk_format):
        """Cast: copy the volume (``uploading``) into image ``image_id``."""
        self._cast(context, host, 'upload_to_image', volume_id=volume_id, image_id=image_id,
                   disk_format=disk_format)

    def reimage_volume(self, context, host, volume_id, image_id, timeout=None):
        """Call: overwrite the volume (``downloading``) with the image's data;
        returns once it is back in its previous status (raises otherwise)."""
        return self._call(context, host, 'reimage_volume', timeout=timeout,
                          volume_id=volume_id, image_id=image_id)

    def create_snapshot(self, context, host, snapshot_id, force=False):
        self._cast(context, host, 'create_snapshot', snapshot_id=snapshot_id, force=force)

    def delete_snapshot(self, context, host, snapshot_id):
        self._cast(context, host, 'delete_snapshot', snapshot_id=snapshot_id)

    def initialize_connection(self, context, host, volume_id, connector):
        """Call: export the volume to ``connector``; returns connection_info."""
        return self._call(context, host, 'initialize_connection', volume_id=volume_id,
                          connector=connector)

    def terminate_connection(self, context, host, volume_id, connector):
        """Call: remove the export made for ``connector``."""
        return self._call(context, host, 'terminate_connection', volume_id=volume_id,
                          connector=connector)

    # -- migration (iaas/volume/migration_ops.py) ----------------------------------
    def migrate_volume(self, context, host, volume_id, dest):
        """Cast to the volume's host: copy the volume (``maintenance``) to
        backend ``dest`` ("host@backend") and move it there."""
        self._cast(context, host, 'migrate_volume', volume_id=volume_id, dest=dest)

    def migration_target_create(self, context, host, volume):
        """Call the target's host: an empty volume (plain dict) to copy into;
        returns its driver's update (provider_location)."""
        return self._call(context, host, 'migration_target_create', volume=volume)

    def migration_target_write(self, context, host, volume, offset, data):
        """Call the target's host: write ``data`` (base64) at ``offset``."""
        return self._call(context, host, 'migration_target_write', volume=volume,
                          offset=offset, data=data)

    def migration_target_delete(self, context, host, volume):
        """Call the target's host: drop the target of a failed migration."""
        return self._call(context, host, 'migration_target_delete', volume=volume)

    # -- backups -----------------------------------------------------------------
    def create_backup(self, context, host, backup_id):
        """Cast to the volume's host: back the volume up (it is ``backing-up``)."""
        self._cast(context, host, 'create_backup', backup_id=backup_id)

    def restore_backup(self, context, host, backup_id, volume_id):
        """Cast to the target volume's host: write the backup into it."""
        self._cast(context, host, 'restore_backup', backup_id=backup_id,
                   volume_id=volume_id)

    def delete_backup(self, context, backup_id):
        """Cast to any volume host (the data is only in the object store)."""
        self.client.cast(context, 'delete_backup', backup_id=backup_id)
