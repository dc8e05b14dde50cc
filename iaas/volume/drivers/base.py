"""The interface every volume backend implements, and what they share.

The volume manager owns one driver object per configured backend. It
registers :attr:`VolumeDriver.options` in the backend's own option group
``[backend_<name>]`` and builds the driver with that group::

    cls = plugins.load('iaas.volume.drivers', name, '[backend_<name>] volume_driver')
    CONF.register_opts(cls.options, group=f'backend_{name}')
    driver = cls(name, CONF[f'backend_{name}'], CONF.host)
    driver.check_setup()

Drivers receive plain dicts and return plain values:

* ``volume``: ``{'id': uuid, 'size': GiB, 'provider_location': str|None, …}``
* ``snapshot``: ``{'id': uuid, 'volume_id': uuid, 'volume_size': GiB,
  'provider_location': str|None, …}``
* ``connector``: ``{'host': str, 'ip': str, 'initiator': iqn|None}``

Long operations block the calling thread. Errors are :class:`DriverError`
(the message says why) or :class:`VolumeNotFoundInDriver`.
"""
import contextlib
import os
import re
import shutil
import subprocess
import threading

from iaas.privileged import volume as priv_volume

GiB = 1 << 30
UUID = re.compile(r'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$')


class DriverError(Exception):
    """A backend operation failed; the message says why."""


class VolumeNotFoundInDriver(DriverError):
    """The backend holds no such volume (or snapshot)."""


class VolumeBusy(DriverError):
    """A running guest holds the volume (its image lock): the hypervisor,
    not the backend, must grow it (qemu's block_resize on the open image)."""


class VolumeDriver:
    """A block-storage backend. Subclasses override what their backend does.

    ``protocol`` is the ``driver_volume_type`` of the connection_info
    :meth:`initialize_connection` returns; ``options`` the
    ``oslo_config.cfg.Opt`` list of the backend (registered by the manager in
    ``[backend_<name>]``).
    """

    protocol = 'file'
    options = []

    def __init__(self, backend_name, conf, host):
        """``conf``: the backend's option group (options as attributes);
        ``host``: the name of this volume host."""
        self.backend_name = backend_name
        self.conf = conf
        self.host = host
        self._locks = {}
        self._locks_lock = threading.Lock()

    # -- lifecycle ---------------------------------------------------------

    def check_setup(self):
        """At daemon start: raise :class:`DriverError` naming what is missing
        (a binary, a directory, a volume group…)."""

    def get_capacity(self):
        """``{'total_gb': float, 'free_gb': float, 'provisioned_gb': float,
        'thin': bool}``."""
        raise NotImplementedError

    # -- volumes -----------------------------------------------------------

    def create_volume(self, volume):
        """Make an empty volume of ``volume['size']`` GiB; return a model
        update (``{'provider_location': str}`` or ``{}``)."""
        raise NotImplementedError

    def create_volume_from_image(self, volume, image_path, image_format):
        """Make the volume from an image already fetched to the local file
        ``image_path`` (format ``image_format``: raw, qcow2, …), converted
        straight into the volume and grown to ``volume['size']`` GiB.
        :class:`DriverError` when the image's virtual size exceeds it."""
        raise NotImplementedError

    def create_volume_from_snapshot(self, volume, snapshot):
        """Make the volume holding the snapshot's data (the volume may be
        larger than ``snapshot['volume_size']``); return a model update."""
        raise NotImplementedError

    def create_cloned_volume(self, volume, src_volume):
        """Make the volume holding a copy of ``src_volume``'s data now."""
        raise NotImplementedError

    def delete_volume(self, volume):
        """Remove the volume; absent is fine. :class:`DriverError` if it
        still has snapshots the backend cannot drop."""
        raise NotImplementedError

    def extend_volume(self, volume, new_size_gb):
        """Grow the volume to ``new_size_gb`` GiB. :class:`VolumeBusy` when a
        running guest holds it and only its hypervisor can grow it."""
        raise NotImplementedError

    # -- snapshots ---------------------------------------------------------

    def create_snapshot(self, snapshot, volume, in_use=False):
        """Freeze the volume's data now (``in_use``: attached to a running
        guest; crash-consistent); return ``{'provider_location': …}``."""
        raise NotImplementedError

    def delete_snapshot(self, snapshot, volume):
        """Drop the snapshot; absent is fine."""
        raise NotImplementedError

    # -- attachments -------------------------------------------------------

    def initialize_connection(self, volume, connector):
        """Export the volume to ``connector``; return the connection_info
        (``{'driver_volume_type': self.protocol, 'data': {…}}``)."""
        raise NotImplementedError

    def terminate_connection(self, volume, connector):
        """Withdraw what :meth:`initialize_connection` gave ``connector``;
        idempotent."""

    # -- data --------------------------------------------------------------

    def open_volume(self, volume, mode='rb'):
        """A context manager yielding a binary file-like object over the
        volume's raw bytes from offset 0, whatever the on-disk format:
        ``'rb'`` to read (backups, upload to image), ``'r+b'`` to write
        (restore)."""
        raise NotImplementedError

    def local_path(self, volume):
        """A path qemu on this host can open, or None."""
        return None

    # -- helpers for subclasses ----------------------------------------------

    @contextlib.contextmanager
    def _lock(self, key):
        """Serialise the operations on one volume (by id) in this process."""
        with self._locks_lock:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            yield

    def _execute(self, argv, root=False, input=None, timeout=600, check=True):
        """Run ``argv`` (no shell): ``root`` through the privileged entry
        point ``iaas.privileged.volume.execute`` (allow-listed), else as this
        process. stdout; :class:`DriverError` on a non-zero exit when
        ``check``, else ``(returncode, stdout, stderr)``."""
        if root:
            try:
                rc, out, err = priv_volume.execute(list(argv), input=input, timeout=timeout)
            except (OSError, subprocess.SubprocessError) as e:
                raise DriverError(f'{argv[0]} failed: {e}') from e
        else:
            try:
                r = subprocess.run(list(argv), input=input, capture_output=True, text=True,
                                   timeout=timeout)
            except (OSError, subprocess.SubprocessError) as e:
                raise DriverError(f'{argv[0]} failed: {e}') from e
            rc, out, err = r.returncode, r.stdout, r.stderr
        if not check:
            return rc, out, err
        if rc != 0:
            raise DriverError(f'{" ".join(argv[:3])} failed ({rc}): {err.strip()[:500]}')
        return out


