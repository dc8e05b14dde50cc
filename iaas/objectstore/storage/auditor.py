"""The auditor: reads every object on this node's devices and quarantines
any whose bytes no longer match the checksum stored with them (or whose
metadata cannot be read); the replicator then restores a good copy."""
import hashlib
import logging
import os
import time

from iaas.objectstore.storage import diskfile

LOG = logging.getLogger(__name__)


def audit_once(devices, rate=50 * 1024 ** 2):
    stats = {'checked': 0, 'quarantined': 0, 'bytes': 0}
    started = time.monotonic()
    for dev in sorted(_listdir(devices)):
        dpath = os.path.join(devices, dev)
        for _part, h, hdir in diskfile.iter_object_dirs(dpath):
            files = diskfile.cleanup_dir(hdir)
            data = next((f for f in files if f.endswith('.data')), None)
            if data is None:
                continue
            stats['checked'] += 1
            if not _good(os.path.join(hdir, data), stats):
                diskfile.DiskFile(dpath, _part, h).quarantine()
                stats['quarantined'] += 1
                LOG.warning('quarantined corrupt object %s on %s', h, dev)
            # rate limit: never read faster than ``rate`` bytes per second
            ahead = stats['bytes'] / rate - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
    LOG.info('audit pass: %s', stats)
    return stats


def _good(path, stats):
    try:
        with open(path, 'rb') as f:
            meta, length = diskfile.read_trailer(f, os.fstat(f.fileno()).st_size)
            f.seek(0)
            md5, left = hashlib.md5(), length
            while left > 0:
                chunk = f.read(min(1 << 20, left))
                if not chunk:
                    return False
                md5.update(chunk)
                left -= len(chunk)
                stats['bytes'] += len(chunk)
    except diskfile.Corrupt:
        return False
    except FileNotFoundError:
        return True
    return md5.hexdigest() == meta.get('ETag')


def _listdir(path):
    try:
        return os.listdir(path)
    except FileNotFoundError:
        return []
