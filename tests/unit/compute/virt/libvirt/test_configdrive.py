"""Config drive: an ISO9660 labelled config-2 with OpenStack and EC2 layouts."""
import base64
import json
import subprocess

from iaas.common import inspection
from iaas.compute.virt.libvirt import configdrive

INST = {'uuid': '7d1f0c2e-aaaa-4bbb-8ccc-dddd00001111', 'id': 42,
        'display_name': 'vm1', 'hostname': 'vm1', 'project_id': 'proj',
        'key_name': 'k1', 'key_data': 'ssh-ed25519 AAAAC3Nza test@x',
        'user_data': base64.b64encode(b'#!/bin/sh\necho hello\n').decode(),
        'metadata': {'role': 'web'}, 'availability_zone': 'nova', 'image_ref': 'img',
        'flavor': {'name': 'm1.nano'},
        'system_metadata': {'ec2_id': 'i-0123456789abcdef0', 'ec2_image_id': 'ami-0fedcba9'}}


def iso_file(iso, path):
    r = subprocess.run(['isoinfo', '-R', '-i', str(iso), '-x', path], capture_output=True,
                       check=True)
    return r.stdout


def test_iso_label_and_files(tmp_path):
    iso = tmp_path / 'disk.config'
    vifs = [{'id': 'port1', 'address': 'fa:16:3e:00:00:09', 'devname': 'tapport1',
             'network': {'id': 'net1', 'bridge': 'br1',
                         'subnets': [{'dhcp': True, 'dns': ['10.0.0.2']}]}}]
    configdrive.make_drive(str(iso), INST, vifs)
    data = iso.read_bytes()
    assert inspection.inspect_file(str(iso)).format == 'iso'
    assert data[0x8028:0x8028 + 32].decode().strip() == 'config-2'
    md = json.loads(iso_file(iso, '/openstack/latest/meta_data.json'))
    assert md['uuid'] == INST['uuid'] and md['hostname'] == 'vm1'
    assert md['public_keys'] == {'k1': INST['key_data']}
    assert md['meta'] == {'role': 'web'}
    assert iso_file(iso, '/openstack/latest/user_data') == b'#!/bin/sh\necho hello\n'
    assert json.loads(iso_file(iso, '/openstack/2012-08-10/meta_data.json')) == md
    nd = json.loads(iso_file(iso, '/openstack/latest/network_data.json'))
    assert nd['links'][0]['ethernet_mac_address'] == 'fa:16:3e:00:00:09'
    assert nd['networks'][0]['type'] == 'ipv4_dhcp'
    assert nd['services'] == [{'type': 'dns', 'address': '10.0.0.2'}]
    ec2 = json.loads(iso_file(iso, '/ec2/latest/meta-data.json'))
    assert ec2['instance-id'] == 'i-0123456789abcdef0'        # the EC2 API's ids
    assert ec2['ami-id'] == 'ami-0fedcba9'
    assert ec2['public-keys']['k1']['openssh-key'] == INST['key_data']
    assert iso_file(iso, '/ec2/2009-04-04/user-data') == b'#!/bin/sh\necho hello\n'
    assert not (tmp_path / 'disk.config.tmp').exists()


def test_no_user_data_no_network(tmp_path):
    inst = dict(INST, user_data=None, key_data=None)
    root = tmp_path / 'root'
    configdrive.populate(str(root), inst, None)
    assert not (root / 'openstack/latest/user_data').exists()
    nd = json.loads((root / 'openstack/latest/network_data.json').read_text())
    assert nd == {'links': [], 'networks': [], 'services': []}
    md = json.loads((root / 'openstack/latest/meta_data.json').read_text())
    assert md['public_keys'] == {} and md['keys'] == []
