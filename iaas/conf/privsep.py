"""[privsep] options: how iaas-network and iaas-compute reach the few
privileged operations of iaas.privileged (oslo.privsep)."""
from oslo_config import cfg

privsep_group = cfg.OptGroup(
    'privsep', title='Privileged operations',
    help='iaas-network and iaas-compute run as an unprivileged user; every operation '
         'that needs root (iptables, ipset, ip, sysctl, conntrack, dnsmasq, netlink in '
         'the network namespace, instance files owned by the hypervisor) goes through '
         'the entry points of iaas.privileged, each checking its arguments against an '
         'allow-list. They run either in the daemon\'s own process or in an '
         'oslo.privsep daemon that keeps only the capabilities each context needs.')

privsep_opts = [
    cfg.StrOpt('mode', default='auto', choices=[
        ('auto', 'inline when the daemon runs as root (a developer\'s iaas-all, the '
                 'tests), else daemon'),
        ('inline', 'run privileged entry points in this process (needs root or the '
                   'capabilities below)'),
        ('daemon', 'run them in an oslo.privsep daemon started with helper_command')],
        help='Where the privileged entry points run. The allow-list checks are the '
             'same in every mode; only "daemon" separates the privileges from the '
             'service process, which is what a production host (User=iaas in the '
             'systemd units) uses.'),
    cfg.StrOpt('helper_command', default=None,
               help='Command that starts the privsep daemon as root, followed by '
                    '--privsep_context and --privsep_sock_path. Default: "sudo '
                    'iaas-privsep-helper --config-file <each config file of this '
                    'service>" with the iaas-privsep-helper beside the running Python; '
                    'etc/sudoers.d/iaas allows exactly that command for the iaas user.'),
    cfg.StrOpt('root_helper', default='sudo',
               help='Prefix of the default helper_command (ignored when '
                    'helper_command is set).'),
    cfg.IntOpt('thread_pool_size', default=4, min=1,
               help='Threads of each privsep daemon serving calls concurrently.'),
]


def register_opts(conf):
    conf.register_group(privsep_group)
    conf.register_opts(privsep_opts, group=privsep_group)


def list_opts():
    return {privsep_group: privsep_opts}
