"""What every daemon's main() does: parse config, set up logging, run."""
import logging
import sys

from iaas.common import logs
from iaas.common.plugins import UnknownPlugin
from iaas.conf import CONF, register_all

LOG = logging.getLogger(__name__)


def parse_args(argv, name, default_config_files=None):
    register_all(CONF)
    CONF(argv[1:] if argv is not None else sys.argv[1:], project='iaas', prog=name,
         default_config_files=default_config_files)
    logs.setup(CONF, name)


def observability(name, launcher):
    """What serves metrics and health: an admin token sees the detail of
    /healthcheck where the process holds the identity database; a daemon
    without an HTTP port gets a metrics port when [metrics] gives it one."""
    from iaas.cmd.daemons import NO_DATABASE
    from iaas.common import health, observe
    from iaas.service import WSGIService
    no_database = name in NO_DATABASE
    if not no_database:
        from iaas.api import auth
        health.set_admin_check(auth.token_is_admin)
    if any(isinstance(s, WSGIService) for s in launcher.services):
        return      # /metrics on its HTTP ports
    port = int(CONF.metrics.daemon_ports.get(name) or CONF.metrics.port)
    if port:
        checks = ('bus', 'disk') if no_database else ('database', 'bus', 'disk')
        launcher.add(observe.MetricsListener(name, CONF.metrics.listen, port, checks))


def run_services(name, build, argv=None, on_ready=None):
    """Parse config, build services with ``build(launcher)``, run until SIGTERM."""
    from iaas.service import Launcher
    parse_args(argv, name)
    launcher = Launcher()
    try:
        build(launcher)
        observability(name, launcher)
    except Exception as exc:
        # An unknown plug-in name, a bad option: stop here, saying why (an
        # unknown name needs no traceback).
        LOG.error('%s could not start', name, exc_info=not isinstance(exc, UnknownPlugin))
        print(f'{name} could not start: {exc}', file=sys.stderr)
        return 1
    LOG.info('%s starting: host=%s state_path=%s bus=%s', name, CONF.host,
             CONF.state_path, CONF.transport_url.split('@')[-1])
    try:
        return launcher.run(on_ready=on_ready)
    except Exception:
        LOG.exception('%s failed', name)
        return 1
