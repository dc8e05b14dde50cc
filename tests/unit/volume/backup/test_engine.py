"""The backup engine against the in-memory store: full, sparse, incremental
and chained backups, corruption, deletion rules, failures."""
import hashlib
import io
import json
import os
import random

import pytest

from iaas.volume import backup
from iaas.volume.backup import engine as eng
from iaas.volume.backup.memory import MemoryStore

CS = 64 * 1024          # small chunks: many chunks in little memory


def volume(size, seed=1):
    """Compressible text, random bytes and zeros in turn, chunk by chunk."""
    rnd = random.Random(seed)
    out = bytearray()
    i = 0
    while len(out) < size:
        kind = i % 3
        if kind == 0:
            out += (f'line {i} of a log file\n' * 4000).encode()[:CS]
        elif kind == 1:
            out += rnd.randbytes(CS)
        else:
            out += bytes(CS)
        i += 1
    return bytearray(out[:size])


def restored(engine, result, target=None):
    target = io.BytesIO() if target is None else target
    engine.restore(result['manifest'], target)
    return target.getvalue()


@pytest.fixture
def store():
    return MemoryStore()


@pytest.fixture
def engine(store):
    return eng.BackupEngine(store, chunk_size=CS, workers=3, volume_sha256=True)


def test_full_backup_and_restore(engine, store):
    data = volume(10 * CS + 12345)          # not a multiple of the chunk size
    r = engine.backup('full', io.BytesIO(bytes(data)), len(data))
    assert r['manifest'] == 'backup/full/manifest'
    assert r['sha256'] == hashlib.sha256(data).hexdigest()
    assert r['size_bytes'] == len(data) and r['chunks'] == 11
    assert r['zero_chunks'] == 3 and r['stored_chunks'] == 8 == r['changed_chunks']
    assert r['object_count'] == 9 and r['parent'] is None and r['depends_on'] == []
    assert r['stored_bytes'] == store.stored_bytes('backup/full/')
    assert r['stored_bytes'] < len(data)            # text chunks compressed
    assert store.container_ensured
    assert 'backup/full/chunk-00000000' in store.objects
    assert 'backup/full/chunk-00000002' not in store.objects     # zeros
    assert restored(engine, r) == data
    d = engine.describe(r['manifest'])
    assert {k: d[k] for k in r if k != 'created_at'} == \
        {k: r[k] for k in r if k != 'created_at'}


def test_incompressible_chunks_are_stored_raw(store):
    e = eng.BackupEngine(store, chunk_size=CS, compression='zlib')
    data = os.urandom(3 * CS)
    r = e.backup('rnd', io.BytesIO(data), len(data))
    m = e._load(r['manifest'])
    assert {c['compression'] for c in m['chunks']} == {'none'}
    assert r['stored_bytes'] - len(store.objects['backup/rnd/manifest']) == len(data)
    assert restored(e, r) == data


@pytest.mark.parametrize('compression', ['none', 'zlib'])
def test_compressions(store, compression):
    e = eng.BackupEngine(store, chunk_size=CS, compression=compression)
    data = volume(5 * CS)
    r = e.backup('c', io.BytesIO(bytes(data)), len(data))
    kinds = {c['compression'] for c in e._load(r['manifest'])['chunks']}
    assert kinds == ({'none'} if compression == 'none' else {'none', 'zlib'})
    assert restored(e, r) == data


def test_unavailable_compression_is_refused(store):
    with pytest.raises(eng.BackupError, match='unknown compression'):
        eng.BackupEngine(store, compression='brotli')
    if 'zstd' not in eng.compressions():
        with pytest.raises(eng.BackupError, match='not installed'):
            eng.BackupEngine(store, compression='zstd')


def test_sparse_volume_stores_nothing_for_zeros(engine, store, tmp_path):
    size = 64 * CS
    data = bytearray(size)
    data[5 * CS + 7] = 1                              # one non-zero chunk
    r = engine.backup('sparse', io.BytesIO(bytes(data)), size)
    assert r['stored_chunks'] == 1 and r['zero_chunks'] == 63
    assert store.list('backup/sparse/') == ['backup/sparse/chunk-00000005',
                                            'backup/sparse/manifest']
    # a new (empty) file: holes are not written, the file stays sparse
    path = tmp_path / 'vol'
    with open(path, 'w+b') as f:
        res = engine.restore(r['manifest'], f)
    assert path.read_bytes() == data
    assert res['written_bytes'] == CS
    assert os.stat(path).st_blocks * 512 < 8 * CS
    # a volume holding old data: the zeros are written
    path.write_bytes(os.urandom(size))
    with open(path, 'r+b') as f:
        engine.restore(r['manifest'], f)
    assert path.read_bytes() == data
    assert restored(engine, r, io.BytesIO(os.urandom(size))) == data


