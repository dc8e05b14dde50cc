"""Volume backups kept in the object store (issue #15): ``engine`` chunks,
hashes, compresses and writes manifests; ``swift`` is the object store
client it writes through, ``memory`` an in-memory store for tests.

    engine = backup.from_conf(CONF)
    result = engine.backup(backup_id, volume_file, size, parent=previous_result)
    engine.restore(result['manifest'], target_file)
"""
from iaas.volume.backup import engine as _engine
from iaas.volume.backup import swift as _swift


def from_conf(conf, store=None):
    """A :class:`~iaas.volume.backup.engine.BackupEngine` configured by
    ``[backup]``, writing to ``store`` (default: the object store of
    ``[backup] swift_url`` or the service catalog, with ``[service_user]``)."""
    c = conf.backup
    return _engine.BackupEngine(
        store if store is not None else _swift.SwiftStore.from_conf(conf),
        chunk_size=c.chunk_size_kb * 1024, compression=c.compression,
        workers=c.workers, prefix=c.object_prefix, compression_level=c.compression_level,
        volume_sha256=c.volume_sha256)
