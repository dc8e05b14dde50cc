"""[metrics] options: Prometheus metrics and the load balancers' health check."""
from oslo_config import cfg

metrics_group = cfg.OptGroup(
    'metrics', title='Metrics and health check',
    help='Every HTTP port of every daemon (the APIs, the image API, the object store, '
         'the dashboard) serves GET /metrics (Prometheus text format) and GET '
         '/healthcheck (for load balancers). /metrics tells much about the cloud, so '
         'only clients from allowed_networks get it; anyone else gets 404, as for an '
         'unknown path. Daemons without an HTTP port (scheduler, conductor, compute, '
         'network, volume, billing) serve /metrics on a port of their own when port '
         'or daemon_ports says so. See docs/operators/monitoring.md.')

metrics_opts = [
    cfg.ListOpt('allowed_networks', default=['127.0.0.0/8', '::1/128'],
                help='Networks (CIDR, or single addresses) whose clients may read '
                     '/metrics and the detailed /healthcheck. The source address is the '
                     'TCP peer\'s: a proxy in front of the API must be in the list for '
                     'its clients to pass, and then all of them pass. Empty: nobody '
                     '(the detailed health check then needs an admin token).'),
    cfg.HostAddressOpt('listen', default='127.0.0.1',
                       help='Address the metrics port of a daemon without an HTTP port '
                            'listens on (see port and daemon_ports).'),
    cfg.PortOpt('port', default=0,
                help='Port on which a daemon without an HTTP port (iaas-scheduler, '
                     'iaas-conductor, iaas-compute, iaas-network, iaas-volume, '
                     'iaas-billing) serves /metrics. 0: none. Daemons sharing a host '
                     'and a configuration file need different ports: use '
                     'daemon_ports. iaas-all and the HTTP daemons serve /metrics on '
                     'their HTTP ports and ignore this.'),
    cfg.DictOpt('daemon_ports', default={},
                help='Per-daemon metrics ports, overriding port, e.g. '
                     '"iaas-scheduler:9110,iaas-compute:9111,iaas-network:9112".'),
    cfg.FloatOpt('healthcheck_cache_time', default=1.5, min=0,
                 help='Seconds a /healthcheck result is reused: load balancers probing '
                      'every API port every second cost the database one query per '
                      'interval, not one per probe.'),
    cfg.FloatOpt('healthcheck_timeout', default=3.0, min=0.1,
                 help='Seconds the bus check of /healthcheck waits for the broker '
                      'before reporting it down.'),
    cfg.StrOpt('healthcheck_disable_path',
               help='While this file exists, /healthcheck answers 503 "DISABLED BY FILE": '
                    'an operator takes one API node out of a load balancer\'s rotation '
                    '(touch the file), lets connections drain, and puts it back (remove '
                    'it). Unset: no such switch.'),
    cfg.IntOpt('healthcheck_min_free_disk_mb', default=64, min=0,
               help='/healthcheck reports DOWN when a state directory (state_path, '
                    'log_dir and healthcheck_paths) has less free space than this, in '
                    'MiB. 0: free space is reported but never fails the check.'),
    cfg.ListOpt('healthcheck_paths', default=[],
                help='More directories whose free space /healthcheck checks (image '
                     'store, object devices, instance disks).'),
]


def register_opts(conf):
    conf.register_group(metrics_group)
    conf.register_opts(metrics_opts, group=metrics_group)


def list_opts():
    return {metrics_group: metrics_opts}
