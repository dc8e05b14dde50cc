"""POST /servers/{id}/action: one body key names the action.

The route is declared with ``os_compute_api:servers:action``; the
dispatcher checks the action's own rule (Nova's name) before it runs, and
:mod:`iaas.compute.api` checks it again on the server's project (another
project's server is 404).
"""
import base64
import binascii
import re
import secrets

from iaas import wsgi
from iaas.api import auth
from iaas.api.compute import microversion as mv
from iaas.api.compute import remote_consoles, schemas
from iaas.api.compute.servers import _ctx, _detail_view, _respond, access_ips, compute_api
from iaas.compute import keypairs
from iaas.compute import policies as P
from iaas.exception import KeyPairNotFound
from iaas.network import api as network_api


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


CONTROL_CHARS = re.compile('[\x00-\x08\x0B-\x1F]')


def _console(req, server_id, arg):
    """Nova's tail: the last ``length`` pieces of the log split at newlines
    (a log ending in a newline gives length-1 lines and the newline), with
    the control characters other than tab and newline removed."""
    length = (arg or {}).get('length')
    if length is not None:
        length = schemas.int_in(length, 'length', -1)
        if length == -1:
            length = None
    if length == 0:
        compute_api.console_output(_ctx(req), server_id, 1)   # the same checks
        return _respond(req, {'output': ''})
    out = compute_api.console_output(_ctx(req), server_id,
                                     None if length is None else length + 1)
    if length is not None:
        out = '\n'.join(out.split('\n')[-length:])
    return _respond(req, {'output': CONTROL_CHARS.sub('', out)})


def _rebuild(req, server_id, arg):
    """Rebuild answers the server as update does (the full view from 2.75),
    with key_name from 2.54 and user_data from 2.57, and adminPass."""
    ctx = _ctx(req)
    v = mv.version(req)
    values = {}
    if 'description' in arg:
        if v < (2, 19):
            raise wsgi.BadRequest('description is supported from microversion 2.19')
        values['display_description'] = arg['description']
    if 'key_name' in arg:
        if v < (2, 54):
            raise wsgi.BadRequest('key_name is supported from microversion 2.54')
        values.update(_key(ctx, arg['key_name']))
    if 'user_data' in arg:
        if v < (2, 57):
            raise wsgi.BadRequest('user_data is supported from microversion 2.57')
        values['user_data'] = _user_data(arg['user_data'])
    ips = access_ips(arg)
    inst = compute_api.rebuild(ctx, server_id, arg['imageRef'], name=arg.get('name'),
                               metadata=arg.get('metadata'),
                               reimage_boot_volume=v >= (2, 93))
    if ips:
        values['system_metadata'] = {**(inst['system_metadata'] or {}), **ips}
    if values:
        inst = compute_api.update(ctx, server_id, **values)
    return _detail_view(req, ctx, inst, 202, kind='rebuild', extra={
        'adminPass': arg.get('adminPass') or secrets.token_urlsafe(9)})


def _key(ctx, name):
    """key_name and key_data of the caller's key pair ``name`` (None: none)."""
    if name is None:
        return {'key_name': None, 'key_data': None}
    try:
        kp = keypairs.get(ctx.user_id, name)
    except KeyPairNotFound:
        raise wsgi.BadRequest(f'Invalid key_name provided: {name[:255]}') from None
    return {'key_name': name, 'key_data': kp['public_key']}


def _user_data(data):
    if data is None:
        return None
    try:
        base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise wsgi.BadRequest('User data needs to be valid base 64.') from None
    return data


def _resize(req, server_id, arg):
    """The disk config is kept before the resize starts (the compute host
    keeps the old flavor in the system metadata once it has)."""
    ctx = _ctx(req)
    disk = access_ips(arg)
    if disk:
        inst = compute_api.get(ctx, server_id, P.ACTION_RULES['resize'])
        old = inst['system_metadata'] or {}
        compute_api.update(ctx, server_id, system_metadata={**old, **disk})
    try:
        compute_api.resize(ctx, server_id, str(arg['flavorRef']))
    except Exception:
        if disk:
            compute_api.update(ctx, server_id, system_metadata=old)
        raise


def _create_backup(req, server_id, arg):
    """Nova's createBackup: a snapshot with image_type 'backup' and the
    backup_type, then only the newest ``rotation`` backups of that type of
    the server are kept (0: none, and no image is named in the answer)."""
    ctx = _ctx(req)
    rotation = schemas.int_in(arg['rotation'], 'rotation', 0)
    inst = compute_api.get(ctx, server_id, P.ACTION_RULES['createBackup'])
    props = {**(arg.get('metadata') or {}), 'image_type': 'backup',
             'backup_type': arg['backup_type'], 'instance_uuid': inst['uuid']}
    image_id = compute_api.snapshot(ctx, server_id, arg['name'], props)
    compute_api.rotate_backups(ctx, inst, arg['backup_type'], rotation)
    if rotation == 0:
        return _respond(req, None, 202)
    if mv.version(req) >= (2, 45):
        return _respond(req, {'image_id': image_id}, 202)
    return _respond(req, None, 202,
                    {'Location': f'{compute_api.image_url(ctx)}/v2/images/{image_id}'})


def _force_delete(req, server_id, arg):
    """Nova's forceDelete: delete now, whatever the state (202)."""
    compute_api.delete(_ctx(req), server_id)


