"""[serial_console] options: guests' serial consoles over websockets (Nova's group)."""
from oslo_config import cfg

serial_console_group = cfg.OptGroup(
    'serial_console', title='Serial console options',
    help='The serial console of a guest, reached through iaas-serialproxy: a user asks '
         'the compute API for a console URL (a one-time token bound to the server), '
         'opens it as a websocket on the proxy, and the proxy relays bytes to the TCP '
         'port the hypervisor serves the guest\'s serial port on. Compute hosts need '
         'enabled and port_range/proxyclient_address; the proxy host needs enabled, '
         'base_url and the serialproxy_* options; the API host reads enabled, base_url '
         'and token_ttl.')

serial_console_opts = [
    cfg.BoolOpt('enabled', default=False,
                help='Enable the serial console. On a compute host, guests started '
                     'afterwards serve their serial port on a TCP port of port_range '
                     '(their console log is written all the same); on the API host, '
                     'console URLs are handed out; iaas-all starts the proxy.'),
    cfg.StrOpt('base_url', default='',
               help='URL of the proxy users connect to, e.g. '
                    '"wss://console.example.com:6083/"; the token is added as '
                    '"?token=...". Empty: ws://[api] public_host:serialproxy_port/.'),
    cfg.ListOpt('allowed_origins', default=[],
                help='Origins (scheme://host[:port]) whose pages may open a console '
                     'websocket, besides the host of base_url (any port of it) and the '
                     'dashboard ([dashboard] public_url). A browser\'s connection from '
                     'any other origin is refused; a client sending no Origin (a '
                     'command-line client) is accepted.'),
    cfg.HostAddressOpt('serialproxy_host', default='0.0.0.0',
                       help='Address iaas-serialproxy listens on.'),
    cfg.PortOpt('serialproxy_port', default=6083,
                help='Port iaas-serialproxy listens on (websocket).'),
    cfg.StrOpt('port_range', default='10000:20000', regex=r'^\d+:\d+$',
               help='"min:max": TCP ports of a compute host the guests\' serial ports '
                    'are served on, one per guest. The proxy hosts must reach them on '
                    'proxyclient_address (firewall).'),
    cfg.HostAddressOpt('proxyclient_address', default='127.0.0.1',
                       help='Address of this compute host the guests\' serial ports '
                            'listen on, and the proxy connects to.'),
    cfg.IntOpt('token_ttl', default=600, min=1,
               help='Seconds a console URL\'s token may be used (once) after it was '
                    'handed out.'),
    cfg.IntOpt('max_connections', default=100, min=1,
               help='Console connections one proxy relays at once; more are refused '
                    '(503).'),
    cfg.IntOpt('idle_timeout', default=1800, min=1,
               help='Seconds a console connection may stay without traffic either '
                    'way before the proxy closes it.'),
    cfg.IntOpt('max_frame_bytes', default=65536, min=125,
               help='Largest websocket frame (and message) the proxy accepts from a '
                    'client; a larger one closes the connection (1009).'),
]


def register_opts(conf):
    conf.register_group(serial_console_group)
    conf.register_opts(serial_console_opts, group=serial_console_group)


def list_opts():
    return {serial_console_group: serial_console_opts}
