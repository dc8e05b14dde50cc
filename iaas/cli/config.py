"""The CLI's config file: ``~/.config/iaas/config`` (``$XDG_CONFIG_HOME``
honoured, ``$IAAS_CONFIG`` overrides the path).

JSON (what ``iaas login`` writes) or ini: in an ini file every section is
read and flattened, e.g.::

    [auth]
    auth_url = http://127.0.0.1:5000/v3
    username = demo
    password = secret
    project_name = demo

The file may hold a token, so it is written with mode 0600 (directory 0700)
through a temporary file and a rename.
"""
import configparser
import json
import os
from pathlib import Path

from iaas.cli.errors import CLIError

# Keys kept in the file, besides the cached token fields.
AUTH_KEYS = ('auth_url', 'username', 'user_id', 'password', 'project_name', 'project_id',
             'user_domain_name', 'user_domain_id', 'project_domain_name',
             'project_domain_id', 'region_name', 'interface')
TOKEN_KEYS = ('token', 'expires_at', 'catalog', 'token_user_id', 'token_project_id',
              'token_project_name', 'token_user_name')


def config_path():
    override = os.environ.get('IAAS_CONFIG')
    if override:
        return Path(override).expanduser()
    base = os.environ.get('XDG_CONFIG_HOME') or os.path.join(os.path.expanduser('~'),
                                                             '.config')
    return Path(base) / 'iaas' / 'config'


def load(path=None):
    """The config as a flat dict ({} if there is no file)."""
    path = Path(path) if path else config_path()
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise CLIError(f'cannot read {path}: {exc.strerror or exc}') from None
    if not text.strip():
        return {}
    if text.lstrip().startswith('{'):
        try:
            data = json.loads(text)
        except ValueError as exc:
            raise CLIError(f'{path} is not valid JSON: {exc}') from None
        if not isinstance(data, dict):
            raise CLIError(f'{path}: expected a JSON object')
        return data
    parser = configparser.ConfigParser(interpolation=None)
    try:
        parser.read_string(text, source=str(path))
    except configparser.Error as exc:
        raise CLIError(f'{path} is neither JSON nor a valid ini file: {exc}') from None
    data = dict(parser.defaults())
    for section in parser.sections():
        data.update({k: v for k, v in parser[section].items()})
    if isinstance(data.get('catalog'), str):
        try:
            data['catalog'] = json.loads(data['catalog'])
        except ValueError:
            data.pop('catalog')
    return data


def save(data, path=None):
    """Write ``data`` as JSON, mode 0600, atomically."""
    path = Path(path) if path else config_path()
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = path.with_name(f'.{path.name}.{os.getpid()}.tmp')
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, 'w') as f:
            json.dump(data, f, indent=2, sort_keys=True)
            f.write('\n')
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        raise CLIError(f'cannot write {path}: {exc.strerror or exc}') from None
    return path
