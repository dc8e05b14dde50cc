"""``iaas-objectstore``: the daemon and its one-shot commands.

    iaas-objectstore [--config-file F]            # daemon: roles from [objectstore] roles
    iaas-objectstore proxy|storage [--config-file F]   # only that role (storage includes
                                                  # replicator, auditor and expirer loops
                                                  # when they are in roles)
    iaas-objectstore ring create|add|remove|set_weight|rebalance|show ...
    iaas-objectstore replicator|auditor|expirer --once [--config-file F]
"""
import sys

ONE_SHOT = ('replicator', 'auditor', 'expirer')


def _split_once(argv):
    rest = [a for a in argv if a != '--once']
    return '--once' in argv, rest


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] == 'ring':
        from iaas.objectstore import ringcmd
        return ringcmd.main(argv[1:])
    from iaas.cmd import common
    from iaas.objectstore import daemon
    if argv and argv[0] in ONE_SHOT:
        name = argv[0]
        once, rest = _split_once(argv[1:])
        if once:
            common.parse_args(['x'] + rest, f'iaas-objectstore-{name}')
            return daemon.run_once(name)
        return common.run_services(f'iaas-objectstore-{name}',
                                   lambda launcher: daemon.build(launcher, [name]),
                                   ['x'] + rest)
    roles = None
    if argv and argv[0] in ('proxy', 'storage'):
        roles = [argv[0]]
        if argv[0] == 'storage':
            roles = ['storage', 'replicator', 'auditor', 'expirer']
        argv = argv[1:]
    return common.run_services('iaas-objectstore',
                               lambda launcher: daemon.build(launcher, roles), ['x'] + argv)


if __name__ == '__main__':
    sys.exit(main())
