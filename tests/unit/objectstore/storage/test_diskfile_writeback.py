"""Large uploads start their write-back every 4 MiB (the disk works while
the body arrives); the fsync at commit still makes the object durable, and
an upload not fsynced starts none."""
import errno
import hashlib

import pytest

from iaas.objectstore.storage import diskfile
from iaas.objectstore.utils import normalize_timestamp

MIB = 1 << 20


@pytest.mark.parametrize('fsync', [True, False])
def test_write_back_every_4_mib_and_fsync_at_commit(tmp_path, monkeypatch, fsync):
    started, synced = [], []
    real_fsync = diskfile.os.fsync
    monkeypatch.setattr(diskfile, 'start_writeback',
                        lambda fd, off, n: started.append((off, n)))
    monkeypatch.setattr(diskfile.os, 'fsync', lambda fd: (synced.append(fd),
                                                          real_fsync(fd))[1])
    device = tmp_path / 'd1'
    device.mkdir()
    df = diskfile.DiskFile(str(device), 0, hashlib.md5(b'a/c/o').hexdigest(), fsync=fsync)
    w = df.writer()
    body = b''
    for i in range(10):                       # 10 MiB in 1 MiB pieces
        piece = bytes([i]) * MIB
        w.write(piece)
        body += piece
    w.commit(normalize_timestamp(), {'name': '/a/c/o'})
    if fsync:
        assert started == [(0, 4 * MIB), (4 * MIB, 4 * MIB)] and synced
    else:
        assert started == [] and not synced
    reader = df.open()
    try:
        assert b''.join(reader.iter_range(check_md5=True)) == body
    finally:
        reader.close()


def test_start_writeback_on_a_real_file(tmp_path):
    path = tmp_path / 'f'
    with open(path, 'wb') as f:
        f.write(b'x' * MIB)
        diskfile.start_writeback(f.fileno(), 0, MIB)     # no error, nothing awaited


# --- big uploads past the page cache (O_DIRECT) -------------------------------------
DATA = bytes(range(256)) * (12 * 1024 + 7)        # 3 MiB and a bit: an unaligned tail


def _upload(tmp_path, fsync=True):
    device = tmp_path / 'd1'
    device.mkdir(exist_ok=True)
    df = diskfile.DiskFile(str(device), 0, hashlib.md5(b'a/c/big').hexdigest(), fsync=fsync)
    w = df.writer()
    buf = diskfile.aligned_buffer(MIB)
    for off in range(0, len(DATA), MIB):
        piece = DATA[off:off + MIB]
        buf[:len(piece)] = piece
        w.write(buf[:len(piece)], aligned=True)
    w.commit(normalize_timestamp(), {'name': '/a/c/big'})
    reader = df.open()
    try:
        assert b''.join(reader.iter_range(check_md5=True)) == DATA
        assert reader.meta['ETag'] == hashlib.md5(DATA).hexdigest()
    finally:
        reader.close()
    return w


def _direct_works(tmp_path):
    path = str(tmp_path / 'probe')
    try:
        fd = diskfile.os.open(path, diskfile.os.O_WRONLY | diskfile.os.O_CREAT |
                              diskfile.os.O_DIRECT)
    except OSError:
        return False
    try:
        diskfile.os.write(fd, diskfile.aligned_buffer(4096))
        return True
    except OSError:
        return False
    finally:
        diskfile.os.close(fd)


def _spy_direct(monkeypatch):
    """The O_DIRECT state of the file at each write."""
    states, real_write = [], diskfile.os.write

    def write(fd, data):
        states.append(bool(diskfile.fcntl.fcntl(fd, diskfile.fcntl.F_GETFL) &
                           diskfile.os.O_DIRECT))
        return real_write(fd, data)
    monkeypatch.setattr(diskfile.os, 'write', write)
    return states


def test_whole_blocks_of_a_big_upload_go_past_the_page_cache(tmp_path, monkeypatch):
    works = _direct_works(tmp_path)
    states = _spy_direct(monkeypatch)
    _upload(tmp_path)
    if works:
        # three whole MiB directly; the tail and the metadata through the cache
        assert states == [True] * 3 + [False] * 2
    else:
        assert not any(states)


def test_not_fsynced_uploads_stay_in_the_page_cache(tmp_path, monkeypatch):
    states = _spy_direct(monkeypatch)
    _upload(tmp_path, fsync=False)
    assert states and not any(states)


def test_a_file_system_without_o_direct_gets_the_page_cache(tmp_path, monkeypatch):
    real = diskfile.fcntl.fcntl

    def fcntl(fd, cmd, arg=0):
        if cmd == diskfile.fcntl.F_SETFL and arg & diskfile.os.O_DIRECT:
            raise OSError(errno.EINVAL, 'not here')
        return real(fd, cmd, arg)
    monkeypatch.setattr(diskfile.fcntl, 'fcntl', fcntl)
    assert not _upload(tmp_path).can_direct


def test_a_direct_write_refused_halfway_loses_no_byte(tmp_path, monkeypatch):
    works = _direct_works(tmp_path)
    real_write, calls = diskfile.os.write, []

    def write(fd, data):
        direct = diskfile.fcntl.fcntl(fd, diskfile.fcntl.F_GETFL) & diskfile.os.O_DIRECT
        calls.append(bool(direct))
        if direct and len(calls) == 2:
            return real_write(fd, memoryview(data)[:4096])    # a short write …
        if direct and len(calls) == 3:
            raise OSError(errno.EINVAL, 'refused')              # … then a refusal
        return real_write(fd, data)
    monkeypatch.setattr(diskfile.os, 'write', write)
    w = _upload(tmp_path)       # reads back DATA exactly
    if works:
        assert calls[:3] == [True] * 3 and not w.can_direct


@pytest.mark.parametrize('direct_io', [True, False])
def test_the_storage_server_writes_big_uploads_past_the_cache_when_told(tmp_path, monkeypatch,
                                                                        direct_io):
    import io

    import webob

    from iaas.objectstore.storage.server import StorageServer
    works = _direct_works(tmp_path)
    (tmp_path / 'd1').mkdir()
    app = StorageServer(str(tmp_path), fsync=True, direct_io=direct_io)
    states = _spy_direct(monkeypatch)
    body = DATA + DATA       # over DIRECT_MIN
    req = webob.Request.blank('/obj/d1/3/a/c/o', method='PUT',
                              headers={'X-Timestamp': normalize_timestamp()})
    req.body_file = io.BytesIO(body)
    req.content_length = len(body)
    assert req.get_response(app).status_int == 201
    assert webob.Request.blank('/obj/d1/3/a/c/o').get_response(app).body == body
    assert any(states) == (direct_io and works)
