"""Disk image format inspection on a stream.

Fed the upload chunk by chunk, :class:`StreamInspector` keeps only the
first ``PREFIX`` bytes (headers, a VMDK's embedded descriptor, an ISO's
volume descriptor) and then tells what the data really is and whether it
is safe, the way Glance does since the 2024 backing-file CVEs:

* the real format must match the declared ``disk_format``
  (``raw``/``ami``/``ari``/``aki`` accept anything not recognised as
  another format);
* a qcow2 must not name a backing file, an external data file, or use
  incompatible features we do not know;
* a vmdk must be a monolithicSparse or streamOptimized file whose single
  extent is itself (no other files, no paths), with its descriptor
  embedded and no footer-located grain directory;
* data matching two formats at once is refused as ambiguous.

Formats: raw, qcow2, vmdk, vhd, vhdx, vdi, iso.
"""
import re
import struct

PREFIX = 1 << 20  # bytes kept for inspection

QCOW2_MAGIC = b'QFI\xfb'
QCOW2_KNOWN_INCOMPAT = 0x1f          # dirty, corrupt, data file, compression, ext. L2
QCOW2_INCOMPAT_DATA_FILE = 1 << 2
QCOW2_EXT_DATA_FILE = 0x44415441
QCOW2_EXT_BACKING_FORMAT = 0xE2792ACA
VMDK_MAGIC = b'KDMV'
VMDK_GD_AT_END = 0xffffffffffffffff
VMDK_ALLOWED_TYPES = ('monolithicSparse', 'streamOptimized')
VDI_SIGNATURE = 0xbeda107f
ISO_OFFSETS = (0x8001, 0x8801, 0x9001)

RAW_LIKE = {'raw', 'ami', 'ari', 'aki'}
# disk_format values we cannot inspect and accept as declared.
UNCHECKED = {'ploop'}

_EXTENT = re.compile(r'^\s*(RW|RDONLY|NOACCESS)\s+(\d+)\s+(\S+)(?:\s+"([^"]*)")?', re.M)


class ImageFormatError(ValueError):
    """The data is not what it claims to be, or is unsafe."""


class FormatInfo:
    def __init__(self, fmt, virtual_size=None, problems=()):
        self.format = fmt
        self.virtual_size = virtual_size
        self.problems = list(problems)

    @property
    def safe(self):
        return not self.problems

    def __repr__(self):
        return f'<FormatInfo {self.format} vsize={self.virtual_size} problems={self.problems}>'


def _qcow2(buf):
    if len(buf) < 72:
        return FormatInfo('qcow2', problems=['qcow2 header is truncated'])
    (version, bf_offset, bf_size, _cluster_bits, size) = struct.unpack('>IQIIQ', buf[4:32])
    problems = []
    if version not in (2, 3):
        problems.append(f'unsupported qcow2 version {version}')
    if bf_offset or bf_size:
        problems.append('qcow2 image has a backing file')
    header_len = 72
    if version >= 3:
        if len(buf) < 104:
            return FormatInfo('qcow2', size, problems + ['qcow2 v3 header is truncated'])
        incompat, = struct.unpack('>Q', buf[72:80])
        if incompat & QCOW2_INCOMPAT_DATA_FILE:
            problems.append('qcow2 image has an external data file')
        if incompat & ~QCOW2_KNOWN_INCOMPAT:
            problems.append('qcow2 image uses unknown incompatible features')
        header_len, = struct.unpack('>I', buf[100:104])
    problems += _qcow2_extensions(buf, header_len)
    return FormatInfo('qcow2', size, problems)


def _qcow2_extensions(buf, pos):
    problems = []
    while pos + 8 <= len(buf):
        ext_type, ext_len = struct.unpack('>II', buf[pos:pos + 8])
        if ext_type == 0:
            break
        if ext_type == QCOW2_EXT_DATA_FILE:
            problems.append('qcow2 image names an external data file')
        pos += 8 + ((ext_len + 7) & ~7)
    return problems


