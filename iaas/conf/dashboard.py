"""[dashboard] options: iaas-dashboard, the web interface over the public APIs."""
from oslo_config import cfg

dashboard_group = cfg.OptGroup(
    'dashboard', title='Dashboard options',
    help='iaas-dashboard serves web pages over the public APIs; every page calls them '
         'with the logged-in user\'s own token (never a service account). The session '
         'lives in an encrypted, signed cookie: the dashboard keeps no state of its own '
         'besides its secret key.')

dashboard_opts = [
    cfg.HostAddressOpt('listen',
                       help='Address the dashboard listens on. Unset: the same as '
                            '[api] listen.'),
    cfg.PortOpt('port', default=8000, help='Port of the dashboard.'),
    cfg.IntOpt('threads', default=16, min=1,
               help='Request threads of the dashboard. Each page waits for the APIs '
                    'it calls.'),
    cfg.StrOpt('identity_url', default='',
               help='URL of the identity API (v3) the dashboard logs users in with. '
                    'Empty: http://[api] public_host:[api] identity_port/v3.'),
    cfg.StrOpt('interface', default='public', choices=['public', 'internal', 'admin'],
               help='Which endpoint of each service in the catalog the dashboard '
                    'calls.'),
    cfg.StrOpt('region', default='',
               help='Region of the endpoints the dashboard calls (empty: any).'),
    cfg.StrOpt('public_url', default='',
               help='The URL users reach the dashboard at, e.g. '
                    '"https://cloud.example.com" behind a TLS proxy. A form is accepted '
                    'only when its Origin (or Referer) is this origin. Empty: the '
                    'origin of the request itself (scheme and Host header).'),
    cfg.StrOpt('secret_key_file', default='',
               help='File with the Fernet key that encrypts and signs the session '
                    'cookies; created (mode 0600) on first start when missing. Every '
                    'dashboard process behind one address must share it. Empty: '
                    '$state_path/dashboard-secret.key.'),
    cfg.BoolOpt('secure_cookies', default=False,
                help='Send the session cookie with the Secure flag (HTTPS only). Set it '
                     'whenever users reach the dashboard over HTTPS, e.g. behind a TLS '
                     'proxy.'),
    cfg.IntOpt('session_lifetime', default=43200, min=60,
               help='Seconds a session cookie is accepted after it was last written '
                    '(the token\'s own expiry ends it sooner).'),
    cfg.FloatOpt('login_rate', default=0.2, min=0,
                 help='Login and sign-up attempts per second one client address may '
                      'make once its burst is used (0: no limit here; the identity '
                      'API\'s own limits still apply).'),
    cfg.IntOpt('login_burst', default=10, min=1,
               help='Login and sign-up attempts one client address may make at once.'),
    cfg.IntOpt('page_size', default=20, min=1, max=1000,
               help='Rows per page of the lists.'),
    cfg.IntOpt('poll_interval', default=3, min=1,
               help='Seconds between refreshes of the live parts of a page (the '
                    'status column of the instance list).'),
    cfg.IntOpt('api_timeout', default=30, min=1,
               help='Seconds the dashboard waits for an API answer.'),
]


def register_opts(conf):
    conf.register_group(dashboard_group)
    conf.register_opts(dashboard_opts, group=dashboard_group)


def list_opts():
    return {dashboard_group: dashboard_opts}
