"""Format detection and safety checks (iaas.common.inspection over
oslo.utils' format inspector), on hand-built headers and (when qemu-img is
installed) on images qemu-img made: the acceptance tests of the adapter."""
import shutil
import struct
import subprocess

import pytest

from iaas.common import inspection as fi

QCOW2_EXT_DATA_FILE = 0x44415441
QCOW2_INCOMPAT_DATA_FILE = 1 << 2
VMDK_GD_AT_END = 0xffffffffffffffff


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
        struct.pack_into('>II', hdr, pos, QCOW2_EXT_DATA_FILE, len(name))
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
    ({'incompat': QCOW2_INCOMPAT_DATA_FILE}, 'data file'),
    # qemu opens the data file named in the header extension only when the
    # incompatible-feature bit says the image has one.
    ({'incompat': QCOW2_INCOMPAT_DATA_FILE, 'data_file_ext': True}, 'data file'),
    ({'incompat': 1 << 40}, 'Unknown QCOW2 features'),
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
    (GOOD_DESC.replace('"disk.vmdk"', '"/etc/passwd"'), {}, 'Invalid extent filenames'),
    (GOOD_DESC.replace('monolithicSparse', 'monolithicFlat'), {}, 'Unsupported subformat'),
    (GOOD_DESC + 'RW 2048 SPARSE "other.vmdk"\n', {}, 'exactly one extent'),
    (GOOD_DESC.replace('SPARSE', 'FLAT'), {}, 'extent type'),
    (GOOD_DESC, {'gd_offset': VMDK_GD_AT_END}, 'footer'),
    (GOOD_DESC, {'desc_offset': 0}, 'No descriptor found'),
    # finding 13: extent lines are case-insensitive (qemu reads them so)
    (GOOD_DESC + 'rw 2048 FLAT "/etc/passwd" 0\n', {}, 'Invalid extent filenames'),
    (GOOD_DESC + 'rw 2048 flat "other-image" 0\n', {}, 'exactly one extent'),
    (GOOD_DESC.replace('RW 2048 SPARSE "disk.vmdk"', 'rw 2048 flat "/etc/passwd" 0'), {},
     'Invalid extent filenames'),
    (GOOD_DESC.replace('createType', 'CREATETYPE').replace('monolithicSparse', 'vmfs'), {},
     'Unsupported subformat'),
])
def test_vmdk_unsafe(desc, kw, why):
    info = inspect(vmdk_file(desc, **kw))
    with pytest.raises(fi.ImageFormatError, match=why):
        fi.check(info, 'vmdk')


def test_vmdk_descriptor_only_file_refused():
    info = inspect(GOOD_DESC.encode())
    with pytest.raises(fi.ImageFormatError):
        fi.check(info, 'vmdk')
    # also as raw: a text descriptor is a vmdk to qemu
    with pytest.raises(fi.ImageFormatError):
        fi.check(inspect(GOOD_DESC.encode() + b'\n' * 600), 'raw')


@pytest.mark.parametrize('declared', ['ploop', 'docker', 'ova'])
def test_uninspectable_format_refused(declared):
    """Finding 13: a disk_format the inspector cannot check is refused,
    whatever the data (a qcow2 with a backing file declared ploop went
    active), even with the format match switched off."""
    for data in (qcow2_header(backing=True), b'\0' * 5000):
        for require in (True, False):
            with pytest.raises(fi.ImageFormatError, match='cannot be inspected'):
                fi.check(inspect(data), declared, require_match=require)


def test_unsafe_data_refused_even_without_format_match():
    with pytest.raises(fi.ImageFormatError, match='backing file'):
        fi.check(inspect(qcow2_header(backing=True)), 'raw', require_match=False)
    fi.check(inspect(qcow2_header()), 'raw', require_match=False)


def test_partition_tables():
    disk = bytearray(4096)
    disk[510:512] = b'\x55\xaa'
    struct.pack_into('<B3BB3BII', disk, 446, 0x80, 0, 2, 0, 0x83, 0, 0, 0, 2048, 4096)
    info = inspect(bytes(disk))
    assert info.format == 'gpt' and info.safe and info.virtual_size == 4096
    fi.check(info, 'raw')
    disk[446] = 0x42               # a boot flag no partition table has
    info = inspect(bytes(disk))
    with pytest.raises(fi.ImageFormatError, match='boot flag'):
        fi.check(info, 'raw')
    fi.check(info, 'aki')          # a kernel's boot sector is no partition table
    with pytest.raises(fi.ImageFormatError, match='raw, but disk_format is qcow2'):
        fi.check(inspect(b'\0' * 4096), 'qcow2')


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


def test_stream_decides_early_and_file_agrees(tmp_path):
    si = fi.StreamInspector()
    si.feed(qcow2_header(backing=True) + b'\0' * (2 << 20))
    assert si.decided and not si.info().safe
    p = tmp_path / 'img'
    p.write_bytes(qcow2_header(size=1 << 20) + b'\0' * (3 << 20))
    info = fi.inspect_file(p)
    assert info.format == 'qcow2' and info.safe and info.virtual_size == 1 << 20


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
    with pytest.raises(fi.ImageFormatError, match='data file'):
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
