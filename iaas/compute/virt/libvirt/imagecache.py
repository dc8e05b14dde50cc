"""Base images cached on this host, shared by every guest booted from them.

``$instances_path/_base/<image id>`` holds the image data, downloaded once
from the image service through :mod:`iaas.compute.image_client` (size
and hashes verified), then inspected by the same checks as uploads
(:mod:`iaas.common.inspection`): the real format must match the declared
``disk_format``; a qcow2 naming a backing file or an external data file,
an unsafe vmdk, … is refused (such an image could make the host read its
own files). Formats other than qcow2/raw are converted to qcow2 once. Every
qemu-img call names the format explicitly (``-f``/``-F``): qemu-img never
guesses. Guests get a qcow2 overlay over the base. Bases unused (no guest
names them) for ``[libvirt] image_cache_max_age`` seconds are removed.
"""
import collections
import contextlib
import fcntl
import json
import logging
import os
import subprocess
import threading
import time

from iaas.common import inspection
from iaas.compute import image_client
from iaas.compute.virt import driver

LOG = logging.getLogger(__name__)

# disk_format -> qemu-img format name, for formats converted to qcow2 once.
CONVERTED = {'vmdk': 'vmdk', 'vhd': 'vpc', 'vhdx': 'vhdx', 'vdi': 'vdi'}
DIRECT = {'qcow2': 'qcow2', 'raw': 'raw', 'ami': 'raw'}


class ImageRefused(driver.DriverError):
    """The image data is unsafe or not what it claims to be."""


def qemu_img(*args, timeout=600):
    r = subprocess.run(['qemu-img', *args], capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise driver.DriverError(f'qemu-img {args[0]} failed: {r.stderr.strip()[:500]}')
    return r.stdout


def qemu_img_info(path, fmt, force_share=False):
    """``qemu-img info`` as a dict; ``force_share`` reads an image a guest has open."""
    extra = ['-U'] if force_share else []
    return json.loads(qemu_img('info', *extra, '-f', fmt, '--output', 'json', path))


class ImageCache:
    """``fetcher(image_id, dest)`` downloads a verified image and returns its
    record (default: :func:`iaas.compute.image_client.fetch`); it raises
    ``image_client.ImageFetchError`` on failure."""

    def __init__(self, base_dir, fetcher=image_client.fetch):
        self.base_dir = base_dir
        self.fetcher = fetcher
        self._locks = collections.defaultdict(threading.Lock)
        self._guard = threading.Lock()
        self.downloads = 0

    def path(self, image_id):
        return os.path.join(self.base_dir, image_id)

    def _lock(self, image_id):
        with self._guard:
            return self._locks[image_id]

    @contextlib.contextmanager
    def _file_lock(self, image_id):
        """Also serialise against another compute process on this host."""
        fd = os.open(os.path.join(self.base_dir, f'.{image_id}.lock'),
                     os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def ensure(self, image_id):
        """(path, qemu format) of the cached base of ``image_id``, fetched if needed."""
        if not image_id or '/' in image_id or image_id.startswith('.'):
            raise driver.DriverError(f'bad image id {image_id!r}')
        os.makedirs(self.base_dir, exist_ok=True)
        path = self.path(image_id)
        with self._lock(image_id), self._file_lock(image_id):
            fmt = self._cached_format(image_id)
            if fmt is None:
                fmt = self._download(image_id)
            os.utime(path)   # last used: the sweep keeps it
            return path, fmt

    def _cached_format(self, image_id):
        try:
            with open(self.path(image_id) + '.format') as f:
                fmt = f.read().strip()
        except FileNotFoundError:
            return None
        return fmt if os.path.exists(self.path(image_id)) else None

    def _download(self, image_id):
        path = self.path(image_id)
        part = f'{path}.download'
        with contextlib.suppress(FileNotFoundError):
            os.unlink(part)
        t0 = time.monotonic()
        try:
            image = self.fetcher(image_id, part)
        except image_client.ImageFetchError as exc:
            raise driver.DriverError(f'image {image_id} download failed: {exc}') from exc
        try:
            fmt = self._validate(image_id, part, image.get('disk_format'))
            if fmt in CONVERTED.values():
                conv = f'{path}.converting'
                qemu_img('convert', '-f', fmt, '-O', 'qcow2', part, conv)
                os.unlink(part)
                part, fmt = conv, 'qcow2'
            os.chmod(part, 0o644)
            os.replace(part, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(part)
            raise
        with open(path + '.format', 'w') as f:
            f.write(fmt)
        self.downloads += 1
        LOG.info('image %s cached as %s (%s) in %.1fs', image_id, path, fmt,
                 time.monotonic() - t0)
        return fmt

    def _validate(self, image_id, path, disk_format):
        """The qemu format of the downloaded file; ImageRefused if unsafe."""
        disk_format = disk_format or 'raw'
        if disk_format not in DIRECT and disk_format not in CONVERTED:
            raise ImageRefused(f'image {image_id}: disk_format {disk_format} cannot be '
                               f'booted')
        info = inspection.inspect_file(path)
        try:
            inspection.check(info, disk_format)
        except inspection.ImageFormatError as exc:
            raise ImageRefused(f'image {image_id} refused: {exc}') from exc
        fmt = DIRECT.get(disk_format) or CONVERTED[disk_format]
        if fmt == 'qcow2':
            # Second opinion from qemu itself, told the format.
            qi = qemu_img_info(path, 'qcow2')
            if qi.get('backing-filename') or qi.get('full-backing-filename'):
                raise ImageRefused(f'image {image_id} refused: qcow2 has a backing file')
            if (qi.get('format-specific') or {}).get('data', {}).get('data-file'):
                raise ImageRefused(f'image {image_id} refused: qcow2 has a data file')
        return fmt

    def create_overlay(self, base, base_fmt, dest, size_gb=0):
        """A qcow2 over ``base`` at ``dest``, grown to ``size_gb`` if larger."""
        args = ['create', '-f', 'qcow2', '-b', base, '-F', base_fmt, dest]
        vsize = qemu_img_info(base, base_fmt).get('virtual-size') or 0
        if size_gb and size_gb * (1 << 30) > vsize:
            args.append(str(size_gb * (1 << 30)))
        qemu_img(*args)

    # -- sweep ----------------------------------------------------------------
    def cached(self):
        try:
            names = os.listdir(self.base_dir)
        except FileNotFoundError:
            return []
        return sorted(n for n in names if not n.startswith('.') and '.' not in n)

    def sweep(self, in_use, max_age, now=None):
        """Remove bases not in ``in_use`` and unused for ``max_age`` s; returns their ids."""
        now = time.time() if now is None else now
        removed = []
        for image_id in self.cached():
            if image_id in in_use:
                continue
            path = self.path(image_id)
            with self._lock(image_id), self._file_lock(image_id):
                try:
                    age = now - os.stat(path).st_mtime
                except FileNotFoundError:
                    continue
                if age < max_age:
                    continue
                for p in (path, path + '.format'):
                    with contextlib.suppress(FileNotFoundError):
                        os.unlink(p)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(os.path.join(self.base_dir, f'.{image_id}.lock'))
            removed.append(image_id)
            LOG.info('removed unused cached image %s (idle %.0fs)', image_id, age)
        return removed
