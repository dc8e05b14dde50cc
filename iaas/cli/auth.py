"""Credentials (``OS_*`` variables / options, or the config file), token
issue through ``POST /v3/auth/tokens`` and endpoint lookup in the catalog.

Sources, in order:
1. ``--os-*`` options / ``OS_*`` variables when any of auth URL, user name
   or password is given there: a fresh token per command, like
   python-openstackclient (the password is prompted for on a terminal).
2. The config file written by ``iaas login``: its cached token while it is
   valid; when it has expired, a new one from the saved password
   (``login --save-password``) or a prompt on a terminal; otherwise the user
   is told to log in again.
"""
import datetime as dt
import getpass
import os
import sys

from iaas.cli import config
from iaas.cli.errors import APIError, CLIError

# option/config key -> environment variable (as python-openstackclient)
ENV = {'auth_url': 'OS_AUTH_URL', 'username': 'OS_USERNAME', 'user_id': 'OS_USER_ID',
       'password': 'OS_PASSWORD', 'project_name': 'OS_PROJECT_NAME',
       'project_id': 'OS_PROJECT_ID', 'user_domain_name': 'OS_USER_DOMAIN_NAME',
       'user_domain_id': 'OS_USER_DOMAIN_ID',
       'project_domain_name': 'OS_PROJECT_DOMAIN_NAME',
       'project_domain_id': 'OS_PROJECT_DOMAIN_ID', 'region_name': 'OS_REGION_NAME',
       'interface': 'OS_INTERFACE'}
IDENTITY_KEYS = ('auth_url', 'username', 'user_id', 'password')
# Re-authenticate this long before the token's expiry.
EXPIRY_MARGIN = dt.timedelta(seconds=60)


def add_arguments(parser):
    """The global ``--os-*`` options (defaults from the environment)."""
    group = parser.add_argument_group('authentication (default: OS_* variables)')
    for key, var in ENV.items():
        group.add_argument('--os-' + key.replace('_', '-'), dest='os_' + key,
                           default=None, metavar=var)


def from_args(args, environ=None):
    """{key: value} given by options or OS_* variables (unset keys left out)."""
    environ = os.environ if environ is None else environ
    out = {}
    for key, var in ENV.items():
        value = getattr(args, 'os_' + key, None)
        if value is None:
            value = environ.get(var) or None
        if value is not None:
            out[key] = value
    return out


def auth_url_v3(url):
    url = url.rstrip('/')
    return url if url.endswith('/v3') else url + '/v3'


def parse_time(value):
    """An aware datetime from Keystone's ``expires_at`` (None if unparsable)."""
    if not value:
        return None
    try:
        t = dt.datetime.fromisoformat(str(value).replace('Z', '+00:00'))
    except ValueError:
        return None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def now():
    return dt.datetime.now(dt.timezone.utc)


def _tty():
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def prompt_password(prompt='Password: '):
    if not _tty():
        return None
    try:
        return getpass.getpass(prompt) or None
    except (EOFError, KeyboardInterrupt):
        raise CLIError('no password given') from None


def _require(creds, source):
    missing = []
    if not creds.get('auth_url'):
        missing.append(ENV['auth_url'])
    if not (creds.get('username') or creds.get('user_id')):
        missing.append(ENV['username'])
    if not creds.get('password'):
        missing.append(ENV['password'])
    if not (creds.get('project_name') or creds.get('project_id')):
        missing.append(ENV['project_name'])
    if missing:
        raise CLIError(f'missing credentials ({source}): set {", ".join(missing)} '
                       f'(or run "iaas login")')


def token_request_body(creds):
    """The password auth body openstackclient sends (CALLS.md §1b)."""
    user = {'password': creds['password']}
    if creds.get('user_id'):
        user['id'] = creds['user_id']
    else:
        user['name'] = creds['username']
        if creds.get('user_domain_id'):
            user['domain'] = {'id': creds['user_domain_id']}
        else:
            user['domain'] = {'name': creds.get('user_domain_name') or 'Default'}
    if creds.get('project_id'):
        project = {'id': creds['project_id']}
    else:
        project = {'name': creds['project_name']}
        if creds.get('project_domain_id'):
            project['domain'] = {'id': creds['project_domain_id']}
        else:
            project['domain'] = {'name': creds.get('project_domain_name') or 'Default'}
    return {'auth': {'identity': {'methods': ['password'], 'password': {'user': user}},
                     'scope': {'project': project}}}


