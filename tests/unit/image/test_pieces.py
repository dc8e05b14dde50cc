"""Small pieces of the image service: re-chunking, hashing."""
import hashlib
import os

from iaas.image.hashing import ParallelHashes
from iaas.image.stores.objectstore import _Rechunker


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