def _vmdk(buf):
    if len(buf) < 512:
        return FormatInfo('vmdk', problems=['vmdk header is truncated'])
    (_version, _flags, capacity, _grain, desc_off, desc_size, _n_gte, _rgd_off,
     gd_off) = struct.unpack('<IIQQQQIQQ', buf[4:64])
    vsize = capacity * 512
    problems = []
    if gd_off == VMDK_GD_AT_END:
        problems.append('vmdk with a footer-located grain directory is not supported')
    if not desc_off:
        return FormatInfo('vmdk', vsize, problems + ['vmdk has no embedded descriptor'])
    start, end = desc_off * 512, (desc_off + desc_size) * 512
    if end > len(buf) or desc_size > 2048:
        return FormatInfo('vmdk', vsize, problems + ['vmdk descriptor is too large or too far'])
    desc = buf[start:end].split(b'\0', 1)[0].decode('ascii', 'replace')
    problems += vmdk_descriptor_problems(desc)
    return FormatInfo('vmdk', vsize, problems)


def vmdk_descriptor_problems(desc):
    problems = []
    m = re.search(r'^\s*createType\s*=\s*"?([A-Za-z0-9]+)"?', desc, re.M)
    create_type = m.group(1) if m else None
    if create_type not in VMDK_ALLOWED_TYPES:
        problems.append(f'vmdk createType {create_type!r} is not allowed')
    extents = _EXTENT.findall(desc)
    if len(extents) != 1:
        problems.append(f'vmdk must have exactly one extent, not {len(extents)}')
    for _access, _sectors, kind, name in extents:
        if kind != 'SPARSE':
            problems.append(f'vmdk extent type {kind} is not allowed')
        if '/' in (name or '') or '\\' in (name or ''):
            problems.append('vmdk extent refers to another path')
    return problems


def _vhd(buf):
    vsize = struct.unpack('>Q', buf[40:48])[0] if len(buf) >= 48 else None
    return FormatInfo('vhd', vsize)


def _vdi(buf):
    vsize = struct.unpack('<Q', buf[0x170:0x178])[0] if len(buf) >= 0x178 else None
    return FormatInfo('vdi', vsize)


def detect(buf, total_size):
    """What ``buf`` (the first bytes of an image of ``total_size``) is."""
    matches = []
    if buf[:4] == QCOW2_MAGIC:
        matches.append(_qcow2(buf))
    if buf[:4] == VMDK_MAGIC:
        matches.append(_vmdk(buf))
    if buf.startswith(b'# Disk DescriptorFile'):
        matches.append(FormatInfo('vmdk', problems=['vmdk descriptor-only file refers to '
                                                    'other files']))
    if buf[:8] == b'conectix':
        matches.append(_vhd(buf))
    if buf[:8] == b'vhdxfile':
        matches.append(FormatInfo('vhdx'))
    if len(buf) >= 0x44 and struct.unpack('<I', buf[0x40:0x44])[0] == VDI_SIGNATURE:
        matches.append(_vdi(buf))
    if any(buf[o:o + 5] == b'CD001' for o in ISO_OFFSETS):
        matches.append(FormatInfo('iso', total_size))
    if not matches:
        return FormatInfo('raw', total_size)
    if len(matches) > 1:
        names = sorted(m.format for m in matches)
        return FormatInfo(names[0], problems=[f'data matches several formats: {names}'])
    return matches[0]


def check(info, disk_format):
    """Raise :class:`ImageFormatError` unless ``info`` is a safe ``disk_format``."""
    if disk_format in UNCHECKED:
        return
    if info.problems:
        raise ImageFormatError('Image data is not acceptable: ' + '; '.join(info.problems))
    real = info.format
    if disk_format in RAW_LIKE:
        if real != 'raw':
            raise ImageFormatError(f'Image data is {real}, but disk_format is {disk_format}')
        return
    if real != disk_format:
        raise ImageFormatError(f'Image data is {real}, but disk_format is {disk_format}')


class StreamInspector:
    """Collects the first PREFIX bytes of a stream; judges them on demand."""

    def __init__(self, prefix=PREFIX):
        self.prefix = prefix
        self._buf = bytearray()
        self.total = 0

    def feed(self, chunk):
        self.total += len(chunk)
        need = self.prefix - len(self._buf)
        if need > 0:
            self._buf += chunk[:need]

    @property
    def ready(self):
        """True once the prefix is complete (more data changes nothing)."""
        return len(self._buf) >= self.prefix

    def info(self):
        return detect(bytes(self._buf), self.total)


def inspect_file(path, prefix=PREFIX):
    """FormatInfo of a local file (used by compute after a fetch)."""
    import os
    with open(path, 'rb') as f:
        buf = f.read(prefix)
    return detect(buf, os.path.getsize(path))