def issue_token(transport, creds):
    """POST /v3/auth/tokens → the token fields the CLI caches."""
    url = auth_url_v3(creds['auth_url']) + '/auth/tokens'
    try:
        resp = transport.request('POST', url, json=token_request_body(creds))
    except APIError as exc:
        raise CLIError(f'authentication failed at {creds["auth_url"]}: {exc.message}') from None
    token = resp.headers.get('X-Subject-Token')
    try:
        body = resp.json()['token']
    except (ValueError, KeyError, TypeError):
        body = None
    if not token or not isinstance(body, dict):
        raise CLIError(f'{url} answered {resp.status_code} without a token')
    project = body.get('project') or {}
    user = body.get('user') or {}
    return {'token': token, 'expires_at': body.get('expires_at'),
            'catalog': body.get('catalog') or [],
            'token_project_id': project.get('id'), 'token_project_name': project.get('name'),
            'token_user_id': user.get('id'), 'token_user_name': user.get('name')}


class Session:
    """An authenticated session: token, catalog and how to renew them."""

    def __init__(self, transport, tokinfo, region=None, interface='public', renew=None):
        self.transport = transport
        self.region = region
        self.interface = (interface or 'public').lower().removesuffix('url')
        self._renew = renew
        self._set(tokinfo)

    def _set(self, tokinfo):
        self.token = tokinfo['token']
        self.expires_at = tokinfo.get('expires_at')
        self.catalog = tokinfo.get('catalog') or []
        self.project_id = tokinfo.get('token_project_id')
        self.project_name = tokinfo.get('token_project_name')
        self.user_id = tokinfo.get('token_user_id')

    def renew(self):
        """Get a fresh token (after a 401); False if there is no way to."""
        if self._renew is None:
            return False
        self._set(self._renew())
        self._renew = None   # once per command is enough
        return True

    def has_service(self, service_type):
        try:
            self.endpoint(service_type)
        except CLIError:
            return False
        return True

    def endpoint(self, service_type):
        """The catalog URL of ``service_type`` for our interface and region."""
        found = [s for s in self.catalog if s.get('type') == service_type]
        if not found:
            raise CLIError(f'the service catalog has no {service_type!r} service')
        for svc in found:
            for ep in svc.get('endpoints') or []:
                iface = str(ep.get('interface', '')).lower().removesuffix('url')
                if iface != self.interface:
                    continue
                if self.region and self.region not in (ep.get('region_id'), ep.get('region')):
                    continue
                return ep['url'].rstrip('/')
        where = f' in region {self.region!r}' if self.region else ''
        raise CLIError(f'no {self.interface} endpoint for {service_type!r}{where} in the '
                       f'service catalog')


def _valid(tokinfo):
    exp = parse_time(tokinfo.get('expires_at'))
    return bool(tokinfo.get('token')) and exp is not None and exp - EXPIRY_MARGIN > now()


def session_from_env(transport, creds):
    if not creds.get('password'):
        creds['password'] = prompt_password()
    _require(creds, 'from OS_* variables or --os-* options')
    tokinfo = issue_token(transport, creds)
    return Session(transport, tokinfo, creds.get('region_name'), creds.get('interface'),
                   renew=lambda: issue_token(transport, creds))


def session_from_config(transport, overrides):
    path = config.config_path()
    cfg = config.load(path)
    if not cfg:
        raise CLIError('no credentials: set OS_AUTH_URL, OS_USERNAME, OS_PASSWORD and '
                       'OS_PROJECT_NAME (as for openstack), or run "iaas login"')
    region = overrides.get('region_name') or cfg.get('region_name')
    interface = overrides.get('interface') or cfg.get('interface')

    def reauth():
        creds = {k: cfg.get(k) for k in config.AUTH_KEYS if cfg.get(k)}
        if not creds.get('password'):
            creds['password'] = prompt_password(
                f'Password for {creds.get("username") or creds.get("user_id")}: ')
        if not creds.get('password'):
            raise CLIError(f'the saved token has expired or is no longer valid; run '
                           f'"iaas login" again (config: {path})')
        _require(creds, f'from {path}')
        tokinfo = issue_token(transport, creds)
        cfg.update(tokinfo)
        config.save(cfg, path)
        return tokinfo

    tokinfo = {k: cfg.get(k) for k in config.TOKEN_KEYS}
    if not _valid(tokinfo) or not tokinfo.get('catalog'):
        tokinfo = reauth()
    return Session(transport, tokinfo, region, interface, renew=reauth)


def get_session(transport, args):
    given = from_args(args)
    if any(given.get(k) for k in IDENTITY_KEYS):
        return session_from_env(transport, given)
    return session_from_config(transport, given)
