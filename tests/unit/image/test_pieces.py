"""Small pieces of the image service: ranges, re-chunking, hashing."""
import hashlib
import os

import pytest

from iaas import wsgi
from iaas.image.data import _parse_range
from iaas.image.hashing import ParallelHashes
from iaas.image.stores.objectstore import _Rechunker


@pytest.mark.parametrize('header, expect', [
    (None, None), ('', None), ('bytes=0-9', (0, 10)), ('bytes=5-', (5, 95)),
    ('bytes=-10', (90, 10)), ('bytes=-1000', (0, 100)), ('bytes=90-1000', (90, 10)),
    ('bytes=0-1,5-6', None), ('items=0-1', None),
])
def test_parse_range(header, expect):
    assert _parse_range(header, 100) == expect


@pytest.mark.parametrize('header', ['bytes=100-', 'bytes=50-40', 'bytes=-0'])
def test_unsatisfiable_range(header):
    with pytest.raises(wsgi.Fault) as exc:
        _parse_range(header, 100)
    assert exc.value.code == 416 and exc.value.headers['Content-Range'] == 'bytes */100'


def test_rechunker_splits_exactly():
    data = os.urandom(10000)
    r = _Rechunker(iter([data[:3000], b'', data[3000:7000], data[7000:]]))
    parts = [b''.join(r.take(n)) for n in (2500, 2500, 2500)]
    parts.append(b''.join(r.take(None)))
    assert [len(p) for p in parts] == [2500, 2500, 2500, 2500]
    assert b''.join(parts) == data
    assert r.peek() is None


def test_parallel_hashes_match_hashlib():
    chunks = [os.urandom(n) for n in (1, 5000, 1 << 20, 7)]
    h = ParallelHashes(('md5', 'sha512'))
    for c in chunks:
        h.update(c)
    d = h.hexdigests()
    data = b''.join(chunks)
    assert d == {'md5': hashlib.md5(data).hexdigest(),
                 'sha512': hashlib.sha512(data).hexdigest()}
    h.close()   # idempotent
