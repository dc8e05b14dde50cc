"""``iaas-privsep-helper``: the privileged side of iaas.privileged.

Started as root by a service in ``[privsep] mode = daemon`` (``sudo
iaas-privsep-helper --config-file … --privsep_context
iaas.privileged.<context> --privsep_sock_path …``; etc/sudoers.d/iaas allows
exactly this program). It reads the same iaas configuration as the service
(the entry points check paths against ``state_path``/``instances_path``),
then hands over to oslo.privsep's ``privsep-helper``, which connects back to
the service, drops every capability but the context's and serves its entry
points.
"""
import sys

from oslo_privsep import daemon

from iaas.conf import CONF, register_all
from iaas.privileged import CONTEXTS

CONFIG_ARGS = ('--config-file', '--config-dir')


class UsageError(SystemExit):
    pass


def parse(argv):
    """(config arguments, context path) of a helper command line, which must
    be ``(--config-file F | --config-dir D)… --privsep_context
    iaas.privileged.<context> --privsep_sock_path /abs/path`` and nothing
    else (sudoers patterns end in a wildcard: no second context may ride on
    it)."""
    known = {f'{__package__}.{ctx.name}' for ctx in CONTEXTS}
    config, single, i = [], {}, 0
    while i < len(argv):
        key, sep, value = argv[i].partition('=')
        if not sep:
            if i + 1 >= len(argv):
                raise UsageError(f'iaas-privsep-helper: {key} needs a value')
            value, i = argv[i + 1], i + 1
        i += 1
        if key in CONFIG_ARGS:
            config += [key, value]
        elif key in ('--privsep_context', '--privsep_sock_path') and key not in single:
            single[key] = value
        else:
            raise UsageError(f'iaas-privsep-helper: argument refused: {key}')
    if single.get('--privsep_context') not in known:
        raise UsageError('iaas-privsep-helper: --privsep_context must be one of '
                         + ', '.join(sorted(known)))
    if not single.get('--privsep_sock_path', '').startswith('/'):
        raise UsageError('iaas-privsep-helper: --privsep_sock_path must be an absolute path')
    return config, single['--privsep_context']


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    config, _context = parse(argv)
    register_all(CONF)
    CONF(config, project='iaas', prog='iaas-privsep-helper', default_config_files=[])
    for ctx in CONTEXTS:
        ctx.serve()
    sys.argv[1:] = argv
    daemon.helper_main()


if __name__ == '__main__':
    main()
