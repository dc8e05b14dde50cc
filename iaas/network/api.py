"""The network service as the API layer sees it: the records (from the DB
facade) plus a live refresh of every iaas-network host after a change that
alters host-side state (ports, floating IPs, security groups and rules).

The REST application imports only this module.
"""
import functools
import inspect
import ipaddress
import logging

from iaas import notifications
from iaas.billing import enforcement as budget
from iaas.db import instances as db_instances
from iaas.db import networks as db
from iaas.db import routers as db_routers
from iaas.exception import (  # noqa: F401  (the errors of this API)
    Conflict,
    Invalid,
    NetworkError,
    NotFound,
    ProjectRequired,
)
from iaas.network import ipam, rpcapi

LOG = logging.getLogger(__name__)


class _AllProjects:
    def __repr__(self):
        return 'ALL_PROJECTS'


# ``project_id`` of a call that spans every project (the caller passed the
# collection's policy rule for any project: Neutron's admin). ``None`` is
# refused: a caller without a project never reads or changes "everything".
ALL_PROJECTS = _AllProjects()

_rpc = None


def _scoped(func):
    """``func`` with its ``project_id`` argument checked: ALL_PROJECTS → no
    filter (the DB's None), None or missing → ProjectRequired (403)."""
    sig = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        bound = sig.bind(*args, **kwargs)
        project = bound.arguments.get('project_id')
        if project is None:
            raise ProjectRequired('This request requires a project.')
        if project is ALL_PROJECTS:
            bound.arguments['project_id'] = None
        return func(*bound.args, **bound.kwargs)
    return wrapper


def _notify(context):
    """Fanout ``refresh`` to every network host; a bus problem never fails the
    API call (each host also resyncs periodically)."""
    global _rpc
    try:
        if _rpc is None:
            _rpc = rpcapi.NetworkAPI()
        _rpc.refresh(context)
    except Exception:
        LOG.warning('could not notify the network hosts', exc_info=True)


def _notifying(func):
    func = _scoped(func)

    @functools.wraps(func)
    def wrapper(context, *args, **kwargs):
        out = func(*args, **kwargs)
        _notify(context)
        return out
    return wrapper


# reads: project_id is the caller's project or ALL_PROJECTS, never None
network_get = _scoped(db.network_get)
network_list = _scoped(db.network_list)
network_usable_exists = _scoped(db.network_usable_exists)
subnet_get = _scoped(db.subnet_get)
subnet_list = _scoped(db.subnet_list)
port_get = _scoped(db.port_get)
port_list = _scoped(db.port_list)
floatingip_get = _scoped(db.floatingip_get)
floatingip_list = _scoped(db.floatingip_list)
sg_get = _scoped(db.sg_get)
sg_list = _scoped(db.sg_list)
rule_get = _scoped(db.rule_get)
rule_list = _scoped(db.rule_list)
ensure_default_group = _scoped(db.ensure_default_group)
router_get = _scoped(db_routers.router_get)
router_list = _scoped(db_routers.router_list)
check_fixed_ips_count = ipam.check_fixed_ips_count


def check_fixed_ip(network_uuid, fixed_ip):
    """Invalid (400) unless ``fixed_ip`` is an IP address inside a subnet of
    network ``network_uuid``: a server asking for ``networks: [{"uuid",
    "fixed_ip"}]`` is refused before it is accepted, not left in ERROR."""
    if fixed_ip is not None:
        ipam.check_fixed_ip([sn['cidr'] for sn in db.subnet_list(network_id=network_uuid)],
                            network_uuid, fixed_ip)


def instance_for_address(address, network_id=None):
    """(instance dict, port dict) of the live instance holding fixed IP
    ``address`` on network ``network_id``, or (None, None). Without the
    network, only an address no other network's port holds is answered.
    For the metadata server."""
    found = db.fixed_ip_lookup(address, network_id)
    if not found or not found['device_id']:
        return None, None
    try:
        # the port's project must own the instance: a port whose device_id a
        # user set to someone else's instance reveals nothing
        inst = db_instances.get(found['device_id'], project_id=found['project_id'])
    except db_instances.InstanceNotFound:
        return None, None
    return inst, db.port_get(found['port_id'])


def device_project(device_id):
    """Project of the (not deleted) server ``device_id`` names, or None when
    it names no server (Neutron lets device_id be any string)."""
    if not device_id:
        return None
    try:
        return db_instances.get(device_id)['project_id']     # any project's
    except db_instances.InstanceNotFound:
        return None


def addresses_for_instance(instance_uuid):
    """Nova's ``addresses`` of a server: {network name: [{'addr', 'version',
    'OS-EXT-IPS:type' (fixed|floating), 'OS-EXT-IPS-MAC:mac_addr'}]}; only
    ports of the server's own project count."""
    return addresses_for_instances([instance_uuid])[instance_uuid]


def floating_for_port(port_id):
    return [f['floating_ip_address'] for f in db.floatingip_list(port_id=port_id)]


