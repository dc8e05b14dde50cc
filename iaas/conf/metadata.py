"""[metadata] options: the metadata server and iaas-network's metadata proxy."""
from oslo_config import cfg

metadata_group = cfg.OptGroup('metadata', title='Metadata options',
                              help='The instance metadata server behind '
                                   '169.254.169.254 and the per-network proxy in front '
                                   'of it.')

metadata_opts = [
    cfg.ListOpt('trusted_proxies', default=['127.0.0.1', '::1'],
                deprecated_opts=[cfg.DeprecatedOpt('metadata_trusted_proxies',
                                                   group='network')],
                help='Addresses of proxies in front of the metadata server: from them '
                     '(only) the right-most X-Forwarded-For entry is the instance\'s '
                     'address, and the network header of iaas-network\'s metadata proxy '
                     'is believed (when proxy_shared_secret is set, only with a valid '
                     'signature). From any other address the instance is the TCP peer.'),
    cfg.StrOpt('proxy_shared_secret', default='', secret=True,
               help='Secret shared by iaas-network\'s metadata proxy and the metadata '
                    'server: the proxy signs the network id and the guest address it '
                    'forwards (HMAC-SHA256); with a secret set, the server refuses a '
                    'network header without a valid signature.'),
    cfg.PortOpt('proxy_port', default=9697,
                help='Port the per-network metadata proxy listens on in the namespace '
                     'holding the bridges (one listening socket per bridge, bound to '
                     'it); 169.254.169.254:80 arriving on a bridge is redirected to it.'),
    cfg.IntOpt('proxy_max_connections', default=64, min=1,
               help='Concurrent guest connections the metadata proxy serves; more wait '
                    'in the listen backlog.'),
    cfg.FloatOpt('proxy_timeout', default=10.0, min=0.1,
                 help='Seconds the metadata proxy waits for a guest\'s request head or '
                      'for the metadata server before it gives up on the connection.'),
]


def register_opts(conf):
    conf.register_group(metadata_group)
    conf.register_opts(metadata_opts, group=metadata_group)


def list_opts():
    return {metadata_group: metadata_opts}
