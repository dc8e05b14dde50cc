"""Domain XML building and the kvm/qemu choice."""
import xml.etree.ElementTree as ET

from iaas.compute.virt.libvirt import config

INST = {'uuid': '0b5c7c4e-1111-4222-8333-444455556666', 'display_name': 'vm one',
        'hostname': 'vm-one', 'vcpus': 2, 'memory_mb': 256, 'project_id': 'p1',
        'user_id': 'u1', 'image_ref': 'img-1', 'flavor': {'name': 'm1.small'}}


def build(**kw):
    args = dict(name='iaas-x-' + INST['uuid'], instance=INST, disk_path='/i/disk',
                console_log='/i/console.log')
    args.update(kw)
    return ET.fromstring(config.domain_xml(**args))


def test_basic_domain():
    dom = build()
    assert dom.get('type') == 'qemu'
    assert dom.findtext('name') == 'iaas-x-' + INST['uuid']
    assert dom.findtext('uuid') == INST['uuid']
    assert dom.findtext('vcpu') == '2'
    assert dom.find('memory').text == str(256 * 1024) and dom.find('memory').get('unit') == 'KiB'
    assert dom.find('features/acpi') is not None
    assert dom.find('os/type').get('machine') == 'pc'
    disks = dom.findall('devices/disk')
    assert len(disks) == 1
    assert disks[0].find('driver').get('type') == 'qcow2'
    assert disks[0].find('source').get('file') == '/i/disk'
    assert disks[0].find('target').get('bus') == 'virtio'
    serial = dom.find('devices/serial')
    assert serial.get('type') == 'pty'
    assert serial.find('log').get('file') == '/i/console.log'
    assert serial.find('log').get('append') == 'on'
    assert dom.find('devices/graphics') is None          # VNC off
    assert dom.find('devices/interface') is None         # no network_info, no NIC
    assert dom.find('cpu') is None
    assert config.parse_metadata_uuid(config.domain_xml(
        'n', INST, '/d', '/c')) == INST['uuid']


def test_metadata_names_instance():
    dom = build()
    ns = '{%s}' % config.METADATA_NS
    meta = dom.find(f'metadata/{ns}instance')
    assert meta.findtext(f'{ns}name') == 'vm one'
    assert meta.findtext(f'{ns}project') == 'p1'
    assert meta.find(f'{ns}flavor').get('name') == 'm1.small'


def test_kvm_type_and_config_drive():
    dom = build(virt_type='kvm', config_drive_path='/i/disk.config')
    assert dom.get('type') == 'kvm'
    assert dom.find('cpu').get('mode') == 'host-passthrough'
    cd = dom.findall('devices/disk')[1]
    assert cd.find('source').get('file') == '/i/disk.config'
    assert cd.find('readonly') is not None and cd.find('driver').get('type') == 'raw'
    ide = build(config_drive_path='/i/disk.config', config_drive_bus='ide')
    assert ide.findall('devices/disk')[1].get('device') == 'cdrom'


def test_nics_only_for_vifs_with_bridge():
    vifs = [{'id': 'p1', 'address': 'fa:16:3e:00:00:01', 'devname': 'tapp1',
             'network': {'bridge': 'br-test', 'mtu': 1450}},
            {'id': 'p2', 'address': 'fa:16:3e:00:00:02', 'network': {}}]
    nics = build(network_info=vifs).findall('devices/interface')
    assert len(nics) == 1
    nic = nics[0]
    assert nic.get('type') == 'bridge'
    assert nic.find('source').get('bridge') == 'br-test'
    assert nic.find('mac').get('address') == 'fa:16:3e:00:00:01'
    assert nic.find('target').get('dev') == 'tapp1'
    assert nic.find('model').get('type') == 'virtio'
    assert nic.find('mtu').get('size') == '1450'


def test_flavor_fallback():
    inst = dict(INST, vcpus=0, memory_mb=0, flavor={'vcpus': 3, 'memory_mb': 512})
    dom = build(instance=inst)
    assert dom.findtext('vcpu') == '3'
    assert dom.find('memory').text == str(512 * 1024)


def test_choose_virt_type():
    assert config.choose_virt_type('qemu', probe=lambda: True) == 'qemu'
    assert config.choose_virt_type('kvm', probe=lambda: False) == 'kvm'
    assert config.choose_virt_type('auto', probe=lambda: True) == 'kvm'
    assert config.choose_virt_type('auto', probe=lambda: False) == 'qemu'


def test_kvm_usable_needs_device_and_cpu_flags(tmp_path):
    dev = tmp_path / 'kvm'
    dev.write_text('')
    with_vmx = tmp_path / 'cpu1'
    with_vmx.write_text('processor\t: 0\nflags\t\t: fpu vme vmx sse\n')
    without = tmp_path / 'cpu2'
    without.write_text('processor\t: 0\nflags\t\t: fpu vme sse hypervisor\n')
    assert config.kvm_usable(str(dev), str(with_vmx))
    assert not config.kvm_usable(str(dev), str(without))
    assert not config.kvm_usable(str(tmp_path / 'nokvm'), str(with_vmx))
