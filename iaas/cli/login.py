"""``iaas login`` / ``iaas logout``: authenticate once and keep the token
(and its expiry) in the config file, mode 0600."""
import sys

from iaas.cli import auth, config, output
from iaas.cli.errors import CLIError

ACCOUNT_KEYS = tuple(k for k in config.AUTH_KEYS if k not in ('region_name', 'interface'))


def _prompt(label):
    if not auth._tty():
        return None
    try:
        return input(label).strip() or None
    except (EOFError, KeyboardInterrupt):
        raise CLIError('login cancelled') from None


def cmd_login(transport, args):
    path = config.config_path()
    cfg = config.load(path)
    given = auth.from_args(args)
    if any(k in given for k in ACCOUNT_KEYS):
        # A new account: do not mix it with the one saved before.
        creds = {k: cfg[k] for k in ('region_name', 'interface') if cfg.get(k)}
    else:
        creds = {k: cfg[k] for k in config.AUTH_KEYS if cfg.get(k)}
    creds.update(given)
    saved_password = creds.pop('password', None) if 'password' not in given else None
    if not creds.get('auth_url'):
        creds['auth_url'] = _prompt('Auth URL: ')
    if not creds.get('auth_url'):
        raise CLIError('no auth URL: give --os-auth-url or set OS_AUTH_URL')
    if not (creds.get('username') or creds.get('user_id')):
        creds['username'] = _prompt('Username: ')
    if not (creds.get('project_name') or creds.get('project_id')):
        creds['project_name'] = _prompt('Project: ') or creds.get('username')
    if args.password_stdin:
        creds['password'] = sys.stdin.readline().rstrip('\r\n') or None
    if not creds.get('password'):
        creds['password'] = auth.prompt_password(
            f'Password for {creds.get("username") or creds.get("user_id")}: ')
    if not creds.get('password'):
        creds['password'] = saved_password
    auth._require(creds, 'for login')
    tokinfo = auth.issue_token(transport, creds)
    new = {k: v for k, v in creds.items() if v and k != 'password'}
    if args.save_password:
        new['password'] = creds['password']
    new.update(tokinfo)
    config.save(new, path)
    output.print_dict(args, {
        'auth_url': creds['auth_url'], 'user': tokinfo.get('token_user_name'),
        'user_id': tokinfo.get('token_user_id'), 'project': tokinfo.get('token_project_name'),
        'project_id': tokinfo.get('token_project_id'), 'expires_at': tokinfo.get('expires_at'),
        'config': str(path), 'password_saved': bool(args.save_password)})


def cmd_logout(transport, args):
    path = config.config_path()
    cfg = config.load(path)
    if cfg.get('token') and cfg.get('auth_url'):
        try:   # revoke it; the local copy goes either way
            transport.request('DELETE', auth.auth_url_v3(cfg['auth_url']) + '/auth/tokens',
                              headers={'X-Auth-Token': cfg['token'],
                                       'X-Subject-Token': cfg['token']})
        except CLIError as exc:
            print(f'warning: could not revoke the token: {exc.message}', file=sys.stderr)
    for key in (*config.TOKEN_KEYS, 'password'):
        cfg.pop(key, None)
    if cfg:
        config.save(cfg, path)
    print(f'logged out ({path})', file=sys.stderr)


def register(sub, command):
    c = command(sub, 'login', 'authenticate and save the token in the config file',
                cmd_login)
    c.add_argument('--password-stdin', action='store_true',
                   help='read the password from the first line of stdin')
    c.add_argument('--save-password', action='store_true',
                   help='also save the password (mode 0600) so expired tokens are renewed '
                        'without a prompt')
    c.set_defaults(needs_session=False)
    c = command(sub, 'logout', 'revoke the saved token and forget it', cmd_logout)
    c.set_defaults(needs_session=False)
