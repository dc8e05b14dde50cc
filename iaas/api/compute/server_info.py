"""/servers/{id}/ips and /servers/{id}/os-server-password.

``ips``: a server's addresses by network, each ``addr`` and ``version``
only (Nova's ips view, without the OS-EXT-IPS extensions of the server
view); ``ips/{network}``: one network's, 404 when the server has none on
it. ``os-server-password``: the encrypted password the guest left for its
owner (system metadata ``password``; '' when there is none); DELETE
forgets it (it does not change the guest's password).
"""
from iaas import wsgi
from iaas.api.compute.servers import _ctx, _respond, compute_api
from iaas.compute import policies as P
from iaas.network import api as network_api


def _addresses(server_id):
    addrs = network_api.addresses_for_instance(server_id)
    return {net: [{'version': a['version'], 'addr': a['addr']} for a in items]
            for net, items in addrs.items()}


@wsgi.route_policy(P.IPS_INDEX)
def ips_index(req, server_id):
    inst = compute_api.get(_ctx(req), server_id, P.IPS_INDEX)
    return _respond(req, {'addresses': _addresses(inst['uuid'])})


@wsgi.route_policy(P.IPS_SHOW)
def ips_show(req, server_id, network):
    inst = compute_api.get(_ctx(req), server_id, P.IPS_SHOW)
    addrs = _addresses(inst['uuid'])
    if network not in addrs:
        raise wsgi.NotFound('Instance is not a member of specified network')
    return _respond(req, {network: addrs[network]})


@wsgi.route_policy(P.PASSWORD_SHOW)
def password_show(req, server_id):
    inst = compute_api.get(_ctx(req), server_id, P.PASSWORD_SHOW)
    return _respond(req, {'password': (inst['system_metadata'] or {}).get('password') or ''})


@wsgi.route_policy(P.PASSWORD_CLEAR)
def password_clear(req, server_id):
    ctx = _ctx(req)
    inst = compute_api.get(ctx, server_id, P.PASSWORD_CLEAR)
    sysmeta = dict(inst['system_metadata'] or {})
    if sysmeta.pop('password', None) is not None:
        compute_api.update(ctx, server_id, system_metadata=sysmeta)
    return _respond(req, None, 204)
