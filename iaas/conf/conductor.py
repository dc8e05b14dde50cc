"""[conductor] options: how hypervisor and network hosts prove to
iaas-conductor which host (and which role) sends each call."""
from oslo_config import cfg

conductor_group = cfg.OptGroup(
    'conductor', title='Conductor options',
    help='iaas-conductor serves the database to hypervisor (iaas-compute) and '
         'network (iaas-network) hosts. Each call a host sends is signed with '
         'that host\'s key for its role; the conductor derives every host key '
         'from its master key, checks the signature, and lets a host touch '
         'only its own instances, service rows and compute node (network hosts: '
         'ports and leases). A host key is made on a conductor host with '
         '"iaas-manage conductor host-key HOST ROLE".')

conductor_opts = [
    cfg.StrOpt('master_key_file', default='$state_path/conductor/master.key',
               help='On conductor hosts: the secret every host key is derived '
                    'from (created, mode 0600, on the conductor\'s first start). '
                    'Every conductor of a cloud needs the same file. A host '
                    'that can read it (iaas-all, or a compute daemon on a '
                    'conductor host) derives its own keys from it.'),
    cfg.StrOpt('compute_key', secret=True, default='',
               help='On hypervisor hosts: this host\'s key as an iaas-compute '
                    '("iaas-manage conductor host-key HOST compute" on a '
                    'conductor host). Empty: derived from master_key_file, '
                    'which must then be readable here.'),
    cfg.StrOpt('network_key', secret=True, default='',
               help='On network hosts: this host\'s key as an iaas-network '
                    '("iaas-manage conductor host-key HOST network").'),
    cfg.StrOpt('volume_key', secret=True, default='',
               help='On volume hosts: this host\'s key as an iaas-volume '
                    '("iaas-manage conductor host-key HOST volume").'),
    cfg.IntOpt('max_message_age', default=300, min=10,
               help='Seconds a signed call stays acceptable after it was sent '
                    '(bounds the replay of a captured message; host clocks '
                    'must agree within it).'),
]


def register_opts(conf):
    conf.register_group(conductor_group)
    conf.register_opts(conductor_opts, group=conductor_group)


def list_opts():
    return {conductor_group: conductor_opts}
