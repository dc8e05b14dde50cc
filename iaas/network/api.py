"""The network service as the API layer sees it: the records (from the DB
facade) plus a live refresh of every iaas-network host after a change that
alters host-side state (ports, floating IPs, security groups and rules).

The REST application imports only this module.
"""
import logging

from iaas.db import networks as db
from iaas.network import rpcapi

LOG = logging.getLogger(__name__)

NetworkError = db.NetworkError
NotFound = db.NotFound
Conflict = db.Conflict
Invalid = db.Invalid

_rpc = None


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
    def wrapper(context, *args, **kwargs):
        out = func(*args, **kwargs)
        _notify(context)
        return out
    wrapper.__name__ = func.__name__
    wrapper.__doc__ = func.__doc__
    return wrapper


# reads
network_get = db.network_get
network_list = db.network_list
subnet_get = db.subnet_get
subnet_list = db.subnet_list
port_get = db.port_get
port_list = db.port_list
floatingip_get = db.floatingip_get
floatingip_list = db.floatingip_list
sg_get = db.sg_get
sg_list = db.sg_list
rule_get = db.rule_get
rule_list = db.rule_list
ensure_default_group = db.ensure_default_group
fixed_ip_lookup = db.fixed_ip_lookup

def instance_for_address(address):
    """(instance dict, port dict) of the live instance holding fixed IP
    ``address``, or (None, None). For the metadata server."""
    from iaas.db import instances as db_instances
    found = db.fixed_ip_lookup(address)
    if not found or not found['device_id']:
        return None, None
    try:
        # the port's project must own the instance: a port whose device_id a
        # user set to someone else's instance reveals nothing
        inst = db_instances.get(found['device_id'], project_id=found['project_id'])
    except db_instances.InstanceNotFound:
        return None, None
    return inst, db.port_get(found['port_id'])


def addresses_for_instance(instance_uuid):
    """Nova's ``addresses`` of a server: {network name: [{'addr', 'version',
    'OS-EXT-IPS:type' (fixed|floating), 'OS-EXT-IPS-MAC:mac_addr'}]}."""
    import ipaddress
    out = {}
    for p in db.port_list(device_id=instance_uuid):
        name = db.network_get(p['network_id'])['name'] or p['network_id']
        rows = out.setdefault(name, [])
        for ip in p['fixed_ips']:
            rows.append({'addr': ip['ip_address'],
                         'version': ipaddress.ip_address(ip['ip_address']).version,
                         'OS-EXT-IPS:type': 'fixed',
                         'OS-EXT-IPS-MAC:mac_addr': p['mac_address']})
        for f in db.floatingip_list(port_id=p['id']):
            rows.append({'addr': f['floating_ip_address'], 'version': 4,
                         'OS-EXT-IPS:type': 'floating',
                         'OS-EXT-IPS-MAC:mac_addr': p['mac_address']})
    return out


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
port_delete = _notifying(db.port_delete)
floatingip_create = _notifying(db.floatingip_create)
floatingip_update = _notifying(db.floatingip_update)
floatingip_delete = _notifying(db.floatingip_delete)
sg_create = _notifying(db.sg_create)
sg_update = _notifying(db.sg_update)
sg_delete = _notifying(db.sg_delete)
rule_create = _notifying(db.rule_create)
rule_delete = _notifying(db.rule_delete)


def security_groups_for_instances(instance_uuids):
    """{uuid: [group names]} for the servers among ``instance_uuids`` that
    have ports (Nova reads a server's groups from its ports too)."""
    return db.groups_by_device(instance_uuids)


def find_security_group(project_id, group):
    """Project ``project_id``'s security group with id or name ``group``
    (NotFound; Conflict when the name is ambiguous)."""
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
    ports = db.port_list(device_id=instance_uuid)
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
    ports = [p for p in db.port_list(device_id=instance_uuid)
             if g['id'] in p['security_groups']]
    if not ports:
        raise NotFound(f'Security group {group} on instance', instance_uuid)
    for p in ports:
        db.port_update(p['id'], security_groups=[x for x in p['security_groups']
                                                 if x != g['id']])
    _notify(context)
    return g


def addresses_for_instances(instance_uuids):
    """{uuid: Nova ``addresses``} for many servers in two queries (list views)."""
    import ipaddress
    out = {}
    for uuid, rows in db.addresses_by_device(instance_uuids).items():
        addrs = {}
        for name, mac, address, kind in rows:
            addrs.setdefault(name, []).append({
                'addr': address, 'version': ipaddress.ip_address(address).version,
                'OS-EXT-IPS:type': kind, 'OS-EXT-IPS-MAC:mac_addr': mac})
        out[uuid] = addrs
    return out
