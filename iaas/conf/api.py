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
    cfg.PortOpt('rating_port', default=8889,
                help='Rating API: usage, prices, invoices and budgets (CloudKitty\'s port).'),
    cfg.PortOpt('volume_port', default=8776, help='Block storage API.'),
    cfg.PortOpt('network_port', default=9696, help='Neutron-v2.0-compatible network API.'),
    cfg.PortOpt('metadata_port', default=8775, help='Instance metadata server.'),
    cfg.IntOpt('threads', default=16, min=1,
               help='Request threads per listening port.'),
    cfg.IntOpt('max_request_body_size', default=114688, min=1024,
               help='Largest JSON/XML request body, in bytes, the APIs '
                    'accept; larger bodies get 413 (112 KiB: the default of '
                    'OpenStack\'s oslo.middleware sizelimit). (Image and object uploads '
                    'stream and are limited by their own quotas.) The HTTP '
                    'server reads bodies up to this size completely before a '
                    'request thread sees the request.'),
    cfg.FloatOpt('header_timeout', default=10.0, min=0.1,
                 help='Seconds a client has to send a complete request head '
                      '(request line and headers), counted from the connection '
                      'or, on a kept-alive connection, from the first byte. '
                      'Slower clients get 408 and are disconnected. Heads are '
                      'read without occupying a request thread.'),
    cfg.FloatOpt('keepalive_timeout', default=60.0, min=0.1,
                 help='Seconds an idle kept-alive connection stays open between '
                      'requests.'),
    cfg.FloatOpt('client_timeout', default=60.0, min=0.1,
                 help='Longest single wait for a client while reading its request '
                      'body or sending it a response.'),
    cfg.IntOpt('min_transfer_rate', default=1024, min=0,
               help='Bytes per second a client must at least send (request body) '
                    'or take (response), measured over every transfer_rate_window '
                    'seconds spent waiting on it; slower clients are '
                    'disconnected. 0: only client_timeout applies.'),
    cfg.FloatOpt('transfer_rate_window', default=10.0, min=0.1,
                 help='Window, in seconds, over which min_transfer_rate is measured.'),
    cfg.IntOpt('max_header_size', default=65536, min=1024,
               help='Largest request head (request line + header fields) in bytes; '
                    'larger heads get 431 (a request line over 16 KiB: 414).'),
    cfg.IntOpt('max_connections', default=2048, min=0,
               help='Open connections per listening port; further connections '
                    'get 503 and are closed. 0: no limit.'),
    cfg.IntOpt('max_connections_per_source', default=128, min=0,
               help='Open connections per listening port from one client '
                    'address; further ones get 429 and are closed. Behind a load '
                    'balancer or proxy every client has its address: raise this '
                    'or set 0 (no limit).'),
    cfg.FloatOpt('shutdown_timeout', default=15.0, min=0,
                 help='On SIGTERM, seconds in-flight requests may still run before '
                      'their connections are closed.'),
    cfg.FloatOpt('user_write_rate', default=10.0, min=0,
                 help='Writes (POST, PUT, PATCH, DELETE) per second one user '
                      'may make to the APIs of one process, on average; more '
                      'get 429 with Retry-After. 0 turns the limit off.'),
    cfg.IntOpt('user_write_burst', default=50, min=1,
               help='Writes one user may make at once before '
                    '[api] user_write_rate applies (the bucket size).'),
]


def register_opts(conf):
    conf.register_group(api_group)
    conf.register_opts(api_opts, group=api_group)


def list_opts():
    return {api_group: api_opts}
