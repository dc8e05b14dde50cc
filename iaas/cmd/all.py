"""iaas-all: every service in one process on the embedded default
(SQLite + the filesystem bus), all state under ``state_path``.

    iaas-all --config-file etc/iaas-allinone.conf [--state-path DIR]

On start it upgrades the database, runs the first-start hooks (identity
bootstrap), starts every daemon's services and, once they serve, writes
``DIR/admin-openrc``. A restart on the same DIR keeps all data.
"""
import importlib
import logging
import os
import secrets
import sys

from iaas.cmd import common, daemons
from iaas.conf import CONF, register_all

LOG = logging.getLogger(__name__)

# Modules with a ``first_start(admin_password)`` run before the services
# start (idempotent: they run on every start and create only what is missing).
FIRST_START_HOOKS = ['iaas.identity.bootstrap', 'iaas.compute.bootstrap',
                     'iaas.network.bootstrap']


def admin_password():
    """The admin password: configured, or generated once and kept in state_path."""
    configured = CONF.identity.admin_password
    if configured:
        return configured
    path = os.path.join(CONF.state_path, 'admin-password')
    if os.path.exists(path):
        with open(path) as f:
            return f.read().strip()
    pw = secrets.token_urlsafe(18)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, 'w') as f:
        f.write(pw + '\n')
    return pw


def write_openrc(password):
    path = os.path.join(CONF.state_path, 'admin-openrc')
    lines = {
        'OS_AUTH_URL': f'http://{CONF.api.public_host}:{CONF.api.identity_port}/v3',
        'OS_IDENTITY_API_VERSION': '3',
        'OS_USERNAME': 'admin',
        'OS_PASSWORD': password,
        'OS_PROJECT_NAME': 'admin',
        'OS_USER_DOMAIN_NAME': 'Default',
        'OS_PROJECT_DOMAIN_NAME': 'Default',
        'OS_REGION_NAME': CONF.identity.region,
        'OS_INTERFACE': 'public',
    }
    tmp = path + '.tmp'
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, 'w') as f:
        for k, v in lines.items():
            f.write(f"export {k}='{v}'\n")
    os.replace(tmp, path)
    LOG.info('cloud ready; credentials in %s', path)
    print(f'iaas-all ready: source {path}', flush=True)
    print(f'dashboard: http://{CONF.api.public_host}:{CONF.dashboard.port}/', flush=True)


def main(argv=None):
    argv, state_path = common.pop_state_path(list(sys.argv[1:] if argv is None else argv))
    from iaas.service import Launcher
    register_all(CONF)
    CONF(argv, project='iaas', prog='iaas-all')
    if state_path:
        CONF.set_override('state_path', os.path.abspath(state_path))
    os.makedirs(CONF.state_path, exist_ok=True)
    common.record_allinone(CONF.config_file, CONF.state_path)   # for iaas-manage
    if not CONF.log_dir:
        CONF.set_override('log_dir', os.path.join(CONF.state_path, 'logs'))
    from iaas.common import logs
    logs.setup(CONF, 'iaas-all')
    print(f'iaas-all: state in {CONF.state_path}, logs in {CONF.log_dir}', flush=True)
    try:
        from iaas.db import migration
        migration.upgrade()
        password = admin_password()
        for name in FIRST_START_HOOKS:
            try:
                mod = importlib.import_module(name)
            except ModuleNotFoundError:
                continue
            mod.first_start(password)
        launcher = Launcher()
        for build in daemons.DAEMONS.values():
            build(launcher)
        common.observability('iaas-all', launcher)
    except Exception as exc:
        LOG.exception('iaas-all could not start')
        print(f'iaas-all could not start: {exc}', file=sys.stderr)
        return 1
    return launcher.run(on_ready=lambda: write_openrc(password))


if __name__ == '__main__':
    sys.exit(main())


