"""Large uploads start their write-back every 4 MiB (the disk works while
the body arrives); the fsync at commit still makes the object durable, and
an upload not fsynced starts none."""
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
