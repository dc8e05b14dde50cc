"""JSON shapes of servers, flavors and faults, as Nova answers them."""
import hashlib

from iaas import states
from iaas.compute import server_groups
from iaas.network import api as network_api
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


PROGRESS_STATUSES = ('ACTIVE', 'BUILD', 'REBUILD', 'RESIZE', 'VERIFY_RESIZE', 'MIGRATING')
FAULT_STATUSES = ('ERROR', 'DELETED')


def access_ips(inst):
    sysmeta = inst.get('system_metadata') or {}
    return sysmeta.get('access_ip_v4') or '', sysmeta.get('access_ip_v6') or ''


def server_detail(req, inst, v, extended=False, addresses=None, groups=None, kind='show'):
    """A server as Nova's view builder shows it for ``kind``: 'show' (GET
    /servers/{id}), 'list' (GET /servers/detail), 'update' (PUT) or
    'rebuild'. Before 2.75 update and rebuild answer the basic view only
    (no OS-EXT-*, OS-SRV-USG, key_name, config_drive, security groups, nor
    the address extensions); from 2.75 everything ``show`` has.
    ``addresses``/``groups``: the server's, when the caller fetched them in
    bulk (lists); otherwise read here from its ports."""
    status = states.status(inst['vm_state'], inst['task_state'])
    if addresses is None and inst['vm_state'] != states.DELETED:
        addresses = network_api.addresses_for_instance(inst['uuid'])
        groups = network_api.security_groups_for_instances([inst['uuid']]).get(inst['uuid'])
    full = kind in ('show', 'list') or v >= (2, 75)
    v4, v6 = access_ips(inst)
    out = {
        'id': inst['uuid'], 'name': inst['display_name'], 'status': status,
        'tenant_id': inst['project_id'], 'user_id': inst['user_id'],
        'metadata': inst.get('metadata') or {},
        'hostId': host_id(inst['project_id'], inst['host']),
        'created': isotime(inst['created_at']),
        'updated': isotime(inst['updated_at'] or inst['created_at']),
        'addresses': _addresses(addresses, extend=full),
        'accessIPv4': v4, 'accessIPv6': v6,
        'image': {'id': inst['image_ref'], 'links': _link(req, 'images', inst['image_ref'])}
        if inst['image_ref'] and not (inst.get('system_metadata') or {}).get(
            'boot_from_volume') else '',
        'flavor': _flavor(req, inst, v),
        'OS-DCF:diskConfig': (inst.get('system_metadata') or {}).get('disk_config')
        or 'MANUAL',
        'links': _link(req, 'servers', inst['uuid']),
    }
    if status in PROGRESS_STATUSES:
        out['progress'] = inst['progress'] or 0
    if full:
        out.update({
            'OS-EXT-AZ:availability_zone': inst['availability_zone'] or '',
            'config_drive': 'True' if inst['config_drive'] else '',
            'key_name': inst['key_name'],
            'OS-SRV-USG:launched_at': _usg(inst['launched_at']),
            'OS-SRV-USG:terminated_at': _usg(inst['terminated_at']),
            'OS-EXT-STS:task_state': inst['task_state'],
            'OS-EXT-STS:vm_state': inst['vm_state'],
            'OS-EXT-STS:power_state': inst['power_state'],
            'os-extended-volumes:volumes_attached': _volumes_attached(inst, v),
        })
        if groups:      # Nova: no key at all for a server without groups
            out['security_groups'] = [{'name': n} for n in groups]
    elif kind == 'rebuild' and v >= (2, 54):
        out['key_name'] = inst['key_name']
    if v >= (2, 9):
        out['locked'] = bool(inst['locked'])
    if v >= (2, 19):
        out['description'] = inst['display_description']
    if v >= (2, 26):
        out['tags'] = list((inst.get('system_metadata') or {}).get('tags') or [])
    if v >= (2, 63):
        out['trusted_image_certificates'] = None
    if v >= (2, 71) and kind != 'list':
        out['server_groups'] = _server_groups(inst)
    if v >= (2, 73):
        out['locked_reason'] = (inst.get('system_metadata') or {}).get('locked_reason') \
            if inst['locked'] else None
    if v >= (2, 96):
        out['pinned_availability_zone'] = None
    if extended and full:
        out.update({'OS-EXT-SRV-ATTR:host': inst['host'],
                    'OS-EXT-SRV-ATTR:hypervisor_hostname': inst['node'],
                    'OS-EXT-SRV-ATTR:instance_name': f'instance-{inst["id"]:08x}'})
        if v >= (2, 3):
            out.update({'OS-EXT-SRV-ATTR:hostname': inst['hostname'],
                        'OS-EXT-SRV-ATTR:reservation_id': inst['reservation_id'],
                        'OS-EXT-SRV-ATTR:launch_index': inst['launch_index'],
                        'OS-EXT-SRV-ATTR:kernel_id': '', 'OS-EXT-SRV-ATTR:ramdisk_id': '',
                        'OS-EXT-SRV-ATTR:root_device_name': '/dev/vda'})
            if kind != 'rebuild':
                out['OS-EXT-SRV-ATTR:user_data'] = inst['user_data']
    if v >= (2, 90):
        out['OS-EXT-SRV-ATTR:hostname'] = inst['hostname']
    if kind == 'rebuild' and v >= (2, 57):
        out['user_data'] = inst['user_data']
    if inst.get('fault') and status in FAULT_STATUSES:
        f = inst['fault']
        out['fault'] = {'code': f['code'], 'message': f['message'],
                        'created': isotime(f['created'])}
        if extended and f.get('details'):
            out['fault']['details'] = f['details']
    return out


def _addresses(addresses, extend=True):
    """Nova's ``addresses``; without ``extend`` (update/rebuild before 2.75)
    only ``addr`` and ``version`` of each."""
    if extend or not addresses:
        return addresses or {}
    return {net: [{'addr': a['addr'], 'version': a['version']} for a in items]
            for net, items in addresses.items()}


def _volumes_attached(inst, v):
    out = []
    for a in inst.get('volumes_attached') or ():
        item = {'id': a['volume_id']}
        if v >= (2, 3):
            item['delete_on_termination'] = bool(a['delete_on_termination'])
        out.append(item)
    return out


def _server_groups(inst):
    g = server_groups.group_of(inst['uuid'])
    return [g['uuid']] if g else []


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
