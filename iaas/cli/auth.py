"""Credentials (``OS_*`` variables / options, or the config file), token
issue and endpoint lookup in the catalog, both with keystoneauth1.

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

from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session
from keystoneauth1.access import service_catalog
from keystoneauth1.identity import v3

from iaas.cli import config
from iaas.cli.errors import CLIError, api_error
from iaas.cli.http import USER_AGENT, where

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


def password_plugin(creds):
    """The keystoneauth1 v3 password plug-in for ``creds``: it sends the body
    openstackclient sends (CALLS.md §1b)."""
    kw = {'auth_url': auth_url_v3(creds['auth_url']), 'password': creds['password']}
    if creds.get('user_id'):
        kw['user_id'] = creds['user_id']
    else:
        kw['username'] = creds['username']
        if creds.get('user_domain_id'):
            kw['user_domain_id'] = creds['user_domain_id']
        else:
            kw['user_domain_name'] = creds.get('user_domain_name') or 'Default'
    if creds.get('project_id'):
        kw['project_id'] = creds['project_id']
    else:
        kw['project_name'] = creds['project_name']
        if creds.get('project_domain_id'):
            kw['project_domain_id'] = creds['project_domain_id']
        else:
            kw['project_domain_name'] = creds.get('project_domain_name') or 'Default'
    return v3.Password(**kw)


def issue_token(transport, creds):
    """A token from Keystone (keystoneauth1 over the transport's HTTP
    session) → the token fields the CLI caches."""
    url = auth_url_v3(creds['auth_url']) + '/auth/tokens'
    session = ks_session.Session(session=transport.session, timeout=transport.timeout[1],
                                 user_agent=USER_AGENT)
    try:
        access = password_plugin(creds).get_access(session)
    except ks_exc.HttpError as exc:
        message = api_error(exc.response).message if exc.response is not None else str(exc)
        raise CLIError(f'authentication failed at {creds["auth_url"]}: {message}') from None
    except ks_exc.ConnectFailure:
        raise CLIError(f'cannot connect to {where(url)} (POST {url}): is the service '
                       f'running and the URL right?') from None
    except ks_exc.ClientException as exc:
        raise CLIError(f'authentication failed at {creds["auth_url"]}: {exc}') from None
    if transport.debug:
        print(f'DEBUG POST {url} -> token for project {access.project_id}', file=sys.stderr)
    return {'token': access.auth_token, 'expires_at': access.expires.isoformat(),
            'catalog': access.service_catalog.catalog or [],
            'token_project_id': access.project_id, 'token_project_name': access.project_name,
            'token_user_id': access.user_id, 'token_user_name': access.username}


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
        catalog = service_catalog.ServiceCatalogV3(self.catalog)
        if not catalog.get_endpoints(service_type=service_type):
            raise CLIError(f'the service catalog has no {service_type!r} service')
        try:
            return catalog.url_for(service_type=service_type, interface=self.interface,
                                   region_name=self.region).rstrip('/')
        except ks_exc.EndpointNotFound:
            where_ = f' in region {self.region!r}' if self.region else ''
            raise CLIError(f'no {self.interface} endpoint for {service_type!r}{where_} in '
                           f'the service catalog') from None


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
