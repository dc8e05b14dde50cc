"""The interface every hypervisor driver implements.

Drivers get plain dicts (the instance as the manager read it, the image's
metadata, the flavor inside ``instance['flavor']``) and return plain
values. They never touch the database or the bus: the manager records what
they report. Long operations block the calling worker thread; the manager
bounds how many run at once.
"""


class DriverError(Exception):
    """A hypervisor operation failed; the message says why."""


class InstanceNotFoundInDriver(DriverError):
    """The hypervisor has no guest for this instance."""


class ComputeDriver:
    hypervisor_type = 'unknown'

    def __init__(self, host):
        self.host = host

    def init_host(self):
        """Connect to the hypervisor; called once before serving."""

    def cleanup_host(self):
        """Disconnect; called once at shutdown."""

    def get_available_resource(self):
        """{'vcpus', 'memory_mb', 'local_gb', 'hypervisor_type', 'hypervisor_version',
        'hypervisor_hostname', 'cpu_info'} of this host."""
        raise NotImplementedError

    def list_instances(self):
        """Uuids of the guests the hypervisor has."""
        raise NotImplementedError

    def get_info(self, instance):
        """{'power_state': int (iaas.states), …}; InstanceNotFoundInDriver if absent."""
        raise NotImplementedError

    def spawn(self, context, instance, image_meta, admin_password=None, network_info=None,
              block_device_info=None):
        """Create and start the guest; return when it runs."""
        raise NotImplementedError

    def destroy(self, context, instance, network_info=None, destroy_disks=True):
        """Remove the guest and (by default) its disks and console log. Idempotent."""
        raise NotImplementedError

    def power_off(self, instance, timeout=0):
        """Clean shutdown (ACPI) waiting up to ``timeout``, then forced."""
        raise NotImplementedError

    def power_on(self, context, instance):
        raise NotImplementedError

    def reboot(self, context, instance, reboot_type='SOFT'):
        raise NotImplementedError

    def pause(self, instance):
        raise NotImplementedError

    def unpause(self, instance):
        raise NotImplementedError

    def suspend(self, context, instance):
        raise NotImplementedError

    def resume(self, context, instance):
        raise NotImplementedError

    def snapshot(self, context, instance, image_id, upload):
        """Capture the root disk and call ``upload(chunks_iterable, disk_format)``;
        the guest carries on afterwards."""
        raise NotImplementedError

    def get_console_output(self, context, instance):
        """The guest's serial console log as text."""
        raise NotImplementedError

    def rebuild(self, context, instance, image_meta, admin_password=None, network_info=None):
        """Re-create the guest from ``image_meta``; default: destroy then spawn."""
        self.destroy(context, instance, network_info)
        self.spawn(context, instance, image_meta, admin_password, network_info)

    def resize(self, context, instance, new_flavor):
        """Give the guest ``new_flavor`` (it is powered off and on again)."""
        raise NotImplementedError
