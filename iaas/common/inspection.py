"""What uploaded image data really is, and whether it is safe to hand to qemu.

A thin adapter over ``oslo_utils.imageutils.format_inspector`` (the
inspector Glance and Nova use, maintained with the fixes for the 2024
backing-file and VMDK CVEs). The image API runs it on the upload stream;
the compute host runs it again on the downloaded file before qemu-img
touches it. Both refuse the data when:

* the declared ``disk_format`` cannot be inspected at all (``ploop`` and
  anything else missing from :data:`ACCEPTED`): refused, never trusted;
* the real format is not one :data:`ACCEPTED` allows for the declared one
  (a qcow2 declared ``raw``, ``ploop``, …), or the data matches several
  formats at once (a header hidden in another);
* the library's ``safety_check()`` of the real format fails: a qcow2 with
  a backing file, an external data file or unknown features; a vmdk whose
  subformat, descriptor lines or extents are unsafe (the descriptor is
  read case-insensitively); a bad GPT/MBR partition table; QED (banned);
* a vmdk is not one self-contained sparse file (:func:`_vmdk_problems`):
  a descriptor-only text file, or extents other than exactly one of type
  SPARSE. qemu opens a text descriptor's extents relative to the file, and
  on a compute host the neighbours of a cached image are other images.
"""
import os

from oslo_utils.imageutils import format_inspector as fi

# declared disk_format -> the formats its data may really have.
# "gpt" is the library's name for a disk with a partition table (GPT or a
# plain MBR): whole-disk raw images (and AMIs) have one, hybrid ISOs too.
# aki/ari (a kernel, a ramdisk) are plain bytes to the inspector: a Linux
# kernel carries the 0x55AA boot signature, hence "gpt" for them too.
ACCEPTED = {
    'raw': {'raw', 'gpt'},
    'ami': {'raw', 'gpt'},
    'aki': {'raw', 'gpt'},
    'ari': {'raw', 'gpt'},
    'qcow2': {'qcow2'},
    'vmdk': {'vmdk'},
    'vhd': {'vhd'},
    'vhdx': {'vhdx'},
    'vdi': {'vdi'},
    'iso': {'iso', 'gpt'},
}
# Declared formats whose data is kernel/ramdisk bytes, never opened by qemu
# as a disk: a boot sector that is not a sane partition table is fine there.
NOT_A_DISK = {'aki', 'ari'}
# Formats whose virtual size is the data's own size.
PLAIN = {'raw', 'gpt', 'iso'}

CHUNK = 1 << 16


class ImageFormatError(ValueError):
    """The data is not what it claims to be, is unsafe, or cannot be checked."""


def inspectable(disk_format):
    return disk_format in ACCEPTED


class FormatInfo:
    """The verdict on some data: its real ``format`` (a library inspector
    name, ``gpt`` included), ``virtual_size`` and ``problems`` (empty:
    safe); ``mbr_problems`` apart, as they do not matter for NOT_A_DISK."""

    def __init__(self, fmt, virtual_size=None, problems=(), mbr_problems=()):
        self.format = fmt
        self.virtual_size = virtual_size
        self.problems = list(problems)
        self.mbr_problems = list(mbr_problems)

    @property
    def safe(self):
        return not self.problems and not self.mbr_problems

    def __repr__(self):
        return (f'<FormatInfo {self.format} vsize={self.virtual_size} '
                f'problems={self.problems + self.mbr_problems}>')


class _Feed:
    """The source of the library's InspectWrapper: the chunk just fed."""

    def __init__(self):
        self.chunk = b''

    def read(self, _size):
        chunk, self.chunk = self.chunk, b''
        return chunk


def _safety_problems(inspector):
    """[(check name, message)] of the library's safety checks that fail."""
    try:
        inspector.safety_check()
    except fi.SafetyCheckFailed as exc:
        return [(name, f"{name.replace('_', ' ')}: {failure}")
                for name, failure in exc.failures.items()]
    except fi.ImageFormatError as exc:
        return [('format', str(exc))]
    return []


def _verdict(fmt, vsize, failed):
    return FormatInfo(fmt, vsize, [m for n, m in failed if n != 'mbr'],
                      [m for n, m in failed if n == 'mbr'])