# writes: (context, *db args)
network_create = _notifying(db.network_create)
network_update = _notifying(db.network_update)
network_delete = _notifying(db.network_delete)
subnet_create = _notifying(db.subnet_create)
subnet_update = _notifying(db.subnet_update)
subnet_delete = _notifying(db.subnet_delete)
port_create = _notifying(db.port_create)
port_update = _notifying(db.port_update)
_port_delete = _notifying(db.port_delete)
_floatingip_create = _notifying(db.floatingip_create)
_floatingip_update = _notifying(db.floatingip_update)
_floatingip_delete = _notifying(db.floatingip_delete)
sg_create = _notifying(db.sg_create)
sg_update = _notifying(db.sg_update)
sg_delete = _notifying(db.sg_delete)
rule_create = _notifying(db.rule_create)
rule_delete = _notifying(db.rule_delete)
router_create = _notifying(db_routers.router_create)
router_update = _notifying(db_routers.router_update)
router_delete = _notifying(db_routers.router_delete)
router_add_interface = _notifying(db_routers.add_interface)
router_remove_interface = _notifying(db_routers.remove_interface)
ROUTER_PORT_OWNERS = (db_routers.INTERFACE, db_routers.GATEWAY)


# floating IPs and ports: the writes above, plus their usage events
def floatingip_create(context, floating_network_id, project_id, *args, **kwargs):
    budget.check(project_id, 'floating IPs')
    fip = _floatingip_create(context, floating_network_id, project_id, *args, **kwargs)
    notifications.floating_ip_event(context, 'floatingip.create.end', fip,
                                    service='network-api')
    return fip


def floatingip_update(context, uuid, project_id=None, *args, **kwargs):
    """floatingip.update.end when the association changed (not for a description)."""
    before = floatingip_get(uuid, project_id)
    fip = _floatingip_update(context, uuid, project_id, *args, **kwargs)
    if fip['port_id'] != before['port_id']:
        notifications.floating_ip_event(context, 'floatingip.update.end', fip,
                                        service='network-api')
    return fip


def floatingip_delete(context, uuid, project_id=None):
    before = floatingip_get(uuid, project_id)
    _floatingip_delete(context, uuid, project_id)
    notifications.floating_ip_event(context, 'floatingip.delete.end', before, 'deleted',
                                    service='network-api')


def port_delete(context, uuid, project_id=None):
    """Delete a port; its floating IPs are disassociated (floatingip.update.end)."""
    held = db.floatingip_list(port_id=uuid)
    _port_delete(context, uuid, project_id)
    for fip in held:
        notifications.floating_ip_event(context, 'floatingip.update.end',
                                        dict(fip, port_id=None), service='network-api')


def security_groups_for_instances(instance_uuids):
    """{uuid: [group names]} for the servers among ``instance_uuids`` that
    have ports (Nova reads a server's groups from its ports too)."""
    return db.groups_by_device(instance_uuids)


def find_security_group(project_id, group):
    """Project ``project_id``'s security group with id or name ``group``
    (NotFound; Conflict when the name is ambiguous)."""
    if not project_id or project_id is ALL_PROJECTS:
        raise ProjectRequired('A security group is looked up in a project.')
    if group == 'default':
        return db.ensure_default_group(project_id)
    groups = db.sg_list(project_id)
    found = [g for g in groups if g['id'] == group] or \
        [g for g in groups if g['name'] == group]
    if not found:
        raise NotFound('Security group', group)
    if len(found) > 1:
        raise Conflict(f'Multiple security groups are named {group}; give its ID.',
                       type='NoUniqueMatch')
    return found[0]


def add_security_group(context, instance_uuid, project_id, group):
    """Nova's addSecurityGroup: the group (the instance's project's, by id or
    name) joins every port of the instance; applied live on the hosts."""
    g = find_security_group(project_id, group)
    ports = db.port_list(project_id, device_id=instance_uuid)
    if not ports:
        raise NotFound('Port of instance', instance_uuid)
    if not all(p['port_security_enabled'] for p in ports):
        raise Invalid('Network requires port_security_enabled and subnet associated in '
                      'order to apply security groups.')
    for p in ports:
        if g['id'] not in p['security_groups']:
            db.port_update(p['id'], security_groups=[*p['security_groups'], g['id']])
    _notify(context)
    return g


def remove_security_group(context, instance_uuid, project_id, group):
    """Nova's removeSecurityGroup: the group leaves every port of the instance
    (404 when none of them has it)."""
    g = find_security_group(project_id, group)
    ports = [p for p in db.port_list(project_id, device_id=instance_uuid)
             if g['id'] in p['security_groups']]
    if not ports:
        raise NotFound(f'Security group {group} on instance', instance_uuid)
    for p in ports:
        db.port_update(p['id'], security_groups=[x for x in p['security_groups']
                                                 if x != g['id']])
    _notify(context)
    return g


def addresses_for_instances(instance_uuids):
    """{uuid: Nova ``addresses``} for many servers in two queries (list views);
    only ports of each server's own project count."""
    out = {}
    for uuid, rows in db.addresses_by_device(instance_uuids).items():
        addrs = {}
        for name, mac, address, kind in rows:
            addrs.setdefault(name, []).append({
                'addr': address, 'version': ipaddress.ip_address(address).version,
                'OS-EXT-IPS:type': kind, 'OS-EXT-IPS-MAC:mac_addr': mac})
        out[uuid] = addrs
    return out
