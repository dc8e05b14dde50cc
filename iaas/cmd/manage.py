"""iaas-manage: operator commands (database, services, …).

    iaas-manage [--config-file F | --state-path DIR] db sync [--revision REV]
    iaas-manage db downgrade --revision REV | db version
    iaas-manage service list
    iaas-manage service disable HOST BINARY [--reason TEXT]
    iaas-manage service enable HOST BINARY
    iaas-manage conductor host-key HOST compute|network|volume
    iaas-manage status [--json]                 (iaas/cmd/status.py)

Without ``--config-file`` it finds the configuration the way
:func:`iaas.cmd.common.discover_config` says: the standard files, else the
all-in-one this user last started (its config and state_path), else the
built-in defaults. Further command groups register through COMMANDS below.
"""
import os
import sys

from oslo_config import cfg
from sqlalchemy import exc as sa_exc

from iaas.cmd import common
from iaas.common import logs
from iaas.conf import CONF, register_all


def print_table(headers, rows, out=sys.stdout):
    widths = [len(h) for h in headers]
    rows = [['' if v is None else str(v) for v in r] for r in rows]
    for r in rows:
        widths = [max(w, len(v)) for w, v in zip(widths, r, strict=True)]
    sep = '+' + '+'.join('-' * (w + 2) for w in widths) + '+'
    print(sep, file=out)
    print('| ' + ' | '.join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + ' |',
          file=out)
    print(sep, file=out)
    for r in rows:
        print('| ' + ' | '.join(v.ljust(w) for v, w in zip(r, widths, strict=True)) + ' |',
              file=out)
    print(sep, file=out)


def db_sync(args):
    from iaas.db import migration
    migration.upgrade(revision=args.revision or 'heads')
    print(f'database at revision {migration.current()}')


def db_downgrade(args):
    from iaas.db import migration
    migration.downgrade(revision=args.revision)
    print(f'database at revision {migration.current()}')


def db_version(_args):
    from iaas.db import migration
    print(migration.current() or 'base')


def service_list(_args):
    from iaas.db import services
    rows = []
    for s in services.service_list():
        up = services.is_up(s, CONF.service.service_down_time)
        rows.append([s['id'], s['binary'], s['host'], s['topic'], s['availability_zone'],
                     'disabled' if s['disabled'] else 'enabled', 'up' if up else 'down',
                     s['last_seen_up'], s['disabled_reason']])
    print_table(['Id', 'Binary', 'Host', 'Topic', 'Zone', 'Status', 'State',
                 'Last Heartbeat', 'Disabled Reason'], rows)


def service_disable(args):
    from iaas.db import services
    services.service_update(args.svc_host, args.svc_binary, disabled=True,
                            disabled_reason=args.reason)
    print(f'{args.svc_binary} on {args.svc_host} disabled')


def service_enable(args):
    from iaas.db import services
    services.service_update(args.svc_host, args.svc_binary, disabled=False, disabled_reason=None)
    print(f'{args.svc_binary} on {args.svc_host} enabled')


def conductor_host_key(args):
    """Print the key of a hypervisor/network host (for its [conductor] compute_key
    or network_key); run on a conductor host (makes the master key if missing)."""
    from iaas.conductor import hostauth
    print(hostauth.derive(hostauth.load_master(create=True), args.key_host, args.role))


# group -> action -> (handler, [(args, kwargs) for add_argument])
COMMANDS = {
    'db': {
        'sync': (db_sync, [(['--revision'], {'help': 'target revision (default head)'})]),
        'downgrade': (db_downgrade, [(['--revision'], {'required': True})]),
        'version': (db_version, []),
    },
    'service': {
        'list': (service_list, []),
        'disable': (service_disable, [(['svc_host'], {'metavar': 'HOST'}),
                                      (['svc_binary'], {'metavar': 'BINARY'}),
                                      (['--reason'], {'default': None})]),
        'enable': (service_enable, [(['svc_host'], {'metavar': 'HOST'}),
                                    (['svc_binary'], {'metavar': 'BINARY'})]),
    },
    'conductor': {
        'host-key': (conductor_host_key, [(['key_host'], {'metavar': 'HOST'}),
                                          (['role'],
                                           {'choices': ['compute', 'network', 'volume']})]),
    },
}


def register_command_group(name, actions):
    COMMANDS[name] = actions


def _add_parsers(subparsers):
    for group, actions in COMMANDS.items():
        gp = subparsers.add_parser(group)
        if None in actions:
            # A group without actions: ``iaas-manage bootstrap --admin-password X``.
            func, arguments = actions[None]
            for a, kw in arguments:
                gp.add_argument(*a, **kw)
            gp.set_defaults(func=func)
            continue
        sub = gp.add_subparsers(dest='action')
        sub.required = True
        for action, (func, arguments) in actions.items():
            ap = sub.add_parser(action, help=(func.__doc__ or '').strip().split('\n')[0])
            for a, kw in arguments:
                ap.add_argument(*a, **kw)
            ap.set_defaults(func=func)


def _missing_schema():
    """The database URL (password hidden) if it has no iaas schema yet."""
    import sqlalchemy as sa

    from iaas.db import engine, migration
    try:
        if migration.current() is not None:
            return None
    except Exception:   # not even reachable: the original error says more
        return None
    return sa.engine.make_url(engine.connection_url()).render_as_string(hide_password=True)


def main(argv=None):
    _load_extra_commands()
    register_all(CONF)
    CONF.register_cli_opt(cfg.SubCommandOpt('category', handler=_add_parsers))
    argv, state_path = common.pop_state_path(list(sys.argv[1:] if argv is None else argv))
    config_files, found_state = common.discover_config(argv, 'iaas-manage')
    try:
        CONF(argv, project='iaas', prog='iaas-manage', default_config_files=config_files)
        if state_path or found_state:
            CONF.set_override('state_path', os.path.abspath(state_path or found_state))
        logs.setup(CONF, 'iaas-manage')
        try:
            rc = CONF.category.func(CONF.category)   # an int: the exit status
            return rc if isinstance(rc, int) else 0
        except (sa_exc.OperationalError, sa_exc.ProgrammingError):
            url = _missing_schema()
            if url is None:
                raise
            print(f'the database at {url} has no iaas schema: run "iaas-manage db sync" '
                  'first', file=sys.stderr)
            return 2
    except LookupError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f'error: {exc}', file=sys.stderr)
        return 2
    finally:
        CONF.reset()   # overrides too
        CONF.unregister_opt(cfg.SubCommandOpt('category', handler=_add_parsers))


def _load_extra_commands():
    """Command groups that other packages add (identity: bootstrap, token)."""
    import importlib
    for mod in EXTRA_COMMAND_MODULES:
        try:
            m = importlib.import_module(mod)
        except ImportError:
            continue
        for name, actions in m.MANAGE_COMMANDS.items():
            COMMANDS.setdefault(name, actions)


# Modules that define MANAGE_COMMANDS = {group: {action: (func, args)}}.
EXTRA_COMMAND_MODULES = ['iaas.identity.manage', 'iaas.billing.manage', 'iaas.compute.manage',
                         'iaas.cmd.status']


if __name__ == '__main__':
    sys.exit(main())
