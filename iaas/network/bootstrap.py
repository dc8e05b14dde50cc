"""First start of the all-in-one: devstack's network layout, so guests have a
working network out of the box (``[network] create_default_networks``).

For the admin project: the external network ``public`` on the host-only
bridge ``[network] public_interface`` (its range that of
``public_bridge_address``, whose address the host holds: iaas-network puts
it on the bridge), the network ``private`` with a DHCP subnet
``default_private_cidr``, the router ``router1`` (gateway on public,
interface on private) and ingress ICMP and TCP 22 in the project's default
security group. Floating IPs come from ``public``; the host reaches them
and outbound traffic leaves masqueraded (see iaas-network).

Runs once: a marker file in ``state_path`` keeps a later start from making
again what an operator deleted. Nothing is made when one of the two ranges
overlaps an address or route the host has on a link that is not ours.
"""
import ipaddress
import logging
import os
import socket

from pyroute2 import IPRoute

from iaas.conf import CONF
from iaas.db import identity as db_identity
from iaas.db import networks as db
from iaas.db import routers as db_routers
from iaas.identity import bootstrap as identity_bootstrap

LOG = logging.getLogger(__name__)

MARKER = 'default-networks-created'
PUBLIC, PRIVATE, ROUTER = 'public', 'private', 'router1'
# (protocol, port) opened in the default group: ping and ssh from anywhere
OPEN_INGRESS = [('icmp', None), ('tcp', 22)]


def first_start(admin_password):
    """iaas-all hook (after the identity bootstrap)."""
    cfg = CONF.network
    if not cfg.create_default_networks:
        return
    marker = os.path.join(CONF.state_path, MARKER)
    if os.path.exists(marker):
        return
    if not (cfg.public_interface and cfg.public_bridge_address):
        LOG.warning('create_default_networks needs [network] public_interface and '
                    'public_bridge_address: no default networks made')
        return
    public = ipaddress.ip_interface(cfg.public_bridge_address).network
    private = ipaddress.ip_network(cfg.default_private_cidr)
    clash = [] if cfg.netns else host_overlaps([public, private], _ours)
    if clash:
        msg = ('default networks not made: their ranges overlap this host\'s '
               + ', '.join(clash) + '; choose others ([network] public_bridge_address, '
               'default_private_cidr)')
        LOG.error(msg)
        print(f'iaas-all: {msg}', flush=True)
        return
    project = db_identity.project_get_by_name(
        'admin', identity_bootstrap.DEFAULT_DOMAIN_ID)['id']
    create_defaults(project)
    with open(marker, 'w') as f:
        f.write('public, private, router1 and the default group rules were made; '
                'delete this file to have iaas-all make what is missing again\n')


def _ours(dev):
    cfg = CONF.network
    return dev == cfg.public_interface or dev.startswith(cfg.bridge_prefix)


def host_overlaps(nets, ours=lambda dev: False):
    """'ADDRESS dev DEV' / 'route DST dev DEV' of this namespace's IPv4
    addresses and routes (main table) that overlap one of ``nets``, on
    links for which ``ours(name)`` is false (a default route overlaps
    nothing)."""
    out = []
    with IPRoute() as ipr:
        names = {link['index']: link.get_attr('IFLA_IFNAME') for link in ipr.get_links()}
        found = [(f'{a.get_attr("IFA_ADDRESS")}/{a["prefixlen"]}', names.get(a['index'], '?'))
                 for a in ipr.get_addr(family=socket.AF_INET)]
        for r in ipr.get_routes(family=socket.AF_INET, table=254):
            if r['dst_len']:
                found.append((f'route {r.get_attr("RTA_DST")}/{r["dst_len"]}',
                              names.get(r.get_attr('RTA_OIF'), '?')))
    for what, dev in found:
        net = ipaddress.ip_interface(what.split()[-1]).network
        if not ours(dev) and any(net.overlaps(n) for n in nets):
            out.append(f'{what} dev {dev}')
    return out


def create_defaults(project):
    """Make what is missing of the layout for ``project``; returns
    {'public': network, 'private': network, 'router': router}."""
    cfg = CONF.network
    gateway = ipaddress.ip_interface(cfg.public_bridge_address)
    public = _network(PUBLIC, project, external=True, bridge=cfg.public_interface,
                      physical_interface=cfg.public_interface)
    _subnet(public, f'{PUBLIC}-subnet', str(gateway.network), project,
            gateway_ip=str(gateway.ip), enable_dhcp=False)
    seg = cfg.segment_type if cfg.network_manager == 'segmented' else 'flat'
    lo, hi = (int(x) for x in cfg.segment_range.split(':'))
    private = _network(PRIVATE, project, segment_type=seg, segment_range=(lo, hi),
                       bridge_prefix=cfg.bridge_prefix,
                       physical_interface=cfg.physical_interface)
    sub = _subnet(private, f'{PRIVATE}-subnet', cfg.default_private_cidr, project)
    router = next((r for r in db_routers.router_list(project) if r['name'] == ROUTER), None)
    if router is None:
        router = db_routers.router_create(project, name=ROUTER,
                                          external_gateway_info={'network_id': public['id']})
        db_routers.add_interface(router['id'], project, subnet_id=sub['id'])
    group = db.ensure_default_group(project)
    have = {(r['protocol'], r['port_range_min']) for r in group['security_group_rules']
            if r['direction'] == 'ingress' and r['ethertype'] == 'IPv4'
            and not r['remote_group_id']}
    for proto, port in OPEN_INGRESS:
        if (proto, port) not in have:
            db.rule_create(group['id'], 'ingress', project, protocol=proto,
                           port_range_min=port, port_range_max=port,
                           remote_ip_prefix='0.0.0.0/0')
    LOG.info('default networks: public %s, private %s, router %s',
             public['id'], private['id'], router['id'])
    return {'public': public, 'private': private, 'router': router}


def _network(name, project, **kw):
    found = [n for n in db.network_list(project, name=name) if n['project_id'] == project]
    if found:
        return found[0]
    return db.network_create(name=name, project_id=project, mtu=1450, **kw)


def _subnet(network, name, cidr, project, **kw):
    for sn in db.subnet_list(project, network_id=network['id']):
        if sn['cidr'] == str(ipaddress.ip_network(cidr)):
            return sn
    return db.subnet_create(network['id'], cidr, project_id=project, name=name, **kw)