def _vmdk_problems(inspector):
    if not inspector.has_region('header'):
        return ['vmdk descriptor-only file refers to other files; only '
                'monolithicSparse or streamOptimized files are accepted']
    desc = getattr(inspector, 'desc_text', None) or ''
    extents = [line.split() for line in (x.strip() for x in desc.split('\n'))
               if line.split(' ')[0] in ('rw', 'rdonly', 'noaccess')]
    problems = []
    if len(extents) != 1:
        problems.append(f'vmdk must have exactly one extent, not {len(extents)}')
    for ext in extents:
        if len(ext) < 3 or ext[2] != 'sparse':
            kind = ext[2].upper() if len(ext) >= 3 else '?'
            problems.append(f'vmdk extent type {kind} is not allowed')
    return problems


def _virtual_size(inspector):
    try:
        return inspector.virtual_size
    except Exception:      # an inspector that found too little to tell
        return None


class StreamInspector:
    """Fed a stream chunk by chunk; :meth:`info` gives the verdict.

    ``decided`` turns true as soon as more data cannot change the verdict
    (every inspector has what it needs; a vmdk whose grain directory sits
    in a footer needs the end of the stream): the caller may check early
    and stop feeding.
    """

    def __init__(self):
        self._feed = _Feed()
        self._wrapper = fi.InspectWrapper(self._feed)
        self.total = 0
        self.decided = False
        self._finished = False

    def feed(self, chunk):
        self.total += len(chunk)
        if self.decided:
            return
        for i in range(0, len(chunk), CHUNK):
            self._feed.chunk = chunk[i:i + CHUNK]
            self._wrapper.read(CHUNK)
        self.decided = self._formats() is not None

    def _formats(self):
        try:
            return self._wrapper.formats
        except fi.ImageFormatError:
            return []

    def finish(self):
        if not self._finished:
            self._finished = True
            self._wrapper.close()
            self.decided = True

    def info(self):
        """The verdict; finishes the stream unless already decided."""
        if not self.decided:
            self.finish()
        matches = self._formats()
        if not matches:
            return FormatInfo(None, problems=['data matches no known format'])
        names = sorted(str(m) for m in matches)
        if names == ['gpt', 'iso']:              # a hybrid (bootable) ISO
            iso = next(m for m in matches if str(m) == 'iso')
            return _verdict('iso', self.total, _safety_problems(iso))
        if len(matches) > 1:
            return FormatInfo(names[0], problems=[f'data matches several formats: {names}'])
        insp = matches[0]
        fmt = str(insp)
        failed = _safety_problems(insp)
        if fmt == 'vmdk':
            failed += [('vmdk', m) for m in _vmdk_problems(insp)]
        return _verdict(fmt, self.total if fmt in PLAIN else _virtual_size(insp), failed)


def check(info, disk_format, require_match=True):
    """Raise :class:`ImageFormatError` unless ``info`` is safe data of the
    declared ``disk_format``. Without ``require_match`` a mismatch is let
    through, but never unsafe data nor a format that cannot be inspected."""
    if not inspectable(disk_format):
        raise ImageFormatError(f'disk_format {disk_format} cannot be inspected, so its '
                               f'data is not accepted; inspectable formats: '
                               f'{", ".join(sorted(ACCEPTED))}')
    problems = info.problems
    if disk_format not in NOT_A_DISK:
        problems = problems + info.mbr_problems
    if problems:
        raise ImageFormatError('Image data is not acceptable: ' + '; '.join(problems))
    if require_match and info.format not in ACCEPTED[disk_format]:
        shown = 'raw' if info.format == 'gpt' else info.format
        raise ImageFormatError(f'Image data is {shown}, but disk_format is {disk_format}')


def inspect_file(path):
    """FormatInfo of a local file (the compute host's check after a fetch)."""
    si = StreamInspector()
    with open(path, 'rb') as f:
        while not si.decided:
            chunk = f.read(1 << 20)
            if not chunk:
                break
            si.feed(chunk)
    si.total = os.path.getsize(path)
    return si.info()
