"""The compute-side fetch helper against a running image API."""
import os

import pytest
import requests

from iaas.image.fetch import ImageFetchError, ImageNotUsable, fetch_image


def session_for(client):
    s = requests.Session()
    s.headers.update(client.s.headers)
    return s


def test_fetch_verifies_and_renames(client, tmp_path):
    data = os.urandom(3 << 20)
    img = client.create(name='f')
    assert client.upload(img['id'], data).status_code == 204
    dest = tmp_path / 'cache' / 'img'
    dest.parent.mkdir()
    rec = fetch_image(client.base, img['id'], str(dest), session=session_for(client))
    assert rec['id'] == img['id']
    assert dest.read_bytes() == data
    assert os.listdir(dest.parent) == ['img']


def test_fetch_refuses_corrupt_data(client, image_conf, tmp_path):
    tmp_path = tmp_path / 'cache'
    tmp_path.mkdir()
    data = os.urandom(1 << 20)
    img = client.create(name='f')
    assert client.upload(img['id'], data).status_code == 204
    path = os.path.join(image_conf.image.filesystem_store_datadir, img['id'])
    with open(path, 'r+b') as f:          # bit rot in the store, same size
        f.seek(1000)
        f.write(b'\xff' * 8)
    dest = tmp_path / 'img'
    with pytest.raises(ImageFetchError, match='MD5'):
        fetch_image(client.base, img['id'], str(dest), session=session_for(client))
    assert os.listdir(tmp_path) == []
    with open(path, 'ab') as f:           # and truncation/extension
        f.write(b'x')
    with pytest.raises(ImageFetchError):
        fetch_image(client.base, img['id'], str(dest), session=session_for(client))
    assert os.listdir(tmp_path) == []


def test_fetch_refuses_unusable_images(client, client_b, tmp_path):
    tmp_path = tmp_path / 'cache'
    tmp_path.mkdir()
    queued = client.create(name='q', visibility='private')
    with pytest.raises(ImageNotUsable, match='queued'):
        fetch_image(client.base, queued['id'], str(tmp_path / 'x'), session=session_for(client))
    with pytest.raises(ImageNotUsable, match='not found'):
        fetch_image(client.base, queued['id'], str(tmp_path / 'x'),
                    session=session_for(client_b))
    assert os.listdir(tmp_path) == []
