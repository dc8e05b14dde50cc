"""POST /servers/{id}/action: one body key names the action."""
from iaas import wsgi
from iaas.api.compute import microversion as mv
from iaas.api.compute.servers import _ctx, _respond, compute_api


def _simple(name):
    def run(req, server_id, arg):
        compute_api.action(_ctx(req), server_id, name)
    return run


def _reboot(req, server_id, arg):
    kind = (arg or {}).get('type') if isinstance(arg, dict) else None
    if not isinstance(kind, str) or kind.upper() not in ('SOFT', 'HARD'):
        raise wsgi.BadRequest("Invalid input for field/attribute reboot: 'type' must be "
                              "'SOFT' or 'HARD'")
    compute_api.reboot(_ctx(req), server_id, kind.upper())


def _create_image(req, server_id, arg):
    if not isinstance(arg, dict) or not isinstance(arg.get('name'), str) \
            or not arg['name'].strip():
        raise wsgi.BadRequest('createImage requires a name')
    md = arg.get('metadata') or {}
    if not isinstance(md, dict):
        raise wsgi.BadRequest('metadata must be an object')
    image_id = compute_api.snapshot(_ctx(req), server_id, arg['name'], md)
    port_base = compute_api.image_url(_ctx(req))
    if mv.version(req) >= (2, 45):
        return _respond(req, {'image_id': image_id}, 202)
    return _respond(req, None, 202, {'Location': f'{port_base}/v2/images/{image_id}'})


def _console(req, server_id, arg):
    length = (arg or {}).get('length') if isinstance(arg, dict) else None
    if length is not None:
        try:
            length = int(length)
        except (TypeError, ValueError):
            raise wsgi.BadRequest('length must be an integer') from None
        if length < -1:
            raise wsgi.BadRequest('length must be >= -1')
        if length == -1:
            length = None
    out = compute_api.console_output(_ctx(req), server_id, length)
    return _respond(req, {'output': out})


def _rebuild(req, server_id, arg):
    if not isinstance(arg, dict) or not arg.get('imageRef'):
        raise wsgi.BadRequest('rebuild requires imageRef')
    from iaas.api.compute import views
    ctx = _ctx(req)
    inst = compute_api.rebuild(ctx, server_id, arg['imageRef'], name=arg.get('name'),
                               metadata=arg.get('metadata'))
    return _respond(req, {'server': views.server_detail(req, inst, mv.version(req),
                                                        ctx.is_admin)}, 202)


def _resize(req, server_id, arg):
    if not isinstance(arg, dict) or not arg.get('flavorRef'):
        raise wsgi.BadRequest('resize requires flavorRef')
    compute_api.resize(_ctx(req), server_id, str(arg['flavorRef']))


def _lock(req, server_id, arg):
    compute_api.lock(_ctx(req), server_id)


def _unlock(req, server_id, arg):
    compute_api.unlock(_ctx(req), server_id)


def _security_group(change):
    def run(req, server_id, arg):
        if not isinstance(arg, dict) or not isinstance(arg.get('name'), str) \
                or not arg['name'].strip():
            raise wsgi.BadRequest(f'{change}SecurityGroup requires a security group name')
        from iaas.network import api as network_api
        ctx = _ctx(req)
        inst = compute_api.get(ctx, server_id)
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
    'addSecurityGroup': _security_group('add'),
    'removeSecurityGroup': _security_group('remove'),
}


def action(req, server_id):
    body = req.json()
    if len(body) != 1:
        raise wsgi.BadRequest('There is either no action or more than one in the body')
    name, arg = next(iter(body.items()))
    handler = ACTIONS.get(name)
    if handler is None:
        raise wsgi.BadRequest(f'There is no such action: {name}')
    result = handler(req, server_id, arg)
    if result is not None:
        return result
    return _respond(req, None, 202)
