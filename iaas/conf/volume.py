"""[volume] options: the block-storage service (API, scheduler, iaas-volume)."""
from oslo_config import cfg

volume_group = cfg.OptGroup('volume', title='Block storage options',
                            help='The volume service: its backends on this host, '
                                 'limits of the API and timeouts.')

volume_opts = [
    cfg.ListOpt('enabled_backends', default=['file'],
                help='Backends this iaas-volume serves, by name. Each backend has its '
                     'own section [backend_<name>] with at least "volume_driver" (a '
                     'short name: fake, file, iscsi, nbd, lvm, rbd) and the driver\'s '
                     'options; a backend without a section uses the driver named like '
                     'the backend.'),
    cfg.StrOpt('default_volume_type', default='__DEFAULT__',
               help='Volume type of volumes created without one (made at first start).'),
    cfg.IntOpt('max_volume_size', default=16384, min=1,
               help='Largest volume in GiB that any request may ask for, whatever '
                    'the quota (bounds the work of a single request).'),
    cfg.IntOpt('action_timeout', default=900, min=1,
               help='Seconds a volume, snapshot or backup may stay in a transitional '
                    'status (creating, extending, deleting, backing-up…) before the '
                    'reaper ends the operation with its failure outcome.'),
    cfg.IntOpt('message_ttl', default=2592000, min=1,
               help='Seconds a user message (GET /v3/{project_id}/messages: why a '
                    'volume, snapshot or backup ended in error) is kept; the reaper '
                    'deletes older ones (Cinder\'s message_ttl, 30 days).'),
    cfg.IntOpt('capacity_report_interval', default=30, min=1,
               help='Seconds between two reports of each backend\'s capacity.'),
    cfg.StrOpt('volume_host', default='$host',
               help='Host name of this iaas-volume (its backends are "host@backend").'),
    cfg.IntOpt('max_metadata_items', default=128, min=0,
               help='Metadata items per volume or snapshot.'),
    cfg.StrOpt('image_conversion_dir', default='$state_path/conversion',
               help='Where images are downloaded before conversion into a volume.'),
    cfg.IntOpt('transfer_expiry', default=0, min=0,
               help='Seconds a volume transfer (an offer of a volume to another '
                    'project) may wait to be accepted; 0: forever, as Cinder\'s '
                    'transfers. An expired offer is no longer shown nor accepted '
                    '(404) and ends like a deleted one: its volume is available '
                    'again in its own project.'),
]

backend_opts = [
    cfg.StrOpt('volume_driver', help='Driver short name of this backend.'),
    cfg.StrOpt('availability_zone', help='Availability zone of this backend '
                                         '(default: [compute] default_availability_zone).'),
    cfg.FloatOpt('max_over_subscription_ratio', default=20.0, min=1.0,
                 help='For thin backends: provisioned GiB may reach this many times '
                      'the total.'),
    cfg.IntOpt('reserved_percentage', default=0, min=0, max=100,
               help='Percent of the backend kept free.'),
]


# The section of the default backend ("file"), as the sample shows it; any
# other backend's section takes the same options (and its driver's).
SAMPLE_BACKEND = 'backend_file'


def register_opts(conf):
    conf.register_group(volume_group)
    conf.register_opts(volume_opts, group=volume_group)
    conf.register_opts(backend_opts, group=SAMPLE_BACKEND)


def register_backend(conf, name, driver_options=()):
    """Register the section [backend_<name>] (common options + the driver's);
    returns the group's view."""
    group = f'backend_{name}'
    conf.register_opts(backend_opts, group=group)
    conf.register_opts(list(driver_options), group=group)
    return getattr(conf, group)


def list_opts():
    return {volume_group: volume_opts, SAMPLE_BACKEND: backend_opts}
