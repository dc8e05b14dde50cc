"""The interface every hypervisor driver implements.

Drivers get plain dicts (the instance as the manager read it, the image's
metadata, the flavor inside ``instance['flavor']``) and return plain
values. They never touch the database or the bus: the manager records what
they report. Long operations block the calling worker thread; the manager
bounds how many run at once.

Volumes (block storage) come as Cinder's ``connection_info``
(``{'driver_volume_type': 'file'|'iscsi'|'nbd'|'rbd', 'data': {...}}``,
made by the volume service's backend); a driver maps it to a guest disk
named by the volume id (its *serial*). At boot, ``block_device_info``
carries the instance's volumes::

    {'root_device_name': '/dev/vda',
     'block_device_mapping': [{'connection_info': {...}, 'mount_device': '/dev/vda',
                               'boot_index': 0, 'serial': volume_id,
                               'delete_on_termination': False}, ...]}

A mapping with ``boot_index`` 0 is the root disk (boot from volume: no
image disk is made); the others are extra disks.

Shelve needs nothing more of a driver (``iaas/compute/shelve_ops.py``):
a shelve is :meth:`~ComputeDriver.power_off` then, for an image-backed
server, :meth:`~ComputeDriver.snapshot` of the stopped guest; an offload
is :meth:`~ComputeDriver.destroy` (libvirt: the domain destroyed and
undefined, its directory of local disks, config drive and console log
removed; volumes and ports stay); an unshelve is
:meth:`~ComputeDriver.power_on` (the guest still there) or
:meth:`~ComputeDriver.spawn` from the shelved image or the root volume
(``block_device_info`` of the server's attached volumes).
"""
import re

from iaas.exception import ConsoleTypeUnavailable

DEVICE_PREFIX = 'vd'
_DEVICE = re.compile(r'^(?:/dev/)?(?:vd|sd|xvd|hd)([a-z])$')


class DriverError(Exception):
    """A hypervisor operation failed; the message says why."""


class InstanceNotFoundInDriver(DriverError):
    """The hypervisor has no guest for this instance."""


def device_name(mountpoint):
    """``'vdb'`` for ``'/dev/vdb'`` (or ``'/dev/sdb'``, ``'xvdb'``, … :
    every disk is a virtio disk here); None when it is no single-letter
    disk name."""
    m = _DEVICE.match(mountpoint or '')
    return DEVICE_PREFIX + m.group(1) if m else None


def pick_device(used, requested=None):
    """The device name (``'vdb'``) a new disk gets: ``requested`` when it is
    a valid name and free, else the first free ``vdb``…``vdz`` (``vda`` is
    the root disk's). ``used`` holds the names taken (with or without
    ``/dev/``). DriverError when no name is left."""
    taken = {device_name(u) or u for u in used}
    want = device_name(requested)
    if want and want not in taken:
        return want
    for c in 'bcdefghijklmnopqrstuvwxyz':
        if DEVICE_PREFIX + c not in taken:
            return DEVICE_PREFIX + c
    raise DriverError('no free disk device name left (vdb..vdz all taken)')


VOLUME_TYPES = ('file', 'iscsi', 'nbd', 'rbd', 'fake')   # 'fake': the fake volume backend


def volume_target(connection_info):
    """What a volume's disk reads, as ``volume_devices`` reports it: the
    path of a file volume, ``protocol:name`` of a network one (iSCSI's name
    is ``IQN/LUN``). DriverError naming an unknown ``driver_volume_type``."""
    kind = (connection_info or {}).get('driver_volume_type')
    data = (connection_info or {}).get('data') or {}
    if kind not in VOLUME_TYPES:
        raise DriverError(f'unsupported volume type {kind!r} (driver_volume_type; '
                          f'known: {", ".join(VOLUME_TYPES)})')
    try:
        if kind == 'file':
            return data['path']
        if kind == 'iscsi':
            return f'iscsi:{data["target_iqn"]}/{int(data.get("target_lun") or 0)}'
        if kind == 'fake':
            return f'fake:{data["volume_id"]}'
        return f'{kind}:{data["name"]}'
    except KeyError as exc:
        raise DriverError(f'{kind} connection_info without {exc.args[0]!r}') from None


def root_mapping(block_device_info):
    """The block device mapping of the root disk (boot_index 0), or None."""
    for bdm in (block_device_info or {}).get('block_device_mapping') or []:
        if bdm.get('boot_index') in (0, '0'):
            return bdm
    return None


