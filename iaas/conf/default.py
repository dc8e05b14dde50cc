"""[DEFAULT] options shared by every daemon."""
import socket

from oslo_config import cfg

default_opts = [
    cfg.StrOpt('host', default=socket.gethostname(), sample_default='<hostname>',
               help='Name of this host as the cloud knows it. It names the '
                    'host-specific RPC topics (compute.<host>) and the service '
                    'rows; it need not be a DNS name, but it must be unique '
                    'among the hosts that share a database.'),
    cfg.HostAddressOpt('my_ip', default='127.0.0.1',
                       help='Address other hosts reach this host at: volume '
                            'hosts export volumes to it (iSCSI ACLs, NBD), '
                            'compute hosts connect to the exports of a volume '
                            'host at it.'),
    cfg.StrOpt('state_path', default='/var/lib/iaas',
               help='Top directory for all state this host keeps: the embedded '
                    'SQLite database, the filesystem broker, images, instance '
                    'disks, object devices and logs unless configured '
                    'elsewhere.'),
    cfg.StrOpt('transport_url', default='filesystem://',
               help='Message bus URL, in kombu form. '
                    '"pyamqp://USER:PASS@HOST:5672//" for RabbitMQ (production), '
                    '"filesystem://" for the embedded bus (several processes on '
                    'one machine; folders under $state_path/bus), "memory://" '
                    'for one process (tests).'),
    cfg.StrOpt('control_exchange', default='iaas',
               help='Name of the topic exchange all RPC messages go through.'),
    cfg.IntOpt('rpc_response_timeout', default=60, min=1,
               help='Default deadline in seconds of an RPC call that declares '
                    'none of its own.'),
    cfg.IntOpt('rpc_workers', default=4, min=1,
               help='Threads per RPC server that run incoming requests. '
                    'Requests on one topic are taken in order but may finish '
                    'out of order.'),
    cfg.StrOpt('log_dir',
               help='Directory for log files. Unset: log to stderr.'),
    cfg.BoolOpt('debug', default=False, help='Log at DEBUG level.'),
    cfg.StrOpt('log_format', default='text', choices=['text', 'json'],
               help='"text": one line per record (time, pid, level, logger, thread, '
                    '[request id], message). "json": one JSON object per line with '
                    'time, level, logger, message, request_id, host, binary, pid, '
                    'thread and exception (a traceback) for log collectors.'),
    cfg.IntOpt('shelved_offload_time', default=0, min=-1,
               help='Seconds a shelved server keeps its guest (powered off) and its '
                    'resources on its compute host before the host offloads it: '
                    'destroys the guest, frees the host\'s vCPUs, RAM and disk for '
                    'others, and the server becomes SHELVED_OFFLOADED (its ports, '
                    'addresses and volumes stay; an unshelve schedules it again). '
                    '0: offload at once (Nova\'s default); -1: never offload '
                    'by time (an explicit shelveOffload still does). Read by '
                    'iaas-compute (its periodic offload) and iaas-api (offload at '
                    'once). A volume-backed server is always offloaded at once.'),
    cfg.IntOpt('shelved_poll_interval', default=3600, min=1,
               help='Seconds between two scans by iaas-compute for shelved servers '
                    'past shelved_offload_time (when it is above 0).'),
]


def register_opts(conf):
    conf.register_opts(default_opts)


def list_opts():
    return {'DEFAULT': default_opts}
