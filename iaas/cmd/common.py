"""What every daemon's main() does: parse config, set up logging, run; and
how commands find the all-in-one's configuration and state."""
import gc
import json
import logging
import os
import sys

from oslo_config import cfg

from iaas.common import logs
from iaas.common.plugins import UnknownPlugin
from iaas.conf import CONF, register_all

LOG = logging.getLogger(__name__)


def pop_state_path(argv):
    """``argv`` without ``--state-path DIR``, and DIR (None if absent)."""
    out, state_path = [], None
    it = iter(argv)
    for a in it:
        if a == '--state-path':
            state_path = next(it, None)
        elif a.startswith('--state-path='):
            state_path = a.split('=', 1)[1]
        else:
            out.append(a)
    return out, state_path


def allinone_record_path():
    """Where iaas-all notes the configuration and state it runs with:
    ``$IAAS_ALLINONE_RECORD``, else ``$XDG_STATE_HOME/iaas/allinone.json``
    (``~/.local/state/iaas/allinone.json``)."""
    return os.environ.get('IAAS_ALLINONE_RECORD') or os.path.join(
        os.environ.get('XDG_STATE_HOME') or os.path.expanduser('~/.local/state'),
        'iaas', 'allinone.json')


def record_allinone(config_files, state_path):
    """Note (for iaas-manage) the config files and state_path iaas-all runs with."""
    path = allinone_record_path()
    record = {'config_files': [os.path.abspath(f) for f in config_files],
              'state_path': os.path.abspath(state_path), 'pid': os.getpid()}
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = f'{path}.{os.getpid()}.tmp'
        with open(tmp, 'w') as f:
            json.dump(record, f)
        os.replace(tmp, path)
    except OSError as exc:
        LOG.warning('cannot record the all-in-one in %s: %s', path, exc)


def discover_config(argv, prog):
    """(config files, state_path) for a command whose ``argv`` names no
    ``--config-file``/``--config-dir``, in this order:

    1. oslo.config's standard files (``~/.iaas/iaas.conf``, ``~/iaas.conf``,
       ``/etc/iaas/iaas.conf``, ``/etc/iaas.conf`` and ``<prog>.conf`` beside
       them), when one exists: a host installed with a configuration;
    2. else the all-in-one last started by this user (:func:`record_allinone`),
       while its state_path exists: its config files and state_path;
    3. else none: the built-in defaults (state_path /var/lib/iaas, the SQLite
       file and filesystem bus under it: ``make run``'s default).

    A ``--config-file``/``--config-dir`` on the command line wins (state_path
    None: the files say).
    """
    if any(a.split('=', 1)[0] in ('--config-file', '--config-dir') for a in argv):
        return None, None
    found = cfg.find_config_files(project='iaas', prog=prog)
    if found:
        return found, None
    try:
        with open(allinone_record_path()) as f:
            record = json.load(f)
        if os.path.isdir(record['state_path']):
            return ([p for p in record['config_files'] if os.path.exists(p)],
                    record['state_path'])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    return [], None


def parse_args(argv, name, default_config_files=None):
    register_all(CONF)
    CONF(argv[1:] if argv is not None else sys.argv[1:], project='iaas', prog=name,
         default_config_files=default_config_files)
    logs.setup(CONF, name)
    quiet_collector()


def quiet_collector():
    """What start-up made (modules, classes, config: >100,000 objects that
    live as long as the process) leaves the cyclic collector's view, so its
    full collections walk only what requests made (a full walk of everything
    took ~80 ms); and the young generation is collected every 7,000 new
    objects instead of 700 (a request makes thousands: rows, dicts,
    statements). Cycles are still collected; they live a little longer."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(7000, 10, 10)


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
