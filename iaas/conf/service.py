"""[service] options: heartbeats and liveness."""
from oslo_config import cfg

service_group = cfg.OptGroup('service', title='Service liveness',
                             help='How daemons report that they are alive.')

service_opts = [
    cfg.IntOpt('report_interval', default=10, min=1,
               help='Seconds between two heartbeats a daemon writes to its '
                    'service row.'),
    cfg.IntOpt('service_down_time', default=60, min=1,
               help='A service whose last heartbeat is older than this many '
                    'seconds is shown "down" and gets no new work. Keep it '
                    'well above report_interval.'),
    cfg.IntOpt('graceful_shutdown_timeout', default=60, min=0,
               help='Seconds a daemon waits on SIGTERM for requests it is '
                    'running to finish; requests not yet started go back to '
                    'the bus for another worker.'),
]


def register_opts(conf):
    conf.register_group(service_group)
    conf.register_opts(service_opts, group=service_group)


def list_opts():
    return {service_group: service_opts}
