"""The conductor's network role: the database side of instance ports, done
for iaas-network hosts (which hold no database credentials).

A network host asks for the ports of an instance to be made (or re-bound to
a new compute host after a reschedule), deleted, or described; and for the
state it must apply on its links (:func:`iaas.db.networks.host_state`).
"""
from iaas import notifications
from iaas.db import networks as db

COMPUTE_OWNER = 'compute:nova'


def allocate(instance_uuid, project_id, requested_networks, security_groups, host):
    """Make the instance's ports bound to ``host``, or re-bind existing ones."""
    existing = db.port_list(device_id=instance_uuid)
    for p in existing:
        if p['binding:host_id'] != host:
            db.port_update(p['id'], **{'binding:host_id': host})
    if existing:
        return
    groups = _group_ids(project_id, security_groups)
    for req in _requested(project_id, requested_networks):
        if req.get('port'):
            db.port_get(req['port'], project_id)     # the project's own port
            db.port_update(req['port'], device_id=instance_uuid,
                           device_owner=COMPUTE_OWNER, **{'binding:host_id': host})
            continue
        fixed = [{'ip_address': req['fixed_ip']}] if req.get('fixed_ip') else None
        # scoped to the project: its own networks and shared ones only
        db.port_create(req['uuid'], project_id=project_id, fixed_ips=fixed,
                       device_id=instance_uuid, device_owner=COMPUTE_OWNER,
                       binding_host=host, security_groups=groups)


def deallocate(instance_uuid, context=None):
    held = [f for p in db.port_list(device_id=instance_uuid)
            for f in db.floatingip_list(port_id=p['id'])]
    gone = [p['id'] for p in db.ports_delete_for_device(instance_uuid)]
    for fip in held:     # disassociated with their port
        notifications.floating_ip_event(context, 'floatingip.update.end',
                                        dict(fip, port_id=None), service='conductor')
    return gone


def of_instance(instance_uuid):
    """[{'port', 'network', 'subnets'}] for each port of the instance."""
    out = []
    for p in db.port_list(device_id=instance_uuid):
        n = db.network_get(p['network_id'])
        out.append({'port': p, 'network': n,
                    'subnets': db.subnet_list(network_id=n['id'])})
    return out


def host_state(host):
    return db.host_state(host)


def leased(network_id, addresses):
    return db.fixed_ips_set_leased(network_id, addresses)


def _requested(project_id, requested):
    if requested in ('none', []):
        return []
    if requested in (None, 'auto'):
        nets = [n for n in db.network_list(project_id=project_id) if not n['external']]
        own = [n for n in nets if n['project_id'] == project_id] or \
            [n for n in nets if n['shared']]
        return [{'uuid': own[0]['id']}] if own else []
    out = []
    for r in requested:
        if r.get('port'):
            out.append({'port': r['port']})
        elif r.get('uuid'):
            out.append({'uuid': r['uuid'], 'fixed_ip': r.get('fixed_ip')})
    return out


def _group_ids(project_id, names):
    if not names or not project_id:
        return None
    by_name = {g['name']: g['id'] for g in db.sg_list(project_id)}
    ids = []
    for n in names:
        n = n.get('name') if isinstance(n, dict) else n
        if n == 'default':
            ids.append(db.ensure_default_group(project_id)['id'])
        elif n in by_name or n in by_name.values():
            ids.append(by_name.get(n, n))
        else:
            raise db.NotFound('Security group', n)
    return ids