def test_restore_into_a_larger_volume_keeps_its_tail(engine, tmp_path):
    data = volume(4 * CS + 100)
    r = engine.backup('b', io.BytesIO(bytes(data)), len(data))
    tail = os.urandom(CS)
    path = tmp_path / 'vol'
    path.write_bytes(os.urandom(len(data)) + tail)
    with open(path, 'r+b') as f:
        engine.restore(r['manifest'], f, size_bytes=len(data) + CS)
    assert path.read_bytes() == data + tail
    with pytest.raises(eng.BackupError, match='smaller than the backup'):
        engine.restore(r['manifest'], io.BytesIO(), size_bytes=len(data) - 1)


def test_incremental_stores_only_the_changed_chunk(engine, store):
    data = volume(16 * CS + 999)
    full = engine.backup('full', io.BytesIO(bytes(data)), len(data))
    puts = store.puts
    data[7 * CS + 10] ^= 0xff                         # one block in chunk 7
    inc = engine.backup('inc', io.BytesIO(bytes(data)), len(data), parent=full)
    assert store.puts - puts == 2                     # the chunk and the manifest
    assert store.list('backup/inc/') == ['backup/inc/chunk-00000007', 'backup/inc/manifest']
    assert inc['changed_chunks'] == 1 == inc['stored_chunks']
    assert inc['object_count'] == 2
    assert inc['parent'] == full['manifest'] and inc['depends_on'] == ['full']
    assert inc['sha256'] == hashlib.sha256(data).hexdigest()
    assert restored(engine, inc) == data
    # the full backup still restores the old bytes
    data[7 * CS + 10] ^= 0xff
    assert restored(engine, full) == data


def test_unchanged_incremental_stores_only_a_manifest(engine, store):
    data = volume(6 * CS)
    full = engine.backup('full', io.BytesIO(bytes(data)), len(data))
    inc = engine.backup('inc', io.BytesIO(bytes(data)), len(data), parent=full['manifest'])
    assert inc['changed_chunks'] == 0 and inc['object_count'] == 1
    assert store.list('backup/inc/') == ['backup/inc/manifest']


def test_incremental_of_a_grown_volume_and_zeroed_chunk(engine):
    data = volume(6 * CS + 10)
    full = engine.backup('full', io.BytesIO(bytes(data)), len(data))
    data[0:CS] = bytes(CS)                            # chunk 0 wiped: changed, not stored
    data += os.urandom(3 * CS)                        # grown: chunk 6 changed, 7-8 new
    inc = engine.backup('inc', io.BytesIO(bytes(data)), len(data), parent=full)
    assert inc['chunks'] == 10
    assert inc['changed_chunks'] == 5 and inc['stored_chunks'] == 4
    assert restored(engine, inc) == data


