"""Config drive: an ISO9660 image labelled ``config-2`` (what cloud-init's
ConfigDrive source looks for) holding the OpenStack and EC2 layouts:

    openstack/latest/meta_data.json, user_data, network_data.json, vendor_data.json
    openstack/2012-08-10/…   (same files; the oldest version cloud-init accepts)
    ec2/latest/meta-data.json, user-data
    ec2/2009-04-04/…
"""
import base64
import binascii
import json
import os
import shutil
import subprocess
import tempfile

from iaas.compute.virt import driver

OPENSTACK_VERSIONS = ('latest', '2012-08-10')
EC2_VERSIONS = ('latest', '2009-04-04')


def user_data_bytes(instance):
    ud = instance.get('user_data')
    if not ud:
        return None
    try:
        return base64.b64decode(ud, validate=False)
    except (binascii.Error, ValueError):
        return ud.encode() if isinstance(ud, str) else ud


def meta_data(instance):
    keys = []
    if instance.get('key_data'):
        keys.append({'name': instance.get('key_name') or 'key', 'type': 'ssh',
                     'data': instance['key_data']})
    return {
        'uuid': instance['uuid'],
        'name': instance.get('display_name') or instance['uuid'],
        'hostname': instance.get('hostname') or instance.get('display_name') or 'host',
        'launch_index': instance.get('launch_index') or 0,
        'availability_zone': instance.get('availability_zone') or 'nova',
        'project_id': instance.get('project_id'),
        'meta': dict(instance.get('metadata') or {}),
        'public_keys': {k['name']: k['data'] for k in keys},
        'keys': keys,
        'devices': [],
    }


def network_data(network_info):
    """OpenStack network_data.json from Nova-style VIFs (empty when none)."""
    links, networks, dns = [], [], []
    for i, vif in enumerate(network_info or []):
        link_id = vif.get('devname') or f'tap{str(vif.get("id", i))[:11]}'
        links.append({'id': link_id, 'vif_id': vif.get('id'), 'type': 'bridge',
                      'ethernet_mac_address': vif.get('address'),
                      'mtu': (vif.get('network') or {}).get('mtu') or vif.get('mtu')})
        for j, subnet in enumerate((vif.get('network') or {}).get('subnets') or []):
            net = {'id': f'network{i}-{j}', 'link': link_id,
                   'network_id': (vif.get('network') or {}).get('id')}
            ips = subnet.get('ips') or []
            if subnet.get('dhcp', True) or not ips:
                net['type'] = 'ipv4_dhcp'
            else:
                net.update(type='ipv4', ip_address=ips[0].get('address'),
                           netmask=subnet.get('netmask'))
                if subnet.get('gateway'):
                    net['routes'] = [{'network': '0.0.0.0', 'netmask': '0.0.0.0',
                                      'gateway': subnet['gateway']}]
            networks.append(net)
            dns += [{'type': 'dns', 'address': d} for d in subnet.get('dns') or []]
    return {'links': links, 'networks': networks, 'services': dns}


def ec2_meta_data(instance):
    md = meta_data(instance)
    flavor = instance.get('flavor') or {}
    sysmeta = instance.get('system_metadata') or {}
    return {
        # the EC2 API's ids, made by the compute API at create time
        'ami-id': sysmeta.get('ec2_image_id') or instance.get('image_ref'),
        'instance-id': sysmeta.get('ec2_id') or instance['uuid'],
        'instance-type': flavor.get('name'),
        'hostname': md['hostname'], 'local-hostname': md['hostname'],
        'placement': {'availability-zone': md['availability_zone']},
        'public-keys': {k['name']: {'openssh-key': k['data']} for k in md['keys']},
        'reservation-id': instance.get('reservation_id'),
        'ami-launch-index': md['launch_index'],
        'security-groups': [],
    }


def _write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = 'wb' if isinstance(data, bytes) else 'w'
    with open(path, mode) as f:
        f.write(data)


def populate(root, instance, network_info=None):
    """Write the drive's files under ``root``."""
    md = json.dumps(meta_data(instance))
    nd = json.dumps(network_data(network_info))
    ud = user_data_bytes(instance)
    for v in OPENSTACK_VERSIONS:
        base = os.path.join(root, 'openstack', v)
        _write(os.path.join(base, 'meta_data.json'), md)
        _write(os.path.join(base, 'network_data.json'), nd)
        _write(os.path.join(base, 'vendor_data.json'), '{}')
        _write(os.path.join(base, 'vendor_data2.json'), '{}')
        if ud is not None:
            _write(os.path.join(base, 'user_data'), ud)
    ec2 = json.dumps(ec2_meta_data(instance))
    for v in EC2_VERSIONS:
        base = os.path.join(root, 'ec2', v)
        _write(os.path.join(base, 'meta-data.json'), ec2)
        if ud is not None:
            _write(os.path.join(base, 'user-data'), ud)


def _iso_tool():
    for tool in ('genisoimage', 'mkisofs'):
        if shutil.which(tool):
            return [tool]
    if shutil.which('xorriso'):
        return ['xorriso', '-as', 'mkisofs']
    raise driver.DriverError('no ISO tool (genisoimage, mkisofs or xorriso) installed')


def make_drive(path, instance, network_info=None):
    """Build the ISO at ``path`` (atomically: a temp file renamed)."""
    with tempfile.TemporaryDirectory(prefix='configdrive-') as root:
        populate(root, instance, network_info)
        tmp = f'{path}.tmp'
        cmd = _iso_tool() + ['-o', tmp, '-ldots', '-allow-lowercase', '-allow-multidot',
                             '-l', '-publisher', 'iaas', '-quiet', '-J', '-r',
                             '-V', 'config-2', root]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if r.returncode != 0:
            raise driver.DriverError(f'config drive build failed: {r.stderr.strip()[:500]}')
        os.replace(tmp, path)
    return path