def _restore(req, server_id, arg):
    """Nova's restore of a soft-deleted server. Deletes here are never
    deferred, so a server that exists is in no state to restore (409)."""
    inst = compute_api.get(_ctx(req), server_id, P.ACTION_RULES['restore'])
    raise wsgi.Conflict(f"Cannot 'restore' instance {inst['uuid']} while it is in "
                        f"vm_state {inst['vm_state']}")


def _confirm_resize(req, server_id, arg):
    compute_api.confirm_resize(_ctx(req), server_id)
    return _respond(req, None, 204)


def _lock(req, server_id, arg):
    ctx = _ctx(req)
    reason = (arg or {}).get('locked_reason')
    if reason is not None and mv.version(req) < (2, 73):
        raise wsgi.BadRequest('locked_reason is supported from microversion 2.73')
    compute_api.lock(ctx, server_id)
    if reason is not None:
        inst = compute_api.get(ctx, server_id, P.ACTION_RULES['lock'])
        compute_api.update(ctx, server_id, system_metadata={
            **(inst['system_metadata'] or {}), 'locked_reason': reason})


def _unlock(req, server_id, arg):
    compute_api.unlock(_ctx(req), server_id)


def _unshelve(req, server_id, arg):
    """Nova's unshelve: ``availability_zone`` from 2.77 (null unpins it from
    2.91), ``host`` from 2.91 (admin)."""
    v = mv.version(req)
    kw = {}
    if v >= (2, 77):
        wsgi.validate(arg, schemas.UNSHELVE_V291 if v >= (2, 91) else schemas.UNSHELVE_V277)
        if arg and 'availability_zone' in arg:
            kw['availability_zone'] = arg['availability_zone']
        if arg and arg.get('host'):
            kw['host'] = arg['host']
    compute_api.unshelve(_ctx(req), server_id, **kw)


def _evacuate(req, server_id, arg):
    """Nova's evacuate: 200 with the adminPass before 2.14, empty after;
    onSharedStorage only before 2.14, force only in 2.29-2.67 (a forced
    host is checked by the scheduler here all the same)."""
    v = mv.version(req)
    arg = arg or {}
    if 'onSharedStorage' in arg and v >= (2, 14):
        raise wsgi.BadRequest('onSharedStorage is not supported from microversion 2.14')
    if 'force' in arg and not (2, 29) <= v < (2, 68):
        raise wsgi.BadRequest('force is supported in microversions 2.29 to 2.67')
    compute_api.evacuate(_ctx(req), server_id, host=arg.get('host'))
    if v < (2, 14):
        return _respond(req, {'adminPass': arg.get('adminPass') or secrets.token_urlsafe(9)})
    return _respond(req, None, 200)


def _migrate(req, server_id, arg):
    """Nova's cold migrate (202); a target host from 2.56."""
    host = (arg or {}).get('host')
    if host is not None and mv.version(req) < (2, 56):
        raise wsgi.BadRequest('host is supported from microversion 2.56')
    compute_api.migrate(_ctx(req), server_id, host=host)


def _migrate_live(req, server_id, arg):
    """Nova's os-migrateLive (admin): 202; ``host`` null lets the scheduler
    choose; ``block_migration`` true/false/"auto" (2.25+); ``force`` (2.30 to
    2.67) is accepted and ignored: a given host is always checked."""
    v = mv.version(req)
    schema = schemas.MIGRATE_LIVE_V21 if v < (2, 25) else \
        schemas.MIGRATE_LIVE_V230 if (2, 30) <= v < (2, 68) else schemas.MIGRATE_LIVE_V225
    wsgi.validate(arg, schema)
    block = arg['block_migration']
    if block != 'auto':
        block = str(block).lower() in ('true', '1', 'yes', 'on')
    compute_api.live_migrate(_ctx(req), server_id, host=arg.get('host'),
                             block_migration=block)


def _security_group(change, rule):
    def run(req, server_id, arg):
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
    'confirmResize': _confirm_resize, 'createBackup': _create_backup,
    'forceDelete': _force_delete, 'restore': _restore,
    'revertResize': lambda req, sid, arg: compute_api.revert_resize(_ctx(req), sid),
    'lock': _lock, 'unlock': _unlock,
    'shelve': lambda req, sid, arg: compute_api.shelve(_ctx(req), sid),
    'shelveOffload': lambda req, sid, arg: compute_api.shelve_offload(_ctx(req), sid),
    'unshelve': _unshelve, 'evacuate': _evacuate, 'migrate': _migrate,
    'os-migrateLive': _migrate_live,
    'os-getSerialConsole': remote_consoles.serial_action,
    'addSecurityGroup': _security_group('add', P.ACTION_RULES['addSecurityGroup']),
    'removeSecurityGroup': _security_group('remove', P.ACTION_RULES['removeSecurityGroup']),
}


# actions whose rule is checked on the server only (after the 404 of a lookup)
LOOKUP_FIRST = frozenset({'shelveOffload', 'evacuate', 'migrate', 'os-migrateLive'})


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
    # API checks it again on the server's project. An admin-only action is
    # checked there only, after the lookup, as Nova does: another project's
    # server is 404 before it is 403.
    if name not in LOOKUP_FIRST:
        auth.enforce(_ctx(req), P.ACTION_RULES[name])
    result = handler(req, server_id, arg)
    if result is not None:
        return result
    return _respond(req, None, 202)
