"""iaas-volume's root commands: the allow-list (commands.check_volume) and
the volume_admin entry point."""
import os
import uuid

import pytest

from iaas.privileged import Refused, commands, volume, volume_admin

VID = str(uuid.uuid4())
IQN = f'iqn.2010-10.org.openstack:volume-{VID}'
TGT = ['tgtadm', '--lld', 'iscsi', '--mode']


@pytest.fixture
def volume_file(tmp_path):
    p = tmp_path / f'volume-{VID}'
    p.write_bytes(b'')
    return str(p)


@pytest.mark.parametrize('rest', [
    ['target', '--op', 'show'],
    ['target', '--op', 'new', '--tid', '3', '--targetname', IQN],
    ['target', '--op', 'delete', '--force', '--tid', '3'],
    ['target', '--op', 'bind', '--tid', '3', '--initiator-address', '10.0.0.5'],
    ['target', '--op', 'unbind', '--tid', '3', '--initiator-name', 'iqn.1993-08.org.debian:01:ab'],
    ['logicalunit', '--op', 'delete', '--tid', '3', '--lun', '1'],
    ['account', '--op', 'new', '--user', 'iaas-0123abcd', '--password', 'Abcdefgh12345678'],
    ['account', '--op', 'bind', '--tid', '3', '--user', 'iaas-0123abcd'],
    ['account', '--op', 'delete', '--user', 'iaas-0123abcd'],
    ['account', '--op', 'show'],
])
def test_tgtadm_forms_the_drivers_use_are_allowed(conf, rest):
    assert commands.check_volume(TGT + rest) == TGT + rest
    with_port = ['tgtadm', '-C', '7001'] + TGT[1:] + rest
    assert commands.check_volume(with_port) == with_port


def test_tgtadm_lun_backing_store_must_be_a_volume_file(conf, volume_file, tmp_path):
    ok = TGT + ['logicalunit', '--op', 'new', '--tid', '1', '--lun', '1', '--backing-store',
                volume_file]
    assert commands.check_volume(ok)
    link = tmp_path / f'volume-{uuid.uuid4()}'
    os.symlink('/etc/shadow', link)
    for path in ['/etc/shadow', str(link), '/dev/sda', f'/dev/vg/volume-{VID}',
                 str(tmp_path / 'volume-x')]:
        with pytest.raises(Refused):
            commands.check_volume(ok[:-1] + [path])


@pytest.mark.parametrize('argv', [
    TGT + ['system', '--op', 'delete'],
    TGT + ['target', '--op', 'new', '--tid', '0', '--targetname', IQN],
    TGT + ['target', '--op', 'new', '--tid', '1', '--targetname', 'bad name'],
    TGT + ['target', '--op', 'bind', '--tid', '1'],
    TGT + ['target', '--op', 'bind', '--tid', '1', '--initiator-address', 'ALL'],
    TGT + ['target', '--op', 'bind', '--tid', '1', '--initiator-address', '1.2.3.4',
           '--initiator-name', 'iqn.2000-01.x:y'],
    TGT + ['account', '--op', 'new', '--user', 'u', '--password', 'short'],
    TGT + ['account', '--op', 'new', '--user', 'u;rm', '--password', 'Abcdefgh12345678'],
    TGT + ['account', '--op', 'show', '--user', 'u'],
    ['tgtadm', '--lld', 'iser', '--mode', 'target', '--op', 'show'],
    ['tgtadm', '-C', 'x', '--lld', 'iscsi', '--mode', 'target', '--op', 'show'],
    ['lvcreate', '-T', 'vg/pool', '-V', '1g', '-n', 'root'],
    ['lvcreate', '-T', 'vg/pool', '-V', '1t', '-n', f'volume-{VID}'],
    ['lvcreate', '-s', '-n', f'snapshot-{VID}', f'vg/volume-{VID}'],
    ['lvremove', '-f', 'vg/root'],
    ['lvremove', 'vg'],
    ['lvs', '-o', 'lv_name', 'vg'],
    ['qemu-img', 'convert', '-f', 'qcow2', '-O', 'raw', '-n', '/x', f'/dev/vg/volume-{VID}'],
    ['qemu-img', 'info', '/etc/shadow'],
    ['dd', 'if=/dev/zero'],
    ['iptables-save'],
    ['tgtadm\n', 'x'],
    'tgtadm --mode target --op show',
])
def test_other_volume_commands_are_refused(conf, argv):
    with pytest.raises(Refused):
        commands.check_volume(argv)


@pytest.mark.parametrize('argv', [
    ['lvcreate', '-T', 'vg0/iaas-pool', '-V', '10g', '-n', f'volume-{VID}'],
    ['lvcreate', '-kn', '-s', '-n', f'volume-{VID}', f'vg0/snapshot-{VID}'],
    ['lvextend', '-L', '20g', f'vg0/volume-{VID}'],
    ['lvremove', '-f', f'vg0/snapshot-{VID}'],
    ['lvs', '--noheadings', '--units', 'g', '--nosuffix', '--separator', '|', '-o',
     'lv_name,lv_size,data_percent,pool_lv', 'vg0'],
    ['vgs', '--noheadings', '--units', 'g', '--nosuffix', '--separator', '|', '-o',
     'vg_name,vg_size,vg_free', 'vg0'],
])
def test_lvm_forms_are_allowed(conf, argv):
    assert commands.check_volume(argv) == argv


def test_qemu_img_copies_only_raw_state_files_into_our_lvs(conf, monkeypatch, tmp_path):
    src = os.path.join(conf.state_path, 'image')
    with open(src, 'wb'):
        pass
    dev = f'/dev/vg0/volume-{VID}'
    monkeypatch.setattr(commands, '_lv_device', lambda path, names=commands.LV_NAME:
                        path.startswith('/dev/vg0/') and bool(names.match(path[9:])))
    argv = ['qemu-img', 'convert', '-f', 'raw', '-O', 'raw', '-n', src, dev]
    assert commands.check_volume(argv) == argv
    outside = tmp_path / 'outside'
    outside.write_bytes(b'')
    for bad in [argv[:-2] + [str(outside), dev], argv[:-2] + ['/etc/shadow', dev],
                argv[:-1] + [f'/dev/vg0/snapshot-{VID}']]:
        with pytest.raises(Refused):
            commands.check_volume(bad)


def test_network_allow_list_does_not_run_volume_commands(conf):
    with pytest.raises(Refused):
        commands.check(TGT + ['target', '--op', 'show'])
    with pytest.raises(Refused):
        commands.check_volume(['iptables-save'])


def test_execute_checks_before_running(conf):
    volume_admin.reset()
    ran = []

    class R:
        returncode, stdout, stderr = 0, 'out', ''
    with pytest.raises(Refused):
        volume.run_checked(['sh', '-c', 'id'], runner=lambda *a, **kw: ran.append(a) or R)
    assert ran == []
    assert volume.run_checked(TGT + ['target', '--op', 'show'],
                              runner=lambda argv, **kw: ran.append(argv) or R) == (0, 'out', '')
    assert ran == [TGT + ['target', '--op', 'show']]
    with pytest.raises(Refused):
        volume.execute(['rm', '-rf', '/'])
    assert volume_admin.mode == ('inline' if os.geteuid() == 0 else 'daemon')
