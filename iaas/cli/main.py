"""Entry point of the ``iaas`` command: argument parsing, the lazily
authenticated cloud handle and the error boundary (a one-line message and a
non-zero exit status, never a traceback unless --debug)."""
import argparse
import sys
import traceback

from iaas.cli import auth, billing, compute_misc, images, login, output, servers, wait
from iaas.cli.client import Compute, Image, Network, Rating
from iaas.cli.errors import CLIError
from iaas.cli.http import Transport


class Cloud:
    """What command functions get: ``session``, ``compute``, ``image``,
    ``network``, ``rating``."""

    def __init__(self, transport, args):
        self.transport = transport
        self.args = args
        self._session = self._compute = self._image = self._network = None
        self._rating = None

    @property
    def session(self):
        if self._session is None:
            self._session = auth.get_session(self.transport, self.args)
        return self._session

    @property
    def compute(self):
        if self._compute is None:
            self._compute = Compute(self.session)
        return self._compute

    @property
    def image(self):
        if self._image is None:
            self._image = Image(self.session)
        return self._image

    @property
    def network(self):
        if self._network is None:
            self._network = Network(self.session)
        return self._network

    @property
    def rating(self):
        if self._rating is None:
            self._rating = Rating(self.session)
        return self._rating


def command(subparsers, name, help_text, func=None):
    """A sub-command parser with the output options; ``func(cloud, args)``."""
    p = subparsers.add_parser(name, help=help_text, description=help_text)
    if func is not None:
        output.add_arguments(p, suppress=True)
        p.set_defaults(func=func)
    return p


def build_parser():
    parser = argparse.ArgumentParser(
        prog='iaas', description='Command-line client for the iaas cloud (compute, images, '
                                 'key pairs, usage). Credentials: OS_* variables as for '
                                 'openstack, or "iaas login".')
    output.add_arguments(parser)
    parser.add_argument('--debug', action='store_true',
                        help='print each HTTP request and tracebacks')
    parser.add_argument('--poll-interval', type=float, default=None,
                        help='seconds between polls for --wait (default 2, '
                             'or $IAAS_POLL_INTERVAL)')
    parser.add_argument('--insecure', action='store_true', help='do not verify TLS')
    auth.add_arguments(parser)
    sub = parser.add_subparsers(dest='command', metavar='COMMAND', required=True)
    login.register(sub, command)
    servers.register(sub, command)
    images.register(sub, command)
    compute_misc.register(sub, command)
    billing.register(sub, command)
    return parser


def main(argv=None):
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:   # --help or a usage error (already printed)
        return exc.code
    debug = args.debug
    try:
        transport = Transport(debug=debug, verify=not args.insecure)
        if getattr(args, 'needs_session', True):
            args.func(Cloud(transport, args), args)
        else:
            args.func(transport, args)
        return 0
    except CLIError as exc:
        print(f'Error: {exc.message}', file=sys.stderr)
        return exc.code
    except KeyboardInterrupt:
        print('Interrupted.', file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:
        if debug:
            traceback.print_exc()
        print(f'Error: unexpected {type(exc).__name__}: {exc} (run with --debug for the '
              f'details)', file=sys.stderr)
        return 1


__all__ = ['main', 'wait']

if __name__ == '__main__':   # pragma: no cover
    sys.exit(main())
