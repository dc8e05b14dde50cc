"""The file store's writers: O_DIRECT (aligned blocks, padded tail) and
buffered, on odd sizes and odd chunkings; refused uploads leave nothing."""
import os
import random

import pytest

from iaas.image.stores.file import BufferedWriter, DirectWriter, FileStore


class Conf:
    class image:
        filesystem_store_fsync = True
        filesystem_store_direct_io = True
        filesystem_store_datadir = None


def chunks_of(data, rnd):
    pos = 0
    while pos < len(data):
        n = rnd.choice([1, 100, 4095, 4096, 65536, 1 << 20, (1 << 20) + 7])
        yield data[pos:pos + n]
        pos += n


@pytest.mark.parametrize('direct', [True, False])
@pytest.mark.parametrize('size', [0, 1, 4095, 4096, 4097, (1 << 20) - 1, 1 << 20,
                                  (1 << 20) + 1, (3 << 20) + 5])
def test_roundtrip(tmp_path, direct, size):
    conf = Conf()
    conf.image = type('image', (), dict(vars(Conf.image)))
    conf.image.filesystem_store_datadir = str(tmp_path / 'store')
    conf.image.filesystem_store_direct_io = direct
    store = FileStore(conf)
    data = os.urandom(size)
    url, meta = store.add('img', chunks_of(data, random.Random(size)), size or None)
    path = url[len('file://'):]
    assert os.path.getsize(path) == size
    assert b''.join(store.get(url, meta)) == data
    assert b''.join(store.get(url, meta, 3, 10)) == data[3:13]
    assert os.listdir(tmp_path / 'store') == ['img']


def test_direct_writer_is_used_where_possible(tmp_path, monkeypatch):
    conf = Conf()
    conf.image = type('image', (), dict(vars(Conf.image)))
    conf.image.filesystem_store_datadir = str(tmp_path)
    fd, writer = FileStore(conf)._open(str(tmp_path / 'x'))
    writer.close()
    os.close(fd)
    assert isinstance(writer, DirectWriter)      # /tmp is ext4 here
    # a filesystem refusing O_DIRECT: buffered writes instead
    real_open = os.open

    def no_direct(path, flags, *a):
        if flags & os.O_DIRECT:
            raise OSError(22, 'Invalid argument')
        return real_open(path, flags, *a)
    monkeypatch.setattr(os, 'open', no_direct)
    fd, writer = FileStore(conf)._open(str(tmp_path / 'y'))
    os.close(fd)
    assert isinstance(writer, BufferedWriter)


def test_refused_upload_leaves_nothing(tmp_path):
    conf = Conf()
    conf.image = type('image', (), dict(vars(Conf.image)))
    conf.image.filesystem_store_datadir = str(tmp_path)

    def chunks():
        yield b'x' * (3 << 20)
        raise ValueError('refused')

    with pytest.raises(ValueError):
        FileStore(conf).add('img', chunks(), 10 << 20)
    assert os.listdir(tmp_path) == []
