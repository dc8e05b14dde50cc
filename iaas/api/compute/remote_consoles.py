"""Remote consoles (Nova's os-remote-consoles and os-console-auth-tokens).

``POST /servers/{id}/remote-consoles`` (microversion 2.6+) answers a
one-time URL of the server's console on iaas-serialproxy; only the serial
console exists here: every other protocol is 400 "Unavailable console
type", as Nova answers for a console it does not serve. The legacy action
``os-getSerialConsole`` (server_actions.py) answers the same URL as
``{"console": {"type", "url"}}``. ``GET /os-console-auth-tokens/{token}``
(admin; serial tokens from 2.31) shows what an unused token opens.
"""
from iaas import wsgi
from iaas.api.compute import microversion as mv
from iaas.api.compute.servers import _ctx, _respond, compute_api
from iaas.compute import policies as P

PROTOCOLS = ['vnc', 'spice', 'rdp', 'serial', 'mks']
TYPES = ['novnc', 'xvpvnc', 'rdp-html5', 'spice-html5', 'serial', 'webmks',
         'spice-direct']
REMOTE_CONSOLE = {
    'type': 'object', 'required': ['remote_console'], 'additionalProperties': False,
    'properties': {'remote_console': {
        'type': 'object', 'required': ['protocol', 'type'], 'additionalProperties': False,
        'properties': {'protocol': {'type': 'string', 'enum': PROTOCOLS},
                       'type': {'type': 'string', 'enum': TYPES}}}}}


@wsgi.route_policy(P.REMOTE_CONSOLES)
@wsgi.accepts(REMOTE_CONSOLE)
def create(req, server_id):
    if mv.version(req) < (2, 6):
        raise wsgi.NotFound('The resource could not be found.')
    body = req.json()
    wsgi.validate(body, REMOTE_CONSOLE)
    rc = body['remote_console']
    console = compute_api.get_serial_console(_ctx(req), server_id, rc['protocol'],
                                             rc['type'])
    return _respond(req, {'remote_console': console})


def serial_action(req, server_id, arg):
    """The legacy ``os-getSerialConsole`` action."""
    console = compute_api.get_serial_console(_ctx(req), server_id, 'serial', arg['type'])
    return _respond(req, {'console': {'type': console['type'], 'url': console['url']}})


@wsgi.route_policy(P.CONSOLE_AUTH_TOKENS)
def auth_token_show(req, console_token):
    if mv.version(req) < (2, 31):
        raise wsgi.BadRequest('The requested console type details are not accessible '
                              'before microversion 2.31.')
    return _respond(req, {'console': compute_api.console_auth_token(_ctx(req),
                                                                    console_token)})
