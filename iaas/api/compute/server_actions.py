"""POST /servers/{id}/action: one body key names the action.

The route is declared with ``os_compute_api:servers:action``; the
dispatcher checks the action's own rule (Nova's name) before it runs, and
:mod:`iaas.compute.api` checks it again on the server's project (another
project's server is 404).
"""
from iaas import wsgi
from iaas.api import auth
from iaas.api.compute import microversion as mv
from iaas.api.compute import policies as P
from iaas.api.compute import schemas
from iaas.api.compute.servers import _ctx, _detail_view, _respond, compute_api


def _simple(name):
    def run(req, server_id, arg):
        compute_api.action(_ctx(req), server_id, name)
    return run


def _reboot(req, server_id, arg):
    compute_api.reboot(_ctx(req), server_id, arg['type'].upper())


def _create_image(req, server_id, arg):
    ctx = _ctx(req)
    image_id = compute_api.snapshot(ctx, server_id, arg['name'], arg.get('metadata') or {})
    port_base = compute_api.image_url(ctx)
    if mv.version(req) >= (2, 45):
        return _respond(req, {'image_id': image_id}, 202)
    return _respond(req, None, 202, {'Location': f'{port_base}/v2/images/{image_id}'})


def _console(req, server_id, arg):
    length = (arg or {}).get('length')
    if length is not None:
        length = schemas.int_in(length, 'length', -1)
        if length == -1:
            length = None
    out = compute_api.console_output(_ctx(req), server_id, length)
    return _respond(req, {'output': out})


def _rebuild(req, server_id, arg):
    ctx = _ctx(req)
    inst = compute_api.rebuild(ctx, server_id, arg['imageRef'], name=arg.get('name'),
                               metadata=arg.get('metadata'))
    return _detail_view(req, ctx, inst, 202)


def _resize(req, server_id, arg):
    compute_api.resize(_ctx(req), server_id, str(arg['flavorRef']))


def _lock(req, server_id, arg):
    compute_api.lock(_ctx(req), server_id)


def _unlock(req, server_id, arg):
    compute_api.unlock(_ctx(req), server_id)


def _security_group(change, rule):
    def run(req, server_id, arg):
        from iaas.network import api as network_api
        ctx = _ctx(req)
        inst = compute_api.get(ctx, server_id, rule)
        getattr(network_api, f'{change}_security_group')(ctx, inst['uuid'],
                                                         inst['project_id'], arg['name'])
    return run


ACTIONS = {
    'os-start': _simple('start'), 'os-stop': _simple('stop'),
    'pause': _simple('pause'), 'unpause': _simple('unpause'),
    'suspend': _simple('suspend'), 'resume': _simple('resume'),
    'reboot': _reboot, 'createImage': _create_image, 'os-getConsoleOutput': _console,
    'rebuild': _rebuild, 'resize': _resize,
    'confirmResize': lambda req, sid, arg: compute_api.confirm_resize(_ctx(req), sid),
    'revertResize': lambda req, sid, arg: compute_api.revert_resize(_ctx(req), sid),
    'lock': _lock, 'unlock': _unlock,
    'addSecurityGroup': _security_group('add', P.ACTION_RULES['addSecurityGroup']),
    'removeSecurityGroup': _security_group('remove', P.ACTION_RULES['removeSecurityGroup']),
}


@wsgi.route_policy(P.SERVERS_ACTION)
@wsgi.accepts(schemas.ACTION)
def action(req, server_id):
    body = req.json()
    if len(body) != 1:
        raise wsgi.BadRequest('There is either no action or more than one in the body')
    name, arg = next(iter(body.items()))
    handler = ACTIONS.get(name)
    if handler is None:
        raise wsgi.BadRequest(f'There is no such action: {name[:64]}')
    wsgi.validate(arg, schemas.ACTIONS[name])
    # The action's own rule on the caller's project first (cheap); the compute
    # API checks it again on the server's project.
    auth.enforce(_ctx(req), P.ACTION_RULES[name])
    result = handler(req, server_id, arg)
    if result is not None:
        return result
    return _respond(req, None, 202)
