"""JSON shapes of servers, flavors and faults, as Nova answers them."""
import hashlib

from iaas import states
from iaas.wsgi import isotime


def _link(req, kind, ident):
    base = req.host_url.rstrip('/') + req.script_name
    return [{'rel': 'self', 'href': f'{base}/v2.1/{kind}/{ident}'},
            {'rel': 'bookmark', 'href': f'{base}/{kind}/{ident}'}]


def host_id(project_id, host):
    if not host:
        return ''
    return hashlib.sha224((project_id + host).encode()).hexdigest()


def server_brief(req, inst):
    return {'id': inst['uuid'], 'name': inst['display_name'],
            'links': _link(req, 'servers', inst['uuid'])}


def _flavor(req, inst, v):
    f = inst.get('flavor') or {}
    if v >= (2, 47):
        out = {'vcpus': f.get('vcpus', inst['vcpus']), 'ram': f.get('memory_mb', inst['memory_mb']),
               'disk': f.get('root_gb', inst['root_gb']),
               'ephemeral': f.get('ephemeral_gb', 0), 'swap': f.get('swap', 0),
               'original_name': f.get('name')}
        out['extra_specs'] = f.get('extra_specs') or {}
        return out
    return {'id': f.get('flavorid'), 'links': _link(req, 'flavors', f.get('flavorid'))}


def server_detail(req, inst, v, extended=False, addresses=None, groups=None):
    """``addresses``/``groups``: the server's, when the caller fetched them in
    bulk (lists); otherwise read here from its ports."""
    status = states.status(inst['vm_state'], inst['task_state'])
    if addresses is None and inst['vm_state'] != states.DELETED:
        from iaas.network import api as network_api
        addresses = network_api.addresses_for_instance(inst['uuid'])
        groups = network_api.security_groups_for_instances([inst['uuid']]).get(inst['uuid'])
    out = {
        'id': inst['uuid'], 'name': inst['display_name'], 'status': status,
        'tenant_id': inst['project_id'], 'user_id': inst['user_id'],
        'metadata': inst.get('metadata') or {},
        'hostId': host_id(inst['project_id'], inst['host']),
        'created': isotime(inst['created_at']),
        'updated': isotime(inst['updated_at'] or inst['created_at']),
        'addresses': addresses or {},
        'accessIPv4': '', 'accessIPv6': '',
        'image': {'id': inst['image_ref'], 'links': _link(req, 'images', inst['image_ref'])}
        if inst['image_ref'] else '',
        'flavor': _flavor(req, inst, v),
        'key_name': inst['key_name'],
        'config_drive': 'True' if inst['config_drive'] else '',
        'progress': inst['progress'] if status in ('BUILD', 'ACTIVE') else 0,
        'OS-DCF:diskConfig': 'MANUAL',
        'OS-EXT-AZ:availability_zone': inst['availability_zone'] or '',
        'OS-EXT-STS:power_state': inst['power_state'],
        'OS-EXT-STS:task_state': inst['task_state'],
        'OS-EXT-STS:vm_state': inst['vm_state'],
        'OS-SRV-USG:launched_at': _usg(inst['launched_at']),
        'OS-SRV-USG:terminated_at': _usg(inst['terminated_at']),
        'os-extended-volumes:volumes_attached': [],
        'security_groups': [{'name': n} for n in groups or _sg_names(inst)],
        'links': _link(req, 'servers', inst['uuid']),
    }
    if v >= (2, 9):
        out['locked'] = bool(inst['locked'])
    if v >= (2, 19):
        out['description'] = inst['display_description']
    if v >= (2, 26):
        out['tags'] = []
    if v >= (2, 63):
        out['trusted_image_certificates'] = None
    if v >= (2, 73):
        out['locked_reason'] = None
    if v >= (2, 96):
        out['pinned_availability_zone'] = None
    if extended:
        out.update({'OS-EXT-SRV-ATTR:host': inst['host'],
                    'OS-EXT-SRV-ATTR:hypervisor_hostname': inst['node'],
                    'OS-EXT-SRV-ATTR:instance_name': f'instance-{inst["id"]:08x}'})
        if v >= (2, 3):
            out.update({'OS-EXT-SRV-ATTR:hostname': inst['hostname'],
                        'OS-EXT-SRV-ATTR:reservation_id': inst['reservation_id'],
                        'OS-EXT-SRV-ATTR:launch_index': inst['launch_index'],
                        'OS-EXT-SRV-ATTR:kernel_id': '', 'OS-EXT-SRV-ATTR:ramdisk_id': '',
                        'OS-EXT-SRV-ATTR:root_device_name': '/dev/vda',
                        'OS-EXT-SRV-ATTR:user_data': inst['user_data']})
    if v >= (2, 90):
        out['OS-EXT-SRV-ATTR:hostname'] = inst['hostname']
    if inst.get('fault') and status in ('ERROR', 'DELETED'):
        f = inst['fault']
        out['fault'] = {'code': f['code'], 'message': f['message'],
                        'created': isotime(f['created'])}
        if extended and f.get('details'):
            out['fault']['details'] = f['details']
    return out


def _sg_names(inst):
    sgs = (inst.get('system_metadata') or {}).get('security_groups') or [{'name': 'default'}]
    return [g.get('name', 'default') if isinstance(g, dict) else str(g) for g in sgs]


def _usg(dt):
    return dt.replace(microsecond=dt.microsecond).isoformat() if dt else None


def flavor(req, f, v, brief=False):
    if brief:
        out = {'id': f['flavorid'], 'name': f['name'], 'links': _link(req, 'flavors',
                                                                     f['flavorid'])}
        if v >= (2, 55):
            out['description'] = f['description']
        return out
    out = {'id': f['flavorid'], 'name': f['name'], 'ram': f['memory_mb'], 'disk': f['root_gb'],
           'vcpus': f['vcpus'], 'swap': f['swap'] or '',
           'OS-FLV-EXT-DATA:ephemeral': f['ephemeral_gb'],
           'OS-FLV-DISABLED:disabled': f['disabled'],
           'os-flavor-access:is_public': f['is_public'], 'rxtx_factor': f['rxtx_factor'],
           'links': _link(req, 'flavors', f['flavorid'])}
    if v >= (2, 55):
        out['description'] = f['description']
    if v >= (2, 61):
        out['extra_specs'] = f['extra_specs']
    if v >= (2, 75) and out['swap'] == '':
        out['swap'] = 0
    return out
