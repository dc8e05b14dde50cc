"""[objectstore] options: the Swift/S3-compatible object store."""
from oslo_config import cfg

objectstore_opts = [
    cfg.StrOpt('bind_ip', default='127.0.0.1',
               help='Address the proxy (Swift and S3 API) listens on.'),
    cfg.PortOpt('port', default=8080,
                help='Port of the proxy: the Swift API under /v1, the v1.0 auth '
                     'endpoint /auth/v1.0, /info, and the S3 API on every other '
                     'path.'),
    cfg.StrOpt('storage_ip', default='127.0.0.1',
               help='Address the storage server (object, container and account '
                    'listings of the local devices) listens on; it must match '
                    'the ip of this node\'s devices in the ring.'),
    cfg.PortOpt('storage_port', default=6200,
                help='Port of the storage server; must match the port of this '
                     'node\'s devices in the ring.'),
    cfg.StrOpt('devices', default='$state_path/objectstore/devices',
               help='Directory holding one sub-directory per device (disk) of '
                    'this node, named like the device in the ring.'),
    cfg.StrOpt('ring_path', default='$state_path/objectstore/object.ring.json',
               help='The ring file (built with "iaas-objectstore ring"). Every '
                    'proxy and storage node needs the same file; it is reloaded '
                    'when it changes on disk.'),
    cfg.IntOpt('default_part_power', default=10, min=1, max=24,
               help='Partition power of the ring created on first start when no '
                    'ring file exists (2^N partitions).'),
    cfg.IntOpt('default_replicas', default=3, min=1, max=6,
               help='Replica count of the ring created on first start.'),
    cfg.IntOpt('default_devices', default=3, min=1, max=12,
               help='How many devices (directories under "devices", one zone '
                    'each) the ring created on first start has.'),
    cfg.BoolOpt('create_ring', default=True,
                help='Create a single-node ring on first start when none exists.'),
    cfg.ListOpt('roles', default=['proxy', 'storage', 'replicator', 'auditor', 'expirer'],
                help='What the iaas-objectstore daemon runs on this node: '
                     'proxy, storage (object/container/account server), and '
                     'the background loops replicator, auditor, expirer.'),
    cfg.IntOpt('workers', default=32, min=1,
               help='Threads of each HTTP server (proxy and storage).'),
    cfg.FloatOpt('node_timeout', default=10.0,
                 help='Seconds the proxy waits on a storage node before it '
                      'counts it as failed and tries a handoff.'),
    cfg.FloatOpt('conn_timeout', default=0.5,
                 help='Seconds to connect to a storage node.'),
    cfg.FloatOpt('error_suppression_interval', default=10.0,
                 help='Seconds a node that failed is skipped by the proxy.'),
    cfg.IntOpt('max_file_size', default=5 * 1024 ** 3, min=1,
               help='Largest single object (or segment) in bytes; bigger '
                    'uploads get 413. Larger data goes in large objects.'),
    cfg.IntOpt('container_listing_limit', default=10000, min=1,
               help='Most entries a listing returns per request.'),
    cfg.StrOpt('hash_path_prefix', default='', secret=True,
               help='Secret mixed into the hash that places objects; must be '
                    'the same on every node and never change.'),
    cfg.StrOpt('hash_path_suffix', default='iaas', secret=True,
               help='Second secret of the placement hash (see hash_path_prefix).'),
    cfg.BoolOpt('fsync', default=True,
                help='fsync object data before it is acknowledged.'),
    cfg.BoolOpt('direct_io', default=True,
                help='Write uploads of 4 MiB or more past the page cache (O_DIRECT, '
                     'where the file system allows it; with fsync only): less CPU '
                     'per byte written, but a GET right after the upload reads '
                     'the disk instead of the cache.'),
    cfg.ListOpt('tempauth_users', default=[],
                help='v1.0 auth users, each "account:user:key[:role...]"; the '
                     'role .admin may use the whole account, .reseller_admin '
                     'every account. The same pairs are S3 credentials: access '
                     'key "account:user", secret = key.'),
    cfg.StrOpt('auth_secret', secret=True,
               help='Key that signs v1.0 tokens; unset: generated once and kept '
                    'beside the ring file.'),
    cfg.IntOpt('token_life', default=86400, min=60,
               help='Seconds a v1.0 token is valid.'),
    cfg.StrOpt('reseller_prefix', default='AUTH_',
               help='Prefix of account names (AUTH_<project_id> for identity '
                    'tokens).'),
    cfg.BoolOpt('use_identity', default=True,
                help='Accept identity tokens and EC2 credentials of the identity '
                     'service (it needs the identity database). Turn off for a '
                     'standalone object store with tempauth users only: then no '
                     'request ever touches the identity database.'),
    cfg.ListOpt('operator_roles', default=['admin', 'ResellerAdmin'],
                help='Identity roles allowed on any account.'),
    cfg.StrOpt('s3_region', default='us-east-1',
               help='Region S3 signatures are checked against and location '
                    'answers.'),
    cfg.FloatOpt('replicator_interval', default=30.0,
                 help='Seconds between replication passes of the daemon.'),
    cfg.FloatOpt('auditor_interval', default=300.0,
                 help='Seconds between audit passes of the daemon.'),
    cfg.FloatOpt('expirer_interval', default=30.0,
                 help='Seconds between expirer passes of the daemon.'),
    cfg.IntOpt('auditor_bytes_per_second', default=50 * 1024 ** 2, min=1,
               help='Read rate limit of the auditor per device.'),
]


def register_opts(conf):
    conf.register_opts(objectstore_opts, group='objectstore')


def list_opts():
    return {'objectstore': objectstore_opts}
