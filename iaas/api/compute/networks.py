"""/v2.1/os-networks: Nova's proxy of the network service (microversions
2.1-2.35; 404 from 2.36, as Nova). Nova answers only each network's id
and its name as ``label`` now that nova-network is gone; every other field
of the old view is null (the admin view has more of them, all null)."""
from iaas import wsgi
from iaas.api.compute import microversion as mv
from iaas.api.compute.servers import _ctx, _respond
from iaas.compute import policies as P
from iaas.identity import policy
from iaas.network import api as network_api

MAX_PROXY = (2, 35)
FIELDS = ('id', 'cidr', 'netmask', 'gateway', 'broadcast', 'dns1', 'dns2', 'cidr_v6',
          'gateway_v6', 'label', 'netmask_v6')
ADMIN_FIELDS = ('created_at', 'updated_at', 'deleted_at', 'deleted', 'injected', 'bridge',
                'vlan', 'vpn_public_address', 'vpn_public_port', 'vpn_private_address',
                'dhcp_start', 'project_id', 'host', 'bridge_interface', 'multi_host',
                'priority', 'rxtx_base', 'mtu', 'dhcp_server', 'enable_dhcp',
                'share_address')


def _admin(ctx):
    return policy.check(ctx, 'admin_required', {'project_id': ctx.project_id})


def _view(net, admin):
    out = dict.fromkeys(FIELDS + (ADMIN_FIELDS if admin else ()))
    out.update(id=net['id'], label=net['name'])
    return out


def _scope(req):
    """(the project whose networks the caller sees or ALL_PROJECTS, admin?)."""
    if mv.version(req) > MAX_PROXY:
        raise wsgi.NotFound('The resource could not be found.')
    ctx = _ctx(req)
    admin = _admin(ctx)
    return (network_api.ALL_PROJECTS if admin else ctx.project_id), admin


@wsgi.route_policy(P.NETWORKS_LIST)
def index(req):
    project, admin = _scope(req)
    return _respond(req, {'networks': [_view(n, admin)
                                       for n in network_api.network_list(project_id=project)]})


@wsgi.route_policy(P.NETWORKS_SHOW)
def show(req, network_id):
    project, admin = _scope(req)
    try:
        net = network_api.network_get(network_id, project_id=project)
    except network_api.NotFound:
        raise wsgi.NotFound('Network not found') from None
    return _respond(req, {'network': _view(net, admin)})
