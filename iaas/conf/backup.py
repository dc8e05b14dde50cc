"""[backup] options: volume backups kept in the object store (iaas/volume/backup)."""
from oslo_config import cfg

backup_group = cfg.OptGroup(
    'backup', title='Volume backup options',
    help='Where and how iaas-volume keeps volume backups: chunked, hashed and '
         'compressed objects in a Swift-compatible object store (iaas-objectstore '
         'or OpenStack Swift), one manifest object per backup. A backup lives only '
         'in the object store, so it survives the loss of the volume backend.')

backup_opts = [
    cfg.StrOpt('container', default='volumebackups',
               help='Container holding the backup objects (created when missing), in '
                    'the account of the [service_user] project.'),
    cfg.StrOpt('object_prefix', default='backup',
               help='Objects of backup B are named "<object_prefix>/<B>/chunk-<n>" '
                    'and "<object_prefix>/<B>/manifest".'),
    cfg.StrOpt('swift_url',
               help='Storage URL of the object store account (…/v1/AUTH_<project>). '
                    'Unset: the "object-store" endpoint of the [service_user] '
                    "token's catalog. The [service_user] token is sent either way."),
    cfg.IntOpt('chunk_size_kb', default=4096, min=64, max=1024 * 1024,
               help='Volumes are cut into chunks of this size (KiB); each chunk is '
                    'hashed (SHA-256), compressed and stored as one object unless it '
                    'is all zeros (sparse volumes cost nothing for their holes). An '
                    'incremental backup stores only the chunks whose hash differs '
                    'from its parent; it keeps the chunk size of its parent, so '
                    'changing this affects new full backups only.'),
    cfg.StrOpt('compression', default='zlib', choices=['none', 'zlib', 'zstd', 'lz4'],
               help='Compression of the chunks. zstd and lz4 need the zstandard / '
                    'lz4 Python packages. A chunk that does not compress (a sample '
                    'of it is tried first) is stored as it is.'),
    cfg.IntOpt('compression_level', default=1, min=1, max=19,
               help='Compression level (zlib 1-9, zstd 1-19; lz4 ignores it). Level 1 '
                    'is several times faster than 6 and compresses typical disk '
                    'contents almost as well.'),
    cfg.BoolOpt('volume_sha256', default=False,
                help='Also record the SHA-256 of the whole volume with each backup '
                     '(to compare with sha256sum of the volume). It is a second '
                     'SHA-256 pass over every byte besides the per-chunk hashes '
                     '(which restores check and incremental backups rely on either '
                     "way): about a third of a backup's CPU time, and a full "
                     'backup CPU-bound on SHA-256 and compression runs that much '
                     "slower. Off: the backup's sha256 is empty."),
    cfg.IntOpt('workers', default=4, min=1, max=64,
               help='Threads that hash, compress and upload (or download, verify '
                    'and write) chunks while the volume is read (or written); at '
                    'most twice this many chunks are in memory at once.'),
    cfg.IntOpt('retries', default=5, min=0,
               help='Retries of an object store request that failed with a 5xx '
                    'status, a connection error or a timeout (exponential backoff).'),
    cfg.FloatOpt('retry_backoff', default=0.5, min=0,
                 help='First retry delay (seconds); doubled for every further retry.'),
    cfg.IntOpt('timeout', default=120, min=1,
               help='Timeout (seconds) of one object store request.'),
]


def register_opts(conf):
    conf.register_group(backup_group)
    conf.register_opts(backup_opts, group=backup_group)


def list_opts():
    return {backup_group: backup_opts}