def test_chain_of_three_incrementals(engine, store):
    data = volume(12 * CS + 5)
    states, results = [bytes(data)], [engine.backup('b0', io.BytesIO(bytes(data)), len(data))]
    for i, chunk in enumerate((1, 4, 1), start=1):
        data[chunk * CS + i] = (data[chunk * CS + i] + 1) % 256
        r = engine.backup(f'b{i}', io.BytesIO(bytes(data)), len(data), parent=results[-1])
        assert r['stored_chunks'] == 1 and r['changed_chunks'] == 1
        states.append(bytes(data))
        results.append(r)
    assert results[1]['depends_on'] == ['b0']
    assert results[2]['depends_on'] == ['b0', 'b1']
    assert results[3]['depends_on'] == ['b0', 'b2']     # chunk 1 again: b1's copy is stale
    for state, r in zip(states, results, strict=True):
        assert restored(engine, r) == state
    m = engine._load(results[3]['manifest'])
    holders = {c['offset'] // CS: c['object'].split('/')[1] for c in m['chunks']}
    assert holders[1] == 'b3' and holders[4] == 'b2' and holders[0] == 'b0'


def test_corrupt_chunk_is_detected(engine, store):
    data = volume(8 * CS)
    r = engine.backup('b', io.BytesIO(bytes(data)), len(data))
    name = 'backup/b/chunk-00000001'                  # a random (uncompressed) chunk
    raw = bytearray(store.objects[name])
    raw[100] ^= 1
    store.objects[name] = bytes(raw)
    with pytest.raises(eng.BackupCorrupt, match='SHA-256'):
        engine.restore(r['manifest'], io.BytesIO())


def test_damaged_compressed_chunk_and_missing_objects(engine, store):
    data = volume(8 * CS)
    r = engine.backup('b', io.BytesIO(bytes(data)), len(data))
    name = 'backup/b/chunk-00000000'                  # text: zlib-compressed
    assert engine._load(r['manifest'])['chunks'][0]['compression'] == 'zlib'
    good = store.objects[name]
    store.objects[name] = good[:-1] + bytes([good[-1] ^ 0xff])
    with pytest.raises(eng.BackupCorrupt):
        engine.restore(r['manifest'], io.BytesIO())
    store.objects[name] = good[:10]
    with pytest.raises(eng.BackupCorrupt, match='expected'):
        engine.restore(r['manifest'], io.BytesIO())
    del store.objects[name]
    with pytest.raises(eng.BackupCorrupt, match='missing'):
        engine.restore(r['manifest'], io.BytesIO())
    with pytest.raises(eng.BackupNotFound):
        engine.restore('backup/nope/manifest', io.BytesIO())
    store.objects[r['manifest']] = store.objects[r['manifest']][:-20]
    with pytest.raises(eng.BackupCorrupt, match='manifest'):
        engine.describe(r['manifest'])


def test_manifest_with_a_missing_entry_is_refused(engine, store):
    import json
    data = volume(6 * CS)
    r = engine.backup('b', io.BytesIO(bytes(data)), len(data))
    m = json.loads(store.objects[r['manifest']])
    del m['chunks'][1]
    store.objects[r['manifest']] = json.dumps(m).encode()
    with pytest.raises(eng.BackupCorrupt, match='counts'):
        engine.restore(r['manifest'], io.BytesIO())


def test_delete_removes_only_own_objects(engine, store):
    data = volume(8 * CS)
    full = engine.backup('full', io.BytesIO(bytes(data)), len(data))
    data[CS] ^= 1
    inc = engine.backup('inc', io.BytesIO(bytes(data)), len(data), parent=full)
    full_objects = store.list('backup/full/')
    engine.delete(inc['manifest'])
    assert store.list('backup/inc/') == []
    assert store.list('backup/full/') == full_objects
    engine.delete(inc['manifest'])                    # idempotent
    data[CS] ^= 1
    assert restored(engine, full) == data


def test_deleting_a_parent_breaks_its_incremental(engine, store):
    """The rule: the manager refuses to delete a backup with dependents
    (Cinder: "Incremental backups exist for this backup."); the engine
    deletes own objects regardless, and the orphaned incremental then fails
    loudly, it never restores partially."""
    data = volume(8 * CS)
    full = engine.backup('full', io.BytesIO(bytes(data)), len(data))
    data[CS] ^= 1
    inc = engine.backup('inc', io.BytesIO(bytes(data)), len(data), parent=full)
    engine.delete(full['manifest'])
    assert store.list('backup/full/') == []
    assert store.list('backup/inc/') == ['backup/inc/chunk-00000001', 'backup/inc/manifest']
    with pytest.raises(eng.BackupCorrupt, match='missing'):
        engine.restore(inc['manifest'], io.BytesIO())


def test_delete_keeping_the_objects_of_dependents(engine, store):
    data = volume(8 * CS)
    full = engine.backup('full', io.BytesIO(bytes(data)), len(data))
    data[CS] ^= 1
    inc = engine.backup('inc', io.BytesIO(bytes(data)), len(data), parent=full)
    data[4 * CS] ^= 1
    inc2 = engine.backup('inc2', io.BytesIO(bytes(data)), len(data), parent=inc)
    engine.delete(full['manifest'], keep_objects_of=[inc['manifest'], inc2['manifest']])
    assert 'backup/full/manifest' not in store.objects
    assert restored(engine, inc2) == data
    # deleting inc with inc2 still there keeps what inc2 reads
    engine.delete(inc['manifest'], keep_objects_of=[inc2['manifest']])
    assert restored(engine, inc2) == data
    # the last one takes the orphans of its deleted ancestors with it
    engine.delete(inc2['manifest'])
    assert store.objects == {}


def test_failed_backup_leaves_nothing(store):
    class Failing(MemoryStore):
        def put(self, name, data):
            if self.puts == 3:
                raise eng.StoreError('boom')
            super().put(name, data)
    st = Failing()
    e = eng.BackupEngine(st, chunk_size=CS, workers=2)
    data = os.urandom(10 * CS)
    with pytest.raises(eng.StoreError, match='boom'):
        e.backup('b', io.BytesIO(data), len(data))
    assert st.list('') == []


def test_short_reader_fails_and_cleans_up(engine, store):
    data = volume(6 * CS)
    with pytest.raises(eng.BackupError, match='ended at byte'):
        engine.backup('b', io.BytesIO(bytes(data)), len(data) + CS)
    assert store.list('') == []


def test_reader_error_is_a_backup_error(engine, store):
    class Broken(io.RawIOBase):
        def readable(self):
            return True

        def readinto(self, b):
            raise OSError(5, 'Input/output error')
    with pytest.raises(eng.BackupError, match='Input/output error'):
        engine.backup('b', io.BufferedReader(Broken()), 4 * CS)
    assert store.list('') == []


def test_existing_backup_id_is_refused(engine):
    data = volume(2 * CS)
    engine.backup('b', io.BytesIO(bytes(data)), len(data))
    with pytest.raises(eng.BackupError, match='already'):
        engine.backup('b', io.BytesIO(bytes(data)), len(data))
    for bad in ('', 'a/b', '..'):
        with pytest.raises(eng.BackupError, match='invalid backup id'):
            engine.backup(bad, io.BytesIO(bytes(data)), len(data))


def test_progress_and_empty_volume(engine):
    data = volume(5 * CS + 3)
    seen = []
    r = engine.backup('b', io.BytesIO(bytes(data)), len(data),
                      progress=lambda done, total: seen.append((done, total)))
    assert seen[-1] == (len(data), len(data)) and len(seen) == 6
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    seen.clear()
    engine.restore(r['manifest'], io.BytesIO(), progress=lambda d, t: seen.append(d))
    assert seen[-1] == len(data)
    empty = engine.backup('empty', io.BytesIO(b''), 0)
    assert empty['chunks'] == 0 and restored(engine, empty) == b''


def test_incremental_keeps_the_parents_chunk_size(store):
    data = volume(8 * CS)
    full = eng.BackupEngine(store, chunk_size=CS).backup('f', io.BytesIO(bytes(data)),
                                                         len(data))
    data[3] ^= 1
    inc = eng.BackupEngine(store, chunk_size=4 * CS).backup(
        'i', io.BytesIO(bytes(data)), len(data), parent=full)
    assert inc['chunk_size'] == CS and inc['stored_chunks'] == 1


def test_without_the_whole_volume_hash(store):
    e = eng.BackupEngine(store, chunk_size=CS, volume_sha256=False)
    data = volume(5 * CS)
    r = e.backup('b', io.BytesIO(bytes(data)), len(data))
    assert r['sha256'] is None
    data[1] ^= 1
    inc = e.backup('i', io.BytesIO(bytes(data)), len(data), parent=r)
    assert inc['stored_chunks'] == 1 and restored(e, inc) == data


def test_from_conf(conf):
    conf.set_override('chunk_size_kb', 128, group='backup')
    conf.set_override('workers', 2, group='backup')
    conf.set_override('compression', 'none', group='backup')
    e = backup.from_conf(conf, store=MemoryStore())
    assert (e.chunk_size, e.workers, e.compression, e.prefix, e.volume_sha256) == \
        (128 * 1024, 2, 'none', 'backup', False)


def test_memory_is_bounded_for_the_largest_chunks(store):
    with pytest.raises(eng.BackupError, match='chunk size'):
        eng.BackupEngine(store, chunk_size=eng.MAX_CHUNK_SIZE + 1)
    e = eng.BackupEngine(store, workers=64, chunk_size=eng.MAX_CHUNK_SIZE)
    assert e._window(eng.MAX_CHUNK_SIZE) == 2
    assert e._window(4 << 20) == 64         # 256 MiB of 4 MiB chunks
    assert eng.BackupEngine(store, workers=4)._window(4 << 20) == 8


def test_a_manifest_with_an_absurd_chunk_size_is_corrupt(engine, store):
    data = volume(2 * CS)
    r = engine.backup('b', io.BytesIO(bytes(data)), len(data))
    m = json.loads(store.objects[r['manifest']])
    m['chunk_size'] = 1 << 40
    m['chunk_count'] = 1
    store.objects[r['manifest']] = json.dumps(m).encode()
    with pytest.raises(eng.BackupCorrupt, match='chunk size'):
        engine.restore(r['manifest'], io.BytesIO())