def extra_mappings(block_device_info):
    """The mappings that are not the root disk, in their given order."""
    return [b for b in (block_device_info or {}).get('block_device_mapping') or []
            if b.get('boot_index') not in (0, '0')]


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
        """Create and start the guest; return when it runs. With a root
        mapping in ``block_device_info`` (boot_index 0) the guest boots from
        that volume and ``image_meta`` may be empty; the other mappings
        become extra disks (see the module's docstring)."""
        raise NotImplementedError

    def destroy(self, context, instance, network_info=None, destroy_disks=True):
        """Remove the guest and (by default) its disks and console log. Idempotent.
        Volumes are never deleted (only the instance's own files); what the
        driver made for them on this host (e.g. libvirt secrets) goes."""
        raise NotImplementedError

    # -- volumes --------------------------------------------------------------
    def attach_volume(self, context, instance, connection_info, mountpoint=None,
                      serial=None):
        """Hot-plug the volume into the running guest (into the persistent
        definition only when it is stopped) and return the device name used
        (``'/dev/vdb'``): ``mountpoint`` when free, else the next free one.
        ``serial`` (the volume id) names the disk: the guest sees its first
        20 characters (virtio-blk's limit) in ``/sys/block/vdX/serial``.
        DriverError for an unknown ``driver_volume_type`` or a refused
        attach; InstanceNotFoundInDriver when there is no guest."""
        raise NotImplementedError

    def detach_volume(self, context, instance, connection_info, mountpoint, serial=None):
        """Unplug the volume (found by ``serial``, else by ``mountpoint``) from
        the guest and its persistent definition, waiting (with a deadline)
        until the guest released it; DriverError when it did not. Nothing
        happens when it is not attached (idempotent)."""
        raise NotImplementedError

    def extend_volume(self, context, instance, connection_info, new_size_bytes,
                      serial=None):
        """Tell the hypervisor the volume (already grown by its backend) now
        has ``new_size_bytes``, so the running guest sees the new size."""
        raise NotImplementedError

    def volume_devices(self, instance):
        """``[{'serial', 'device', 'target'}]`` of the volumes attached to the
        guest (device ``'/dev/vdb'``, target what the hypervisor reads: a
        path or ``protocol:name``), for syncing and debugging."""
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

    def get_serial_console(self, context, instance):
        """{'host', 'port'}: the TCP endpoint serving the guest's serial port
        (raw bytes both ways); ConsoleTypeUnavailable when it has none."""
        raise ConsoleTypeUnavailable('Unavailable console type serial.')

    def rebuild(self, context, instance, image_meta, admin_password=None, network_info=None):
        """Re-create the guest from ``image_meta``: a new root disk (unless the
        root is a volume) and the same attached volumes, which stay the volume
        service's and keep their data."""
        raise NotImplementedError

    def resize(self, context, instance, new_flavor):
        """Give the guest ``new_flavor`` (it is powered off and on again)."""
        raise NotImplementedError

    # -- cold migration (Nova's migrate_disk_and_power_off / finish_migration) ---
    def migrate_disk_and_power_off(self, context, instance, dest_host):
        """On the host a cold migration leaves: power the guest off (it stays
        defined here until the move is confirmed or reverted) and make its
        root disk available to ``dest_host``; returns ``disk_info`` (a JSON
        dict) for :meth:`finish_migration` there. A volume-backed guest has
        no disk to hand over."""
        raise NotImplementedError

    def finish_migration(self, context, instance, disk_info, image_meta, network_info=None,
                         block_device_info=None, power_on=True):
        """On the destination of a cold migration: take the disk
        ``disk_info`` describes (from :meth:`migrate_disk_and_power_off` on
        the source), define the guest with the instance's (new) flavor, its
        ``network_info`` and volumes, and start it unless not ``power_on``."""
        raise NotImplementedError

    # -- live migration (iaas/compute/live_migration_ops.py) ----------------------
    def live_migration_block_default(self):
        """Whether ``block_migration: auto`` copies the disks (True: the
        instances path is not shared between hosts)."""
        return True

    def live_migration_source_info(self, instance):
        """On the source: what the destination needs to prepare the guest's
        disks (a plain dict, passed to :meth:`pre_live_migration`)."""
        return {}

    def pre_live_migration(self, context, instance, block_migration, network_info,
                           disk_info):
        """On the destination: make what the incoming guest needs here and
        return ``migrate_data`` (a plain dict) for the source's
        :meth:`live_migration` (e.g. the URI to migrate to)."""
        raise DriverError(f'{type(self).__name__} cannot live-migrate')

    def live_migration(self, context, instance, dest, migrate_data):
        """On the source: move the running guest to ``dest`` and return
        figures of the move ({'total_s': …, …}). DriverError when it failed
        or timed out: the guest then still runs here, unchanged."""
        raise DriverError(f'{type(self).__name__} cannot live-migrate')

    def post_live_migration(self, context, instance, migrate_data):
        """On the source, after the move: remove what is left of the guest here."""

    def post_live_migration_at_destination(self, context, instance, migrate_data):
        """On the destination, after the move: the guest runs here."""

    def rollback_live_migration_at_destination(self, context, instance, migrate_data):
        """On the destination, after a failed move: remove what
        :meth:`pre_live_migration` made (never a guest that runs here)."""
