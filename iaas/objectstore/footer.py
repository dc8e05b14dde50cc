"""The checksum footer of an object upload, proxy → storage nodes.

MD5 (the object's ETag) is the costliest work of a large upload. The proxy
computes it once, with a CRC-32 of the same bytes, and appends both to the
body it streams to every replica. A storage node computes only the CRC-32
of what it received: a mismatch means the bytes changed on the way, and
the upload is refused (422) with nothing stored. It keeps the proxy's MD5
as the ETag, which its auditor (and a whole GET of a small object) checks
against the data on disk, as before. The proxy checks the client's ETag
(Content-MD5 in S3) against its MD5 before it sends the footer; without
the footer no node commits.

A footer upload (a body of known length) carries:

    X-Backend-Obj-Footer: md5-crc32
    Content-Length: <object length + SIZE>
    ETag: UNKNOWING

and its body is the object's bytes, then 32 hex digits of MD5 and 8 of
CRC-32. ``ETag: UNKNOWING`` is never the MD5 of a body, so a storage node
that does not know footers (an older version) refuses the upload with 422
instead of storing the footer as part of the object.
"""
import hashlib
import re
import zlib

HEADER = 'X-Backend-Obj-Footer'
KIND = 'md5-crc32'
SIZE = 40
UNKNOWING = 'checksum-footer-follows'
_FORMAT = re.compile(rb'[0-9a-f]{40}\Z')


class CRC32:
    """zlib.crc32 with hashlib's update() (what a storage node computes)."""

    def __init__(self):
        self.value = 0

    def update(self, data):
        self.value = zlib.crc32(data, self.value)


class Checksums(CRC32):
    """MD5 and CRC-32 of an upload (what the proxy computes); :meth:`footer`
    is the footer to append."""

    def __init__(self):
        super().__init__()
        self.md5 = hashlib.md5()

    def update(self, data):
        self.md5.update(data)
        super().update(data)

    def footer(self):
        return b'%s%08x' % (self.md5.hexdigest().encode(), self.value)


def parse(raw):
    """(MD5 hex, CRC-32) of a footer; ValueError when it is not one."""
    if not _FORMAT.match(raw):
        raise ValueError('bad checksum footer')
    return raw[:32].decode(), int(raw[32:], 16)


def backend_headers(headers, length):
    """The headers of a footer upload of ``length`` object bytes (``headers``
    without the client's ETag, which the proxy checks itself)."""
    return dict({k: v for k, v in headers.items() if k.lower() != 'etag'},
                **{HEADER: KIND, 'Content-Length': str(length + SIZE), 'ETag': UNKNOWING})
