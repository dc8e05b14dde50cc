"""[image] options: iaas-image, the Glance-v2-compatible image service."""
from oslo_config import cfg

image_group = cfg.OptGroup('image', title='Image service options',
                           help='The image API (iaas-image), where image data is '
                                'kept, and how much of it a project may keep.')

# Every default disk_format is one whose data iaas.common.inspection can
# check (Glance's list less ploop, which nothing can inspect).
DISK_FORMATS = ['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso']
CONTAINER_FORMATS = ['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed']

image_opts = [
    cfg.HostAddressOpt('listen',
                       help='Address the image API listens on. Unset: the same as '
                            '[api] listen.'),
    cfg.PortOpt('port', default=9292, help='Port of the image API (Glance v2).'),
    cfg.IntOpt('threads', default=16, min=1,
               help='Request threads of the image API. Each upload or download '
                    'holds one thread for as long as it streams.'),
    cfg.StrOpt('default_store', default='file',
               help='Store that receives new image data: "file" (a directory '
                    'on this host, see filesystem_store_datadir), "objectstore" '
                    '(a Swift-compatible object store, e.g. iaas-objectstore; '
                    'large images become segmented objects) or "s3" (any S3 '
                    'endpoint). Every image records the store and location of '
                    'its data, so changing this later does not lose existing '
                    'images: they stay readable where they are as long as the '
                    'old store stays configured.'),
    cfg.StrOpt('filesystem_store_datadir', default='$state_path/images',
               help='Directory of the "file" store. Image data is written to a '
                    'temporary file beside its final name and renamed into '
                    'place once complete and verified.'),
    cfg.BoolOpt('filesystem_store_fsync', default=True,
                help='fsync image files before they are renamed into place, so '
                     'an active image survives a power loss.'),
    cfg.BoolOpt('filesystem_store_direct_io', default=True,
                help='Write image files with O_DIRECT where the filesystem '
                     'supports it: less CPU per uploaded byte and no flood of '
                     'the page cache. Falls back to buffered writes by itself '
                     '(tmpfs, …).'),
    cfg.StrOpt('s3_store_endpoint',
               help='Endpoint URL of the S3 store, e.g. http://127.0.0.1:8080. '
                    'Unset: AWS.'),
    cfg.StrOpt('s3_store_region', default='us-east-1', help='Region of the S3 store.'),
    cfg.StrOpt('s3_store_access_key', help='Access key of the S3 store.'),
    cfg.StrOpt('s3_store_secret_key', secret=True, help='Secret key of the S3 store.'),
    cfg.StrOpt('s3_store_bucket', default='images',
               help='Bucket holding image data; created when missing.'),
    cfg.IntOpt('s3_store_part_size_mb', default=16, min=5,
               help='Images larger than this are uploaded as S3 multipart '
                    'uploads with parts of this size (MiB).'),
    cfg.StrOpt('objectstore_auth_url',
               help='Swift v1 auth URL of the object store, e.g. '
                    'http://127.0.0.1:8080/auth/v1.0. Used with '
                    'objectstore_user and objectstore_key; alternatively set '
                    'objectstore_storage_url and objectstore_token.'),
    cfg.StrOpt('objectstore_user', help='Swift v1 user ("account:user").'),
    cfg.StrOpt('objectstore_key', secret=True, help='Swift v1 key.'),
    cfg.StrOpt('objectstore_storage_url',
               help='Storage URL (…/v1/AUTH_account) to use with a fixed token '
                    'instead of v1 auth.'),
    cfg.StrOpt('objectstore_token', secret=True,
               help='Fixed token for objectstore_storage_url.'),
    cfg.StrOpt('objectstore_container', default='images',
               help='Container of the image objects; created when missing.'),
    cfg.IntOpt('objectstore_segment_size_mb', default=200, min=1,
               help='Images larger than this are stored as segments of this '
                    'size (MiB) in "<container>_segments" plus a static large '
                    'object manifest.'),
    cfg.IntOpt('user_storage_quota', default=0, min=0,
               help='Bytes of image data one project may keep, counting every '
                    'image that is not deleted and uploads in progress. 0: no '
                    'limit. An upload that would exceed it gets 413.'),
    cfg.IntOpt('upload_stale_timeout', default=600, min=1,
               help='An image still "saving" with no upload progress for this '
                    'many seconds (its iaas-image died mid-upload) goes back to '
                    '"queued"; uploads report progress every 30 s. Also the age '
                    'after which leftover temporary files of the file store are '
                    'removed.'),
    cfg.IntOpt('janitor_interval', default=120, min=1,
               help='Seconds between runs of the iaas-image janitor (stale '
                    'uploads, retried deletes of stored data, leftovers). It also '
                    'runs once when the daemon starts.'),
    cfg.IntOpt('image_size_cap', default=1 << 40, min=1,
               help='Largest image, in bytes, that may be uploaded.'),
    cfg.IntOpt('limit_param_default', default=25, min=1,
               help='Page size of image lists when the client gives no limit.'),
    cfg.IntOpt('api_limit_max', default=1000, min=1,
               help='Largest page size an image list returns.'),
    cfg.ListOpt('disk_formats', default=DISK_FORMATS,
                help='disk_format values images may declare. Data is accepted '
                     'only for formats the format inspector can check (ami, ari, '
                     'aki, raw, qcow2, vmdk, vhd, vhdx, vdi, iso): an upload of '
                     'any other declared format (e.g. ploop) is refused.'),
    cfg.ListOpt('container_formats', default=CONTAINER_FORMATS,
                help='container_format values images may declare.'),
    cfg.BoolOpt('require_image_format_match', default=True,
                help='Refuse uploaded data whose real format (as oslo.utils\' '
                     'format inspector finds it) differs from the declared '
                     'disk_format. Unsafe data (a qcow2 with a backing file or an '
                     'external data file, a vmdk naming other extents, …) and '
                     'formats that cannot be inspected are refused either way.'),
]


def register_opts(conf):
    conf.register_group(image_group)
    conf.register_opts(image_opts, group=image_group)


def list_opts():
    return {image_group: image_opts}