# Glance disk_format -> qemu-img format name.
QEMU_FORMATS = {'raw': 'raw', 'qcow2': 'qcow2', 'vmdk': 'vmdk', 'vdi': 'vdi', 'vhd': 'vpc',
                'vhdx': 'vhdx', 'qed': 'qed', 'iso': 'raw', 'ami': 'raw', 'ari': 'raw',
                'aki': 'raw', 'ploop': 'parallels'}


def qemu_format(image_format):
    """qemu-img's name of a Glance ``disk_format``; :class:`DriverError` for
    one qemu cannot read."""
    try:
        return QEMU_FORMATS[image_format]
    except KeyError:
        raise DriverError(f'image disk_format {image_format!r} cannot be converted into a '
                          'volume') from None


def check_id(value, what='volume'):
    """``value`` if it is a UUID string (names built from it are safe)."""
    if not isinstance(value, str) or not UUID.match(value):
        raise DriverError(f'{what} id refused: {value!r}'[:200])
    return value


def size_bytes(volume):
    size = volume.get('size')
    if isinstance(size, bool) or not isinstance(size, int) or size <= 0:
        raise DriverError(f"volume size must be a positive integer of GiB, not {size!r}")
    return size * GiB


def require_binaries(*names):
    """:class:`DriverError` naming the first of ``names`` not on PATH."""
    for name in names:
        if not shutil.which(name) and not shutil.which(name, path='/usr/sbin:/sbin'):
            raise DriverError(f'{name} is not installed (not found on PATH)')


def require_dir(path):
    """Make ``path`` if missing; :class:`DriverError` when it is unusable."""
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as e:
        raise DriverError(f'volume directory {path} cannot be made: {e}') from e
    if not os.access(path, os.W_OK | os.X_OK):
        raise DriverError(f'volume directory {path} is not writable')
