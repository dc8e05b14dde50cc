"""Format detection and safety checks, on hand-built headers and (when
qemu-img is installed) on images qemu-img made."""
import shutil
import struct
import subprocess

import pytest

from iaas.image import format_inspector as fi


def qcow2_header(version=3, size=1 << 30, backing=False, incompat=0, data_file_ext=False):
    hdr = bytearray(4096)
    bf_off = 512 if backing else 0
    struct.pack_into('>4sIQIIQ', hdr, 0, b'QFI\xfb', version, bf_off, 8 if backing else 0,
                     16, size)
    if version >= 3:
        struct.pack_into('>QQQII', hdr, 72, incompat, 0, 0, 4, 104)
        pos = 104
    else:
        pos = 72
    if data_file_ext:
        name = b'/etc/shadow'
        struct.pack_into('>II', hdr, pos, fi.QCOW2_EXT_DATA_FILE, len(name))
        hdr[pos + 8:pos + 8 + len(name)] = name
    if backing:
        hdr[512:520] = b'/etc/pw\0'
    return bytes(hdr)


def vmdk_file(descriptor, gd_offset=1000, desc_offset=1):
    hdr = bytearray(512 * 30)
    struct.pack_into('<4sIIQQQQIQQ', hdr, 0, b'KDMV', 1, 3, 2048, 128, desc_offset, 20, 512,
                     0, gd_offset)
    d = descriptor.encode()
    hdr[512:512 + len(d)] = d
    return bytes(hdr)


GOOD_DESC = '''# Disk DescriptorFile
version=1
CID=12345678
parentCID=ffffffff
createType="monolithicSparse"

# Extent description
RW 2048 SPARSE "disk.vmdk"
'''


def inspect(data):
    si = fi.StreamInspector()
    for i in range(0, len(data), 1000):
        si.feed(data[i:i + 1000])
    return si.info()


def test_raw():
    info = inspect(b'\0' * 5000)
    assert info.format == 'raw' and info.safe and info.virtual_size == 5000
    fi.check(info, 'raw')
    fi.check(info, 'ami')
    with pytest.raises(fi.ImageFormatError):
        fi.check(info, 'qcow2')


def test_qcow2_plain():
    info = inspect(qcow2_header())
    assert info.format == 'qcow2' and info.safe and info.virtual_size == 1 << 30
    fi.check(info, 'qcow2')
    with pytest.raises(fi.ImageFormatError, match='qcow2, but disk_format is raw'):
        fi.check(info, 'raw')


@pytest.mark.parametrize('kw, why', [
    ({'backing': True}, 'backing file'),
    ({'incompat': fi.QCOW2_INCOMPAT_DATA_FILE}, 'external data file'),
    ({'data_file_ext': True}, 'external data file'),
    ({'incompat': 1 << 40}, 'unknown incompatible'),
    ({'version': 2, 'backing': True}, 'backing file'),
])
def test_qcow2_unsafe(kw, why):
    info = inspect(qcow2_header(**kw))
    assert not info.safe
    with pytest.raises(fi.ImageFormatError, match=why):
        fi.check(info, 'qcow2')


def test_vmdk_good():
    info = inspect(vmdk_file(GOOD_DESC))
    assert info.format == 'vmdk' and info.safe, info.problems
    assert info.virtual_size == 2048 * 512


@pytest.mark.parametrize('desc, kw, why', [
    (GOOD_DESC.replace('"disk.vmdk"', '"/etc/passwd"'), {}, 'another path'),
    (GOOD_DESC.replace('monolithicSparse', 'monolithicFlat'), {}, 'createType'),
    (GOOD_DESC + 'RW 2048 SPARSE "other.vmdk"\n', {}, 'exactly one extent'),
    (GOOD_DESC.replace('SPARSE', 'FLAT'), {}, 'extent type'),
    (GOOD_DESC, {'gd_offset': fi.VMDK_GD_AT_END}, 'footer'),
    (GOOD_DESC, {'desc_offset': 0}, 'no embedded descriptor'),
])
def test_vmdk_unsafe(desc, kw, why):
    info = inspect(vmdk_file(desc, **kw))
    with pytest.raises(fi.ImageFormatError, match=why):
        fi.check(info, 'vmdk')


def test_vmdk_descriptor_only_file_refused():
    info = inspect(GOOD_DESC.encode())
    with pytest.raises(fi.ImageFormatError):
        fi.check(info, 'vmdk')


def test_vhd_vhdx_iso():
    vhd = bytearray(b'conectix' + b'\0' * 600)
    struct.pack_into('>Q', vhd, 40, 12345 * 512)
    info = inspect(bytes(vhd))
    assert info.format == 'vhd' and info.virtual_size == 12345 * 512
    fi.check(info, 'vhd')
    assert inspect(b'vhdxfile' + b'\0' * 100).format == 'vhdx'
    iso = bytearray(0x9000)
    iso[0x8001:0x8006] = b'CD001'
    info = inspect(bytes(iso))
    assert info.format == 'iso'
    fi.check(info, 'iso')
    with pytest.raises(fi.ImageFormatError):
        fi.check(info, 'raw')


def test_ambiguous_refused():
    data = bytearray(qcow2_header() + b'\0' * 0x9000)
    data[0x8001:0x8006] = b'CD001'
    info = inspect(bytes(data))
    assert not info.safe
    with pytest.raises(fi.ImageFormatError, match='several formats'):
        fi.check(info, 'qcow2')


QEMU_IMG = shutil.which('qemu-img')


@pytest.mark.skipif(not QEMU_IMG, reason='qemu-img not installed')
def test_real_qemu_images(tmp_path):
    base = tmp_path / 'base.qcow2'
    subprocess.run([QEMU_IMG, 'create', '-f', 'qcow2', str(base), '64M'], check=True,
                   capture_output=True)
    info = fi.inspect_file(base)
    assert info.format == 'qcow2' and info.safe and info.virtual_size == 64 << 20
    over = tmp_path / 'over.qcow2'
    subprocess.run([QEMU_IMG, 'create', '-f', 'qcow2', '-b', str(base), '-F', 'qcow2',
                    str(over)], check=True, capture_output=True)
    with pytest.raises(fi.ImageFormatError, match='backing file'):
        fi.check(fi.inspect_file(over), 'qcow2')
    ext = tmp_path / 'ext.qcow2'
    subprocess.run([QEMU_IMG, 'create', '-f', 'qcow2', '-o',
                    f'data_file={tmp_path / "ext.raw"}', str(ext), '16M'],
                   check=True, capture_output=True)
    with pytest.raises(fi.ImageFormatError, match='external data file'):
        fi.check(fi.inspect_file(ext), 'qcow2')
    vmdk = tmp_path / 'd.vmdk'
    subprocess.run([QEMU_IMG, 'create', '-f', 'vmdk', str(vmdk), '16M'], check=True,
                   capture_output=True)
    info = fi.inspect_file(vmdk)
    assert info.format == 'vmdk' and info.safe, info.problems
    for fmt, name in (('vpc', 'vhd'), ('vhdx', 'vhdx'), ('vdi', 'vdi')):
        p = tmp_path / f'd.{name}'
        subprocess.run([QEMU_IMG, 'create', '-f', fmt, str(p), '16M'], check=True,
                       capture_output=True)
        info = fi.inspect_file(p)
        assert info.format == name and info.safe, (name, info)
