"""An object or database written while the replicator cleans the partition:
a directory that is empty for a moment may be removed under the writer
(the CI's s3-tests run got a 507 → 500 this way on a PUT)."""
import hashlib
import os
import threading

from iaas.objectstore import utils
from iaas.objectstore.storage import db, diskfile
from iaas.objectstore.utils import normalize_timestamp


def _hash(name):
    return hashlib.md5(name.encode()).hexdigest()


def _write(device, name, body=b'x'):
    df = diskfile.DiskFile(device, 0, _hash(name), fsync=False)
    w = df.writer()
    w.write(body)
    w.commit(normalize_timestamp(), {'name': name})
    return df


def test_a_directory_removed_before_the_rename_is_made_again(tmp_path, monkeypatch):
    """The replicator's cleanup removes the new (still empty) object
    directory between the writer's mkdir and its rename."""
    device = str(tmp_path)
    real_replace = os.replace
    removed = []

    def replace(src, dst):
        if not removed:
            os.rmdir(os.path.dirname(dst))      # what cleanup_dir does to an empty dir
            removed.append(dst)
        return real_replace(src, dst)
    monkeypatch.setattr(diskfile.os, 'replace', replace)
    df = _write(device, 'a/c/o', b'data')
    assert removed
    reader = df.open()
    assert b''.join(reader.iter_range()) == b'data'
    reader.close()


def test_a_file_gone_is_still_an_error(tmp_path):
    """The retry is for a directory removed, not for a temp file lost."""
    try:
        diskfile.place(str(tmp_path / 'nothing'), str(tmp_path / 'd' / 'f'))
    except FileNotFoundError:
        pass
    else:
        raise AssertionError('renaming a missing file succeeded')


def test_writes_racing_the_replicators_walk_all_land(tmp_path):
    """Real threads: objects written one after another into fresh
    directories while suffix_hashes (the replicator's walk, which removes
    empty directories) runs over the partition without pause."""
    device = str(tmp_path)
    stop = threading.Event()

    def walk():
        while not stop.is_set():
            diskfile.suffix_hashes(device, 0)
    walker = threading.Thread(target=walk)
    walker.start()
    errors = []
    try:
        for i in range(3000):
            try:
                _write(device, f'a/c/{i}')
            except OSError as exc:
                errors.append(exc)
    finally:
        stop.set()
        walker.join()
    assert errors == []
    for i in range(3000):
        assert diskfile.DiskFile(device, 0, _hash(f'a/c/{i}')).open() is not None


def test_a_database_directory_removed_before_its_file_is_made_again(tmp_path, monkeypatch):
    path = str(tmp_path / 'containers' / '0' / 'abc' / 'h' / 'h.db')
    real_mkdirs = utils.mkdirs
    calls = []

    def mkdirs(p):
        real_mkdirs(p)
        if not calls:       # made, then removed by a cleanup at once
            os.rmdir(p)
        calls.append(p)
    monkeypatch.setattr(utils, 'mkdirs', mkdirs)
    broker = db.ContainerBroker(path)
    assert broker.initialize(normalize_timestamp(), {'account': 'a', 'container': 'c'})
    assert len(calls) >= 2
    assert os.path.exists(path)
