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

from iaas.conf import CONF
from iaas.privileged import CONTEXTS

CONFIG_ARGS = ('--config-file', '--config-dir')


def config_args(argv):
    """The ``--config-file``/``--config-dir`` arguments of ``argv``, in order."""
    out, i = [], 0
    while i < len(argv):
        arg = argv[i]
        key, sep, value = arg.partition('=')
        if key in CONFIG_ARGS and sep:
            out += [key, value]
        elif arg in CONFIG_ARGS and i + 1 < len(argv):
            out += [arg, argv[i + 1]]
            i += 1
        i += 1
    return out


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    CONF(config_args(argv), project='iaas', prog='iaas-privsep-helper',
         default_config_files=[])
    for ctx in CONTEXTS:
        ctx.serve()
    sys.argv[1:] = argv
    daemon.helper_main()


if __name__ == '__main__':
    main()
