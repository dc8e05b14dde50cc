"""[api] options: the HTTP front of iaas-api."""
from oslo_config import cfg

api_group = cfg.OptGroup('api', title='API server options',
                         help='Addresses, ports and limits of the REST APIs '
                              'served by iaas-api.')

api_opts = [
    cfg.HostAddressOpt('listen', default='0.0.0.0',
                       help='Address every API of this process listens on.'),
    cfg.StrOpt('public_host', default='127.0.0.1',
               help='Host name or address clients use to reach the APIs; it '
                    'goes into the service catalog and version documents.'),
    cfg.PortOpt('identity_port', default=5000, help='Keystone-v3-compatible identity API.'),
    cfg.PortOpt('compute_port', default=8774, help='Compute API v2.1.'),
    cfg.PortOpt('ec2_port', default=8773, help='EC2 Query API.'),
    cfg.PortOpt('volume_port', default=8776, help='Block storage API.'),
    cfg.PortOpt('network_port', default=9696, help='Neutron-v2.0-compatible network API.'),
    cfg.PortOpt('metadata_port', default=8775, help='Instance metadata server.'),
    cfg.IntOpt('threads', default=16, min=1,
               help='Request threads per listening port.'),
    cfg.IntOpt('max_request_body_size', default=1 << 20, min=1024,
               help='Largest JSON/XML request body, in bytes, the APIs '
                    'accept; larger bodies get 413. (Image and object uploads '
                    'stream and are limited by their own quotas.)'),
    cfg.FloatOpt('user_write_rate', default=20.0, min=0,
                 help='Writes (POST, PUT, PATCH, DELETE) per second one user '
                      'may make to the APIs of one process, on average; more '
                      'get 429 with Retry-After. 0 turns the limit off.'),
    cfg.IntOpt('user_write_burst', default=200, min=1,
               help='Writes one user may make at once before '
                    '[api] user_write_rate applies (the bucket size).'),
]


def register_opts(conf):
    conf.register_group(api_group)
    conf.register_opts(api_opts, group=api_group)


def list_opts():
    return {api_group: api_opts}
