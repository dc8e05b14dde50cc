"""[quota] options: default per-project limits of compute and block-storage resources."""
from oslo_config import cfg

quota_group = cfg.OptGroup('quota', title='Quota options',
                           help='Default limits of each project; an admin overrides '
                                'them per project through the quota-sets API. -1 means '
                                'unlimited.')

quota_opts = [
    cfg.IntOpt('instances', default=10, min=-1, help='Servers per project.'),
    cfg.IntOpt('cores', default=20, min=-1, help='vCPUs per project.'),
    cfg.IntOpt('ram', default=51200, min=-1, help='MiB of RAM per project.'),
    cfg.IntOpt('key_pairs', default=100, min=-1, help='Key pairs per user.'),
    cfg.IntOpt('metadata_items', default=128, min=-1, help='Metadata items per server.'),
    cfg.IntOpt('server_groups', default=10, min=-1, help='Server groups per project.'),
    cfg.IntOpt('server_group_members', default=10, min=-1,
               help='Servers per server group.'),
    cfg.IntOpt('injected_files', default=5, min=-1, help='Injected files per server.'),
    cfg.IntOpt('injected_file_content_bytes', default=10240, min=-1,
               help='Bytes per injected file.'),
    cfg.IntOpt('injected_file_path_bytes', default=255, min=-1,
               help='Bytes per injected file path.'),
    cfg.IntOpt('volumes', default=10, min=-1, help='Volumes per project.'),
    cfg.IntOpt('snapshots', default=10, min=-1, help='Volume snapshots per project.'),
    cfg.IntOpt('gigabytes', default=1000, min=-1,
               help='GiB of volumes and snapshots per project.'),
    cfg.IntOpt('backups', default=10, min=-1, help='Volume backups per project.'),
    cfg.IntOpt('backup_gigabytes', default=1000, min=-1,
               help='GiB of volume backups per project.'),
    cfg.IntOpt('groups', default=10, min=-1, help='Generic volume groups per project.'),
    cfg.IntOpt('per_volume_gigabytes', default=-1, min=-1,
               help='Largest size of one volume in GiB.'),
]


def register_opts(conf):
    conf.register_group(quota_group)
    conf.register_opts(quota_opts, group=quota_group)


def list_opts():
    return {quota_group: quota_opts}
